/*
 * check_ode — the Dormand–Prince 5(4) stepper of neurons/ode.c against
 * closed forms: accuracy at tight tolerance, order of the method and of its
 * dense output, exact step ends, failure on a blow-up. And the walker of
 * neurons/ode_walk.c on systems with known crossings: crossing times, the
 * refractory period, commits, the reset mode, divergence.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "neurons/ode.h"
#include "neurons/ode_walk.h"

/* y' = -lam y */
static void decay(double t, const double *y, double *dy, const void *ctx)
{
	const double *lam = ctx;

	(void)t;
	dy[0] = -*lam * y[0];
}

/* x' = v, v' = -w^2 x; x = cos(w t), v = -w sin(w t) from (1, 0). */
static void osc(double t, const double *y, double *dy, const void *ctx)
{
	const double *w = ctx;

	(void)t;
	dy[0] = y[1];
	dy[1] = -*w * *w * y[0];
}

/* y' = y^2 from y(0) = 1: y = 1 / (1 - t), infinite at t = 1. */
static void blowup(double t, const double *y, double *dy, const void *ctx)
{
	(void)t;
	(void)ctx;
	dy[0] = y[0] * y[0];
}

static ms__ode_sys sys(int n, ms__ode_rhs f, const void *ctx, double tol)
{
	ms__ode_sys s = {n, f, ctx, tol, tol, 1e-12, 1e9};
	return s;
}

/* Adaptive run of y' = -y over [0, 10] at rtol = atol = 1e-10: every step
 * end and every dense-output midpoint within 1e-9 relative of e^{-t} (ten
 * times the tolerance: the global error of a stable decay stays of the
 * order of the local tolerance). */
START_TEST(exponential_decay)
{
	double lam = 1.0, t = 0.0, y = 1.0, h = 1e-3, worst = 0.0;
	ms__ode_sys s = sys(1, decay, &lam, 1e-10);
	ms__ode_step st;
	int steps = 0;

	s.atol = 1e-14;
	while (t < 10.0) {
		double tm, ym;
		ck_assert_int_eq(
		    ms__ode_step_once(&s, t, &y, NULL, h, 10.0, &st), 0);
		tm = 0.5 * (st.t0 + st.t1);
		ms__ode_dense(st.dense, 1, st.t0, st.h, tm, &ym);
		worst = fmax(worst, fabs(ym / exp(-tm) - 1.0));
		t = st.t1;
		y = st.y1[0];
		h = st.h_next;
		worst = fmax(worst, fabs(y / exp(-t) - 1.0));
		steps++;
	}
	ck_assert(t == 10.0);
	ck_assert_msg(worst < 1e-9, "relative error %g", worst);
	ck_assert_int_gt(steps, 10);
}
END_TEST

/* Harmonic oscillator, w = 2, over ten periods at rtol = atol = 1e-11:
 * position and velocity within 1e-8 of the closed form at the end (the
 * phase error of an oscillator grows with time; 1e-8 leaves a margin of
 * about 10 over what the stepper achieves). */
START_TEST(harmonic_oscillator)
{
	double w = 2.0, T = 10.0 * 3.14159265358979323846, t = 0.0,
	       y[2] = {1.0, 0.0}, f[2], h = 1e-3;
	ms__ode_sys s = sys(2, osc, &w, 1e-11);
	ms__ode_step st;
	int first = 1;

	while (t < T) {
		ck_assert_int_eq(
		    ms__ode_step_once(&s, t, y, first ? NULL : f, h, T, &st),
		    0);
		first = 0;
		t = st.t1;
		y[0] = st.y1[0];
		y[1] = st.y1[1];
		f[0] = st.f1[0];
		f[1] = st.f1[1];
		h = st.h_next;
	}
	ck_assert(t == T);
	ck_assert_msg(fabs(y[0] - cos(w * T)) < 1e-8, "x err %g",
	              y[0] - cos(w * T));
	ck_assert_msg(fabs(y[1] + w * sin(w * T)) < 1e-8, "v err %g",
	              y[1] + w * sin(w * T));
}
END_TEST

/* Global error with N fixed steps (tolerances so loose that every trial is
 * accepted) over [0, 2] of the oscillator, w = 2. */
static double fixed_step_error(int N)
{
	double w = 2.0, t = 0.0, y[2] = {1.0, 0.0}, h = 2.0 / N;
	ms__ode_sys s = sys(2, osc, &w, 1e30);
	ms__ode_step st;

	for (int k = 0; k < N; k++) {
		ck_assert_int_eq(ms__ode_step_once(&s, t, y, NULL, h, 2.0, &st),
		                 0);
		ck_assert_int_eq(st.n_rejected, 0);
		t = st.t1;
		y[0] = st.y1[0];
		y[1] = st.y1[1];
	}
	return hypot(y[0] - cos(w * t), y[1] + w * sin(w * t));
}

/* Halving the step divides the global error by 2^5 for a fifth-order
 * method: the observed order must lie in [4.7, 5.3]. */
START_TEST(convergence_order_five)
{
	int N[] = {10, 20, 40, 80};

	for (int k = 0; k + 1 < 4; k++) {
		double e1 = fixed_step_error(N[k]),
		       e2 = fixed_step_error(2 * N[k]);
		double p = log2(e1 / e2);
		ck_assert_msg(p > 4.7 && p < 5.3, "N=%d: order %.3f (%g, %g)",
		              N[k], p, e1, e2);
	}
}
END_TEST

/* Largest dense-output error of one step of size h from (1, 0) of the
 * oscillator, w = 1, at nine interior points. */
static double dense_error(double h)
{
	double w = 1.0, y0[2] = {1.0, 0.0}, worst = 0.0;
	ms__ode_sys s = sys(2, osc, &w, 1e30);
	ms__ode_step st;

	ck_assert_int_eq(ms__ode_step_once(&s, 0.0, y0, NULL, h, 1e9, &st), 0);
	for (int j = 1; j < 10; j++) {
		double t = h * j / 10.0, y[2];
		ms__ode_dense(st.dense, 2, st.t0, st.h, t, y);
		worst = fmax(worst, hypot(y[0] - cos(t), y[1] + sin(t)));
		ck_assert(ms__ode_dense1(st.dense, 2, 1, st.t0, st.h, t) ==
		          y[1]);
	}
	/* The interpolant passes through both ends. */
	ck_assert(ms__ode_dense1(st.dense, 2, 0, 0.0, h, 0.0) == 1.0);
	ck_assert(fabs(ms__ode_dense1(st.dense, 2, 0, 0.0, h, h) - st.y1[0]) <=
	          1e-15);
	return worst;
}

/* The continuous extension is of order 4: its local error is O(h^5), so
 * halving h divides it by about 32 (a plain Hermite cubic, the fallback if
 * the correction term were wrong, only by 16). Observed order of the local
 * error in [4.6, 5.4]. */
START_TEST(dense_output_order_four)
{
	double h = 0.4;

	for (int k = 0; k < 3; k++, h *= 0.5) {
		double e1 = dense_error(h), e2 = dense_error(0.5 * h);
		double p = log2(e1 / e2);
		ck_assert_msg(p > 4.6 && p < 5.4, "h=%g: order %.3f (%g, %g)",
		              h, p, e1, e2);
	}
	ck_assert_msg(dense_error(0.1) < 1e-7, "%g", dense_error(0.1));
}
END_TEST

/* A step that would pass t_end ends on it exactly, whatever the rounding
 * of t0 + (t_end - t0); the steps before it are the controller's. */
START_TEST(step_cut_at_end)
{
	double lam = 1.0, y = 1.0, t = 0.1, h = 1.0, t_end = 0.1 + 0.2;
	ms__ode_sys s = sys(1, decay, &lam, 1e-8);
	ms__ode_step st;
	int steps = 0;

	do {
		ck_assert_int_eq(
		    ms__ode_step_once(&s, t, &y, NULL, h, t_end, &st), 0);
		ck_assert(st.t0 == t && st.t1 <= t_end);
		t = st.t1;
		y = st.y1[0];
		h = st.h_next;
		steps++;
	} while (t < t_end && steps < 1000);
	ck_assert(t == t_end);
	ck_assert_msg(fabs(y - exp(-0.2)) < 1e-8, "%g", y - exp(-0.2));
}
END_TEST

/* y' = y^2 cannot be continued past its pole at t = 1: stepping towards
 * t = 2 fails near it rather than returning a wrong value. The numerical
 * pole lies within 1e-6 of the true one at rtol = atol = 1e-8 (measured:
 * 1.7e-9 after it). */
START_TEST(blow_up_fails_cleanly)
{
	double t = 0.0, y = 1.0, h = 0.01;
	ms__ode_sys s = sys(1, blowup, NULL, 1e-8);
	ms__ode_step st;
	int rc = 0, steps = 0;

	s.h_min = 1e-14;
	while (steps < 100000 &&
	       (rc = ms__ode_step_once(&s, t, &y, NULL, h, 2.0, &st)) == 0) {
		ck_assert_msg(st.t1 < 1.0 + 1e-6, "stepped past the pole to %g",
		              st.t1);
		if (st.t1 < 0.99)
			ck_assert(fabs(st.y1[0] * (1.0 - st.t1) - 1.0) < 1e-5);
		t = st.t1;
		y = st.y1[0];
		h = st.h_next;
		steps++;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert(t > 1.0 - 1e-6);
}
END_TEST

/* y' = 1 */
static void ramp(double t, const double *y, double *dy, const void *ctx)
{
	(void)t;
	(void)y;
	(void)ctx;
	dy[0] = 1.0;
}

/* A walker without reset for f at tolerance tol, spikes at level. */
static ms__ode_walker walker(int n, ms__ode_rhs f, double tol, double level)
{
	ms__ode_walker m = {.n = n,
	                    .f = f,
	                    .rtol = tol,
	                    .atol = tol,
	                    .h_max = 1.0,
	                    .level = level,
	                    .n_probe = 4};
	return m;
}

/* Spikes of unit u before T into tc (at most max), going on through each
 * one; returns their number. */
static int spikes_before(const ms__ode_walker *m, const void *ctx,
                         ms__ode_unit *u, double T, double *tc, int max)
{
	int n = 0;
	double t;

	while (!isnan(t = ms__ode_due(m, ctx, u, T))) {
		ck_assert_int_lt(n, max);
		tc[n++] = t;
		ms__ode_pass(m, u);
	}
	return n;
}

/*
 * x = cos t (the oscillator with w = 1 from (1, 0)) rises through 0.5 at
 * t = 5 pi / 3 + 2 pi k: three times before 20. At rtol = atol = 1e-10 the
 * walker must find exactly those, each within 1e-8 (the global error of
 * the trajectory over 20 time units stays near 1e-9; the bisection adds
 * an ulp). With t_ref = 7, longer than the period, the second is no spike
 * and the third (two periods after the first) is.
 */
START_TEST(walker_finds_upward_crossings)
{
	const double pi = 3.14159265358979323846;
	double w = 1.0, tc[8];
	ms__ode_walker m = walker(2, osc, 1e-10, 0.5);
	ms__ode_unit u;
	int n;

	u.y0[0] = 1.0;
	u.y0[1] = 0.0;
	ms__ode_start(&m, &u, 0.0, 0.01);
	n = spikes_before(&m, &w, &u, 20.0, tc, 8);
	ck_assert_int_eq(n, 3);
	for (int k = 0; k < n; k++) {
		double want = 5.0 * pi / 3.0 + 2.0 * pi * k;
		ck_assert_msg(fabs(tc[k] - want) < 1e-8, "crossing %d: %.17g",
		              k, tc[k]);
	}

	m.t_ref = 7.0;
	u.y0[0] = 1.0;
	u.y0[1] = 0.0;
	ms__ode_start(&m, &u, 0.0, 0.01);
	n = spikes_before(&m, &w, &u, 20.0, tc, 8);
	ck_assert_int_eq(n, 2);
	ck_assert(fabs(tc[0] - 5.0 * pi / 3.0) < 1e-8);
	ck_assert(fabs(tc[1] - (5.0 * pi / 3.0 + 4.0 * pi)) < 1e-8);
}
END_TEST

/*
 * Commits and reads of the oscillator at rtol = atol = 1e-10: the state
 * committed at t and the dense output read between commits within 1e-8 of
 * (cos t, -sin t); the crossings found across the commits (which cut the
 * steps) still within 1e-8 of the closed form. Reading does not move the
 * search: the spikes are the same, bit for bit, with and without reads.
 */
START_TEST(walker_commits_follow_the_trajectory)
{
	const double pi = 3.14159265358979323846;
	const double tcs[] = {0.7, 3.3, 5.0, 9.1, 14.25};
	double w = 1.0, tc[2][8];
	ms__ode_walker m = walker(2, osc, 1e-10, 0.5);
	ms__ode_unit u;
	int n[2];

	for (int reads = 0; reads < 2; reads++) {
		double t = 0.0;
		n[reads] = 0;
		u.y0[0] = 1.0;
		u.y0[1] = 0.0;
		ms__ode_start(&m, &u, 0.0, 0.01);
		for (size_t j = 0; j <= sizeof(tcs) / sizeof(tcs[0]); j++) {
			double te =
			    j < sizeof(tcs) / sizeof(tcs[0]) ? tcs[j] : 20.0;
			n[reads] += spikes_before(
			    &m, &w, &u, te, tc[reads] + n[reads], 8 - n[reads]);
			for (int r = 0; reads && r < 7; r++) {
				double s = t + (te - t) * r / 7.0;
				double x = ms__ode_peek(&m, &w, &u, s, 0);
				double v = ms__ode_peek(&m, &w, &u, s, 1);
				ck_assert_msg(fabs(x - cos(s)) < 1e-8 &&
				                  fabs(v + sin(s)) < 1e-8,
				              "read at %g: %.17g %.17g", s, x,
				              v);
			}
			if (te == 20.0)
				break;
			ms__ode_commit(&m, &w, &u, te);
			ck_assert(u.t0 == te);
			ck_assert_msg(fabs(u.y0[0] - cos(te)) < 1e-8 &&
			                  fabs(u.y0[1] + sin(te)) < 1e-8,
			              "commit at %g: %.17g %.17g", te, u.y0[0],
			              u.y0[1]);
			t = te;
		}
	}
	ck_assert_int_eq(n[0], 3);
	ck_assert_int_eq(n[1], 3);
	for (int k = 0; k < 3; k++) {
		ck_assert(tc[0][k] == tc[1][k]);
		ck_assert(fabs(tc[0][k] - (5.0 * pi / 3.0 + 2.0 * pi * k)) <
		          1e-8);
	}
}
END_TEST

/*
 * Reset mode on y' = 1 with level 1 and a reset to 0 at each spike: spikes
 * at 1, 2, 3, 4 (the stepper and the dense output are exact on a straight
 * line up to rounding: within 1e-12). A state at or above the level is a
 * spike at once.
 */
START_TEST(walker_reset_mode)
{
	ms__ode_walker m = walker(1, ramp, 1e-8, 1.0);
	ms__ode_unit u;
	double t;
	int n = 0;

	m.reset = 1;
	m.n_probe = 1;
	u.y0[0] = 0.0;
	ms__ode_start(&m, &u, 0.0, 0.3);
	while (!isnan(t = ms__ode_due(&m, NULL, &u, 4.5))) {
		n++;
		ck_assert_int_le(n, 4);
		ck_assert_msg(fabs(t - n) < 1e-12, "spike %d at %.17g", n, t);
		ms__ode_take_spike(&m, &u);
		ck_assert(u.t0 == t);
		ck_assert_msg(fabs(u.y0[0] - 1.0) < 1e-12, "%.17g", u.y0[0]);
		u.y0[0] = 0.0;
		ms__ode_restart(&m, &u);
	}
	ck_assert_int_eq(n, 4);
	ck_assert(ms__ode_bound(&m, NULL, &u, 4.5, 5.0) > 4.5);

	u.y0[0] = 1.0;
	ms__ode_restart(&m, &u);
	ck_assert(ms__ode_due(&m, NULL, &u, u.t0 + 1.0) == u.t0);
}
END_TEST

/*
 * y' = y^2 from 1 diverges at t = 1 before reaching the level 1e300. With a
 * reset the failed step is a spike at the last point reached, within 1e-6
 * of the pole (as in blow_up_fails_cleanly); without, the unit falls
 * silent: no spike, and none is expected ever (bound infinite).
 */
START_TEST(walker_divergence)
{
	ms__ode_walker m = walker(1, blowup, 1e-8, 1e300);
	ms__ode_unit u;
	double t;

	m.reset = 1;
	u.y0[0] = 1.0;
	ms__ode_start(&m, &u, 0.0, 0.01);
	t = ms__ode_due(&m, NULL, &u, 2.0);
	ck_assert_msg(fabs(t - 1.0) < 1e-6, "spike at %.17g", t);

	m.reset = 0;
	u.y0[0] = 1.0;
	ms__ode_start(&m, &u, 0.0, 0.01);
	ck_assert(isnan(ms__ode_due(&m, NULL, &u, 2.0)));
	ck_assert(ms__ode_bound(&m, NULL, &u, 2.0, 3.0) == INFINITY);
}
END_TEST

static Suite *ode_suite(void)
{
	Suite *s = suite_create("ode");
	TCase *tc = tcase_create("dopri5");

	tcase_add_test(tc, exponential_decay);
	tcase_add_test(tc, harmonic_oscillator);
	tcase_add_test(tc, convergence_order_five);
	tcase_add_test(tc, dense_output_order_four);
	tcase_add_test(tc, step_cut_at_end);
	tcase_add_test(tc, blow_up_fails_cleanly);
	suite_add_tcase(s, tc);
	tc = tcase_create("walk");
	tcase_add_test(tc, walker_finds_upward_crossings);
	tcase_add_test(tc, walker_commits_follow_the_trajectory);
	tcase_add_test(tc, walker_reset_mode);
	tcase_add_test(tc, walker_divergence);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

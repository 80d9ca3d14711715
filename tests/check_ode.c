/*
 * check_ode — the Dormand–Prince 5(4) stepper of neurons/ode.c against
 * closed forms: accuracy at tight tolerance, order of the method and of its
 * dense output, exact step ends, failure on a blow-up.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "neurons/ode.h"

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

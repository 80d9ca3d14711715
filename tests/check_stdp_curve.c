/*
 * check_stdp_curve — the exponential fits and the curve file of
 * `memspike stdp-curve` (learning/stdp_curve.c).
 *
 * Fits are checked on exact exponentials, where least squares must return
 * the generating parameters (to 1e-9 relative: the Levenberg-Marquardt
 * iterations stop at a relative change of the error of 1e-14), with a
 * rising inner flank that the fit must leave out; sides with too few
 * points give NaN. The file is written whole or not at all.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memspike/memspike.h"

/* delta_w on -60 .. 60 ms in steps of 2 ms: exponentials beyond the
 * extrema at +-4 ms, a linear rise from 0 at delta_t = 0 inside them. */
static size_t make_window(double *dt, double *dw, double ap, double tp,
                          double am, double tm)
{
	size_t n = 0;

	for (int k = -30; k <= 30; k++, n++) {
		double t = 2.0 * k, x = fabs(t);

		dt[n] = t;
		if (t > 0)
			dw[n] = x >= 4 ? ap * exp(-x / tp)
			               : ap * exp(-4 / tp) * x / 4;
		else if (t < 0)
			dw[n] = x >= 4 ? am * exp(-x / tm)
			               : am * exp(-4 / tm) * x / 4;
		else
			dw[n] = 0;
	}
	return n;
}

START_TEST(fit_recovers_exact_exponentials)
{
	double dt[64], dw[64];
	ms_stdp_fit ltp, ltd;
	size_t n = make_window(dt, dw, 0.7, 13.0, -0.3, 27.0);

	ck_assert_int_eq(ms_stdp_fit_exp(dt, dw, n, &ltp, &ltd), 0);
	ck_assert_int_eq(ltp.ok, 1);
	ck_assert_int_eq(ltd.ok, 1);
	/* From the extremum at 4 ms outwards: 4, 6, ..., 60 ms. */
	ck_assert_uint_eq(ltp.n_used, 29);
	ck_assert_uint_eq(ltd.n_used, 29);
	ck_assert_double_eq_tol(ltp.A, 0.7, 0.7e-9);
	ck_assert_double_eq_tol(ltp.tau_ms, 13.0, 13e-9);
	ck_assert_double_eq_tol(ltd.A, -0.3, 0.3e-9);
	ck_assert_double_eq_tol(ltd.tau_ms, 27.0, 27e-9);
}
END_TEST

/* Zeros beyond a window's edge and non-finite points: the zeros count as
 * data (the fit must not be pulled off by them when the data are exact),
 * the NaN are skipped. */
START_TEST(fit_skips_non_finite_points)
{
	double dt[64], dw[64];
	ms_stdp_fit ltp, ltd;
	size_t n = make_window(dt, dw, 0.5, 10.0, -0.2, 20.0);

	dw[n - 1] = NAN;
	dw[0] = INFINITY;
	ck_assert_int_eq(ms_stdp_fit_exp(dt, dw, n, &ltp, &ltd), 0);
	ck_assert_uint_eq(ltp.n_used, 28);
	ck_assert_uint_eq(ltd.n_used, 28);
	ck_assert_double_eq_tol(ltp.tau_ms, 10.0, 1e-8);
	ck_assert_double_eq_tol(ltd.tau_ms, 20.0, 2e-8);
}
END_TEST

START_TEST(fit_needs_three_points_a_side)
{
	/* LTP: extremum at 2 ms, then 1 point; LTD: none below 0. */
	double dt[4] = {0, 1, 2, 3}, dw[4] = {0, 0.1, 0.3, 0.2};
	ms_stdp_fit ltp, ltd;

	ck_assert_int_eq(ms_stdp_fit_exp(dt, dw, 4, &ltp, &ltd), 0);
	ck_assert_int_eq(ltp.ok, 0);
	ck_assert_uint_eq(ltp.n_used, 2);
	ck_assert(isnan(ltp.A) && isnan(ltp.tau_ms));
	ck_assert_int_eq(ltd.ok, 0);
	ck_assert_uint_eq(ltd.n_used, 0);
	ck_assert(isnan(ltd.A) && isnan(ltd.tau_ms));
	/* A side without a change of its sign has no extremum to fit. */
	dw[1] = dw[2] = dw[3] = -0.1;
	ck_assert_int_eq(ms_stdp_fit_exp(dt, dw, 4, &ltp, &ltd), 0);
	ck_assert_int_eq(ltp.ok, 0);
	ck_assert_int_eq(ms_stdp_fit_exp(NULL, dw, 4, &ltp, &ltd), MS_EINVAL);
}
END_TEST

START_TEST(write_leaves_nothing_on_failure)
{
	double dt[3] = {-1, 0, 1}, v[3] = {0, 0, 0};
	ms_stdp_curve c = {.n = 3,
	                   .delta_t_ms = dt,
	                   .delta_w = v,
	                   .delta_G_S = v,
	                   .delta_G_over_G2 = v,
	                   .rule = "stdp_pair",
	                   .device = "ideal"};
	char dir[] = "/tmp/check_stdp_curve.XXXXXX", path[256], tmp[260];
	ms_error err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing/c.h5", dir);
	ck_assert_int_eq(ms_stdp_curve_write(path, &c, &err), MS_EIO);
	ck_assert_int_eq(err.code, MS_EIO);
	ck_assert_msg(strstr(err.msg, "c.h5.tmp: cannot create: No such file"),
	              "%s", err.msg);
	snprintf(path, sizeof(path), "%s/c.h5", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(ms_stdp_curve_write(path, &c, &err), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	ck_assert_int_eq(unlink(path), 0);
	c.delta_w = NULL;
	ck_assert_int_eq(ms_stdp_curve_write(path, &c, &err), MS_EINVAL);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *stdp_curve_suite(void)
{
	Suite *s = suite_create("stdp_curve");
	TCase *tc = tcase_create("stdp_curve");

	tcase_add_test(tc, fit_recovers_exact_exponentials);
	tcase_add_test(tc, fit_skips_non_finite_points);
	tcase_add_test(tc, fit_needs_three_points_a_side);
	tcase_add_test(tc, write_leaves_nothing_on_failure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stdp_curve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

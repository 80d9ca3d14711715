/*
 * check_stdp_waveform — spike waveforms (learning/waveform.c) and the
 * mathematics of waveform STDP (learning/stdp_waveform.c) on the example
 * of Zamarreño-Ramos et al. 2011 (Front. Neurosci. 5:26): "exp" spikes
 * with A+ = 1, tau+ = 3 ms, T+ = 5 ms, A- = 0.25, tau- = 40 ms,
 * T- = 75 ms, attenuation k = 0.9, exp_threshold device with V_th = 1 and
 * V0 = 1/7, voltages in normalised units written as 1 V = 1000 mV.
 *
 * References written here, independently of the library: the waveform
 * formulas, the device law, closed-form integrals, and a brute-force
 * integral of g(V_mem) over the superposition (the pieces between the
 * waveforms' breaks are cut where V crosses the threshold, found by a
 * scan at 1e-3 ms and bisection, and each part integrated by composite
 * Simpson at a step <= 2e-4 ms: its error, h^4 |f''''| / 180 per ms, is
 * below 1e-12 of the pair peak here).
 * Exact-mode results are held to the library's quadrature target, 1e-9 of
 * the largest change of an isolated pair.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "learning/plasticity.h"
#include "learning/stdp_waveform.h"
#include "learning/waveform.h"
#include "synapses/device.h"

/* Zamarreño-Ramos 2011, in mV and ms. */
#define AP   1000.0
#define TAUP 3.0
#define TP   5.0
#define AM   250.0
#define TAUM 40.0
#define TM   75.0
#define KATT 0.9
#define VTH  1000.0
#define V0   (1000.0 / 7.0)
#define I0   1.0 /* Hz: g = I0 1e-3 (...) per ms */

static void zam_wave(ms__waveform *w)
{
	char err[256];

	memset(w, 0, sizeof(*w));
	w->shape = MS__WAVE_EXP;
	w->A_plus = AP, w->tau_plus = TAUP, w->T_plus = TP;
	w->A_minus = AM, w->tau_minus = TAUM, w->T_minus = TM;
	ck_assert_msg(ms__wave_prepare(w, err, sizeof(err)) == MS_OK, "%s",
	              err);
}

static const ms__device_model *law(double *p, int *opt)
{
	const ms__device_model *m = ms__device_lookup("exp_threshold");

	ck_assert_ptr_nonnull(m);
	memset(opt, 0, MS__DEV_MAX_PARAMS * sizeof(int));
	for (size_t k = 0; k < m->n_params; k++) {
		const char *n = m->params[k].name;
		p[k] = strcmp(n, "I0") == 0     ? I0
		       : strcmp(n, "V0") == 0   ? V0
		       : strcmp(n, "V_th") == 0 ? VTH
		                                : m->params[k].def;
	}
	return m;
}

static ms__waveform W;

static void zam_ctx(ms__wstdp *c, int fast, double tol)
{
	double p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS];
	const ms__device_model *m = law(p, opt);
	char err[256];

	zam_wave(&W);
	ck_assert_msg(ms__wstdp_setup(c, &W, &W, KATT, 0, m, p, opt, tol, fast,
	                              0.05, err, sizeof(err)) == MS_OK,
	              "%s", err);
}

/* ------------------------------------------------------------------------ */
/* Independent reference                                                    */

/* The "exp" waveform of Zamarreño-Ramos 2011, eq. 1, written out; side
 * > 0 (< 0) gives the limit from the right (left) at the jumps. */
static double ref_v_side(double s, int side)
{
	int plus = side > 0 ? (s >= -TP && s < 0) : (s > -TP && s <= 0);
	int minus = side > 0 ? (s >= 0 && s < TM)
	                     : (s > 0 && (side < 0 ? s <= TM : s < TM));

	if (plus)
		return AP * (exp(s / TAUP) - exp(-TP / TAUP)) /
		       (1 - exp(-TP / TAUP));
	if (minus)
		return -AM * (exp(-s / TAUM) - exp(-TM / TAUM)) /
		       (1 - exp(-TM / TAUM));
	return 0.0;
}

static double ref_v(double s)
{
	return ref_v_side(s, 0);
}

/* The exp_threshold law, 1/ms. */
static double ref_g(double V)
{
	double a = fabs(V);

	if (a <= VTH)
		return 0.0;
	return (V > 0 ? 1 : -1) * I0 * 1e-3 * (exp(a / V0) - exp(VTH / V0));
}

typedef struct spk {
	double t;
	int post;
} spk;

/* The attenuation of the pre-synaptic waveform in the reference (KATT
 * unless a test drives the device harder). */
static double ref_k = KATT;

static double ref_V(const spk *s, size_t n, double t, int side)
{
	double v = 0;

	for (size_t k = 0; k < n; k++)
		v += (s[k].post ? 1.0 : -ref_k) * ref_v_side(t - s[k].t, side);
	return v;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Which side of the band V is on: 0 below -V_th, 1 inside, 2 above. */
static double brute_vth;

static int cls(double V)
{
	return V > brute_vth ? 2 : V < -brute_vth ? 0 : 1;
}

/* Composite Simpson on [a, b], a piece where V stays in class c, at a
 * step <= 2e-4 ms; at the ends V is taken as its limit from inside (the
 * one-sided waveform values at breaks, the band edge at a crossing). */
static void simpson(const spk *s, size_t n, double (*g_of)(double), int c,
                    double a, int a_cross, double b, int b_cross, double out[2])
{
	long m = (long)ceil((b - a) / 2e-4);
	double h, edge = c == 2   ? nextafter(brute_vth, INFINITY)
	                 : c == 0 ? -nextafter(brute_vth, INFINITY)
	                          : 0.0;

	m += m & 1;
	if (m < 2)
		m = 2;
	h = (b - a) / m;
	for (long j = 0; j <= m; j++) {
		double t = j == m ? b : a + j * h, V;
		double wgt = (j == 0 || j == m) ? 1 : (j & 1) ? 4 : 2;
		if ((j == 0 && a_cross) || (j == m && b_cross))
			V = edge;
		else
			V = ref_V(s, n, t, j == 0 ? 1 : j == m ? -1 : 0);
		out[V > 0 ? 0 : 1] += wgt * h / 3 * g_of(V);
	}
}

/*
 * Brute force: the integral of g(V_mem) over the whole superposition,
 * split by the sign of V (out[0]: V > 0). The pieces between the
 * waveforms' breaks are scanned at 1e-3 ms for changes of cls(V), located
 * by bisection, and each part integrated by simpson().
 */
static void brute_g(const spk *s, size_t n, double (*g_of)(double),
                    double out[2])
{
	double x[64];
	size_t nx = 0;

	out[0] = out[1] = 0;
	for (size_t k = 0; k < n; k++) {
		x[nx++] = s[k].t - TP;
		x[nx++] = s[k].t;
		x[nx++] = s[k].t + TM;
	}
	qsort(x, nx, sizeof(double), cmp_d);
	for (size_t i = 0; i + 1 < nx; i++) {
		double a = x[i], b = x[i + 1], start = a;
		long M = (long)ceil((b - a) / 1e-3);
		int c0, cross = 0;
		if (!(b > a))
			continue;
		c0 = cls(ref_V(s, n, a, 1));
		for (long j = 1; j <= M; j++) {
			double lo = a + (j - 1) * (b - a) / M;
			double hi = j == M ? b : a + j * (b - a) / M;
			int c1 = cls(ref_V(s, n, hi, j == M ? -1 : 0));
			if (c1 == c0)
				continue;
			for (int it = 0; it < 100; it++) {
				double mid = 0.5 * (lo + hi);
				if (cls(ref_V(s, n, mid, 0)) == c0)
					lo = mid;
				else
					hi = mid;
			}
			simpson(s, n, g_of, c0, start, cross, lo, 1, out);
			start = lo;
			cross = 1;
			c0 = c1;
		}
		simpson(s, n, g_of, c0, start, cross, b, 0, out);
	}
}

static void brute(const spk *s, size_t n, double out[2])
{
	brute_vth = VTH;
	brute_g(s, n, ref_g, out);
}

/* ------------------------------------------------------------------------ */
/* Waveforms                                                                */

START_TEST(wave_exp_shape)
{
	ms__waveform w;
	double s[8], v, dv;
	size_t nb;

	zam_wave(&w);
	ck_assert_double_eq(w.lo, -TP);
	ck_assert_double_eq(w.hi, TM);
	ck_assert_double_eq(w.vmax, AP);
	ck_assert_double_eq(w.vmin, -AM);
	for (double x = -6; x <= 80; x += 0.37)
		ck_assert_double_eq_tol(ms__wave_eval(&w, x), ref_v(x),
		                        1e-12 * AP);
	/* At the spike: A+ from the left (and the value), -A- from the
	 * right; slopes against central differences (1e-6 relative). */
	ck_assert_double_eq_tol(ms__wave_eval(&w, 0.0), AP, 1e-12 * AP);
	ms__wave_eval_side(&w, 0.0, 1, &v, &dv);
	ck_assert_double_eq_tol(v, -AM, 1e-12 * AP);
	ck_assert_double_eq_tol(dv, AM / TAUM / (1 - exp(-TM / TAUM)), 1e-12);
	ms__wave_eval_side(&w, 0.0, -1, &v, &dv);
	ck_assert_double_eq_tol(v, AP, 1e-12 * AP);
	for (double x = -4.9; x < 75; x += 1.3) {
		double d = (ref_v(x + 1e-5) - ref_v(x - 1e-5)) / 2e-5;
		ms__wave_eval_side(&w, x, 1, &v, &dv);
		ck_assert_msg(fabs(dv - d) <= 1e-6 * fabs(d), "slope at %g", x);
	}
	nb = ms__wave_breaks(&w, s, 8);
	ck_assert_uint_eq(nb, 3);
	ck_assert_double_eq(s[0], -TP);
	ck_assert_double_eq(s[1], 0.0);
	ck_assert_double_eq(s[2], TM);
	ck_assert_int_eq(ms__wave_shape("exp"), MS__WAVE_EXP);
	ck_assert_int_eq(ms__wave_shape("rect_ramp"), MS__WAVE_RECT_RAMP);
	ck_assert_int_eq(ms__wave_shape("table"), MS__WAVE_TABLE);
	ck_assert_int_eq(ms__wave_shape("gauss"), MS__WAVE_NONE);
}
END_TEST

START_TEST(wave_rect_ramp_and_table)
{
	static const double ts[] = {-2, 0, 0.5, 4}, tv[] = {300, -100, 50, 0};
	ms__waveform w = {.shape = MS__WAVE_RECT_RAMP};
	char err[256];
	double s[8], v, dv;
	size_t np;
	const ms_param_info *pi = ms__wave_params(MS__WAVE_RECT_RAMP, &np);

	ck_assert_uint_eq(np, 4);
	for (size_t k = 0; k < np; k++)
		ck_assert_int_eq(ms__wave_set_param(&w, pi[k].name, pi[k].def,
		                                    err, sizeof(err)),
		                 0);
	ck_assert_int_eq(ms__wave_set_param(&w, "T_minus", 10, err, 256), 0);
	ck_assert_int_eq(ms__wave_prepare(&w, err, sizeof(err)), 0);
	ck_assert_double_eq(ms__wave_eval(&w, -3), pi[0].def);
	ck_assert_double_eq(ms__wave_eval(&w, -5.5), 0);
	ck_assert_double_eq_tol(ms__wave_eval(&w, 2.5), -pi[2].def * 0.75,
	                        1e-12);
	ck_assert_double_eq(ms__wave_eval(&w, 10), 0);

	memset(&w, 0, sizeof(w));
	w.shape = MS__WAVE_TABLE;
	ck_assert_int_eq(ms__wave_set_table(&w, ts, tv, 4, err, 256), 0);
	ck_assert_int_eq(ms__wave_prepare(&w, err, sizeof(err)), 0);
	ck_assert_double_eq(w.lo, -2);
	ck_assert_double_eq(w.hi, 4);
	ck_assert_double_eq(w.vmax, 300);
	ck_assert_double_eq(w.vmin, -100);
	ck_assert_double_eq_tol(ms__wave_eval(&w, -1), 100, 1e-12);
	ck_assert_double_eq_tol(ms__wave_eval(&w, 0.25), -25, 1e-12);
	ck_assert_double_eq_tol(ms__wave_eval(&w, 2.25), 25, 1e-12);
	ck_assert_double_eq(ms__wave_eval(&w, -2.5), 0);
	ck_assert_double_eq(ms__wave_eval(&w, 4.5), 0);
	ms__wave_eval_side(&w, -2, -1, &v, &dv);
	ck_assert_double_eq(v, 0);
	ms__wave_eval_side(&w, -2, 1, &v, &dv);
	ck_assert_double_eq(v, 300);
	ck_assert_double_eq_tol(dv, -200, 1e-12);
	ms__wave_eval_side(&w, 0.5, -1, &v, &dv);
	ck_assert_double_eq_tol(dv, 300, 1e-12);
	ms__wave_eval_side(&w, 0.5, 1, &v, &dv);
	ck_assert_double_eq_tol(dv, -50 / 3.5, 1e-12);
	ck_assert_uint_eq(ms__wave_breaks(&w, s, 8), 4);
	ck_assert_double_eq(s[3], 4);
	ms__wave_free(&w);
}
END_TEST

/* err must name the field. */
static void bad_param(int shape, const char *name, double v, int code)
{
	ms__waveform w = {.shape = shape};
	char err[256] = "";
	int rc = ms__wave_set_param(&w, name, v, err, sizeof(err));

	ck_assert_int_eq(rc, code);
	ck_assert_msg(strstr(err, name), "message \"%s\" names %s", err, name);
}

START_TEST(wave_bad_input)
{
	static const double s_dup[] = {0, 1, 1}, s_ok[] = {0, 1, 2};
	static const double v_nan[] = {0, NAN, 0}, v_ok[] = {0, 5, 0};
	ms__waveform w;
	char err[256];

	bad_param(MS__WAVE_EXP, "T_plus", 0.0, MS_EINVAL);
	bad_param(MS__WAVE_EXP, "T_minus", -1.0, MS_EINVAL);
	bad_param(MS__WAVE_EXP, "tau_plus", 0.0, MS_EINVAL);
	bad_param(MS__WAVE_EXP, "tau_minus", -3.0, MS_EINVAL);
	bad_param(MS__WAVE_EXP, "A_plus", -1.0, MS_EINVAL);
	bad_param(MS__WAVE_EXP, "A_minus", -0.5, MS_EINVAL);
	bad_param(MS__WAVE_RECT_RAMP, "T_plus", -2.0, MS_EINVAL);
	bad_param(MS__WAVE_RECT_RAMP, "tau_plus", 3.0, MS_ENOENT);
	bad_param(MS__WAVE_EXP, "width", 3.0, MS_ENOENT);

	/* Fields written directly are checked again at prepare. */
	zam_wave(&w);
	w.T_minus = 0;
	ck_assert_int_eq(ms__wave_prepare(&w, err, sizeof(err)), MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "T_minus"));
	zam_wave(&w);
	w.tau_plus = -1;
	ck_assert_int_eq(ms__wave_prepare(&w, err, sizeof(err)), MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "tau_plus"));

	memset(&w, 0, sizeof(w));
	w.shape = MS__WAVE_TABLE;
	ck_assert_int_eq(ms__wave_set_table(&w, s_ok, v_ok, 1, err, 256),
	                 MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "at least 2"));
	ck_assert_int_eq(ms__wave_set_table(&w, s_dup, v_ok, 3, err, 256),
	                 MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "strictly increasing"));
	ck_assert_int_eq(ms__wave_set_table(&w, s_ok, v_nan, 3, err, 256),
	                 MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not finite"));
	ck_assert_int_eq(ms__wave_prepare(&w, err, sizeof(err)), MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "table"));
	ms__wave_free(&w);
}
END_TEST

START_TEST(setup_bad_input)
{
	double p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS];
	const ms__device_model *m = law(p, opt);
	ms__wstdp c;
	char err[256];

	zam_wave(&W);
	ck_assert_int_eq(ms__wstdp_setup(&c, &W, &W, -1, 0, m, p, opt, 1e-9, 0,
	                                 0.05, err, sizeof(err)),
	                 MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "k = -1"));
	ck_assert_int_eq(ms__wstdp_setup(&c, &W, &W, 0.9, 0, m, p, opt, 0, 0,
	                                 0.05, err, sizeof(err)),
	                 MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "tol"));
	ck_assert_int_eq(ms__wstdp_setup(&c, &W, &W, 0.9, 0, m, p, opt, 1e-9, 1,
	                                 0, err, sizeof(err)),
	                 MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "kernel_step"));
	ck_assert_int_eq(ms__wstdp_setup(&c, &W, &W, 0.9, 0,
	                                 ms__device_lookup("pulse_exp"), p, opt,
	                                 1e-9, 0, 0.05, err, sizeof(err)),
	                 MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "rate law"));
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Waveform STDP: the Zamarreño example                                     */

/* An isolated spike stays below threshold (A+ = V_th, k A+ < V_th): no
 * change, exactly; nor does a pair too far apart to overlap. */
START_TEST(isolated_spike_no_change)
{
	for (int fast = 0; fast <= 1; fast++) {
		ms__wstdp c;
		double I[2], e, t = 12.5;
		zam_ctx(&c, fast, 1e-9);
		ms__wstdp_increment(&c, NULL, 0, NULL, 0, 0, t, I, &e);
		ck_assert(I[0] == 0 && I[1] == 0);
		ms__wstdp_increment(&c, NULL, 0, NULL, 0, 1, t, I, &e);
		ck_assert(I[0] == 0 && I[1] == 0);
		ck_assert(ms__wstdp_pair(&c, 80.0, 0.5) == 0);
		ck_assert(ms__wstdp_pair(&c, -80.0, 0.5) == 0);
		ck_assert(ms__wstdp_pair(&c, 200.0, 0.5) == 0);
		ms__wstdp_free(&c);
	}
}
END_TEST

/* The dT where pair(dT) changes between zero and non-zero (or crosses
 * level), by bisection between a (inside) and b (outside). */
static double edge(const ms__wstdp *c, double a, double b, double level)
{
	for (int i = 0; i < 80; i++) {
		double m = 0.5 * (a + b);
		if (fabs(ms__wstdp_pair(c, m, 0.5)) > level)
			a = m;
		else
			b = m;
	}
	return 0.5 * (a + b);
}

static double peak_of(const ms__wstdp *c)
{
	double pk = 0;

	for (double x = 0; x <= 2; x += 0.001)
		pk = fmax(pk, ms__wstdp_pair(c, x, 0.5));
	return pk;
}

/*
 * Window edges. Analytically: for dT > 0 the post spike's peak A+ = V_th
 * meets the pre tail, so V = V_th + k A- f(dT) > V_th at the post spike
 * for every dT < T- (f the normalised tail, f(T-) = 0): the LTP edge is
 * T- = 75 ms exactly. For dT < 0, |V| peaks at the pre arrival, where the
 * post tail adds A- f(-dT) to k A+: the LTD edge is where
 * A- f(x) = V_th - k A+, i.e.
 *     dT = tau- ln(e^{-T-/tau-} + (1 - e^{-T-/tau-}) (V_th - k A+) / A-)
 *        = -28.3675 ms.
 * Measured by bisection on pair != 0: within 1e-6 ms of these (the
 * threshold crossings are located to ~1e-11 ms). The "roughly
 * -27 ms < dT < 68 ms" is the visible extent of the published curve: the
 * window is tiny near its exact edges (quadratic onset), and the points
 * where |dw| falls to 1e-3 of the LTP peak lie within 2 ms of -27 and 68.
 */
START_TEST(window_edges)
{
	ms__wstdp c;
	double em = exp(-TM / TAUM);
	double ltd = TAUM * log(em + (1 - em) * (VTH - KATT * AP) / AM);
	double ltp = TM, e1, e2, pk, v1, v2;

	zam_ctx(&c, 0, 1e-9);
	e1 = edge(&c, -20, -40, 0);
	e2 = edge(&c, 60, 80, 0);
	printf("window edges: LTD %.9f ms (analytic %.9f), LTP %.9f ms "
	       "(analytic %.9f)\n",
	       e1, ltd, e2, ltp);
	ck_assert_double_eq_tol(e1, ltd, 1e-6);
	ck_assert_double_eq_tol(e2, ltp, 1e-6);
	pk = peak_of(&c);
	v1 = edge(&c, -20, -40, 1e-3 * pk);
	v2 = edge(&c, 50, 75, 1e-3 * pk);
	printf("|dw| > 1e-3 of the peak for %.4f < dT < %.4f ms\n", v1, v2);
	ck_assert_double_eq_tol(v1, -27.0, 2.0);
	ck_assert_double_eq_tol(v2, 68.0, 2.0);
	ms__wstdp_free(&c);
}
END_TEST

/*
 * Extremes and areas. LTP maximum in (0, 1) ms, LTD minimum in (-1, 0) ms
 * ("just after / just before 0"); the LTD peak is -39% of the LTP peak,
 * +- 1 percentage point (the issue says "about"); the ratio of the areas
 * (integrals of the negative and positive parts, composite Simpson at
 * 0.005 ms over the window) is 0.22 +- 0.02 as the issue demands.
 */
START_TEST(extremes_and_areas)
{
	ms__wstdp c;
	double pk = 0, pkx = 0, mn = 0, mnx = 0, pos = 0, neg = 0;
	const double a = -30, b = 76, h = 0.005;
	long n = (long)((b - a) / h + 0.5);

	zam_ctx(&c, 0, 1e-9);
	for (double x = -2; x <= 2; x += 0.001) {
		double v = ms__wstdp_pair(&c, x, 0.5);
		if (v > pk)
			pk = v, pkx = x;
		if (v < mn)
			mn = v, mnx = x;
	}
	for (long j = 0; j <= n; j++) {
		double v = ms__wstdp_pair(&c, a + j * h, 0.5);
		double wgt = (j == 0 || j == n) ? 1 : (j & 1) ? 4 : 2;
		if (v > 0)
			pos += wgt * h / 3 * v;
		else
			neg -= wgt * h / 3 * v;
	}
	printf("LTP peak %.6g at %.3f ms, LTD peak %.6g at %.3f ms, ratio "
	       "%.4f; areas LTP %.6g LTD %.6g ms, LTD/LTP %.4f\n",
	       pk, pkx, mn, mnx, mn / pk, pos, neg, neg / pos);
	ck_assert(pkx > 0 && pkx < 1);
	ck_assert(mnx < 0 && mnx > -1);
	ck_assert_double_eq_tol(mn / pk, -0.39, 0.01);
	ck_assert_double_eq_tol(neg / pos, 0.22, 0.02);
	ms__wstdp_free(&c);
}
END_TEST

/* Pairs against the brute-force integral: within 1e-9 of the peak (the
 * library's target; the reference, Simpson at 2e-4 ms on smooth parts,
 * is far more accurate), and the library's error estimates stay within
 * the target. */
START_TEST(exact_pair_vs_brute_force)
{
	static const double dts[] = {-27, -10,  -3, -0.42, 0, 0.58,
	                             2,   4.99, 5,  30,    67};
	ms__wstdp c;
	double pk, worst = 0;

	zam_ctx(&c, 0, 1e-9);
	pk = peak_of(&c);
	for (size_t i = 0; i < sizeof(dts) / sizeof(dts[0]); i++) {
		spk s[2] = {{0.0, 0}, {dts[i], 1}};
		double R[2], I[2], J[2], e1, e2;
		brute(s, 2, R);
		ms__wstdp_exact(&c, NULL, NULL, 0, NULL, 0, 0, 0.0, I, &e1);
		ms__wstdp_exact(&c, NULL, &s[0].t, 1, NULL, 0, 1, dts[i], J,
		                &e2);
		for (int k = 0; k < 2; k++) {
			worst = fmax(worst, fabs(I[k] + J[k] - R[k]) / pk);
			ck_assert_msg(fabs(I[k] + J[k] - R[k]) <= 1e-9 * pk,
			              "dT %g part %d: %.12g vs brute %.12g",
			              dts[i], k, I[k] + J[k], R[k]);
		}
		ck_assert(e1 + e2 <= c.tol);
	}
	printf("exact vs brute force, pairs: largest difference %.3g of the "
	       "peak\n",
	       worst);
	ms__wstdp_free(&c);
}
END_TEST

/* Fast (pair kernels, step 0.05 ms) against exact over the whole
 * overlap range at 0.01 ms: within 1% of the LTP peak, as the issue
 * demands. */
START_TEST(fast_vs_exact_pairs)
{
	ms__wstdp c, f;
	double pk, worst = 0, at = 0;

	zam_ctx(&c, 0, 1e-9);
	zam_ctx(&f, 1, 1e-9);
	pk = peak_of(&c);
	for (long i = -8500; i <= 8500; i++) {
		double x = i * 0.01, d;
		d = fabs(ms__wstdp_pair(&c, x, 0.5) -
		         ms__wstdp_pair(&f, x, 0.5));
		if (d > worst)
			worst = d, at = x;
	}
	printf("fast vs exact, isolated pairs: max difference %.3g of the "
	       "peak at dT = %.2f ms\n",
	       worst / pk, at);
	ck_assert_msg(worst <= 0.01 * pk, "max difference %g of the peak",
	              worst / pk);
	ms__wstdp_free(&c);
	ms__wstdp_free(&f);
}
END_TEST

/* The Zamarreño set-up in fast mode with kernel grid step h (ms). */
static void zam_fast(ms__wstdp *c, double h)
{
	double p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS];
	const ms__device_model *m = law(p, opt);
	char err[256];

	zam_wave(&W);
	ck_assert_msg(ms__wstdp_setup(c, &W, &W, KATT, 0, m, p, opt, 1e-9, 1, h,
	                              err, sizeof(err)) == MS_OK,
	              "%s", err);
}

/* |sum - (I[0] + I[1])| at x, and whether sum is 0 wherever it must be. */
static double sum_vs_parts(const ms__wkernel *K, double x, double *part)
{
	double I[2], s = ms__wkernel_sum(K, x);

	ms__wkernel_eval(K, x, I);
	*part = fmax(*part, fmax(fabs(I[0]), fabs(I[1])));
	if (!(x >= K->z0 && x < K->z_end))
		ck_assert_msg(s == 0.0 && I[0] == 0.0 && I[1] == 0.0,
		              "x = %.17g outside [z0, z_end): sum %g", x, s);
	return fabs(s - (I[0] + I[1]));
}

/*
 * Rules whose device has F = 1 read the kernels as one cubic of the sum
 * I[0] + I[1] (ms__wkernel_sum): the same interpolant with its two parts'
 * coefficients added, rounded differently. Checked on the three kernels
 * of the Zamarreño set-up, on a 1e-3 ms scan past both ends of the
 * support and at every interval start and its neighbouring doubles, for
 * kernel steps of 0.05 ms (intervals on one uniform grid, found by
 * division) and 0.07 ms (segments with different steps, found through
 * the cell table). Tolerance 1e-14 of the largest part value: adding the
 * coefficients and Horner's rule cost a few ulp of it, and within ~1e-12
 * of a step of a node the uniform grid may take the neighbouring cubic,
 * equal at the node to rounding (measured: 1e-15). Outside [z0, z_end)
 * both are exactly 0.
 */
START_TEST(summed_kernels_match_parts)
{
	static const double steps[] = {0.05, 0.07};

	for (int k = 0; k < 2; k++) {
		ms__wstdp c;
		const ms__wkernel *Ks[3] = {&c.k_pp, &c.k_pre, &c.k_post};
		zam_fast(&c, steps[k]);
		ck_assert_int_eq(c.k_pp.uniform, k == 0);
		for (int j = 0; j < 3; j++) {
			const ms__wkernel *K = Ks[j];
			double worst = 0.0, part = 0.0;
			ck_assert(!K->zero && K->nint > 0);
			for (double x = K->x0 - 1.0; x <= K->x1 + 1.0;
			     x += 1e-3)
				worst = fmax(worst, sum_vs_parts(K, x, &part));
			for (size_t i = 0; i <= K->nint; i++) {
				double x = K->iv[i * MS__WK_STRIDE];
				worst = fmax(worst, sum_vs_parts(K, x, &part));
				worst = fmax(
				    worst,
				    sum_vs_parts(K, nextafter(x, -INFINITY),
				                 &part));
				worst =
				    fmax(worst,
				         sum_vs_parts(K, nextafter(x, INFINITY),
				                      &part));
			}
			printf(
			    "summed kernel %d, step %.2f ms: max |sum - parts| "
			    "%.3g of the largest part\n",
			    j, steps[k], worst / part);
			ck_assert(part > 0.0);
			ck_assert_msg(
			    worst <= 1e-14 * part,
			    "kernel %d step %g: %g of the largest part", j,
			    steps[k], worst / part);
		}
		ms__wstdp_free(&c);
	}
}
END_TEST

/* Largest relative change of the pair results when tol is halved, over
 * dT in [-100, 100] ms (values below 1e-6 of the peak left out: there
 * the absolute target dominates by design). */
static double halving(double tol)
{
	ms__wstdp c1, c2;
	double worst = 0;

	zam_ctx(&c1, 0, tol);
	zam_ctx(&c2, 0, 0.5 * tol);
	for (int i = -100; i <= 100; i++)
		for (int j = 0; j < 3; j++) {
			double x = i + 0.29 * j;
			double a = ms__wstdp_pair(&c1, x, 0.5);
			double b = ms__wstdp_pair(&c2, x, 0.5);
			if (fabs(a) < 1e-6 * c1.scale)
				continue;
			worst = fmax(worst, fabs(a - b) / fabs(a));
		}
	ms__wstdp_free(&c1);
	ms__wstdp_free(&c2);
	return worst;
}

/* Halving tol changes every exact pair result by less than 0.1% of its
 * value: at the default 1e-9 and at the coarsest tolerances allowed. */
START_TEST(tolerance_halving)
{
	static const double tols[] = {1e-9, 1e-6, 1e-3, 1e-2};

	for (size_t i = 0; i < sizeof(tols) / sizeof(tols[0]); i++) {
		double w = halving(tols[i]);
		printf("tol %g -> %g: largest relative change %.3g\n", tols[i],
		       0.5 * tols[i], w);
		ck_assert(w < 1e-3);
	}
}
END_TEST

/* The sinh law A sinh(V/V0) for |V| > V_th, A = 1 Hz, as written in
 * Strukov & Williams 2009 style models; V0 and V_th set by the test. */
static double sh_V0, sh_Vth;

static double ref_sinh(double V)
{
	return fabs(V) <= sh_Vth ? 0.0 : 1e-3 * sinh(V / sh_V0);
}

/*
 * The sinh law, with no threshold (the integrand spans the whole 80 ms of
 * the waveforms and changes sign with V) and with a threshold where g
 * jumps (V_th = 950 mV): pairs and singles against the brute-force
 * integral (within 1e-9 of the largest pair change, the target), and
 * halving tol changes results by less
 * than 0.1% of the value at every allowed tolerance.
 */
START_TEST(sinh_law)
{
	static const double vth[] = {0.0, 950.0};
	const ms__device_model *m = ms__device_lookup("sinh");
	double p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS] = {0};
	char err[256];

	ck_assert_ptr_nonnull(m);
	zam_wave(&W);
	for (size_t k = 0; k < m->n_params; k++)
		p[k] = m->params[k].def;
	for (int i = 0; i < 2; i++) {
		ms__wstdp c;
		double scale;
		sh_V0 = 50.0;
		sh_Vth = vth[i];
		for (size_t k = 0; k < m->n_params; k++) {
			if (strcmp(m->params[k].name, "V0") == 0)
				p[k] = sh_V0;
			if (strcmp(m->params[k].name, "V_th") == 0)
				p[k] = sh_Vth;
		}
		ck_assert_int_eq(ms__wstdp_setup(&c, &W, &W, KATT, 0, m, p, opt,
		                                 1e-9, 0, 0.05, err, 256),
		                 0);
		scale = c.scale;
		for (double x = -60; x <= 60; x += 7.3) {
			spk s[2] = {{0.0, 0}, {x, 1}};
			double R[2], I[2], J[2], e;
			brute_vth = sh_Vth;
			brute_g(s, 2, ref_sinh, R);
			ms__wstdp_exact(&c, NULL, NULL, 0, NULL, 0, 0, 0.0, I,
			                &e);
			ms__wstdp_exact(&c, NULL, &s[0].t, 1, NULL, 0, 1, x, J,
			                &e);
			for (int k = 0; k < 2; k++)
				ck_assert_msg(fabs(I[k] + J[k] - R[k]) <=
				                  1e-9 * scale,
				              "V_th %g dT %g part %d: %.12g vs "
				              "%.12g",
				              sh_Vth, x, k, I[k] + J[k], R[k]);
		}
		for (double tol = 1e-9; tol <= 1e-2; tol *= 1e3) {
			ms__wstdp c2;
			double worst = 0;
			ck_assert_int_eq(ms__wstdp_setup(&c, &W, &W, KATT, 0, m,
			                                 p, opt, tol, 0, 0.05,
			                                 err, 256),
			                 0);
			ck_assert_int_eq(ms__wstdp_setup(&c2, &W, &W, KATT, 0,
			                                 m, p, opt, tol / 2, 0,
			                                 0.05, err, 256),
			                 0);
			for (double x = -80; x <= 80; x += 0.83) {
				double a = ms__wstdp_pair(&c, x, 0.5);
				double b = ms__wstdp_pair(&c2, x, 0.5);
				if (fabs(a) >= 1e-6 * scale)
					worst =
					    fmax(worst, fabs(a - b) / fabs(a));
			}
			printf("sinh, V_th %g mV: tol %g -> %g: largest "
			       "relative change %.3g\n",
			       sh_Vth, tol, tol / 2, worst);
			ck_assert(worst < 1e-3);
			ms__wstdp_free(&c2);
		}
		ms__wstdp_free(&c);
	}
}
END_TEST

/* Sum of the increments of spikes s[0..n-1] added in the order ord. */
static void add_in_order(const ms__wstdp *c, const spk *s, const int *ord,
                         int n, double tot[2])
{
	tot[0] = tot[1] = 0;
	for (int k = 0; k < n; k++) {
		double pre[3], post[3], I[2];
		size_t np = 0, nq = 0;
		for (int j = 0; j < k; j++) {
			const spk *q = &s[ord[j]];
			if (q->post)
				post[nq++] = q->t;
			else
				pre[np++] = q->t;
		}
		if (c->fast == MS__WSTDP_EXACT)
			ms__wstdp_exact(c, NULL, pre, np, post, nq,
			                s[ord[k]].post, s[ord[k]].t, I, NULL);
		else
			ms__wstdp_increment(c, pre, np, post, nq,
			                    s[ord[k]].post, s[ord[k]].t, I,
			                    NULL);
		tot[0] += I[0];
		tot[1] += I[1];
	}
}

/*
 * A device driven far above its threshold: k = 5.9 (the reproducer was
 * examples/stdp_learning.yaml with k 5.9, mode hybrid). Two pre-synaptic
 * waveforms 0.5 ms apart put up to about 11.8 V across the device, where
 * g is some e^41 times its largest value in an isolated pair: the
 * quadrature's absolute target (1e-9 of that pair) lies far below the
 * rounding of the integrand, and the adaptive Gauss-Kronrod once halved
 * without end there. It must stop at the rounding floor and still be
 * right: the three exact increments, summed, agree with the brute-force
 * integral over the superposition within 1e-9 of its size, for post
 * spikes before, among and after the pre arrivals.
 */
START_TEST(strong_drive_terminates)
{
	double p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS];
	const ms__device_model *m = law(p, opt);
	char err[256];
	ms__wstdp c;

	zam_wave(&W);
	ck_assert_msg(ms__wstdp_setup(&c, &W, &W, 5.9, 0, m, p, opt, 1e-9,
	                              MS__WSTDP_EXACT, 0.05, err,
	                              sizeof(err)) == MS_OK,
	              "%s", err);
	ref_k = 5.9;
	brute_vth = VTH;
	for (double x = -9.0; x <= 9.0; x += 2.25) {
		spk s[3] = {{0.0, 0}, {0.5, 0}, {x, 1}};
		static const int ord[3] = {0, 1, 2};
		double tot[2], R[2];
		add_in_order(&c, s, ord, 3, tot);
		brute_g(s, 3, ref_g, R);
		for (int k = 0; k < 2; k++) {
			ck_assert(isfinite(tot[k]));
			ck_assert_msg(fabs(tot[k] - R[k]) <=
			                  1e-9 * (fabs(R[0]) + fabs(R[1])),
			              "post at %g ms, part %d: %.15g vs %.15g",
			              x, k, tot[k], R[k]);
		}
	}
	ref_k = KATT;
	ms__wstdp_free(&c);
}
END_TEST

/*
 * Triplets, two post spikes around one pre arrival, all three waveforms
 * overlapping: the exact increments, added in each of the 6 orders, sum to
 * the brute-force integral over the superposition within 1e-9 of the pair
 * peak (telescoping). Hybrid mode (kernels for the first two spikes, exact
 * for the third) agrees with it to 1% of the peak, as pairs do. Fast mode
 * is what its documentation says, singles plus the three pair kernels; its
 * error against the truth is printed (docs/synapses.md quotes it).
 */
START_TEST(triplet_telescoping)
{
	static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
	                               {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	static const double cases[2][2] = {{-4.0, 1.5}, {-20.0, 20.0}};
	ms__wstdp c, f, h;
	double pk;

	zam_ctx(&c, MS__WSTDP_EXACT, 1e-9);
	zam_ctx(&f, MS__WSTDP_FAST, 1e-9);
	zam_ctx(&h, MS__WSTDP_HYBRID, 1e-9);
	pk = peak_of(&c);
	for (int i = 0; i < 2; i++) {
		double a = cases[i][0], b = cases[i][1], R[2], T[2], F[2];
		double P[2] = {0, 0}, K[2];
		spk s[3] = {{a, 1}, {0.0, 0}, {b, 1}};
		brute(s, 3, R);
		for (int o = 0; o < 6; o++) {
			add_in_order(&c, s, perm[o], 3, T);
			for (int k = 0; k < 2; k++)
				ck_assert_msg(
				    fabs(T[k] - R[k]) <= 1e-9 * pk,
				    "order %d part %d: %.12g vs %.12g", o, k,
				    T[k], R[k]);
		}
		add_in_order(&h, s, perm[0], 3, T);
		ck_assert(fabs(T[0] + T[1] - R[0] - R[1]) <= 0.01 * pk);
		add_in_order(&f, s, perm[0], 3, F);
		for (int k = 0; k < 2; k++)
			P[k] = 2 * f.single_post[k] + f.single_pre[k];
		ms__wkernel_eval(&f.k_pp, a, K);
		P[0] += K[0], P[1] += K[1];
		ms__wkernel_eval(&f.k_pp, b, K);
		P[0] += K[0], P[1] += K[1];
		ms__wkernel_eval(&f.k_post, b - a, K);
		P[0] += K[0], P[1] += K[1];
		for (int k = 0; k < 2; k++)
			ck_assert_double_eq_tol(F[k], P[k], 1e-12 * pk);
		printf("triplet post %g, pre 0, post %g ms: exact %.4g, fast "
		       "%.4g (error %.3g of the pair peak), hybrid %.4g\n",
		       a, b, R[0] + R[1], F[0] + F[1],
		       fabs(F[0] + F[1] - R[0] - R[1]) / pk, T[0] + T[1]);
	}
	ms__wstdp_free(&c);
	ms__wstdp_free(&f);
	ms__wstdp_free(&h);
}
END_TEST

/*
 * A single rect_ramp spike with A+, A- above the threshold: a constant
 * plateau, and a ramp crossing -V_th inside a piece. Closed forms, with
 * c = I0 1e-3, E = e^{V_th/V0}:
 *     I_+ = T+ c (e^{A+/V0} - E),
 *     I_- = -c (T-/A-) [V0 (e^{A-/V0} - E) - (A- - V_th) E].
 * Tolerance 1e-9 relative (the target is 1e-10 of the largest value).
 */
START_TEST(rect_ramp_closed_form)
{
	const double Ap = 1200, Tp = 2, Am = 1100, Tm = 10;
	double p[MS__DEV_MAX_PARAMS], I[2], c = I0 * 1e-3;
	double E = exp(VTH / V0), ip, im;
	int opt[MS__DEV_MAX_PARAMS];
	const ms__device_model *m = law(p, opt);
	ms__waveform w = {.shape = MS__WAVE_RECT_RAMP,
	                  .A_plus = Ap,
	                  .T_plus = Tp,
	                  .A_minus = Am,
	                  .T_minus = Tm};
	ms__wstdp ctx;
	char err[256];

	ck_assert_int_eq(ms__wave_prepare(&w, err, sizeof(err)), 0);
	ck_assert_int_eq(ms__wstdp_setup(&ctx, &w, &w, 0.5, 0, m, p, opt, 1e-10,
	                                 0, 0.05, err, sizeof(err)),
	                 0);
	ip = Tp * c * (exp(Ap / V0) - E);
	im = -c * (Tm / Am) * (V0 * (exp(Am / V0) - E) - (Am - VTH) * E);
	ms__wstdp_increment(&ctx, NULL, 0, NULL, 0, 1, 3.0, I, NULL);
	ck_assert_double_eq_tol(I[0], ip, 1e-9 * fabs(ip));
	ck_assert_double_eq_tol(I[1], im, 1e-9 * fabs(im));
	ck_assert_double_eq_tol(ctx.single_post[1], im, 1e-9 * fabs(im));
	ms__wstdp_free(&ctx);
}
END_TEST

/* "sum" with a pre waveform -T equals "difference" with T (a table),
 * exactly: the combination only flips the sign of the pre term. */
START_TEST(combine_sum_is_negated_pre)
{
	static const double ts[] = {-4, -1, 0, 0.001, 20};
	static const double tv[] = {0, 800, 1000, -300, 0};
	double nv[5], p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS];
	const ms__device_model *m = law(p, opt);
	ms__waveform t1 = {.shape = MS__WAVE_TABLE};
	ms__waveform t2 = {.shape = MS__WAVE_TABLE};
	ms__wstdp c1, c2;
	char err[256];
	double any = 0;

	for (int k = 0; k < 5; k++)
		nv[k] = -tv[k];
	zam_wave(&W);
	ck_assert_int_eq(ms__wave_set_table(&t1, ts, tv, 5, err, 256), 0);
	ck_assert_int_eq(ms__wave_set_table(&t2, ts, nv, 5, err, 256), 0);
	ck_assert_int_eq(ms__wave_prepare(&t1, err, 256), 0);
	ck_assert_int_eq(ms__wave_prepare(&t2, err, 256), 0);
	ck_assert_int_eq(ms__wstdp_setup(&c1, &t1, &W, 0.9, 0, m, p, opt, 1e-9,
	                                 0, 0.05, err, 256),
	                 0);
	ck_assert_int_eq(ms__wstdp_setup(&c2, &t2, &W, 0.9, 1, m, p, opt, 1e-9,
	                                 0, 0.05, err, 256),
	                 0);
	for (double x = -30; x <= 30; x += 0.7) {
		double a = ms__wstdp_pair(&c1, x, 0.5);
		double b = ms__wstdp_pair(&c2, x, 0.5);
		ck_assert_double_eq_tol(a, b, 1e-12 * c1.scale);
		any = fmax(any, fabs(a));
	}
	ck_assert(any > 0.1 * c1.scale);
	ms__wstdp_free(&c1);
	ms__wstdp_free(&c2);
	ms__wave_free(&t1);
	ms__wave_free(&t2);
}
END_TEST

/* A projection of n synapses onto one post unit, with the rule in mode
 * mode and an exp_threshold device (I0 = 0.01 Hz so that w stays inside
 * its bounds), built without the engine. */
typedef struct bench {
	ms__proj j;
	ms__plast pl;
	uint32_t target[2];
	double weight[2], w[2];
} bench;

static void bench_init(bench *b, const char *mode)
{
	char err[256];

	memset(b, 0, sizeof(*b));
	zam_wave(&W);
	ms__plast_init(&b->pl, &ms__rule_stdp_waveform);
	ms__device_cfg_set_model(&b->pl.dcfg,
	                         ms__device_lookup("exp_threshold"));
	ck_assert_int_eq(
	    ms__device_set_param(&b->pl.dcfg, "I0", 0.01, err, 256), 0);
	ck_assert_int_eq(
	    ms__device_set_param(&b->pl.dcfg, "w_init", 0.2, err, 256), 0);
	ck_assert_int_eq(ms__plast_set_param(&b->pl, "k", KATT, err, 256), 0);
	ck_assert_int_eq(ms__plast_set_option(&b->pl, "mode", mode, err, 256),
	                 0);
	b->j.n = 2;
	b->j.target = b->target;
	b->j.weight = b->weight;
	b->pl.proj = &b->j;
	b->pl.n_pre = 2;
	b->pl.n_post = 1;
	b->pl.wpre = b->pl.wpost = &W;
	b->pl.w = b->w;
	b->pl.eff = 1.0;
	ck_assert_int_eq(
	    ms__device_build(&b->pl.dev, &b->pl.dcfg, 2, 1, 0, b->w, err, 256),
	    0);
	ck_assert_msg(ms__rule_stdp_waveform.build(&b->pl, err, 256) == 0, "%s",
	              err);
}

static void bench_free(bench *b)
{
	ms__rule_stdp_waveform.destroy(&b->pl);
	ms__device_free(&b->pl.dev);
}

/*
 * The rule, driven without the engine: 10 pairings 1 s apart, synapse 0
 * with pre 2 ms before the post spike, synapse 1 with pre 28 ms after it.
 * Each pairing is isolated, so each synapse changes by 10 times the pair
 * change (F = 1, no noise, inside the bounds): to rounding (1e-12) in
 * exact mode, to 1% of the pair peak per pairing in fast and hybrid modes.
 * Then a triplet on synapse 0 (post, pre 4 ms later, post 5.5 ms later):
 * in exact and hybrid modes its change is the sum of the exact increments
 * in time order (the rule remembers the earlier post spike; hybrid uses a
 * kernel for the second spike, hence 1% of the peak).
 */
START_TEST(rule_pairings_and_history)
{
	static const char *const modes[] = {"exact", "fast", "hybrid"};
	static const uint64_t syn[2] = {0, 1};
	static const int ord[3] = {0, 1, 2};
	spk s[3] = {{20000 - 4, 1}, {20000, 0}, {20000 + 1.5, 1}};
	double p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS];
	const ms__device_model *m = law(p, opt);
	ms__wstdp c;
	char err[256];

	ck_assert_str_eq(m->params[0].name, "I0");
	p[0] = 0.01;
	zam_wave(&W);
	ck_assert_int_eq(ms__wstdp_setup(&c, &W, &W, KATT, 0, m, p, opt, 1e-9,
	                                 0, 0.05, err, 256),
	                 0);
	for (int mode = 0; mode < 3; mode++) {
		double tol = mode ? 0.01 * c.scale : 1e-12, w0, w1, T[2];
		bench b;
		bench_init(&b, modes[mode]);
		for (int r = 0; r < 10; r++) {
			double t = 1000.0 * r;
			ms__rule_stdp_waveform.on_pre(&b.pl, t, 0, 1);
			ms__rule_stdp_waveform.on_post(&b.pl, t + 2, 0, syn, 2);
			ms__rule_stdp_waveform.on_pre(&b.pl, t + 30, 1, 1);
		}
		w0 = 0.2 + 10 * ms__wstdp_pair(&c, 2, 0.2);
		w1 = 0.2 + 10 * ms__wstdp_pair(&c, -28, 0.2);
		ck_assert_double_eq_tol(b.w[0], w0, 10 * tol);
		ck_assert_double_eq_tol(b.w[1], w1, 10 * tol);
		ck_assert(b.w[0] > 0.2 && b.w[1] < 0.2);
		if (mode != 1) {
			w0 = b.w[0];
			ms__rule_stdp_waveform.on_post(&b.pl, s[0].t, 0, syn,
			                               1);
			ms__rule_stdp_waveform.on_pre(&b.pl, s[1].t, 0, 1);
			ms__rule_stdp_waveform.on_post(&b.pl, s[2].t, 0, syn,
			                               1);
			add_in_order(&c, s, ord, 3, T);
			ck_assert_double_eq_tol(b.w[0], w0 + T[0] + T[1], tol);
		}
		bench_free(&b);
	}
	ms__wstdp_free(&c);
}
END_TEST

/*
 * The engine in fast mode against a replay of every synapse's events, in
 * time order (a pre arrival before a post spike at the same time),
 * through ms__wstdp_increment, which adds the kernels' two parts: the
 * rule (device F = 1) uses summed cubics and adds the spike's own part,
 * the kernels and the post-post values in another order, so the two
 * differ by rounding only. RS sources spike onto RT teacher units, all to
 * all, Zamarreño set-up at I0 = 3 mHz (w stays inside its bounds),
 * history 64 (nothing forgotten), with one delay (per-source histories,
 * the inline device loops) and with two (an extra silent source with
 * another delay: per-synapse histories), each with G linear in w and in
 * 1/w (linear_R: the rule's general device path; w evolves alike). Each
 * synapse sees about 230 events; each update rounds w (~0.5) by up to
 * 2^-53 and the increment, of at most ~1e-3, by a few ulp: tolerance
 * 1e-13 absolute, 4 times 230 x 2^-53 and far above the increments'
 * rounding (measured: 1.1e-16, one ulp of w).
 */
enum { RS = 6, RT = 3 };

static uint64_t split_mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Spike times from 5 ms to 3000 ms, gaps 2 ms plus an exponential of mean
 * mean_ms; returns how many (at most max). */
static size_t replay_train(double mean_ms, uint64_t *seed, double *t,
                           size_t max)
{
	size_t n = 0;

	for (double x = 5.0; n < max;) {
		double r = (double)(split_mix(seed) >> 11) * 0x1p-53;
		x += 2.0 - mean_ms * log1p(-r);
		if (x >= 3000.0)
			break;
		t[n++] = x;
	}
	return n;
}

static void replay_wave(ms_net *net, int pop)
{
	static const char *const names[] = {"A_plus",  "tau_plus",  "T_plus",
	                                    "A_minus", "tau_minus", "T_minus"};
	static const double values[] = {AP, TAUP, TP, AM, TAUM, TM};

	ck_assert_int_eq(ms_pop_set_waveform(net, pop, "exp"), MS_OK);
	for (int k = 0; k < 6; k++)
		ck_assert_int_eq(
		    ms_pop_set_waveform_param(net, pop, names[k], values[k]),
		    MS_OK);
}

#define RMAX 256

/* One synapse's final state from its events, as described above. */
static double replay_synapse(const ms__wstdp *c, const double *pre, size_t np,
                             const double *post, size_t nq, size_t *events)
{
	double w = 0.5;
	size_t a = 0, b = 0;

	while (a < np || b < nq) {
		int is_post = a == np || (b < nq && post[b] < pre[a]);
		double I[2];
		ms__wstdp_increment(c, pre, a, post, b, is_post,
		                    is_post ? post[b] : pre[a], I, NULL);
		if (I[0] != 0.0 || I[1] != 0.0)
			w = fmin(fmax(w + (I[0] + I[1]), 0.0), 1.0);
		is_post ? b++ : a++;
		(*events)++;
	}
	return w;
}

static double replay_run(int two_delays, int lin_R, size_t *moved,
                         size_t *events)
{
	enum { NSYN = (RS + 1) * RT };
	static double tp[RS][RMAX], tq[RT][RMAX];
	size_t np[RS], nq[RT];
	uint32_t a[NSYN], b[NSYN];
	double d[NSYN], w[NSYN], p[MS__DEV_MAX_PARAMS], worst = 0.0;
	int opt[MS__DEV_MAX_PARAMS];
	const ms__device_model *m = law(p, opt);
	ms_conn_spec cs = {.rule = MS_CONN_LIST,
	                   .pre = a,
	                   .post = b,
	                   .delays_ms = d,
	                   .n = NSYN};
	ms_syn_spec ss = {.weight = 1.0, .delay_ms = 1.0};
	uint64_t seed = 21;
	int pre, post, proj;
	ms__wstdp c;
	ms_net *net;
	char err[256];

	ck_assert_str_eq(m->params[0].name, "I0");
	p[0] = 0.003;
	zam_wave(&W);
	ck_assert_int_eq(ms__wstdp_setup(&c, &W, &W, KATT, 0, m, p, opt, 1e-9,
	                                 MS__WSTDP_FAST, 0.05, err, 256),
	                 MS_OK);
	ck_assert_int_eq(ms_net_create(NULL, &net), MS_OK);
	ck_assert_int_eq(
	    ms_net_add_population(net, "pre", "spike_source", RS + 1, &pre),
	    MS_OK);
	ck_assert_int_eq(
	    ms_net_add_population(net, "post", "spike_source", RT, &post),
	    MS_OK);
	for (uint32_t u = 0; u < RS + RT; u++) {
		double *t = u < RS ? tp[u] : tq[u - RS];
		size_t n = replay_train(u < RS ? 20.0 : 30.0, &seed, t, RMAX);
		uint32_t id = u < RS ? u : u - RS;
		for (size_t k = 0; k < n; k++)
			ck_assert_int_eq(
			    ms_spike_source_add(net, u < RS ? pre : post, &id,
			                        &t[k], 1),
			    MS_OK);
		*(u < RS ? &np[u] : &nq[u - RS]) = n;
		ck_assert(n < RMAX);
	}
	for (uint32_t k = 0; k < NSYN; k++) {
		a[k] = k / RT;
		b[k] = k % RT;
		d[k] = two_delays && a[k] == RS ? 1.5 : 1.0;
	}
	ck_assert_int_eq(ms_net_connect(net, pre, post, &cs, &ss, &proj),
	                 MS_OK);
	replay_wave(net, pre);
	replay_wave(net, post);
	ck_assert_int_eq(ms_proj_set_plasticity(net, proj, "stdp_waveform"),
	                 MS_OK);
	ck_assert_int_eq(ms_proj_set_plasticity_param(net, proj, "k", KATT),
	                 MS_OK);
	ck_assert_int_eq(ms_proj_set_plasticity_param(net, proj, "history", 64),
	                 MS_OK);
	ck_assert_int_eq(
	    ms_proj_set_plasticity_option(net, proj, "mode", "fast"), MS_OK);
	ck_assert_int_eq(ms_proj_set_device(net, proj, "exp_threshold"), MS_OK);
	ck_assert_int_eq(ms_proj_set_device_param(net, proj, "V_th", VTH),
	                 MS_OK);
	ck_assert_int_eq(ms_proj_set_device_param(net, proj, "V0", V0), MS_OK);
	ck_assert_int_eq(ms_proj_set_device_param(net, proj, "I0", 0.003),
	                 MS_OK);
	ck_assert_int_eq(ms_proj_set_device_param(net, proj, "w_init", 0.5),
	                 MS_OK);
	if (lin_R) {
		ck_assert_int_eq(
		    ms_proj_set_device_option(net, proj, "mapping", "linear_R"),
		    MS_OK);
		ck_assert_int_eq(
		    ms_proj_set_device_param(net, proj, "G_min", 10.0), MS_OK);
		ck_assert_int_eq(
		    ms_proj_set_device_param(net, proj, "G_max", 100.0), MS_OK);
	}
	ck_assert_msg(ms_net_run(net, 3100.0) == MS_OK, "%s",
	              ms_net_errmsg(net));
	ck_assert_int_eq(ms_proj_get_state(net, proj, w, NULL), MS_OK);
	for (uint32_t k = 0; k < RS * RT; k++) {
		double arr[RMAX], r;
		for (size_t j = 0; j < np[a[k]]; j++)
			arr[j] = tp[a[k]][j] + 1.0;
		r = replay_synapse(&c, arr, np[a[k]], tq[b[k]], nq[b[k]],
		                   events);
		worst = fmax(worst, fabs(w[k] - r));
		*moved += w[k] != 0.5 && w[k] > 0.0 && w[k] < 1.0;
	}
	ms_net_destroy(net);
	ms__wstdp_free(&c);
	return worst;
}

START_TEST(fast_engine_matches_replay)
{
	static const char *const paths[] = {"one delay", "two delays",
	                                    "one delay, linear_R",
	                                    "two delays, linear_R"};

	for (int v = 0; v < 4; v++) {
		size_t moved = 0, events = 0;
		double worst = replay_run(v & 1, v >> 1, &moved, &events);
		printf("fast mode, %s: engine vs replay max |dw| %.3g "
		       "(%zu events per synapse)\n",
		       paths[v], worst, events / (RS * RT));
		ck_assert_uint_eq(moved, RS * RT);
		ck_assert_msg(worst <= 1e-13, "%s: max |dw| %g", paths[v],
		              worst);
	}
}
END_TEST

Suite *stdp_waveform_suite(void)
{
	Suite *s = suite_create("stdp_waveform");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 600);

	tcase_add_test(tc, wave_exp_shape);
	tcase_add_test(tc, wave_rect_ramp_and_table);
	tcase_add_test(tc, wave_bad_input);
	tcase_add_test(tc, setup_bad_input);
	tcase_add_test(tc, isolated_spike_no_change);
	tcase_add_test(tc, window_edges);
	tcase_add_test(tc, extremes_and_areas);
	tcase_add_test(tc, exact_pair_vs_brute_force);
	tcase_add_test(tc, fast_vs_exact_pairs);
	tcase_add_test(tc, summed_kernels_match_parts);
	tcase_add_test(tc, fast_engine_matches_replay);
	tcase_add_test(tc, tolerance_halving);
	tcase_add_test(tc, triplet_telescoping);
	tcase_add_test(tc, sinh_law);
	tcase_add_test(tc, strong_drive_terminates);
	tcase_add_test(tc, rule_pairings_and_history);
	tcase_add_test(tc, rect_ramp_closed_form);
	tcase_add_test(tc, combine_sum_is_negated_pre);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stdp_waveform_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}

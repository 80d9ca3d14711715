/*
 * check_device — memristive device models (synapses/device.c): every law
 * against its closed form, windows, threshold bands, the conductance
 * mappings, levels, and the statistics and reproducibility of the
 * non-idealities; bad input.
 *
 * Tolerances: the closed forms below are the papers' formulas written out
 * independently (in volts, ohms and seconds where the paper uses them) and
 * agree with the library to rounding, 1e-12 relative. Statistical checks
 * use 10^5 devices or draws: means within 4 standard errors, sample SDs
 * within 2% of sigma (the SE of a sample SD is sigma/sqrt(2n) = 0.22% of
 * sigma here, so 2% is about 9 SE).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "synapses/device.h"

#define NBIG 100000
#define REL  1e-12

static void close_rel(double got, double want, const char *what)
{
	double tol = REL * fabs(want);

	ck_assert_msg(fabs(got - want) <= tol, "%s: got %.17g, expected %.17g",
	              what, got, want);
}

static ms__device_cfg cfg_of(const char *model)
{
	ms__device_cfg c;

	ms__device_cfg_init(&c);
	if (model) {
		const ms__device_model *m = ms__device_lookup(model);

		ck_assert_msg(m != NULL, "model %s", model);
		ms__device_cfg_set_model(&c, m);
	}
	return c;
}

static void setp(ms__device_cfg *c, const char *name, double v)
{
	char err[512] = "";
	int rc = ms__device_set_param(c, name, v, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s = %g: %s", name, v, err);
}

static void seto(ms__device_cfg *c, const char *name, const char *v)
{
	char err[512] = "";
	int rc = ms__device_set_option(c, name, v, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s = %s: %s", name, v, err);
}

static void build(ms__device *d, const ms__device_cfg *c, uint64_t n,
                  uint64_t seed, uint32_t owner, double *w)
{
	char err[512] = "";
	int rc = ms__device_build(d, c, n, seed, owner, w, err, sizeof(err));

	ck_assert_msg(rc == 0, "build: %s", err);
}

/* ------------------------------------------------------------------------ */

START_TEST(device_names_resolve)
{
	char names[256], *tok, *save = NULL;
	int n = 0;

	snprintf(names, sizeof(names), "%s", ms__device_names());
	for (tok = strtok_r(names, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		const ms__device_model *m = ms__device_lookup(tok);

		ck_assert_msg(m != NULL, "%s", tok);
		ck_assert_str_eq(m->name, tok);
		ck_assert_uint_le(m->n_params, MS__DEV_MAX_PARAMS);
		ck_assert_msg(m->is_pulse ? m->pulse_dw != NULL
		                          : m->g && m->F && m->band,
		              "%s: functions", tok);
		n++;
	}
	ck_assert_int_eq(n, 6);
	ck_assert_msg(ms__device_lookup("flux_capacitor") == NULL, "unknown");
	ck_assert_msg(ms__device_lookup(NULL) == NULL, "NULL");
}
END_TEST

static double rate1(const ms__device_cfg *c, double V, double w)
{
	ms__device d;
	double r;

	build(&d, c, 1, 1, 7, NULL);
	r = ms__device_rate(&d, 0, V, w);
	ms__device_free(&d);
	return r;
}

START_TEST(law_sinh_closed_form)
{
	ms__device_cfg c = cfg_of("sinh");
	double A = 50.0, V0 = 250.0; /* Hz, mV */

	setp(&c, "A", A);
	setp(&c, "V0", V0);
	/* dw/dt = A sinh(V/V0), in 1/s, V in volts: A sinh(V_V / 0.25) */
	close_rel(rate1(&c, 300.0, 0.3), A * sinh(0.3 / 0.25) / 1000.0, "+");
	close_rel(rate1(&c, -120.0, 0.9), A * sinh(-0.12 / 0.25) / 1000.0, "-");
	ck_assert(rate1(&c, 0.0, 0.5) == 0.0);
	setp(&c, "V_th", 200.0);
	ck_assert(rate1(&c, 150.0, 0.5) == 0.0);
	ck_assert(rate1(&c, -200.0, 0.5) == 0.0);
	close_rel(rate1(&c, 200.5, 0.5), A * sinh(0.2005 / 0.25) / 1000.0,
	          "just above V_th");
}
END_TEST

START_TEST(law_exp_threshold_closed_form)
{
	ms__device_cfg c = cfg_of("exp_threshold");
	double I0 = 2.0, V0 = 1.0 / 7.0, Vth = 1.0; /* Hz, V, V */

	setp(&c, "I0", I0);
	/* defaults: V0 = 1/7 V, V_th = 1 V (Zamarreno-Ramos et al. 2011) */
	close_rel(rate1(&c, 1100.0, 0.5),
	          I0 * (exp(1.1 / V0) - exp(Vth / V0)) / 1000.0, "+1.1 V");
	close_rel(rate1(&c, -1300.0, 0.5),
	          -I0 * (exp(1.3 / V0) - exp(Vth / V0)) / 1000.0, "-1.3 V");
	ck_assert(rate1(&c, 999.0, 0.5) == 0.0);
	ck_assert(rate1(&c, 1000.0, 0.5) == 0.0);
	ck_assert(rate1(&c, -1000.0, 0.5) == 0.0);
}
END_TEST

START_TEST(law_hp_closed_form)
{
	ms__device_cfg c = cfg_of("hp");
	/* Strukov et al. 2008 in SI units: mu_v = 1e-14 m^2/(V s),
	 * D = 10 nm, R_on = 100 Ohm, R_off = 16 kOhm. */
	double mu = 1e-14, D = 1e-8, Ron = 100.0, Roff = 16e3;
	double ws[] = {0.0, 0.25, 0.5, 0.9, 1.0}, Vs[] = {800.0, -450.0};

	for (size_t i = 0; i < 5; i++) {
		for (size_t k = 0; k < 2; k++) {
			double w = ws[i], V = Vs[k] / 1000.0;
			double R = Ron * w + Roff * (1.0 - w);
			double want = mu * Ron / (D * D) * (V / R) / 1000.0;

			close_rel(rate1(&c, Vs[k], w), want, "hp");
		}
	}
}
END_TEST

START_TEST(law_nonlinear_drift_closed_form)
{
	ms__device_cfg c = cfg_of("nonlinear_drift");
	double a = 12500.0; /* V^-13 s^-1 */
	double p[MS__DEV_MAX_PARAMS];

	close_rel(rate1(&c, 500.0, 0.4), a * pow(0.5, 13) / 1000.0, "+");
	close_rel(rate1(&c, -700.0, 0.4), -a * pow(0.7, 13) / 1000.0, "-");
	setp(&c, "m", 3.0);
	close_rel(rate1(&c, -700.0, 0.4), -a * 0.343 / 1000.0, "m = 3");
	/* i = w^n beta sinh(alpha V) + chi (e^{gamma V} - 1), pA */
	memcpy(p, c.p, sizeof(p));
	close_rel(ms__device_current_nld(p, 500.0, 0.5),
	          pow(0.5, 4) * 9e4 * sinh(2.0 * 0.5) +
	              100.0 * (exp(4.0 * 0.5) - 1.0),
	          "current");
}
END_TEST

START_TEST(law_vteam_closed_form)
{
	ms__device_cfg c = cfg_of("vteam");
	/* Paper's parameters (k per second over the normalised state):
	 * v_on = -0.2 V, v_off = 0.02 V, alpha_on = 3, alpha_off = 1. With
	 * v = -V and w = 1 - x: dw/dt = -k_on (v/v_on - 1)^3 for v < v_on,
	 * -k_off (v/v_off - 1) for v > v_off. */
	double kon = -10.0 / 3e-9, koff = 5e-4 / 3e-9;
	double v;

	v = -0.3; /* V = +300 mV: potentiation */
	close_rel(rate1(&c, 300.0, 0.5),
	          -kon * pow(v / -0.2 - 1.0, 3.0) / 1000.0, "ON");
	v = 0.05; /* V = -50 mV: depression */
	close_rel(rate1(&c, -50.0, 0.5), -koff * (v / 0.02 - 1.0) / 1000.0,
	          "OFF");
	ck_assert(rate1(&c, 300.0, 0.5) > 0.0);
	ck_assert(rate1(&c, -50.0, 0.5) < 0.0);
	ck_assert(rate1(&c, 150.0, 0.5) == 0.0);
	ck_assert(rate1(&c, -15.0, 0.5) == 0.0);
}
END_TEST

START_TEST(law_pulse_exp_closed_form)
{
	const ms__device_model *m = ms__device_lookup("pulse_exp");
	ms__device_cfg c = cfg_of("pulse_exp");
	ms__device d;

	ck_assert(m->is_pulse);
	/* alpha_p = 1e-2, beta_p = 3, alpha_m = 5e-3, beta_m = 3 */
	close_rel(m->pulse_dw(c.p, c.opt, 0.2, 1), 1e-2 * exp(-3.0 * 0.2),
	          "potentiation");
	close_rel(m->pulse_dw(c.p, c.opt, 0.2, -1), -5e-3 * exp(-3.0 * 0.8),
	          "depression");
	close_rel(m->pulse_dw(c.p, c.opt, 0.0, 1), 1e-2, "at 0");
	close_rel(m->pulse_dw(c.p, c.opt, 1.0, -1), -5e-3, "at 1");
	build(&d, &c, 1, 1, 1, NULL);
	ck_assert(ms__device_rate(&d, 0, 1000.0, 0.5) == 0.0);
	ms__device_free(&d);
}
END_TEST

/* The state part F of the sinh model with a window. */
static double F_of(const char *win, double p, double j, double w, int sign)
{
	ms__device_cfg c = cfg_of("sinh");
	const ms__device_model *m = c.m;

	seto(&c, "window", win);
	setp(&c, "p", p);
	setp(&c, "j", j);
	return m->F(c.p, c.opt, w, sign);
}

START_TEST(windows_at_bounds_and_middle)
{
	int s;

	for (s = -1; s <= 1; s += 2) {
		close_rel(F_of("none", 1, 1, 0.3, s), 1.0, "none");
		/* Joglekar: 1 - (2w - 1)^{2p} */
		ck_assert(F_of("joglekar", 1, 1, 0.0, s) == 0.0);
		close_rel(F_of("joglekar", 1, 1, 0.5, s), 1.0, "jog 0.5");
		ck_assert(F_of("joglekar", 1, 1, 1.0, s) == 0.0);
		close_rel(F_of("joglekar", 2, 1, 0.25, s), 1.0 - pow(0.5, 4),
		          "jog p=2");
		/* Prodromakis: j (1 - ((w - 1/2)^2 + 3/4)^p) */
		ck_assert(F_of("prodromakis", 1, 1, 0.0, s) == 0.0);
		close_rel(F_of("prodromakis", 1, 1, 0.5, s), 0.25, "pro 0.5");
		ck_assert(F_of("prodromakis", 1, 1, 1.0, s) == 0.0);
		close_rel(F_of("prodromakis", 2, 2, 0.5, s),
		          2.0 * (1.0 - 0.5625), "pro p=2 j=2");
	}
	/* Biolek: 1 - (w - stp(-i))^{2p}: growing w (i > 0) stops at 1,
	 * shrinking w (i < 0) stops at 0. */
	close_rel(F_of("biolek", 1, 1, 0.0, 1), 1.0, "bio + 0");
	close_rel(F_of("biolek", 1, 1, 0.5, 1), 0.75, "bio + 0.5");
	ck_assert(F_of("biolek", 1, 1, 1.0, 1) == 0.0);
	ck_assert(F_of("biolek", 1, 1, 0.0, -1) == 0.0);
	close_rel(F_of("biolek", 1, 1, 0.5, -1), 0.75, "bio - 0.5");
	close_rel(F_of("biolek", 1, 1, 1.0, -1), 1.0, "bio - 1");
	close_rel(F_of("biolek", 3, 1, 0.5, -1), 1.0 - pow(0.5, 6), "bio p=3");
}
END_TEST

/* The window enters the rate: rate = g(V) F(w, sign V) for every model
 * with a window option. */
START_TEST(windows_enter_the_rate)
{
	const char *models[] = {"sinh", "exp_threshold", "hp",
	                        "nonlinear_drift", "vteam"};
	double Vs[] = {1500.0, -1500.0};

	for (size_t i = 0; i < 5; i++) {
		ms__device_cfg c0 = cfg_of(models[i]), c1 = c0;

		seto(&c1, "window", "biolek");
		for (size_t k = 0; k < 2; k++) {
			double w = 0.3, s = Vs[k] > 0 ? 1.0 : -1.0;
			double F = 1.0 - pow(w - (s < 0 ? 1.0 : 0.0), 2.0);
			double r0 = rate1(&c0, Vs[k], w);

			ck_assert_msg(r0 != 0.0, "%s", models[i]);
			close_rel(rate1(&c1, Vs[k], w), r0 * F, models[i]);
		}
	}
}
END_TEST

START_TEST(band_edges)
{
	struct {
		const char *model;
		double lo, hi;
	} b[] = {
	    {"sinh", -200.0, 200.0},       {"exp_threshold", -1000.0, 1000.0},
	    {"vteam", -20.0, 200.0},       {"hp", 0.0, 0.0},
	    {"nonlinear_drift", 0.0, 0.0},
	};

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		ms__device_cfg c = cfg_of(b[i].model);
		double lo, hi;

		if (strcmp(b[i].model, "sinh") == 0)
			setp(&c, "V_th", 200.0);
		c.m->band(c.p, c.opt, &lo, &hi);
		ck_assert_msg(lo == b[i].lo && hi == b[i].hi,
		              "%s: band [%g, %g]", b[i].model, lo, hi);
		ck_assert_msg(c.m->g(c.p, c.opt, lo) == 0.0, "%s lo",
		              b[i].model);
		ck_assert_msg(c.m->g(c.p, c.opt, hi) == 0.0, "%s hi",
		              b[i].model);
		ck_assert_msg(c.m->g(c.p, c.opt, 0.5 * (lo + hi)) == 0.0,
		              "%s mid", b[i].model);
		ck_assert_msg(c.m->g(c.p, c.opt, hi + 1.0) > 0.0, "%s above",
		              b[i].model);
		ck_assert_msg(c.m->g(c.p, c.opt, lo - 1.0) < 0.0, "%s below",
		              b[i].model);
	}
}
END_TEST

/* linear_R: 1/G is linear in w, so for the same dw,
 * dG / (G_before G_after) = dw (1/G_min - 1/G_max) whatever G_before. */
START_TEST(linear_R_change_over_G_squared_is_constant)
{
	ms__device_cfg c = cfg_of(NULL);
	ms__device d;
	double dw = 0.02, want = dw * (1.0 / 2.0 - 1.0 / 50.0);

	seto(&c, "mapping", "linear_R");
	setp(&c, "G_min", 2.0);
	setp(&c, "G_max", 50.0);
	build(&d, &c, 1, 1, 1, NULL);
	close_rel(ms__device_G(&d, 0.0), 2.0, "G(0)");
	close_rel(ms__device_G(&d, 1.0), 50.0, "G(1)");
	for (double w = 0.0; w <= 0.95; w += 0.05) {
		double Gb = ms__device_G(&d, w);
		double wa = ms__device_update(&d, 0, w, dw, 0.0, 0);
		double Ga = ms__device_G(&d, wa);

		close_rel(wa, w + dw, "w after");
		ck_assert_msg(fabs((Ga - Gb) / (Ga * Gb) - want) <= 1e-9 * want,
		              "w = %g: dG/(G G') = %.17g, expected %.17g", w,
		              (Ga - Gb) / (Ga * Gb), want);
	}
	ms__device_free(&d);
}
END_TEST

START_TEST(linear_G_mapping)
{
	ms__device_cfg c = cfg_of(NULL);
	ms__device d;

	setp(&c, "G_min", 1.0);
	setp(&c, "G_max", 5.0);
	build(&d, &c, 1, 1, 1, NULL);
	close_rel(ms__device_G(&d, 0.25), 2.0, "G(0.25)");
	ms__device_free(&d);
}
END_TEST

/* A grid point k of levels L: G = G_min + k (G_max - G_min)/(L - 1). */
static int on_grid(const ms__device *d, double w, uint32_t L)
{
	double G = ms__device_G(d, w);
	double x = (G - d->c.G_min) / (d->c.G_max - d->c.G_min) * (L - 1);

	return fabs(x - nearbyint(x)) <= 1e-9;
}

START_TEST(levels_states_on_grid)
{
	const char *maps[] = {"linear_G", "linear_R"};
	const char *rnd[] = {"nearest", "stochastic"};

	for (int mi = 0; mi < 2; mi++) {
		for (int ri = 0; ri < 2; ri++) {
			ms__device_cfg c = cfg_of("sinh");
			ms__device d;
			ms__rng r;
			double w[64];
			uint32_t L = 7;

			seto(&c, "mapping", maps[mi]);
			seto(&c, "rounding", rnd[ri]);
			setp(&c, "G_min", 1.0);
			setp(&c, "G_max", 9.0);
			setp(&c, "levels", L);
			setp(&c, "w_init_lo", 0.0);
			setp(&c, "w_init_hi", 1.0);
			setp(&c, "c2c_sigma", 0.3);
			build(&d, &c, 64, 5, 3, w);
			ms__rng_init(&r, 99, MS__RNG_INIT, 0, 0);
			for (int s = 0; s < 64; s++) {
				ck_assert_msg(on_grid(&d, w[s], L), "init %g",
				              w[s]);
				for (int k = 0; k < 50; k++) {
					double dw =
					    0.3 * (ms__rng_uniform(&r) - 0.5);

					w[s] = ms__device_update(&d, s, w[s],
					                         dw, k, 0);
					ck_assert_msg(
					    w[s] >= 0.0 && w[s] <= 1.0 &&
					        on_grid(&d, w[s], L),
					    "%s %s: w = %.17g off the grid",
					    maps[mi], rnd[ri], w[s]);
				}
			}
			ms__device_free(&d);
		}
	}
}
END_TEST

/* Nearest rounding swallows changes below half a step; stochastic
 * rounding is unbiased: from w = 0.5 with 5 levels (step 0.25) and
 * dw = 0.06, E[w'] = 0.56. */
START_TEST(levels_rounding_modes)
{
	ms__device_cfg c = cfg_of(NULL);
	ms__device d;
	double sum = 0.0, sd, mean;

	setp(&c, "levels", 5);
	build(&d, &c, NBIG, 1, 1, NULL);
	ck_assert(ms__device_update(&d, 0, 0.5, 0.1, 1.0, 0) == 0.5);
	ck_assert(ms__device_update(&d, 0, 0.5, 0.13, 1.0, 0) == 0.75);
	ms__device_free(&d);
	seto(&c, "rounding", "stochastic");
	build(&d, &c, NBIG, 1, 1, NULL);
	for (uint64_t s = 0; s < NBIG; s++) {
		double w = ms__device_update(&d, s, 0.5, 0.06, 3.0, 1);

		ck_assert(w == 0.5 || w == 0.75);
		sum += w;
	}
	mean = sum / NBIG;
	/* Bernoulli(0.24) steps of 0.25 */
	sd = 0.25 * sqrt(0.24 * 0.76);
	ck_assert_msg(fabs(mean - 0.56) <= 4.0 * sd / sqrt(NBIG),
	              "stochastic rounding mean %.6f, expected 0.56", mean);
	ms__device_free(&d);
}
END_TEST

START_TEST(stuck_fractions_and_behaviour)
{
	ms__device_cfg c = cfg_of(NULL);
	ms__device d;
	static double w[NBIG];
	double f[3] = {0.1, 0.05}, n1 = 0, n2 = 0;

	setp(&c, "stuck_min", f[0]);
	setp(&c, "stuck_max", f[1]);
	setp(&c, "G_min", 1.0);
	setp(&c, "G_max", 3.0);
	build(&d, &c, NBIG, 11, 2, w);
	ck_assert(d.stuck != NULL);
	for (uint64_t s = 0; s < NBIG; s++) {
		if (d.stuck[s] == 1) {
			n1++;
			ck_assert(w[s] == 0.0);
			ck_assert(ms__device_update(&d, s, w[s], 0.7, 1, 0) ==
			          0.0);
			ck_assert(ms__device_read(&d, s, w[s], 2.0) == 1.0);
		} else if (d.stuck[s] == 2) {
			n2++;
			ck_assert(w[s] == 1.0);
			ck_assert(ms__device_update(&d, s, w[s], -0.7, 1, 0) ==
			          1.0);
			ck_assert(ms__device_read(&d, s, w[s], 2.0) == 3.0);
		} else {
			ck_assert(w[s] == 0.5);
			ck_assert(ms__device_update(&d, s, w[s], 0.1, 1, 0) ==
			          0.6);
		}
	}
	for (int k = 0; k < 2; k++) {
		double got = (k ? n2 : n1) / NBIG;
		double se = sqrt(f[k] * (1.0 - f[k]) / NBIG);

		ck_assert_msg(fabs(got - f[k]) <= 4.0 * se,
		              "stuck fraction %d: %.5f, expected %.5f", k, got,
		              f[k]);
	}
	ms__device_free(&d);
	/* no fraction: no table */
	c = cfg_of(NULL);
	build(&d, &c, 10, 11, 2, NULL);
	ck_assert(d.stuck == NULL);
	ms__device_free(&d);
}
END_TEST

/* Relative deviation of parameter k across n devices: mean and SD. */
static void spread_stats(const ms__device *d, size_t k, double *mean,
                         double *sd)
{
	double s1 = 0.0, s2 = 0.0, p0 = d->c.p[k];

	for (uint64_t s = 0; s < d->n; s++) {
		double x = ms__device_params(d, s)[k] / p0;

		s1 += x;
		s2 += x * x;
	}
	*mean = s1 / d->n;
	*sd = sqrt((s2 - s1 * s1 / d->n) / (d->n - 1));
}

START_TEST(d2d_spread_statistics)
{
	const char *dists[] = {"normal", "lognormal"};
	double sigmas[] = {0.1, 0.3};

	for (int di = 0; di < 2; di++) {
		for (int si = 0; si < 2; si++) {
			ms__device_cfg c = cfg_of("sinh");
			ms__device d;
			double sigma = sigmas[si], mean, sd;

			seto(&c, "d2d_dist", dists[di]);
			setp(&c, "d2d_sigma", sigma);
			setp(&c, "V_th", 100.0);
			build(&d, &c, NBIG, 3, 9, NULL);
			for (size_t k = 0; k < 3; k++) { /* A, V0, V_th */
				spread_stats(&d, k, &mean, &sd);
				ck_assert_msg(
				    fabs(mean - 1.0) <=
				        4.0 * sigma / sqrt(NBIG),
				    "%s sigma %g param %zu: mean %.5f",
				    dists[di], sigma, k, mean);
				ck_assert_msg(fabs(sd / sigma - 1.0) <= 0.02,
				              "%s sigma %g param %zu: SD %.5f",
				              dists[di], sigma, k, sd);
			}
			/* the window exponent is structural: not spread */
			for (uint64_t s = 0; s < NBIG; s++)
				ck_assert(ms__device_params(&d, s)[3] ==
				          c.p[3]);
			ms__device_free(&d);
		}
	}
}
END_TEST

/* Signs are kept and every device passes the model's check, even with a
 * wide normal spread (1 + 0.4 N <= 0 has probability 0.6%). */
START_TEST(d2d_spread_keeps_signs)
{
	ms__device_cfg c = cfg_of("vteam");
	ms__device d;

	setp(&c, "d2d_sigma", 0.4);
	build(&d, &c, NBIG, 4, 4, NULL);
	for (uint64_t s = 0; s < NBIG; s++) {
		const double *p = ms__device_params(&d, s);
		char err[256];

		ck_assert(p[0] < 0.0 && p[1] > 0.0 && p[4] < 0.0 && p[5] > 0.0);
		ck_assert(c.m->check(p, c.opt, err, sizeof(err)) == 0);
	}
	ms__device_free(&d);
	c = cfg_of("hp");
	setp(&c, "d2d_sigma", 0.5);
	build(&d, &c, 10000, 4, 4, NULL);
	for (uint64_t s = 0; s < 10000; s++) {
		const double *p = ms__device_params(&d, s);

		ck_assert(p[2] > 0.0 && p[2] < p[3]); /* R_on < R_off */
	}
	ms__device_free(&d);
}
END_TEST

START_TEST(c2c_noise_statistics)
{
	ms__device_cfg c = cfg_of(NULL);
	ms__device d;
	double s1 = 0.0, s2 = 0.0, sigma = 0.2, dw = 0.01, mean, sd;
	int differ = 0;

	setp(&c, "c2c_sigma", sigma);
	build(&d, &c, NBIG, 8, 8, NULL);
	for (uint64_t s = 0; s < NBIG; s++) {
		double x =
		    (ms__device_update(&d, s, 0.5, dw, 2.5, 0) - 0.5) / dw;
		double y =
		    (ms__device_update(&d, s, 0.5, dw, 2.5, 1) - 0.5) / dw;

		differ += x != y;
		s1 += x;
		s2 += x * x;
	}
	mean = s1 / NBIG;
	sd = sqrt((s2 - s1 * s1 / NBIG) / (NBIG - 1));
	ck_assert_msg(fabs(mean - 1.0) <= 4.0 * sigma / sqrt(NBIG),
	              "c2c mean %.5f", mean);
	ck_assert_msg(fabs(sd / sigma - 1.0) <= 0.02, "c2c SD %.5f", sd);
	/* pre (kind 0) and post (kind 1) updates at one time differ */
	ck_assert_int_eq(differ, NBIG);
	ms__device_free(&d);
}
END_TEST

/* Everything a device draws, for one seed and owner. */
static void run_devices(uint64_t seed, uint32_t owner, double *ps,
                        uint8_t *stuck, double *w, double *G)
{
	ms__device_cfg c = cfg_of("exp_threshold");
	ms__device d;
	enum { N = 200 };

	setp(&c, "d2d_sigma", 0.2);
	seto(&c, "d2d_dist", "lognormal");
	setp(&c, "c2c_sigma", 0.1);
	setp(&c, "stuck_min", 0.05);
	setp(&c, "stuck_max", 0.05);
	setp(&c, "levels", 33);
	seto(&c, "rounding", "stochastic");
	setp(&c, "w_init_lo", 0.1);
	setp(&c, "w_init_hi", 0.9);
	setp(&c, "read_sigma", 0.05);
	setp(&c, "retention_tau", 1000.0);
	build(&d, &c, N, seed, owner, w);
	memcpy(ps, d.ps, N * c.m->n_params * sizeof(double));
	memcpy(stuck, d.stuck, N);
	for (int k = 1; k <= 20; k++) {
		for (uint64_t s = 0; s < N; s++) {
			double dw = ms__device_rate(&d, s, 1200.0, w[s]) * 0.1;

			w[s] = ms__device_update(&d, s, w[s], k % 3 ? dw : -dw,
			                         1.5 * k, k & 1);
			G[s] = ms__device_read(&d, s, w[s], 1.5 * k + 0.5);
		}
	}
	ms__device_free(&d);
}

START_TEST(same_seed_same_devices_and_updates)
{
	enum { N = 200, NP = 5 };
	static double ps[3][N * NP], w[3][N], G[3][N];
	static uint8_t st[3][N];
	int dps = 0, dw = 0;

	run_devices(42, 5, ps[0], st[0], w[0], G[0]);
	run_devices(42, 5, ps[1], st[1], w[1], G[1]);
	ck_assert(memcmp(ps[0], ps[1], sizeof(ps[0])) == 0);
	ck_assert(memcmp(st[0], st[1], sizeof(st[0])) == 0);
	ck_assert(memcmp(w[0], w[1], sizeof(w[0])) == 0);
	ck_assert(memcmp(G[0], G[1], sizeof(G[0])) == 0);
	run_devices(43, 5, ps[2], st[2], w[2], G[2]);
	for (int i = 0; i < N * NP; i++)
		dps += ps[0][i] != ps[2][i];
	for (int i = 0; i < N; i++)
		dw += w[0][i] != w[2][i];
	ck_assert_msg(dps > N, "%d parameters differ", dps);
	ck_assert_msg(dw > N / 2, "%d states differ", dw);
	ck_assert(memcmp(st[0], st[2], sizeof(st[0])) != 0);
	/* another projection name (owner): other devices too */
	run_devices(42, 6, ps[2], st[2], w[2], G[2]);
	ck_assert(memcmp(ps[0], ps[2], sizeof(ps[0])) != 0);
}
END_TEST

/* w(t) = w_rest + (w - w_rest) e^{-(t - t_last)/tau}: after tau ln 2 half
 * the distance to w_rest is left. */
START_TEST(retention_halves_distance)
{
	ms__device_cfg c = cfg_of(NULL);
	ms__device d;
	double tau = 250.0, t1 = 40.0, w;

	setp(&c, "retention_tau", tau);
	setp(&c, "w_rest", 0.2);
	setp(&c, "G_min", 0.0);
	setp(&c, "G_max", 10.0);
	build(&d, &c, 2, 1, 1, NULL);
	/* last update at t1 */
	w = ms__device_update(&d, 0, 0.2 + 0.7 * exp(t1 / tau), 0.0, t1, 0);
	close_rel(w, 0.9, "relaxed since 0");
	close_rel(ms__device_state_at(&d, 0, w, t1 + tau * log(2.0)), 0.55,
	          "half-life");
	close_rel(ms__device_read(&d, 0, w, t1 + tau * log(2.0)), 5.5, "read");
	close_rel(ms__device_state_at(&d, 0, w, t1 + 3 * tau * log(2.0)),
	          0.2 + 0.7 / 8.0, "three half-lives");
	/* an update at t2 starts from the relaxed state */
	w = ms__device_update(&d, 0, w, 0.1, t1 + tau * log(2.0), 1);
	close_rel(w, 0.65, "update after relaxation");
	/* retention off: nothing relaxes */
	ms__device_free(&d);
	c = cfg_of(NULL);
	build(&d, &c, 1, 1, 1, NULL);
	ck_assert(d.t_last == NULL);
	ck_assert(ms__device_state_at(&d, 0, 0.9, 1e9) == 0.9);
	ms__device_free(&d);
}
END_TEST

START_TEST(read_noise_statistics)
{
	ms__device_cfg c = cfg_of(NULL);
	ms__device d;
	double s1 = 0.0, s2 = 0.0, sigma = 0.1, mean, sd;
	int zeros = 0;

	setp(&c, "read_sigma", sigma);
	setp(&c, "G_max", 4.0);
	build(&d, &c, NBIG, 2, 2, NULL);
	for (uint64_t s = 0; s < NBIG; s++) {
		double x = ms__device_read(&d, s, 0.5, 7.0) / 2.0;

		ck_assert(ms__device_read(&d, s, 0.5, 7.0) == 2.0 * x);
		s1 += x;
		s2 += x * x;
	}
	mean = s1 / NBIG;
	sd = sqrt((s2 - s1 * s1 / NBIG) / (NBIG - 1));
	ck_assert_msg(fabs(mean - 1.0) <= 4.0 * sigma / sqrt(NBIG),
	              "read mean %.5f", mean);
	ck_assert_msg(fabs(sd / sigma - 1.0) <= 0.02, "read SD %.5f", sd);
	ms__device_free(&d);
	/* wide noise is clamped at 0 */
	setp(&c, "read_sigma", 2.0);
	build(&d, &c, 1000, 2, 2, NULL);
	for (uint64_t s = 0; s < 1000; s++) {
		double G = ms__device_read(&d, s, 0.5, 7.0);

		ck_assert(G >= 0.0);
		zeros += G == 0.0;
	}
	ck_assert_int_gt(zeros, 100); /* P(1 + 2N < 0) = 31% */
	ms__device_free(&d);
}
END_TEST

START_TEST(rng_normal_moments)
{
	ms__rng r;
	double s1 = 0.0, s2 = 0.0, below = 0.0, n = 1e6, mean, var;

	ms__rng_init(&r, 1, MS__RNG_NOISE, 2, 3);
	for (int i = 0; i < (int)n; i++) {
		double z = ms__rng_normal(&r);

		s1 += z;
		s2 += z * z;
		below += z < -1.959963984540054;
	}
	mean = s1 / n;
	var = s2 / n - mean * mean;
	ck_assert_msg(fabs(mean) <= 4.0 / sqrt(n), "mean %g", mean);
	/* SE of the variance of a normal sample: sqrt(2/n) */
	ck_assert_msg(fabs(var - 1.0) <= 4.0 * sqrt(2.0 / n), "var %g", var);
	ck_assert_msg(fabs(below / n - 0.025) <= 4.0 * sqrt(0.025 * 0.975 / n),
	              "P(z < -1.96) = %g", below / n);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Bad input                                                                */

static void bad_param(ms__device_cfg *c, const char *name, double v, int rc,
                      const char *needle)
{
	char err[512] = "";
	int got = ms__device_set_param(c, name, v, err, sizeof(err));

	ck_assert_msg(got == rc, "%s = %g: rc %d, expected %d (%s)", name, v,
	              got, rc, err);
	ck_assert_msg(strstr(err, needle) != NULL,
	              "%s = %g: message \"%s\" lacks \"%s\"", name, v, err,
	              needle);
}

static void bad_build(const ms__device_cfg *c, const char *needle)
{
	char err[512] = "";
	ms__device d;
	int rc = ms__device_build(&d, c, 4, 1, 1, NULL, err, sizeof(err));

	ck_assert_msg(rc == MS_EINVAL, "rc %d (%s), expected MS_EINVAL", rc,
	              err);
	ck_assert_msg(strstr(err, needle) != NULL,
	              "message \"%s\" lacks \"%s\"", err, needle);
	ck_assert(d.ps == NULL && d.stuck == NULL && d.t_last == NULL);
}

START_TEST(bad_parameters)
{
	ms__device_cfg c = cfg_of("hp");

	bad_param(&c, "flux", 1.0, MS_ENOENT, "\"flux\"");
	bad_param(&c, "flux", 1.0, MS_ENOENT, "R_on");
	bad_param(&c, "G_min", -1.0, MS_EINVAL,
	          "G_min: expected a conductance in [0 nS, 1e+12 nS], got "
	          "-1 nS");
	bad_param(&c, "G_max", 0.0, MS_EINVAL, "G_max");
	bad_param(&c, "R_on", -1e-7, MS_EINVAL, "R_on: expected a resistance");
	bad_param(&c, "R_off", 0.0, MS_EINVAL, "R_off");
	bad_param(&c, "retention_tau", 0.0, MS_EINVAL,
	          "retention_tau: expected a time > 0 ms, got 0 ms");
	bad_param(&c, "retention_tau", -5.0, MS_EINVAL, "retention_tau");
	bad_param(&c, "retention_tau", NAN, MS_EINVAL, "retention_tau");
	bad_param(&c, "levels", 1.0, MS_EINVAL, "levels");
	bad_param(&c, "levels", 2.5, MS_EINVAL, "levels");
	bad_param(&c, "d2d_sigma", -0.1, MS_EINVAL, "d2d_sigma");
	bad_param(&c, "c2c_sigma", -0.1, MS_EINVAL, "c2c_sigma");
	bad_param(&c, "read_sigma", -0.1, MS_EINVAL, "read_sigma");
	bad_param(&c, "w_init", 1.5, MS_EINVAL, "w_init");
	bad_param(&c, "w_rest", -0.5, MS_EINVAL, "w_rest");
	setp(&c, "stuck_min", 0.7);
	bad_param(&c, "stuck_max", 0.4, MS_EINVAL, "stuck_max");
	c = cfg_of(NULL);
	bad_param(&c, "V0", 1.0, MS_ENOENT, "no device model");
	c = cfg_of("vteam");
	bad_param(&c, "V_off", -10.0, MS_EINVAL, "V_off");
	bad_param(&c, "V_on", 10.0, MS_EINVAL, "V_on");
	c = cfg_of("exp_threshold");
	bad_param(&c, "V0", 0.0, MS_EINVAL,
	          "V0: expected a voltage in (0 mV, 1e+06 mV], got 0 mV");
}
END_TEST

START_TEST(bad_options)
{
	ms__device_cfg c = cfg_of("sinh");
	char err[512];

	ck_assert_int_eq(
	    ms__device_set_option(&c, "window", "hann", err, sizeof(err)),
	    MS_EINVAL);
	ck_assert_msg(strstr(err, "window: expected one of none, joglekar, "
	                          "biolek, prodromakis, got \"hann\"") != NULL,
	              "%s", err);
	ck_assert_int_eq(
	    ms__device_set_option(&c, "mapping", "log", err, sizeof(err)),
	    MS_EINVAL);
	ck_assert_msg(strstr(err, "mapping") && strstr(err, "linear_R"), "%s",
	              err);
	ck_assert_int_eq(
	    ms__device_set_option(&c, "d2d_dist", "cauchy", err, sizeof(err)),
	    MS_EINVAL);
	ck_assert_msg(strstr(err, "d2d_dist") != NULL, "%s", err);
	ck_assert_int_eq(
	    ms__device_set_option(&c, "rounding", "up", err, sizeof(err)),
	    MS_EINVAL);
	ck_assert_msg(strstr(err, "rounding") != NULL, "%s", err);
	ck_assert_int_eq(
	    ms__device_set_option(&c, "colour", "red", err, sizeof(err)),
	    MS_ENOENT);
	ck_assert_msg(strstr(err, "\"colour\"") != NULL, "%s", err);
	c = cfg_of("vteam");
	ck_assert_int_eq(ms__device_set_option(&c, "window", "prodromakis", err,
	                                       sizeof(err)),
	                 MS_EINVAL);
	c = cfg_of("pulse_exp");
	ck_assert_int_eq(
	    ms__device_set_option(&c, "window", "none", err, sizeof(err)),
	    MS_ENOENT);
}
END_TEST

START_TEST(bad_combinations_at_build)
{
	ms__device_cfg c;

	c = cfg_of(NULL);
	setp(&c, "G_min", 5.0);
	setp(&c, "G_max", 5.0);
	bad_build(&c, "G_min (5 nS) must be less than G_max (5 nS)");
	c = cfg_of(NULL);
	c.G_max = -2.0;
	bad_build(&c, "G_max: a conductance cannot be negative");
	c = cfg_of(NULL);
	seto(&c, "mapping", "linear_R");
	bad_build(&c, "G_min: mapping linear_R needs G_min > 0 nS");
	c = cfg_of("hp");
	setp(&c, "R_on", 2e-5);
	bad_build(&c, "hp: R_on (2e-05 GOhm) must be less than R_off");
	c = cfg_of("nonlinear_drift");
	setp(&c, "m", 4.0);
	bad_build(&c, "nonlinear_drift: m: expected an odd whole number");
	setp(&c, "m", 3.5);
	bad_build(&c, "m: expected an odd whole number");
	c = cfg_of("vteam");
	setp(&c, "V_on", 0.0);
	bad_build(&c, "vteam: V_on: expected a voltage < 0 mV");
	c = cfg_of("vteam");
	setp(&c, "k_on", 0.0);
	bad_build(&c, "k_on");
	c = cfg_of(NULL);
	setp(&c, "w_init_lo", 0.8);
	setp(&c, "w_init_hi", 0.2);
	bad_build(&c, "w_init_lo (0.8) must be <= w_init_hi (0.2)");
	c = cfg_of(NULL);
	c.retention_tau_ms = 0.0;
	bad_build(&c, "retention_tau");
	c = cfg_of(NULL);
	c.stuck_min = 0.6;
	c.stuck_max = 0.6;
	bad_build(&c, "stuck_min + stuck_max must be <= 1");
	c = cfg_of(NULL);
	c.levels = 1;
	bad_build(&c, "levels");
	c = cfg_of("sinh");
	c.p[1] = -3.0; /* written around the setter */
	bad_build(&c, "sinh: V0: expected a voltage in (0 mV, 1e+06 mV], "
	              "got -3 mV");
	c = cfg_of("sinh");
	c.opt[0] = 9;
	bad_build(&c, "window");
}
END_TEST

static Suite *device_suite(void)
{
	Suite *s = suite_create("device");
	TCase *laws = tcase_create("laws");
	TCase *map = tcase_create("mapping");
	TCase *noise = tcase_create("nonidealities");
	TCase *bad = tcase_create("bad_input");

	tcase_add_test(laws, device_names_resolve);
	tcase_add_test(laws, law_sinh_closed_form);
	tcase_add_test(laws, law_exp_threshold_closed_form);
	tcase_add_test(laws, law_hp_closed_form);
	tcase_add_test(laws, law_nonlinear_drift_closed_form);
	tcase_add_test(laws, law_vteam_closed_form);
	tcase_add_test(laws, law_pulse_exp_closed_form);
	tcase_add_test(laws, windows_at_bounds_and_middle);
	tcase_add_test(laws, windows_enter_the_rate);
	tcase_add_test(laws, band_edges);
	tcase_add_test(map, linear_R_change_over_G_squared_is_constant);
	tcase_add_test(map, linear_G_mapping);
	tcase_add_test(map, levels_states_on_grid);
	tcase_add_test(map, levels_rounding_modes);
	tcase_add_test(noise, stuck_fractions_and_behaviour);
	tcase_add_test(noise, d2d_spread_statistics);
	tcase_add_test(noise, d2d_spread_keeps_signs);
	tcase_add_test(noise, c2c_noise_statistics);
	tcase_add_test(noise, same_seed_same_devices_and_updates);
	tcase_add_test(noise, retention_halves_distance);
	tcase_add_test(noise, read_noise_statistics);
	tcase_add_test(noise, rng_normal_moments);
	tcase_add_test(bad, bad_parameters);
	tcase_add_test(bad, bad_options);
	tcase_add_test(bad, bad_combinations_at_build);
	suite_add_tcase(s, laws);
	suite_add_tcase(s, map);
	suite_add_tcase(s, noise);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(device_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

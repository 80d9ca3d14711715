/*
 * check_hh_traub — the Traub–Miles neuron of the COBAHH benchmark: the
 * removable singularities of its rates, its resting state against the
 * steady-state current, spike times and voltage against an independent
 * fine-step RK4 written here (conductance inputs of both receptors
 * included), the refractory period, independence of the result from how the
 * run is cut or sampled, bad parameters.
 *
 * Defaults (Brian2's COBAHH example, 20000 um^2): C_m 200 pF, g_L 10 nS,
 * g_Na 20000 nS, g_K 6000 nS. With them and no input the neuron fires on
 * its own (about 14 Hz from V = -60 mV): the steady-state current is
 * inward from -90 to above -35 mV.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memspike/memspike.h"
#include "spikes.h"

static double get(ms_net *net, int p, uint32_t i, const char *var)
{
	double v;

	ck_assert_int_eq(ms_pop_get_state(net, p, i, var, &v), MS_OK);
	return v;
}

/* The model's defaults, written out from Brian2's COBAHH example. */
static const double C = 200.0, GL = 10.0, GNA = 20000.0, GK = 6000.0,
                    EL = -60.0, EK = -90.0, ENA = 50.0, VT = -63.0, EE = 0.0,
                    EI = -80.0, TE = 5.0, TI = 10.0, VSPIKE = -20.0;

/* The six rates at V from the formulas as published (Traub & Miles 1991,
 * Brette et al. 2007), without any care for the 0/0 points: callers stay
 * away from them. */
static void ref_rates(double V, double r[6])
{
	double u = V - VT;

	r[0] = 0.32 * (13 - u) / (exp((13 - u) / 4) - 1);
	r[1] = 0.28 * (u - 40) / (exp((u - 40) / 5) - 1);
	r[2] = 0.128 * exp((17 - u) / 18);
	r[3] = 4 / (1 + exp((40 - u) / 5));
	r[4] = 0.032 * (15 - u) / (exp((15 - u) / 5) - 1);
	r[5] = 0.5 * exp((10 - u) / 40);
}

/* Membrane current (pA) with every gate at its steady state for V. */
static double steady_current(double V, double I)
{
	double r[6], m, h, n;

	ref_rates(V, r);
	m = r[0] / (r[0] + r[1]);
	h = r[2] / (r[2] + r[3]);
	n = r[4] / (r[4] + r[5]);
	return I + GL * (EL - V) - GNA * m * m * m * h * (V - ENA) -
	       GK * n * n * n * n * (V - EK);
}

/* State (V, m, h, n, g_e, g_i) derivative, bias current I. */
static void ref_f(const double *y, double I, double *dy)
{
	double V = y[0], m = y[1], h = y[2], n = y[3], r[6];

	ref_rates(V, r);
	dy[0] =
	    (I + GL * (EL - V) + y[4] * (EE - V) + y[5] * (EI - V) -
	     GNA * m * m * m * h * (V - ENA) - GK * n * n * n * n * (V - EK)) /
	    C;
	dy[1] = r[0] * (1 - m) - r[1] * m;
	dy[2] = r[2] * (1 - h) - r[3] * h;
	dy[3] = r[4] * (1 - n) - r[5] * n;
	dy[4] = -y[4] / TE;
	dy[5] = -y[5] / TI;
}

typedef struct ref_input {
	double t; /* arrival, a multiple of the RK4 step */
	int inh;
	double w; /* nS */
} ref_input;

/* Gates at their steady state for V. */
static void ref_gates(double V, double *y)
{
	double r[6];

	ref_rates(V, r);
	for (int k = 0; k < 3; k++)
		y[1 + k] = r[2 * k] / (r[2 * k] + r[2 * k + 1]);
}

/*
 * Classical RK4 from y at t = 0 to T with step dt; inputs (sorted) jump
 * the conductances at their arrival steps. Upward crossings of V_spike are
 * located by bisection on the cubic Hermite interpolant of V over the step
 * (error O(dt^4)); a crossing less than t_ref after the last spike is none.
 * V at the sample times ts (multiples of dt) goes to vs. Returns the
 * number of spikes written to spk.
 */
static size_t ref_run(double *y, double I, double T, double dt,
                      const ref_input *in, size_t n_in, double t_ref,
                      double *spk, size_t max, const double *ts, double *vs,
                      size_t n_ts)
{
	long K = lround(T / dt), next_in = 0, next_ts = 0;
	double last = -INFINITY;
	size_t ns = 0;

	for (long k = 0; k <= K; k++) {
		double k1[6], k2[6], k3[6], k4[6], z[6], y1[6], f1[6];
		double t = k * dt;

		for (;
		     (size_t)next_in < n_in && lround(in[next_in].t / dt) == k;
		     next_in++)
			y[in[next_in].inh ? 5 : 4] += in[next_in].w;
		if ((size_t)next_ts < n_ts && lround(ts[next_ts] / dt) == k)
			vs[next_ts++] = y[0];
		if (k == K)
			break;
		ref_f(y, I, k1);
		for (int j = 0; j < 6; j++)
			z[j] = y[j] + 0.5 * dt * k1[j];
		ref_f(z, I, k2);
		for (int j = 0; j < 6; j++)
			z[j] = y[j] + 0.5 * dt * k2[j];
		ref_f(z, I, k3);
		for (int j = 0; j < 6; j++)
			z[j] = y[j] + dt * k3[j];
		ref_f(z, I, k4);
		for (int j = 0; j < 6; j++)
			y1[j] =
			    y[j] +
			    dt / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
		if (y[0] < VSPIKE && y1[0] >= VSPIKE) {
			double lo = 0, hi = 1, tc;
			ref_f(y1, I, f1);
			for (int it = 0; it < 60; it++) {
				double s = 0.5 * (lo + hi), s2 = s * s,
				       s3 = s2 * s;
				double v = (2 * s3 - 3 * s2 + 1) * y[0] +
				           (s3 - 2 * s2 + s) * dt * k1[0] +
				           (-2 * s3 + 3 * s2) * y1[0] +
				           (s3 - s2) * dt * f1[0];
				if (v >= VSPIKE)
					hi = s;
				else
					lo = s;
			}
			tc = t + hi * dt;
			if (tc >= last + t_ref && ns < max) {
				spk[ns++] = tc;
				last = tc;
			}
		}
		memcpy(y, y1, sizeof(y1));
	}
	return ns;
}

/* Steady-state value of gate var at V (after building at that V). */
static double gate_at(const char *var, double V)
{
	ms_net *net;
	int p;
	double x;

	ck_assert_int_eq(ms_net_create(NULL, &net), MS_OK);
	ck_assert_int_eq(ms_net_add_population(net, "n", "hh_traub", 1, &p),
	                 MS_OK);
	ck_assert_int_eq(ms_pop_init_value(net, p, "V_m", V), MS_OK);
	ck_assert_int_eq(ms_net_build(net), MS_OK);
	x = get(net, p, 0, var);
	ms_net_destroy(net);
	return x;
}

/*
 * alpha_m is 0/0 at V = V_T + 13 = -50 mV, beta_m at V_T + 40 = -23 mV,
 * alpha_n at V_T + 15 = -48 mV; the limits are 1.28, 1.4 and 0.16 per ms.
 * The steady states x_inf = alpha/(alpha + beta) there must equal the
 * closed forms with those limits (to 1e-14), and approaching the point
 * from either side (1e-12 .. 1e-2 mV away, across the switch between the
 * series and expm1) may change them by no more than their slope allows:
 * |dx_inf/dV| is below 0.1 per mV for all three gates (largest, for m:
 * 0.087 per mV), so 0.1 |dV| + 1e-15.
 */
START_TEST(rate_singularities_are_removed)
{
	static const double off[] = {1e-12, 1e-9, 9.9e-4, 1e-3, 1.01e-3, 1e-2};
	static const struct {
		const char *var;
		double V;
	} pt[3] = {{"m", -50.0}, {"m", -23.0}, {"n", -48.0}};
	double want[3], r[6];

	ref_rates(-50.0, r);
	want[0] = 1.28 / (1.28 + r[1]);
	ref_rates(-23.0, r);
	want[1] = r[0] / (r[0] + 1.4);
	ref_rates(-48.0, r);
	want[2] = 0.16 / (0.16 + r[5]);
	for (int q = 0; q < 3; q++) {
		double x = gate_at(pt[q].var, pt[q].V);

		ck_assert(isfinite(x));
		ck_assert_msg(fabs(x - want[q]) < 1e-14,
		              "%s_inf(%g) %.17g, want %.17g", pt[q].var,
		              pt[q].V, x, want[q]);
		for (size_t k = 0; k < sizeof(off) / sizeof(off[0]); k++) {
			for (int sg = -1; sg <= 1; sg += 2) {
				double d = sg * off[k];
				double xk = gate_at(pt[q].var, pt[q].V + d);
				ck_assert_msg(fabs(xk - x) <=
				                  0.1 * off[k] + 1e-15,
				              "%s_inf(%g%+g) = %.17g",
				              pt[q].var, pt[q].V, d, xk);
				/* m and n rise with V. */
				ck_assert((xk - x) * sg >= 0);
			}
		}
	}
}
END_TEST

/*
 * Rest: with I_e = -100 pA the neuron settles where the steady-state
 * current vanishes, V_rest = -69.99 mV, found here by bisection on the
 * closed form. From V = E_L (gates at their steady state there) V must be
 * within 1e-6 mV of V_rest after 500 ms (25 membrane time constants; the
 * slowest mode decays faster than C/g_L = 20 ms), with m, h, n within 1e-8
 * of their steady states at V_rest, and no spike. Started at V_rest, V may
 * move by no more than 1e-8 mV in 200 ms. Both at rtol = atol = 1e-10
 * (measured: 1.8e-10 mV from E_L, 0 from V_rest).
 */
START_TEST(rest_is_steady_state)
{
	static spikes s;
	double lo = -80.0, hi = -65.0, I = -100.0, Vr, r[6], x[3];
	const char *names[3] = {"m", "h", "n"};
	ms_net *net;
	int p;

	ck_assert(steady_current(lo, I) > 0 && steady_current(hi, I) < 0);
	for (int it = 0; it < 200; it++) {
		double mid = 0.5 * (lo + hi);
		if (steady_current(mid, I) > 0)
			lo = mid;
		else
			hi = mid;
	}
	Vr = 0.5 * (lo + hi);
	ref_rates(Vr, r);
	for (int k = 0; k < 3; k++)
		x[k] = r[2 * k] / (r[2 * k] + r[2 * k + 1]);
	for (int start = 0; start < 2; start++) {
		double V;

		memset(&s, 0, sizeof(s));
		ck_assert_int_eq(ms_net_create(NULL, &net), MS_OK);
		ck_assert_int_eq(
		    ms_net_add_population(net, "n", "hh_traub", 1, &p), MS_OK);
		set(net, p, "I_e", I);
		set(net, p, "rtol", 1e-10);
		set(net, p, "atol", 1e-10);
		if (start)
			ck_assert_int_eq(ms_pop_init_value(net, p, "V_m", Vr),
			                 MS_OK);
		ms_net_set_spike_callback(net, on_spike, &s);
		ck_assert_int_eq(ms_net_run(net, start ? 200.0 : 500.0), MS_OK);
		V = get(net, p, 0, "V_m");
		fprintf(stderr,
		        "hh_traub rest from %s: |V - V_rest| = %.3g mV "
		        "(V_rest %.9g mV)\n",
		        start ? "V_rest" : "E_L", fabs(V - Vr), Vr);
		ck_assert_uint_eq(s.n, 0);
		ck_assert_msg(fabs(V - Vr) < (start ? 1e-8 : 1e-6),
		              "V %.12g, V_rest %.12g", V, Vr);
		for (int k = 0; k < 3; k++) {
			double g = get(net, p, 0, names[k]);
			ck_assert_msg(fabs(g - x[k]) < 1e-8,
			              "%s %.12g, want "
			              "%.12g",
			              names[k], g, x[k]);
		}
		ms_net_destroy(net);
	}
}
END_TEST

/* Inputs of the RK4 comparison: sources send at t - DELAY. */
#define DELAY 0.5
#define RK4_I 100.0 /* pA, bias current */
static const ref_input inputs[] = {
    {20.5, 0, 6.0},   {31.0, 0, 6.0},   {31.0, 0, 6.0},  {47.25, 1, 67.0},
    {60.0, 0, 12.0},  {88.5, 1, 67.0},  {90.0, 0, 60.0}, {120.0, 1, 134.0},
    {121.5, 0, 30.0}, {150.75, 0, 6.0}, {170.0, 1, 20.0}};
#define N_INPUTS (sizeof(inputs) / sizeof(inputs[0]))

/* One hh_traub neuron from V = -65 mV, g_e = 40 nS, g_i = 200 nS (the
 * means of the COBAHH initial state) with I_e = RK4_I, fed the inputs
 * above at rtol = atol
 * = tol: input k is a spike of unit k of source "se" (exc) or "si" (inh),
 * connected by a list with the input's weight. */
static ms_net *rk4_case(double tol, spikes *s, int *p)
{
	ms_net *net;
	int src[2], x;
	uint32_t ids[2][N_INPUTS], post[N_INPUTS] = {0};
	double t[2][N_INPUTS], w[2][N_INPUTS];
	size_t n[2] = {0, 0};

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(ms_net_create(NULL, &net), MS_OK);
	ck_assert_int_eq(ms_net_add_population(net, "n", "hh_traub", 1, p),
	                 MS_OK);
	set(net, *p, "rtol", tol);
	set(net, *p, "atol", tol);
	set(net, *p, "I_e", RK4_I);
	ck_assert_int_eq(ms_pop_init_value(net, *p, "V_m", -65.0), MS_OK);
	ck_assert_int_eq(ms_pop_init_value(net, *p, "g_e", 40.0), MS_OK);
	ck_assert_int_eq(ms_pop_init_value(net, *p, "g_i", 200.0), MS_OK);
	for (size_t k = 0; k < N_INPUTS; k++) {
		int r = inputs[k].inh;
		ids[r][n[r]] = (uint32_t)n[r];
		t[r][n[r]] = inputs[k].t - DELAY;
		w[r][n[r]++] = inputs[k].w;
	}
	for (int r = 0; r < 2; r++) {
		ms_conn_spec c = {.rule = MS_CONN_LIST,
		                  .pre = ids[r],
		                  .post = post,
		                  .weights = w[r],
		                  .n = n[r]};
		ms_syn_spec sy = {.weight = 1.0,
		                  .delay_ms = DELAY,
		                  .receptor =
		                      r ? MS_RECEPTOR_INH : MS_RECEPTOR_EXC};

		ck_assert_int_eq(ms_net_add_population(net, r ? "si" : "se",
		                                       "spike_source", n[r],
		                                       &src[r]),
		                 MS_OK);
		ck_assert_int_eq(
		    ms_spike_source_add(net, src[r], ids[r], t[r], n[r]),
		    MS_OK);
		ck_assert_int_eq(ms_net_connect(net, src[r], *p, &c, &sy, &x),
		                 MS_OK);
	}
	ms_net_set_spike_callback(net, on_spike, s);
	return net;
}

/* The RK4 reference of rk4_case with step dt: spikes into spk, V every
 * 1 ms from 0 to 200 ms into vs (201 values). */
#define RK4_T 200.0
static size_t rk4_reference(double dt, double *spk, size_t max, double *vs)
{
	double y[6] = {-65.0, 0, 0, 0, 40.0, 200.0}, ts[201];

	ref_gates(y[0], y);
	for (int k = 0; k <= 200; k++)
		ts[k] = k;
	return ref_run(y, RK4_I, RK4_T, dt, inputs, N_INPUTS, 3.0, spk, max, ts,
	               vs, 201);
}

/*
 * Spike times and V every 1 ms over 200 ms against the RK4 above (step
 * 1e-4 ms; halving it moves its 5 spikes by at most 7.4e-13 ms and V by
 * 4.8e-10 mV: the reference's own error). At rtol = atol = 1e-10 every
 * spike must be within 1e-8 ms (measured: 4.9e-10 ms) and V within 1e-6
 * mV everywhere (measured: 6.9e-8 mV); at the default 1e-6, spikes within
 * 1e-4 ms (measured: 1.4e-5 ms; the issue asks 0.01 ms) and V within 0.5
 * mV more than 1 ms from any spike (measured: 7.3e-5 mV).
 */
START_TEST(matches_rk4)
{
	static spikes s;
	static double ref[64], vs[201];
	size_t n = rk4_reference(1e-4, ref, 64, vs);
	double tols[2] = {1e-10, 1e-6}, lim_t[2] = {1e-8, 1e-4};

	ck_assert_uint_ge(n, 5);
	for (int q = 0; q < 2; q++) {
		double worst_t = 0, worst_v = 0, worst_away = 0;
		size_t own = 0;
		int p;
		ms_net *net = rk4_case(tols[q], &s, &p);

		ck_assert_int_eq(ms_net_build(net), MS_OK);
		for (int k = 0; k <= 200; k++) {
			double v, near = INFINITY;
			if (k > 0)
				ck_assert_int_eq(ms_net_run(net, k), MS_OK);
			v = get(net, p, 0, "V_m");
			for (size_t j = 0; j < n; j++)
				near = fmin(near, fabs(k - ref[j]));
			worst_v = fmax(worst_v, fabs(v - vs[k]));
			if (near > 1.0)
				worst_away = fmax(worst_away, fabs(v - vs[k]));
		}
		ms_net_destroy(net);
		for (size_t j = 0; j < s.n; j++)
			if (s.pop[j] == p && s.id[j] == 0 && own < 64)
				worst_t =
				    fmax(worst_t, fabs(s.t[j] - ref[own++]));
		fprintf(stderr,
		        "hh_traub vs RK4, tol %g: %zu spikes (RK4 %zu), max "
		        "|dt| %.3g ms, max |dV| %.3g mV (%.3g away from "
		        "spikes)\n",
		        tols[q], own, n, worst_t, worst_v, worst_away);
		ck_assert_uint_eq(own, n);
		ck_assert_msg(worst_t < lim_t[q], "max spike error %g ms",
		              worst_t);
		if (q == 0)
			ck_assert_msg(worst_v < 1e-6, "max |dV| %g", worst_v);
		else
			ck_assert_msg(worst_away < 0.5, "max |dV| %g",
			              worst_away);
	}
}
END_TEST

/* Spikes of one neuron with I_e = 400 pA over 300 ms, refractory t_ref. */
static void tonic(double t_ref, spikes *s)
{
	ms_net *net;
	int p;

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(ms_net_create(NULL, &net), MS_OK);
	ck_assert_int_eq(ms_net_add_population(net, "n", "hh_traub", 1, &p),
	                 MS_OK);
	set(net, p, "I_e", 400.0);
	set(net, p, "t_ref", t_ref);
	ms_net_set_spike_callback(net, on_spike, s);
	ck_assert_int_eq(ms_net_run(net, 300.0), MS_OK);
	ms_net_destroy(net);
}

/*
 * The refractory period disables the threshold only: the trajectory goes
 * on. So with t_ref = 25 ms the spikes are exactly those of t_ref = 0
 * taken greedily (each the first crossing at least 25 ms after the last
 * one kept), bit for bit; and the default 3 ms changes nothing at this
 * rate (interspike intervals above 3 ms).
 */
START_TEST(refractory_only_hides_crossings)
{
	static spikes a, b;
	double last = -INFINITY;
	size_t j = 0;

	tonic(0.0, &a);
	fprintf(stderr, "hh_traub 400 pA: %zu spikes in 300 ms\n", a.n);
	ck_assert_uint_gt(a.n, 20);
	tonic(3.0, &b);
	ck_assert_uint_eq(a.n, b.n);
	for (size_t k = 0; k < a.n; k++) {
		ck_assert(a.t[k] == b.t[k]);
		if (k > 0)
			ck_assert(a.t[k] - a.t[k - 1] > 3.0);
	}
	tonic(25.0, &b);
	for (size_t k = 0; k < a.n; k++) {
		if (a.t[k] < last + 25.0)
			continue;
		ck_assert_uint_lt(j, b.n);
		ck_assert_msg(b.t[j] == a.t[k], "%.17g vs %.17g", b.t[j],
		              a.t[k]);
		last = a.t[k];
		j++;
	}
	ck_assert_uint_eq(j, b.n);
	ck_assert_uint_lt(b.n, a.n);
}
END_TEST

/* A small COBAHH-like network of 40 neurons (30 exc, 10 inh sources of
 * conductance inputs onto all), Poisson drive of both receptors, a current
 * step; mode 1 cuts the run into pieces ending with a state read, mode 2
 * records V_m, n and g_i on the way. */
static void run_net(int mode, spikes *s)
{
	ms_net_opts o = {11};
	ms_net *net;
	int e, i, g, x;
	ms_conn_spec c = {.rule = MS_CONN_FIXED_PROB, .p = 0.2};
	ms_syn_spec sy = {
	    .weight = 6.0, .delay_ms = 1.0, .receptor = MS_RECEPTOR_EXC};
	double ts[2] = {50.3, 180.0}, amp[2] = {200.0, 0.0}, T = 300.0;

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(ms_net_create(&o, &net), MS_OK);
	ck_assert_int_eq(ms_net_add_population(net, "e", "hh_traub", 30, &e),
	                 MS_OK);
	ck_assert_int_eq(ms_net_add_population(net, "i", "hh_traub", 10, &i),
	                 MS_OK);
	ck_assert_int_eq(ms_net_add_population(net, "in", "poisson", 40, &g),
	                 MS_OK);
	set(net, g, "rate", 50.0);
	ck_assert_int_eq(ms_pop_init_uniform(net, e, "V_m", -70.0, -60.0),
	                 MS_OK);
	ck_assert_int_eq(ms_pop_init_uniform(net, e, "g_i", 0.0, 300.0), MS_OK);
	ck_assert_int_eq(ms_net_connect(net, g, e, &c, &sy, &x), MS_OK);
	ck_assert_int_eq(ms_net_connect(net, e, e, &c, &sy, &x), MS_OK);
	ck_assert_int_eq(ms_net_connect(net, e, i, &c, &sy, &x), MS_OK);
	sy.weight = 67.0;
	sy.delay_ms = 0.7;
	sy.receptor = MS_RECEPTOR_INH;
	ck_assert_int_eq(ms_net_connect(net, i, e, &c, &sy, &x), MS_OK);
	ck_assert_int_eq(ms_net_connect(net, g, i, &c, &sy, &x), MS_OK);
	ck_assert_int_eq(ms_pop_add_current(net, i, NULL, 0, ts, amp, 2),
	                 MS_OK);
	if (mode == 2) {
		ck_assert_int_eq(
		    ms_net_record_state(net, e, "V_m", NULL, 0, 0.1), MS_OK);
		ck_assert_int_eq(
		    ms_net_record_state(net, e, "n", NULL, 0, 0.37), MS_OK);
		ck_assert_int_eq(
		    ms_net_record_state(net, i, "g_i", NULL, 0, 0.5), MS_OK);
	}
	ms_net_set_spike_callback(net, on_spike, s);
	if (mode == 1) {
		double t = 0.0;
		while (t < T) {
			t = fmin(T, t + 1.337);
			ck_assert_int_eq(ms_net_run(net, t), MS_OK);
			ck_assert(isfinite(get(net, e, 3, "V_m")));
			ck_assert(get(net, i, 2, "g_e") >= 0.0);
		}
	} else {
		ck_assert_int_eq(ms_net_run(net, T), MS_OK);
	}
	ms_net_destroy(net);
}

/* Cutting the run into 225 pieces (each ending with state reads) and
 * sampling V, n and g_i on the way give bit-identical spikes. */
START_TEST(split_and_sampled_runs_identical)
{
	static spikes a, b;
	size_t own;

	run_net(0, &a);
	own = count_pop(&a, 0) + count_pop(&a, 1);
	fprintf(stderr, "hh_traub network: %zu spikes of hh_traub neurons\n",
	        own);
	ck_assert_uint_gt(own, 50);
	run_net(1, &b);
	assert_same_trains(&a, &b, "split run");
	run_net(2, &b);
	assert_same_trains(&a, &b, "sampled run");
}
END_TEST

START_TEST(bad_parameters_rejected)
{
	static const struct {
		const char *name;
		double v;
	} bad[] = {{"C_m", 0.0},        {"C_m", -1.0},   {"g_Na", -1.0},
	           {"g_K", -1e-9},      {"g_L", -10.0},  {"tau_syn_e", 0.0},
	           {"tau_syn_i", -5.0}, {"t_ref", -1.0}, {"rtol", 0.5},
	           {"rtol", 1e-16},     {"atol", 0.0},   {"atol", 2.0}};
	ms_net *net;
	int p;

	ck_assert_int_eq(ms_net_create(NULL, &net), MS_OK);
	ck_assert_int_eq(ms_net_add_population(net, "n", "hh_traub", 2, &p),
	                 MS_OK);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		const char *msg;
		ck_assert_int_eq(
		    ms_pop_set_param(net, p, bad[k].name, bad[k].v), MS_EINVAL);
		msg = ms_net_errmsg(net);
		ck_assert_msg(strstr(msg, bad[k].name) != NULL, "%s", msg);
	}
	ck_assert_int_eq(ms_pop_set_param(net, p, "g_Kd", 1.0), MS_ENOENT);
	ck_assert_int_eq(ms_pop_init_value(net, p, "theta", 0.0), MS_ENOENT);
	set(net, p, "g_Na", 0.0);
	ms_net_destroy(net);
}
END_TEST

static Suite *hh_traub_suite(void)
{
	Suite *s = suite_create("hh_traub");
	TCase *tc = tcase_create("model");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, rate_singularities_are_removed);
	tcase_add_test(tc, rest_is_steady_state);
	tcase_add_test(tc, matches_rk4);
	tcase_add_test(tc, refractory_only_hides_crossings);
	tcase_add_test(tc, split_and_sampled_runs_identical);
	tcase_add_test(tc, bad_parameters_rejected);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hh_traub_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * hh — the Hodgkin–Huxley (1952) squid giant axon model in the modern
 * convention (rest near -65 mV, depolarization positive):
 *
 *     C_m dV/dt = I - g_Na m^3 h (V - E_Na) - g_K n^4 (V - E_K)
 *                   - g_L (V - E_L)
 *     dx/dt     = phi (alpha_x(V) (1 - x) - beta_x(V) x),   x = m, h, n
 *     phi       = 3^((T - 6.3) / 10)
 *
 *     alpha_m = 0.1 (V + 40) / (1 - exp(-(V + 40) / 10))
 *     beta_m  = 4 exp(-(V + 65) / 18)
 *     alpha_h = 0.07 exp(-(V + 65) / 20)
 *     beta_h  = 1 / (1 + exp(-(V + 35) / 10))
 *     alpha_n = 0.01 (V + 55) / (1 - exp(-(V + 55) / 10))
 *     beta_n  = 0.125 exp(-(V + 65) / 80)
 *
 * Rates per ms, V in mV. Source: Hodgkin A. L., Huxley A. F. (1952), J
 * Physiol 117:500–544, with the sign and offset convention of Dayan &
 * Abbott (2001), Theoretical Neuroscience, section 5.6, and the reversal
 * potentials of /work/shared/reference/README.md.
 *
 * Units: the per-area model is scaled to a patch of 100 µm x 100 µm
 * (1e-4 cm^2), as NEST's hh_psc_alpha does: C_m = 100 pF, g_Na = 12000 nS,
 * g_K = 3600 nS, g_L = 30 nS, and 1 µA/cm^2 is 100 pA. A synaptic input of
 * weight w (mV) makes V jump by w; injected currents are in pA.
 *
 * alpha_m and alpha_n are 0/0 at V = -40 and -55 mV. Both are c x / (1 -
 * e^-x) with x = (V - V_s)/10; that function is evaluated with expm1 (full
 * precision for any x != 0) and by its Taylor series 1 + x/2 + x^2/12 for
 * |x| < 1e-4, where the neglected x^4/720 term is below 1e-19 relative.
 *
 * A spike is an upward crossing of V_spike (default 0 mV): V below it, then
 * at or above it. There is no reset. Integration, crossing location and
 * determinism follow neurons/izhikevich.c: the committed state changes only
 * at inputs and current steps; from it the Dormand–Prince 5(4) stepper
 * (neurons/ode.c) takes the controller's canonical steps; an input inside
 * a step cuts the step to end on it; crossings are located on the dense
 * output by bisection; predictions and state reads walk copies.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "neurons/ode.h"

enum {
	P_C_M,
	P_G_NA,
	P_G_K,
	P_G_L,
	P_E_NA,
	P_E_K,
	P_E_L,
	P_T,
	P_V_SPIKE,
	P_I_E,
	P_RTOL,
	P_ATOL,
	N_PARAMS
};
enum { V_V_M, V_M, V_H, V_N, N_VARS };

static const ms_param_info hh_params[] = {
    {"C_m", MS_DIM_CAPACITANCE, 100.0, 0.0, 1e12, 1,
     "membrane capacitance (1 uF/cm^2 on 1e-4 cm^2)"},
    {"g_Na", MS_DIM_CONDUCTANCE, 12000.0, 0.0, 1e12, 0,
     "peak sodium conductance (120 mS/cm^2 on 1e-4 cm^2)"},
    {"g_K", MS_DIM_CONDUCTANCE, 3600.0, 0.0, 1e12, 0,
     "peak potassium conductance (36 mS/cm^2 on 1e-4 cm^2)"},
    {"g_L", MS_DIM_CONDUCTANCE, 30.0, 0.0, 1e12, 0,
     "leak conductance (0.3 mS/cm^2 on 1e-4 cm^2)"},
    {"E_Na", MS_DIM_VOLTAGE, 50.0, -1e3, 1e3, 0, "sodium reversal potential"},
    {"E_K", MS_DIM_VOLTAGE, -77.0, -1e3, 1e3, 0,
     "potassium reversal potential"},
    {"E_L", MS_DIM_VOLTAGE, -54.387, -1e3, 1e3, 0, "leak reversal potential"},
    {"T", MS_DIM_NONE, 6.3, -20.0, 50.0, 0,
     "temperature in degrees C; rates scale by 3^((T - 6.3)/10)"},
    {"V_spike", MS_DIM_VOLTAGE, 0.0, -1e3, 1e3, 0,
     "spike at each upward crossing of this level"},
    {"I_e", MS_DIM_CURRENT, 0.0, -1e12, 1e12, 0, "constant bias current"},
    {"rtol", MS_DIM_NONE, 1e-6, 1e-13, 1e-2, 0,
     "relative tolerance of the integrator"},
    {"atol", MS_DIM_NONE, 1e-6, 1e-13, 1.0, 0,
     "absolute tolerance of the integrator (V in mV and the gates alike)"},
};

static const ms_var_info hh_vars[] = {
    {"V_m", MS_DIM_VOLTAGE, "membrane potential"},
    {"m", MS_DIM_NONE, "sodium activation"},
    {"h", MS_DIM_NONE, "sodium inactivation"},
    {"n", MS_DIM_NONE, "potassium activation"},
};

#define V_INIT  (-65.0)
#define H_START 0.05
#define H_MAX   5.0
#define HORIZON 5.0
/* Points per step at which V is compared with V_spike. A crossing up and
 * back down between two of them would be missed; error control keeps the
 * steps around an action potential (about 1 ms above 0 mV) much shorter
 * than that, even at rtol = atol = 1e-2 (all 7 spikes of the reference
 * run found). */
#define N_PROBE 4

/* The last step [ta, tb] of a walk along the canonical steps, with its
 * dense output; ta == tb: no step taken yet. */
typedef struct hhw {
	double ta, tb;
	double ha, hb, h; /* first try at ta, next try at tb, size of step */
	double yb[N_VARS], fb[N_VARS];
	double d[5 * N_VARS];
} hhw;

typedef struct hhn {
	double t0, y0[N_VARS], h0; /* committed state */
	double I;                  /* I_e + injected current, pA */
	double tc;                 /* next spike; NaN: not found yet */
	double t_clear;            /* every spike up to here found */
	int armed0;                /* V was below V_spike at t0 */
	int armed;                 /* V was below V_spike since the last
	                              spike, at t_clear */
	hhw pw;                    /* walk of the spike search */
	hhw kw;                    /* walk of peek and of commits */
	unsigned char set[N_VARS]; /* initial value given explicitly */
} hhn;

typedef struct hhctx {
	double inv_C, g_Na, g_K, g_L, E_Na, E_K, E_L, phi, I;
} hhctx;

typedef struct hh {
	hhctx c; /* I unused here: per unit */
	double V_spike, rtol, atol;
	hhn *n;
} hh;

/* x / (1 - e^-x), continued by its limit 1 at x = 0. */
static double xexp(double x)
{
	if (fabs(x) < 1e-4)
		return 1.0 + x * (0.5 + x / 12.0);
	return x / -expm1(-x);
}

/* The six rates (per ms, at 6.3 degrees C) at V: alpha, beta of m, h, n. */
static void rates(double V, double r[6])
{
	r[0] = xexp((V + 40.0) / 10.0);
	r[1] = 4.0 * exp(-(V + 65.0) / 18.0);
	r[2] = 0.07 * exp(-(V + 65.0) / 20.0);
	r[3] = 1.0 / (1.0 + exp(-(V + 35.0) / 10.0));
	r[4] = 0.1 * xexp((V + 55.0) / 10.0);
	r[5] = 0.125 * exp(-(V + 65.0) / 80.0);
}

static void rhs(double t, const double *y, double *dy, const void *ctx)
{
	const hhctx *c = ctx;
	double V = y[0], m = y[1], h = y[2], n = y[3], r[6], n2 = n * n;
	double I_ion = c->g_Na * m * m * m * h * (V - c->E_Na) +
	               c->g_K * n2 * n2 * (V - c->E_K) + c->g_L * (V - c->E_L);

	(void)t;
	rates(V, r);
	dy[0] = (c->I - I_ion) * c->inv_C;
	dy[1] = c->phi * (r[0] * (1.0 - m) - r[1] * m);
	dy[2] = c->phi * (r[2] * (1.0 - h) - r[3] * h);
	dy[3] = c->phi * (r[4] * (1.0 - n) - r[5] * n);
}

/* Gates at their steady state for V (the same at every temperature). */
static void gates_at_rest(hhn *n)
{
	double r[6];

	rates(n->y0[0], r);
	for (int k = 0; k < 3; k++)
		if (!n->set[V_M + k])
			n->y0[V_M + k] = r[2 * k] / (r[2 * k] + r[2 * k + 1]);
}

static void walk_reset(hhw *w, const hhn *n)
{
	w->ta = w->tb = n->t0;
	w->ha = w->hb = n->h0;
	w->h = 0.0;
	memcpy(w->yb, n->y0, sizeof(w->yb));
	memcpy(w->d, n->y0, sizeof(w->yb));
}

/* Both walks back to the committed state; the spike search starts over. */
static void restart(hhn *n)
{
	walk_reset(&n->pw, n);
	walk_reset(&n->kw, n);
	n->tc = NAN;
	n->t_clear = n->t0;
	n->armed = n->armed0;
}

/* Take the next step of walk w, cut at t_end. Returns 0, or -1 when the
 * step size collapses (w unchanged). */
static int walk_step(const hh *H, const hhn *n, hhw *w, double t_end)
{
	hhctx c = H->c;
	/* h_min a few ulps of t: a smaller step would not move time. */
	ms__ode_sys s = {N_VARS,  rhs,
	                 &c,      H->rtol,
	                 H->atol, fmax(1e-12, 8 * DBL_EPSILON * fabs(w->tb)),
	                 H_MAX};
	ms__ode_step st;

	c.I = n->I;
	if (ms__ode_step_once(&s, w->tb, w->yb, w->ta < w->tb ? w->fb : NULL,
	                      w->hb, t_end, &st))
		return -1;
	w->ta = st.t0;
	w->tb = st.t1;
	w->ha = w->hb;
	w->hb = st.h_next;
	w->h = st.h;
	memcpy(w->yb, st.y1, sizeof(w->yb));
	memcpy(w->fb, st.f1, sizeof(w->fb));
	memcpy(w->d, st.dense, sizeof(w->d));
	return 0;
}

static double dense_v(const hhw *w, double t)
{
	return ms__ode_dense1(w->d, N_VARS, 0, w->ta, w->h, t);
}

/* First time in (lo, hi] where the dense V of the last step of w reaches
 * V_spike, given V(lo) < V_spike <= V(hi): bisection to adjacent doubles. */
static double locate(const hh *H, const hhw *w, double lo, double hi)
{
	return ms__ode_dense_rise(w->d, N_VARS, 0, w->ta, w->h, lo, hi,
	                          H->V_spike);
}

/*
 * Search the part of the last step of the spike walk after t_clear: at
 * N_PROBE points V is compared with V_spike; V below arms the search, V at
 * or above when armed is a crossing, located between the two points.
 */
static void search_step(const hh *H, hhn *n)
{
	const hhw *w = &n->pw;
	double prev = w->ta;

	for (int k = 1; k <= N_PROBE; k++) {
		double s = k < N_PROBE ? w->ta + k * (w->h / N_PROBE) : w->tb;
		double v = k < N_PROBE ? dense_v(w, s) : w->yb[0];

		if (s > n->t_clear) {
			if (n->armed && v >= H->V_spike) {
				n->tc = locate(H, w, fmax(prev, n->t_clear), s);
				return;
			}
			if (v < H->V_spike)
				n->armed = 1;
		}
		prev = s;
	}
	n->t_clear = w->tb;
}

/* Extend the spike search until the next spike is found or no spike is
 * certain up to t_until. If the integrator cannot go on (only for
 * non-physical parameters driving V out of bounds) the unit falls silent. */
static void scan(const hh *H, hhn *n, double t_until)
{
	while (isnan(n->tc) && n->t_clear < t_until) {
		if (n->t_clear >= n->pw.tb &&
		    walk_step(H, n, &n->pw, INFINITY)) {
			n->t_clear = INFINITY;
			return;
		}
		search_step(H, n);
	}
}

/* Position walk kw on the step holding t (ta < t <= tb), t > t0. */
static int seek(const hh *H, hhn *n, double t)
{
	hhw *w = &n->kw;

	if (t <= w->ta)
		walk_reset(w, n);
	while (w->tb < t)
		if (walk_step(H, n, w, INFINITY))
			return -1;
	return 0;
}

/*
 * Move the committed state to t: the canonical steps up to the last
 * boundary before t, then steps cut to end exactly at t (the dense output
 * at t if those fail). A spike found at exactly t stays pending.
 */
static void commit_to(const hh *H, hhn *n, double t)
{
	hhw *w = &n->kw, cut;
	int pending = n->tc == t;

	if (t <= n->t0)
		return;
	if (seek(H, n, t) == 0) {
		cut = *w;
		cut.ta = cut.tb = w->ta;
		cut.hb = w->ha;
		memcpy(cut.yb, w->d, sizeof(cut.yb));
		while (cut.tb < t && walk_step(H, n, &cut, t) == 0)
			;
		if (cut.tb == t)
			memcpy(n->y0, cut.yb, sizeof(n->y0));
		else
			ms__ode_dense(w->d, N_VARS, w->ta, w->h, t, n->y0);
		n->h0 = w->ha;
	} else {
		memcpy(n->y0, w->yb, sizeof(n->y0));
	}
	n->t0 = t;
	n->armed0 = n->y0[0] < H->V_spike;
	restart(n);
	if (pending)
		n->tc = t;
}

static void hh_settle(ms__pop *p, uint32_t i, double t)
{
	hh *H = p->state;
	hhn *n = &H->n[i];

	for (;;) {
		if (!isnan(n->tc)) {
			if (n->tc >= t)
				return;
			ms__emit_spike(p, i, n->tc);
			n->t_clear = n->tc;
			n->armed = 0;
			n->tc = NAN;
			continue;
		}
		if (n->t_clear >= t)
			return;
		scan(H, n, t);
	}
}

/* The predicted spike, or the end of the search horizon. Called after
 * settle(t). */
static double hh_bound(ms__pop *p, uint32_t i, double t)
{
	hh *H = p->state;
	hhn *n = &H->n[i];

	if (isnan(n->tc) && n->t_clear <= t)
		scan(H, n, t + HORIZON);
	if (!isnan(n->tc))
		return fmax(n->tc, t);
	return n->t_clear;
}

static double hh_check(ms__pop *p, uint32_t i, double t)
{
	hh_settle(p, i, t);
	return hh_bound(p, i, t);
}

/* Inputs at t: V jumps by the weight; a jump from below V_spike to at or
 * above it is a spike at t. Any input may bring a spike forward (anode
 * break excitation follows inhibition), so each target is checked now. */
static void hh_deliver(ms__pop *p, double t, const ms__proj *j, uint64_t s0,
                       uint32_t count)
{
	hh *H = p->state;

	for (uint64_t s = s0; s < s0 + count; s++) {
		uint32_t i = j->target[s];
		hhn *n = &H->n[i];
		int pending;

		hh_settle(p, i, t);
		commit_to(H, n, t);
		pending = n->tc == t;
		n->y0[0] += j->weight[s];
		if (n->armed0 && n->y0[0] >= H->V_spike)
			pending = 1;
		n->armed0 = n->y0[0] < H->V_spike;
		restart(n);
		if (pending)
			n->tc = t;
		ms__register_check(p, i, t);
	}
}

static void hh_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	hh *H = p->state;
	hhn *n = &H->n[i];
	int pending;

	hh_settle(p, i, t);
	commit_to(H, n, t);
	pending = n->tc == t;
	n->I += dI;
	restart(n);
	if (pending)
		n->tc = t;
}

/* Value at t from the dense output of the canonical step holding t. */
static double hh_peek(ms__pop *p, uint32_t i, double t, int var)
{
	hh *H = p->state;
	hhn *n = &H->n[i];
	const hhw *w = &n->kw;

	if (t <= n->t0)
		return n->y0[var];
	if (seek(H, n, t))
		return NAN;
	return ms__ode_dense1(w->d, N_VARS, var, w->ta, w->h, t);
}

/* Initial values; a gate not given follows the steady state of V_m. */
static void hh_set_var(ms__pop *p, uint32_t i, int var, double value)
{
	hh *H = p->state;
	hhn *n = &H->n[i];

	n->y0[var] = value;
	n->set[var] = 1;
	gates_at_rest(n);
	n->armed0 = n->y0[0] < H->V_spike;
	restart(n);
}

static void hh_destroy(ms__pop *p)
{
	hh *H = p->state;

	if (!H)
		return;
	free(H->n);
	free(H);
	p->state = NULL;
}

static int hh_build(ms__pop *p, char *err, size_t errlen)
{
	const double *q = p->param;
	hh *H;

	(void)err;
	(void)errlen;
	H = calloc(1, sizeof(*H));
	if (!H)
		return MS_ENOMEM;
	p->state = H;
	H->c.inv_C = 1.0 / q[P_C_M];
	H->c.g_Na = q[P_G_NA];
	H->c.g_K = q[P_G_K];
	H->c.g_L = q[P_G_L];
	H->c.E_Na = q[P_E_NA];
	H->c.E_K = q[P_E_K];
	H->c.E_L = q[P_E_L];
	H->c.phi = pow(3.0, (q[P_T] - 6.3) / 10.0);
	H->V_spike = q[P_V_SPIKE];
	H->rtol = q[P_RTOL];
	H->atol = q[P_ATOL];
	H->n = calloc(p->n, sizeof(hhn));
	if (!H->n) {
		hh_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		hhn *n = &H->n[i];
		n->t0 = p->net->t_now;
		n->y0[0] = V_INIT;
		gates_at_rest(n);
		n->h0 = H_START;
		n->I = q[P_I_E];
		n->armed0 = n->y0[0] < H->V_spike;
		restart(n);
	}
	return MS_OK;
}

const ms__model ms__hh_model = {
    .name = "hh",
    .params = hh_params,
    .n_params = N_PARAMS,
    .vars = hh_vars,
    .n_vars = N_VARS,
    .weight_dim = MS_DIM_VOLTAGE,
    .build = hh_build,
    .destroy = hh_destroy,
    .settle = hh_settle,
    .deliver = hh_deliver,
    .add_current = hh_add_current,
    .bound = hh_bound,
    .check = hh_check,
    .peek = hh_peek,
    .set_var = hh_set_var,
};

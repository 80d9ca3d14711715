/*
 * hh_traub — the Hodgkin–Huxley type neuron of the COBAHH benchmark, with
 * the sodium and delayed-rectifier potassium currents of Traub & Miles and
 * exponentially decaying excitatory and inhibitory conductances:
 *
 *     C_m dV/dt = g_L (E_L - V) + g_e (E_e - V) + g_i (E_i - V)
 *                 - g_Na m^3 h (V - E_Na) - g_K n^4 (V - E_K) + I
 *     dx/dt     = alpha_x(V) (1 - x) - beta_x(V) x,      x = m, h, n
 *     dg_e/dt   = -g_e / tau_syn_e,       dg_i/dt = -g_i / tau_syn_i
 *
 *     alpha_m = 0.32 (13 - u) / (exp((13 - u) / 4) - 1)
 *     beta_m  = 0.28 (u - 40) / (exp((u - 40) / 5) - 1)
 *     alpha_h = 0.128 exp((17 - u) / 18)
 *     beta_h  = 4 / (1 + exp((40 - u) / 5))
 *     alpha_n = 0.032 (15 - u) / (exp((15 - u) / 5) - 1)
 *     beta_n  = 0.5 exp((10 - u) / 40),                   u = V - V_T
 *
 * Rates per ms, V in mV. Sources: Traub R. D., Miles R. (1991), Neuronal
 * Networks of the Hippocampus, Cambridge University Press; benchmark 3 of
 * Brette R. et al. (2007), J Comput Neurosci 23:349–398, with the values
 * of Brian2's COBAHH example (R. Brette, 2007): a patch of 20000 µm^2,
 * C_m 1 µF/cm^2, g_L 5e-5 S/cm^2, g_Na 100 mS/cm^2, g_K 30 mS/cm^2, that
 * is C_m = 200 pF, g_L = 10 nS, g_Na = 20000 nS, g_K = 6000 nS; E_L -60,
 * E_K -90, E_Na 50, V_T -63, E_e 0, E_i -80 mV; tau_syn_e 5, tau_syn_i 10
 * ms; spikes at V > -20 mV with a refractory period of 3 ms. These are the
 * parameter defaults.
 *
 * A synaptic input of weight w (nS) adds |w| to g_e (receptor exc) or g_i
 * (receptor inh), as in neurons/lif_cond.c.
 *
 * alpha_m, beta_m and alpha_n are 0/0 at u = 13, 40 and 15 mV. Each is
 * c x / (e^x - 1) for some x; that function is evaluated with expm1 (full
 * precision for any x != 0) and by its Taylor series 1 - x/2 + x^2/12 for
 * |x| < 1e-4, where the neglected x^4/720 term is below 1e-19 relative.
 *
 * A spike is an upward crossing of V_spike (default -20 mV) at least t_ref
 * after the previous spike: V below the level, then at or above it.
 * Crossings inside the refractory period are not spikes; the dynamics do
 * not stop (there is no reset), as with Brian2's refractory=3*ms on a
 * model without "unless refractory".
 *
 * Integration follows neurons/hh.c and neurons/lif_cond.c: the committed
 * state (t0, V, m, h, n, g_e, g_i, first step size) changes only at inputs
 * and current steps; between them g_e and g_i are exponentials in closed
 * form from it and V, m, h, n follow the canonical steps of the
 * Dormand–Prince 5(4) stepper (neurons/ode.c) from it; an input inside a
 * step cuts the step to end on it; crossings are located on the dense
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
	P_V_T,
	P_E_E,
	P_E_I,
	P_TAU_E,
	P_TAU_I,
	P_V_SPIKE,
	P_T_REF,
	P_I_E,
	P_RTOL,
	P_ATOL,
	N_PARAMS
};
enum { V_V_M, V_M, V_H, V_N, V_G_E, V_G_I, N_VARS };
#define N_ODE 4 /* V, m, h, n; g_e and g_i in closed form */

static const ms_param_info tm_params[] = {
    {"C_m", MS_DIM_CAPACITANCE, 200.0, 0.0, 1e12, 1,
     "membrane capacitance (1 uF/cm^2 on 20000 um^2)"},
    {"g_Na", MS_DIM_CONDUCTANCE, 20000.0, 0.0, 1e12, 0,
     "peak sodium conductance (100 mS/cm^2 on 20000 um^2)"},
    {"g_K", MS_DIM_CONDUCTANCE, 6000.0, 0.0, 1e12, 0,
     "peak delayed-rectifier potassium conductance (30 mS/cm^2)"},
    {"g_L", MS_DIM_CONDUCTANCE, 10.0, 0.0, 1e12, 0,
     "leak conductance (5e-5 S/cm^2 on 20000 um^2)"},
    {"E_Na", MS_DIM_VOLTAGE, 50.0, -1e3, 1e3, 0, "sodium reversal potential"},
    {"E_K", MS_DIM_VOLTAGE, -90.0, -1e3, 1e3, 0,
     "potassium reversal potential"},
    {"E_L", MS_DIM_VOLTAGE, -60.0, -1e3, 1e3, 0,
     "leak reversal potential (also the initial V)"},
    {"V_T", MS_DIM_VOLTAGE, -63.0, -1e3, 1e3, 0,
     "offset of the rate functions (they depend on V - V_T)"},
    {"E_e", MS_DIM_VOLTAGE, 0.0, -1e3, 1e3, 0, "excitatory reversal potential"},
    {"E_i", MS_DIM_VOLTAGE, -80.0, -1e3, 1e3, 0,
     "inhibitory reversal potential"},
    {"tau_syn_e", MS_DIM_TIME, 5.0, 0.0, 1e9, 1,
     "decay time of the excitatory conductance"},
    {"tau_syn_i", MS_DIM_TIME, 10.0, 0.0, 1e9, 1,
     "decay time of the inhibitory conductance"},
    {"V_spike", MS_DIM_VOLTAGE, -20.0, -1e3, 1e3, 0,
     "spike at each upward crossing of this level"},
    {"t_ref", MS_DIM_TIME, 3.0, 0.0, 1e9, 0,
     "after a spike, crossings are not spikes for this long"},
    {"I_e", MS_DIM_CURRENT, 0.0, -1e12, 1e12, 0, "constant bias current"},
    {"rtol", MS_DIM_NONE, 1e-6, 1e-13, 1e-2, 0,
     "relative tolerance of the integrator"},
    {"atol", MS_DIM_NONE, 1e-6, 1e-13, 1.0, 0,
     "absolute tolerance of the integrator (V in mV and the gates alike)"},
};

static const ms_var_info tm_vars[] = {
    {"V_m", MS_DIM_VOLTAGE, "membrane potential"},
    {"m", MS_DIM_NONE, "sodium activation"},
    {"h", MS_DIM_NONE, "sodium inactivation"},
    {"n", MS_DIM_NONE, "potassium activation"},
    {"g_e", MS_DIM_CONDUCTANCE, "excitatory conductance"},
    {"g_i", MS_DIM_CONDUCTANCE, "inhibitory conductance"},
};

#define H_START 0.05
#define H_MAX   5.0
/* Points per step at which V is compared with V_spike, as in hh.c: error
 * control keeps the steps around an action potential (under 1 ms above
 * -20 mV) much shorter than the time V spends above the level. */
#define N_PROBE 4

/* The last step [ta, tb] of a walk along the canonical steps, with its
 * dense output; ta == tb: no step taken yet. */
typedef struct tmw {
	double ta, tb;
	double ha, hb, h; /* first try at ta, next try at tb, size of step */
	double yb[N_ODE], fb[N_ODE];
	double d[5 * N_ODE];
} tmw;

typedef struct tmn {
	double t0, y0[N_ODE], ge0, gi0, h0; /* committed state */
	double I;                           /* I_e + injected current, pA */
	double tref_end;                    /* no spike before this */
	double tc;                          /* next spike; NaN: not found */
	double t_clear;                     /* every spike up to here found */
	int armed0;                         /* V was below V_spike at t0 */
	int armed;                          /* V was below V_spike since the
	                                       last spike or crossing, at
	                                       t_clear */
	tmw pw;                             /* walk of the spike search */
	tmw kw;                             /* walk of peek and of commits */
	unsigned char set[N_ODE];           /* initial value given */
} tmn;

typedef struct tm {
	double inv_C, g_Na, g_K, g_L, E_Na, E_K, E_L, V_T, E_e, E_i;
	double inv_te, inv_ti, V_spike, t_ref, rtol, atol;
	tmn *n;
} tm;

/* What the right-hand side needs: the conductances as exponentials from
 * the committed time. */
typedef struct tmctx {
	const tm *M;
	double t0, ge0, gi0, I;
} tmctx;

/* x / (e^x - 1), continued by its limit 1 at x = 0; e^x - 1 into *em. */
static double xexpm1(double x, double *em)
{
	*em = expm1(x);
	if (fabs(x) < 1e-4)
		return 1.0 + x * (-0.5 + x / 12.0);
	return x / *em;
}

/* The six rates (per ms) at V: alpha, beta of m, h, n. beta_h shares the
 * exponential of beta_m: 4 / (1 + e^-x) = 4 e^x / (e^x + 1), with e^x =
 * expm1(x) + 1 exact to 1e-16 absolute (5e-16 per ms in beta_h). */
static void rates(const tm *M, double V, double r[6])
{
	double u = V - M->V_T, em;

	r[0] = 1.28 * xexpm1((13.0 - u) / 4.0, &em);
	r[1] = 1.4 * xexpm1((u - 40.0) / 5.0, &em);
	r[2] = 0.128 * exp((17.0 - u) / 18.0);
	r[3] = 4.0 * (em + 1.0) / (em + 2.0);
	r[4] = 0.16 * xexpm1((15.0 - u) / 5.0, &em);
	r[5] = 0.5 * exp((10.0 - u) / 40.0);
}

static void rhs(double t, const double *y, double *dy, const void *ctx)
{
	const tmctx *c = ctx;
	const tm *M = c->M;
	double V = y[0], m = y[1], h = y[2], n = y[3], r[6], n2 = n * n;
	double s = t - c->t0;
	double I = c->I + M->g_L * (M->E_L - V) -
	           M->g_Na * m * m * m * h * (V - M->E_Na) -
	           M->g_K * n2 * n2 * (V - M->E_K);

	/* A zero conductance stays zero: skip its exponential. */
	if (c->ge0 != 0.0)
		I += c->ge0 * exp(-s * M->inv_te) * (M->E_e - V);
	if (c->gi0 != 0.0)
		I += c->gi0 * exp(-s * M->inv_ti) * (M->E_i - V);
	rates(M, V, r);
	dy[0] = I * M->inv_C;
	dy[1] = r[0] * (1.0 - m) - r[1] * m;
	dy[2] = r[2] * (1.0 - h) - r[3] * h;
	dy[3] = r[4] * (1.0 - n) - r[5] * n;
}

/* Gates not given explicitly at their steady state for V. */
static void gates_at_rest(const tm *M, tmn *n)
{
	double r[6];

	rates(M, n->y0[0], r);
	for (int k = 0; k < 3; k++)
		if (!n->set[V_M + k])
			n->y0[V_M + k] = r[2 * k] / (r[2 * k] + r[2 * k + 1]);
}

static void walk_reset(tmw *w, const tmn *n)
{
	w->ta = w->tb = n->t0;
	w->ha = w->hb = n->h0;
	w->h = 0.0;
	memcpy(w->yb, n->y0, sizeof(w->yb));
	memcpy(w->d, n->y0, sizeof(w->yb));
}

/* Both walks back to the committed state; the spike search starts over. */
static void restart(tmn *n)
{
	walk_reset(&n->pw, n);
	walk_reset(&n->kw, n);
	n->tc = NAN;
	n->t_clear = n->t0;
	n->armed = n->armed0;
}

/* Take the next step of walk w, cut at t_end. Returns 0, or -1 when the
 * step size collapses (w unchanged). */
static int walk_step(const tm *M, const tmn *n, tmw *w, double t_end)
{
	tmctx c = {M, n->t0, n->ge0, n->gi0, n->I};
	/* h_min a few ulps of t: a smaller step would not move time. */
	ms__ode_sys s = {N_ODE,   rhs,
	                 &c,      M->rtol,
	                 M->atol, fmax(1e-12, 8 * DBL_EPSILON * fabs(w->tb)),
	                 H_MAX};
	ms__ode_step st;

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

static double dense_v(const tmw *w, double t)
{
	return ms__ode_dense1(w->d, N_ODE, 0, w->ta, w->h, t);
}

/* First time in (lo, hi] where the dense V of the last step of w reaches
 * V_spike, given V(lo) < V_spike <= V(hi): bisection to adjacent doubles. */
static double locate(const tm *M, const tmw *w, double lo, double hi)
{
	return ms__ode_dense_rise(w->d, N_ODE, 0, w->ta, w->h, lo, hi,
	                          M->V_spike);
}

/*
 * Search the part of the last step of the spike walk after t_clear: at
 * N_PROBE points V is compared with V_spike; V below arms the search, V at
 * or above when armed is a crossing, located between the two points. A
 * crossing before tref_end is no spike: it disarms the search.
 */
static void search_step(const tm *M, tmn *n)
{
	const tmw *w = &n->pw;
	double prev = w->ta;

	for (int k = 1; k <= N_PROBE; k++) {
		double s = k < N_PROBE ? w->ta + k * (w->h / N_PROBE) : w->tb;
		double v = k < N_PROBE ? dense_v(w, s) : w->yb[0];

		if (s > n->t_clear) {
			if (n->armed && v >= M->V_spike) {
				double tc =
				    locate(M, w, fmax(prev, n->t_clear), s);
				if (tc >= n->tref_end) {
					n->tc = tc;
					return;
				}
				n->armed = 0;
			} else if (v < M->V_spike) {
				n->armed = 1;
			}
		}
		prev = s;
	}
	n->t_clear = w->tb;
}

/* Extend the spike search until the next spike is found or no spike is
 * certain up to t_until. If the integrator cannot go on (only for
 * non-physical parameters driving V out of bounds) the unit falls silent. */
static void scan(const tm *M, tmn *n, double t_until)
{
	while (isnan(n->tc) && n->t_clear < t_until) {
		if (n->t_clear >= n->pw.tb &&
		    walk_step(M, n, &n->pw, INFINITY)) {
			n->t_clear = INFINITY;
			return;
		}
		search_step(M, n);
	}
}

/* Position walk kw on the step holding t (ta < t <= tb), t > t0. Both
 * walks take the same steps: when the spike search holds that step, it is
 * copied rather than computed again. */
static int seek(const tm *M, tmn *n, double t)
{
	tmw *w = &n->kw;

	if (n->pw.ta < t && t <= n->pw.tb && !(w->ta < t && t <= w->tb)) {
		*w = n->pw;
		return 0;
	}
	if (t <= w->ta)
		walk_reset(w, n);
	while (w->tb < t)
		if (walk_step(M, n, w, INFINITY))
			return -1;
	return 0;
}

/*
 * Move the committed state to t: the canonical steps up to the last
 * boundary before t, then steps cut to end exactly at t (the dense output
 * at t if those fail); the conductances decay in closed form. A spike found
 * at exactly t stays pending.
 */
static void commit_to(const tm *M, tmn *n, double t)
{
	tmw *w = &n->kw, cut;
	int pending = n->tc == t;
	double s = t - n->t0;

	if (t <= n->t0)
		return;
	if (seek(M, n, t) == 0) {
		cut = *w;
		cut.ta = cut.tb = w->ta;
		cut.hb = w->ha;
		memcpy(cut.yb, w->d, sizeof(cut.yb));
		while (cut.tb < t && walk_step(M, n, &cut, t) == 0)
			;
		if (cut.tb == t)
			memcpy(n->y0, cut.yb, sizeof(n->y0));
		else
			ms__ode_dense(w->d, N_ODE, w->ta, w->h, t, n->y0);
		n->h0 = w->ha;
	} else {
		memcpy(n->y0, w->yb, sizeof(n->y0));
	}
	n->ge0 *= exp(-s * M->inv_te);
	n->gi0 *= exp(-s * M->inv_ti);
	n->t0 = t;
	n->armed0 = n->y0[0] < M->V_spike;
	restart(n);
	if (pending)
		n->tc = t;
}

static void tm_settle(ms__pop *p, uint32_t i, double t)
{
	tm *M = p->state;
	tmn *n = &M->n[i];

	for (;;) {
		if (!isnan(n->tc)) {
			if (n->tc >= t)
				return;
			ms__emit_spike(p, i, n->tc);
			n->tref_end = n->tc + M->t_ref;
			n->t_clear = n->tc;
			n->armed = 0;
			n->tc = NAN;
			continue;
		}
		if (n->t_clear >= t)
			return;
		scan(M, n, t);
	}
}

/*
 * The predicted spike, or the end of the search so far, at least one step
 * beyond t. Called after settle(t). The search looks no further ahead than
 * that: in a network inputs arrive every fraction of a millisecond, each
 * one restarts it, and the engine's next check continues it.
 */
static double tm_bound(ms__pop *p, uint32_t i, double t)
{
	tm *M = p->state;
	tmn *n = &M->n[i];

	if (isnan(n->tc) && n->t_clear <= t)
		scan(M, n, nextafter(t, INFINITY));
	if (!isnan(n->tc))
		return fmax(n->tc, t);
	return n->t_clear;
}

static double tm_check(ms__pop *p, uint32_t i, double t)
{
	tm_settle(p, i, t);
	return tm_bound(p, i, t);
}

/* Inputs at t: the conductance of the synapse's receptor grows by |w|.
 * Every target is checked in this window: excitation brings the next
 * spike forward, and so can inhibition (rebound, or V below E_i). */
static void tm_deliver(ms__pop *p, double t, const ms__proj *j, uint64_t s0,
                       uint32_t count)
{
	tm *M = p->state;

	for (uint64_t s = s0; s < s0 + count; s++) {
		uint32_t i = j->target[s];
		tmn *n = &M->n[i];
		int r = j->rec_all >= 0 ? j->rec_all : j->receptor[s];
		int pending;

		tm_settle(p, i, t);
		commit_to(M, n, t);
		pending = n->tc == t;
		if (r == MS_RECEPTOR_INH)
			n->gi0 += fabs(j->weight[s]);
		else
			n->ge0 += fabs(j->weight[s]);
		restart(n);
		if (pending)
			n->tc = t;
		ms__register_check(p, i, t);
	}
}

static void tm_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	tm *M = p->state;
	tmn *n = &M->n[i];
	int pending;

	tm_settle(p, i, t);
	commit_to(M, n, t);
	pending = n->tc == t;
	n->I += dI;
	restart(n);
	if (pending)
		n->tc = t;
}

/* V and the gates from the dense output of the canonical step holding t;
 * the conductances in closed form. */
static double tm_peek(ms__pop *p, uint32_t i, double t, int var)
{
	tm *M = p->state;
	tmn *n = &M->n[i];
	const tmw *w = &n->kw;

	if (var == V_G_E)
		return n->ge0 * exp(-(t - n->t0) * M->inv_te);
	if (var == V_G_I)
		return n->gi0 * exp(-(t - n->t0) * M->inv_ti);
	if (t <= n->t0)
		return n->y0[var];
	if (seek(M, n, t))
		return NAN;
	return ms__ode_dense1(w->d, N_ODE, var, w->ta, w->h, t);
}

/* Initial values; a gate not given follows the steady state of V_m. */
static void tm_set_var(ms__pop *p, uint32_t i, int var, double value)
{
	tm *M = p->state;
	tmn *n = &M->n[i];

	if (var == V_G_E) {
		n->ge0 = value;
	} else if (var == V_G_I) {
		n->gi0 = value;
	} else {
		n->y0[var] = value;
		n->set[var] = 1;
		gates_at_rest(M, n);
		n->armed0 = n->y0[0] < M->V_spike;
	}
	restart(n);
}

static void tm_destroy(ms__pop *p)
{
	tm *M = p->state;

	if (!M)
		return;
	free(M->n);
	free(M);
	p->state = NULL;
}

static int tm_build(ms__pop *p, char *err, size_t errlen)
{
	const double *q = p->param;
	tm *M;

	(void)err;
	(void)errlen;
	M = calloc(1, sizeof(*M));
	if (!M)
		return MS_ENOMEM;
	p->state = M;
	M->inv_C = 1.0 / q[P_C_M];
	M->g_Na = q[P_G_NA];
	M->g_K = q[P_G_K];
	M->g_L = q[P_G_L];
	M->E_Na = q[P_E_NA];
	M->E_K = q[P_E_K];
	M->E_L = q[P_E_L];
	M->V_T = q[P_V_T];
	M->E_e = q[P_E_E];
	M->E_i = q[P_E_I];
	M->inv_te = 1.0 / q[P_TAU_E];
	M->inv_ti = 1.0 / q[P_TAU_I];
	M->V_spike = q[P_V_SPIKE];
	M->t_ref = q[P_T_REF];
	M->rtol = q[P_RTOL];
	M->atol = q[P_ATOL];
	M->n = calloc(p->n, sizeof(tmn));
	if (!M->n) {
		tm_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		tmn *n = &M->n[i];
		n->t0 = p->net->t_now;
		n->y0[0] = M->E_L;
		gates_at_rest(M, n);
		n->h0 = H_START;
		n->I = q[P_I_E];
		n->tref_end = -INFINITY;
		n->armed0 = n->y0[0] < M->V_spike;
		restart(n);
	}
	return MS_OK;
}

const ms__model ms__hh_traub_model = {
    .name = "hh_traub",
    .params = tm_params,
    .n_params = N_PARAMS,
    .vars = tm_vars,
    .n_vars = N_VARS,
    .weight_dim = MS_DIM_CONDUCTANCE,
    .build = tm_build,
    .destroy = tm_destroy,
    .settle = tm_settle,
    .deliver = tm_deliver,
    .add_current = tm_add_current,
    .bound = tm_bound,
    .check = tm_check,
    .peek = tm_peek,
    .set_var = tm_set_var,
};

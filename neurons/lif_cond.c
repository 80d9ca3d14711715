/*
 * lif_cond — leaky integrate-and-fire neuron with exponentially decaying
 * excitatory and inhibitory conductances and an adaptive threshold:
 *
 *     C_m dV/dt = g_L (E_L - V) + g_e (E_e - V) + g_i (E_i - V) + I_e + I_inj
 *     dg_e/dt   = -g_e / tau_syn_e,     dg_i/dt = -g_i / tau_syn_i
 *     dtheta/dt = -theta / tau_theta
 *     when V >= V_th + theta:  V = V_reset for t_ref, theta += theta_plus
 *
 * A synaptic input of weight w (nS) adds |w| to g_e (receptor exc) or g_i
 * (receptor inh); with receptor auto the sign of w picks the receptor, as
 * for NEST's iaf_cond_exp. During the refractory period V is held at
 * V_reset while the conductances keep decaying and taking inputs.
 *
 * Sources: the COBA network of Brette R. et al. (2007), J Comput Neurosci
 * 23:349–398, benchmark 1 (the parameter defaults); the adaptive threshold
 * of Diehl P. U., Cook M. (2015), Front Comput Neurosci 9:99 (theta_plus
 * 0.05 mV, tau_theta 1e7 ms there). tau_theta = infinity stops the decay;
 * with theta_plus = 0 as well, theta is frozen at its initial values.
 *
 * Integration: between events g_e, g_i and theta are exponentials in closed
 * form from the committed state, so only V is integrated, with the
 * Dormand–Prince 5(4) stepper and dense output of neurons/ode.c. The
 * determinism rules are those of neurons/izhikevich.c: the committed state
 * (t0, V, g_e, g_i, theta, first step size) changes only at inputs, current
 * steps and spikes; from it the integrator takes the controller's canonical
 * steps; moving the state to an input cuts the step that would pass it so
 * that it ends on it; threshold crossings are located on the dense output
 * by bisection; predictions and state reads walk copies.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "neurons/ode.h"

enum {
	P_C_M,
	P_G_L,
	P_E_L,
	P_V_TH,
	P_V_RESET,
	P_T_REF,
	P_E_E,
	P_E_I,
	P_TAU_E,
	P_TAU_I,
	P_I_E,
	P_THETA_PLUS,
	P_TAU_THETA,
	P_RTOL,
	P_ATOL,
	N_PARAMS
};
enum { V_V_M, V_G_E, V_G_I, V_THETA, N_VARS };

static const ms_param_info lc_params[] = {
    {"C_m", MS_DIM_CAPACITANCE, 200.0, 0.0, 1e12, 1, "membrane capacitance"},
    {"g_L", MS_DIM_CONDUCTANCE, 10.0, 0.0, 1e12, 0, "leak conductance"},
    {"E_L", MS_DIM_VOLTAGE, -60.0, -1e3, 1e3, 0, "leak reversal potential"},
    {"V_th", MS_DIM_VOLTAGE, -50.0, -1e3, 1e3, 0,
     "firing threshold without adaptation (theta = 0)"},
    {"V_reset", MS_DIM_VOLTAGE, -60.0, -1e3, 1e3, 0,
     "potential after a spike (must be below V_th)"},
    {"t_ref", MS_DIM_TIME, 5.0, 0.0, 1e9, 0, "absolute refractory period"},
    {"E_e", MS_DIM_VOLTAGE, 0.0, -1e3, 1e3, 0, "excitatory reversal potential"},
    {"E_i", MS_DIM_VOLTAGE, -80.0, -1e3, 1e3, 0,
     "inhibitory reversal potential"},
    {"tau_syn_e", MS_DIM_TIME, 5.0, 0.0, 1e9, 1,
     "decay time of the excitatory conductance"},
    {"tau_syn_i", MS_DIM_TIME, 10.0, 0.0, 1e9, 1,
     "decay time of the inhibitory conductance"},
    {"I_e", MS_DIM_CURRENT, 0.0, -1e12, 1e12, 0, "constant bias current"},
    {"theta_plus", MS_DIM_VOLTAGE, 0.0, 0.0, 1e3, 0,
     "jump of the adaptive threshold theta at each spike"},
    {"tau_theta", MS_DIM_TIME, 1e7, 0.0, INFINITY, 1,
     "decay time of theta (infinity: no decay)"},
    {"rtol", MS_DIM_NONE, 1e-6, 1e-13, 1e-2, 0,
     "relative tolerance of the integrator"},
    {"atol", MS_DIM_VOLTAGE, 1e-6, 1e-13, 1.0, 0,
     "absolute tolerance of the integrator (V)"},
};

static const ms_var_info lc_vars[] = {
    {"V_m", MS_DIM_VOLTAGE, "membrane potential"},
    {"g_e", MS_DIM_CONDUCTANCE, "excitatory conductance"},
    {"g_i", MS_DIM_CONDUCTANCE, "inhibitory conductance"},
    {"theta", MS_DIM_VOLTAGE, "adaptive threshold (added to V_th)"},
};

#define H_START 0.05
#define H_MAX   5.0
#define HORIZON 5.0
/* Points per step at which V is compared with the threshold, as in hh.c:
 * an excursion above threshold and back between two of them is missed;
 * error control keeps steps short where V moves fast. */
#define N_PROBE 4

/* The last step [ta, tb] of a walk along the canonical steps of V, with its
 * dense output; ta == tb: no step taken yet. */
typedef struct lcw {
	double ta, tb;
	double ha, hb, h; /* first try at ta, next try at tb, size of step */
	double yb, fb;    /* V and dV/dt at tb */
	double d[5];      /* dense output; d[0] = V(ta) */
} lcw;

typedef struct lcn {
	double t0, V0, ge0, gi0, th0, h0; /* committed state */
	double tref_end;                  /* V held at V_reset before this */
	double I;                         /* I_e + injected current, pA */
	double tc;                        /* next spike; NaN: not found yet */
	double t_clear;                   /* no spike in [start, t_clear] */
	lcw pw;                           /* walk of the spike search */
	lcw kw;                           /* walk of peek and of commits */
} lcn;

typedef struct lc {
	double inv_C, g_L, E_L, V_th, V_reset, t_ref, E_e, E_i;
	double inv_te, inv_ti, theta_plus, inv_tth;
	double rtol, atol;
	lcn *n;
} lc;

/* What the right-hand side of V needs: the conductances as exponentials
 * from the committed time. */
typedef struct lcctx {
	const lc *L;
	double t0, ge0, gi0, I;
} lcctx;

static void rhs(double t, const double *y, double *dy, const void *ctx)
{
	const lcctx *c = ctx;
	const lc *L = c->L;
	double V = y[0], s = t - c->t0;
	double I = c->I + L->g_L * (L->E_L - V);

	/* A zero conductance stays zero: skip its exponential. */
	if (c->ge0 != 0.0)
		I += c->ge0 * exp(-s * L->inv_te) * (L->E_e - V);
	if (c->gi0 != 0.0)
		I += c->gi0 * exp(-s * L->inv_ti) * (L->E_i - V);
	dy[0] = I * L->inv_C;
}

/* Start of free evolution from the committed state. */
static double start_of(const lcn *n)
{
	return fmax(n->t0, n->tref_end);
}

static double threshold(const lc *L, const lcn *n, double t)
{
	return L->V_th + n->th0 * exp(-(t - n->t0) * L->inv_tth);
}

static void walk_reset(lcw *w, const lcn *n)
{
	w->ta = w->tb = start_of(n);
	w->ha = w->hb = n->h0;
	w->h = 0.0;
	w->yb = w->d[0] = n->V0;
}

/* Both walks back to the committed state; the spike search starts over. */
static void restart(lcn *n)
{
	walk_reset(&n->pw, n);
	walk_reset(&n->kw, n);
	n->tc = NAN;
	n->t_clear = start_of(n);
}

/* Take the next step of walk w, cut at t_end. Returns 0, or -1 when the
 * step size collapses (w unchanged). */
static int walk_step(const lc *L, const lcn *n, lcw *w, double t_end)
{
	lcctx c = {L, n->t0, n->ge0, n->gi0, n->I};
	/* h_min a few ulps of t: a smaller step would not move time. */
	ms__ode_sys s = {1,       rhs,
	                 &c,      L->rtol,
	                 L->atol, fmax(1e-12, 8 * DBL_EPSILON * fabs(w->tb)),
	                 H_MAX};
	ms__ode_step st;

	if (ms__ode_step_once(&s, w->tb, &w->yb, w->ta < w->tb ? &w->fb : NULL,
	                      w->hb, t_end, &st))
		return -1;
	w->ta = st.t0;
	w->tb = st.t1;
	w->ha = w->hb;
	w->hb = st.h_next;
	w->h = st.h;
	w->yb = st.y1[0];
	w->fb = st.f1[0];
	memcpy(w->d, st.dense, sizeof(w->d));
	return 0;
}

static double dense_v(const lcw *w, double t)
{
	return ms__ode_dense1(w->d, 1, 0, w->ta, w->h, t);
}

/* V minus the threshold at t inside the last step of w. */
static double above(const lc *L, const lcn *n, const lcw *w, double t)
{
	double v = t < w->tb ? dense_v(w, t) : w->yb;

	return v - threshold(L, n, t);
}

/* First time in (lo, hi] where V reaches the threshold in the last step of
 * the spike walk, given it is below at lo and not at hi: bisection to
 * adjacent doubles. */
static double locate(const lc *L, const lcn *n, double lo, double hi)
{
	for (;;) {
		double mid = lo + 0.5 * (hi - lo);
		if (mid <= lo || mid >= hi)
			return hi;
		if (above(L, n, &n->pw, mid) >= 0.0)
			hi = mid;
		else
			lo = mid;
	}
}

/* Search the part of the last step of the spike walk after t_clear at
 * N_PROBE points; the first at or above threshold brackets the crossing
 * with the point before it. */
static void search_step(const lc *L, lcn *n)
{
	const lcw *w = &n->pw;
	double prev = w->ta;

	for (int k = 1; k <= N_PROBE; k++) {
		double s = k < N_PROBE ? w->ta + k * (w->h / N_PROBE) : w->tb;

		if (s > n->t_clear && above(L, n, w, s) >= 0.0) {
			n->tc = locate(L, n, fmax(prev, n->t_clear), s);
			return;
		}
		prev = s;
	}
	n->t_clear = w->tb;
}

/* Extend the spike search until the next spike is found or no spike is
 * certain up to t_until. The equation is linear in V, so the step size
 * cannot collapse for valid parameters; if it did, the unit falls silent. */
static void scan(const lc *L, lcn *n, double t_until)
{
	while (isnan(n->tc) && n->t_clear < t_until) {
		if (n->t_clear >= n->pw.tb &&
		    walk_step(L, n, &n->pw, INFINITY)) {
			n->t_clear = INFINITY;
			return;
		}
		search_step(L, n);
	}
}

/* Position walk kw on the step holding t (ta < t <= tb), t > start. */
static int seek(const lc *L, lcn *n, double t)
{
	lcw *w = &n->kw;

	if (t <= w->ta)
		walk_reset(w, n);
	while (w->tb < t)
		if (walk_step(L, n, w, INFINITY))
			return -1;
	return 0;
}

/* The closed-form variables decayed from t0 to t, made the new reference. */
static void decay_to(const lc *L, lcn *n, double t)
{
	double s = t - n->t0;

	n->ge0 *= exp(-s * L->inv_te);
	n->gi0 *= exp(-s * L->inv_ti);
	n->th0 *= exp(-s * L->inv_tth);
	n->t0 = t;
}

/*
 * Move the committed state to t (no spike pending before t). During the
 * refractory period only the conductances and theta move. Otherwise V
 * follows the canonical steps up to the last boundary before t, then
 * steps cut to end exactly at t (the dense output at t if those fail).
 */
static void commit_to(const lc *L, lcn *n, double t)
{
	lcw *w = &n->kw, cut;

	if (t <= n->t0)
		return;
	if (t > start_of(n)) {
		if (seek(L, n, t) == 0) {
			cut = *w;
			cut.ta = cut.tb = w->ta;
			cut.hb = w->ha;
			cut.yb = w->d[0];
			while (cut.tb < t && walk_step(L, n, &cut, t) == 0)
				;
			n->V0 = cut.tb == t ? cut.yb : dense_v(w, t);
			n->h0 = w->ha;
		} else {
			n->V0 = w->yb;
		}
	}
	decay_to(L, n, t);
	restart(n);
}

static void fire(ms__pop *p, const lc *L, lcn *n, uint32_t i)
{
	double tc = n->tc;

	if (tc > start_of(n))
		n->h0 = n->pw.ha;
	decay_to(L, n, tc);
	n->V0 = L->V_reset;
	n->th0 += L->theta_plus;
	n->tref_end = tc + L->t_ref;
	restart(n);
	ms__emit_spike(p, i, tc);
}

static void lc_settle(ms__pop *p, uint32_t i, double t)
{
	lc *L = p->state;
	lcn *n = &L->n[i];

	for (;;) {
		if (!isnan(n->tc)) {
			if (n->tc >= t)
				return;
			fire(p, L, n, i);
			continue;
		}
		if (n->t_clear >= t)
			return;
		scan(L, n, t);
	}
}

/* The predicted spike, or the end of the search horizon. Called after
 * settle(t). */
static double lc_bound(ms__pop *p, uint32_t i, double t)
{
	lc *L = p->state;
	lcn *n = &L->n[i];

	if (isnan(n->tc) && n->t_clear <= t)
		scan(L, n, fmax(t, start_of(n)) + HORIZON);
	if (!isnan(n->tc))
		return fmax(n->tc, t);
	return n->t_clear;
}

static double lc_check(ms__pop *p, uint32_t i, double t)
{
	lc_settle(p, i, t);
	return lc_bound(p, i, t);
}

/* Inputs at t: the conductance of the synapse's receptor grows by |w|.
 * Every target is checked in this window: excitation brings the next
 * spike forward, and so does inhibition when V is below E_i. */
static void lc_deliver(ms__pop *p, double t, const ms__proj *j, uint64_t s0,
                       uint32_t count)
{
	lc *L = p->state;

	for (uint64_t s = s0; s < s0 + count; s++) {
		uint32_t i = j->target[s];
		lcn *n = &L->n[i];
		int r = j->rec_all >= 0 ? j->rec_all : j->receptor[s];

		lc_settle(p, i, t);
		commit_to(L, n, t);
		if (r == MS_RECEPTOR_INH)
			n->gi0 += fabs(j->weight[s]);
		else
			n->ge0 += fabs(j->weight[s]);
		restart(n);
		ms__register_check(p, i, t);
	}
}

static void lc_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	lc *L = p->state;
	lcn *n = &L->n[i];

	lc_settle(p, i, t);
	commit_to(L, n, t);
	n->I += dI;
	restart(n);
}

/* V from the dense output of the canonical step holding t (V_reset while
 * refractory); the others in closed form. */
static double lc_peek(ms__pop *p, uint32_t i, double t, int var)
{
	lc *L = p->state;
	lcn *n = &L->n[i];
	double s = t - n->t0;

	switch (var) {
	case V_G_E:
		return n->ge0 * exp(-s * L->inv_te);
	case V_G_I:
		return n->gi0 * exp(-s * L->inv_ti);
	case V_THETA:
		return n->th0 * exp(-s * L->inv_tth);
	}
	if (t <= start_of(n))
		return n->V0;
	if (seek(L, n, t))
		return NAN;
	return dense_v(&n->kw, t);
}

/* Initial values. A unit that starts at or above its threshold fires at
 * the start. */
static void lc_set_var(ms__pop *p, uint32_t i, int var, double value)
{
	lc *L = p->state;
	lcn *n = &L->n[i];

	switch (var) {
	case V_V_M:
		n->V0 = value;
		break;
	case V_G_E:
		n->ge0 = value;
		break;
	case V_G_I:
		n->gi0 = value;
		break;
	default:
		n->th0 = value;
		break;
	}
	restart(n);
	if (n->V0 >= threshold(L, n, n->t0))
		n->tc = n->t0;
}

static void lc_destroy(ms__pop *p)
{
	lc *L = p->state;

	if (!L)
		return;
	free(L->n);
	free(L);
	p->state = NULL;
}

static int lc_build(ms__pop *p, char *err, size_t errlen)
{
	const double *q = p->param;
	lc *L;

	if (q[P_V_RESET] >= q[P_V_TH]) {
		snprintf(err, errlen,
		         "V_reset (%g mV) must be below V_th (%g mV)",
		         q[P_V_RESET], q[P_V_TH]);
		return MS_EINVAL;
	}
	L = calloc(1, sizeof(*L));
	if (!L)
		return MS_ENOMEM;
	p->state = L;
	L->inv_C = 1.0 / q[P_C_M];
	L->g_L = q[P_G_L];
	L->E_L = q[P_E_L];
	L->V_th = q[P_V_TH];
	L->V_reset = q[P_V_RESET];
	L->t_ref = q[P_T_REF];
	L->E_e = q[P_E_E];
	L->E_i = q[P_E_I];
	L->inv_te = 1.0 / q[P_TAU_E];
	L->inv_ti = 1.0 / q[P_TAU_I];
	L->theta_plus = q[P_THETA_PLUS];
	L->inv_tth = 1.0 / q[P_TAU_THETA];
	L->rtol = q[P_RTOL];
	L->atol = q[P_ATOL];
	L->n = calloc(p->n, sizeof(lcn));
	if (!L->n) {
		lc_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		lcn *n = &L->n[i];
		n->t0 = p->net->t_now;
		n->V0 = L->E_L;
		n->h0 = H_START;
		n->tref_end = -INFINITY;
		n->I = q[P_I_E];
		restart(n);
		if (n->V0 >= threshold(L, n, n->t0))
			n->tc = n->t0;
	}
	return MS_OK;
}

const ms__model ms__lif_cond_model = {
    .name = "lif_cond",
    .params = lc_params,
    .n_params = N_PARAMS,
    .vars = lc_vars,
    .n_vars = N_VARS,
    .weight_dim = MS_DIM_CONDUCTANCE,
    .build = lc_build,
    .destroy = lc_destroy,
    .settle = lc_settle,
    .deliver = lc_deliver,
    .add_current = lc_add_current,
    .bound = lc_bound,
    .check = lc_check,
    .peek = lc_peek,
    .set_var = lc_set_var,
};

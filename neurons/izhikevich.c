/*
 * izhikevich — the simple model of Izhikevich (2003), "Simple model of
 * spiking neurons", IEEE Trans Neural Netw 14:1569–1572:
 *
 *     dv/dt = 0.04 v^2 + 5 v + 140 - u + I
 *     du/dt = a (b v - u)
 *     when v >= v_peak (30 mV): v = c, u = u + d
 *
 * t in ms, v and u in mV (u enters dv/dt per ms, as in the paper), a per
 * ms, b dimensionless. I = (I_e + I_inj(t)) / C_m: a current in pA over a
 * capacitance in pF is in mV/ms; with the default C_m = 1 pF a current of
 * 10 pA is the paper's I = 10 (NEST's izhikevich adds pA to dv/dt the same
 * way). A synaptic input of weight w (mV) makes v jump by w.
 *
 * Integration: Dormand–Prince 5(4) with error control and dense output
 * (neurons/ode.c), tolerances rtol/atol per population, walked as in
 * neurons/ode_walk.h (shared with hh and hh_traub). Determinism (see
 * docs/models.md): the committed state (t0, v, u, first step size h0)
 * changes only at inputs, current steps and spikes. From it the integrator
 * takes a canonical sequence of steps, the controller's; moving the state
 * to an input at t cuts the step that would pass t so that it ends at t.
 * Threshold crossings are located inside a step on the dense output (by
 * bisection to the last bit). Predicting the next spike walks the same
 * canonical steps on a copy, so asking never changes the result.
 *
 * Fixed step (fixed_dt = dt > 0), for reproducing published results: the
 * scheme of the paper's MATLAB network code (Izhikevich 2003, Fig. 3),
 * one step per grid point t_k = t_start + k dt (t_start: the first run's
 * start):
 *
 *     if v >= v_peak: spike at t_k; v = c, u = u + d
 *     v += dt/2 (0.04 v^2 + 5 v + 140 - u + I_k)      (twice)
 *     u += dt a (b v - u)
 *
 * with I_k = (I_e + I_inj) / C_m + the synaptic drive of step k: each
 * input of weight w (mV) arriving in (t_{k-1}, t_k] adds w / dt to I_k
 * for that one step (the paper's I = I + sum(S(:,fired)) at dt = 1 ms, so
 * that the input adds about w to v over the step); a current step at t in
 * (t_{k-1}, t_k] applies from step k on. Spike times are grid points: the
 * one mode that is not exact, kept for comparisons with published
 * numbers. The state is kept at the first grid point not before the
 * time settled to, its step not yet taken (inputs may still join it).
 */
#include <math.h>
#include <stdlib.h>

#include "engine/internal.h"
#include "neurons/ode_walk.h"

enum {
	P_A,
	P_B,
	P_C,
	P_D,
	P_V_PEAK,
	P_C_M,
	P_I_E,
	P_RTOL,
	P_ATOL,
	P_FIXED_DT,
	N_PARAMS
};
enum { V_V_M, V_U_M };

static const ms_param_info izh_params[] = {
    {"a", MS_DIM_NONE, 0.02, 0.0, 1e3, 1,
     "time scale of u, per ms (paper's a)"},
    {"b", MS_DIM_NONE, 0.2, -1e3, 1e3, 0, "sensitivity of u to v (paper's b)"},
    {"c", MS_DIM_VOLTAGE, -65.0, -1e3, 1e3, 0,
     "v after a spike (must be below v_peak)"},
    {"d", MS_DIM_VOLTAGE, 8.0, -1e3, 1e3, 0, "jump of u at a spike"},
    {"v_peak", MS_DIM_VOLTAGE, 30.0, -1e3, 1e3, 0,
     "spike when v reaches this value"},
    {"C_m", MS_DIM_CAPACITANCE, 1.0, 0.0, 1e12, 1,
     "converts currents: I (mV/ms) = current (pA) / C_m"},
    {"I_e", MS_DIM_CURRENT, 0.0, -1e12, 1e12, 0, "constant bias current"},
    {"rtol", MS_DIM_NONE, 1e-6, 1e-13, 1e-2, 0,
     "relative tolerance of the integrator"},
    {"atol", MS_DIM_VOLTAGE, 1e-6, 1e-13, 1.0, 0,
     "absolute tolerance of the integrator (v and u)"},
    {"fixed_dt", MS_DIM_TIME, 0.0, 0.0, 100.0, 0,
     "0: error-controlled, exact spike times; > 0: the paper's fixed-step "
     "scheme with this step (spikes on its grid)"},
};

static const ms_var_info izh_vars[] = {
    {"V_m", MS_DIM_VOLTAGE, "membrane potential v"},
    {"U_m", MS_DIM_VOLTAGE, "recovery variable u"},
};

/* Izhikevich (2003), Fig. 2: (a, b, c, d) of each firing pattern. */
static const ms__preset izh_presets[] = {
    {"RS",
     "regular spiking, adapting",
     {{"a", 0.02}, {"b", 0.2}, {"c", -65.0}, {"d", 8.0}}},
    {"IB",
     "intrinsically bursting: burst, then tonic",
     {{"a", 0.02}, {"b", 0.2}, {"c", -55.0}, {"d", 4.0}}},
    {"CH",
     "chattering: repeated bursts",
     {{"a", 0.02}, {"b", 0.2}, {"c", -50.0}, {"d", 2.0}}},
    {"FS", "fast spiking", {{"a", 0.1}, {"b", 0.2}, {"c", -65.0}, {"d", 2.0}}},
    {"LTS",
     "low-threshold spiking",
     {{"a", 0.02}, {"b", 0.25}, {"c", -65.0}, {"d", 2.0}}},
    {"TC",
     "thalamo-cortical: rebound burst",
     {{"a", 0.02}, {"b", 0.25}, {"c", -65.0}, {"d", 0.05}}},
    {"RZ", "resonator", {{"a", 0.1}, {"b", 0.26}, {"c", -65.0}, {"d", 2.0}}},
};

/* First step size after the network is built (the controller adapts it). */
#define H_START 0.05
/* Longest step, and how far ahead bound() looks for a spike. */
#define H_MAX   5.0
#define HORIZON 5.0
/* Most fixed steps bound() walks ahead (a small fixed_dt gets re-checked
 * more often instead of walking far). */
#define FX_WALK 64

typedef struct izn {
	ms__ode_unit u; /* committed state (v, u), walks, spike search */
	double I;       /* (I_e + injected current) / C_m, mV/ms */
	int u_set;      /* U_m was given an initial value */
	/* Fixed step: u.t0 = t_k, u.y0 = (v, u) at t_k before its spike
	 * test. */
	int64_t k;
	double yp[2]; /* (v, u) at t_{k-1} after its spike test */
	double J;     /* synaptic drive of step k, mV/ms */
} izn;

typedef struct izh {
	double a, b, c, d, v_peak, inv_C;
	double dt, t_start; /* fixed step: dt > 0 and the grid's origin */
	ms__ode_walker w;
	izn *n;
} izh;

typedef struct izctx {
	double a, b, I;
} izctx;

static void rhs(double t, const double *y, double *dy, const void *ctx)
{
	const izctx *c = ctx;

	(void)t;
	dy[0] = (0.04 * y[0] + 5.0) * y[0] + 140.0 - y[1] + c->I;
	dy[1] = c->a * (c->b * y[0] - y[1]);
}

/* The right-hand side's context for unit n. */
static izctx ctx_of(const izh *Z, const izn *n)
{
	izctx c = {Z->a, Z->b, n->I};

	return c;
}

/* Move the committed state to t (no spike pending before t). */
static void commit_to(const izh *Z, izn *n, double t)
{
	izctx c = ctx_of(Z, n);

	ms__ode_commit(&Z->w, &c, &n->u, t);
}

/* The spike pending before t: v = c, u += d at its time, and on. */
static void fire(ms__pop *p, const izh *Z, izn *n, uint32_t i, double tc)
{
	ms__ode_take_spike(&Z->w, &n->u);
	n->u.y0[0] = Z->c;
	n->u.y0[1] += Z->d;
	ms__ode_restart(&Z->w, &n->u);
	ms__emit_spike(p, i, tc);
}

/* ------------------------------------------------------------------------ */
/* Fixed step                                                               */

static double fx_time(const izh *Z, int64_t k)
{
	return Z->t_start + (double)k * Z->dt;
}

/* The spike test at a grid point: 1 (and the reset done) if y fires. */
static int fx_test(const izh *Z, double *y)
{
	if (!(y[0] >= Z->v_peak))
		return 0;
	y[0] = Z->c;
	y[1] += Z->d;
	return 1;
}

/* The two half-steps of v and the step of u, written as in the paper. */
static void fx_move(const izh *Z, double *y, double I)
{
	double h = 0.5 * Z->dt, v = y[0], u = y[1];

	v += h * (0.04 * (v * v) + 5.0 * v + 140.0 - u + I);
	v += h * (0.04 * (v * v) + 5.0 * v + 140.0 - u + I);
	u += Z->dt * Z->a * (Z->b * v - u);
	y[0] = v;
	y[1] = u;
}

/* Take step k: its spike, then the move to t_{k+1}. */
static void fx_advance(ms__pop *p, const izh *Z, izn *n, uint32_t i)
{
	if (fx_test(Z, n->u.y0))
		ms__emit_spike(p, i, n->u.t0);
	n->yp[0] = n->u.y0[0];
	n->yp[1] = n->u.y0[1];
	fx_move(Z, n->u.y0, n->I + n->J);
	n->J = 0.0;
	n->k++;
	n->u.t0 = fx_time(Z, n->k);
}

/* Every step starting before t: their inputs have all arrived. */
static void fx_settle(ms__pop *p, const izh *Z, izn *n, uint32_t i, double t)
{
	while (n->u.t0 < t)
		fx_advance(p, Z, n, i);
}

/* The first grid point from t_k on where v reaches v_peak, walking a copy
 * up to HORIZON past t or FX_WALK steps; else the last grid point walked
 * to (no spike before it). */
static double fx_bound(const izh *Z, const izn *n, double t)
{
	double y[2] = {n->u.y0[0], n->u.y0[1]}, I = n->I + n->J;
	int64_t k = n->k;

	for (;;) {
		if (y[0] >= Z->v_peak)
			return fx_time(Z, k);
		if (fx_time(Z, k) > t + HORIZON || k - n->k >= FX_WALK)
			return fx_time(Z, k);
		fx_move(Z, y, I);
		I = n->I;
		k++;
	}
}

/* The state of the last grid point <= t, after its spike test (so a
 * spike's grid point reads c and u + d, as the exact mode reads at a spike
 * time). t is never before t_{k-1}: the state is settled to t at most. */
static double fx_peek(const izh *Z, const izn *n, double t, int var)
{
	double y[2] = {n->u.y0[0], n->u.y0[1]}, I = n->I + n->J;
	int64_t k = n->k;

	if (t < n->u.t0)
		return n->yp[var];
	while (fx_time(Z, k + 1) <= t) {
		fx_test(Z, y);
		fx_move(Z, y, I);
		I = n->I;
		k++;
	}
	fx_test(Z, y);
	return y[var];
}

/* ------------------------------------------------------------------------ */

static void izh_settle(ms__pop *p, uint32_t i, double t)
{
	izh *Z = p->state;
	izn *n = &Z->n[i];
	izctx c;
	double tc;

	if (Z->dt > 0) {
		fx_settle(p, Z, n, i, t);
		return;
	}
	c = ctx_of(Z, n);
	while (!isnan(tc = ms__ode_due(&Z->w, &c, &n->u, t)))
		fire(p, Z, n, i, tc);
}

/* The predicted spike, or the end of the search horizon: no spike before
 * either. Called after settle(t). */
static double izh_bound(ms__pop *p, uint32_t i, double t)
{
	izh *Z = p->state;
	izn *n = &Z->n[i];
	izctx c = ctx_of(Z, n);

	if (Z->dt > 0)
		return fx_bound(Z, n, t);
	return ms__ode_bound(&Z->w, &c, &n->u, t, t + HORIZON);
}

static double izh_check(ms__pop *p, uint32_t i, double t)
{
	izh_settle(p, i, t);
	return izh_bound(p, i, t);
}

/* Inputs at t: every input can bring the next spike forward (rebound
 * spiking follows inhibition), so each target is checked in this window. */
static void izh_deliver(ms__pop *p, double t, const ms__proj *j, uint64_t s0,
                        uint32_t count)
{
	izh *Z = p->state;

	for (uint64_t s = s0; s < s0 + count; s++) {
		uint32_t i = j->target[s];
		izn *n = &Z->n[i];

		izh_settle(p, i, t);
		if (Z->dt > 0) {
			n->J += j->weight[s] / Z->dt;
		} else {
			commit_to(Z, n, t);
			n->u.y0[0] += j->weight[s];
			ms__ode_restart(&Z->w, &n->u);
		}
		ms__register_check(p, i, t);
	}
}

static void izh_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	izh *Z = p->state;
	izn *n = &Z->n[i];

	izh_settle(p, i, t);
	if (Z->dt > 0) {
		n->I += dI * Z->inv_C;
		return;
	}
	commit_to(Z, n, t);
	n->I += dI * Z->inv_C;
	ms__ode_restart(&Z->w, &n->u);
}

/* Value at t from the dense output of the canonical step holding t. */
static double izh_peek(ms__pop *p, uint32_t i, double t, int var)
{
	izh *Z = p->state;
	izn *n = &Z->n[i];
	izctx c = ctx_of(Z, n);

	if (Z->dt > 0)
		return fx_peek(Z, n, t, var);
	return ms__ode_peek(&Z->w, &c, &n->u, t, var);
}

/* Initial values; U_m follows b V_m until it is set itself. */
static void izh_set_var(ms__pop *p, uint32_t i, int var, double value)
{
	izh *Z = p->state;
	izn *n = &Z->n[i];

	if (var == V_V_M) {
		n->u.y0[0] = value;
		if (!n->u_set)
			n->u.y0[1] = Z->b * value;
	} else {
		n->u.y0[1] = value;
		n->u_set = 1;
	}
	n->yp[0] = n->u.y0[0];
	n->yp[1] = n->u.y0[1];
	ms__ode_restart(&Z->w, &n->u);
}

static void izh_destroy(ms__pop *p)
{
	izh *Z = p->state;

	if (!Z)
		return;
	free(Z->n);
	free(Z);
	p->state = NULL;
}

static int izh_build(ms__pop *p, char *err, size_t errlen)
{
	const double *q = p->param;
	izh *Z;

	if (q[P_C] >= q[P_V_PEAK]) {
		snprintf(err, errlen, "c (%g mV) must be below v_peak (%g mV)",
		         q[P_C], q[P_V_PEAK]);
		return MS_EINVAL;
	}
	Z = calloc(1, sizeof(*Z));
	if (!Z)
		return MS_ENOMEM;
	p->state = Z;
	Z->a = q[P_A];
	Z->b = q[P_B];
	Z->c = q[P_C];
	Z->d = q[P_D];
	Z->v_peak = q[P_V_PEAK];
	Z->inv_C = 1.0 / q[P_C_M];
	Z->dt = q[P_FIXED_DT];
	Z->w = (ms__ode_walker){.n = 2,
	                        .f = rhs,
	                        .rtol = q[P_RTOL],
	                        .atol = q[P_ATOL],
	                        .h_max = H_MAX,
	                        .level = Z->v_peak,
	                        /* v diverges above v_peak: a crossing
	                         * shows at the step's end. */
	                        .n_probe = 1,
	                        .reset = 1};
	Z->t_start = p->net->t_now;
	Z->n = calloc(p->n, sizeof(izn));
	if (!Z->n) {
		izh_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		izn *n = &Z->n[i];
		n->u.y0[0] = Z->c;
		n->u.y0[1] = Z->b * Z->c;
		n->I = q[P_I_E] * Z->inv_C;
		n->yp[0] = n->u.y0[0];
		n->yp[1] = n->u.y0[1];
		ms__ode_start(&Z->w, &n->u, p->net->t_now, H_START);
	}
	return MS_OK;
}

const ms__model ms__izhikevich_model = {
    .name = "izhikevich",
    .params = izh_params,
    .n_params = N_PARAMS,
    .vars = izh_vars,
    .n_vars = 2,
    .weight_dim = MS_DIM_VOLTAGE,
    .presets = izh_presets,
    .n_presets = sizeof(izh_presets) / sizeof(izh_presets[0]),
    .build = izh_build,
    .destroy = izh_destroy,
    .settle = izh_settle,
    .deliver = izh_deliver,
    .add_current = izh_add_current,
    .bound = izh_bound,
    .check = izh_check,
    .peek = izh_peek,
    .set_var = izh_set_var,
};

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
 * determinism are those of neurons/ode_walk.h: the committed state changes
 * only at inputs and current steps; from it the Dormand–Prince 5(4)
 * stepper (neurons/ode.c) takes the controller's canonical steps; an input
 * inside a step cuts the step to end on it; crossings are located on the
 * dense output by bisection; predictions and state reads walk copies.
 */
#include <math.h>
#include <stdlib.h>

#include "engine/internal.h"
#include "neurons/ode_walk.h"

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

typedef struct hhn {
	ms__ode_unit u;            /* committed state, walks, spike search */
	double I;                  /* I_e + injected current, pA */
	unsigned char set[N_VARS]; /* initial value given explicitly */
} hhn;

typedef struct hhctx {
	double inv_C, g_Na, g_K, g_L, E_Na, E_K, E_L, phi, I;
} hhctx;

typedef struct hh {
	hhctx c; /* I unused here: per unit */
	ms__ode_walker w;
	hhn *n;
} hh;

_Static_assert(N_VARS <= MS__ODE_WALK_NMAX, "hh: walk too small");

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

/* The right-hand side's context for unit n. */
static hhctx ctx_of(const hh *H, const hhn *n)
{
	hhctx c = H->c;

	c.I = n->I;
	return c;
}

/* Gates at their steady state for V (the same at every temperature). */
static void gates_at_rest(hhn *n)
{
	double r[6];

	rates(n->u.y0[0], r);
	for (int k = 0; k < 3; k++)
		if (!n->set[V_M + k])
			n->u.y0[V_M + k] = r[2 * k] / (r[2 * k] + r[2 * k + 1]);
}

static void hh_settle(ms__pop *p, uint32_t i, double t)
{
	hh *H = p->state;
	hhn *n = &H->n[i];
	hhctx c = ctx_of(H, n);
	double tc;

	while (!isnan(tc = ms__ode_due(&H->w, &c, &n->u, t))) {
		ms__emit_spike(p, i, tc);
		ms__ode_pass(&H->w, &n->u);
	}
}

/* The predicted spike, or the end of the search horizon. Called after
 * settle(t). */
static double hh_bound(ms__pop *p, uint32_t i, double t)
{
	hh *H = p->state;
	hhn *n = &H->n[i];
	hhctx c = ctx_of(H, n);

	return ms__ode_bound(&H->w, &c, &n->u, t, t + HORIZON);
}

static double hh_check(ms__pop *p, uint32_t i, double t)
{
	hh_settle(p, i, t);
	return hh_bound(p, i, t);
}

/* Settle unit i to t and commit its state there; returns whether a spike
 * is pending at t (found at exactly t). */
static int settle_commit(ms__pop *p, uint32_t i, double t)
{
	hh *H = p->state;
	hhn *n = &H->n[i];
	hhctx c;

	hh_settle(p, i, t);
	c = ctx_of(H, n);
	ms__ode_commit(&H->w, &c, &n->u, t);
	return n->u.tc == t;
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
		ms__ode_unit *u = &H->n[i].u;
		int pending = settle_commit(p, i, t);
		int below = u->y0[0] < H->w.level;

		u->y0[0] += j->weight[s];
		if (below && u->y0[0] >= H->w.level)
			pending = 1;
		ms__ode_restart(&H->w, u);
		if (pending)
			u->tc = t;
		ms__register_check(p, i, t);
	}
}

static void hh_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	hh *H = p->state;
	hhn *n = &H->n[i];
	int pending = settle_commit(p, i, t);

	n->I += dI;
	ms__ode_restart(&H->w, &n->u);
	if (pending)
		n->u.tc = t;
}

/* Value at t from the dense output of the canonical step holding t. */
static double hh_peek(ms__pop *p, uint32_t i, double t, int var)
{
	hh *H = p->state;
	hhn *n = &H->n[i];
	hhctx c = ctx_of(H, n);

	return ms__ode_peek(&H->w, &c, &n->u, t, var);
}

/* Initial values; a gate not given follows the steady state of V_m. */
static void hh_set_var(ms__pop *p, uint32_t i, int var, double value)
{
	hh *H = p->state;
	hhn *n = &H->n[i];

	n->u.y0[var] = value;
	n->set[var] = 1;
	gates_at_rest(n);
	ms__ode_restart(&H->w, &n->u);
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
	H->w = (ms__ode_walker){.n = N_VARS,
	                        .f = rhs,
	                        .rtol = q[P_RTOL],
	                        .atol = q[P_ATOL],
	                        .h_max = H_MAX,
	                        .level = q[P_V_SPIKE],
	                        .n_probe = N_PROBE};
	H->n = calloc(p->n, sizeof(hhn));
	if (!H->n) {
		hh_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		hhn *n = &H->n[i];
		n->u.y0[0] = V_INIT;
		gates_at_rest(n);
		n->I = q[P_I_E];
		ms__ode_start(&H->w, &n->u, p->net->t_now, H_START);
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

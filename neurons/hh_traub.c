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
 * output by bisection; predictions and state reads walk copies (all of
 * which is neurons/ode_walk.c).
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

typedef struct tmn {
	ms__ode_unit u;           /* V, m, h, n: committed state, walks, spike
	                             search */
	double ge0, gi0;          /* conductances at u.t0 */
	double I;                 /* I_e + injected current, pA */
	unsigned char set[N_ODE]; /* initial value given */
} tmn;

typedef struct tm {
	double inv_C, g_Na, g_K, g_L, E_Na, E_K, E_L, V_T, E_e, E_i;
	double inv_te, inv_ti;
	ms__ode_walker w;
	tmn *n;
} tm;

_Static_assert(N_ODE <= MS__ODE_WALK_NMAX, "hh_traub: walk too small");

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

/* The right-hand side's context for unit n. */
static tmctx ctx_of(const tm *M, const tmn *n)
{
	tmctx c = {M, n->u.t0, n->ge0, n->gi0, n->I};

	return c;
}

/* Gates not given explicitly at their steady state for V. */
static void gates_at_rest(const tm *M, tmn *n)
{
	double r[6];

	rates(M, n->u.y0[0], r);
	for (int k = 0; k < 3; k++)
		if (!n->set[V_M + k])
			n->u.y0[V_M + k] = r[2 * k] / (r[2 * k] + r[2 * k + 1]);
}

/* Move the committed state to t (no spike pending before t); the
 * conductances decay in closed form. A spike found at exactly t stays
 * pending. */
static void commit_to(const tm *M, tmn *n, double t)
{
	tmctx c = ctx_of(M, n);
	double s = t - n->u.t0;

	if (t <= n->u.t0)
		return;
	ms__ode_commit(&M->w, &c, &n->u, t);
	n->ge0 *= exp(-s * M->inv_te);
	n->gi0 *= exp(-s * M->inv_ti);
}

static void tm_settle(ms__pop *p, uint32_t i, double t)
{
	tm *M = p->state;
	tmn *n = &M->n[i];
	tmctx c = ctx_of(M, n);
	double tc;

	while (!isnan(tc = ms__ode_due(&M->w, &c, &n->u, t))) {
		ms__emit_spike(p, i, tc);
		ms__ode_pass(&M->w, &n->u);
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
	tmctx c = ctx_of(M, n);

	return ms__ode_bound(&M->w, &c, &n->u, t, nextafter(t, INFINITY));
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
		pending = n->u.tc == t;
		if (r == MS_RECEPTOR_INH)
			n->gi0 += fabs(j->weight[s]);
		else
			n->ge0 += fabs(j->weight[s]);
		ms__ode_restart(&M->w, &n->u);
		if (pending)
			n->u.tc = t;
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
	pending = n->u.tc == t;
	n->I += dI;
	ms__ode_restart(&M->w, &n->u);
	if (pending)
		n->u.tc = t;
}

/* V and the gates from the dense output of the canonical step holding t;
 * the conductances in closed form. */
static double tm_peek(ms__pop *p, uint32_t i, double t, int var)
{
	tm *M = p->state;
	tmn *n = &M->n[i];
	tmctx c = ctx_of(M, n);

	if (var == V_G_E)
		return n->ge0 * exp(-(t - n->u.t0) * M->inv_te);
	if (var == V_G_I)
		return n->gi0 * exp(-(t - n->u.t0) * M->inv_ti);
	return ms__ode_peek(&M->w, &c, &n->u, t, var);
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
		n->u.y0[var] = value;
		n->set[var] = 1;
		gates_at_rest(M, n);
	}
	ms__ode_restart(&M->w, &n->u);
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
	M->w = (ms__ode_walker){.n = N_ODE,
	                        .f = rhs,
	                        .rtol = q[P_RTOL],
	                        .atol = q[P_ATOL],
	                        .h_max = H_MAX,
	                        .level = q[P_V_SPIKE],
	                        .t_ref = q[P_T_REF],
	                        .n_probe = N_PROBE};
	M->n = calloc(p->n, sizeof(tmn));
	if (!M->n) {
		tm_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		tmn *n = &M->n[i];
		n->u.y0[0] = M->E_L;
		gates_at_rest(M, n);
		n->I = q[P_I_E];
		ms__ode_start(&M->w, &n->u, p->net->t_now, H_START);
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

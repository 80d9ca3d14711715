/*
 * lif — current-based leaky integrate-and-fire neurons, advanced exactly.
 *
 * Membrane (both models), with R = tau_m / C_m:
 *     tau_m dV/dt = -(V - E_L) + R (I_e + I_ext(t)) + y_e(t) + y_i(t)
 * spike when V reaches V_th; then V = V_reset for t_ref (inputs that jump
 * V are ignored meanwhile; synaptic currents keep evolving).
 *
 * lif_delta: a synaptic input of weight w (mV) makes V jump by w
 *     (y_e = y_i = 0). Lapicque 1907; as NEST's iaf_psc_delta.
 * lif_exp: exponentially decaying synaptic currents, expressed in mV as
 *     y = R I_syn, tau_k dy_k/dt = -y_k, an input adds w (mV) to y_e or y_i;
 *     as NEST's iaf_psc_exp and Brian2's CUBA example (Brette et al. 2007).
 *
 * Exact solution from a state (V0, y_k0) at s = 0, with V_b = E_L + R I:
 *     V(s) = V_b + (V0 - V_b) e^{-s/tau_m} + sum_k y_k0 g_k(s)
 *     g_k(s) = tau_k/(tau_k - tau_m) (e^{-s/tau_k} - e^{-s/tau_m})
 *            = (s/tau_m) e^{-s/tau_m} phi(-s (1/tau_k - 1/tau_m)),
 *     phi(x) = (e^x - 1)/x, the second form used when tau_k ~ tau_m.
 * Threshold crossings: lif_delta in closed form,
 *     s* = tau_m ln((V_b - V0)/(V_b - V_th)) when V_b > V_th;
 * lif_exp by a certified branch-and-bound search: on an interval each term
 * of V is monotone (e^{-s/tau_m}) or unimodal with a known peak (g_k), so
 * an upper bound of V is exact per term; intervals whose bound stays below
 * V_th are discarded, the leftmost remaining bracket is narrowed until V is
 * provably increasing in it, then refined by safeguarded Newton steps. No
 * crossing is missed, grazing ones included, down to about 1e-12 ms.
 * The search starts from the unit's own state, so the time found does not
 * depend on when or how often the engine asks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

enum { P_TAU_M, P_C_M, P_E_L, P_V_TH, P_V_RESET, P_T_REF, P_I_E, P_TAU_E,
       P_TAU_I };
enum { V_V_M, V_I_SYN_E, V_I_SYN_I };

static const ms_param_info lif_params[] = {
	{"tau_m", MS_DIM_TIME, 10.0, 0.0, 1e9, 1, "membrane time constant"},
	{"C_m", MS_DIM_CAPACITANCE, 250.0, 0.0, 1e12, 1,
	 "membrane capacitance (converts currents: R = tau_m / C_m)"},
	{"E_L", MS_DIM_VOLTAGE, -70.0, -1e6, 1e6, 0, "resting potential"},
	{"V_th", MS_DIM_VOLTAGE, -55.0, -1e6, 1e6, 0, "firing threshold"},
	{"V_reset", MS_DIM_VOLTAGE, -70.0, -1e6, 1e6, 0,
	 "potential after a spike (must be below V_th)"},
	{"t_ref", MS_DIM_TIME, 2.0, 0.0, 1e9, 0, "absolute refractory period"},
	{"I_e", MS_DIM_CURRENT, 0.0, -1e12, 1e12, 0, "constant bias current"},
	{"tau_syn_e", MS_DIM_TIME, 2.0, 0.0, 1e9, 1,
	 "decay time of excitatory synaptic current"},
	{"tau_syn_i", MS_DIM_TIME, 2.0, 0.0, 1e9, 1,
	 "decay time of inhibitory synaptic current"},
};

static const ms_var_info lif_vars[] = {
	{"V_m", MS_DIM_VOLTAGE, "membrane potential"},
	{"I_syn_e", MS_DIM_CURRENT, "excitatory synaptic current"},
	{"I_syn_i", MS_DIM_CURRENT, "inhibitory synaptic current"},
};

typedef struct lif {
	int nsyn;             /* 0 (delta) or 2 (exp) */
	double tau_m, inv_tau_m, R, E_L, th, Vr, t_ref, Ie_mV;
	double tau[2], inv_tau[2], coef[2], delta[2];
	int degen[2];         /* tau_k close to tau_m: use the phi form */
	int pow_n[2];         /* tau_m / tau_k when a small integer, else 0 */
	double peak_s[2];     /* argmax of g_k */
	double peak_g[2];     /* max of g_k */

	double *V, *y[2], *t0, *tref_end, *Iext_mV, *tc;
} lif;

/* Values of the kernels at offset s. */
typedef struct traj {
	double s, Em, E[2], g[2];
} traj;

static inline double maxd(double a, double b)
{
	return a > b ? a : b;
}

static inline double mind(double a, double b)
{
	return a < b ? a : b;
}

/* e^{-s/tau_k} as a power of e^{-s/tau_m} when tau_m/tau_k = n: one
 * exponential serves every term (Brette 2007 uses the same identity). */
static inline double pow_int(double x, int n)
{
	double r = x;

	while (--n > 0)
		r *= x;
	return r;
}

static void eval_at(const lif *L, double s, traj *tr)
{
	tr->s = s;
	tr->Em = exp(-s * L->inv_tau_m);
	for (int k = 0; k < L->nsyn; k++) {
		tr->E[k] = L->pow_n[k] ? pow_int(tr->Em, L->pow_n[k])
				       : exp(-s * L->inv_tau[k]);
		if (!L->degen[k]) {
			tr->g[k] = L->coef[k] * (tr->E[k] - tr->Em);
		} else {
			double x = -s * L->delta[k];
			double phi = x == 0.0 ? 1.0 : expm1(x) / x;
			tr->g[k] = s * L->inv_tau_m * tr->Em * phi;
		}
	}
}

static void eval_zero(const lif *L, traj *tr)
{
	tr->s = 0.0;
	tr->Em = 1.0;
	for (int k = 0; k < L->nsyn; k++) {
		tr->E[k] = 1.0;
		tr->g[k] = 0.0;
	}
}

/* Start of free evolution of unit i: the state at the later of its own time
 * and the end of its refractory period. */
typedef struct start {
	double ts, V, y[2], Vb;
} start;

static void free_start(const lif *L, uint32_t i, start *st)
{
	double t0 = L->t0[i];

	st->Vb = L->E_L + L->Ie_mV + L->Iext_mV[i];
	if (t0 >= L->tref_end[i]) {
		st->ts = t0;
		st->V = L->V[i];
		for (int k = 0; k < L->nsyn; k++)
			st->y[k] = L->y[k][i];
		return;
	}
	st->ts = L->tref_end[i];
	st->V = L->Vr;
	for (int k = 0; k < L->nsyn; k++)
		st->y[k] = L->y[k][i] * exp(-(st->ts - t0) * L->inv_tau[k]);
}

static double v_at(const lif *L, const start *st, const traj *tr)
{
	double v = st->Vb + (st->V - st->Vb) * tr->Em;
	for (int k = 0; k < L->nsyn; k++)
		v += st->y[k] * tr->g[k];
	return v;
}

/* Upper bound of V - V_th on [a.s, b.s], exact for each term. */
static double ub_f(const lif *L, const start *st, const traj *a,
		   const traj *b)
{
	double cm = st->V - st->Vb;
	double u = st->Vb - L->th + maxd(cm * a->Em, cm * b->Em);

	for (int k = 0; k < L->nsyn; k++) {
		double y = st->y[k];
		if (y >= 0.0) {
			int in = L->peak_s[k] >= a->s && L->peak_s[k] <= b->s;
			u += y * (in ? L->peak_g[k] : maxd(a->g[k], b->g[k]));
		} else {
			u += y * mind(a->g[k], b->g[k]);
		}
	}
	return u;
}

/* Lower bound of dV/ds on [a.s, b.s] given an upper bound u of V - V_th. */
static double lb_slope(const lif *L, const start *st, const traj *a,
		       const traj *b, double u)
{
	double d = st->Vb - (u + L->th);
	for (int k = 0; k < L->nsyn; k++)
		d += st->y[k] * (st->y[k] >= 0.0 ? b->E[k] : a->E[k]);
	return d * L->inv_tau_m;
}

static double slope_at(const lif *L, const start *st, const traj *tr,
		       double v)
{
	double d = st->Vb - v;
	for (int k = 0; k < L->nsyn; k++)
		d += st->y[k] * tr->E[k];
	return d * L->inv_tau_m;
}

/* V - V_th increases through zero in (a, b]: narrow to the crossing with
 * Newton steps kept inside the bracket; returns the offset where V first
 * reaches V_th, to a few ulps. */
static double refine(const lif *L, const start *st, double a, double b)
{
	traj tr;
	double x = b;

	for (int it = 0; it < 100; it++) {
		double v, f, step, nx;
		eval_at(L, x, &tr);
		v = v_at(L, st, &tr);
		f = v - L->th;
		if (f >= 0.0)
			b = x;
		else
			a = x;
		if (f == 0.0)
			return x;
		step = f / slope_at(L, st, &tr, v);
		if (fabs(step) <= 4e-16 * fabs(x)) {
			/* Converged; from below, the crossing is the next
			 * Newton point, within an ulp or two of x. */
			return f >= 0.0 ? x : mind(b, maxd(x, x - step));
		}
		nx = x - step;
		if (!(nx > a && nx < b))
			nx = 0.5 * (a + b);
		if (nx <= a || nx >= b)
			break;
		x = nx;
	}
	return b;
}

/* Leftmost crossing in (a.s, b.s], or INFINITY; V(a) < V_th. */
static double dfs(const lif *L, const start *st, const traj *a,
		  const traj *b, int depth)
{
	double fb = v_at(L, st, b) - L->th;
	double u = ub_f(L, st, a, b);
	traj m;
	double r;

	if (u < 0.0)
		return INFINITY;
	if (fb >= 0.0 && lb_slope(L, st, a, b, u) > 0.0)
		return refine(L, st, a->s, b->s);
	if (depth > 90 || b->s - a->s <= 1e-13 * maxd(1.0, b->s))
		return fb >= 0.0 ? b->s : INFINITY;
	eval_at(L, 0.5 * (a->s + b->s), &m);
	r = dfs(L, st, a, &m, depth + 1);
	if (r < INFINITY)
		return r;
	return dfs(L, st, &m, b, depth + 1);
}

/* Upper bound of V - V_th on [s, infinity). */
static double tail_ub(const lif *L, const start *st, const traj *tr)
{
	double u = st->Vb - L->th + maxd((st->V - st->Vb) * tr->Em, 0.0);
	for (int k = 0; k < L->nsyn; k++)
		if (st->y[k] > 0.0)
			u += st->y[k] * (tr->s <= L->peak_s[k] ? L->peak_g[k]
							       : tr->g[k]);
	return u;
}

/* Offset of the first threshold crossing from the free start, or INF. */
static double first_crossing(const lif *L, const start *st)
{
	double f0 = st->V - L->th;

	if (f0 >= 0.0)
		return 0.0;
	if (L->nsyn == 0) {
		if (st->Vb <= L->th)
			return INFINITY;
		return L->tau_m * log((st->Vb - st->V) / (st->Vb - L->th));
	}

	traj a, b;
	double S = L->tau_m;
	for (int k = 0; k < L->nsyn; k++)
		S = maxd(S, L->tau[k]);
	eval_zero(L, &a);
	for (;;) {
		double r;
		eval_at(L, S, &b);
		r = dfs(L, st, &a, &b, 0);
		if (r < INFINITY)
			return r;
		/* Beyond 1e9 ms only an asymptotic approach to exactly V_th
		 * could remain; that is not a crossing. */
		if (tail_ub(L, st, &b) < 0.0 || S > 1e9)
			return INFINITY;
		a = b;
		S *= 4.0;
	}
}

/* Cached absolute time of the next crossing of unit i. */
static double crossing(lif *L, uint32_t i, const start *st)
{
	if (isnan(L->tc[i]))
		L->tc[i] = st->ts + first_crossing(L, st);
	return L->tc[i];
}

static void fire(ms__pop *p, lif *L, uint32_t i, double tc)
{
	double t0 = L->t0[i];

	for (int k = 0; k < L->nsyn; k++)
		L->y[k][i] *= exp(-(tc - t0) * L->inv_tau[k]);
	L->V[i] = L->Vr;
	L->t0[i] = tc;
	L->tref_end[i] = tc + L->t_ref;
	L->tc[i] = NAN;
	ms__emit_spike(p, i, tc);
}

/* No crossing in [start, start + s]? Certified from the values at s. */
static int clear_until(const lif *L, const start *st, const traj *tr,
		       double v)
{
	traj z;

	if (v >= L->th)
		return 0;
	eval_zero(L, &z);
	return ub_f(L, st, &z, tr) < 0.0;
}

/* Emit every spike before t; if commit, move the state to t. */
static void run_to(ms__pop *p, uint32_t i, double t, int commit)
{
	lif *L = p->state;
	start st;
	traj tr;
	double v;

	for (;;) {
		double tc = L->tc[i];
		if (!isnan(tc) && tc < t) {
			fire(p, L, i, tc);
			continue;
		}
		free_start(L, i, &st);
		if (t <= st.ts) {
			if (commit) {
				for (int k = 0; k < L->nsyn; k++)
					L->y[k][i] *= exp(-(t - L->t0[i]) *
							  L->inv_tau[k]);
				L->t0[i] = t;
			}
			return;
		}
		eval_at(L, t - st.ts, &tr);
		v = v_at(L, &st, &tr);
		if (isnan(tc) && !clear_until(L, &st, &tr, v)) {
			if (crossing(L, i, &st) < t)
				continue;
		}
		break;
	}
	if (!commit)
		return;
	L->V[i] = v;
	for (int k = 0; k < L->nsyn; k++)
		L->y[k][i] = st.y[k] * tr.E[k];
	L->t0[i] = t;
}

static void lif_settle(ms__pop *p, uint32_t i, double t)
{
	run_to(p, i, t, 0);
}

/* Move unit i to t, known to be free of crossings before t. */
static void advance(lif *L, uint32_t i, double t)
{
	start st;
	traj tr;

	free_start(L, i, &st);
	if (t <= st.ts) {
		for (int k = 0; k < L->nsyn; k++)
			L->y[k][i] *= exp(-(t - L->t0[i]) * L->inv_tau[k]);
	} else {
		eval_at(L, t - st.ts, &tr);
		L->V[i] = v_at(L, &st, &tr);
		for (int k = 0; k < L->nsyn; k++)
			L->y[k][i] = st.y[k] * tr.E[k];
	}
	L->t0[i] = t;
}

static double lif_bound(ms__pop *p, uint32_t i, double t);

static double lif_input(ms__pop *p, uint32_t i, double t, int receptor,
			double w, int clear)
{
	lif *L = p->state;

	if (clear)
		advance(L, i, t);
	else
		run_to(p, i, t, 1);
	L->tc[i] = NAN;
	if (L->nsyn == 0) {
		if (t < L->tref_end[i])
			return INFINITY;
		L->V[i] += w;
	} else {
		L->y[receptor == MS_RECEPTOR_INH][i] += w;
	}
	/* Every kernel is non-negative: a negative input only lowers V at
	 * all later times, so the registered bound stays valid. */
	if (w <= 0.0)
		return INFINITY;
	if (L->nsyn == 0 || t < L->tref_end[i])
		return lif_bound(p, i, t);
	/* The state was just moved to t: bound from it directly. */
	{
		double v = L->V[i], U;
		if (v >= L->th)
			return t;
		U = maxd(0.0, L->E_L + L->Ie_mV + L->Iext_mV[i] - v);
		for (int k = 0; k < L->nsyn; k++) {
			double y = L->y[k][i];
			U += y >= 0.0 ? y : -y * L->peak_g[k];
		}
		return t + (L->th - v) * L->tau_m / U;
	}
}

static void lif_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	lif *L = p->state;

	run_to(p, i, t, 1);
	L->Iext_mV[i] += L->R * dI;
	L->tc[i] = NAN;
}

/*
 * Lower bound of the next spike after t (unit settled to t). For lif_exp:
 * writing V - V_b = c e^{-s/tau_m} + sum_k y_k g_k(s) from t,
 * tau_m dV/ds = -c e^{-s/tau_m} + sum_k y_k (e^{-s/tau_k} - g_k(s)),
 * and 0 <= g_k <= peak_g, 0 < e^{-s/tau_k} <= 1 bound the slope by U for
 * all s >= 0; V cannot reach V_th before (V_th - V(t)) / U.
 */
/* The slope bound U above, from the values at offset tr->s; v = V there. */
static double bound_from(const lif *L, const start *st, const traj *tr,
			 double v, double t)
{
	double U;

	if (v >= L->th)
		return t;
	U = maxd(0.0, st->Vb - v);
	for (int k = 0; k < L->nsyn; k++) {
		double y = st->y[k] * tr->E[k];
		U += y >= 0.0 ? y : -y * L->peak_g[k];
	}
	if (U <= 0.0)
		return INFINITY;
	return t + (L->th - v) * L->tau_m / U;
}

static double lif_bound(ms__pop *p, uint32_t i, double t)
{
	lif *L = p->state;
	start st;
	traj tr;

	free_start(L, i, &st);
	if (t < st.ts)
		return st.ts;
	if (L->nsyn == 0 || !isnan(L->tc[i]))
		return maxd(crossing(L, i, &st), t);
	if (t == st.ts)
		eval_zero(L, &tr);
	else
		eval_at(L, t - st.ts, &tr);
	return bound_from(L, &st, &tr, v_at(L, &st, &tr), t);
}

/* Settle to t and bound the next spike, evaluating the trajectory at t
 * once in the common case where no crossing is possible before t. */
static double lif_check(ms__pop *p, uint32_t i, double t)
{
	lif *L = p->state;
	start st;
	traj tr;
	double v;

	if (L->nsyn && isnan(L->tc[i])) {
		free_start(L, i, &st);
		if (t < st.ts)
			return st.ts;
		eval_at(L, t - st.ts, &tr);
		v = v_at(L, &st, &tr);
		if (clear_until(L, &st, &tr, v))
			return bound_from(L, &st, &tr, v, t);
	}
	run_to(p, i, t, 0);
	return lif_bound(p, i, t);
}

static double lif_peek(ms__pop *p, uint32_t i, double t, int var)
{
	lif *L = p->state;
	start st;
	traj tr;

	free_start(L, i, &st);
	if (var == V_V_M) {
		if (t <= st.ts)
			return L->Vr;
		eval_at(L, t - st.ts, &tr);
		return v_at(L, &st, &tr);
	}
	return L->y[var - 1][i] * exp(-(t - L->t0[i]) * L->inv_tau[var - 1]) /
	       L->R;
}

static void lif_set_var(ms__pop *p, uint32_t i, int var, double value)
{
	lif *L = p->state;

	if (var == V_V_M)
		L->V[i] = value;
	else
		L->y[var - 1][i] = L->R * value;
	L->tc[i] = NAN;
}

static void lif_destroy(ms__pop *p)
{
	lif *L = p->state;

	if (!L)
		return;
	free(L->V);
	free(L->y[0]);
	free(L->y[1]);
	free(L->t0);
	free(L->tref_end);
	free(L->Iext_mV);
	free(L->tc);
	free(L);
	p->state = NULL;
}

static void kernel_consts(lif *L, int k)
{
	traj tr;

	L->inv_tau[k] = 1.0 / L->tau[k];
	L->pow_n[k] = 0;
	for (int n = 1; n <= 8; n++)
		if (L->tau_m == n * L->tau[k])
			L->pow_n[k] = n;
	L->delta[k] = L->inv_tau[k] - L->inv_tau_m;
	/* Within 1% the difference of exponentials loses too many digits to
	 * cancellation; the phi form is exact there. */
	L->degen[k] = fabs(1.0 - L->tau_m / L->tau[k]) < 0.01;
	L->coef[k] = L->degen[k] ? 0.0 : L->tau[k] / (L->tau[k] - L->tau_m);
	L->peak_s[k] = L->delta[k] == 0.0 ? L->tau_m
					  : log(L->tau[k] / L->tau_m) /
						    (L->inv_tau_m - L->inv_tau[k]);
	eval_at(L, L->peak_s[k], &tr);
	L->peak_g[k] = tr.g[k];
}

static int build(ms__pop *p, int nsyn, char *err, size_t errlen)
{
	const double *q = p->param;
	uint32_t n = p->n;
	lif *L;

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
	L->nsyn = nsyn;
	L->tau_m = q[P_TAU_M];
	L->inv_tau_m = 1.0 / L->tau_m;
	L->R = q[P_TAU_M] / q[P_C_M];
	L->E_L = q[P_E_L];
	L->th = q[P_V_TH];
	L->Vr = q[P_V_RESET];
	L->t_ref = q[P_T_REF];
	L->Ie_mV = L->R * q[P_I_E];
	L->V = malloc(n * sizeof(double));
	L->t0 = malloc(n * sizeof(double));
	L->tref_end = malloc(n * sizeof(double));
	L->Iext_mV = calloc(n, sizeof(double));
	L->tc = malloc(n * sizeof(double));
	if (!L->V || !L->t0 || !L->tref_end || !L->Iext_mV || !L->tc)
		goto fail;
	for (int k = 0; k < nsyn; k++) {
		L->tau[k] = q[P_TAU_E + k];
		kernel_consts(L, k);
		L->y[k] = calloc(n, sizeof(double));
		if (!L->y[k])
			goto fail;
	}
	for (uint32_t i = 0; i < n; i++) {
		L->V[i] = L->E_L;
		L->t0[i] = p->net->t_now;
		L->tref_end[i] = -INFINITY;
		L->tc[i] = NAN;
	}
	return MS_OK;
fail:
	lif_destroy(p);
	return MS_ENOMEM;
}

static int build_delta(ms__pop *p, char *err, size_t errlen)
{
	return build(p, 0, err, errlen);
}

static int build_exp(ms__pop *p, char *err, size_t errlen)
{
	return build(p, 2, err, errlen);
}

const ms__model ms__lif_delta_model = {
	.name = "lif_delta",
	.params = lif_params,
	.n_params = 7,
	.vars = lif_vars,
	.n_vars = 1,
	.weight_dim = MS_DIM_VOLTAGE,
	.build = build_delta,
	.destroy = lif_destroy,
	.settle = lif_settle,
	.input = lif_input,
	.add_current = lif_add_current,
	.bound = lif_bound,
	.check = lif_check,
	.peek = lif_peek,
	.set_var = lif_set_var,
};

const ms__model ms__lif_exp_model = {
	.name = "lif_exp",
	.params = lif_params,
	.n_params = 9,
	.vars = lif_vars,
	.n_vars = 3,
	.weight_dim = MS_DIM_VOLTAGE,
	.build = build_exp,
	.destroy = lif_destroy,
	.settle = lif_settle,
	.input = lif_input,
	.add_current = lif_add_current,
	.bound = lif_bound,
	.check = lif_check,
	.peek = lif_peek,
	.set_var = lif_set_var,
};

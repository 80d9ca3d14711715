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
 * The search starts from the unit's free start (the later of its last event
 * and the end of its refractory period), so the time found does not depend
 * on when or how often the engine asks.
 *
 * Between its events a unit keeps V and y_k as coefficients of
 * exponentials of absolute time (struct lifn below), so that an input
 * changes two numbers with factors shared by all targets of a spike.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

enum {
	P_TAU_M,
	P_C_M,
	P_E_L,
	P_V_TH,
	P_V_RESET,
	P_T_REF,
	P_I_E,
	P_TAU_E,
	P_TAU_I
};
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

/*
 * One unit's state, one cache line. Between events the trajectory is kept
 * as coefficients of exponentials of absolute time, so that an input
 * changes two numbers and moves nothing: with T the start of the unit's
 * epoch and E_q(t) = e^{-(t - T)/tau_q} (q = m, e, i),
 *     V(t) = V_b + a E_m(t) + sum_k Y_k H_k(t),   y_k(t) = Y_k E_k(t),
 *     H_k(t) = coef_k E_k(t), or (t - T)/tau_m E_m(t) when tau_k = tau_m,
 * valid from the later of tl and tref_end on (V = V_reset before tref_end).
 * An input w into y_k at t adds w F_k(t) to Y_k and takes w K_k(t) from a
 * (F_q = 1/E_q; K_k = coef_k F_m, or F_m (t - T)/tau_m): V is continuous.
 * The state changes only at the unit's own events (inputs, spikes, current
 * steps), so what the engine asks and when never changes a result.
 */
typedef struct lifn {
	double a;        /* membrane coefficient */
	double Y[2];     /* synaptic coefficients */
	double budget;   /* lif_exp: excitatory effect left (tab_bound) */
	double tl;       /* time of the last input, spike or current step */
	double tref_end; /* end of the refractory period */
	double tc;       /* cached next crossing; NaN: not computed */
	int64_t ep;      /* epoch of the coefficients; T = ep * epoch_ms */
} lifn;

/* Values of the kernels at offset s (eval_at). */
typedef struct traj {
	double s, Em, E[2], g[2];
} traj;

/*
 * The factors of one time t in the epoch of t, shared by every unit of that
 * epoch touched at t: E_q, F_q, H_k and K_k above. Epochs bound t - T so
 * that no factor overflows (e^{+-40} at most); a unit is moved into the
 * epoch of each of its events (rebase), never by a check.
 */
typedef struct fac {
	double t;
	int64_t ep;
	double E[3], F[3], H[2], K[2];
} fac;

/* Intervals of the bound table of lif_exp (tab_bound). */
#define MS__LIF_TAB 24
/* Share of the distance to threshold kept as the budget of tab_bound. */
#define MS__LIF_MARGIN 0.3

typedef struct lif {
	int nsyn; /* 0 (delta) or 2 (exp) */
	double tau_m, inv_tau_m, R, E_L, th, Vr, t_ref, Ie_mV;
	double tau[2], inv_tau[2], coef[2], delta[2];
	int degen[2];     /* tau_k close to tau_m: use the phi form */
	int pow_n[2];     /* tau_m / tau_k when a small integer, else 0 */
	double peak_s[2]; /* argmax of g_k */
	double peak_g[2]; /* max of g_k */
	double chord[2];  /* tau_m peak_g / peak_s: g_k's chord slope */
	/* Offsets s_0 = 0 < s_1 < ... < s_nt (ms) and, on [s_k, s_k+1],
	 * e^{-s/tau_m} at both ends and the largest and smallest g_q. */
	int nt;
	double ts[MS__LIF_TAB + 1], em[MS__LIF_TAB + 1];
	double gmax[2][MS__LIF_TAB], gmin[2][MS__LIF_TAB];
	int same[2]; /* tau_k == tau_m */
	double epoch_ms, inv_epoch;
	fac cache[2]; /* [0]: event times; [1]: window ends */
	double D;     /* the engine's window width (ms), once known */
	double Dw;    /* D widened by 1e-6: covers [ws, we] despite rounding */
	double grow_k[2]; /* e^{Dw/tau_k}/tau_k */
	double inv_tmD;   /* 1/(tau_m - Dw), 0 when tau_m <= 2 Dw */
	lifn *n;
	double *Iext_mV; /* R times the injected current, per unit */
} lif;

static inline double maxd(double a, double b)
{
	return a > b ? a : b;
}

static inline double mind(double a, double b)
{
	return a < b ? a : b;
}

/* x^n for a small n >= 1. */
static inline double ipow(double x, int n)
{
	double r = x;

	for (int q = 1; q < n; q++)
		r *= x;
	return r;
}

/*
 * e^{x / tau_k} for k = 0 (tau_m), 1, 2 (tau_syn_e, tau_syn_i), x in ms:
 * with tau_m = n tau_k, a power of the membrane's factor instead of an
 * exponential (as in eval_at).
 */
static inline void scaled_exp(const lif *L, double x, double *F)
{
	F[0] = exp(x * L->inv_tau_m);
	for (int k = 0; k < L->nsyn; k++)
		F[k + 1] = L->pow_n[k] ? ipow(F[0], L->pow_n[k])
		                       : exp(x * L->inv_tau[k]);
}

/* The factors of time t for a unit whose coefficients are in epoch ep. */
static void fac_for(const lif *L, int64_t ep, double t, fac *f)
{
	double x = t - (double)ep * L->epoch_ms;

	f->t = t;
	f->ep = ep;
	scaled_exp(L, -x, f->E);
	/* Within an epoch E >= e^{-40}; F is needed only there (inputs), so
	 * a reciprocal (1 ulp) serves instead of exponentials. */
	for (int q = 0; q <= L->nsyn; q++)
		f->F[q] = 1.0 / f->E[q];
	for (int k = 0; k < L->nsyn; k++) {
		if (L->same[k]) {
			f->H[k] = x * L->inv_tau_m * f->E[0];
			f->K[k] = x * L->inv_tau_m * f->F[0];
		} else {
			f->H[k] = L->coef[k] * f->E[k + 1];
			f->K[k] = L->coef[k] * f->F[0];
		}
	}
}

static inline int64_t epoch_of(const lif *L, double t)
{
	return (int64_t)floor(t * L->inv_epoch);
}

/* The shared factors of time t in its own epoch, cached in slot c. */
static inline const fac *factors(lif *L, int c, double t)
{
	fac *f = &L->cache[c];

	if (t != f->t)
		fac_for(L, epoch_of(L, t), t, f);
	return f;
}

/* The factors of t for unit n: the shared ones when the unit is in the
 * epoch of t, else computed into *own. */
static inline const fac *unit_fac(lif *L, const lifn *n, int c, double t,
                                  fac *own)
{
	const fac *g = factors(L, c, t);

	if (n->ep == g->ep)
		return g;
	fac_for(L, n->ep, t, own);
	return own;
}

static inline double base_of(const lif *L, uint32_t i)
{
	return L->E_L + L->Ie_mV + L->Iext_mV[i];
}

/* V and the synaptic currents y of unit n at t from its coefficients;
 * nsyn is L->nsyn, a constant where the caller is specialised. */
static inline __attribute__((always_inline)) double
v_of(const lifn *n, double Vb, const fac *f, double *y, const int nsyn)
{
	double v = Vb + n->a * f->E[0];

	for (int k = 0; k < nsyn; k++) {
		v += n->Y[k] * f->H[k];
		y[k] = n->Y[k] * f->E[k + 1];
	}
	return v;
}

/* Move the coefficients of n into epoch ep (later than its own). */
static void rebase(const lif *L, lifn *n, int64_t ep)
{
	double dt = (double)(ep - n->ep) * L->epoch_ms, d[3];

	scaled_exp(L, -dt, d);
	n->a *= d[0];
	for (int k = 0; k < L->nsyn; k++) {
		if (L->same[k])
			n->a += n->Y[k] * d[0] * (dt * L->inv_tau_m);
		n->Y[k] *= d[k + 1];
	}
	n->ep = ep;
}

/*
 * J_k(x): what one unit of y_k coupled at offset x = t - T from the epoch's
 * start takes from a, coef_k e^{-x (1/tau_k - 1/tau_m)} (x/tau_m when
 * tau_k = tau_m), so that V does not jump at t. An input couples at its own
 * time, where J_k F_k = K_k; an input during the refractory period, and
 * the reset of a spike, couple at tref_end, so that V is V_reset there.
 * Fm = e^{x/tau_m} when the caller has it: with tau_m = n tau_k the power
 * Fm^{1-n} then replaces the exponential (an overflow of the power gives
 * 0, as the exponential would); else 0.
 */
static double coupling(const lif *L, int k, double x, double Fm)
{
	if (L->same[k])
		return x * L->inv_tau_m;
	if (L->pow_n[k] && Fm > 0.0)
		return L->coef[k] / ipow(Fm, L->pow_n[k] - 1);
	return L->coef[k] * exp(-x * L->delta[k]);
}

/* g_k(s) in the phi form, for tau_k close to tau_m. */
static __attribute__((noinline)) double kernel_phi(const lif *L, int k,
                                                   double s, double Em)
{
	double x = -s * L->delta[k];
	double phi = x == 0.0 ? 1.0 : expm1(x) / x;

	return s * L->inv_tau_m * Em * phi;
}

/* g_k(s) from e^{-s/tau_m} and e^{-s/tau_k}. */
static inline double kernel(const lif *L, int k, double s, double Em, double Ek)
{
	if (!L->degen[k])
		return L->coef[k] * (Ek - Em);
	return kernel_phi(L, k, s, Em);
}

static void eval_at(const lif *L, double s, traj *tr)
{
	tr->s = s;
	tr->Em = exp(-s * L->inv_tau_m);
	for (int k = 0; k < L->nsyn; k++) {
		/* With tau_m = n tau_k, e^{-s/tau_k} is a power of
		 * e^{-s/tau_m} (the identity Brette 2007 builds on). */
		double x = tr->Em;
		if (L->pow_n[k]) {
			for (int q = 1; q < L->pow_n[k]; q++)
				x *= tr->Em;
			tr->E[k] = x;
		} else {
			tr->E[k] = exp(-s * L->inv_tau[k]);
		}
		tr->g[k] = kernel(L, k, s, tr->Em, tr->E[k]);
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

/* Start of free evolution of a unit: the state at the later of its last
 * event and the end of its refractory period. */
typedef struct start {
	double ts, V, y[2], Vb;
} start;

static void free_start(lif *L, uint32_t i, start *st)
{
	const lifn *n = &L->n[i];
	fac own;
	const fac *f;

	st->Vb = base_of(L, i);
	st->ts = maxd(n->tl, n->tref_end);
	/* The shared factors when they are for ts; one unit's start does
	 * not replace them. */
	f = &L->cache[0];
	if (f->t != st->ts || f->ep != n->ep) {
		fac_for(L, n->ep, st->ts, &own);
		f = &own;
	}
	st->V = v_of(n, st->Vb, f, st->y, L->nsyn);
	/* Exactly V_reset when the refractory period ends after the last
	 * event (the coefficients give it to rounding). */
	if (n->tref_end > n->tl)
		st->V = L->Vr;
}

/*
 * Lower bound of the next spike after t for lif_exp, from the state (v, y_k)
 * at t. Writing V(t+s) = V_b + c e^{-s/tau_m} + sum_k y_k g_k(s) with
 * c = v - V_b, and using e^{-x} >= 1 - x, 0 <= g_k <= peak_g_k and
 * g_k(s) <= s / tau_m (the kernel's slope is at most 1/tau_m):
 *     V(t+s) <= v + a s + min(b s, c_e),  a = max(0, V_b - v) / tau_m,
 *     b = sum_{y_k > 0} y_k / tau_m,  c_e = sum_{y_k > 0} y_k peak_g_k;
 * negative currents only lower V and drop out. The right side is the
 * minimum of two increasing lines; it reaches V_th when both have.
 * For lif_delta (no currents) this is the tangent of the exact solution.
 */
static inline double lin_bound(const lif *L, double v, double Vb,
                               const double *y, double t, const int nsyn)
{
	double gap = L->th - v, a, b = 0.0, ce = 0.0, s1, s2, sp;

	if (gap <= 0.0)
		return t;
	a = maxd(0.0, Vb - v);
	if (nsyn) {
		double y0 = maxd(y[0], 0.0), y1 = maxd(y[1], 0.0);
		b = y0 + y1;
		ce = y0 * L->peak_g[0] + y1 * L->peak_g[1];
	}
	/* No positive current and V_b at or below threshold: V only relaxes
	 * towards V_b and never reaches V_th. */
	if (b <= 0.0 && Vb <= L->th)
		return INFINITY;
	if (a + b <= 0.0)
		return INFINITY;
	s1 = gap * L->tau_m / (a + b);
	if (ce >= gap)
		s2 = 0.0;
	else if (a > 0.0)
		s2 = (gap - ce) * L->tau_m / a;
	else
		return INFINITY;
	sp = maxd(s1, s2);
	/*
	 * Close to threshold, inhibition matters. g_k is concave on
	 * [0, 2 peak_s], so on [0, peak_s] it lies above its chord
	 * peak_g s / peak_s, and a negative y_k lowers the envelope by at
	 * least |y_k| peak_g s / peak_s there: both lines lose slope h.
	 */
	for (int k = 0; k < nsyn; k++) {
		double h, xr, r1, r2;
		if (y[k] >= 0.0 || sp >= L->peak_s[k])
			continue;
		h = -y[k] * L->chord[k];
		r1 = a + b - h > 0.0 ? gap * L->tau_m / (a + b - h) : INFINITY;
		r2 = ce >= gap     ? 0.0
		     : a - h > 0.0 ? (gap - ce) * L->tau_m / (a - h)
		                   : INFINITY;
		xr = maxd(r1, r2);
		sp = xr <= L->peak_s[k] ? maxd(sp, xr) : L->peak_s[k];
	}
	return t + sp;
}

/* Can the envelope of lin_bound reach V_th within s? If not, a check
 * registered at t + s or later is still early enough (no division). */
static inline int reaches(const lif *L, double v, double Vb, const double *y,
                          double s, const int nsyn)
{
	double a = maxd(0.0, Vb - v), b = 0.0, ce = 0.0;

	if (nsyn) {
		double y0 = maxd(y[0], 0.0), y1 = maxd(y[1], 0.0);
		b = y0 + y1;
		ce = y0 * L->peak_g[0] + y1 * L->peak_g[1];
	}
	s *= L->inv_tau_m;
	return v + a * s + mind(b * s, ce) >= L->th;
}

/*
 * Lower bound of the next spike after t for lif_exp, from the state (v, y_k)
 * at t, with a budget for later inputs. On each tabulated interval
 * [s_k, s_k+1] every term of V(t+s) is bounded exactly (e^{-s/tau_m} is
 * monotone, g_q(s) lies between its tabulated extremes), inhibition
 * included: u_k >= V - V_th there. The bound is s_k for the first k with
 * u_k >= -m, m = MS__LIF_MARGIN (V_th - v), and *budget = -max_{j<k} u_j
 * less 1e-9 mV (so at least m - 1e-9 mV; the 1e-9 mV, and m >= 1e-9 mV,
 * cover rounding). An excitatory input of weight w raises V at every later
 * time by at most w peak_g, so as long as the sum of w peak_g over the
 * inputs after t stays within the budget, no crossing can come before the
 * bound: deliver_n spends the budget instead of bounding again. With one
 * table for all units and offsets from the time of the bound, this costs no
 * exponential.
 */
static double tab_bound(const lif *L, double v, double Vb, const double *y,
                        double t, double *budget)
{
	double c = v - Vb, base = Vb - L->th, gap = L->th - v, M = -INFINITY;
	double m = MS__LIF_MARGIN * gap;
	const double *ep = c < 0.0 ? L->em + 1 : L->em;
	const double *ge = y[0] >= 0.0 ? L->gmax[0] : L->gmin[0];
	const double *gi = y[1] >= 0.0 ? L->gmax[1] : L->gmin[1];
	int k;

	*budget = -1.0;
	if (!(m >= 1e-9))
		return t;
	for (k = 0; k < L->nt; k++) {
		double u = base + c * ep[k] + y[0] * ge[k] + y[1] * gi[k];
		if (u >= -m)
			break;
		M = maxd(M, u);
	}
	if (k == 0)
		return t;
	*budget = -M - 1e-9;
	return t + L->ts[k];
}

static double v_at(const lif *L, const start *st, const traj *tr)
{
	double v = st->Vb + (st->V - st->Vb) * tr->Em;
	for (int k = 0; k < L->nsyn; k++)
		v += st->y[k] * tr->g[k];
	return v;
}

/* Upper bound of V - V_th on [a.s, b.s], exact for each term. */
static double ub_f(const lif *L, const start *st, const traj *a, const traj *b)
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

static double slope_at(const lif *L, const start *st, const traj *tr, double v)
{
	double d = st->Vb - v;
	for (int k = 0; k < L->nsyn; k++)
		d += st->y[k] * tr->E[k];
	return d * L->inv_tau_m;
}

/* V - V_th increases through zero in (a, tb->s]: narrow to the crossing
 * with Halley steps (V'' costs no exponential more than V') kept inside the
 * bracket, from tb (the values at its end); returns the offset where V
 * first reaches V_th, to a few ulps. */
static double refine(const lif *L, const start *st, double a, const traj *tb)
{
	traj tr = *tb;
	double b = tb->s, x = b;

	for (int it = 0; it < 100; it++) {
		double v, f, d1, d2, step, nx;
		if (it)
			eval_at(L, x, &tr);
		v = v_at(L, st, &tr);
		f = v - L->th;
		if (f >= 0.0)
			b = x;
		else
			a = x;
		if (f == 0.0)
			return x;
		/* tau_m V' = V_b - V + sum y_k E_k, so
		 * tau_m V'' = -V' - sum y_k E_k / tau_k. */
		d1 = slope_at(L, st, &tr, v);
		d2 = -d1;
		for (int k = 0; k < L->nsyn; k++)
			d2 -= st->y[k] * tr.E[k] * L->inv_tau[k];
		d2 *= L->inv_tau_m;
		step = f / d1;
		step /= 1.0 - 0.5 * step * d2 / d1;
		if (fabs(step) <= 4e-16 * fabs(x)) {
			/* Converged; from below, the crossing is the next
			 * step, within an ulp or two of x. */
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
static double dfs(const lif *L, const start *st, const traj *a, const traj *b,
                  int depth)
{
	double fb = v_at(L, st, b) - L->th;
	double u = ub_f(L, st, a, b);
	traj m;
	double r;

	if (u < 0.0)
		return INFINITY;
	if (fb >= 0.0 && lb_slope(L, st, a, b, u) > 0.0)
		return refine(L, st, a->s, b);
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
			u += st->y[k] *
			     (tr->s <= L->peak_s[k] ? L->peak_g[k] : tr->g[k]);
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
	double S = L->tau_m, lo;
	for (int k = 0; k < L->nsyn; k++)
		S = maxd(S, L->tau[k]);
	/* Nothing before the envelope's bound: start the search there. */
	lo = lin_bound(L, st->V, st->Vb, st->y, 0.0, L->nsyn);
	if (!(lo < INFINITY))
		return INFINITY;
	eval_at(L, lo, &a);
	{
		double va = v_at(L, st, &a), slope;
		if (va >= L->th)
			return lo;
		/* Usually V is still rising here: twice the Newton step
		 * brackets the crossing, and the bracket is small enough for
		 * the search to certify it at once. */
		slope = slope_at(L, st, &a, va);
		if (slope > 0.0) {
			eval_at(L, lo + 2.0 * (L->th - va) / slope, &b);
			if (v_at(L, st, &b) >= L->th)
				return dfs(L, st, &a, &b, 0);
		}
	}
	S += lo;
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

/* Cached absolute time of the next crossing of unit n. */
static double crossing(lifn *n, const lif *L, const start *st)
{
	if (isnan(n->tc))
		n->tc = st->ts + first_crossing(L, st);
	return n->tc;
}

/* The spike of unit i at tc: V = V_reset until tref_end, from where the
 * coefficients carry on (a chosen so that V(tref_end) = V_reset). */
static void fire(ms__pop *p, lif *L, uint32_t i, double tc)
{
	lifn *n = &L->n[i];
	int64_t ep = epoch_of(L, tc);
	double x, Fm;

	if (n->ep != ep)
		rebase(L, n, ep);
	n->budget = -1.0;
	n->tref_end = tc + L->t_ref;
	n->tl = tc;
	n->tc = NAN;
	x = n->tref_end - (double)ep * L->epoch_ms;
	Fm = exp(x * L->inv_tau_m);
	n->a = (L->Vr - base_of(L, i)) * Fm;
	for (int k = 0; k < L->nsyn; k++)
		n->a -= n->Y[k] * coupling(L, k, x, Fm);
	ms__emit_spike(p, i, tc);
}

/* The kernels over one window of the engine, whose width is known only
 * once the network is built. */
static inline void window_consts(lif *L, double D)
{
	if (L->D != D) {
		L->D = D;
		/* Window ends are computed as (w+1) D, starts as w D: their
		 * difference exceeds D by up to an ulp of the time (2e-13 ms
		 * at 1 s, 2e-9 ms at 10^7 ms); later times, where it may be
		 * more, take the general path. */
		L->Dw = D * (1.0 + 1e-6);
		for (int k = 0; k < L->nsyn; k++)
			L->grow_k[k] =
			    exp(L->Dw * L->inv_tau[k]) * L->inv_tau[k];
		/* The window test needs tau_m > Dw (else it is not used). */
		L->inv_tmD =
		    L->tau_m > 2.0 * L->Dw ? 1.0 / (L->tau_m - L->Dw) : 0.0;
	}
}

/*
 * No crossing in [ws, t] (0 when t - ws > Dw), for a unit whose pending
 * check is in the current window [ws, ws + D): the coefficients are the
 * exact trajectory from its free start on (before it, an extrapolation that
 * solves the same equations), so bounding them over [ws, t] from their
 * values at t covers [max(ws, start), t]. Shared factors only, no
 * exponential; *v and y are V and y_k at t.
 */
static inline __attribute__((always_inline)) int
window_clear(lif *L, uint32_t i, double ws, double t, int at_end, double *v,
             double *y, const int nsyn)
{
	const lifn *n = &L->n[i];
	double Vb = base_of(L, i), d1, S, h = t - ws;
	fac own;
	const fac *f;

	if (h > L->Dw)
		return 0;
	/* Checks come at window ends, inputs anywhere: keep their factors
	 * apart. */
	f = unit_fac(L, n, at_end ? 1 : 0, t, &own);
	*v = v_of(n, Vb, f, y, nsyn);
	if (*v >= L->th || !(L->inv_tmD > 0.0))
		return 0;
	/*
	 * Taylor's theorem backwards from t, over h = t - ws <= Dw:
	 * V(t - x) <= V(t) + x max(0, -V'(t)) + x^2/2 sup|V''|. From
	 * tau_m V' = V_b - V + sum y_k and y_k' = -y_k/tau_k,
	 * tau_m V'' = -V' - sum y_k/tau_k; going back over the window |y_k|
	 * grows by at most e^{Dw/tau_k} and |V'| by Dw sup|V''|, so
	 * sup|V''| <= (|V'(t)| + sum |y_k(t)| e^{Dw/tau_k}/tau_k) /
	 * (tau_m - Dw). 1e-10 mV covers rounding.
	 */
	d1 = Vb - *v;
	for (int k = 0; k < nsyn; k++)
		d1 += y[k];
	d1 *= L->inv_tau_m;
	S = fabs(d1);
	for (int k = 0; k < nsyn; k++)
		S += fabs(y[k]) * L->grow_k[k];
	S *= L->inv_tmD;
	return *v + h * maxd(0.0, -d1) + 0.5 * h * h * S + 1e-10 < L->th;
}

/* Certified clear from the free start st to t, the values at t in tr. */
static int clear_until(const lif *L, const start *st, const traj *tr, double v)
{
	traj z;

	if (v >= L->th)
		return 0;
	eval_zero(L, &z);
	return ub_f(L, st, &z, tr) < 0.0;
}

/* Time before which unit i certainly does not cross, from the engine's
 * registration: its window's end when its check lies beyond the current
 * window; the window's start when the check is in it; else nothing. */
static double settled_until(const ms__pop *p, uint32_t i, double *ws)
{
	const ms_net *net = p->net;

	*ws = ms__queue_win_start(&net->q, net->win);
	if (p->chk_win[i] > net->win)
		return ms__queue_win_start(&net->q, net->win + 1);
	return p->chk_win[i] == net->win ? *ws : -INFINITY;
}

/*
 * Emit every spike of unit i before t, knowing that none comes before lo
 * (lo = window start ws: the window test may be used). The state changes
 * only by the spikes.
 */
static void run_to(ms__pop *p, uint32_t i, double t, double lo, double ws)
{
	lif *L = p->state;
	lifn *n = &L->n[i];
	start st;
	traj tr;
	double v, y[2];

	window_consts(L, p->net->q.D);
	for (;;) {
		if (!isnan(n->tc)) {
			if (n->tc < t) {
				fire(p, L, i, n->tc);
				lo = -INFINITY;
				continue;
			}
			return;
		}
		if (t <= maxd(n->tl, n->tref_end) || lo >= t)
			return;
		if (lo == ws && window_clear(L, i, ws, t, 0, &v, y, L->nsyn))
			return;
		free_start(L, i, &st);
		eval_at(L, t - st.ts, &tr);
		if (clear_until(L, &st, &tr, v_at(L, &st, &tr)))
			return;
		if (crossing(n, L, &st) >= t)
			return;
	}
}

static void lif_settle(ms__pop *p, uint32_t i, double t)
{
	double ws, lo = settled_until(p, i, &ws);

	run_to(p, i, t, lo, ws);
}

static double lif_bound(ms__pop *p, uint32_t i, double t)
{
	lif *L = p->state;
	lifn *n = &L->n[i];
	double ts = maxd(n->tl, n->tref_end), Vb = base_of(L, i), v, y[2];
	fac own;

	n->budget = -1.0;
	if (t < ts)
		return ts;
	if (!isnan(n->tc))
		return maxd(n->tc, t);
	v = v_of(n, Vb, unit_fac(L, n, 0, t, &own), y, L->nsyn);
	return lin_bound(L, v, Vb, y, t, L->nsyn);
}

/* Settle to t and bound the next spike: in the common case, the window
 * test and the bound from the values at t, without an exponential. The
 * body with the number of synaptic currents fixed (see lif_deliver). */
static inline __attribute__((always_inline)) double
check_n(ms__pop *p, uint32_t i, double t, const int nsyn)
{
	lif *L = p->state;
	lifn *n = &L->n[i];
	double ws = ms__queue_win_start(&p->net->q, p->net->win), v, y[2];

	window_consts(L, p->net->q.D);
	if (isnan(n->tc)) {
		double ts = maxd(n->tl, n->tref_end);
		if (t < ts)
			return ts;
		if (t > ts && window_clear(L, i, ws, t, 1, &v, y, nsyn)) {
			if (nsyn == 0)
				return lin_bound(L, v, base_of(L, i), y, t, 0);
			return tab_bound(L, v, base_of(L, i), y, t, &n->budget);
		}
	}
	/* The window test has been tried (or cannot apply): settle from
	 * the free start. */
	run_to(p, i, t, -INFINITY, ws);
	return lif_bound(p, i, t);
}

static double lif_check(ms__pop *p, uint32_t i, double t)
{
	if (((const lif *)p->state)->nsyn)
		return check_n(p, i, t, 2);
	return check_n(p, i, t, 0);
}

/* A new bound for lif_exp unit i after an input at t spent its budget (the
 * factors of t are in L->cache[0]). */
static __attribute__((noinline)) void rebound(ms__pop *p, uint32_t i, double t)
{
	lif *L = p->state;
	lifn *n = &L->n[i];
	double Vb = base_of(L, i), y[2];
	double v = v_of(n, Vb, &L->cache[0], y, 2);

	ms__register_check(p, i, tab_bound(L, v, Vb, y, t, &n->budget));
}

/*
 * The input of synapse s at t, into receptor r_in (nsyn 2) or as a jump of
 * V (nsyn 0), with the factors g of t (L->cache[0]: settling a unit does
 * not change them).
 */
static inline __attribute__((always_inline)) void
deliver_one(ms__pop *p, double t, const ms__proj *j, uint64_t s, const fac *g,
            const int nsyn, const int r_in)
{
	lif *L = p->state;
	const int64_t win = p->net->win, ep = g->ep;
	const int64_t *const chk = p->chk_win;
	uint32_t i = j->target[s];
	lifn *n = &L->n[i];
	double w = j->weight[s], v, y[2], Vb;

	if (chk[i] <= win)
		lif_settle(p, i, t);
	if (n->ep != ep)
		rebase(L, n, ep);
	n->tl = t;
	n->tc = NAN;
	if (nsyn) {
		/* During the refractory period the current takes the input as
		 * usual, coupled at tref_end: V stays V_reset until then. */
		double Fr = g->F[1 + r_in];
		n->Y[r_in] += w * Fr;
		n->a -=
		    w *
		    (t >= n->tref_end
		         ? g->K[r_in]
		         : Fr * coupling(L, r_in,
		                         n->tref_end - (double)ep * L->epoch_ms,
		                         0.0));
	} else if (t >= n->tref_end) {
		n->a += w * g->F[0];
	} else {
		return; /* lif_delta loses it */
	}
	/* Every kernel is non-negative: a negative input only lowers V at
	 * all later times, so the registered check stays valid. */
	if (w <= 0.0)
		return;
	if (t < n->tref_end) {
		ms__register_check(p, i, n->tref_end);
		return;
	}
	if (chk[i] <= win)
		return;
	if (nsyn) {
		n->budget -= w * L->peak_g[r_in];
		if (n->budget < 0.0)
			rebound(p, i, t);
		return;
	}
	Vb = base_of(L, i);
	v = v_of(n, Vb, g, y, nsyn);
	if (chk[i] != MS__NO_WINDOW &&
	    !reaches(L, v, Vb, y, ms__queue_win_start(&p->net->q, chk[i]) - t,
	             nsyn))
		return;
	ms__register_check(p, i, lin_bound(L, v, Vb, y, t, nsyn));
}

/* deliver_one for lif_exp, out of the fast loop below. */
static __attribute__((noinline)) void
deliver_exp(ms__pop *p, double t, const ms__proj *j, uint64_t s, int r_in)
{
	lif *L = p->state;

	deliver_one(p, t, j, s, &L->cache[0], 2, r_in);
}

/*
 * Synaptic inputs at t. The common case — a unit that cannot fire before t,
 * in the epoch of t and not refractory — changes two coefficients with the
 * shared factors of t; for lif_exp with one receptor it has a loop of its
 * own, with everything else out of line (so that few values stay live).
 */
static inline __attribute__((always_inline)) void
deliver_n(ms__pop *p, double t, const ms__proj *j, uint64_t s0, uint32_t count,
          const int nsyn, const int rfix)
{
	lif *L = p->state;
	const fac *g = factors(L, 0, t);
	const uint64_t end = s0 + count;
	/* The arrays, read once: stores to the units could alias them for
	 * the compiler (none moves during a run). */
	lifn *const N = L->n;
	const int64_t *const chk = p->chk_win;
	const uint32_t *const tg = j->target;

	if (nsyn && rfix >= 0) {
		const int64_t win = p->net->win, ep = g->ep;
		/* Likewise the factors of t. */
		const double Fr = g->F[1 + rfix], Kr = g->K[rfix];
		const double pk = L->peak_g[rfix];
		const double *const wt = j->weight;

		for (uint64_t s = s0; s < end; s++) {
			uint32_t i = tg[s];
			lifn *n = &N[i];
			double w = wt[s], b;

			/* Targets are scattered: fetch a few synapses ahead. */
			if (s + 6 < end) {
				uint32_t a = tg[s + 6];
				__builtin_prefetch(&N[a]);
				__builtin_prefetch(&chk[a]);
			}
			if (chk[i] <= win || n->ep != ep || t < n->tref_end) {
				deliver_exp(p, t, j, s, rfix);
				continue;
			}
			n->tl = t;
			n->tc = NAN;
			n->Y[rfix] += w * Fr;
			n->a -= w * Kr;
			if (w <= 0.0)
				continue;
			b = n->budget - w * pk;
			n->budget = b;
			if (b < 0.0)
				rebound(p, i, t);
		}
		return;
	}
	for (uint64_t s = s0; s < end; s++) {
		if (s + 6 < end) {
			uint32_t a = tg[s + 6];
			__builtin_prefetch(&N[a]);
			__builtin_prefetch(&chk[a]);
		}
		deliver_one(p, t, j, s, g, nsyn,
		            nsyn && j->receptor[s] == MS_RECEPTOR_INH);
	}
}

/* The body above with the number of synaptic currents, and the receptor
 * when one serves the whole projection, fixed, so that its loops unroll
 * and its branches go. */
static void lif_deliver(ms__pop *p, double t, const ms__proj *j, uint64_t s0,
                        uint32_t count)
{
	if (!((const lif *)p->state)->nsyn)
		deliver_n(p, t, j, s0, count, 0, 0);
	else if (j->rec_all < 0)
		deliver_n(p, t, j, s0, count, 2, -1);
	else if (j->rec_all == MS_RECEPTOR_INH)
		deliver_n(p, t, j, s0, count, 2, 1);
	else
		deliver_n(p, t, j, s0, count, 2, 0);
}

/* A step of the injected current at t: V stays continuous (or V_reset until
 * tref_end), the new V_b takes over from t. */
static void lif_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	lif *L = p->state;
	lifn *n = &L->n[i];
	double ws, lo = settled_until(p, i, &ws), dVb = L->R * dI;
	int64_t ep;

	run_to(p, i, t, lo, ws);
	ep = epoch_of(L, t);
	if (n->ep != ep)
		rebase(L, n, ep);
	n->a -= dVb * exp((maxd(t, n->tref_end) - (double)n->ep * L->epoch_ms) *
	                  L->inv_tau_m);
	L->Iext_mV[i] += dVb;
	n->tl = maxd(n->tl, t);
	n->tc = NAN;
	n->budget = -1.0;
}

static double lif_peek(ms__pop *p, uint32_t i, double t, int var)
{
	lif *L = p->state;
	const lifn *n = &L->n[i];
	double y[2], v;
	fac f;

	fac_for(L, n->ep, t, &f);
	v = v_of(n, base_of(L, i), &f, y, L->nsyn);
	if (var == V_V_M)
		return t < n->tref_end ? L->Vr : v;
	return y[var - 1] / L->R;
}

/* Initial values, at the current time, before the first run. */
static void lif_set_var(ms__pop *p, uint32_t i, int var, double value)
{
	lif *L = p->state;
	lifn *n = &L->n[i];
	double t = p->net->t_now, Vb = base_of(L, i), y[2], v;
	fac f;

	fac_for(L, n->ep, t, &f);
	v = t < n->tref_end ? L->Vr : v_of(n, Vb, &f, y, L->nsyn);
	if (var == V_V_M)
		v = value;
	else
		n->Y[var - 1] = L->R * value * f.F[var];
	/* a from V at t, the currents as they are now. */
	n->a = v - Vb;
	for (int k = 0; k < L->nsyn; k++)
		n->a -= n->Y[k] * f.H[k];
	n->a *= f.F[0];
	n->tc = NAN;
	n->budget = -1.0;
}

static void lif_destroy(ms__pop *p)
{
	lif *L = p->state;

	if (!L)
		return;
	free(L->n);
	free(L->Iext_mV);
	free(L);
	p->state = NULL;
}

static void kernel_consts(lif *L, int k)
{
	traj tr;

	L->inv_tau[k] = 1.0 / L->tau[k];
	L->delta[k] = L->inv_tau[k] - L->inv_tau_m;
	L->same[k] = L->tau_m == L->tau[k];
	L->pow_n[k] = 0;
	for (int q = 1; q <= 8; q++)
		if (L->tau_m == q * L->tau[k])
			L->pow_n[k] = q;
	/* Within 1% the difference of exponentials loses too many digits to
	 * cancellation; the phi form is exact there. */
	L->degen[k] = fabs(1.0 - L->tau_m / L->tau[k]) < 0.01;
	L->coef[k] = L->degen[k] ? 0.0 : L->tau[k] / (L->tau[k] - L->tau_m);
	L->peak_s[k] = L->delta[k] == 0.0 ? L->tau_m
	                                  : log(L->tau[k] / L->tau_m) /
	                                        (L->inv_tau_m - L->inv_tau[k]);
	eval_at(L, L->peak_s[k], &tr);
	L->peak_g[k] = tr.g[k];
	L->chord[k] = L->tau_m * L->peak_g[k] / L->peak_s[k];
}

/*
 * The offsets of tab_bound: 0.2 ms, growing by 1.4 per interval, up to
 * about 12 tau_max (where every kernel has decayed to e^{-12} of its
 * peak or less); tau_m sets the scale of the first interval.
 */
static void bound_table(lif *L)
{
	double s = 0.0, step = 0.01 * L->tau_m, end = L->tau_m;
	traj a, b;
	int k = 0;

	for (int q = 0; q < 2; q++)
		end = maxd(end, L->tau[q]);
	end *= 12.0;
	eval_at(L, 0.0, &a);
	L->ts[0] = 0.0;
	L->em[0] = 1.0;
	while (k < MS__LIF_TAB && s < end) {
		s += step;
		step *= 1.4;
		eval_at(L, s, &b);
		L->ts[k + 1] = s;
		L->em[k + 1] = b.Em;
		for (int q = 0; q < 2; q++) {
			int in = L->peak_s[q] >= a.s && L->peak_s[q] <= b.s;
			L->gmax[q][k] =
			    in ? L->peak_g[q] : maxd(a.g[q], b.g[q]);
			L->gmin[q][k] = mind(a.g[q], b.g[q]);
		}
		a = b;
		k++;
	}
	L->nt = k;
}

static int build(ms__pop *p, int nsyn, char *err, size_t errlen)
{
	const double *q = p->param;
	double tau_min;
	lif *L;

	if (q[P_V_RESET] >= q[P_V_TH]) {
		snprintf(err, errlen,
		         "V_reset (%g mV) must be below V_th (%g mV)",
		         q[P_V_RESET], q[P_V_TH]);
		return MS_EINVAL;
	}
	/* The coefficients hold e^{(t_ref + epoch)/tau_m} at most after a
	 * spike: keep it far from overflow. */
	if (q[P_T_REF] > 500.0 * q[P_TAU_M]) {
		snprintf(err, errlen,
		         "t_ref (%g ms) must be at most 500 tau_m (%g ms)",
		         q[P_T_REF], 500.0 * q[P_TAU_M]);
		return MS_EINVAL;
	}
	for (int k = 0; k < nsyn; k++) {
		double tk = q[P_TAU_E + k], tm = q[P_TAU_M];
		/* Equal is exact; within 1e-6 the coefficients would lose
		 * up to 1e6 ulps of V to cancellation. */
		if (tk != tm && fabs(tk - tm) < 1e-6 * tm) {
			snprintf(err, errlen,
			         "%s (%.12g ms) must equal tau_m (%.12g ms) "
			         "or differ from it by more than 1e-6 of it",
			         k ? "tau_syn_i" : "tau_syn_e", tk, tm);
			return MS_EINVAL;
		}
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
	tau_min = L->tau_m;
	for (int k = 0; k < nsyn; k++) {
		L->tau[k] = q[P_TAU_E + k];
		kernel_consts(L, k);
		tau_min = mind(tau_min, L->tau[k]);
	}
	if (nsyn)
		bound_table(L);
	/* Within an epoch the factors stay within e^{+-40}. */
	L->epoch_ms = 40.0 * tau_min;
	L->inv_epoch = 1.0 / L->epoch_ms;
	L->cache[0].t = L->cache[1].t = NAN;
	L->n = calloc(p->n, sizeof(lifn));
	L->Iext_mV = calloc(p->n, sizeof(double));
	if (!L->n || !L->Iext_mV) {
		lif_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		lifn *n = &L->n[i];
		fac f;
		n->ep = epoch_of(L, p->net->t_now);
		fac_for(L, n->ep, p->net->t_now, &f);
		n->a = (L->E_L - base_of(L, i)) * f.F[0];
		n->tl = p->net->t_now;
		n->tref_end = -INFINITY;
		n->tc = NAN;
		n->budget = -1.0;
	}
	return MS_OK;
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
    .deliver = lif_deliver,
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
    .deliver = lif_deliver,
    .add_current = lif_add_current,
    .bound = lif_bound,
    .check = lif_check,
    .peek = lif_peek,
    .set_var = lif_set_var,
};

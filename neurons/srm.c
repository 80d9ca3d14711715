/*
 * srm — the spike response model SRM0, advanced exactly, with optional
 * escape noise.
 *
 * Gerstner W., Kistler W. M. (2002), Spiking Neuron Models, Cambridge
 * University Press, ch. 4.2.3 (SRM0) and 5.3 (escape noise):
 *     u(t) = u_rest + eta(t - t^) + sum_j w_j sum_f eps(t - t_j^f)
 *            + R int_0^inf (1/tau_m) e^{-s/tau_m} I(t - s) ds
 *     eta(s) = -(theta - u_r) e^{-s/tau_m}
 * with t^ the last output spike, R = tau_m / C_m and I the bias plus
 * injected current. A spike is emitted when u reaches theta, except while
 * t - t^ < t_ref (absolute refractoriness; u itself keeps evolving).
 * Reset option reset_all: 0 keeps only the last spike's eta (SRM0 proper),
 * 1 sums the eta of every past spike. With reset_all = 0, t_ref must be
 * > 0: a strong drive could otherwise fire infinitely often in finite time.
 * Kernels (weights in mV scale eps as written):
 *     exponential current (alpha_kernel = 0), tau_s = tau_syn_ex or
 *     tau_syn_in by receptor:
 *         eps(s) = (e^{-s/tau_m} - e^{-s/tau_s}) / (1 - tau_s/tau_m)
 *                = (s/tau_s) e^{-s/tau_m} phi(-s (1/tau_s - 1/tau_m)),
 *         phi(x) = (e^x - 1)/x, the second form when tau_s ~ tau_m;
 *     alpha (alpha_kernel = 1): eps(s) = (s/tau_alpha) e^{1 - s/tau_alpha}.
 *
 * Relation to lif_exp (neurons/lif.c): eps = (tau_m/tau_s) g_s, g_s being
 * lif_exp's response to a unit synaptic current, and a LIF reset is the
 * same as adding eta at each spike. So with reset_all = 1 and t_ref = 0 an
 * srm unit is a lif_exp unit (t_ref = 0, E_L = u_rest, V_th = theta,
 * V_reset = u_r) whose weights are scaled by tau_s/tau_m: same spike times.
 * With reset_all = 0 the two agree up to the second output spike (only one
 * eta exists before it); after it u exceeds the LIF's V by
 * (theta - u_r) sum over earlier spikes of e^{-(t - t_f)/tau_m}, so the
 * third spike comes strictly earlier, and they drift apart.
 *
 * Escape noise (rho_0 > 0) replaces the hard threshold: the unit fires with
 * the intensity rho(t) = rho_0 exp((u(t) - theta)/delta_u) (0 while
 * refractory). Sampled exactly by thinning, from the state after each input,
 * current step or spike and assuming no further input: on chunks of fixed
 * length from the start of free evolution (halved where the bound is
 * loose), a certified upper bound U of u gives the dominating rate
 * lambda = rho_0 exp((U - theta)/delta_u); candidates are the points of a
 * Poisson process of that piecewise constant rate (time rescaling), each
 * accepted with probability rho(u(t))/lambda. Once every decaying term is
 * below delta_u, one last chunk reaches to infinity. Event k of a unit
 * draws from block k * 2^20 of the stream (seed, noise, population, unit),
 * so the draws depend only on the unit's history. The sampler is walked
 * lazily, only as far as settle() and bound() need; it can stop between
 * any two of its steps and resume with the same bits, so results never
 * depend on how often the engine asks.
 *
 * State of a unit at its own time t0, with offsets s from t0:
 *     u(t0 + s) = u_b + (h + v) e^{-s/tau_m} + c_e eps_e(s) + c_i eps_i(s)
 *     alpha:      u_b + (h + v) e^{-s/tau_m} + a e^{-s/tau_a}
 *                     + b (s/tau_a) e^{-s/tau_a}
 * where u_b = u_rest + R I, h is the eta part, v the rest of the membrane
 * term; an input w adds w to c_e or c_i (alpha: e w to b). Moving to
 * t0 + s: h, v decay with e^{-s/tau_m}, v takes sum_k c_k eps_k(s) and the
 * c_k decay with e^{-s/tau_k} (alpha: a = a e^{-s/tau_a} + b (s/tau_a)
 * e^{-s/tau_a}, b decays). Every term is an exponential (monotone) or a
 * coefficient times a kernel that rises to one peak, with one inflection
 * point at twice the peak's offset, then decays; termwise bounds of u and
 * u' on an interval are therefore exact per term, and the threshold search
 * is lif_exp's certified branch and bound on these terms.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/internal.h"

#define EULER_E 2.71828182845904523536

enum {
	P_TAU_M,
	P_C_M,
	P_U_REST,
	P_THETA,
	P_U_R,
	P_T_REF,
	P_I_E,
	P_TAU_EX,
	P_TAU_IN,
	P_TAU_A,
	P_ALPHA,
	P_RESET_ALL,
	P_RHO_0,
	P_DELTA_U,
	N_PARAMS
};
enum { V_U, V_ETA };

static const ms_param_info srm_params[] = {
    {"tau_m", MS_DIM_TIME, 10.0, 0.0, 1e9, 1,
     "membrane time constant (eta, eps and current response)"},
    {"C_m", MS_DIM_CAPACITANCE, 250.0, 0.0, 1e12, 1,
     "membrane capacitance (converts currents: R = tau_m / C_m)"},
    {"u_rest", MS_DIM_VOLTAGE, -70.0, -1e6, 1e6, 0, "resting potential"},
    {"theta", MS_DIM_VOLTAGE, -55.0, -1e6, 1e6, 0, "firing threshold"},
    {"u_r", MS_DIM_VOLTAGE, -70.0, -1e6, 1e6, 0,
     "reset: eta(0) = -(theta - u_r); must be below theta"},
    {"t_ref", MS_DIM_TIME, 2.0, 0.0, 1e9, 0,
     "absolute refractory period (> 0 when reset_all = 0)"},
    {"I_e", MS_DIM_CURRENT, 0.0, -1e12, 1e12, 0, "constant bias current"},
    {"tau_syn_ex", MS_DIM_TIME, 2.0, 0.0, 1e9, 1,
     "synaptic time constant of the excitatory exponential kernel"},
    {"tau_syn_in", MS_DIM_TIME, 2.0, 0.0, 1e9, 1,
     "synaptic time constant of the inhibitory exponential kernel"},
    {"tau_alpha", MS_DIM_TIME, 2.0, 0.0, 1e9, 1,
     "time to peak of the alpha kernel (alpha_kernel = 1)"},
    {"alpha_kernel", MS_DIM_NONE, 0.0, 0.0, 1.0, 0,
     "kernel: 0 exponential current (default), 1 alpha"},
    {"reset_all", MS_DIM_NONE, 0.0, 0.0, 1.0, 0,
     "reset: 0 only the last spike's eta (SRM0), 1 every spike's eta"},
    {"rho_0", MS_DIM_RATE, 0.0, 0.0, 1e9, 0,
     "escape rate at threshold (0: deterministic threshold)"},
    {"delta_u", MS_DIM_VOLTAGE, 1.0, 1e-6, 1e6, 0,
     "width of the escape noise: rho = rho_0 exp((u - theta) / delta_u)"},
};

static const ms_var_info srm_vars[] = {
    {"u", MS_DIM_VOLTAGE, "membrane potential"},
    {"eta", MS_DIM_VOLTAGE,
     "reset part of u (setting it keeps u: the rest absorbs the change)"},
};

/* One unit: the coefficients above at its own time t0. */
typedef struct srmn {
	double t0;
	double h, v; /* eta part and rest of the coefficient of e^{-s/tau_m} */
	double c[2]; /* c_e, c_i; alpha: a, b */
	double ub;   /* u_rest + R (I_e + injected current) */
	double tref_end;
	double tn;   /* next spike from this state; NaN: not computed */
	uint64_t ev; /* inputs, current steps and spikes so far */
} srmn;

/*
 * Shape of a kernel term: it starts at 0 with slope d0, peaks at s_p with
 * value k_p, has its steepest descent at s_i = 2 s_p with slope d_i, and
 * decays to 0.
 */
typedef struct kshape {
	double s_p, k_p, s_i, d_i, d0;
} kshape;

/*
 * The thinning of one unit, resumable. Its steps — make a segment, take a
 * candidate (accept or draw anew), pass a segment's end — depend only on
 * the unit's state and its stream, so walking them in one go or in pieces
 * gives the same bits; the engine decides only how far to walk.
 */
enum { SM_STALE, SM_EDGE, SM_SEG };

typedef struct sampler {
	ms__rng r;
	double pos;       /* offset from the free start: no spike before it */
	double E;         /* rescaled time left to the next candidate */
	double k;         /* chunk index: chunk [k L, (k+1) L) holds pos */
	double b, lam, U; /* segment [pos.., b), its rate and bound of u */
	double len;       /* length of the last segment made */
	int state;
} sampler;

typedef struct srm {
	int alpha, reset_all, noise;
	int ne, nk; /* exponential and kernel terms: 1, 2 (exp); 2, 1 (alpha) */
	double tau_m, inv_tau_m, R, u_rest, th, jump, t_ref;
	double inv_tau[3]; /* exp: 1/tau_m, 1/tau_ex, 1/tau_in; alpha: 1/tau_m,
	                      1/tau_a */
	double coef[2], delta[2]; /* exp kernels: 1/(1 - tau_k/tau_m),
	                             1/tau_k - 1/tau_m */
	double ratio[2];          /* tau_m / tau_k */
	int degen[2];             /* tau_k close to tau_m: the phi form */
	kshape ks[2];
	double tau_max;
	double rho0, inv_du, du; /* rho_0 per ms, 1/delta_u, delta_u */
	double chunk;            /* thinning chunk length */
	double ahead;            /* how far bound() walks the sampler ahead */
	uint32_t owner;
	srmn *n;
	sampler *sm; /* with escape noise */
} srm;

/* Terms of u at offset s from some origin. E[j]: exponential j; K, D:
 * kernel k and its slope; X: e^{-s/tau_k} of exponential kernels. */
typedef struct traj {
	double s, E[2], X[2], K[2], D[2];
} traj;

/* u from an origin: u_b + sum_j e[j] E_j(s) + sum_k k[k] K_k(s). */
typedef struct start {
	double ts, ub, e[2], k[2];
} start;

static inline double maxd(double a, double b)
{
	return a > b ? a : b;
}

static inline double mind(double a, double b)
{
	return a < b ? a : b;
}

/* The exponential kernel from e^{-s/tau_m} and e^{-s/tau_k}. */
static inline double kernel_exp(const srm *S, int k, double s, double Em,
                                double Xk)
{
	double x, phi;

	if (!S->degen[k])
		return S->coef[k] * (Em - Xk);
	x = -s * S->delta[k];
	phi = x == 0.0 ? 1.0 : expm1(x) / x;
	return s * S->inv_tau[k + 1] * Em * phi;
}

static void eval_at(const srm *S, double s, traj *tr)
{
	tr->s = s;
	tr->E[0] = exp(-s * S->inv_tau_m);
	if (S->alpha) {
		double ia = S->inv_tau[1];
		tr->E[1] = exp(-s * ia);
		tr->K[0] = s * ia * tr->E[1];
		tr->D[0] = (1.0 - s * ia) * tr->E[1] * ia;
		return;
	}
	for (int k = 0; k < 2; k++) {
		tr->X[k] = exp(-s * S->inv_tau[k + 1]);
		tr->K[k] = kernel_exp(S, k, s, tr->E[0], tr->X[k]);
		/* tau_m eps' = -eps + (tau_m/tau_k) e^{-s/tau_k}: no
		 * cancellation of large coefficients. */
		tr->D[k] = (-tr->K[k] + S->ratio[k] * tr->X[k]) * S->inv_tau_m;
	}
}

static double u_at(const srm *S, const start *st, const traj *tr)
{
	double u = st->ub;

	for (int j = 0; j < S->ne; j++)
		u += st->e[j] * tr->E[j];
	for (int k = 0; k < S->nk; k++)
		u += st->k[k] * tr->K[k];
	return u;
}

/* 1/tau of exponential term j. */
static inline double inv_tau_e(const srm *S, int j)
{
	return j == 0 ? S->inv_tau_m : S->inv_tau[1];
}

static double slope_at(const srm *S, const start *st, const traj *tr)
{
	double d = 0.0;

	for (int j = 0; j < S->ne; j++)
		d -= st->e[j] * tr->E[j] * inv_tau_e(S, j);
	for (int k = 0; k < S->nk; k++)
		d += st->k[k] * tr->D[k];
	return d;
}

static inline int inside(double x, const traj *a, const traj *b)
{
	return x >= a->s && x <= b->s;
}

/* Upper bound of u on [a.s, b.s], exact for each term. */
static double ub_u(const srm *S, const start *st, const traj *a, const traj *b)
{
	double u = st->ub;

	for (int j = 0; j < S->ne; j++)
		u += maxd(st->e[j] * a->E[j], st->e[j] * b->E[j]);
	for (int k = 0; k < S->nk; k++) {
		double y = st->k[k];
		if (y >= 0.0)
			u += y * (inside(S->ks[k].s_p, a, b)
			              ? S->ks[k].k_p
			              : maxd(a->K[k], b->K[k]));
		else
			u += y * mind(a->K[k], b->K[k]);
	}
	return u;
}

/* Lower bound of u on [a.s, b.s], exact for each term. */
static double lb_u(const srm *S, const start *st, const traj *a, const traj *b)
{
	double u = st->ub;

	for (int j = 0; j < S->ne; j++)
		u += mind(st->e[j] * a->E[j], st->e[j] * b->E[j]);
	for (int k = 0; k < S->nk; k++) {
		double y = st->k[k];
		if (y >= 0.0)
			u += y * mind(a->K[k], b->K[k]);
		else
			u += y * (inside(S->ks[k].s_p, a, b)
			              ? S->ks[k].k_p
			              : maxd(a->K[k], b->K[k]));
	}
	return u;
}

/* Lower bound of du/ds on [a.s, b.s]: the slope of an exponential is
 * monotone, a kernel's slope falls until s_i and rises after it. */
static double lb_slope(const srm *S, const start *st, const traj *a,
                       const traj *b)
{
	double d = 0.0;

	for (int j = 0; j < S->ne; j++) {
		double g = -st->e[j] * inv_tau_e(S, j);
		d += mind(g * a->E[j], g * b->E[j]);
	}
	for (int k = 0; k < S->nk; k++) {
		double y = st->k[k];
		if (y >= 0.0)
			d += y * (inside(S->ks[k].s_i, a, b)
			              ? S->ks[k].d_i
			              : mind(a->D[k], b->D[k]));
		else
			d += y * maxd(a->D[k], b->D[k]);
	}
	return d;
}

/* Upper bound of u on [b.s, infinity). */
static double tail_ub(const srm *S, const start *st, const traj *b)
{
	double u = st->ub;

	for (int j = 0; j < S->ne; j++)
		u += maxd(st->e[j] * b->E[j], 0.0);
	for (int k = 0; k < S->nk; k++)
		if (st->k[k] > 0.0)
			u += st->k[k] *
			     (b->s <= S->ks[k].s_p ? S->ks[k].k_p : b->K[k]);
	return u;
}

/* Largest deviation of u from u_b on [b.s, infinity). */
static double tail_spread(const srm *S, const start *st, const traj *b)
{
	double m = 0.0;

	for (int j = 0; j < S->ne; j++)
		m += fabs(st->e[j]) * b->E[j];
	for (int k = 0; k < S->nk; k++)
		m += fabs(st->k[k]) *
		     (b->s <= S->ks[k].s_p ? S->ks[k].k_p : b->K[k]);
	return m;
}

/*
 * First offset at which an increasing envelope of u reaches theta, from the
 * terms at offset 0 (a kernel term is then 0). An exponential term with
 * e < 0 is at most e + min(|e| s / tau, |e|) (e^{-x} >= 1 - x), one with
 * e >= 0 at most e; a kernel term with k > 0 at most
 * k min(d0 s, k_p) (the kernel is concave until s_i > s_p, its slope is
 * largest at 0), one with k < 0 at most 0. The envelope
 * u0 + sum_i min(a_i s, C_i) is concave, piecewise linear and increasing;
 * INFINITY when even its limit stays below theta.
 */
static double envelope(const srm *S, const start *st)
{
	double a[4], C[4], tot = 0.0, gap, u0 = st->ub, F = 0.0, s0 = 0.0,
	                   A = 0.0;
	int n = 0;

	for (int j = 0; j < S->ne; j++) {
		u0 += st->e[j];
		if (st->e[j] < 0.0) {
			C[n] = -st->e[j];
			a[n] = C[n] * inv_tau_e(S, j);
			n++;
		}
	}
	for (int k = 0; k < S->nk; k++) {
		if (st->k[k] > 0.0) {
			C[n] = st->k[k] * S->ks[k].k_p;
			a[n] = st->k[k] * S->ks[k].d0;
			n++;
		}
	}
	gap = S->th - u0;
	if (gap <= 0.0)
		return 0.0;
	for (int i = 0; i < n; i++) {
		tot += C[i];
		A += a[i];
	}
	if (tot < gap)
		return INFINITY;
	/* Walk the breakpoints C_i / a_i in increasing order. */
	for (;;) {
		int m = -1;
		double bm = INFINITY, Fb;
		for (int i = 0; i < n; i++)
			if (a[i] > 0.0 && C[i] / a[i] < bm) {
				bm = C[i] / a[i];
				m = i;
			}
		if (m < 0)
			return s0 * (1.0 - 1e-12);
		Fb = F + A * (bm - s0);
		if (Fb >= gap)
			/* Shrunk a little so that rounding never puts
			 * the bound past the true crossing. */
			return (s0 + (gap - F) / A) * (1.0 - 1e-12);
		F = Fb;
		s0 = bm;
		A -= a[m];
		a[m] = 0.0;
	}
}

/* The unit's state moved to t >= t0 (terms only; t0 not changed). */
static void state_at(const srm *S, const srmn *n, double t, start *st)
{
	traj tr;
	double s = t - n->t0;

	st->ts = t;
	st->ub = n->ub;
	if (s <= 0.0) {
		st->e[0] = n->h + n->v;
		if (S->alpha) {
			st->e[1] = n->c[0];
			st->k[0] = n->c[1];
		} else {
			st->k[0] = n->c[0];
			st->k[1] = n->c[1];
		}
		return;
	}
	eval_at(S, s, &tr);
	if (S->alpha) {
		st->e[0] = (n->h + n->v) * tr.E[0];
		st->e[1] = n->c[0] * tr.E[1] + n->c[1] * tr.K[0];
		st->k[0] = n->c[1] * tr.E[1];
		return;
	}
	st->e[0] =
	    (n->h + n->v) * tr.E[0] + n->c[0] * tr.K[0] + n->c[1] * tr.K[1];
	st->k[0] = n->c[0] * tr.X[0];
	st->k[1] = n->c[1] * tr.X[1];
}

/* Start of free evolution: the later of t0 and the end of the refractory
 * period. */
static void free_start(const srm *S, const srmn *n, start *st)
{
	state_at(S, n, maxd(n->t0, n->tref_end), st);
}

/* Move the stored state to t >= t0. */
static void advance(const srm *S, srmn *n, double t)
{
	traj tr;
	double s = t - n->t0;

	if (s <= 0.0)
		return;
	eval_at(S, s, &tr);
	n->h *= tr.E[0];
	if (S->alpha) {
		n->v *= tr.E[0];
		n->c[0] = n->c[0] * tr.E[1] + n->c[1] * tr.K[0];
		n->c[1] *= tr.E[1];
	} else {
		n->v = n->v * tr.E[0] + n->c[0] * tr.K[0] + n->c[1] * tr.K[1];
		n->c[0] *= tr.X[0];
		n->c[1] *= tr.X[1];
	}
	n->t0 = t;
}

/* ------------------------------------------------------------------------ */
/* Deterministic threshold                                                  */

/* u - theta increases through zero in (a, b]: Newton steps kept inside the
 * bracket; the offset where u first reaches theta, to a few ulps. */
static double refine(const srm *S, const start *st, double a, double b)
{
	traj tr;
	double x = b;

	for (int it = 0; it < 100; it++) {
		double f, step, nx;
		eval_at(S, x, &tr);
		f = u_at(S, st, &tr) - S->th;
		if (f >= 0.0)
			b = x;
		else
			a = x;
		if (f == 0.0)
			return x;
		step = f / slope_at(S, st, &tr);
		if (fabs(step) <= 4e-16 * fabs(x))
			return f >= 0.0 ? x : mind(b, maxd(x, x - step));
		nx = x - step;
		if (!(nx > a && nx < b))
			nx = 0.5 * (a + b);
		if (nx <= a || nx >= b)
			break;
		x = nx;
	}
	return b;
}

/* Leftmost crossing in (a.s, b.s], or INFINITY; u(a) < theta. Intervals
 * whose bound stays below theta are dropped; one where u is provably
 * increasing and ends at or above theta holds exactly one crossing. */
static double dfs(const srm *S, const start *st, const traj *a, const traj *b,
                  int depth)
{
	double fb = u_at(S, st, b) - S->th;
	traj m;
	double r;

	if (ub_u(S, st, a, b) < S->th)
		return INFINITY;
	if (fb >= 0.0 && lb_slope(S, st, a, b) > 0.0)
		return refine(S, st, a->s, b->s);
	if (depth > 90 || b->s - a->s <= 1e-13 * maxd(1.0, b->s))
		return fb >= 0.0 ? b->s : INFINITY;
	eval_at(S, 0.5 * (a->s + b->s), &m);
	r = dfs(S, st, a, &m, depth + 1);
	if (r < INFINITY)
		return r;
	return dfs(S, st, &m, b, depth + 1);
}

/* Offset of the first time u >= theta from a free start, or INFINITY. */
static double first_crossing(const srm *S, const start *st)
{
	traj a, b;
	double lo, span, ua, slope;

	lo = envelope(S, st);
	if (!(lo < INFINITY))
		return INFINITY;
	eval_at(S, lo, &a);
	ua = u_at(S, st, &a);
	if (ua >= S->th)
		return lo;
	/* Usually u still rises here: twice the Newton step brackets the
	 * crossing closely enough to certify it at once. */
	slope = slope_at(S, st, &a);
	if (slope > 0.0) {
		eval_at(S, lo + 2.0 * (S->th - ua) / slope, &b);
		if (u_at(S, st, &b) >= S->th)
			return dfs(S, st, &a, &b, 0);
	}
	span = S->tau_max;
	for (;;) {
		double r;
		eval_at(S, lo + span, &b);
		r = dfs(S, st, &a, &b, 0);
		if (r < INFINITY)
			return r;
		/* Beyond 1e9 ms only an asymptotic approach to theta could
		 * remain; that is not a crossing. */
		if (tail_ub(S, st, &b) < S->th || span > 1e9)
			return INFINITY;
		a = b;
		span *= 4.0;
	}
}

/* No crossing in [ts, ts + s]? Certified from the bounds on the whole. */
static int clear_until(const srm *S, const start *st, double s)
{
	traj z, e;

	eval_at(S, 0.0, &z);
	eval_at(S, s, &e);
	return u_at(S, st, &e) < S->th && ub_u(S, st, &z, &e) < S->th;
}

/* ------------------------------------------------------------------------ */
/* Escape noise                                                             */

static inline double hazard_exponent(const srm *S, double u)
{
	/* Above theta + 600 delta_u the intensity saturates (e^600 rho_0,
	 * an immediate spike at any realistic scale), never overflows. */
	return mind((u - S->th) * S->inv_du, 600.0);
}

/* Dominating rate on an interval where u <= U. */
static inline double rate_bound(const srm *S, double U)
{
	return S->rho0 * exp(hazard_exponent(S, U));
}

/* Rounding slack added to upper bounds of u. */
static double slack(const srm *S, const start *st)
{
	double m = fabs(st->ub);

	for (int j = 0; j < S->ne; j++)
		m += fabs(st->e[j]);
	for (int k = 0; k < S->nk; k++)
		m += fabs(st->k[k]) * S->ks[k].k_p;
	return 1e-12 * m;
}

/*
 * The segment starting at pos: from a chunk start where every term's size
 * is below delta_u (or after 10^6 chunks) the rest of time, with the bound
 * of u there; else up to the chunk's end (or twice the last segment's
 * length, if shorter), halved (up to 60 times) while the dominating process
 * expects more than one candidate, or some candidates with an acceptance
 * below e^-1. All of it is a function of the state and the walk so far.
 */
static void new_segment(const srm *S, const start *st, sampler *sm)
{
	double L = S->chunk, eps = slack(S, st), pos = sm->pos;
	traj ta, tb;

	eval_at(S, pos, &ta);
	if (pos == sm->k * L &&
	    (tail_spread(S, st, &ta) <= S->du || sm->k >= 1e6)) {
		sm->U = tail_ub(S, st, &ta) + eps;
		sm->lam = rate_bound(S, sm->U);
		sm->b = INFINITY;
		sm->state = SM_SEG;
		return;
	}
	/* After halvings, grow back by doubling rather than starting from
	 * the chunk's end each time. */
	sm->b = (sm->k + 1.0) * L;
	if (sm->len > 0.0 && pos + 2.0 * sm->len < sm->b)
		sm->b = pos + 2.0 * sm->len;
	for (;;) {
		double lo, len, half;
		eval_at(S, sm->b, &tb);
		sm->U = ub_u(S, st, &ta, &tb) + eps;
		lo = lb_u(S, st, &ta, &tb);
		sm->lam = rate_bound(S, sm->U);
		len = sm->b - pos;
		half = pos + 0.5 * len;
		if (len <= L * 0x1p-60 || !(half > pos) ||
		    !(sm->lam * len > 1.0 ||
		      (sm->lam * len > 1e-3 && sm->U - lo > S->du)))
			break;
		sm->b = half;
	}
	sm->len = sm->b - pos;
	sm->state = SM_SEG;
}

/*
 * Walk the sampler of unit n (free start st) until it accepts a candidate
 * or its next step lies at or after the absolute time lim. Returns the
 * spike time (*found = 1; INFINITY if the rate is 0 for ever), or the
 * time of the next step, before which the unit certainly does not fire.
 */
static double walk(const srm *S, const srmn *n, sampler *sm, const start *st,
                   uint32_t unit, uint64_t seed, double lim, int *found)
{
	*found = 0;
	if (sm->state == SM_STALE) {
		ms__rng_init(&sm->r, seed, MS__RNG_NOISE, S->owner, unit);
		ms__rng_seek(&sm->r, n->ev << 20);
		sm->E = ms__rng_exp(&sm->r);
		sm->pos = 0.0;
		sm->k = 0.0;
		sm->len = 0.0;
		sm->state = SM_EDGE;
	}
	for (;;) {
		double c;
		traj tc;
		if (sm->state == SM_EDGE)
			new_segment(S, st, sm);
		c = sm->lam > 0.0 ? sm->pos + sm->E / sm->lam : INFINITY;
		if (c < sm->b) {
			if (!(c < INFINITY)) {
				*found = 1;
				return INFINITY;
			}
			if (st->ts + c >= lim)
				return st->ts + c;
			eval_at(S, c, &tc);
			if (ms__rng_uniform(&sm->r) <
			    exp(hazard_exponent(S, u_at(S, st, &tc)) -
			        hazard_exponent(S, sm->U))) {
				*found = 1;
				return st->ts + c;
			}
			sm->pos = c;
			sm->E = ms__rng_exp(&sm->r);
			continue;
		}
		if (!(sm->b < INFINITY)) {
			*found = 1;
			return INFINITY;
		}
		if (st->ts + sm->b >= lim)
			return st->ts + sm->b;
		/* Never below 0: the next candidate must not fall before b,
		 * which a pause may have reported as spike-free. */
		sm->E = maxd(sm->E - sm->lam * (sm->b - sm->pos), 0.0);
		sm->pos = sm->b;
		if (sm->pos >= (sm->k + 1.0) * S->chunk)
			sm->k += 1.0;
		sm->state = SM_EDGE;
	}
}

/* ------------------------------------------------------------------------ */
/* Model interface                                                          */

/*
 * A time before which unit i does not fire, at least lim unless it is the
 * unit's next spike, which is then stored in tn until the state changes.
 * With a hard threshold the crossing is searched in full; with escape
 * noise the sampler walks up to lim.
 */
static double next_spike(ms__pop *p, srm *S, uint32_t i, double lim)
{
	srmn *n = &S->n[i];
	start st;
	double r;
	int found;

	if (!isnan(n->tn))
		return n->tn;
	free_start(S, n, &st);
	if (!S->noise) {
		n->tn = st.ts + first_crossing(S, &st);
		return n->tn;
	}
	r = walk(S, n, &S->sm[i], &st, i, p->net->seed, lim, &found);
	if (found)
		n->tn = r;
	return r;
}

/* The state changed: forget the next spike and restart the sampler. */
static void changed(srm *S, uint32_t i)
{
	S->n[i].tn = NAN;
	S->n[i].ev++;
	if (S->sm)
		S->sm[i].state = SM_STALE;
}

static void fire(ms__pop *p, srm *S, uint32_t i, double tf)
{
	srmn *n = &S->n[i];

	advance(S, n, tf);
	n->h = S->reset_all ? n->h - S->jump : -S->jump;
	n->tref_end = tf + S->t_ref;
	changed(S, i);
	ms__emit_spike(p, i, tf);
}

/* Emit every spike before t; if commit, move the state to t. */
static void run_to(ms__pop *p, uint32_t i, double t, int commit)
{
	srm *S = p->state;
	srmn *n = &S->n[i];

	for (;;) {
		start st;
		if (!isnan(n->tn) && n->tn < t) {
			fire(p, S, i, n->tn);
			continue;
		}
		if (t <= maxd(n->t0, n->tref_end) || !isnan(n->tn))
			break;
		if (!S->noise) {
			free_start(S, n, &st);
			if (clear_until(S, &st, t - st.ts))
				break;
		}
		if (next_spike(p, S, i, t) >= t)
			break;
	}
	if (commit)
		advance(S, n, t);
}

static void srm_settle(ms__pop *p, uint32_t i, double t)
{
	run_to(p, i, t, 0);
}

/* A finite lower bound at most 1e9 ms ahead: a far one (a sampled spike
 * in 1e60 ms, say) is checked again then, instead of handing the
 * scheduler a time its window index cannot hold. */
static inline double near(double x, double t)
{
	return x < INFINITY && x > t + 1e9 ? t + 1e9 : x;
}

/* A time >= t before which unit i does not fire: its next spike when
 * known (always with noise), else the envelope from its state at t. */
static double srm_bound(ms__pop *p, uint32_t i, double t)
{
	srm *S = p->state;
	srmn *n = &S->n[i];
	start st;

	if (S->noise || !isnan(n->tn))
		return near(maxd(next_spike(p, S, i, t + S->ahead), t), t);
	state_at(S, n, maxd(t, n->t0), &st);
	return near(maxd(st.ts + envelope(S, &st), n->tref_end), t);
}

static void srm_deliver(ms__pop *p, double t, const ms__proj *j, uint64_t s0,
                        uint32_t count)
{
	srm *S = p->state;

	for (uint64_t s = s0; s < s0 + count; s++) {
		uint32_t i = j->target[s];
		srmn *n = &S->n[i];
		double w = j->weight[s];
		start st;

		run_to(p, i, t, 1);
		if (S->alpha) {
			n->c[1] += EULER_E * w;
		} else {
			int r = j->rec_all >= 0 ? j->rec_all : j->receptor[s];
			n->c[r == MS_RECEPTOR_INH] += w;
		}
		changed(S, i);
		/* With noise the next spike is drawn afresh, and may come
		 * sooner: have the unit checked in this window. */
		if (S->noise) {
			ms__register_check(p, i, t);
			continue;
		}
		/* Every kernel is non-negative: a negative input only lowers
		 * u at all later times, so the registered check stays valid.
		 */
		if (w <= 0.0 || p->chk_win[i] <= p->net->win)
			continue;
		state_at(S, n, t, &st);
		ms__register_check(
		    p, i, near(maxd(t + envelope(S, &st), n->tref_end), t));
	}
}

static void srm_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	srm *S = p->state;
	srmn *n = &S->n[i];

	run_to(p, i, t, 1);
	/* u is continuous: the bias steps, the membrane term compensates. */
	n->ub += S->R * dI;
	n->v -= S->R * dI;
	changed(S, i);
}

static double srm_peek(ms__pop *p, uint32_t i, double t, int var)
{
	srm *S = p->state;
	const srmn *n = &S->n[i];
	start st;
	traj z;

	if (var == V_ETA)
		return n->h * exp(-maxd(t - n->t0, 0.0) * S->inv_tau_m);
	state_at(S, n, maxd(t, n->t0), &st);
	eval_at(S, 0.0, &z);
	return u_at(S, &st, &z);
}

static void srm_set_var(ms__pop *p, uint32_t i, int var, double value)
{
	srm *S = p->state;
	srmn *n = &S->n[i];
	double u = srm_peek(p, i, n->t0, V_U);

	if (var == V_ETA) {
		n->v += n->h - value;
		n->h = value;
	} else {
		n->v += value - u;
	}
	n->tn = NAN;
	if (S->sm)
		S->sm[i].state = SM_STALE;
}

static void srm_destroy(ms__pop *p)
{
	srm *S = p->state;

	if (!S)
		return;
	free(S->n);
	free(S->sm);
	free(S);
	p->state = NULL;
}

/* Peak, inflection and slopes of exponential kernel k. */
static void exp_shape(srm *S, int k, double tau_k)
{
	kshape *ks = &S->ks[k];
	double d = S->tau_m - tau_k, x = d / tau_k;
	traj tr;

	S->inv_tau[k + 1] = 1.0 / tau_k;
	S->ratio[k] = S->tau_m / tau_k;
	S->delta[k] = 1.0 / tau_k - S->inv_tau_m;
	/* Within 1% the difference of exponentials loses too many digits to
	 * cancellation; the phi form is exact there. */
	S->degen[k] = fabs(1.0 - S->tau_m / tau_k) < 0.01;
	S->coef[k] = S->degen[k] ? 0.0 : S->tau_m / d;
	/* eps' = 0 where e^{s (1/tau_k - 1/tau_m)} = tau_m / tau_k. */
	ks->s_p = x == 0.0 ? S->tau_m : S->tau_m * log1p(x) / x;
	ks->s_i = 2.0 * ks->s_p;
	ks->d0 = 1.0 / tau_k;
	eval_at(S, ks->s_p, &tr);
	ks->k_p = tr.K[k] * (1.0 + 1e-15);
	eval_at(S, ks->s_i, &tr);
	ks->d_i = tr.D[k] * (1.0 + 1e-15);
}

static int flag(const double *q, int idx, const char *name, const char *what,
                char *err, size_t errlen)
{
	if (q[idx] != 0.0 && q[idx] != 1.0) {
		snprintf(err, errlen, "%s (%g) must be 0 or 1 (%s)", name,
		         q[idx], what);
		return -1;
	}
	return (int)q[idx];
}

static int srm_build(ms__pop *p, char *err, size_t errlen)
{
	const double *q = p->param;
	int alpha, reset_all;
	srm *S;

	if (q[P_U_R] >= q[P_THETA]) {
		snprintf(err, errlen, "u_r (%g mV) must be below theta (%g mV)",
		         q[P_U_R], q[P_THETA]);
		return MS_EINVAL;
	}
	alpha = flag(q, P_ALPHA, "alpha_kernel",
	             "0: exponential-current kernels, 1: alpha kernel", err,
	             errlen);
	if (alpha < 0)
		return MS_EINVAL;
	reset_all =
	    flag(q, P_RESET_ALL, "reset_all",
	         "0: the last spike's eta, 1: every spike's eta", err, errlen);
	if (reset_all < 0)
		return MS_EINVAL;
	/* With only the last eta, a drive above theta + (theta - u_r) fires
	 * ever faster: with a hard threshold the intervals shrink
	 * geometrically and infinitely many spikes fall before a finite time;
	 * with escape noise the intensity after a spike grows without bound.
	 * The refractory period rules both out. */
	if (!reset_all && q[P_T_REF] <= 0.0) {
		snprintf(err, errlen,
		         "t_ref (%g ms) must be > 0 with reset_all = 0: with "
		         "only the last spike's eta a strong drive can fire "
		         "infinitely often in finite time",
		         q[P_T_REF]);
		return MS_EINVAL;
	}
	S = calloc(1, sizeof(*S));
	if (!S)
		return MS_ENOMEM;
	p->state = S;
	S->alpha = alpha;
	S->reset_all = reset_all;
	S->noise = q[P_RHO_0] > 0.0;
	S->tau_m = q[P_TAU_M];
	S->inv_tau_m = 1.0 / S->tau_m;
	S->inv_tau[0] = S->inv_tau_m;
	S->R = q[P_TAU_M] / q[P_C_M];
	S->u_rest = q[P_U_REST];
	S->th = q[P_THETA];
	S->jump = q[P_THETA] - q[P_U_R];
	S->t_ref = q[P_T_REF];
	S->tau_max = S->tau_m;
	if (alpha) {
		double ta = q[P_TAU_A];
		S->ne = 2;
		S->nk = 1;
		S->inv_tau[1] = 1.0 / ta;
		S->ks[0] = (kshape){.s_p = ta,
		                    .k_p = exp(-1.0) * (1.0 + 1e-15),
		                    .s_i = 2.0 * ta,
		                    .d_i = -exp(-2.0) / ta * (1.0 + 1e-15),
		                    .d0 = 1.0 / ta};
		S->tau_max = maxd(S->tau_max, ta);
		S->chunk = 0.5 * mind(S->tau_m, ta);
	} else {
		S->ne = 1;
		S->nk = 2;
		exp_shape(S, 0, q[P_TAU_EX]);
		exp_shape(S, 1, q[P_TAU_IN]);
		S->tau_max = maxd(S->tau_max, maxd(q[P_TAU_EX], q[P_TAU_IN]));
		S->chunk = 0.5 * mind(S->tau_m, mind(q[P_TAU_EX], q[P_TAU_IN]));
	}
	S->rho0 = q[P_RHO_0] * 1e-3; /* Hz -> per ms */
	S->du = q[P_DELTA_U];
	S->inv_du = 1.0 / S->du;
	S->owner = ms__rng_owner(p->name);
	S->ahead = S->chunk;
	S->n = calloc(p->n, sizeof(srmn));
	if (S->noise)
		S->sm = calloc(p->n, sizeof(sampler)); /* all SM_STALE */
	if (!S->n || (S->noise && !S->sm)) {
		srm_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		srmn *n = &S->n[i];
		n->t0 = p->net->t_now;
		n->ub = S->u_rest + S->R * q[P_I_E];
		n->v = S->u_rest - n->ub;
		n->tref_end = -INFINITY;
		n->tn = NAN;
	}
	return MS_OK;
}

const ms__model ms__srm_model = {
    .name = "srm",
    .params = srm_params,
    .n_params = N_PARAMS,
    .vars = srm_vars,
    .n_vars = 2,
    .weight_dim = MS_DIM_VOLTAGE,
    .build = srm_build,
    .destroy = srm_destroy,
    .settle = srm_settle,
    .deliver = srm_deliver,
    .add_current = srm_add_current,
    .bound = srm_bound,
    .peek = srm_peek,
    .set_var = srm_set_var,
};

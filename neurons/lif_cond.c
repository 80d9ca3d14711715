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
 * Integration. Between events g_e, g_i and theta are exponentials in
 * closed form, and the equation of V is linear, C V' = a(s) - b(s) V, with
 * a and b sums of those exponentials. Their Taylor coefficients are known
 * (g_e (-1/tau_e)^n / n!), so those of V follow from the recurrence
 *
 *     C (k + 1) p_{k+1} = a_k - sum_{j <= k} b_j p_{k-j}
 *
 * with no exponential per term (a Taylor-series method; e.g. Jorba A.,
 * Zou M. (2005), Exp Math 14:99–117). The remainder of the degree-K
 * polynomial p is bounded rigorously: p leaves a defect d = p' - (a - b p)
 * / C of order K, bounded on s >= 0 with the Lagrange remainder of each
 * exponential, |T_n[e^{-s/tau}]| <= (s/tau)^n / n!, which gives
 * C |d(s)| <= s^K Q_K with Q_K an absolute-value version of the
 * recurrence's next term; the error e = V - p obeys e' = -(b/C) e - d with
 * b >= 0 (the total conductance), so |e(s)| <= s^{K+1} Q_K / ((K+1) C)
 * (times e^{beta^- s} if a negative initial conductance makes b < 0).
 * A polynomial is used only where that bound is within atol + rtol |V|,
 * at its far end and so everywhere before it.
 *
 * Steps. From the start of free evolution (the committed time, or the end
 * of the refractory period) the canonical steps have length
 * min(10 ms, 2 / rho), rho the sum of the rates (total conductance / C_m
 * and 1/tau of the nonzero conductances), halved while no degree below 40
 * meets the tolerance; each takes a degree that meets it at the step's
 * end. The spike search walks these steps. V at a time t (an input, a
 * read) is the series from the last canonical point that is at most two
 * first-try lengths before t, at a degree that meets the tolerance at t:
 * moving the state to an input costs one series, a short one when inputs
 * are close. The degree is a guess from the size of the first terms and
 * rho s, raised until the bound holds (so sometimes one more than the
 * lowest that would do). Because b >= 0 the equation contracts:
 * errors of earlier steps do not grow, and the error of V is at most the
 * sum of the local bounds since the last spike.
 *
 * Spikes. From a point a where V(a) < theta(a) a certified lower bound of
 * the time to the next crossing follows from the equation alone: with
 * F(v) = sup over s >= a of C dV/dt at V = v (g_e, g_i decaying; the
 * supremum of c0 + c_e e^{-s/tau_e} + c_i e^{-s/tau_i} is at s = a, at
 * infinity, or at the one stationary point when the faster term is
 * negative), V cannot pass a level L while F(L) <= 0 (a barrier: no
 * crossing until the next event if L is the lowest future threshold), and
 * otherwise needs at least (theta(a) - V(a)) / (F(V(a)) / C + theta
 * decay rate) to reach the threshold. The spike search iterates these
 * certified steps along the canonical steps (never past a step's end)
 * and evaluates V at each point; most inputs end with a barrier or a step
 * beyond the next window and no polynomial at all. The first point at or
 * above threshold brackets the crossing with the one before, located on
 * the step's polynomial by safeguarded Newton iteration to adjacent
 * doubles. A crossing that exceeds the threshold by less than the
 * tolerance may be missed (V itself is only known that well).
 *
 * Determinism: the committed state (t0, V, g_e, g_i, theta, I) changes
 * only at inputs, current steps and spikes; the canonical steps, the
 * search points and the values of V are functions of it (and of t for
 * reads), never of when or how often the engine asks; predictions and
 * state reads change nothing (the population's polynomial cache is keyed
 * by the unit's commit count and step, so it is only a cache).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

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
     "relative tolerance of V (bound per step: atol + rtol |V|)"},
    {"atol", MS_DIM_VOLTAGE, 1e-6, 1e-13, 1.0, 0,
     "absolute tolerance of V (bound per step: atol + rtol |V|)"},
};

static const ms_var_info lc_vars[] = {
    {"V_m", MS_DIM_VOLTAGE, "membrane potential"},
    {"g_e", MS_DIM_CONDUCTANCE, "excitatory conductance"},
    {"g_i", MS_DIM_CONDUCTANCE, "inhibitory conductance"},
    {"theta", MS_DIM_VOLTAGE, "adaptive threshold (added to V_th)"},
};

#define K_MIN    2    /* lowest degree of a Taylor polynomial */
#define K_MAX    40   /* highest; a step is halved beyond it */
#define H_MAX    10.0 /* longest canonical step, ms */
#define H_TINY   1e-9 /* no halving below this step (relative to t, ms) */
#define H_GAMMA  2.0  /* canonical step: rho h <= H_GAMMA */
#define H_DIRECT 2.0  /* V read directly up to this many steps ahead */
#define KT_RATIO 96   /* guess_degree(): half octaves of est / tol, */
#define KT_PER_U 8    /* buckets of u per unit, */
#define KT_U     64   /* buckets of u (u < KT_U / KT_PER_U) */

typedef struct lcn {
	double t0, V0, ge0, gi0, th0; /* committed state */
	double tref_end;              /* V held at V_reset before this */
	double I;                     /* I_e + injected current, pA */
	double tc;                    /* next spike; NaN: not found yet */
	double t_clear;               /* no spike in [start, t_clear) */
	double t_low;                 /* last search point, below threshold */
	double wa, wV, wh; /* search's canonical step: start, V there, length
	                      (0: not expanded yet) */
	uint64_t ver;      /* commits so far: the polynomial cache's key */
	double F[2];       /* e^{(t0 - T) r} for g_e, g_i: T = ep epoch_ms */
	int64_t ep;        /* epoch of t0 */
} lcn;

/* The polynomial of one canonical step of one unit. */
typedef struct lcpoly {
	uint32_t i;
	uint64_t ver;
	double a, h, vend; /* step [a, a + h], V at its end */
	int K;
	double p[K_MAX + 1];
} lcpoly;

/*
 * Decay factors shared by every unit an input reaches at the same time t:
 * with G = e^{-(t - T) r} and a unit's F = e^{(t0 - T) r} (same epoch T),
 * e^{-(t - t0) r} = G F costs a multiplication instead of an exponential
 * (as in neurons/lif.c). Epochs keep both factors far from overflow; a
 * unit last committed in another epoch takes the exponential, and so do
 * spikes and current steps. Which form is used depends only on t0, t and
 * the kind of event, never on the order of processing.
 */
typedef struct lcfac {
	double t;
	int64_t ep;
	double G[2], F[2];
} lcfac;

typedef struct lc {
	double inv_C, g_L, E_L, V_th, V_reset, t_ref, E_e, E_i;
	double r_e, r_i, theta_plus, r_th;
	double rtol, atol;
	double ce[K_MAX + 1], ci[K_MAX + 1];       /* (-r)^n / n! */
	double ace_r[K_MAX + 1], aci_r[K_MAX + 1]; /* |ce_{K_MAX-j}| */
	double inv_Cn[K_MAX + 2];                  /* 1 / (C n) */
	uint8_t ktab[KT_RATIO][KT_U];              /* guess_degree() */
	int fast_e;                                /* tau_syn_e < tau_syn_i */
	double ratio, expo; /* fast rate / slow rate, 1 / (ratio - 1) */
	double epoch_ms, inv_epoch;
	lcfac fac;
	lcpoly cache;
	lcn *n;
} lc;

static inline double mind(double a, double b)
{
	return a < b ? a : b;
}

static inline double maxd(double a, double b)
{
	return a > b ? a : b;
}

/* Start of free evolution from the committed state. */
static double start_of(const lcn *n)
{
	return maxd(n->t0, n->tref_end);
}

static inline double decay(double g0, double s, double r)
{
	return g0 != 0.0 && s != 0.0 ? g0 * exp(-s * r) : g0;
}

/* theta at t (its part above V_th). */
static inline double theta_at(const lc *L, const lcn *n, double t)
{
	return decay(n->th0, t - n->t0, L->r_th);
}

static inline double horner(const double *p, int K, double x)
{
	double v = p[K];

	for (int k = K - 1; k >= 0; k--)
		v = v * x + p[k];
	return v;
}

/* Two doubles at once (SSE2 on x86-64): the sum below. */
typedef double v2d __attribute__((vector_size(16)));

static inline v2d load2(const double *x)
{
	v2d a;

	memcpy(&a, x, sizeof(a));
	return a;
}

/*
 * Q_k of the remainder bound (file header): G |p_k| + |g_e ce_k (E_e - V)|
 * + |g_i ci_k (E_i - V)| + sum over m = 1 .. k of (|g_e ce_{k-m}| +
 * |g_i ci_{k-m}|) |p_m|, the magnitudes of the tables stored backwards
 * (ar[K_MAX - j] = |ce_j|).
 */
static double remainder_q(const lc *L, const double *p, int k, double ge,
                          double gi, double ce, double ci)
{
	const double *xe = L->ace_r + K_MAX - k, *xi = L->aci_r + K_MAX - k;
	v2d acc = {0.0, 0.0};
	double q =
	    L->g_L * fabs(p[k]) + fabs(L->ce[k] * ce) + fabs(L->ci[k] * ci);
	double age = fabs(ge), agi = fabs(gi);
	v2d ve = {age, age}, vi = {agi, agi};
	int m = 1;

	for (; m + 1 <= k; m += 2) {
		v2d ap = {fabs(p[m]), fabs(p[m + 1])};
		acc += (ve * load2(xe + m) + vi * load2(xi + m)) * ap;
	}
	q += acc[0] + acc[1];
	if (m == k)
		q += (age * xe[m] + agi * xi[m]) * fabs(p[m]);
	return q;
}

/* The rate that sets the growth of the series: the total conductance
 * over C_m plus 1/tau of each nonzero conductance. */
static inline double rho_of(const lc *L, double ge, double gi)
{
	return (L->g_L + fabs(ge) + fabs(gi)) * L->inv_C +
	       (ge != 0.0 ? L->r_e : 0.0) + (gi != 0.0 ? L->r_i : 0.0);
}

/*
 * The degree a series tries first, a guess that only sets the speed (the
 * remainder bound decides): the lowest k >= K_MIN with est u^{k-1} 2 /
 * (k+1)! <= tol, where est guesses the term p_2 s^2 and u = rho s the
 * growth per degree. Read from the table ktab by half octaves of est /
 * tol (from the exponents, rounded up) and eighths of u (KT_PER_U); 0
 * outside it.
 * With the degree known early, the terms below it run without a test
 * each: a test that waits on the whole chain of coefficients and is
 * mispredicted costs more than the term or two the guess may add.
 */
static inline int guess_degree(const lc *L, double est, double tol, double u)
{
	uint64_t be, bt;
	int64_t l;

	memcpy(&be, &est, sizeof(be));
	memcpy(&bt, &tol, sizeof(bt));
	l = (int64_t)(be >> 51) - (int64_t)(bt >> 51) + 1;
	if (l < 0)
		l = 0;
	if (l >= KT_RATIO || !(u < (double)KT_U / KT_PER_U))
		return 0;
	return L->ktab[l][(int)(u * KT_PER_U)];
}

/* p_{k+1} from p_0 .. p_k (recurrence of the file header); stores b_k
 * into br. ce, ci: g_e (E_e - V), g_i (E_i - V). */
__attribute__((always_inline)) static inline double
next_coef(const lc *L, int k, double ge, double gi, double ce, double ci,
          double b0, double *br, const double *p)
{
	double acc = L->ce[k] * ce + L->ci[k] * ci; /* a_k - b_k V */

	br[K_MAX - k] = ge * L->ce[k] + gi * L->ci[k];
	if (k > 1)
		acc -= br[K_MAX - 1] * p[k - 1];
	for (int m = 1; m < k - 1; m++)
		acc -= br[K_MAX - k + m] * p[m];
	return (acc - b0 * p[k]) * L->inv_Cn[k + 1];
}

/*
 * Taylor coefficients p[0..K] of V about a point of free evolution where
 * V, g_e, g_i and the current are V, ge, gi, I (rho: rho_of(ge, gi),
 * which the caller has at hand). K is the guessed degree
 * (at least K_MIN), raised until the remainder bound (file header) at
 * s >= 0 is within atol + rtol |V|: s^{K+1} Q_K / ((K+1) C), times
 * e^{beta^- s} when a negative conductance can make the total
 * conductance negative. The polynomial's value at s goes into *vs
 * (summed term by term as the coefficients come). Returns K, or -1 when
 * no degree below K_MAX is enough (p then holds K_MAX + 1 coefficients,
 * *vs their sum at s).
 */
static int expand(const lc *L, double V, double ge, double gi, double I,
                  double rho, double s, double *p, double *vs)
{
	/* b_j stored backwards from the end, so that the sums over b_{k-m}
	 * p_m run forwards in m. */
	double br[K_MAX + 1];
	double tol = L->atol + L->rtol * fabs(V);
	double ce = ge * (L->E_e - V), ci = gi * (L->E_i - V);
	double b0 = L->g_L + ge + gi;
	double u = rho * s;
	double sk = s * s; /* s^{k+1} */
	double sum;        /* the polynomial at s up to degree k */
	int k = 1, kg;

	p[0] = V;
	p[1] = (L->g_L * (L->E_L - V) + I + ce + ci) * L->inv_C;
	/* |p_2| s^2 <= (|a_1 - b_1 V| + b0 |p_1|) s^2 / (2 C); the first
	 * part, the conductances' decay, also feeds the later degrees, so
	 * it is weighted by 1 + u (a guess, fitted on COBA's series). */
	kg = guess_degree(
	    L,
	    0.5 * s *
	        (fabs(p[1]) * u + fabs(L->ce[1] * ce + L->ci[1] * ci) * s *
	                              (1.0 + u) * L->inv_C),
	    tol, u);
	if (kg < K_MIN)
		kg = K_MIN;
	sum = V + p[1] * s;
	p[2] = next_coef(L, 1, ge, gi, ce, ci, b0, br, p);
	/* Up to the guess (or degree 15), no tests; these degrees unroll,
	 * each with a sum of fixed length. */
#pragma GCC unroll 16
	for (int j = 2; j < 16; j++) {
		if (j > kg)
			break;
		sum += p[j] * sk;
		sk *= s;
		p[j + 1] = next_coef(L, j, ge, gi, ce, ci, b0, br, p);
		k = j;
	}
	/* Degree k from the guess on: the bound is at least the next term
	 * |p_{k+1}| s^{k+1}, so only when that is small can k do. */
	for (;;) {
		if (k >= kg && fabs(p[k + 1]) * sk <= tol) {
			double q = remainder_q(L, p, k, ge, gi, ce, ci);
			double neg = -(L->g_L + mind(ge, 0.0) + mind(gi, 0.0)) *
			             L->inv_C;
			if (neg > 0.0)
				q *= exp(neg * s);
			if (sk * q * L->inv_Cn[k + 1] <= tol) {
				*vs = sum;
				return k;
			}
		}
		sum += p[k + 1] * sk;
		sk *= s;
		if (++k >= K_MAX) {
			*vs = sum;
			return -1;
		}
		p[k + 1] = next_coef(L, k, ge, gi, ce, ci, b0, br, p);
	}
}

/* First try of a canonical step: rho h = H_GAMMA (rho: rho_of). */
static double h_first(double rho)
{
	return rho > 0.0 ? mind(H_MAX, H_GAMMA / rho) : H_MAX;
}

/* d <= H_DIRECT h_first(rho), without the division. */
static inline int direct_reach(double rho, double d)
{
	return d <= H_DIRECT * H_MAX && d * rho <= H_DIRECT * H_GAMMA;
}

/* The canonical step from a point a of free evolution: its length into
 * *h, its polynomial into p and V at its end into *vend; returns the
 * degree. Halving stops where the step would hardly move time (then
 * degree K_MAX is taken as is). */
static int canonical(const lc *L, double a, double V, double ge, double gi,
                     double I, double *h, double *p, double *vend)
{
	double rho = rho_of(L, ge, gi);
	int K;

	*h = h_first(rho);
	while ((K = expand(L, V, ge, gi, I, rho, *h, p, vend)) < 0) {
		if (*h < H_TINY * maxd(1.0, fabs(a)))
			return K_MAX;
		*h *= 0.5;
	}
	return K;
}

/*
 * V at t > start of free evolution, from the committed state: canonical
 * steps while t is more than H_DIRECT first tries ahead, then the series
 * from there at the degree the tolerance needs at t.
 */
static double advance(const lc *L, const lcn *n, double t)
{
	double a = start_of(n), V = n->V0, p[K_MAX + 1];

	for (;;) {
		double ge = decay(n->ge0, a - n->t0, L->r_e);
		double gi = decay(n->gi0, a - n->t0, L->r_i), h, v;
		double rho = rho_of(L, ge, gi);
		int K;

		if (direct_reach(rho, t - a) &&
		    expand(L, V, ge, gi, n->I, rho, t - a, p, &v) >= 0)
			return v;
		K = canonical(L, a, V, ge, gi, n->I, &h, p, &v);
		if (a + h >= t)
			return horner(p, K, t - a);
		V = v;
		a += h;
	}
}

/* The polynomial of the search's current canonical step (sets wh). */
static const lcpoly *step_poly(lc *L, uint32_t i, lcn *n)
{
	lcpoly *c = &L->cache;

	if (c->i != i || c->ver != n->ver || c->a != n->wa) {
		double s = n->wa - n->t0;
		c->i = i;
		c->ver = n->ver;
		c->a = n->wa;
		c->K = canonical(L, n->wa, n->wV, decay(n->ge0, s, L->r_e),
		                 decay(n->gi0, s, L->r_i), n->I, &c->h, c->p,
		                 &c->vend);
	}
	n->wh = c->h;
	return c;
}

/*
 * Supremum over s >= 0 of c0 + c_e e^{-s r_e} + c_i e^{-s r_i}. In x, the
 * slower of the two decay factors, the faster one is x^r (r >= 1): convex
 * when its coefficient is positive (maximum at s = 0 or at infinity),
 * concave otherwise, with the stationary point x* = (c_slow / (r
 * |c_fast|))^{1/(r-1)}.
 */
static double sup_drive(const lc *L, double c0, double c_e, double c_i)
{
	double cf, cs, x;

	if (c_e >= 0.0 && c_i >= 0.0)
		return c0 + c_e + c_i;
	if (c_e <= 0.0 && c_i <= 0.0)
		return c0;
	cf = L->fast_e ? c_e : c_i;
	cs = L->fast_e ? c_i : c_e;
	if (cf > 0.0 || L->ratio == 1.0)
		return maxd(c0, c0 + c_e + c_i);
	x = pow(cs / (L->ratio * -cf), L->expo);
	if (x >= 1.0)
		return c0 + c_e + c_i;
	return c0 + cs * x * (1.0 - 1.0 / L->ratio);
}

/* C dV/dt at V = v, maximised over the future decay of ge and gi. */
static double sup_rate(const lc *L, double v, double ge, double gi, double I)
{
	return sup_drive(L, L->g_L * (L->E_L - v) + I, ge * (L->E_e - v),
	                 gi * (L->E_i - v));
}

/*
 * A certified lower bound of the time from a point of free evolution
 * (V < threshold V_th + thp there) to the next threshold crossing when no
 * event comes; INFINITY when there is none (file header). V' <= m while
 * V stays above its present value; theta falls at most at rate thr.
 */
static double cert_step(const lc *L, double V, double ge, double gi, double I,
                        double thp)
{
	double lev = L->r_th > 0.0 ? L->V_th + mind(0.0, thp) : L->V_th + thp;
	double neg = -(L->g_L + mind(ge, 0.0) + mind(gi, 0.0)) * L->inv_C;
	double thr = maxd(0.0, thp) * L->r_th, m;

	if (V < lev && sup_rate(L, lev, ge, gi, I) <= 0.0)
		return INFINITY;
	m = sup_rate(L, V, ge, gi, I) * L->inv_C;
	/* A negative total conductance: V' may grow as V rises, at most
	 * up to the highest threshold. */
	if (neg > 0.0)
		m += neg * (maxd(L->V_th + thp, L->V_th) - V);
	m = maxd(m, 0.0) + thr;
	return m > 0.0 ? (L->V_th + thp - V) / m : INFINITY;
}

/* V - threshold on the step's polynomial at t, and its derivative. */
static double gap_at(const lc *L, const lcn *n, const lcpoly *P, double t,
                     double *d)
{
	double x = t - P->a, v = P->p[P->K], dv = 0.0, th = theta_at(L, n, t);

	for (int k = P->K - 1; k >= 0; k--) {
		dv = dv * x + v;
		v = v * x + P->p[k];
	}
	*d = dv + th * L->r_th;
	return v - L->V_th - th;
}

/*
 * The crossing in (lo, hi] on the step's polynomial, below threshold at lo
 * and not at hi: Newton steps kept inside the bracket (bisection when they
 * leave it or every fourth time), until lo and hi are adjacent doubles.
 */
static double locate(const lc *L, const lcn *n, const lcpoly *P, double lo,
                     double hi)
{
	double x = lo + 0.5 * (hi - lo);

	for (int it = 0; it < 200; it++) {
		double d, f = gap_at(L, n, P, x, &d), nx;
		if (f >= 0.0)
			hi = x;
		else
			lo = x;
		if (nextafter(lo, hi) >= hi)
			break;
		nx = d > 0.0 ? x - f / d : NAN;
		if (!(nx > lo && nx < hi) || it % 4 == 3)
			nx = lo + 0.5 * (hi - lo);
		else if (nx == x)
			nx = nextafter(x, f >= 0.0 ? lo : hi);
		x = nx;
	}
	return hi;
}

/*
 * One point of the spike search, at t_clear: V there (canonical step ends
 * passed on the way are compared with the threshold too); at or above
 * threshold: the crossing found; else the next point, a certified step
 * ahead.
 */
static void search_step(lc *L, uint32_t i, lcn *n)
{
	double a = n->t_clear, V, thp, d, s;
	const lcpoly *P;

	if (a == n->wa) {
		V = n->wV;
		thp = theta_at(L, n, a);
		if (V >= L->V_th + thp) {
			n->tc = a;
			return;
		}
	} else {
		for (;;) {
			double b;
			P = step_poly(L, i, n);
			b = mind(a, n->wa + n->wh);
			/* The end of a step: the value advance() takes. */
			V = b < n->wa + n->wh ? horner(P->p, P->K, b - n->wa)
			                      : P->vend;
			thp = theta_at(L, n, b);
			if (V >= L->V_th + thp) {
				n->tc = locate(L, n, P, n->t_low, b);
				return;
			}
			n->t_low = b;
			if (b < n->wa + n->wh)
				break;
			/* The step ends at or before a: on to the next. */
			n->wa = b;
			n->wV = V;
			n->wh = 0.0;
			if (b == a)
				break;
		}
	}
	n->t_low = a;
	s = a - n->t0;
	d = cert_step(L, V, decay(n->ge0, s, L->r_e), decay(n->gi0, s, L->r_i),
	              n->I, thp);
	if (!(d < INFINITY)) {
		n->t_clear = INFINITY;
		return;
	}
	n->t_clear = a + d > a ? a + d : nextafter(a, INFINITY);
}

/* The unit's epoch and factors F for its time t0. */
static void set_factors(const lc *L, lcn *n)
{
	double x;

	n->ep = (int64_t)floor(n->t0 * L->inv_epoch);
	x = n->t0 - (double)n->ep * L->epoch_ms;
	n->F[0] = exp(x * L->r_e);
	n->F[1] = exp(x * L->r_i);
}

/* The closed-form variables decayed from t0 to t, made the new reference. */
static void decay_to(const lc *L, lcn *n, double t)
{
	double s = t - n->t0;

	n->ge0 = decay(n->ge0, s, L->r_e);
	n->gi0 = decay(n->gi0, s, L->r_i);
	n->th0 = decay(n->th0, s, L->r_th);
	n->t0 = t;
	set_factors(L, n);
}

/* The shared factors of time t (cached for the last t asked). */
static const lcfac *factors(lc *L, double t)
{
	lcfac *c = &L->fac;

	if (t != c->t) {
		double x;
		c->t = t;
		c->ep = (int64_t)floor(t * L->inv_epoch);
		x = t - (double)c->ep * L->epoch_ms;
		c->G[0] = exp(-x * L->r_e);
		c->G[1] = exp(-x * L->r_i);
		c->F[0] = exp(x * L->r_e);
		c->F[1] = exp(x * L->r_i);
	}
	return c;
}

/* decay_to with the shared factors of t when the epochs match. */
static void decay_to_shared(const lc *L, lcn *n, const lcfac *g)
{
	if (n->ep != g->ep) {
		decay_to(L, n, g->t);
		return;
	}
	n->ge0 *= g->G[0] * n->F[0];
	n->gi0 *= g->G[1] * n->F[1];
	n->th0 = decay(n->th0, g->t - n->t0, L->r_th);
	n->t0 = g->t;
	n->F[0] = g->F[0];
	n->F[1] = g->F[1];
}

/* A new committed state: the spike search starts over from its start. */
static void restart(lcn *n)
{
	n->ver++;
	n->tc = NAN;
	n->t_clear = n->t_low = n->wa = start_of(n);
	n->wV = n->V0;
	n->wh = 0.0;
}

/* Move the committed state to t (no spike pending before t), decay by
 * the shared factors g when given. During the refractory period only the
 * conductances and theta move. */
static void commit_to(lc *L, lcn *n, double t, const lcfac *g)
{
	if (t <= n->t0)
		return;
	if (t > start_of(n))
		n->V0 = advance(L, n, t);
	if (g)
		decay_to_shared(L, n, g);
	else
		decay_to(L, n, t);
}

static void fire(ms__pop *p, const lc *L, lcn *n, uint32_t i)
{
	double tc = n->tc;

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
		search_step(L, i, n);
	}
}

/* The predicted spike, or the first search point after t. Called after
 * settle(t). */
static double lc_bound(ms__pop *p, uint32_t i, double t)
{
	lc *L = p->state;
	lcn *n = &L->n[i];

	while (isnan(n->tc) && n->t_clear <= t)
		search_step(L, i, n);
	return isnan(n->tc) ? n->t_clear : maxd(n->tc, t);
}

static double lc_check(ms__pop *p, uint32_t i, double t)
{
	lc_settle(p, i, t);
	return lc_bound(p, i, t);
}

/* Inputs at t: the conductance of the synapse's receptor grows by |w|,
 * and the unit is checked no later than its new bound (inhibition too
 * can bring the next spike forward, when V is below E_i). */
static void lc_deliver(ms__pop *p, double t, const ms__proj *j, uint64_t s0,
                       uint32_t count)
{
	lc *L = p->state;
	const lcfac *g = factors(L, t);

	for (uint64_t s = s0; s < s0 + count; s++) {
		uint32_t i = j->target[s];
		lcn *n = &L->n[i];
		int r = j->rec_all >= 0 ? j->rec_all : j->receptor[s];

		/* Targets are scattered: fetch a few synapses ahead (a unit
		 * spans three cache lines). */
		if (s + 4 < s0 + count) {
			const char *a = (const char *)&L->n[j->target[s + 4]];
			__builtin_prefetch(a);
			__builtin_prefetch(a + 64);
			__builtin_prefetch(a + sizeof(lcn) - 1);
		}
		lc_settle(p, i, t);
		commit_to(L, n, t, g);
		if (r == MS_RECEPTOR_INH)
			n->gi0 += fabs(j->weight[s]);
		else
			n->ge0 += fabs(j->weight[s]);
		restart(n);
		ms__register_check(p, i, lc_bound(p, i, t));
	}
}

static void lc_add_current(ms__pop *p, uint32_t i, double t, double dI)
{
	lc *L = p->state;
	lcn *n = &L->n[i];

	lc_settle(p, i, t);
	commit_to(L, n, t, NULL);
	n->I += dI;
	restart(n);
}

/* V from the committed state (V_reset while refractory); the others in
 * closed form. */
static double lc_peek(ms__pop *p, uint32_t i, double t, int var)
{
	lc *L = p->state;
	lcn *n = &L->n[i];
	double s = t - n->t0;

	switch (var) {
	case V_G_E:
		return decay(n->ge0, s, L->r_e);
	case V_G_I:
		return decay(n->gi0, s, L->r_i);
	case V_THETA:
		return decay(n->th0, s, L->r_th);
	}
	if (t <= start_of(n))
		return n->V0;
	return advance(L, n, t);
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

static void tables(lc *L)
{
	double fast = maxd(L->r_e, L->r_i), slow = mind(L->r_e, L->r_i);

	L->ce[0] = L->ci[0] = 1.0;
	for (int k = 1; k <= K_MAX; k++) {
		L->ce[k] = L->ce[k - 1] * -L->r_e / k;
		L->ci[k] = L->ci[k - 1] * -L->r_i / k;
	}
	for (int k = 0; k <= K_MAX; k++) {
		L->ace_r[K_MAX - k] = fabs(L->ce[k]);
		L->aci_r[K_MAX - k] = fabs(L->ci[k]);
	}
	for (int k = 1; k <= K_MAX + 1; k++)
		L->inv_Cn[k] = L->inv_C / k;
	for (int l = 0; l < KT_RATIO; l++)
		for (int ub = 0; ub < KT_U; ub++) {
			/* the bucket's upper edges: est / tol, u */
			double e = pow(2.0, 0.5 * (l + 1));
			double u = (double)(ub + 1) / KT_PER_U;
			int k = 1;
			while (e > 1.0 && k < K_MAX - 1) {
				k++;
				e *= u / (k + 1);
			}
			L->ktab[l][ub] = (uint8_t)(k < K_MIN ? K_MIN : k);
		}
	L->fast_e = L->r_e > L->r_i;
	L->ratio = fast / slow;
	L->expo = L->ratio > 1.0 ? 1.0 / (L->ratio - 1.0) : 0.0;
	L->cache.i = UINT32_MAX;
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
	L->r_e = 1.0 / q[P_TAU_E];
	L->r_i = 1.0 / q[P_TAU_I];
	L->theta_plus = q[P_THETA_PLUS];
	L->r_th = 1.0 / q[P_TAU_THETA];
	L->rtol = q[P_RTOL];
	L->atol = q[P_ATOL];
	tables(L);
	L->epoch_ms = 32.0 / maxd(L->r_e, L->r_i);
	L->inv_epoch = 1.0 / L->epoch_ms;
	L->fac.t = NAN;
	L->n = calloc(p->n, sizeof(lcn));
	if (!L->n) {
		lc_destroy(p);
		return MS_ENOMEM;
	}
	for (uint32_t i = 0; i < p->n; i++) {
		lcn *n = &L->n[i];
		n->t0 = p->net->t_now;
		n->V0 = L->E_L;
		n->tref_end = -INFINITY;
		n->I = q[P_I_E];
		set_factors(L, n);
		restart(n);
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

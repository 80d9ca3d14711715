/*
 * stdp_classic — spike-timing-dependent plasticity rules of the literature,
 * for comparison with waveform STDP and with other simulators. Traces are
 * exponentials evaluated in closed form at events, never stepped:
 * x(t) = x(t0) e^{-(t - t0)/tau}. w is the device state in [0, 1]; the
 * bounds, noise and levels are the device's (synapses/device.h).
 *
 * stdp_pair (Bi & Poo 1998; the trace form of Song, Miller & Abbott 2000
 * and Morrison, Diesmann & Gerstner 2008, Biol. Cybern. 98:459):
 *     pre trace x (tau_plus), post trace y (tau_minus);
 *     pre spike arrives at t:  w += A_minus F_-(w) y(t);  x += 1
 *     post spike at t:         w += A_plus  F_+(w) x(t);  y += 1
 *   A_minus < 0 depresses. "nearest" pairing sets a trace to 1 instead of
 *   adding 1 (nearest-spike interaction, Morrison et al. 2008, sec. 4.1).
 *   Weight dependence (Gütig et al. 2003, J. Neurosci. 23:3697):
 *     F_+(w) = (1 - w)^mu, F_-(w) = w^mu; additive mu = 0, multiplicative
 *     mu = 1, "gutig" the parameter mu.
 *   Single pairing, delta_t = t_post - t_pre at the synapse:
 *     delta_t >= 0: dw = A_plus e^{-delta_t/tau_plus} F_+(w),
 *     delta_t <  0: dw = A_minus e^{delta_t/tau_minus} F_-(w);
 *   at delta_t = 0 the pre spike counts first (learning/plasticity.h), as
 *   in Brian2 where the pre pathway runs first within a step.
 *
 * stdp_triplet (Pfister & Gerstner 2006, J. Neurosci. 26:9673):
 *     pre traces r1 (tau_plus), r2 (tau_x); post traces o1 (tau_minus),
 *     o2 (tau_y); values just before the spike's own update:
 *     pre at t:   w -= o1(t) (A2_minus + A3_minus r2(t));  r1, r2 += 1
 *     post at t:  w += r1(t) (A2_plus + A3_plus o2(t));    o1, o2 += 1
 *   Defaults are the variant of Diehl & Cook 2015 (Front. Comput.
 *   Neurosci. 9:99): traces set to 1 at spikes (pairing "nearest"),
 *   tau_plus = 20 ms (pre), tau_minus = 20 ms and tau_y = 40 ms (post),
 *   A2_minus = nu_pre = 1e-4, A3_plus = nu_post = 1e-2, A2_plus =
 *   A3_minus = 0, w in [0, 1].
 *
 * stdp_querlioz (Querlioz et al. 2013, IEEE Trans. Nanotechnol. 12:288):
 *     at each post spike, every incoming synapse whose last pre-synaptic
 *     spike arrived within T_LTP before gets one potentiating pulse, every
 *     other one a depressing pulse; the step sizes are the pulse device's
 *     (pulse_exp). Pre spikes only record their arrival time.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "learning/plasticity.h"

static const char *const pairing_values[] = {"all", "nearest", NULL};
static const char *const wdep_values[] = {"additive", "multiplicative", "gutig",
                                          NULL};

/*
 * Traces of a rule, read and bumped at a common reference time t_ref: a
 * trace with value x at t0 is stored as X = x e^{(t0 - t_ref)/tau}, so
 * that x(t) = X e^{-(t - t_ref)/tau}. Reading or bumping every trace of a
 * kind at one time t then costs one exponential, not one per synapse. The
 * rounding error relative to the direct form x e^{-(t - t0)/tau} is about
 * (t - t_ref)/tau ulp; t_ref moves to the current time (every stored value
 * rescaled) once t - t_ref exceeds REBASE of the shortest time constant,
 * so it stays below ~REBASE ulp. Events come in time order per synapse;
 * a post spike may be emitted slightly after a later event of another
 * synapse (t < t_ref), which the form handles as well.
 *
 * Pre-synaptic traces live in "slots": one per source when the projection
 * has one delay for all synapses (pl->per_src: arrivals at a source's
 * synapses are the same), else one per synapse.
 */
#define REBASE    32.0
#define MAX_KINDS 4

typedef struct traces {
	double *block; /* every array below, zero at the start */
	double t_ref, horizon;
	int n;
	double tau[MAX_KINDS];
	double *v[MAX_KINDS];
	size_t len[MAX_KINDS];
} traces;

/* n_slot kinds of slot traces then n_post kinds of post traces, with
 * time constants tau[0 .. n_slot+n_post-1]. */
static int traces_alloc(traces *T, const ms__plast *pl, int n_slot, int n_post,
                        const double *tau)
{
	size_t ns = pl->per_src ? pl->n_pre : pl->proj->n, total = 0;
	double tmin = INFINITY, *q;

	T->n = n_slot + n_post;
	for (int k = 0; k < T->n; k++) {
		T->tau[k] = tau[k];
		T->len[k] = k < n_slot ? ns : pl->n_post;
		total += T->len[k];
		tmin = fmin(tmin, tau[k]);
	}
	T->block = calloc(total ? total : 1, sizeof(double));
	if (!T->block)
		return MS_ENOMEM;
	q = T->block;
	for (int k = 0; k < T->n; k++) {
		T->v[k] = q;
		q += T->len[k];
	}
	T->t_ref = 0.0;
	T->horizon = REBASE * tmin;
	return MS_OK;
}

/* Move t_ref to t when t is past the horizon. */
static void traces_at(traces *T, double t)
{
	double tmin = INFINITY;

	if (!(t > T->horizon))
		return;
	for (int k = 0; k < T->n; k++) {
		double f = exp(-(t - T->t_ref) / T->tau[k]);
		double *v = T->v[k];
		for (size_t i = 0; i < T->len[k]; i++)
			v[i] *= f;
		tmin = fmin(tmin, T->tau[k]);
	}
	T->t_ref = t;
	T->horizon = t + REBASE * tmin;
}

/* e^{-(t - t_ref)/tau} of kind k: stored values times this are values. */
static inline double decay(const traces *T, int k, double t)
{
	return exp(-(t - T->t_ref) / T->tau[k]);
}

/* e^{(t - t_ref)/tau}: a value of 1 at t, stored. */
static inline double unit(const traces *T, int k, double t)
{
	return exp((t - T->t_ref) / T->tau[k]);
}

/* Stored value after a spike at t (one_at_t = unit(T, k, t)): set to 1
 * (nearest) or incremented (all). */
static inline double bump(double X, double one_at_t, int nearest)
{
	return nearest ? one_at_t : X + one_at_t;
}

/* The slots of the synapses into post unit i (syn as handed to on_post):
 * their sources, or NULL when the slots are the synapses themselves. */
static inline const uint32_t *post_slots(const ms__plast *pl, uint32_t i)
{
	return pl->per_src ? pl->in_src + pl->in_row[i] : NULL;
}

/* ------------------------------------------------------------------------ */
/* Pair STDP                                                                */

enum { P_TAU_PLUS, P_TAU_MINUS, P_A_PLUS, P_A_MINUS, P_MU };
enum { O_PAIRING, O_WDEP };

static const ms_param_info pair_params[] = {
    {"tau_plus", MS_DIM_TIME, 20.0, 0.0, INFINITY, 1,
     "time constant of the pre-synaptic trace (potentiation window)"},
    {"tau_minus", MS_DIM_TIME, 20.0, 0.0, INFINITY, 1,
     "time constant of the post-synaptic trace (depression window)"},
    {"A_plus", MS_DIM_NONE, 0.01, -1.0, 1.0, 0,
     "change of w for a pre-post pair at delta_t = 0+"},
    {"A_minus", MS_DIM_NONE, -0.0105, -1.0, 1.0, 0,
     "change of w for a post-pre pair at delta_t = 0- (negative: "
     "depression)"},
    {"mu", MS_DIM_NONE, 0.4, 0.0, 10.0, 0,
     "exponent of the weight dependence with weight_dependence gutig "
     "(Gütig et al. 2003 use 0.4)"},
};
static const char *const pair_opt_names[] = {"pairing", "weight_dependence"};
static const char *const *const pair_opt_values[] = {pairing_values,
                                                     wdep_values};

enum { PX, PY }; /* pre trace per slot (tau_plus), post trace per unit */

typedef struct pair_state {
	traces tr;
	double mu;
} pair_state;

static int pair_build(ms__plast *pl, char *err, size_t errlen)
{
	pair_state *S = calloc(1, sizeof(*S));

	(void)err;
	(void)errlen;
	if (!S)
		return MS_ENOMEM;
	pl->state = S;
	if (traces_alloc(
	        &S->tr, pl, 1, 1,
	        (double[]){pl->param[P_TAU_PLUS], pl->param[P_TAU_MINUS]}))
		return MS_ENOMEM;
	S->mu = pl->opt[O_WDEP] == 0   ? 0.0
	        : pl->opt[O_WDEP] == 1 ? 1.0
	                               : pl->param[P_MU];
	return MS_OK;
}

static void pair_destroy(ms__plast *pl)
{
	pair_state *S = pl->state;

	if (S)
		free(S->tr.block);
	free(S);
	pl->state = NULL;
}

/* Weight dependence: F_+ (sign > 0) = (1 - w)^mu, F_- = w^mu. */
static inline double wdep(double mu, double w, int sign)
{
	if (mu == 0.0)
		return 1.0;
	return pow(sign > 0 ? 1.0 - w : w, mu);
}

/*
 * w += A F(w) v for synapse s at t (kind: 0 pre, 1 post), sign choosing
 * F_+ or F_-; on the common device (lin, data in L) without reloading the
 * device's settings at each synapse.
 */
static inline void pair_step(ms__plast *pl, ms__plast_lin L, int lin,
                             uint64_t s, double A, double mu, int sign,
                             double v, double t)
{
	if (lin)
		ms__plast_lin_step(L, s, A * wdep(mu, L.w[s], sign) * v);
	else
		ms__plast_step(
		    pl, s, A * wdep(mu, ms__plast_state(pl, s, t), sign) * v, t,
		    sign > 0);
}

static void pair_on_pre(ms__plast *pl, double t, uint64_t s0, uint32_t n)
{
	pair_state *S = pl->state;
	traces *T = &S->tr;
	const double A = pl->param[P_A_MINUS];
	const int nearest = pl->opt[O_PAIRING] == 1;
	const uint32_t *target = pl->proj->target;
	const double mu = S->mu;
	double *x = T->v[PX], *y = T->v[PY], d, one;
	ms__plast_lin L;
	const int lin = ms__plast_lin_of(pl, &L);

	if (!n)
		return;
	traces_at(T, t);
	d = decay(T, PY, t);
	for (uint64_t s = s0; s < s0 + n && A != 0.0; s++) {
		double ys = y[target[s]] * d;
		if (ys != 0.0)
			pair_step(pl, L, lin, s, A, mu, -1, ys, t);
	}
	one = unit(T, PX, t);
	if (pl->per_src) {
		uint32_t a = ms__plast_source(pl, s0);
		x[a] = bump(x[a], one, nearest);
		return;
	}
	for (uint64_t s = s0; s < s0 + n; s++)
		x[s] = bump(x[s], one, nearest);
}

static void pair_on_post(ms__plast *pl, double t, uint32_t i,
                         const uint64_t *syn, size_t n)
{
	pair_state *S = pl->state;
	traces *T = &S->tr;
	const double A = pl->param[P_A_PLUS];
	const uint32_t *slot = post_slots(pl, i);
	const double *x = T->v[PX];
	const double mu = S->mu;
	double *y = T->v[PY], d;
	ms__plast_lin L;
	const int lin = ms__plast_lin_of(pl, &L);

	traces_at(T, t);
	d = decay(T, PX, t);
	for (size_t k = 0; k < n && A != 0.0; k++) {
		uint64_t s = syn[k];
		double xs = x[slot ? slot[k] : s] * d;
		/* The synapses of a unit are scattered: fetch ahead. */
		if (lin && k + 8 < n) {
			__builtin_prefetch(&L.w[syn[k + 8]], 1);
			__builtin_prefetch(&L.weight[syn[k + 8]], 1);
		}
		if (xs != 0.0)
			pair_step(pl, L, lin, s, A, mu, +1, xs, t);
	}
	y[i] = bump(y[i], unit(T, PY, t), pl->opt[O_PAIRING] == 1);
}

const ms__rule ms__rule_stdp_pair = {
    .name = "stdp_pair",
    .doc = "pair STDP with exponential traces (Song et al. 2000; Gütig et "
           "al. 2003)",
    .params = pair_params,
    .n_params = sizeof(pair_params) / sizeof(pair_params[0]),
    .opt_names = pair_opt_names,
    .opt_values = pair_opt_values,
    .n_opts = 2,
    .build = pair_build,
    .destroy = pair_destroy,
    .on_pre = pair_on_pre,
    .on_post = pair_on_post,
};

/* ------------------------------------------------------------------------ */
/* Triplet STDP                                                             */

enum {
	T_TAU_PLUS,
	T_TAU_MINUS,
	T_TAU_X,
	T_TAU_Y,
	T_A2_PLUS,
	T_A3_PLUS,
	T_A2_MINUS,
	T_A3_MINUS
};

static const ms_param_info triplet_params[] = {
    {"tau_plus", MS_DIM_TIME, 20.0, 0.0, INFINITY, 1,
     "pre-synaptic trace r1 (pair potentiation)"},
    {"tau_minus", MS_DIM_TIME, 20.0, 0.0, INFINITY, 1,
     "post-synaptic trace o1 (pair depression)"},
    {"tau_x", MS_DIM_TIME, 101.0, 0.0, INFINITY, 1,
     "pre-synaptic trace r2 (triplet depression)"},
    {"tau_y", MS_DIM_TIME, 40.0, 0.0, INFINITY, 1,
     "post-synaptic trace o2 (triplet potentiation)"},
    {"A2_plus", MS_DIM_NONE, 0.0, 0.0, 1.0, 0, "pair potentiation"},
    {"A3_plus", MS_DIM_NONE, 1e-2, 0.0, 1.0, 0,
     "triplet potentiation (nu_post of Diehl & Cook 2015)"},
    {"A2_minus", MS_DIM_NONE, 1e-4, 0.0, 1.0, 0,
     "pair depression, a magnitude (nu_pre of Diehl & Cook 2015)"},
    {"A3_minus", MS_DIM_NONE, 0.0, 0.0, 1.0, 0,
     "triplet depression, a magnitude"},
};
/* Nearest first: the default of Diehl & Cook 2015. */
static const char *const triplet_pairing[] = {"nearest", "all", NULL};
static const char *const triplet_opt_names[] = {"pairing"};
static const char *const *const triplet_opt_values[] = {triplet_pairing};

/* Slot traces r1 (tau_plus), r2 (tau_x); post traces o1 (tau_minus), o2
 * (tau_y). */
enum { R1, R2, O1, O2 };

static int triplet_build(ms__plast *pl, char *err, size_t errlen)
{
	traces *T = calloc(1, sizeof(*T));
	const double *P = pl->param;

	(void)err;
	(void)errlen;
	if (!T)
		return MS_ENOMEM;
	pl->state = T;
	return traces_alloc(
	    T, pl, 2, 2,
	    (double[]){P[T_TAU_PLUS], P[T_TAU_X], P[T_TAU_MINUS], P[T_TAU_Y]});
}

static void triplet_destroy(ms__plast *pl)
{
	traces *T = pl->state;

	if (T)
		free(T->block);
	free(T);
	pl->state = NULL;
}

static void triplet_on_pre(ms__plast *pl, double t, uint64_t s0, uint32_t n)
{
	traces *T = pl->state;
	const double *P = pl->param;
	const int nearest = pl->opt[0] == 0;
	const uint32_t *target = pl->proj->target;
	const uint64_t src = pl->per_src && n ? ms__plast_source(pl, s0) : 0;
	double *r1 = T->v[R1], *r2 = T->v[R2], dx, dm, u1, u2;

	if (!n)
		return;
	traces_at(T, t);
	dx = decay(T, R2, t);
	dm = decay(T, O1, t);
	for (uint64_t s = s0; s < s0 + n; s++) {
		double o1 = T->v[O1][target[s]] * dm;
		double r = r2[pl->per_src ? src : s] * dx;
		double dw = -o1 * (P[T_A2_MINUS] + P[T_A3_MINUS] * r);
		if (dw != 0.0)
			ms__plast_step(pl, s, dw, t, 0);
	}
	u1 = unit(T, R1, t);
	u2 = unit(T, R2, t);
	if (pl->per_src) {
		r1[src] = bump(r1[src], u1, nearest);
		r2[src] = bump(r2[src], u2, nearest);
		return;
	}
	for (uint64_t s = s0; s < s0 + n; s++) {
		r1[s] = bump(r1[s], u1, nearest);
		r2[s] = bump(r2[s], u2, nearest);
	}
}

static void triplet_on_post(ms__plast *pl, double t, uint32_t i,
                            const uint64_t *syn, size_t n)
{
	traces *T = pl->state;
	const double *P = pl->param;
	const int nearest = pl->opt[0] == 0;
	const uint32_t *slot = post_slots(pl, i);
	const double *r1 = T->v[R1];
	double *o1 = T->v[O1], *o2 = T->v[O2], amp, d;

	traces_at(T, t);
	amp = P[T_A2_PLUS] + P[T_A3_PLUS] * o2[i] * decay(T, O2, t);
	d = decay(T, R1, t);
	for (size_t k = 0; k < n && amp != 0.0; k++) {
		uint64_t s = syn[k];
		double r = r1[slot ? slot[k] : s] * d;
		if (r != 0.0)
			ms__plast_step(pl, s, r * amp, t, 1);
	}
	o1[i] = bump(o1[i], unit(T, O1, t), nearest);
	o2[i] = bump(o2[i], unit(T, O2, t), nearest);
}

const ms__rule ms__rule_stdp_triplet = {
    .name = "stdp_triplet",
    .doc = "triplet STDP (Pfister & Gerstner 2006), defaults of Diehl & "
           "Cook 2015",
    .params = triplet_params,
    .n_params = sizeof(triplet_params) / sizeof(triplet_params[0]),
    .opt_names = triplet_opt_names,
    .opt_values = triplet_opt_values,
    .n_opts = 1,
    .build = triplet_build,
    .destroy = triplet_destroy,
    .on_pre = triplet_on_pre,
    .on_post = triplet_on_post,
};

/* ------------------------------------------------------------------------ */
/* Querlioz et al. 2013                                                     */

static const ms_param_info querlioz_params[] = {
    {"T_LTP", MS_DIM_TIME, 45.0, 0.0, INFINITY, 1,
     "a pre spike within this time before a post spike potentiates "
     "(Querlioz et al. 2013 use 45 ms)"},
};

static int querlioz_build(ms__plast *pl, char *err, size_t errlen)
{
	uint64_t n = pl->proj->n ? pl->proj->n : 1;
	double *last = malloc(n * sizeof(double));

	(void)err;
	(void)errlen;
	if (!last)
		return MS_ENOMEM;
	for (uint64_t s = 0; s < n; s++)
		last[s] = -INFINITY;
	pl->state = last;
	return MS_OK;
}

static void querlioz_destroy(ms__plast *pl)
{
	free(pl->state);
	pl->state = NULL;
}

static void querlioz_on_pre(ms__plast *pl, double t, uint64_t s0, uint32_t n)
{
	double *last = pl->state;

	for (uint64_t s = s0; s < s0 + n; s++)
		last[s] = t;
}

static void querlioz_on_post(ms__plast *pl, double t, uint32_t i,
                             const uint64_t *syn, size_t n)
{
	const double *last = pl->state;
	const double T = pl->param[0];

	(void)i;
	for (size_t k = 0; k < n; k++) {
		uint64_t s = syn[k];
		ms__plast_pulse(pl, s, t - last[s] <= T ? +1 : -1, t, 1);
	}
}

const ms__rule ms__rule_stdp_querlioz = {
    .name = "stdp_querlioz",
    .doc = "simplified STDP with pulse devices (Querlioz et al. 2013)",
    .params = querlioz_params,
    .n_params = 1,
    .needs_pulse = 1,
    .build = querlioz_build,
    .destroy = querlioz_destroy,
    .on_pre = querlioz_on_pre,
    .on_post = querlioz_on_post,
};

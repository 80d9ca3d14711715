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
 * Trace arrays of a rule, zero at the start, in one block: n_syn arrays
 * of one value per synapse (ptr[0 .. n_syn-1]) then n_post arrays of one
 * value per post unit. Returns the block (free it to free them all).
 */
static double *trace_arrays(const ms__plast *pl, int n_syn, int n_post,
                            double **ptr[])
{
	size_t ns = pl->proj->n ? pl->proj->n : 1, np = pl->n_post;
	double *b = calloc(n_syn * ns + n_post * np, sizeof(double)), *q = b;

	for (int k = 0; b && k < n_syn + n_post; k++) {
		*ptr[k] = q;
		q += k < n_syn ? ns : np;
	}
	return b;
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

typedef struct pair_state {
	double *block;  /* the arrays below */
	double *x, *tx; /* per synapse: pre trace and the time it refers to */
	double *y, *ty; /* per post unit */
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
	S->block =
	    trace_arrays(pl, 2, 2, (double **[]){&S->x, &S->tx, &S->y, &S->ty});
	if (!S->block)
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
		free(S->block);
	free(S);
	pl->state = NULL;
}

/* Weight dependence: F_+ (sign > 0) = (1 - w)^mu, F_- = w^mu. */
static double wdep(double mu, double w, int sign)
{
	if (mu == 0.0)
		return 1.0;
	return pow(sign > 0 ? 1.0 - w : w, mu);
}

static void pair_on_pre(ms__plast *pl, double t, uint64_t s0, uint32_t n)
{
	pair_state *S = pl->state;
	const double tp = pl->param[P_TAU_PLUS], tm = pl->param[P_TAU_MINUS];
	const double A = pl->param[P_A_MINUS];
	const int nearest = pl->opt[O_PAIRING] == 1;

	for (uint64_t s = s0; s < s0 + n; s++) {
		uint32_t i = pl->proj->target[s];
		double y = S->y[i] * exp(-(t - S->ty[i]) / tm);
		if (y != 0.0 && A != 0.0) {
			double w =
			    ms__device_state_at(&pl->dev, s, pl->w[s], t);
			ms__plast_apply(pl, s, A * wdep(S->mu, w, -1) * y, t,
			                0);
		}
		S->x[s] =
		    nearest ? 1.0 : S->x[s] * exp(-(t - S->tx[s]) / tp) + 1.0;
		S->tx[s] = t;
	}
}

static void pair_on_post(ms__plast *pl, double t, uint32_t i,
                         const uint64_t *syn, size_t n)
{
	pair_state *S = pl->state;
	const double tp = pl->param[P_TAU_PLUS], tm = pl->param[P_TAU_MINUS];
	const double A = pl->param[P_A_PLUS];

	for (size_t k = 0; k < n && A != 0.0; k++) {
		uint64_t s = syn[k];
		double x = S->x[s] * exp(-(t - S->tx[s]) / tp);
		if (x != 0.0) {
			double w =
			    ms__device_state_at(&pl->dev, s, pl->w[s], t);
			ms__plast_apply(pl, s, A * wdep(S->mu, w, +1) * x, t,
			                1);
		}
	}
	S->y[i] = pl->opt[O_PAIRING] == 1
	              ? 1.0
	              : S->y[i] * exp(-(t - S->ty[i]) / tm) + 1.0;
	S->ty[i] = t;
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

typedef struct triplet_state {
	double *block;        /* the arrays below */
	double *r1, *r2, *tr; /* per synapse */
	double *o1, *o2, *to; /* per post unit */
} triplet_state;

static int triplet_build(ms__plast *pl, char *err, size_t errlen)
{
	triplet_state *S = calloc(1, sizeof(*S));

	(void)err;
	(void)errlen;
	if (!S)
		return MS_ENOMEM;
	pl->state = S;
	S->block = trace_arrays(
	    pl, 3, 3,
	    (double **[]){&S->r1, &S->r2, &S->tr, &S->o1, &S->o2, &S->to});
	return S->block ? MS_OK : MS_ENOMEM;
}

static void triplet_destroy(ms__plast *pl)
{
	triplet_state *S = pl->state;

	if (S)
		free(S->block);
	free(S);
	pl->state = NULL;
}

/* Trace after a spike: set to 1 (nearest) or incremented (all). */
static inline double bump(double v, int nearest)
{
	return nearest ? 1.0 : v + 1.0;
}

static void triplet_on_pre(ms__plast *pl, double t, uint64_t s0, uint32_t n)
{
	triplet_state *S = pl->state;
	const double *P = pl->param;
	const int nearest = pl->opt[0] == 0;

	for (uint64_t s = s0; s < s0 + n; s++) {
		uint32_t i = pl->proj->target[s];
		double dt = t - S->tr[s];
		double r1 = S->r1[s] * exp(-dt / P[T_TAU_PLUS]);
		double r2 = S->r2[s] * exp(-dt / P[T_TAU_X]);
		double o1 = S->o1[i] * exp(-(t - S->to[i]) / P[T_TAU_MINUS]);
		double dw = -o1 * (P[T_A2_MINUS] + P[T_A3_MINUS] * r2);
		if (dw != 0.0)
			ms__plast_apply(pl, s, dw, t, 0);
		S->r1[s] = bump(r1, nearest);
		S->r2[s] = bump(r2, nearest);
		S->tr[s] = t;
	}
}

static void triplet_on_post(ms__plast *pl, double t, uint32_t i,
                            const uint64_t *syn, size_t n)
{
	triplet_state *S = pl->state;
	const double *P = pl->param;
	const int nearest = pl->opt[0] == 0;
	double dto = t - S->to[i];
	double o1 = S->o1[i] * exp(-dto / P[T_TAU_MINUS]);
	double o2 = S->o2[i] * exp(-dto / P[T_TAU_Y]);
	double amp = P[T_A2_PLUS] + P[T_A3_PLUS] * o2;

	for (size_t k = 0; k < n && amp != 0.0; k++) {
		uint64_t s = syn[k];
		double r1 = S->r1[s] * exp(-(t - S->tr[s]) / P[T_TAU_PLUS]);
		if (r1 != 0.0)
			ms__plast_apply(pl, s, r1 * amp, t, 1);
	}
	S->o1[i] = bump(o1, nearest);
	S->o2[i] = bump(o2, nearest);
	S->to[i] = t;
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

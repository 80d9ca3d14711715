/*
 * internal — the network's data structures and the neuron-model interface
 * shared by engine/, neurons/ and the generators. Not installed.
 *
 * Scheduling in short (docs/design.md has the long form): time advances in
 * windows of the minimum synaptic delay D. Within a window, inputs to a
 * neuron can only come from spikes emitted before the window started, so the
 * deliveries of a window are known when it begins; they are sorted and
 * applied in a total order. A neuron that may reach threshold without further
 * input registers a "check" in the window of a certified lower bound of its
 * next threshold crossing; at the end of that window it is settled (every
 * crossing before the window end found exactly and emitted). A spike at t
 * reaches its targets at t + d >= t + D, always in a later window.
 */
#ifndef MS_ENGINE_INTERNAL_H
#define MS_ENGINE_INTERNAL_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

#include "memspike/memspike.h"
#include "engine/arena.h"
#include "engine/queue.h"
#include "engine/recorder.h"
#include "engine/rng.h"
#include "learning/plasticity.h"

#define MS__NAME_MAX  64
#define MS__NO_WINDOW INT64_MAX

typedef struct ms__pop ms__pop;
typedef struct ms__proj ms__proj;

/*
 * A neuron or generator model. Dynamics are per unit; every time argument is
 * absolute simulation time in ms, never earlier than the unit's own time.
 *
 * settle(p, i, t): emit (ms__emit_spike) every spike of unit i at times < t,
 *     in order, assuming no input arrives before t. May leave the state at
 *     any time <= t; must not change the trajectory (results must not depend
 *     on how often settle is called).
 * deliver(p, t, j, s0, n): the inputs of synapses s0 .. s0+n-1 of
 *     projection j, all arriving at t: for each target, settle to t, apply
 *     the weight, and register a check for the new bound where the input
 *     can make the next spike earlier (ms__register_check). A unit whose
 *     registered check lies beyond the current window (chk_win[i] >
 *     net->win) cannot fire before t, so settling it is a plain advance.
 * add_current(p, i, t, dI_pA): settle to t, then step the injected current.
 * bound(p, i, t): a time >= t before which unit i certainly does not fire
 *     (given no input); INFINITY when it never will. Called after settle(t).
 * check(p, i, t): settle(t) then bound(t) in one call (optional; models
 *     can share the work of the two).
 * peek(p, i, t, var): value of state variable var at t, without changing
 *     the state; only asked for times before which every spike of the unit
 *     has been emitted (after settle(t), or at the current time between
 *     runs, ms_pop_get_state).
 * set_var(p, i, var, value): initial value before the first run.
 *
 * presets: named parameter sets (ms_pop_set_preset), or NULL.
 */
#define MS__PRESET_MAX 8

typedef struct ms__preset {
	const char *name;
	const char *doc;
	struct {
		const char *param; /* NULL ends the list */
		double value;      /* base units */
	} set[MS__PRESET_MAX];
} ms__preset;

typedef struct ms__model {
	const char *name;
	int is_generator;
	const ms_param_info *params;
	size_t n_params;
	const ms_var_info *vars;
	size_t n_vars;
	ms_dim weight_dim;
	const ms__preset *presets;
	size_t n_presets;

	/* Cross-parameter checks and state allocation at build time. */
	int (*build)(ms__pop *p, char *err, size_t errlen);
	void (*destroy)(ms__pop *p);

	void (*settle)(ms__pop *p, uint32_t i, double t);
	void (*deliver)(ms__pop *p, double t, const ms__proj *j, uint64_t s0,
	                uint32_t n);
	void (*add_current)(ms__pop *p, uint32_t i, double t, double dI_pA);
	double (*bound)(ms__pop *p, uint32_t i, double t);
	double (*check)(ms__pop *p, uint32_t i, double t);
	double (*peek)(ms__pop *p, uint32_t i, double t, int var);
	void (*set_var)(ms__pop *p, uint32_t i, int var, double value);
} ms__model;

const ms__model *ms__model_lookup(const char *name);

extern const ms__model ms__lif_delta_model;
extern const ms__model ms__lif_exp_model;
extern const ms__model ms__izhikevich_model;
extern const ms__model ms__hh_model;
extern const ms__model ms__hh_traub_model;
extern const ms__model ms__lif_cond_model;
extern const ms__model ms__srm_model;
extern const ms__model ms__poisson_model;
extern const ms__model ms__spike_source_model;

typedef struct ms__init {
	int var;
	int uniform; /* 0: value a; 1: uniform in [a, b) */
	double a, b;
} ms__init;

struct ms__pop {
	char name[MS__NAME_MAX];
	const ms__model *model;
	uint32_t n;
	int index;
	ms_net *net;
	double *param; /* model->n_params values, base units */
	void *state;   /* model-owned */

	int64_t *chk_win; /* window of the pending check of each unit */

	int *out; /* projections leaving this population */
	size_t n_out;

	ms__init *init;
	size_t n_init;

	int rec_spikes;
	int rec_handle;
	uint64_t n_spikes;

	ms__waveform wave; /* spike shape seen by devices (shape 0: none) */
	int *in_pl;        /* plastic projections into this population */
	size_t n_in_pl;
};

struct ms__proj {
	int pre, post;
	size_t n;      /* synapses */
	uint64_t *row; /* CSR offsets by source, pre->n + 1 */
	uint32_t *target;
	double *weight;
	double *delay; /* per synapse; NULL when built with one delay for all
	                  (read it only when gofs is set) */
	uint8_t *receptor; /* NULL when rec_all holds the receptor of all */
	int rec_all;       /* the receptor of every synapse, or -1 if mixed */
	/* Delay groups: row i's groups end at gend[gofs[i]] ..
	 * gend[gofs[i+1]-1] (synapse indices). NULL when every synapse has the
	 * same delay: then a row is one group. */
	uint64_t *gofs, *gend;
	double delay_all; /* the one delay when gofs is NULL */
	ms__plast *pl;    /* learning rule and devices, or NULL (static) */
	/* connector arguments kept until build */
	ms_conn_spec conn;
	ms_syn_spec syn;
	uint32_t *l_pre, *l_post;
	double *l_w, *l_d;
};

typedef struct ms__current {
	int pop;
	uint32_t *ids; /* NULL: all units */
	size_t n_ids;
	double *t, *amp;
	size_t n, next;
} ms__current;

typedef struct ms__report {
	int pop, var; /* var: index in the model's list, or 0 (w) / 1 (G) */
	int proj;     /* >= 0: a report of this projection's synapses */
	uint32_t *ids;
	size_t n_ids;
	double dt, t0;
	uint64_t k; /* next sample index */
	float *frame;
	int handle;
} ms__report;

typedef struct ms__wspike {
	double t;
	uint32_t pop, i;
} ms__wspike;

struct ms_net {
	uint64_t seed;
	char err[1024];

	ms__pop **pops;
	size_t n_pops;
	ms__proj **projs;
	size_t n_projs;
	ms__current *cur;
	size_t n_cur;
	ms__report *rep;
	size_t n_rep;

	int built;
	int build_rc; /* a failed build stays failed (its message kept) */
	double t_now;
	double D;        /* window length = minimum delay */
	ms__arena arena; /* synapse arrays of the row connectors */
	ms__queue q;
	int64_t win; /* current window index */

	ms__wspike *ws; /* spikes of the current window */
	size_t n_ws, cap_ws;
	double *stage_t; /* one population's share of ws, for the recorder */
	uint64_t *stage_id;
	size_t cap_stage;

	ms__rec *rec;
	char *out_path;
	char *config_text, *config_path;
	double t_first; /* time of the first run's start */
	int interrupted;

	volatile int stop;
	ms_progress_fn progress;
	void *progress_user;
	double progress_interval_s;
	ms_spike_fn spike_cb;
	void *spike_cb_user;

	ms_stats st;
	int emit_failed; /* ENOMEM while collecting spikes */
};

/* Report an error on net; returns code. */
int ms__err(ms_net *net, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Called by models for each spike, in time order per unit. */
void ms__emit_spike(ms__pop *p, uint32_t i, double t);

void ms__register_push(ms__pop *p, uint32_t i, int64_t w);

/* Register that unit i must be settled no later than the window holding
 * t_lb (a certified lower bound of its next spike). Only an earlier window
 * than the one registered makes a new queue entry; the later entry then
 * goes stale and is skipped. */
static inline void ms__register_check(ms__pop *p, uint32_t i, double t_lb)
{
	ms_net *net = p->net;
	int64_t w;

	if (!(t_lb < INFINITY))
		return;
	w = ms__queue_win(&net->q, t_lb);
	if (w < net->win)
		w = net->win;
	if (p->chk_win[i] > w)
		ms__register_push(p, i, w);
}

/* Stream owner of projection k: hash of "pre->post#m", m counting earlier
 * projections between the same populations (engine/connect.c). */
uint32_t ms__proj_owner(const ms_net *net, int k);

/* Build the CSR of one projection (engine/connect.c). */
int ms__connect_build(ms_net *net, int proj_index);

/* Bytes of net->arena that building projection k takes (engine/connect.c):
 * its arrays when its connector writes rows directly, else 0. */
size_t ms__connect_arena_bytes(const ms_net *net, int proj_index);

/* Connector validation at ms_net_connect time (engine/connect.c). */
int ms__connect_check(ms_net *net, const ms__pop *pre, const ms__pop *post,
                      const ms_conn_spec *c, const ms_syn_spec *s);

/* Index of a parameter / variable by name in a model, or -1. */
int ms__param_index(const ms__model *m, const char *name);
int ms__var_index(const ms__model *m, const char *name);

/* A preset of a model by name, or NULL. */
const ms__preset *ms__preset_find(const ms__model *m, const char *name);
/* "RS, IB, ..." (or "none") into buf, for error messages. */
const char *ms__preset_names(const ms__model *m, char *buf, size_t len);

#endif

/*
 * plasticity — the interface between the engine and the learning rules
 * (internal). A projection may carry one rule; its synapses then hold a
 * device state w (synapses/device.h) and the efficacy the neuron sees is
 *     weight[s] = eff * G(w),   eff = (the projection's weight) / G_max,
 * i.e. the configured weight is the efficacy of a device at G_max.
 *
 * Event order, per synapse (engine/net.c, docs/design.md):
 *   - a pre-synaptic spike arriving at t (after its axonal delay): the
 *     target is settled to t (its spikes before t reach on_post first),
 *     the input is delivered with the current weight, then on_pre(t);
 *   - a post-synaptic spike at t: on_post(t) for all incoming synapses of
 *     the unit, at the moment the spike is emitted.
 * A post spike at exactly the arrival time of a pre spike comes after it
 * (spikes are emitted for times < t when a unit is settled to t), so at
 * delta_t = t_post - t_pre = 0 the pair counts as pre-then-post.
 * Rules keep whatever history they need; they never step in time.
 */
#ifndef MS_LEARNING_PLASTICITY_H
#define MS_LEARNING_PLASTICITY_H

#include <stddef.h>
#include <stdint.h>

#include "learning/waveform.h"
#include "synapses/device.h"

#define MS__RULE_MAX_PARAMS 16

typedef struct ms__plast ms__plast;
struct ms__proj;
struct ms__pop;

typedef struct ms__rule {
	const char *name;
	const char *doc; /* one line: the rule and its source */
	const ms_param_info *params;
	size_t n_params;
	/* Options with a fixed set of values, as in ms__device_model. */
	const char *const *opt_names;
	const char *const *const *opt_values;
	size_t n_opts;
	int needs_waveforms; /* pre and post populations must have one */
	int needs_rate_law;  /* the device must be continuous (g, F) */
	int needs_pulse;     /* the device must be pulse-based */

	/* After the device is built and pl->w holds the initial states:
	 * cross-parameter checks and the rule's state (pl->state). */
	int (*build)(ms__plast *pl, char *err, size_t errlen);
	void (*destroy)(ms__plast *pl);
	/* Pre-synaptic spikes arrived at synapses s0 .. s0+n-1 at t. */
	void (*on_pre)(ms__plast *pl, double t, uint64_t s0, uint32_t n);
	/* Post-synaptic unit i fired at t; syn[0..n-1] are its incoming
	 * synapses (indices into the projection's CSR arrays). */
	void (*on_post)(ms__plast *pl, double t, uint32_t i,
	                const uint64_t *syn, size_t n);
} ms__rule;

const ms__rule *ms__rule_lookup(const char *name);
const char *ms__rule_names(void);

extern const ms__rule ms__rule_stdp_waveform;
extern const ms__rule ms__rule_stdp_pair;
extern const ms__rule ms__rule_stdp_triplet;
extern const ms__rule ms__rule_stdp_querlioz;

struct ms__plast {
	const ms__rule *rule;
	double param[MS__RULE_MAX_PARAMS];
	int opt[MS__RULE_MAX_PARAMS];
	ms__device_cfg dcfg;
	ms__device dev;

	struct ms__proj *proj;
	const ms__waveform *wpre, *wpost; /* NULL unless configured */
	uint32_t n_pre, n_post;           /* population sizes */
	double *w;                        /* device state per synapse */
	double eff;    /* efficacy per nS (the connector's weight / G_max) */
	double *scale; /* per synapse instead, when the weights differ */
	int read_each; /* weights are read at each delivery (retention or read
	                  noise) rather than kept in proj->weight */
	/* Transposed index: the synapses into post unit i are
	 * in_syn[in_row[i] .. in_row[i+1]-1], in increasing order. */
	uint64_t *in_row, *in_syn;
	/* When per_src: every synapse of the projection has the same delay,
	 * so the arrival times at the synapses of one source are the same
	 * and rules may keep their pre-synaptic history per source (a
	 * delivery, on_pre, is then always a whole CSR row). in_src[k] is
	 * the source of synapse in_syn[k]. */
	int per_src;
	uint32_t *in_src;
	/* The device has no non-ideality (no noise, levels, stuck devices or
	 * retention): an update is w + dw clamped to [0, 1]. Set with
	 * weight, the projection's efficacies, by ms__plast_build. */
	int ideal;
	double *weight;
	void *state; /* rule-owned */
};

/* Defaults of a rule's parameters and options into pl. */
void ms__plast_init(ms__plast *pl, const ms__rule *rule);

/* Set a rule parameter or option by name; messages as in device.h. */
int ms__plast_set_param(ms__plast *pl, const char *name, double v, char *err,
                        size_t errlen);
int ms__plast_set_option(ms__plast *pl, const char *name, const char *value,
                         char *err, size_t errlen);

/* Change the state of synapse s by dw for an event at t (kind 0: pre,
 * 1: post), through the device (noise, bounds, levels, stuck), and update
 * the efficacy the neuron sees. */
void ms__plast_apply(ms__plast *pl, uint64_t s, double dw, double t, int kind);

/* The efficacy the neuron sees for synapse s in state w. */
static inline double ms__plast_weight(const ms__plast *pl, uint64_t s, double w)
{
	const ms__device_cfg *c = &pl->dev.c;
	double G = c->map == MS__MAP_LINEAR_G
	               ? c->G_min + w * (c->G_max - c->G_min)
	               : ms__device_G(&pl->dev, w);

	return (pl->scale ? pl->scale[s] : pl->eff) * G;
}

/*
 * ms__plast_apply with the ideal device's fast path inlined (the same
 * arithmetic, hence the same result): rules call this in their loops.
 */
static inline void ms__plast_step(ms__plast *pl, uint64_t s, double dw,
                                  double t, int kind)
{
	double w;

	if (!pl->ideal) {
		ms__plast_apply(pl, s, dw, t, kind);
		return;
	}
	w = pl->w[s] + dw;
	if (w < 0.0)
		w = 0.0;
	else if (w > 1.0)
		w = 1.0;
	pl->w[s] = w;
	if (!pl->read_each)
		pl->weight[s] = ms__plast_weight(pl, s, w);
}

/*
 * The common device, ideal, linear in G, with one efficacy scale and the
 * efficacies kept current (no read noise or retention), with its data
 * copied into locals so that hot loops keep them in registers:
 * ms__plast_lin_of fills L and says whether pl has such a device;
 * ms__plast_lin_step is then ms__plast_step, with the same arithmetic.
 */
typedef struct ms__plast_lin {
	double *w, *weight;
	double eff, G_min, dG;
} ms__plast_lin;

static inline int ms__plast_lin_of(const ms__plast *pl, ms__plast_lin *L)
{
	const ms__device_cfg *c = &pl->dev.c;

	*L = (ms__plast_lin){pl->w, pl->weight, pl->eff, c->G_min,
	                     c->G_max - c->G_min};
	return pl->ideal && !pl->read_each && !pl->scale &&
	       c->map == MS__MAP_LINEAR_G;
}

static inline void ms__plast_lin_step(ms__plast_lin L, uint64_t s, double dw)
{
	double w = L.w[s] + dw;

	if (w < 0.0)
		w = 0.0;
	else if (w > 1.0)
		w = 1.0;
	L.w[s] = w;
	L.weight[s] = L.eff * (L.G_min + w * L.dG);
}

/* The state of synapse s at t (retention since its last update). */
static inline double ms__plast_state(const ms__plast *pl, uint64_t s, double t)
{
	return pl->ideal ? pl->w[s]
	                 : ms__device_state_at(&pl->dev, s, pl->w[s], t);
}

/* The source (row of the projection's CSR) of synapse s. */
uint32_t ms__plast_source(const ms__plast *pl, uint64_t s);

/* One pulse (sign > 0 potentiating) through a pulse device. */
void ms__plast_pulse(ms__plast *pl, uint64_t s, int sign, double t, int kind);

/* Engine side (the network types are in engine/internal.h). */
struct ms_net;
/* At build, after the projection's CSR: devices, initial weights, the
 * transposed index, then the rule's build. */
int ms__plast_build(struct ms_net *net, int proj);
void ms__plast_free(ms__plast *pl);
/* Before a delivery when pl->read_each: read the devices of synapses
 * s0 .. s0+n-1 at t into the projection's weights. */
void ms__plast_read(ms__plast *pl, double t, uint64_t s0, uint32_t n);

#endif

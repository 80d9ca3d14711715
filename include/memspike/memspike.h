/*
 * memspike — event-driven spiking neural network engine.
 *
 * This is the whole public C API. Every call returns 0 (MS_OK) or a negative
 * MS_E* code; ms_strerror() names the code and ms_net_errmsg() gives the
 * detailed message of the last failed call on a network (which field, which
 * value, what was expected). The library never exits the process.
 *
 * Units (docs/units.md): time ms, voltage mV, current pA, conductance nS,
 * capacitance pF, rate Hz, resistance GOhm. Every double parameter passed
 * through this API is in those base units; the configuration reader
 * converts what users write.
 */
#ifndef MEMSPIKE_MEMSPIKE_H
#define MEMSPIKE_MEMSPIKE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MS_VERSION_MAJOR  0
#define MS_VERSION_MINOR  1
#define MS_VERSION_PATCH  0
#define MS_VERSION_STRING "0.1.0"

/* Error codes. */
enum {
	MS_OK = 0,
	MS_EINVAL = -1,  /* argument or parameter out of range */
	MS_ENOMEM = -2,  /* out of memory */
	MS_EIO = -3,     /* reading or writing a file failed */
	MS_ENOENT = -4,  /* a named file, population or field does not exist */
	MS_ECONFIG = -5, /* malformed configuration */
	MS_EINTR = -6,   /* run stopped early by ms_net_request_stop() */
	MS_ESTATE = -7,  /* call not valid now (e.g. connect after first run) */
	MS_EFORMAT = -8, /* a data file does not have the expected format */
	MS_EUNIT = -9,   /* a value has the wrong unit */
};

/* Text for an error code; never NULL. */
const char *ms_strerror(int code);

/* Error report for calls that have no handle yet (configuration loading). */
typedef struct ms_error {
	int code;
	char msg[1024];
} ms_error;

/* ------------------------------------------------------------------------ */
/* Network                                                                  */

typedef struct ms_net ms_net;

typedef struct ms_net_opts {
	uint64_t seed; /* master seed of every random stream */
} ms_net_opts;

/* Create an empty network. opts may be NULL (seed 0). */
int ms_net_create(const ms_net_opts *opts, ms_net **out);
void ms_net_destroy(ms_net *net);

/* Detailed message of the last failed call on net ("" if none). */
const char *ms_net_errmsg(const ms_net *net);

uint64_t ms_net_seed(const ms_net *net);

/* ------------------------------------------------------------------------ */
/* Models and populations                                                   */

/* Physical dimension of a parameter or variable. */
typedef enum ms_dim {
	MS_DIM_NONE = 0,    /* dimensionless */
	MS_DIM_TIME,        /* ms */
	MS_DIM_VOLTAGE,     /* mV */
	MS_DIM_CURRENT,     /* pA */
	MS_DIM_CONDUCTANCE, /* nS */
	MS_DIM_CAPACITANCE, /* pF */
	MS_DIM_RATE,        /* Hz */
	MS_DIM_RESISTANCE,  /* GOhm (= mV/pA) */
} ms_dim;

/* Base-unit name of a dimension ("ms", "mV", ...; "" for none). */
const char *ms_dim_unit(ms_dim dim);

typedef struct ms_param_info {
	const char *name; /* e.g. "tau_m" */
	ms_dim dim;
	double def;      /* default value, base unit */
	double min, max; /* allowed closed range, base unit */
	int min_open;    /* 1: value must be > min rather than >= min */
	const char *doc; /* one-line description */
} ms_param_info;

typedef struct ms_var_info {
	const char *name; /* recordable state variable, e.g. "V_m" */
	ms_dim dim;
	const char *doc;
} ms_var_info;

/* Model registry. Names: "lif_delta", "lif_exp", "lif_cond", "srm",
 * "izhikevich", "hh", "hh_traub" (neurons), "poisson", "spike_source"
 * (generators). Returns MS_ENOENT for an unknown model. */
int ms_model_find(const char *model, int *is_generator);
size_t ms_model_count(void);
const char *ms_model_name(size_t idx);
int ms_model_params(const char *model, const ms_param_info **params, size_t *n);
int ms_model_vars(const char *model, const ms_var_info **vars, size_t *n);
/* Dimension of a synaptic weight onto this model (mV for LIF). */
int ms_model_weight_dim(const char *model, ms_dim *dim);
/* Onto models whose weights are conductances (nS) and that have a C_m
 * (pF), |weight| may be at most this many times C_m: |w| / C_m <= 1000 per
 * ms, a synapse that moves V within a microsecond. Larger weights are
 * refused (MS_EINVAL) when the network is built or the config read: the
 * integrators would take minutes per simulated second, and such a weight
 * is a mistake of units ("6 mS" for "6 nS") far more often than a model. */
#define MS_COND_WEIGHT_MAX_PER_PF 1000.0

/* Add a population of n units of a model with default parameters.
 * Names must be unique, non-empty, at most 63 bytes of [A-Za-z0-9_.-]. */
int ms_net_add_population(ms_net *net, const char *name, const char *model,
                          size_t n, int *pop);
int ms_net_find_population(const ms_net *net, const char *name, int *pop);
size_t ms_net_population_count(const ms_net *net);
const char *ms_net_population_name(const ms_net *net, int pop);
const char *ms_net_population_model(const ms_net *net, int pop);
size_t ms_net_population_size(const ms_net *net, int pop);

/* Set a scalar model parameter (base units), checked against its range.
 * Allowed until the first run, except where a model says otherwise. */
int ms_pop_set_param(ms_net *net, int pop, const char *param, double value);
int ms_pop_get_param(const ms_net *net, int pop, const char *param,
                     double *value);
/* Set the parameters of a named preset of the population's model (e.g.
 * "RS" for izhikevich; docs/models.md lists them). Parameters set after
 * it override it; a preset overrides values set before it. MS_ENOENT for
 * an unknown name (the message lists the model's presets). Before the
 * first run. */
int ms_pop_set_preset(ms_net *net, int pop, const char *preset);
/* Presets of a model: the name of preset idx (NULL past the last one or
 * for an unknown model), and the value (base units) a preset gives a
 * parameter (MS_ENOENT when the model, the preset or the parameter is
 * unknown, or the preset leaves the parameter alone). */
const char *ms_model_preset_name(const char *model, size_t idx);
int ms_model_preset_value(const char *model, const char *preset,
                          const char *param, double *value);

/* Initial value of a state variable: the same for all, or uniform in
 * [lo, hi) drawn from the stream (seed, init, pop, neuron). Before the
 * first run. */
int ms_pop_init_value(ms_net *net, int pop, const char *var, double value);
int ms_pop_init_uniform(ms_net *net, int pop, const char *var, double lo,
                        double hi);

/* Value of a state variable of one unit at the current time. */
int ms_pop_get_state(ms_net *net, int pop, size_t i, const char *var,
                     double *value);

/* ------------------------------------------------------------------------ */
/* Inputs                                                                   */

/* Poisson generator populations ("poisson" model): the rate is
 * piecewise constant, rate_Hz[k] from t_ms[k] until t_ms[k+1]; before t_ms[0]
 * the rate is 0. t_ms must be increasing, rates within [0, 1e9] Hz (the
 * range of the rate parameter). Replaces any earlier profile; may be called
 * between runs (times before the current time are ignored). */
int ms_poisson_set_rate_profile(ms_net *net, int pop, const double *t_ms,
                                const double *rate_Hz, size_t n);

/* Spike-source populations ("spike_source"): explicit spike times. ids[k] is
 * the unit that fires at times_ms[k]; any order. Adds to what is there;
 * spikes earlier than the current time are rejected with MS_EINVAL. */
int ms_spike_source_add(ms_net *net, int pop, const uint32_t *ids,
                        const double *times_ms, size_t n);

/* Injected current (pA) into units of a neuron population, piecewise
 * constant: amp_pA[k] from t_ms[k] on. ids == NULL means every unit. Adds to
 * the bias current parameter. Several current inputs onto the same unit add
 * up. May be called between runs. */
int ms_pop_add_current(ms_net *net, int pop, const uint32_t *ids, size_t n_ids,
                       const double *t_ms, const double *amp_pA, size_t n);

/* ------------------------------------------------------------------------ */
/* Projections                                                              */

typedef enum ms_conn_rule {
	MS_CONN_ALL_TO_ALL = 0,
	MS_CONN_ONE_TO_ONE,
	MS_CONN_FIXED_PROB,     /* each pair independently with probability p */
	MS_CONN_FIXED_INDEGREE, /* each target gets exactly k distinct sources
	                         */
	MS_CONN_LIST,           /* explicit (pre, post[, weight, delay]) list */
} ms_conn_rule;

typedef enum ms_receptor {
	MS_RECEPTOR_AUTO = 0, /* excitatory if weight >= 0, else inhibitory */
	MS_RECEPTOR_EXC,
	MS_RECEPTOR_INH,
} ms_receptor;

typedef struct ms_conn_spec {
	ms_conn_rule rule;
	double p;       /* FIXED_PROB: probability in [0, 1] */
	size_t k;       /* FIXED_INDEGREE: sources per target */
	int allow_self; /* pre == post populations: allow i -> i */
	/* LIST: n pairs; weights/delays may be NULL (then syn values used). */
	const uint32_t *pre, *post;
	const double *weights, *delays_ms;
	size_t n;
} ms_conn_spec;

typedef struct ms_syn_spec {
	double weight;   /* in the target model's weight unit (mV for LIF) */
	double delay_ms; /* > 0 */
	ms_receptor receptor;
} ms_syn_spec;

/* Connect pre -> post. Before the first run. Connections are drawn from
 * streams keyed by (seed, connect, projection, unit) so the result does not
 * depend on the order in which projections are made. */
int ms_net_connect(ms_net *net, int pre, int post, const ms_conn_spec *conn,
                   const ms_syn_spec *syn, int *proj);
size_t ms_net_projection_count(const ms_net *net);
/* Number of synapses; 0 until the network is built (ms_net_build). */
size_t ms_net_projection_size(const ms_net *net, int proj);
/* Synapses of one projection in CSR-by-source order (any of the out
 * arrays may be NULL; each must hold ms_net_projection_size() entries). */
int ms_net_projection_get(const ms_net *net, int proj, uint32_t *pre,
                          uint32_t *post, double *weight, double *delay_ms);

/* ------------------------------------------------------------------------ */
/* Plasticity and memristive devices (docs/synapses.md)                     */

/* Make a projection plastic with a learning rule: "stdp_waveform" (STDP
 * emerging from spike waveforms across memristive devices), "stdp_pair",
 * "stdp_triplet", "stdp_querlioz". Its synapses then hold a device state w
 * in [0, 1] with conductance G(w), and the efficacy the target sees is
 * weight * G(w) / G_max, weight being the projection's (connector) weight.
 * A plastic projection may end on a spike_source population (a teacher:
 * its spikes drive learning, inputs have no effect on it). Before the
 * first run. */
int ms_proj_set_plasticity(ms_net *net, int proj, const char *rule);
/* A numeric parameter of the rule (base units), or an option with a fixed
 * set of values (e.g. "mode": "exact" or "fast"). */
int ms_proj_set_plasticity_param(ms_net *net, int proj, const char *name,
                                 double value);
int ms_proj_set_plasticity_option(ms_net *net, int proj, const char *name,
                                  const char *value);
/* The device model of the projection's synapses ("sinh", "exp_threshold",
 * "hp", "nonlinear_drift", "vteam", "pulse_exp"); without one, the device
 * is ideal (G linear in w, no law). Parameters: the model's own and the
 * common ones (G_min, G_max, w_init, non-idealities); options: "mapping"
 * (linear_G, linear_R) and others (docs/synapses.md). After
 * ms_proj_set_plasticity. */
int ms_proj_set_device(ms_net *net, int proj, const char *model);
int ms_proj_set_device_param(ms_net *net, int proj, const char *name,
                             double value);
int ms_proj_set_device_option(ms_net *net, int proj, const char *name,
                              const char *value);
/* 1 if the projection has a learning rule. */
int ms_proj_is_plastic(const ms_net *net, int proj);
/* Device state w and conductance G (nS) of every synapse at the current
 * time, in the order of ms_net_projection_get (either may be NULL). */
int ms_proj_get_state(ms_net *net, int proj, double *w, double *G_nS);

/* The spike waveform a population's units put on their synapses' devices:
 * shape "exp", "rect_ramp" or "table", then its parameters (A_plus,
 * tau_plus, T_plus, A_minus, tau_minus, T_minus; voltages in mV, times in
 * ms) or, for "table", points (s_ms relative to the spike, v_mV). Before
 * the first run. */
int ms_pop_set_waveform(ms_net *net, int pop, const char *shape);
int ms_pop_set_waveform_param(ms_net *net, int pop, const char *name,
                              double value);
int ms_pop_set_waveform_table(ms_net *net, int pop, const double *s_ms,
                              const double *v_mV, size_t n);

/* Parameter tables (name, dimension, default, range) of a learning rule, a
 * device model (NULL: the parameters common to every device: G_min,
 * G_max, w_init, non-idealities) and a waveform shape, for configuration
 * readers and documentation. Names that are not in these tables are
 * options (strings). MS_ENOENT for an unknown name. */
int ms_rule_params(const char *rule, const ms_param_info **params, size_t *n);
int ms_device_params(const char *model, const ms_param_info **params,
                     size_t *n);
int ms_waveform_params(const char *shape, const ms_param_info **params,
                       size_t *n);

/* ------------------------------------------------------------------------ */
/* Recording                                                                */

/* Spikes of a population go to /spikes/<pop>. Before the first run. */
int ms_net_record_spikes(ms_net *net, int pop);
/* Sample a state variable of units ids (NULL = all) every dt_ms, starting at
 * the current time, into /report/<pop>. Before the first run. */
int ms_net_record_state(ms_net *net, int pop, const char *var,
                        const uint32_t *ids, size_t n_ids, double dt_ms);

/* Sample variable "w" (device state, in [0, 1]) or "G" (device
 * conductance, nS) of every synapse of a plastic projection every dt_ms,
 * starting at the current time, into /memspike/synapses/<pre>__<post>/<var>
 * (docs/formats.md); columns in the order of ms_net_projection_get. Before
 * the first run. */
int ms_net_record_synapses(ms_net *net, int proj, const char *var,
                           double dt_ms);

typedef struct ms_output_opts {
	const char *config_text; /* stored verbatim in the metadata (or NULL) */
	const char *config_path; /* name of the config file (or NULL) */
} ms_output_opts;

/* Open the HDF5 output file now (truncating it). Fails without leaving a
 * file when the path cannot be written. Call before the first run. */
int ms_net_open_output(ms_net *net, const char *path,
                       const ms_output_opts *opts);
/* Finish and close the output (metadata, final sizes). Called by
 * ms_net_destroy() too; calling it twice is harmless. */
int ms_net_close_output(ms_net *net);

/* ------------------------------------------------------------------------ */
/* Running                                                                  */

/* Build the network now: check cross-parameter constraints (such as
 * V_reset < V_th), draw the connections and set up recording. After it,
 * populations, projections and recording can no longer be added. Called by
 * the first ms_net_run() if not called before; calling it again is
 * harmless. */
int ms_net_build(ms_net *net);

/* Advance the simulation to t_stop_ms: every event strictly before t_stop
 * is processed. The first call builds the network. Can be called again with
 * a later t_stop to continue. Returns MS_EINTR if stopped early. */
int ms_net_run(ms_net *net, double t_stop_ms);
double ms_net_time(const ms_net *net);

/* Ask a running ms_net_run() to stop at the next safe point; safe to call
 * from a signal handler. The stop is sticky until ms_net_run returns. */
void ms_net_request_stop(ms_net *net);

/* Progress callback: called from the run loop about every interval_s of
 * wall time with the current simulation time. NULL disables. */
typedef void (*ms_progress_fn)(double t_now_ms, double t_stop_ms, void *user);
void ms_net_set_progress(ms_net *net, ms_progress_fn fn, void *user,
                         double interval_s);

typedef struct ms_stats {
	uint64_t spikes;     /* emitted by neurons and generators */
	uint64_t syn_events; /* synaptic inputs delivered to targets */
	uint64_t deliveries; /* queue entries (spike x delay group) */
	double wall_s;       /* wall time spent in ms_net_run */
	double min_delay_ms; /* window length of the scheduler */
} ms_stats;
void ms_net_stats(const ms_net *net, ms_stats *st);
/* Spikes emitted so far by one population. */
uint64_t ms_net_population_spikes(const ms_net *net, int pop);

/* Callback for every spike (after each window, in time order). */
typedef void (*ms_spike_fn)(int pop, uint32_t id, double t_ms, void *user);
void ms_net_set_spike_callback(ms_net *net, ms_spike_fn fn, void *user);

/* ------------------------------------------------------------------------ */
/* Configuration files (YAML, docs/config.md)                               */

typedef struct ms_config ms_config;

typedef struct ms_config_overrides {
	const char *output_path; /* NULL: from config */
	int has_seed;
	uint64_t seed;
	int has_duration;
	double duration_ms;
	int no_output; /* 1: build without opening the output file */
} ms_config_overrides;

/* Parse and validate a network description. On error, err->msg says
 * "file:line:column: field: what was expected". */
int ms_config_load(const char *path, ms_config **out, ms_error *err);
void ms_config_destroy(ms_config *cfg);
/* Build the network the config describes (with overrides), open its
 * output file and set up recording. */
int ms_config_build(const ms_config *cfg, const ms_config_overrides *ov,
                    ms_net **net, ms_error *err);
double ms_config_duration_ms(const ms_config *cfg,
                             const ms_config_overrides *ov);
const char *ms_config_output_path(const ms_config *cfg,
                                  const ms_config_overrides *ov);
/* The text of the config file as it was read (for metadata). */
const char *ms_config_text(const ms_config *cfg);

/* The stdp_curve protocol of a config (docs/config.md#stdp_curve): point k
 * is measured on synapse k of projection proj, which joins unit k of the
 * spike sources pre and post. The arrays belong to the config. */
typedef struct ms_stdp_protocol {
	int pre, post, proj; /* indices in the built network */
	size_t n_points;
	const double *delta_t_ms; /* t_post - t_pre at the synapse */
	size_t pairings;
	double frequency_Hz;
	double start_ms; /* first pairing (arrival of its pre spike) */
	double end_ms;   /* end of the run */
	double w_init;   /* initial device state, when has_w_init */
	int has_w_init;
	const char *rule;   /* the projection's learning rule */
	const char *device; /* its device model; "ideal" when none */
} ms_stdp_protocol;

/* MS_ENOENT when the config has no stdp_curve section. */
int ms_config_stdp_protocol(const ms_config *cfg, ms_stdp_protocol *out);

/* ------------------------------------------------------------------------ */
/* STDP curves (`memspike stdp-curve`, docs/cli.md)                         */

/* One side of an STDP window fitted with an exponential: A exp(-|dT|/tau).
 * ok is 0 (A and tau NaN) when the side has fewer than 3 usable points or
 * the fit failed. */
typedef struct ms_stdp_fit {
	double A;      /* signed: > 0 for potentiation, < 0 for depression */
	double tau_ms; /* > 0 */
	size_t n_used; /* points from the extremum outwards */
	int ok;
} ms_stdp_fit;

/* Least-squares fits of A+ exp(-dT/tau+) to the points with dT > 0 from
 * the largest delta_w outwards, and of A- exp(dT/tau-) to those with
 * dT < 0 from the smallest outwards (learning/stdp_curve.c says how).
 * Points with a non-finite delta_w are skipped. */
int ms_stdp_fit_exp(const double *delta_t_ms, const double *delta_w, size_t n,
                    ms_stdp_fit *ltp, ms_stdp_fit *ltd);

typedef struct ms_stdp_curve {
	size_t n;
	const double *delta_t_ms, *delta_w;
	const double *delta_G_S;       /* G_end - G_0, siemens */
	const double *delta_G_over_G2; /* (G_end - G_0) / (G_0 G_end), 1/S */
	ms_stdp_fit ltp, ltd;
	size_t pairings;
	double frequency_Hz;
	const char *rule, *device;
	uint64_t seed;
	const char *config_text, *config_path; /* may be NULL */
	double t_stop_ms, wall_s;
} ms_stdp_curve;

/* Write a curve file (docs/cli.md, "stdp-curve"). It is written
 * as path.tmp and renamed at the end, so a failure leaves no file. */
int ms_stdp_curve_write(const char *path, const ms_stdp_curve *curve,
                        ms_error *err);

/* ------------------------------------------------------------------------ */
/* Output files                                                             */

/* Summary of a memspike output file: populations, spike counts, mean
 * rates, duration; written to out as text. */
int ms_file_info(const char *path, FILE *out, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif

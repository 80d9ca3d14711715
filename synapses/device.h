/*
 * device — memristive devices: rate laws, conductance mapping and
 * non-idealities (internal; docs/synapses.md is the user's description).
 *
 * A device holds a bounded state w in [0, 1]. Continuous devices change it
 * by a rate law written as a voltage part times a state part,
 *     dw/dt = g(V) * F(w, sign V),
 * g in 1/ms with V the voltage across the device in mV, F dimensionless
 * (F = 1 for devices without a window). Every model of the literature we
 * provide separates this way, which lets the fast STDP mode precompute the
 * voltage integral once and apply the state part at each update.
 * Pulse devices (Querlioz et al. 2013) have no rate law: each potentiating
 * or depressing event moves w by a state-dependent step.
 *
 * Conductance: G = G_min + w (G_max - G_min) ("linear_G"), or
 * 1/G = 1/G_min + w (1/G_max - 1/G_min) ("linear_R", making the rule
 * multiplicative: dG = -G^2 d(1/G), so dG/G^2 is independent of G).
 *
 * Non-idealities, all drawn from counter-based streams keyed by (seed,
 * purpose, projection name, synapse) so that devices and updates are the
 * same for the same seed whatever the build order or thread count:
 * device-to-device spread of every law parameter (normal or log-normal,
 * relative sigma), cycle-to-cycle noise on each update, a finite number of
 * conductance levels, devices stuck at G_min or G_max, exponential
 * retention loss towards a rest state, read noise, bounds.
 */
#ifndef MS_SYNAPSES_DEVICE_H
#define MS_SYNAPSES_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "memspike/memspike.h"

#define MS__DEV_MAX_PARAMS 16

typedef struct ms__device_model {
	const char *name;
	const char *doc; /* one line: the law and its source */
	const ms_param_info *params;
	size_t n_params;
	int is_pulse; /* 1: pulse-based, pulse_dw instead of g/F */
	/* Options with a fixed set of values (e.g. "window": "none",
	 * "joglekar", ...): names[k] takes one of values[k] (NULL-terminated
	 * lists), stored as the index in opt[k]. */
	const char *const *opt_names;
	const char *const *const *opt_values;
	size_t n_opts;

	/* Cross-parameter checks; err gets e.g. "V_on must be < 0 mV". */
	int (*check)(const double *p, const int *opt, char *err, size_t errlen);
	/* Voltage part of the rate law, 1/ms; exactly 0 inside the band. */
	double (*g)(const double *p, const int *opt, double V_mV);
	/* State part, >= 0; NULL means 1. sign is +1 or -1 (sign of V). */
	double (*F)(const double *p, const int *opt, double w, int sign);
	/* Optional: nonzero when F is exactly 1 for every w with these
	 * options (no window), so callers may skip it. */
	int (*F_is_one)(const int *opt);
	/* g(V) = 0 for *lo <= V <= *hi (lo <= 0 <= hi; both 0 when the law
	 * has no threshold). */
	void (*band)(const double *p, const int *opt, double *lo_mV,
	             double *hi_mV);
	/* Pulse devices: change of w for one potentiating (sign > 0) or
	 * depressing (sign < 0) pulse at state w. */
	double (*pulse_dw)(const double *p, const int *opt, double w, int sign);
	/* Bit k set: parameter k is structural (an integer exponent) and is
	 * not spread from device to device. */
	uint32_t no_spread;
} ms__device_model;

const ms__device_model *ms__device_lookup(const char *name);
/* Comma-separated model names, for messages. */
const char *ms__device_names(void);

/* Current (pA) through a nonlinear_drift device (p: its parameters) at
 * voltage V and state w, i = w^n beta sinh(alpha V) + chi (e^{gamma V} - 1)
 * with V in volts (Yang et al. 2008; Lehtonen & Laiho 2009). The rate law
 * does not use it; it is there for I-V curves. */
double ms__device_current_nld(const double *p, double V_mV, double w);

enum { MS__MAP_LINEAR_G = 0, MS__MAP_LINEAR_R = 1 };
enum { MS__SPREAD_NORMAL = 0, MS__SPREAD_LOGNORMAL = 1 };
enum { MS__ROUND_NEAREST = 0, MS__ROUND_STOCHASTIC = 1 };

/* What the user configured for the devices of one projection. */
typedef struct ms__device_cfg {
	const ms__device_model *m; /* NULL: ideal device (w itself, no law) */
	double p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS];
	/* conductance mapping */
	int map;                     /* MS__MAP_* */
	double G_min, G_max;         /* nS, 0 <= G_min < G_max (G_min > 0 for
	                                linear_R) */
	double w_init_lo, w_init_hi; /* initial state, uniform (lo == hi:
	                                fixed) */
	/* non-idealities (0 = off) */
	double d2d_sigma; /* relative spread of every law parameter */
	int d2d_dist;     /* MS__SPREAD_* */
	double c2c_sigma; /* relative noise on each update of w */
	uint32_t levels;  /* number of conductance levels, 0 = continuous */
	int rounding;     /* MS__ROUND_* */
	double stuck_min, stuck_max; /* fractions of devices stuck */
	double retention_tau_ms;     /* w relaxes to w_rest with this tau */
	double w_rest;
	double read_sigma; /* relative noise on each read of G */
} ms__device_cfg;

/* Defaults: ideal device, linear_G, G in [0, 1] nS, w_init 0.5, no
 * non-idealities. */
void ms__device_cfg_init(ms__device_cfg *c);

/* Set the model (NULL: ideal device) and reset its law parameters and
 * options to the model's defaults; the common settings are kept. */
void ms__device_cfg_set_model(ms__device_cfg *c, const ms__device_model *m);

/* Set a parameter by name: a law parameter of c->m (base units) or a
 * common one (G_min, G_max, w_init, w_init_lo, w_init_hi, d2d_sigma,
 * c2c_sigma, levels, stuck_min, stuck_max, retention_tau, w_rest,
 * read_sigma). Range errors and unknown names return MS_EINVAL / MS_ENOENT
 * with a message in err naming the parameter, the value and what was
 * expected. Rules between parameters (G_min < G_max, w_init_lo <=
 * w_init_hi, the model's own) are checked by ms__device_build, so the
 * order of the calls does not matter. */
int ms__device_set_param(ms__device_cfg *c, const char *name, double v,
                         char *err, size_t errlen);
/* Set an option by name: "mapping" (linear_G, linear_R), "d2d_dist"
 * (normal, lognormal), "rounding" (nearest, stochastic), or a model
 * option ("window" ...). */
int ms__device_set_option(ms__device_cfg *c, const char *name,
                          const char *value, char *err, size_t errlen);
/* Parameter tables for docs and the config reader. */
const ms_param_info *ms__device_common_params(size_t *n);

/* The devices of one projection, built from a cfg. */
typedef struct ms__device {
	ms__device_cfg c;
	uint64_t n;     /* synapses */
	double *ps;     /* n x n_params law parameters when d2d_sigma > 0 */
	uint8_t *stuck; /* per synapse: 0 free, 1 stuck at G_min, 2 at G_max;
	                   NULL when no device is stuck */
	double *t_last; /* time of the last update, when retention is on */
	uint64_t seed;
	uint32_t owner; /* ms__rng_owner of the projection's name */
} ms__device;

/* Check the cfg (cross-parameter rules, G_min < G_max, ...), then sample
 * the per-device parameters and stuck devices for n synapses (at most
 * 2^32), and write each synapse's initial state into w[0..n-1] (w may be
 * NULL). Time 0 is the time of the devices' last update for retention. */
int ms__device_build(ms__device *d, const ms__device_cfg *c, uint64_t n,
                     uint64_t seed, uint32_t owner, double *w, char *err,
                     size_t errlen);
void ms__device_free(ms__device *d);

/* Law parameters of synapse s (its own when spread, else the cfg's). */
const double *ms__device_params(const ms__device *d, uint64_t s);

/* dw/dt (1/ms) of synapse s at voltage V and state w. */
double ms__device_rate(const ms__device *d, uint64_t s, double V_mV, double w);

/* Conductance (nS) of state w under the mapping. */
double ms__device_G(const ms__device *d, double w);

/* State w of synapse s at time t after retention loss since its last
 * update (w itself when retention is off). */
double ms__device_state_at(const ms__device *d, uint64_t s, double w, double t);

/* Apply a change dw, computed for an event at time t, to state w of
 * synapse s and return the new state: retention since the last update,
 * cycle-to-cycle noise, bounds [0, 1], levels, stuck devices. kind
 * separates two updates of one synapse at the same time (0: pre, 1: post)
 * in the noise streams; 2 is taken by reads. */
double ms__device_update(ms__device *d, uint64_t s, double w, double dw,
                         double t, int kind);

/* Conductance (nS) seen by a read of synapse s at time t (retention and
 * read noise applied; stuck devices read G_min or G_max). */
double ms__device_read(const ms__device *d, uint64_t s, double w, double t);

#endif

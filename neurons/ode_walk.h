/*
 * ode_walk — the event-driven integration shared by the neuron models
 * integrated with the Dormand–Prince stepper (neurons/ode.h): hh,
 * hh_traub, izhikevich.
 *
 * Determinism (docs/models.md): a unit's committed state (t0, y0, first
 * step size h0) changes only at inputs, current steps and resets. From it
 * the stepper takes a canonical sequence of steps, the controller's; a
 * walk follows that sequence, so its steps depend only on the committed
 * state. Two walks per unit: the spike search and the one that reads the
 * state (peek) and commits it to a time. Committing to t cuts the step
 * that would pass t so that it ends on t. A spike is an upward crossing
 * of a level by component 0, located inside a step on the dense output
 * by bisection to adjacent doubles.
 *
 * The model owns everything else: the right-hand side and its context
 * (built by the model for each call, from the unit's committed state),
 * what an input does, what a spike does (ms__ode_pass for a model that
 * goes on through it, ms__ode_take_spike and a reset for one that jumps).
 */
#ifndef MS_NEURONS_ODE_WALK_H
#define MS_NEURONS_ODE_WALK_H

#include "neurons/ode.h"

/* Largest system a walk holds (hh, hh_traub: 4). Every walk has room for
 * this many components, so it stays small. */
#define MS__ODE_WALK_NMAX 4

/* What a population's units share: the system and the spike rule. */
typedef struct ms__ode_walker {
	int n;             /* components, 1 .. MS__ODE_WALK_NMAX */
	ms__ode_rhs f;     /* right-hand side; ctx comes with each call */
	double rtol, atol; /* the stepper's tolerances */
	double h_max;      /* longest step */
	double level;      /* spike: component 0 reaches it from below */
	double t_ref;      /* crossings sooner after a spike are none */
	int n_probe;       /* points per step where y_0 is compared with
	                      level; a crossing up and down between two of
	                      them is missed (error control keeps steps
	                      short around a spike) */
	int reset;         /* the model resets at a spike: a state at or
	                      above level is a spike at once, a step that
	                      fails (y diverges) is a spike at the last point
	                      reached. Otherwise a failed step silences the
	                      unit and a spike found at exactly the time of a
	                      commit stays pending through it. */
} ms__ode_walker;

/* The last step [ta, tb] of a walk along the canonical steps, with its
 * dense output; ta == tb: no step taken yet. */
typedef struct ms__ode_walk {
	double ta, tb;
	double ha;                       /* step size first tried at ta */
	double hb;                       /* step size to try at tb */
	double h;                        /* size of [ta, tb] as used */
	double yb[MS__ODE_WALK_NMAX];    /* y(tb) */
	double fb[MS__ODE_WALK_NMAX];    /* f(tb, y(tb)) */
	double d[5 * MS__ODE_WALK_NMAX]; /* dense output; d[0 .. n) = y(ta) */
} ms__ode_walk;

/* One unit: its committed state and its spike search. */
typedef struct ms__ode_unit {
	double t0, h0;                /* committed time, first step size */
	double y0[MS__ODE_WALK_NMAX]; /* committed state */
	double tc;                    /* next spike; NaN: not found yet */
	double t_clear;               /* every spike up to here found */
	double tref_end;              /* crossings before this are none */
	int armed;                    /* y_0 was below level since the last
	                                 spike or crossing, at t_clear */
	ms__ode_walk pw;              /* walk of the spike search */
	ms__ode_walk kw;              /* walk of peek and of commits */
} ms__ode_unit;

/* Start a unit at t0 from the state already in u->y0, first step h0. */
void ms__ode_start(const ms__ode_walker *m, ms__ode_unit *u, double t0,
                   double h0);

/* The committed state changed (an input, a current step, an initial
 * value): both walks go back to it and the spike search starts over; no
 * spike is pending, unless the model resets and y_0 is at or above the
 * level (a spike at t0). */
void ms__ode_restart(const ms__ode_walker *m, ms__ode_unit *u);

/* Move the committed state to t (no spike pending before t): the
 * canonical steps up to the last boundary before t, then steps cut to end
 * exactly at t (the dense output at t if those fail), then a restart. No
 * effect when t <= t0. */
void ms__ode_commit(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                    double t);

/* The next spike before t, searching as far as needed, or NaN when every
 * spike before t has been found and handled. The spike stays pending: the
 * caller emits it, then calls ms__ode_pass or resets the unit. */
double ms__ode_due(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                   double t);

/* Go on through the pending spike (no reset): the search continues after
 * it, disarmed until y_0 is below the level again, and no crossing counts
 * for t_ref. */
void ms__ode_pass(const ms__ode_walker *m, ms__ode_unit *u);

/* Commit the unit to the time of its pending spike, with the state there
 * from the dense output of the search's step (for a reset to overwrite);
 * the pending spike is then at t0. The caller resets y0 and restarts. */
void ms__ode_take_spike(const ms__ode_walker *m, ms__ode_unit *u);

/* The next spike, or the time up to which there is certainly none, after
 * a search reaching at least t_until when nothing is known beyond t. Not
 * earlier than t. Called when every spike before t has been handled. */
double ms__ode_bound(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                     double t, double t_until);

/* Component k at t >= t0, from the dense output of the canonical step
 * holding t; NaN when the integrator cannot reach t. */
double ms__ode_peek(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                    double t, int k);

#endif

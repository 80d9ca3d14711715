/*
 * ode_walk — canonical step walks, threshold search and commits for the
 * neuron models integrated with the Dormand–Prince 5(4) stepper
 * (neurons/ode.c). See neurons/ode_walk.h for the contract; the numerics
 * (stepper, dense output, bisection on it) are those of neurons/ode.c.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "neurons/ode_walk.h"

/* The copies below are of whole arrays (MS__ODE_WALK_NMAX components),
 * whatever n: fixed sizes the compiler inlines; the components past n are
 * never read. */
static void walk_reset(ms__ode_walk *w, const ms__ode_unit *u)
{
	w->ta = w->tb = u->t0;
	w->ha = w->hb = u->h0;
	w->h = 0.0;
	memcpy(w->yb, u->y0, sizeof(w->yb));
	memcpy(w->d, u->y0, sizeof(w->yb));
}

/* Take the next step of walk w, cut at t_end. Returns 0, or -1 when the
 * step size collapses (w unchanged). */
static int walk_step(const ms__ode_walker *m, const void *ctx, ms__ode_walk *w,
                     double t_end)
{
	/* h_min a few ulps of t: a smaller step would not move time. */
	ms__ode_sys s = {m->n,    m->f,
	                 ctx,     m->rtol,
	                 m->atol, fmax(1e-12, 8 * DBL_EPSILON * fabs(w->tb)),
	                 m->h_max};
	ms__ode_step st;

	if (ms__ode_step_once(&s, w->tb, w->yb, w->ta < w->tb ? w->fb : NULL,
	                      w->hb, t_end, &st))
		return -1;
	w->ta = st.t0;
	w->tb = st.t1;
	w->ha = w->hb;
	w->hb = st.h_next;
	w->h = st.h;
	memcpy(w->yb, st.y1, sizeof(w->yb));
	memcpy(w->fb, st.f1, sizeof(w->fb));
	memcpy(w->d, st.dense, sizeof(w->d));
	return 0;
}

/*
 * Search the part of the last step of the spike walk after t_clear: at
 * n_probe points y_0 is compared with the level; below arms the search, at
 * or above when armed is a crossing, located on the dense output between
 * the two points. A crossing before tref_end is no spike: it disarms the
 * search.
 */
static void search_step(const ms__ode_walker *m, ms__ode_unit *u)
{
	const ms__ode_walk *w = &u->pw;
	double prev = w->ta;

	for (int k = 1; k <= m->n_probe; k++) {
		double s =
		    k < m->n_probe ? w->ta + k * (w->h / m->n_probe) : w->tb;
		double v = k < m->n_probe
		               ? ms__ode_dense1(w->d, m->n, 0, w->ta, w->h, s)
		               : w->yb[0];

		if (s > u->t_clear) {
			if (u->armed && v >= m->level) {
				double tc = ms__ode_dense_rise(
				    w->d, m->n, 0, w->ta, w->h,
				    fmax(prev, u->t_clear), s, m->level);
				if (tc >= u->tref_end) {
					u->tc = tc;
					return;
				}
				u->armed = 0;
			} else if (v < m->level) {
				u->armed = 1;
			}
		}
		prev = s;
	}
	u->t_clear = w->tb;
}

/* Extend the spike search until the next spike is found or no spike is
 * certain up to t_until. When the integrator cannot go on (only for
 * parameters driving the state out of bounds) a unit with a reset spikes
 * there, one without falls silent. */
static void scan(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                 double t_until)
{
	while (isnan(u->tc) && u->t_clear < t_until) {
		if (u->t_clear >= u->pw.tb &&
		    walk_step(m, ctx, &u->pw, INFINITY)) {
			if (m->reset)
				u->tc = u->pw.tb;
			else
				u->t_clear = INFINITY;
			return;
		}
		search_step(m, u);
	}
}

/* Position walk kw on the step holding t (ta < t <= tb), t > t0. Both
 * walks take the same steps: when the spike search holds that step, it is
 * copied rather than computed again. */
static int seek(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                double t)
{
	ms__ode_walk *w = &u->kw;

	if (u->pw.ta < t && t <= u->pw.tb && !(w->ta < t && t <= w->tb)) {
		*w = u->pw;
		return 0;
	}
	if (t <= w->ta)
		walk_reset(w, u);
	while (w->tb < t)
		if (walk_step(m, ctx, w, INFINITY))
			return -1;
	return 0;
}

void ms__ode_start(const ms__ode_walker *m, ms__ode_unit *u, double t0,
                   double h0)
{
	u->t0 = t0;
	u->h0 = h0;
	u->tref_end = -INFINITY;
	ms__ode_restart(m, u);
}

void ms__ode_restart(const ms__ode_walker *m, ms__ode_unit *u)
{
	walk_reset(&u->pw, u);
	walk_reset(&u->kw, u);
	u->tc = m->reset && u->y0[0] >= m->level ? u->t0 : NAN;
	u->t_clear = u->t0;
	u->armed = u->y0[0] < m->level;
}

void ms__ode_commit(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                    double t)
{
	ms__ode_walk *w = &u->kw, cut;
	int pending = !m->reset && u->tc == t;

	if (t <= u->t0)
		return;
	if (seek(m, ctx, u, t) == 0) {
		/* From the last boundary before t, steps cut at t. */
		cut.ta = cut.tb = w->ta;
		cut.hb = w->ha;
		memcpy(cut.yb, w->d, m->n * sizeof(double));
		while (cut.tb < t && walk_step(m, ctx, &cut, t) == 0)
			;
		if (cut.tb == t)
			memcpy(u->y0, cut.yb, m->n * sizeof(double));
		else
			ms__ode_dense(w->d, m->n, w->ta, w->h, t, u->y0);
		u->h0 = w->ha;
	} else {
		/* Unreachable after the search reached t: it walked the same
		 * steps. Keep the last state reached. */
		memcpy(u->y0, w->yb, m->n * sizeof(double));
	}
	u->t0 = t;
	ms__ode_restart(m, u);
	if (pending)
		u->tc = t;
}

double ms__ode_due(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                   double t)
{
	if (isnan(u->tc) && u->t_clear < t)
		scan(m, ctx, u, t);
	return u->tc < t ? u->tc : NAN;
}

void ms__ode_pass(const ms__ode_walker *m, ms__ode_unit *u)
{
	u->tref_end = u->tc + m->t_ref;
	u->t_clear = u->tc;
	u->armed = 0;
	u->tc = NAN;
}

void ms__ode_take_spike(const ms__ode_walker *m, ms__ode_unit *u)
{
	const ms__ode_walk *w = &u->pw;

	if (u->tc > u->t0) {
		ms__ode_dense(w->d, m->n, w->ta, w->h, u->tc, u->y0);
		u->h0 = w->ha;
	}
	u->t0 = u->tc;
}

double ms__ode_bound(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                     double t, double t_until)
{
	if (isnan(u->tc) && u->t_clear <= t)
		scan(m, ctx, u, t_until);
	if (!isnan(u->tc))
		return fmax(u->tc, t);
	return u->t_clear;
}

double ms__ode_peek(const ms__ode_walker *m, const void *ctx, ms__ode_unit *u,
                    double t, int k)
{
	const ms__ode_walk *w = &u->kw;

	if (t <= u->t0)
		return u->y0[k];
	if (seek(m, ctx, u, t))
		return NAN;
	return ms__ode_dense1(w->d, m->n, k, w->ta, w->h, t);
}

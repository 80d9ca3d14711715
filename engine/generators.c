/*
 * generators — populations that only emit spikes: Poisson processes with a
 * piecewise-constant rate, and sources replaying given spike times.
 *
 * Poisson: the next spike after t is where the integrated rate
 * Lambda(t, t') = int_t^t' rate(u) du first reaches an Exp(1) draw (time
 * rescaling), which is exact for a piecewise-constant rate; each unit draws
 * from its own stream (seed, poisson, population, unit).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

/* ------------------------------------------------------------------------ */
/* Poisson                                                                  */

static const ms_param_info poisson_params[] = {
    {"rate", MS_DIM_RATE, 0.0, 0.0, 1e9, 0,
     "constant rate, used when no rate profile is given"},
};

typedef struct poisson {
	double *pt, *prate; /* profile: rate prate[k] (per ms) from pt[k] */
	size_t np;
	int has_profile;
	ms__rng *rng;
	double *next;
} poisson;

static poisson *poisson_get(ms__pop *p)
{
	if (!p->state)
		p->state = calloc(1, sizeof(poisson));
	return p->state;
}

/* First spike after t for unit i, consuming one draw. */
static double poisson_draw(poisson *G, uint32_t i, double t)
{
	double e = ms__rng_exp(&G->rng[i]);
	size_t k = 0;

	while (k + 1 < G->np && G->pt[k + 1] <= t)
		k++;
	if (G->np == 0 || t < G->pt[0]) {
		if (G->np == 0)
			return INFINITY;
		t = G->pt[0];
		k = 0;
	}
	for (; k < G->np; k++) {
		double end = k + 1 < G->np ? G->pt[k + 1] : INFINITY;
		double r = G->prate[k];
		if (r > 0.0) {
			double area = r * (end - t);
			if (e <= area)
				return t + e / r;
			e -= area;
		}
		t = end;
	}
	return INFINITY;
}

static int poisson_build(ms__pop *p, char *err, size_t errlen)
{
	poisson *G = poisson_get(p);

	(void)err;
	(void)errlen;
	if (!G)
		return MS_ENOMEM;
	if (!G->has_profile) {
		G->pt = malloc(sizeof(double));
		G->prate = malloc(sizeof(double));
		if (!G->pt || !G->prate)
			return MS_ENOMEM;
		G->pt[0] = p->net->t_now;
		G->prate[0] = p->param[0] / 1000.0;
		G->np = 1;
	}
	G->rng = malloc(p->n * sizeof(ms__rng));
	G->next = malloc(p->n * sizeof(double));
	if (!G->rng || !G->next)
		return MS_ENOMEM;
	for (uint32_t i = 0; i < p->n; i++) {
		ms__rng_init(&G->rng[i], p->net->seed, MS__RNG_POISSON,
		             ms__rng_owner(p->name), i);
		G->next[i] = poisson_draw(G, i, p->net->t_now);
	}
	return MS_OK;
}

static void poisson_destroy(ms__pop *p)
{
	poisson *G = p->state;

	if (!G)
		return;
	free(G->pt);
	free(G->prate);
	free(G->rng);
	free(G->next);
	free(G);
	p->state = NULL;
}

static void poisson_settle(ms__pop *p, uint32_t i, double t)
{
	poisson *G = p->state;

	while (G->next[i] < t) {
		double ts = G->next[i];
		G->next[i] = poisson_draw(G, i, ts);
		ms__emit_spike(p, i, ts);
	}
}

static double poisson_bound(ms__pop *p, uint32_t i, double t)
{
	poisson *G = p->state;

	(void)t;
	return G->next[i];
}

int ms_poisson_set_rate_profile(ms_net *net, int pop, const double *t_ms,
                                const double *rate_Hz, size_t n)
{
	ms__pop *p;
	poisson *G;
	double *nt, *nr;

	if (!net || pop < 0 || (size_t)pop >= net->n_pops)
		return MS_EINVAL;
	p = net->pops[pop];
	if (p->model != &ms__poisson_model)
		return ms__err(net, MS_EINVAL,
		               "population %s is not a poisson generator",
		               p->name);
	if (n == 0 || !t_ms || !rate_Hz)
		return ms__err(net, MS_EINVAL,
		               "rate profile of %s: expected at least one "
		               "(time, rate) pair",
		               p->name);
	for (size_t k = 0; k < n; k++) {
		if (!isfinite(t_ms[k]) || t_ms[k] < 0 ||
		    (k && !(t_ms[k] > t_ms[k - 1])))
			return ms__err(net, MS_EINVAL,
			               "rate profile of %s: times must be "
			               "finite, >= 0 ms and increasing "
			               "(entry %zu: %g ms)",
			               p->name, k, t_ms[k]);
		/* The rate parameter's bound: at a rate so high that the
		 * time to the next spike no longer advances the clock a run
		 * would never end. */
		if (!(rate_Hz[k] >= 0) ||
		    !(rate_Hz[k] <= poisson_params[0].max))
			return ms__err(net, MS_EINVAL,
			               "rate profile of %s: rate %zu must be "
			               "between 0 and %g Hz, got %g Hz",
			               p->name, k, poisson_params[0].max,
			               rate_Hz[k]);
	}
	G = poisson_get(p);
	nt = malloc(n * sizeof(double));
	nr = malloc(n * sizeof(double));
	if (!G || !nt || !nr) {
		free(nt);
		free(nr);
		return ms__err(net, MS_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < n; k++) {
		nt[k] = t_ms[k];
		nr[k] = rate_Hz[k] / 1000.0;
	}
	free(G->pt);
	free(G->prate);
	G->pt = nt;
	G->prate = nr;
	G->np = n;
	G->has_profile = 1;
	if (net->built) {
		/* Memorylessness makes a fresh draw from now exact. */
		for (uint32_t i = 0; i < p->n; i++) {
			G->next[i] = poisson_draw(G, i, net->t_now);
			ms__register_check(p, i, G->next[i]);
		}
	}
	return MS_OK;
}

const ms__model ms__poisson_model = {
    .name = "poisson",
    .is_generator = 1,
    .params = poisson_params,
    .n_params = 1,
    .weight_dim = MS_DIM_NONE,
    .build = poisson_build,
    .destroy = poisson_destroy,
    .settle = poisson_settle,
    .bound = poisson_bound,
};

/* ------------------------------------------------------------------------ */
/* Spike sources                                                            */

typedef struct source {
	uint64_t *off; /* CSR by unit over times */
	double *times;
	uint64_t *cur; /* next spike of each unit */
	/* spikes added before the first run */
	uint32_t *pid;
	double *pt;
	size_t np;
} source;

static source *source_get(ms__pop *p)
{
	if (!p->state)
		p->state = calloc(1, sizeof(source));
	return p->state;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Rebuild the per-unit arrays from the pending spikes of each unit plus
 * the new ones. */
static int source_merge(ms__pop *p, const uint32_t *ids, const double *t,
                        size_t n)
{
	source *S = p->state;
	uint64_t *off = calloc((size_t)p->n + 1, sizeof(uint64_t));
	uint64_t *fill = malloc(((size_t)p->n + 1) * sizeof(uint64_t));
	uint64_t *cur = malloc(p->n * sizeof(uint64_t));
	double *times;
	size_t total = n;

	if (!off || !fill || !cur)
		goto nomem;
	for (uint32_t i = 0; i < p->n; i++) {
		uint64_t pend = S->off ? S->off[i + 1] - S->cur[i] : 0;
		off[i + 1] = pend;
		total += pend;
	}
	for (size_t k = 0; k < n; k++)
		off[ids[k] + 1]++;
	for (uint32_t i = 0; i < p->n; i++)
		off[i + 1] += off[i];
	times = malloc((total ? total : 1) * sizeof(double));
	if (!times)
		goto nomem;
	memcpy(fill, off, ((size_t)p->n + 1) * sizeof(uint64_t));
	for (uint32_t i = 0; i < p->n && S->off; i++)
		for (uint64_t s = S->cur[i]; s < S->off[i + 1]; s++)
			times[fill[i]++] = S->times[s];
	for (size_t k = 0; k < n; k++)
		times[fill[ids[k]]++] = t[k];
	for (uint32_t i = 0; i < p->n; i++) {
		qsort(times + off[i], off[i + 1] - off[i], sizeof(double),
		      dbl_cmp);
		cur[i] = off[i];
	}
	free(S->off);
	free(S->times);
	free(S->cur);
	free(fill);
	S->off = off;
	S->times = times;
	S->cur = cur;
	return MS_OK;
nomem:
	free(off);
	free(fill);
	free(cur);
	return MS_ENOMEM;
}

int ms_spike_source_add(ms_net *net, int pop, const uint32_t *ids,
                        const double *times_ms, size_t n)
{
	ms__pop *p;
	source *S;
	int rc;

	if (!net || pop < 0 || (size_t)pop >= net->n_pops)
		return MS_EINVAL;
	p = net->pops[pop];
	if (p->model != &ms__spike_source_model)
		return ms__err(net, MS_EINVAL,
		               "population %s is not a spike_source", p->name);
	if (n && (!ids || !times_ms))
		return MS_EINVAL;
	for (size_t k = 0; k < n; k++) {
		if (ids[k] >= p->n)
			return ms__err(net, MS_EINVAL,
			               "spikes of %s: unit %u out of range "
			               "(size %u)",
			               p->name, ids[k], p->n);
		if (!isfinite(times_ms[k]) || times_ms[k] < net->t_now)
			return ms__err(net, MS_EINVAL,
			               "spikes of %s: time %g ms must be "
			               "finite and not before the current "
			               "time %g ms",
			               p->name, times_ms[k], net->t_now);
	}
	S = source_get(p);
	if (!S)
		return ms__err(net, MS_ENOMEM, "out of memory");
	if (!net->built) {
		uint32_t *ni = realloc(S->pid, (S->np + n + 1) * sizeof(*ni));
		double *nt;
		if (ni)
			S->pid = ni;
		nt = realloc(S->pt, (S->np + n + 1) * sizeof(*nt));
		if (nt)
			S->pt = nt;
		if (!ni || !nt)
			return ms__err(net, MS_ENOMEM, "out of memory");
		memcpy(S->pid + S->np, ids, n * sizeof(uint32_t));
		memcpy(S->pt + S->np, times_ms, n * sizeof(double));
		S->np += n;
		return MS_OK;
	}
	if ((rc = source_merge(p, ids, times_ms, n)))
		return ms__err(net, rc, "out of memory");
	for (uint32_t i = 0; i < p->n; i++)
		if (S->cur[i] < S->off[i + 1])
			ms__register_check(p, i, S->times[S->cur[i]]);
	return MS_OK;
}

static int source_build(ms__pop *p, char *err, size_t errlen)
{
	source *S = source_get(p);
	int rc;

	(void)err;
	(void)errlen;
	if (!S)
		return MS_ENOMEM;
	rc = source_merge(p, S->pid, S->pt, S->np);
	free(S->pid);
	free(S->pt);
	S->pid = NULL;
	S->pt = NULL;
	S->np = 0;
	return rc;
}

static void source_destroy(ms__pop *p)
{
	source *S = p->state;

	if (!S)
		return;
	free(S->off);
	free(S->times);
	free(S->cur);
	free(S->pid);
	free(S->pt);
	free(S);
	p->state = NULL;
}

static void source_settle(ms__pop *p, uint32_t i, double t)
{
	source *S = p->state;

	while (S->cur[i] < S->off[i + 1] && S->times[S->cur[i]] < t)
		ms__emit_spike(p, i, S->times[S->cur[i]++]);
}

static double source_bound(ms__pop *p, uint32_t i, double t)
{
	source *S = p->state;

	(void)t;
	return S->cur[i] < S->off[i + 1] ? S->times[S->cur[i]] : INFINITY;
}

const ms__model ms__spike_source_model = {
    .name = "spike_source",
    .is_generator = 1,
    .weight_dim = MS_DIM_NONE,
    .build = source_build,
    .destroy = source_destroy,
    .settle = source_settle,
    .bound = source_bound,
};

/*
 * connect — projections: connector rules and their CSR-by-source storage.
 *
 * Every random connector draws from streams keyed by (seed, connect,
 * projection name "pre->post#k", unit), so a network is the same whatever
 * order its projections were made in. Rows are ordered by (delay, target) so
 * that synapses sharing a delay form one contiguous delay group.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

static int bad(ms_net *net, const char *fmt, const char *a, const char *b,
               double v)
{
	return ms__err(net, MS_EINVAL, fmt, a, b, v);
}

int ms_net_connect(ms_net *net, int pre, int post, const ms_conn_spec *conn,
                   const ms_syn_spec *syn, int *proj)
{
	ms__pop *P, *Q;
	ms__proj *j, **nj;
	size_t n = 0;

	if (!net || !conn || !syn)
		return MS_EINVAL;
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "projections must be made before the first run");
	if (pre < 0 || (size_t)pre >= net->n_pops || post < 0 ||
	    (size_t)post >= net->n_pops)
		return ms__err(net, MS_EINVAL, "connect: no such population");
	P = net->pops[pre];
	Q = net->pops[post];
	if (!isfinite(syn->weight))
		return bad(net, "projection %s -> %s: weight %g is not finite",
		           P->name, Q->name, syn->weight);
	if (!(syn->delay_ms > 0) || !isfinite(syn->delay_ms))
		return bad(net,
		           "projection %s -> %s: delay must be a finite time "
		           "> 0 ms, got %g ms",
		           P->name, Q->name, syn->delay_ms);
	if (syn->receptor < MS_RECEPTOR_AUTO || syn->receptor > MS_RECEPTOR_INH)
		return ms__err(net, MS_EINVAL,
		               "projection %s -> %s: bad "
		               "receptor",
		               P->name, Q->name);
	switch (conn->rule) {
	case MS_CONN_ALL_TO_ALL:
		break;
	case MS_CONN_ONE_TO_ONE:
		if (P->n != Q->n)
			return ms__err(net, MS_EINVAL,
			               "projection %s -> %s: one_to_one needs "
			               "equal sizes (%u and %u)",
			               P->name, Q->name, P->n, Q->n);
		break;
	case MS_CONN_FIXED_PROB:
		if (!(conn->p >= 0.0 && conn->p <= 1.0))
			return bad(net,
			           "projection %s -> %s: probability p must "
			           "be in [0, 1], got %g",
			           P->name, Q->name, conn->p);
		break;
	case MS_CONN_FIXED_INDEGREE: {
		size_t avail = P->n - (pre == post && !conn->allow_self);
		if (conn->k > avail)
			return ms__err(net, MS_EINVAL,
			               "projection %s -> %s: in-degree k = %zu "
			               "exceeds the %zu available sources",
			               P->name, Q->name, conn->k, avail);
		break;
	}
	case MS_CONN_LIST:
		n = conn->n;
		if (n && (!conn->pre || !conn->post))
			return ms__err(net, MS_EINVAL,
			               "projection %s -> %s: list without "
			               "pre/post arrays",
			               P->name, Q->name);
		for (size_t k = 0; k < n; k++) {
			if (conn->pre[k] >= P->n || conn->post[k] >= Q->n)
				return ms__err(
				    net, MS_EINVAL,
				    "projection %s -> %s: pair %zu (%u, "
				    "%u) is out of range (sizes %u, %u)",
				    P->name, Q->name, k, conn->pre[k],
				    conn->post[k], P->n, Q->n);
			if (conn->weights && !isfinite(conn->weights[k]))
				return ms__err(net, MS_EINVAL,
				               "projection %s -> %s: weight of "
				               "pair %zu is not finite",
				               P->name, Q->name, k);
			if (conn->delays_ms && (!(conn->delays_ms[k] > 0) ||
			                        !isfinite(conn->delays_ms[k])))
				return ms__err(
				    net, MS_EINVAL,
				    "projection %s -> %s: delay of "
				    "pair %zu must be > 0 ms, got %g",
				    P->name, Q->name, k, conn->delays_ms[k]);
		}
		break;
	default:
		return ms__err(net, MS_EINVAL,
		               "projection %s -> %s: unknown connector rule %d",
		               P->name, Q->name, (int)conn->rule);
	}

	j = calloc(1, sizeof(*j));
	nj = realloc(net->projs, (net->n_projs + 1) * sizeof(*nj));
	if (!j || !nj) {
		free(j);
		if (nj)
			net->projs = nj;
		return ms__err(net, MS_ENOMEM, "out of memory");
	}
	net->projs = nj;
	j->pre = pre;
	j->post = post;
	j->conn = *conn;
	j->syn = *syn;
	j->conn.pre = j->conn.post = NULL;
	j->conn.weights = j->conn.delays_ms = NULL;
	if (conn->rule == MS_CONN_LIST && n) {
		j->l_pre = malloc(n * sizeof(uint32_t));
		j->l_post = malloc(n * sizeof(uint32_t));
		j->l_w = conn->weights ? malloc(n * sizeof(double)) : NULL;
		j->l_d = conn->delays_ms ? malloc(n * sizeof(double)) : NULL;
		if (!j->l_pre || !j->l_post || (conn->weights && !j->l_w) ||
		    (conn->delays_ms && !j->l_d)) {
			free(j->l_pre);
			free(j->l_post);
			free(j->l_w);
			free(j->l_d);
			free(j);
			return ms__err(net, MS_ENOMEM, "out of memory");
		}
		memcpy(j->l_pre, conn->pre, n * sizeof(uint32_t));
		memcpy(j->l_post, conn->post, n * sizeof(uint32_t));
		if (j->l_w)
			memcpy(j->l_w, conn->weights, n * sizeof(double));
		if (j->l_d)
			memcpy(j->l_d, conn->delays_ms, n * sizeof(double));
	}
	net->projs[net->n_projs++] = j;
	if (proj)
		*proj = (int)(net->n_projs - 1);
	return MS_OK;
}

/* A growable list of (pre, post, weight, delay) made by a connector. */
typedef struct edges {
	uint32_t *pre, *post;
	double *w, *d;
	size_t n, cap;
} edges;

static int edge_add(edges *e, uint32_t a, uint32_t b, double w, double d)
{
	if (e->n == e->cap) {
		size_t c = e->cap ? 2 * e->cap : 1024;
		uint32_t *np = realloc(e->pre, c * sizeof(uint32_t));
		uint32_t *nq;
		double *nw, *nd;
		if (np)
			e->pre = np;
		nq = realloc(e->post, c * sizeof(uint32_t));
		if (nq)
			e->post = nq;
		nw = realloc(e->w, c * sizeof(double));
		if (nw)
			e->w = nw;
		nd = realloc(e->d, c * sizeof(double));
		if (nd)
			e->d = nd;
		if (!np || !nq || !nw || !nd)
			return MS_ENOMEM;
		e->cap = c;
	}
	e->pre[e->n] = a;
	e->post[e->n] = b;
	e->w[e->n] = w;
	e->d[e->n] = d;
	e->n++;
	return MS_OK;
}

static void edges_free(edges *e)
{
	free(e->pre);
	free(e->post);
	free(e->w);
	free(e->d);
}

/* Stream name of projection k: "pre->post#m", m counting earlier
 * projections between the same two populations. */
uint32_t ms__proj_owner(const ms_net *net, int k)
{
	const ms__proj *j = net->projs[k];
	char key[3 * MS__NAME_MAX];
	int m = 0;

	for (int q = 0; q < k; q++)
		if (net->projs[q]->pre == j->pre &&
		    net->projs[q]->post == j->post)
			m++;
	snprintf(key, sizeof(key), "%s->%s#%d", net->pops[j->pre]->name,
	         net->pops[j->post]->name, m);
	return ms__rng_owner(key);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int gen_fixed_indegree(const ms_net *net, const ms__proj *j,
                              uint32_t owner, edges *e)
{
	const ms__pop *P = net->pops[j->pre], *Q = net->pops[j->post];
	int no_self = j->pre == j->post && !j->conn.allow_self;
	size_t k = j->conn.k;
	uint32_t *pick = malloc((k ? k : 1) * sizeof(uint32_t));

	if (!pick)
		return MS_ENOMEM;
	for (uint32_t t = 0; t < Q->n; t++) {
		uint32_t avail = P->n - (no_self ? 1 : 0);
		ms__rng r;
		size_t m = 0;
		ms__rng_init(&r, net->seed, MS__RNG_CONNECT, owner, t);
		/* Floyd's algorithm: k distinct values of [0, avail). */
		for (uint32_t v = avail - (uint32_t)k; v < avail; v++) {
			uint32_t x = (uint32_t)ms__rng_below(&r, v + 1);
			int seen = 0;
			for (size_t q = 0; q < m && !seen; q++)
				seen = pick[q] == x;
			pick[m++] = seen ? v : x;
		}
		qsort(pick, m, sizeof(uint32_t), u32_cmp);
		for (size_t q = 0; q < m; q++) {
			/* Skip the target itself by shifting the range. */
			uint32_t src = pick[q] + (no_self && pick[q] >= t);
			if (edge_add(e, src, t, j->syn.weight,
			             j->syn.delay_ms)) {
				free(pick);
				return MS_ENOMEM;
			}
		}
	}
	free(pick);
	return MS_OK;
}

static int generate(const ms_net *net, const ms__proj *j, uint32_t owner,
                    edges *e)
{
	if (j->conn.rule == MS_CONN_FIXED_INDEGREE)
		return gen_fixed_indegree(net, j, owner, e);
	for (size_t k = 0; k < j->conn.n; k++)
		if (edge_add(e, j->l_pre[k], j->l_post[k],
		             j->l_w ? j->l_w[k] : j->syn.weight,
		             j->l_d ? j->l_d[k] : j->syn.delay_ms))
			return MS_ENOMEM;
	return MS_OK;
}

/* Order inside a row: delay, then target, then input order (stable). */
typedef struct rowent {
	double d;
	uint32_t post;
	uint64_t idx;
} rowent;

static int rowent_cmp(const void *a, const void *b)
{
	const rowent *x = a, *y = b;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	if (x->post != y->post)
		return x->post < y->post ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Record where each row's runs of equal delay end, unless one delay serves
 * the whole projection (the common case: then rows need no groups). */
static int delay_groups(ms__proj *j, uint32_t n_pre)
{
	size_t ng = 0;
	int uniform = 1;

	if (!j->delay) { /* built with the projection's one delay */
		j->delay_all = j->syn.delay_ms;
		return MS_OK;
	}
	for (size_t s = 1; s < j->n && uniform; s++)
		uniform = j->delay[s] == j->delay[0];
	if (uniform) {
		/* The spike path then never touches the per-synapse array. */
		j->delay_all = j->n ? j->delay[0] : j->syn.delay_ms;
		return MS_OK;
	}
	j->gofs = malloc(((size_t)n_pre + 1) * sizeof(uint64_t));
	j->gend = malloc((j->n ? j->n : 1) * sizeof(uint64_t));
	if (!j->gofs || !j->gend)
		return MS_ENOMEM;
	for (uint32_t i = 0; i < n_pre; i++) {
		j->gofs[i] = ng;
		for (uint64_t s = j->row[i]; s < j->row[i + 1]; s++)
			if (s + 1 == j->row[i + 1] ||
			    j->delay[s + 1] != j->delay[s])
				j->gend[ng++] = s + 1;
	}
	j->gofs[n_pre] = ng;
	return MS_OK;
}

static uint8_t receptor_of(const ms__proj *j, double w)
{
	if (j->syn.receptor != MS_RECEPTOR_AUTO)
		return (uint8_t)j->syn.receptor;
	return w >= 0.0 ? MS_RECEPTOR_EXC : MS_RECEPTOR_INH;
}

/* Connectors that produce rows in source order write the CSR directly:
 * no edge list, no re-sorting, constant weight and delay. */
static int grow_u32(ms__arena *a, uint32_t **v, size_t *cap, size_t need)
{
	size_t c = *cap;
	uint32_t *nv;

	if (need <= c)
		return MS_OK;
	while (c < need)
		c = c ? 2 * c : 1024;
	if (ms__arena_owns(a, *v)) {
		/* An arena piece cannot grow: move to the heap. */
		nv = malloc(c * sizeof(uint32_t));
		if (nv)
			memcpy(nv, *v, *cap * sizeof(uint32_t));
	} else {
		nv = realloc(*v, c * sizeof(uint32_t));
	}
	if (!nv)
		return MS_ENOMEM;
	*v = nv;
	*cap = c;
	return MS_OK;
}

/* Room for the targets of a row connector: exact for all-to-all and
 * one-to-one, the mean plus ten standard deviations (and 1024) for fixed
 * probability, beyond which the array grows. */
static size_t row_capacity(const ms_net *net, const ms__proj *j)
{
	const ms__pop *P = net->pops[j->pre], *Q = net->pops[j->post];

	switch (j->conn.rule) {
	case MS_CONN_ALL_TO_ALL:
		return (size_t)P->n * Q->n;
	case MS_CONN_ONE_TO_ONE:
		return P->n;
	default: {
		double mean = j->conn.p * (double)P->n * (double)Q->n;
		return (size_t)(mean + 10.0 * sqrt(mean) + 1024.0);
	}
	}
}

/* Connectors whose rows come out in source order, written straight into
 * the CSR (build_rows); the others go through an edge list. */
static int writes_rows(const ms__proj *j)
{
	return j->conn.rule == MS_CONN_ALL_TO_ALL ||
	       j->conn.rule == MS_CONN_ONE_TO_ONE ||
	       j->conn.rule == MS_CONN_FIXED_PROB;
}

size_t ms__connect_arena_bytes(const ms_net *net, int k)
{
	const ms__proj *j = net->projs[k];
	size_t cap, per = sizeof(uint32_t) + sizeof(double);

	if (!writes_rows(j))
		return 0;
	cap = row_capacity(net, j);
	/* row, target, weight; 64 bytes of alignment each. Too large to
	 * count: SIZE_MAX, and the arena is not made. */
	if (cap > (SIZE_MAX / 2) / per)
		return SIZE_MAX;
	return ((size_t)net->pops[j->pre]->n + 1) * sizeof(uint64_t) +
	       cap * per + 3 * 64;
}

static int build_rows(ms_net *net, ms__proj *j, uint32_t owner)
{
	const ms__pop *P = net->pops[j->pre], *Q = net->pops[j->post];
	int no_self = j->pre == j->post && !j->conn.allow_self;
	double p = j->conn.p, log_q = log1p(-p);
	size_t n = 0, cap = row_capacity(net, j);

	j->row =
	    ms__arena_alloc(&net->arena, ((size_t)P->n + 1) * sizeof(uint64_t));
	j->target = ms__arena_alloc(&net->arena, cap * sizeof(uint32_t));
	if (!j->row || !j->target)
		return MS_ENOMEM;
	for (uint32_t i = 0; i < P->n; i++) {
		j->row[i] = n;
		if (j->conn.rule == MS_CONN_ONE_TO_ONE) {
			j->target[n++] = i;
			continue;
		}
		if (j->conn.rule == MS_CONN_ALL_TO_ALL) {
			for (uint32_t t = 0; t < Q->n; t++)
				if (!(no_self && t == i))
					j->target[n++] = t;
			continue;
		}
		if (p == 0.0)
			continue;
		{
			ms__rng r;
			double pos = -1.0;
			ms__rng_init(&r, net->seed, MS__RNG_CONNECT, owner, i);
			for (;;) {
				/* Geometric gaps between successes: exactly
				 * Bernoulli(p) per pair, in O(successes). */
				double gap =
				    p == 1.0
				        ? 0.0
				        : floor(log1p(-ms__rng_uniform(&r)) /
				                log_q);
				pos += 1.0 + gap;
				if (pos >= (double)Q->n)
					break;
				if (no_self && (uint32_t)pos == i)
					continue;
				if (grow_u32(&net->arena, &j->target, &cap,
				             n + 1))
					return MS_ENOMEM;
				j->target[n++] = (uint32_t)pos;
			}
		}
	}
	j->row[P->n] = n;
	j->n = n;
	/* One delay and one receptor for every synapse: no per-synapse
	 * arrays for them (delay_groups, ms__connect_build). */
	j->weight = ms__arena_alloc(&net->arena, n * sizeof(double));
	if (!j->weight)
		return MS_ENOMEM;
	for (size_t s = 0; s < n; s++)
		j->weight[s] = j->syn.weight;
	j->rec_all = receptor_of(j, j->syn.weight);
	return MS_OK;
}

/* The other connectors: an edge list, then a counting sort by source and a
 * sort of each row by (delay, target). */
static int build_edges(const ms_net *net, ms__proj *j, uint32_t owner)
{
	const ms__pop *P = net->pops[j->pre];
	edges e = {0};
	uint64_t *fill = NULL;
	rowent *tmp = NULL;
	int rc;

	rc = generate(net, j, owner, &e);
	if (rc)
		goto fail;
	rc = MS_ENOMEM;
	j->n = e.n;
	j->row = calloc((size_t)P->n + 1, sizeof(uint64_t));
	fill = malloc(((size_t)P->n + 1) * sizeof(uint64_t));
	j->target = malloc((e.n ? e.n : 1) * sizeof(uint32_t));
	j->weight = malloc((e.n ? e.n : 1) * sizeof(double));
	j->delay = malloc((e.n ? e.n : 1) * sizeof(double));
	j->receptor = malloc(e.n ? e.n : 1);
	tmp = malloc((e.n ? e.n : 1) * sizeof(rowent));
	if (!j->row || !fill || !j->target || !j->weight || !j->delay ||
	    !j->receptor || !tmp)
		goto fail;
	for (size_t s = 0; s < e.n; s++)
		j->row[e.pre[s] + 1]++;
	for (uint32_t i = 0; i < P->n; i++)
		j->row[i + 1] += j->row[i];
	memcpy(fill, j->row, ((size_t)P->n + 1) * sizeof(uint64_t));
	for (size_t s = 0; s < e.n; s++) {
		uint64_t at = fill[e.pre[s]]++;
		tmp[at] = (rowent){e.d[s], e.post[s], s};
	}
	/* Generated rows come out ordered by target with one delay; only
	 * explicit lists can be out of order. */
	for (uint32_t i = 0; j->conn.rule == MS_CONN_LIST && i < P->n; i++) {
		uint64_t a = j->row[i], b = j->row[i + 1];
		if (b - a > 1)
			qsort(tmp + a, b - a, sizeof(rowent), rowent_cmp);
	}
	for (size_t s = 0; s < e.n; s++) {
		double w = e.w[tmp[s].idx];
		j->target[s] = tmp[s].post;
		j->weight[s] = w;
		j->delay[s] = tmp[s].d;
		j->receptor[s] = receptor_of(j, w);
	}
	rc = MS_OK;
fail:
	free(tmp);
	free(fill);
	edges_free(&e);
	return rc;
}

int ms__connect_build(ms_net *net, int k)
{
	ms__proj *j = net->projs[k];
	const ms__pop *P = net->pops[j->pre];
	uint32_t owner = ms__proj_owner(net, k);
	int rc;

	if (writes_rows(j))
		rc = build_rows(net, j, owner);
	else
		rc = build_edges(net, j, owner);
	if (!rc && j->receptor) {
		j->rec_all = j->n ? j->receptor[0] : MS_RECEPTOR_EXC;
		for (size_t s = 1; s < j->n && j->rec_all >= 0; s++)
			if (j->receptor[s] != j->rec_all)
				j->rec_all = -1;
	}
	if (!rc)
		rc = delay_groups(j, P->n);
	if (rc)
		return ms__err(net, rc, "building projection %s -> %s: %s",
		               P->name, net->pops[j->post]->name,
		               ms_strerror(rc));
	return MS_OK;
}

size_t ms_net_projection_count(const ms_net *net)
{
	return net->n_projs;
}

size_t ms_net_projection_size(const ms_net *net, int proj)
{
	if (proj < 0 || (size_t)proj >= net->n_projs || !net->built)
		return 0;
	return net->projs[proj]->n;
}

int ms_net_projection_get(const ms_net *net, int proj, uint32_t *pre,
                          uint32_t *post, double *weight, double *delay_ms)
{
	const ms__proj *j;

	if (!net || proj < 0 || (size_t)proj >= net->n_projs)
		return MS_EINVAL;
	if (!net->built)
		return MS_ESTATE;
	j = net->projs[proj];
	for (uint32_t i = 0; i < net->pops[j->pre]->n; i++) {
		for (uint64_t s = j->row[i]; s < j->row[i + 1]; s++) {
			if (pre)
				pre[s] = i;
			if (post)
				post[s] = j->target[s];
			if (weight)
				weight[s] = j->weight[s];
			if (delay_ms)
				delay_ms[s] =
				    j->gofs ? j->delay[s] : j->delay_all;
		}
	}
	return MS_OK;
}

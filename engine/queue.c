/*
 * queue — calendar of windows with a far-future heap (see queue.h).
 */
#include "engine/queue.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memspike/memspike.h"

int ms__queue_init(ms__queue *q, double D, size_t nb)
{
	size_t size = 1;

	memset(q, 0, sizeof(*q));
	while (size < nb)
		size <<= 1;
	q->b = calloc(size, sizeof(*q->b));
	if (!q->b)
		return MS_ENOMEM;
	q->nb = size;
	q->D = D;
	q->inv_D = 1.0 / D;
	return MS_OK;
}

void ms__queue_free(ms__queue *q)
{
	for (size_t i = 0; i < q->nb; i++) {
		free(q->b[i].ev);
		free(q->b[i].chk);
	}
	free(q->b);
	free(q->far);
	memset(q, 0, sizeof(*q));
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return MS_OK;
	while (c < need)
		c *= 2;
	np = realloc(*p, c * elem);
	if (!np)
		return MS_ENOMEM;
	*p = np;
	*cap = c;
	return MS_OK;
}

static ms__bucket *slot(ms__queue *q, int64_t w)
{
	return &q->b[(uint64_t)w & (q->nb - 1)];
}

static int far_less(const ms__far *a, const ms__far *b)
{
	return a->win < b->win;
}

static int far_push(ms__queue *q, const ms__far *f)
{
	size_t i;

	if (grow((void **)&q->far, &q->capfar, q->nfar + 1, sizeof(*f)))
		return MS_ENOMEM;
	i = q->nfar++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!far_less(f, &q->far[parent]))
			break;
		q->far[i] = q->far[parent];
		i = parent;
	}
	q->far[i] = *f;
	return MS_OK;
}

static void far_pop(ms__queue *q)
{
	ms__far last = q->far[--q->nfar];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->nfar)
			break;
		if (c + 1 < q->nfar && far_less(&q->far[c + 1], &q->far[c]))
			c++;
		if (!far_less(&q->far[c], &last))
			break;
		q->far[i] = q->far[c];
		i = c;
	}
	if (q->nfar)
		q->far[i] = last;
}

static int ring_push(ms__queue *q, int64_t w, const ms__dev *ev)
{
	ms__bucket *b = slot(q, w);

	if (grow((void **)&b->ev, &b->cap, b->n + 1, sizeof(*ev)))
		return MS_ENOMEM;
	b->ev[b->n++] = *ev;
	b->sorted = 0;
	q->pending++;
	return MS_OK;
}

static int ring_push_check(ms__queue *q, int64_t w, uint64_t key)
{
	ms__bucket *b = slot(q, w);

	if (grow((void **)&b->chk, &b->capchk, b->nchk + 1, sizeof(key)))
		return MS_ENOMEM;
	b->chk[b->nchk++] = key;
	q->pending++;
	return MS_OK;
}

int ms__queue_push(ms__queue *q, const ms__dev *ev, int64_t min_w)
{
	int64_t w = ms__queue_win(q, ev->t);

	if (w < min_w)
		w = min_w;

	if (w < q->base + (int64_t)q->nb)
		return ring_push(q, w, ev);
	return far_push(q, &(ms__far){.win = w, .is_check = 0, .ev = *ev});
}

int ms__queue_push_check(ms__queue *q, int64_t w, uint64_t key)
{
	if (w < q->base + (int64_t)q->nb)
		return ring_push_check(q, w, key);
	return far_push(q, &(ms__far){.win = w, .is_check = 1, .chk = key});
}

int ms__queue_advance(ms__queue *q, int64_t w)
{
	int rc;

	if (w > q->base)
		q->base = w;
	while (q->nfar && q->far[0].win < q->base + (int64_t)q->nb) {
		ms__far f = q->far[0];
		far_pop(q);
		rc = f.is_check ? ring_push_check(q, f.win, f.chk)
		                : ring_push(q, f.win, &f.ev);
		if (rc)
			return rc;
	}
	return MS_OK;
}

/* The total order of deliveries: time, projection, first synapse. */
static int dev_cmp(const ms__dev *a, const ms__dev *b)
{
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->proj != b->proj)
		return a->proj < b->proj ? -1 : 1;
	if (a->s0 != b->s0)
		return a->s0 < b->s0 ? -1 : 1;
	return 0;
}

static int dev_cmp_void(const void *a, const void *b)
{
	return dev_cmp(a, b);
}

static void sort_devs(ms__dev *v, size_t n)
{
	/* Windows usually hold few entries: insertion sort wins there. */
	if (n > 32) {
		qsort(v, n, sizeof(*v), dev_cmp_void);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		ms__dev x = v[i];
		size_t j = i;
		while (j > 0 && dev_cmp(&x, &v[j - 1]) < 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

ms__bucket *ms__queue_bucket(ms__queue *q, int64_t w)
{
	ms__bucket *b = slot(q, w);

	if (!b->sorted) {
		/* An empty bucket may have no array yet (ev NULL). */
		if (b->n > b->head)
			sort_devs(b->ev + b->head, b->n - b->head);
		b->sorted = 1;
	}
	return b;
}

int64_t ms__queue_next_window(const ms__queue *q, int64_t from)
{
	int64_t best = INT64_MAX;

	if (from < q->base)
		from = q->base;
	if (q->pending) {
		int64_t end = q->base + (int64_t)q->nb;
		for (int64_t w = from; w < end; w++) {
			const ms__bucket *b = &q->b[(uint64_t)w & (q->nb - 1)];
			if (b->n > b->head || b->nchk) {
				best = w;
				break;
			}
		}
	}
	if (q->nfar && q->far[0].win < best)
		best = q->far[0].win;
	return best;
}

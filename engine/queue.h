/*
 * queue — the scheduler's calendar of windows.
 *
 * Time is cut into windows [w*D, (w+1)*D) of the minimum delay D. Each
 * window holds (a) deliveries: one entry per source spike and delay group,
 * sorted in the documented total order (time, projection, first synapse)
 * when the window is opened, and (b) checks: units that must be settled by
 * the end of the window, in no particular order (their processing does not
 * interact). A ring of buckets covers the near future; anything further
 * waits in a binary heap by window and moves into the ring as it comes
 * within reach. No allocation once the buffers have grown to the run's
 * needs.
 */
#ifndef MS_ENGINE_QUEUE_H
#define MS_ENGINE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ms__dev {
	double t;      /* arrival time, ms */
	uint32_t proj; /* projection */
	uint32_t n;    /* synapses in the delay group */
	uint64_t s0;   /* first synapse of the group (CSR index) */
} ms__dev;

typedef struct ms__bucket {
	ms__dev *ev;
	size_t n, cap, head; /* ev[head..n) are pending */
	int sorted;
	uint64_t *chk; /* (population << 32) | unit */
	size_t nchk, capchk;
} ms__bucket;

typedef struct ms__far {
	int64_t win;
	int is_check;
	ms__dev ev;
	uint64_t chk;
} ms__far;

typedef struct ms__queue {
	double D, inv_D;
	ms__bucket *b;
	size_t nb;    /* ring size, power of two */
	int64_t base; /* the ring holds windows [base, base + nb) */
	ms__far *far; /* heap by window */
	size_t nfar, capfar;
	size_t pending; /* entries in the ring */
} ms__queue;

int ms__queue_init(ms__queue *q, double D, size_t nb);
void ms__queue_free(ms__queue *q);

static inline double ms__queue_win_start(const ms__queue *q, int64_t w)
{
	return (double)w * q->D;
}

/* The last window: times at or after MS__WIN_MAX * D (beyond 10^14 ms for
 * any window width the engine uses) all fall into it. ms_net_run refuses to
 * run that far, so whatever is queued there never happens, but a model or
 * input may still name such a time (a bound far in the future) without the
 * window index overflowing. 2^52: every w * D below it is an exact product
 * of an integer-valued double. */
#define MS__WIN_MAX ((int64_t)1 << 52)

/* Window index of time t >= 0: w with w*D <= t < (w+1)*D, exact for the
 * doubles w*D (the division may round across a boundary; correct it);
 * MS__WIN_MAX for any later time. */
static inline int64_t ms__queue_win(const ms__queue *q, double t)
{
	int64_t w;

	if (!(t < (double)MS__WIN_MAX * q->D))
		return MS__WIN_MAX;
	w = (int64_t)(t * q->inv_D);

	while (w > 0 && t < ms__queue_win_start(q, w))
		w--;
	while (t >= ms__queue_win_start(q, w + 1))
		w++;
	return w;
}

/* Add a delivery into the window of its time, or into min_w if that is
 * later (a time that rounds onto a window boundary from below). */
int ms__queue_push(ms__queue *q, const ms__dev *ev, int64_t min_w);
/* Add a check of unit key in window w (w >= base). */
int ms__queue_push_check(ms__queue *q, int64_t w, uint64_t key);

/* Move the ring so that it starts at window w (all earlier windows must be
 * empty) and pull in far entries that now fit. */
int ms__queue_advance(ms__queue *q, int64_t w);

/* The bucket of window w (base <= w < base + nb), deliveries sorted. */
ms__bucket *ms__queue_bucket(ms__queue *q, int64_t w);

/* The first window >= from that has anything, or INT64_MAX. */
int64_t ms__queue_next_window(const ms__queue *q, int64_t from);

#endif

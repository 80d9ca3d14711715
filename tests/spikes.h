/*
 * spikes — what the model suites record of a run and how they compare two:
 * every spike (population, unit, time) through the spike callback, a
 * parameter setter that fails the test with the library's message, the
 * comparison of two trains bit for bit, and the reader of the reference
 * files in /work/shared/reference.
 *
 * Include after <check.h>. A suite that needs more spikes defines
 * MAX_SPIKES before including this.
 */
#ifndef MS_TESTS_SPIKES_H
#define MS_TESTS_SPIKES_H

#include <stdio.h>
#include <stdlib.h>

#include "memspike/memspike.h"

#ifndef MAX_SPIKES
#define MAX_SPIKES 20000
#endif

/* Spikes of every population, in the order they were emitted. */
typedef struct spikes {
	size_t n;
	int pop[MAX_SPIKES];
	uint32_t id[MAX_SPIKES];
	double t[MAX_SPIKES];
} spikes;

/* The spike callback: user is a spikes; spikes beyond MAX_SPIKES are
 * dropped (suites check n < MAX_SPIKES where that matters). */
static inline void on_spike(int pop, uint32_t id, double t, void *user)
{
	spikes *s = user;

	if (s->n < MAX_SPIKES) {
		s->pop[s->n] = pop;
		s->id[s->n] = id;
		s->t[s->n++] = t;
	}
}

static inline void set(ms_net *net, int p, const char *name, double v)
{
	ck_assert_msg(ms_pop_set_param(net, p, name, v) == MS_OK, "%s: %s",
	              name, ms_net_errmsg(net));
}

/* Spikes of population pop. */
static inline size_t count_pop(const spikes *s, int pop)
{
	size_t n = 0;

	for (size_t k = 0; k < s->n; k++)
		n += s->pop[k] == pop;
	return n;
}

/* Both trains hold the same spikes in the same order, times equal to the
 * bit. */
static inline int same_trains(const spikes *a, const spikes *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t k = 0; k < a->n; k++)
		if (a->pop[k] != b->pop[k] || a->id[k] != b->id[k] ||
		    a->t[k] != b->t[k])
			return 0;
	return 1;
}

/* Fail unless same_trains(a, b), naming the first difference and what. */
static inline void assert_same_trains(const spikes *a, const spikes *b,
                                      const char *what)
{
	ck_assert_msg(a->n == b->n, "%s: %zu vs %zu spikes", what, a->n, b->n);
	for (size_t k = 0; k < a->n; k++)
		ck_assert_msg(a->pop[k] == b->pop[k] && a->id[k] == b->id[k] &&
		                  a->t[k] == b->t[k],
		              "%s: spike %zu: %d/%u at %.17g vs %d/%u at %.17g",
		              what, k, a->pop[k], a->id[k], a->t[k], b->pop[k],
		              b->id[k], b->t[k]);
}

/* Rows of up to two numbers ("t" or "t,V") of reference file name in
 * $MS_SOURCE_ROOT/../shared/reference into a (and b when not NULL);
 * header lines are skipped. Returns the rows read, 0 when the file is not
 * there. */
static inline size_t read_reference(const char *name, double *a, double *b,
                                    size_t max)
{
	const char *root = getenv("MS_SOURCE_ROOT");
	char path[4096], line[512];
	size_t n = 0;
	FILE *f;

	if (!root)
		return 0;
	snprintf(path, sizeof(path), "%s/../shared/reference/%s", root, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *end;
		double v = strtod(line, &end);
		if (end == line)
			continue;
		a[n] = v;
		if (b)
			b[n] = strtod(end + 1, NULL);
		n++;
	}
	fclose(f);
	return n;
}

#endif

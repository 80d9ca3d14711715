/* arena — one block for the synapse arrays, on huge pages where possible. */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE (Linux) */
#include "engine/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#define MS__HUGE_PAGE ((size_t)2 << 20)
#define MS__PIECE     ((size_t)64)

int ms__arena_init(ms__arena *a, size_t bytes)
{
	size_t align = bytes >= MS__HUGE_PAGE ? MS__HUGE_PAGE : MS__PIECE;
	void *p;

	memset(a, 0, sizeof(*a));
	if (!bytes)
		return 0;
	if (bytes > SIZE_MAX - MS__HUGE_PAGE)
		return -1;
	bytes = (bytes + align - 1) & ~(align - 1);
	if (posix_memalign(&p, align, bytes))
		return -1;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	/* Advice only: without huge pages the arena works the same. */
	if (align == MS__HUGE_PAGE)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
	a->base = p;
	a->size = bytes;
	return 0;
}

void *ms__arena_alloc(ms__arena *a, size_t bytes)
{
	size_t need = (bytes + MS__PIECE - 1) & ~(MS__PIECE - 1);

	if (bytes && need <= a->size - a->used) {
		void *p = a->base + a->used;
		a->used += need;
		return p;
	}
	return malloc(bytes ? bytes : 1);
}

int ms__arena_owns(const ms__arena *a, const void *p)
{
	const char *c = p;

	return a->base && c >= a->base && c < a->base + a->size;
}

void ms__arena_release(const ms__arena *a, void *p)
{
	if (!ms__arena_owns(a, p))
		free(p);
}

void ms__arena_free(ms__arena *a)
{
	free(a->base);
	memset(a, 0, sizeof(*a));
}

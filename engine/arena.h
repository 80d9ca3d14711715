/*
 * arena — one block for the synapse arrays of a network.
 *
 * Filling a network's synapse arrays touches every page of them once; on
 * the virtual machines this project is measured on, a page fault costs a
 * few microseconds, more than drawing the synapse. The arena is sized once,
 * before the projections are built, and on Linux backed by transparent huge
 * pages (madvise MADV_HUGEPAGE) when it spans at least one: one fault per
 * 2 MiB instead of one per 4 KiB. Pieces are carved in order and never
 * freed on their own; the whole block goes with the network.
 */
#ifndef MS_ENGINE_ARENA_H
#define MS_ENGINE_ARENA_H

#include <stddef.h>

typedef struct ms__arena {
	char *base;
	size_t size, used;
} ms__arena;

/* Reserve bytes (0: no block). Returns 0, or -1 if out of memory (the
 * arena is then empty and every request falls back to malloc). */
int ms__arena_init(ms__arena *a, size_t bytes);

/* A 64-byte aligned piece of bytes from the arena, or from malloc when it
 * does not fit; NULL only when malloc fails. */
void *ms__arena_alloc(ms__arena *a, size_t bytes);

/* free() for pieces that may come from the arena. */
void ms__arena_release(const ms__arena *a, void *p);

/* Whether p lies in the arena (such a piece cannot be realloc'ed). */
int ms__arena_owns(const ms__arena *a, const void *p);

void ms__arena_free(ms__arena *a);

#endif

/*
 * recorder — streams spikes and state traces to an HDF5 file in the SONATA
 * layout (docs/formats.md). One writer thread owns every HDF5 call; the
 * simulation thread only copies data into bounded blocks and hands them
 * over, blocking when the writer falls behind so memory stays bounded.
 *
 * Call order: open, add_* (before any append), append spikes/frames any
 * number of times, close. All functions return 0 or a negative MS_E* code
 * and, on error, write a message into the recorder's error text. Call them
 * from one thread (the writer thread is internal).
 *
 * A write error (full disk, file-size limit) is kept: the first one is
 * returned by every later append, by ms__rec_set_meta and ms__rec_close,
 * data appended after it are dropped, and the file is still closed valid
 * with what was written before it.
 */
#ifndef MS_ENGINE_RECORDER_H
#define MS_ENGINE_RECORDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ms__rec ms__rec;

/* Create the file (truncate) and start the writer thread. When the file
 * cannot be created, returns MS_EIO with a message naming the path and the
 * reason, and leaves no file behind. */
int ms__rec_open(const char *path, ms__rec **out, char *err, size_t errlen);

/* Declare a population whose spikes are recorded in /spikes/<name>.
 * n_nodes is the population size (stored in metadata for mean rates). */
int ms__rec_add_spikes(ms__rec *r, const char *pop_name, uint64_t n_nodes,
                       int *handle);

/* Declare a trace of one variable of n units of a population, sampled at
 * t_start_ms + k * dt_ms. Frames are written to /report/<pop_name>/... for
 * the first variable of that population; every variable also appears under
 * /memspike/report/<pop_name>/<var> (docs/formats.md). */
int ms__rec_add_report(ms__rec *r, const char *pop_name, const char *var,
                       const char *units, const uint64_t *node_ids, size_t n,
                       double t_start_ms, double dt_ms, int *handle);

/* Declare a report of one variable of n synapses of a projection, columns
 * in the order given by src_ids / trg_ids (source and target unit of each
 * synapse), sampled at t_start_ms + k * dt_ms, into
 * /memspike/synapses/<proj_name>/<var> (docs/formats.md). Frames are
 * appended with ms__rec_frame. */
int ms__rec_add_syn_report(ms__rec *r, const char *proj_name, const char *var,
                           const char *units, const uint64_t *src_ids,
                           const uint64_t *trg_ids, size_t n, double t_start_ms,
                           double dt_ms, int *handle);
/* Append spikes (times in ms, node ids local to the population). Times must
 * be finite and non-decreasing across calls, ids below n_nodes; otherwise
 * MS_EINVAL and nothing of the call is appended. Copies the data: usually a
 * memcpy into the current block; waits only when the writer is a whole pool
 * of blocks behind. */
int ms__rec_spikes(ms__rec *r, int handle, const double *t_ms,
                   const uint64_t *node_ids, size_t n);

/* Append one frame (n values, the report's units). Copies the data. */
int ms__rec_frame(ms__rec *r, int handle, const float *values);

/* What the engine knows at the end, for /memspike/run (docs/formats.md). */
typedef struct ms__rec_pop_meta {
	const char *name;
	const char *model;
	uint64_t n_nodes;
	uint64_t n_spikes;
} ms__rec_pop_meta;

typedef struct ms__rec_meta {
	const char *version; /* memspike version */
	uint64_t seed;
	const char *config_text;      /* may be NULL */
	const char *config_path;      /* may be NULL */
	double t_start_ms, t_stop_ms; /* simulated interval */
	double wall_s;
	int interrupted; /* run was stopped early */
	const ms__rec_pop_meta *pops;
	size_t n_pops;
} ms__rec_meta;

/* Write the metadata (may be called several times; the last call wins),
 * flush every block and write the final dataset sizes. Returns the first
 * write error if any; its text is then in ms__rec_error(), which is the way
 * to get it (ms__rec_close frees r). */
int ms__rec_set_meta(ms__rec *r, const ms__rec_meta *meta);

/* Flush, write the final sizes, stop the writer, close the file and free r.
 * Returns the first error the writer met (for instance a full disk), if
 * any; the file is closed and valid in every case. r may be NULL. */
int ms__rec_close(ms__rec *r);

/* Text of the first error (empty string if none). */
const char *ms__rec_error(const ms__rec *r);

#endif

/*
 * recorder — streams spikes and traces to an HDF5 file in the SONATA layout
 * (docs/formats.md is the specification of what is written here).
 *
 * Two threads share an ms__rec. The caller (the simulation) copies spikes
 * and frames into fixed-size blocks and queues a block when it is full; the
 * writer thread makes every HDF5 call, creating and closing the file too,
 * and puts written blocks back on a free list. At most one block per stream
 * plus REC_SPARE_BLOCKS exist, so memory does not grow with the length of a
 * run; a caller that outpaces the disk waits for a free block. Setup,
 * metadata and closing are synchronous jobs queued behind the blocks, so
 * their result includes everything appended before them.
 *
 * Full disks: when a write fails half-way, HDF5 still records the space it
 * allocated, and the closed file has a superblock claiming more bytes than
 * the file holds, so it no longer opens. The writer therefore keeps the file
 * physically REC_MARGIN bytes longer than HDF5's end of allocation, reserving
 * space with posix_fallocate() before each write. When a reservation fails
 * it writes no more data, keeps the error, and finishes the file inside the
 * reserved room; after closing it trims the file to the end of allocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <uv.h>

#include <memspike/memspike.h>
#include "engine/recorder.h"

/* Bytes of data a block holds: 16 Ki spikes of (8-byte time, 8-byte id),
 * one chunk of each dataset. Small blocks are recycled soon, so that a run
 * touches few fresh pages (each a page fault, some microseconds on virtual
 * machines): 1 MiB blocks cost CUBA 1000 more faults over 10 s. */
#define REC_BLOCK_BYTES ((size_t)1 << 18)
/* Blocks that may wait for the writer besides the one each stream fills. */
#define REC_SPARE_BLOCKS 4
/* Spikes per chunk of timestamps/node_ids: 128 KiB per dataset, inside
 * HDF5's advice (10 KiB - 1 MiB) and small enough that a short run does not
 * leave megabytes of empty chunk space in the file. */
#define REC_SPIKE_CHUNK 16384
/* Values per chunk of report data (256 KiB of float32). */
#define REC_REPORT_CHUNK 65536
/* Room kept allocated beyond HDF5's end of allocation, for the metadata
 * that HDF5 writes while appending and closing (B-tree nodes, headers). */
#define REC_MARGIN   ((uint64_t)1 << 20)
#define REC_NAME_MAX 63
#define REC_MSG_LEN  512

enum stream_kind { STREAM_SPIKES, STREAM_REPORT };

enum job_kind {
	JOB_SPIKES,
	JOB_FRAMES,
	JOB_ADD_SPIKES,
	JOB_ADD_REPORT,
	JOB_META,
	JOB_CLOSE,
};

/* One recorded thing: the spikes of a population or one traced variable. */
struct stream {
	enum stream_kind kind;
	char pop[REC_NAME_MAX + 1];
	char var[REC_NAME_MAX + 1];
	char units[REC_NAME_MAX + 1];
	int syn;            /* report of synapses (/memspike/synapses/...) */
	uint64_t n_nodes;   /* spikes: population size, bound of node ids */
	size_t n;           /* report: values per frame */
	double t_start, dt; /* report: sample times t_start + k * dt */
	hsize_t chunk[2];   /* spikes: {chunk}; report: {frames, values} */
	/* Caller side. */
	struct job *cur;  /* block being filled, NULL if none */
	size_t fill, cap; /* spikes or frames in cur; what a block holds */
	double last_t;    /* spikes: latest time appended */
	/* Writer side. */
	hid_t d_a, d_b;   /* timestamps+node_ids or data+mapping/time */
	uint64_t written; /* spikes or frames in the file */
};

/* A request to the writer. Blocks of data are jobs that go back to the free
 * list once written; the other kinds live on the caller's stack while the
 * caller waits for done. */
struct job {
	struct job *next;
	enum job_kind kind;
	struct stream *st; /* data and add jobs */
	void *data;        /* data jobs: buffer of block_bytes */
	size_t count;      /* data jobs: spikes or frames in data */
	const void *arg;   /* add_report: node (or source) ids; meta */
	const void *arg2;  /* add_report of synapses: target ids */
	int first;         /* add_report: first variable of its population */
	int done, rc;      /* synchronous jobs */
};

struct ms__rec {
	char *path;

	/* Shared, under lock. */
	uv_mutex_t lock;
	uv_cond_t writer_cv; /* a job was queued */
	uv_cond_t caller_cv; /* a block came back or a job finished */
	uv_thread_t thread;
	struct job *head, *tail; /* queued jobs, oldest first */
	struct job *free;        /* written blocks */
	int open_done, open_rc;
	int existed; /* the path named a file before ms__rec_open */

	/* First write error; io_msg is complete before io_code is published,
	 * so the caller may read it without the lock after seeing io_code. */
	atomic_int io_code;
	char io_msg[REC_MSG_LEN];

	/* Caller thread. The writer reads streams only during synchronous
	 * jobs, while the caller waits. */
	struct stream **streams;
	size_t n_streams;
	int started; /* blocks exist: no more streams */
	size_t block_bytes;
	size_t n_blocks, max_blocks;
	char msg[REC_MSG_LEN]; /* error of the last failing call */

	/* Writer thread. */
	hid_t file, str_type, sorting_type;
	int fd;         /* the file again, to reserve space */
	off_t reserved; /* bytes of the file known to be allocated */
	int have_run;   /* /memspike/run exists */
};

/* ------------------------------------------------------------------------ */
/* Caller side                                                              */

static int fail(ms__rec *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* The writer's first error (0 if none), also made the call's message. */
static int io_error(ms__rec *r)
{
	int code = atomic_load_explicit(&r->io_code, memory_order_acquire);

	if (code < 0)
		snprintf(r->msg, sizeof(r->msg), "%s", r->io_msg);
	return code;
}

/* Names become HDF5 link names: the population-name rule of memspike.h,
 * minus "." and "..", which HDF5 paths would read as groups. */
static int valid_name(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	if (n == 0 || n > REC_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	return strspn(s, ok) == n;
}

/* Caller holds the lock. */
static void enqueue(ms__rec *r, struct job *job)
{
	job->next = NULL;
	if (r->tail)
		r->tail->next = job;
	else
		r->head = job;
	r->tail = job;
	uv_cond_signal(&r->writer_cv);
}

/* Queue a synchronous job behind every block already queued and wait until
 * the writer has done it; returns its result. */
static int run_job(ms__rec *r, struct job *job)
{
	job->done = 0;
	uv_mutex_lock(&r->lock);
	enqueue(r, job);
	while (!job->done)
		uv_cond_wait(&r->caller_cv, &r->lock);
	uv_mutex_unlock(&r->lock);
	if (job->rc < 0)
		io_error(r);
	return job->rc;
}

/* Fix the block size once every stream is known: a spike block, or the
 * largest report block if a frame is bigger. */
static void start(ms__rec *r)
{
	size_t i, bytes;

	r->started = 1;
	r->block_bytes = REC_BLOCK_BYTES;
	for (i = 0; i < r->n_streams; i++) {
		if (r->streams[i]->kind != STREAM_REPORT)
			continue;
		bytes = r->streams[i]->cap * r->streams[i]->n * sizeof(float);
		if (bytes > r->block_bytes)
			r->block_bytes = bytes;
	}
	r->max_blocks = r->n_streams + REC_SPARE_BLOCKS;
}

/* Give st an empty block: a written one from the free list, a new one while
 * fewer than max_blocks exist, or else the next one the writer frees. */
static int take_block(ms__rec *r, struct stream *st)
{
	struct job *b = NULL;

	if (!r->started)
		start(r);
	uv_mutex_lock(&r->lock);
	while (!r->free && r->n_blocks >= r->max_blocks)
		uv_cond_wait(&r->caller_cv, &r->lock);
	if (r->free) {
		b = r->free;
		r->free = b->next;
	}
	uv_mutex_unlock(&r->lock);
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			goto fail_nomem;
		b->data = malloc(r->block_bytes);
		if (!b->data)
			goto fail_data;
		r->n_blocks++;
	}
	b->kind = st->kind == STREAM_SPIKES ? JOB_SPIKES : JOB_FRAMES;
	b->st = st;
	st->cur = b;
	st->fill = 0;
	return 0;

fail_data:
	free(b);
fail_nomem:
	return fail(r, MS_ENOMEM, "%s: out of memory for a %zu-byte block",
	            r->path, r->block_bytes);
}

/* Queue the block of st for the writer; st then has none. */
static void hand_over(ms__rec *r, struct stream *st)
{
	st->cur->count = st->fill;
	uv_mutex_lock(&r->lock);
	enqueue(r, st->cur);
	uv_mutex_unlock(&r->lock);
	st->cur = NULL;
	st->fill = 0;
}

/* Queue every partly filled block, so that a synchronous job queued next
 * covers everything appended so far. */
static void hand_over_partial(ms__rec *r)
{
	size_t i;

	for (i = 0; i < r->n_streams; i++)
		if (r->streams[i]->cur && r->streams[i]->fill > 0)
			hand_over(r, r->streams[i]);
}

static void free_blocks(struct job *b)
{
	struct job *next;

	for (; b; b = next) {
		next = b->next;
		free(b->data);
		free(b);
	}
}

/* Free r and all its blocks; the writer thread has ended. */
static void destroy(ms__rec *r)
{
	size_t i;

	free_blocks(r->free);
	for (i = 0; i < r->n_streams; i++) {
		if (r->streams[i]->cur) {
			r->streams[i]->cur->next = NULL;
			free_blocks(r->streams[i]->cur);
		}
		free(r->streams[i]);
	}
	free(r->streams);
	uv_cond_destroy(&r->caller_cv);
	uv_cond_destroy(&r->writer_cv);
	uv_mutex_destroy(&r->lock);
	free(r->path);
	free(r);
}

static void writer_main(void *arg);

/* Start the writer with every signal blocked, so that SIGINT/SIGTERM reach
 * the simulation's handler and a file-size limit (SIGXFSZ) turns into a
 * write error instead of killing the process. */
static int start_writer(ms__rec *r)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = uv_thread_create(&r->thread, writer_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static const char *errtext(int e, char *buf, size_t len);

/* Can a file be created at path? Creates it (empty) if it did not exist;
 * *existed says whether it did. */
static int check_path(const char *path, int *existed, char *err, size_t errlen)
{
	char reason[128];
	struct stat sb;
	int fd;

	*existed = stat(path, &sb) == 0;
	if (*existed && S_ISDIR(sb.st_mode)) {
		if (err && errlen)
			snprintf(err, errlen,
			         "%s: cannot create: is a directory", path);
		return MS_EIO;
	}
	/* A device or a pipe cannot hold an HDF5 file (which needs its
	 * space reserved and its end trimmed), and must never be removed
	 * when creating the file fails. */
	if (*existed && !S_ISREG(sb.st_mode)) {
		if (err && errlen)
			snprintf(err, errlen,
			         "%s: cannot create: not a regular file", path);
		return MS_EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot create: %s", path,
			         errtext(errno, reason, sizeof(reason)));
		return MS_EIO;
	}
	close(fd);
	return 0;
}

int ms__rec_open(const char *path, ms__rec **out, char *err, size_t errlen)
{
	ms__rec *r;
	int rc = MS_ENOMEM;

	if (!path || !*path || !out) {
		if (err && errlen)
			snprintf(err, errlen, "recorder: no output path given");
		return MS_EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto fail_alloc;
	r->path = strdup(path);
	if (!r->path)
		goto fail_path;
	atomic_init(&r->io_code, 0);
	r->file = H5I_INVALID_HID;
	r->str_type = H5I_INVALID_HID;
	r->sorting_type = H5I_INVALID_HID;
	r->fd = -1;
	/* What a user gets wrong (a directory, a missing directory, no
	 * permission) is found here, at once; HDF5 then creates the file in
	 * the writer while the caller goes on building its network, and a
	 * later failure there is reported by the next call that waits for
	 * the writer (adding a stream, closing). */
	if ((rc = check_path(path, &r->existed, err, errlen)))
		goto fail_check;
	rc = MS_ENOMEM;
	if (uv_mutex_init(&r->lock))
		goto fail_lock;
	if (uv_cond_init(&r->writer_cv))
		goto fail_writer_cv;
	if (uv_cond_init(&r->caller_cv))
		goto fail_caller_cv;
	if (start_writer(r))
		goto fail_thread;
	*out = r;
	return 0;

fail_thread:
	uv_cond_destroy(&r->caller_cv);
fail_caller_cv:
	uv_cond_destroy(&r->writer_cv);
fail_writer_cv:
	uv_mutex_destroy(&r->lock);
fail_lock:
	if (!r->existed)
		unlink(path);
fail_check:
	free(r->path);
fail_path:
	free(r);
fail_alloc:
	if (rc != MS_EIO && err && errlen)
		snprintf(err, errlen, "%s: cannot start the recorder", path);
	return rc;
}

/* Append a new stream, or fail if a stream of that kind and name exists
 * or data has been appended already. */
static int new_stream(ms__rec *r, enum stream_kind kind, const char *pop,
                      const char *var, struct stream **out)
{
	struct stream **grown, *st;
	size_t i;

	if (r->started)
		return fail(r, MS_ESTATE,
		            "%s: recording of '%s' declared after data was "
		            "appended",
		            r->path, pop);
	for (i = 0; i < r->n_streams; i++) {
		st = r->streams[i];
		if (st->kind == kind && !st->syn && !strcmp(st->pop, pop) &&
		    (kind == STREAM_SPIKES || !strcmp(st->var, var)))
			return fail(r, MS_EINVAL,
			            "%s: %s%s%s of population '%s' already "
			            "recorded",
			            r->path, var ? "variable '" : "spikes",
			            var ? var : "", var ? "'" : "", pop);
	}
	if (r->n_streams >= (size_t)INT32_MAX)
		return fail(r, MS_EINVAL, "%s: too many streams", r->path);
	grown = realloc(r->streams, (r->n_streams + 1) * sizeof(*grown));
	if (!grown)
		return fail(r, MS_ENOMEM, "%s: out of memory", r->path);
	r->streams = grown;
	st = calloc(1, sizeof(*st));
	if (!st)
		return fail(r, MS_ENOMEM, "%s: out of memory", r->path);
	st->kind = kind;
	snprintf(st->pop, sizeof(st->pop), "%s", pop);
	if (var)
		snprintf(st->var, sizeof(st->var), "%s", var);
	st->d_a = H5I_INVALID_HID;
	st->d_b = H5I_INVALID_HID;
	*out = st;
	return 0;
}

/* Run the add job of st; on success st becomes stream number *handle. */
static int add_stream(ms__rec *r, struct job *job, int *handle)
{
	int rc;

	rc = run_job(r, job);
	if (rc < 0) {
		free(job->st);
		return rc;
	}
	r->streams[r->n_streams] = job->st;
	*handle = (int)r->n_streams++;
	return 0;
}

int ms__rec_add_spikes(ms__rec *r, const char *pop_name, uint64_t n_nodes,
                       int *handle)
{
	struct job job = {.kind = JOB_ADD_SPIKES};
	struct stream *st;
	int rc;

	if (!r)
		return MS_EINVAL;
	if (!valid_name(pop_name))
		return fail(
		    r, MS_EINVAL,
		    "%s: population name '%s': expected 1-%d characters "
		    "of [A-Za-z0-9_.-]",
		    r->path, pop_name ? pop_name : "(null)", REC_NAME_MAX);
	if (n_nodes == 0 || !handle)
		return fail(r, MS_EINVAL,
		            "%s: spikes of '%s': expected at least one node",
		            r->path, pop_name);
	rc = io_error(r);
	if (rc < 0)
		return rc;
	rc = new_stream(r, STREAM_SPIKES, pop_name, NULL, &st);
	if (rc < 0)
		return rc;
	st->n_nodes = n_nodes;
	st->cap = REC_BLOCK_BYTES / (sizeof(double) + sizeof(uint64_t));
	st->chunk[0] = REC_SPIKE_CHUNK;
	st->last_t = -INFINITY;
	job.st = st;
	return add_stream(r, &job, handle);
}

/* A report of units (trg_ids NULL) or of synapses (both id lists). */
static int add_report(ms__rec *r, const char *pop_name, const char *var,
                      const char *units, const uint64_t *node_ids,
                      const uint64_t *trg_ids, size_t n, double t_start_ms,
                      double dt_ms, int *handle)
{
	struct job job = {.kind = JOB_ADD_REPORT};
	struct stream *st;
	size_t i;
	int rc;

	if (!r)
		return MS_EINVAL;
	if (!valid_name(pop_name) || !valid_name(var))
		return fail(r, MS_EINVAL,
		            "%s: report '%s/%s': names must be 1-%d characters "
		            "of [A-Za-z0-9_.-]",
		            r->path, pop_name ? pop_name : "(null)",
		            var ? var : "(null)", REC_NAME_MAX);
	if (!units || strlen(units) > REC_NAME_MAX)
		return fail(r, MS_EINVAL,
		            "%s: report '%s/%s': expected a units string of at "
		            "most %d bytes",
		            r->path, pop_name, var, REC_NAME_MAX);
	if (!node_ids || n == 0 || n > SIZE_MAX / 64 || !handle)
		return fail(r, MS_EINVAL,
		            "%s: report '%s/%s': expected at least one node id",
		            r->path, pop_name, var);
	if (!isfinite(t_start_ms) || !isfinite(dt_ms) || !(dt_ms > 0))
		return fail(r, MS_EINVAL,
		            "%s: report '%s/%s': expected a finite start time "
		            "and dt > 0 ms (got %g, %g)",
		            r->path, pop_name, var, t_start_ms, dt_ms);
	rc = io_error(r);
	if (rc < 0)
		return rc;
	if (trg_ids) {
		for (i = 0; i < r->n_streams; i++)
			if (r->streams[i]->syn &&
			    !strcmp(r->streams[i]->pop, pop_name) &&
			    !strcmp(r->streams[i]->var, var))
				return fail(
				    r, MS_EINVAL,
				    "%s: variable '%s' of synapses '%s' "
				    "already recorded",
				    r->path, var, pop_name);
	}
	rc = new_stream(r, STREAM_REPORT, pop_name, var, &st);
	if (rc < 0)
		return rc;
	st->syn = trg_ids != NULL;
	snprintf(st->units, sizeof(st->units), "%s", units);
	st->n = n;
	st->t_start = t_start_ms;
	st->dt = dt_ms;
	st->cap = REC_BLOCK_BYTES / sizeof(float) / n;
	if (st->cap == 0)
		st->cap = 1;
	st->chunk[0] = n < REC_REPORT_CHUNK ? REC_REPORT_CHUNK / n : 1;
	st->chunk[1] = n < REC_REPORT_CHUNK ? n : REC_REPORT_CHUNK;
	job.st = st;
	job.arg = node_ids;
	job.arg2 = trg_ids;
	job.first = !st->syn;
	for (i = 0; i < r->n_streams; i++)
		if (r->streams[i]->kind == STREAM_REPORT &&
		    !r->streams[i]->syn &&
		    !strcmp(r->streams[i]->pop, pop_name))
			job.first = 0;
	return add_stream(r, &job, handle);
}

int ms__rec_add_report(ms__rec *r, const char *pop_name, const char *var,
                       const char *units, const uint64_t *node_ids, size_t n,
                       double t_start_ms, double dt_ms, int *handle)
{
	return add_report(r, pop_name, var, units, node_ids, NULL, n,
	                  t_start_ms, dt_ms, handle);
}

int ms__rec_add_syn_report(ms__rec *r, const char *proj_name, const char *var,
                           const char *units, const uint64_t *src_ids,
                           const uint64_t *trg_ids, size_t n, double t_start_ms,
                           double dt_ms, int *handle)
{
	if (r && !trg_ids)
		return fail(r, MS_EINVAL,
		            "%s: synapses '%s': expected target ids", r->path,
		            proj_name ? proj_name : "(null)");
	return add_report(r, proj_name, var, units, src_ids, trg_ids, n,
	                  t_start_ms, dt_ms, handle);
}

static struct stream *stream_of(ms__rec *r, int handle, enum stream_kind kind)
{
	if (handle < 0 || (size_t)handle >= r->n_streams ||
	    r->streams[handle]->kind != kind)
		return NULL;
	return r->streams[handle];
}

int ms__rec_spikes(ms__rec *r, int handle, const double *t_ms,
                   const uint64_t *node_ids, size_t n)
{
	struct stream *st;
	uint64_t *ids;
	double last;
	size_t i, k;
	int rc;

	if (!r)
		return MS_EINVAL;
	st = stream_of(r, handle, STREAM_SPIKES);
	if (!st)
		return fail(r, MS_EINVAL, "%s: %d is not a spike stream",
		            r->path, handle);
	rc = io_error(r);
	if (rc < 0 || n == 0)
		return rc;
	if (!t_ms || !node_ids)
		return fail(r, MS_EINVAL, "%s: spikes of '%s': no data",
		            r->path, st->pop);
	/* Check all before copying any, so a rejected call appends nothing:
	 * the file claims sorting by_time and ids below n_nodes. */
	last = st->last_t;
	for (i = 0; i < n; i++) {
		if (!(t_ms[i] >= last) || !isfinite(t_ms[i]))
			return fail(r, MS_EINVAL,
			            "%s: spikes of '%s': time %g ms follows %g "
			            "ms; expected finite times in "
			            "non-decreasing order",
			            r->path, st->pop, t_ms[i], last);
		if (node_ids[i] >= st->n_nodes)
			return fail(
			    r, MS_EINVAL,
			    "%s: spikes of '%s': node id %llu, expected "
			    "below %llu",
			    r->path, st->pop, (unsigned long long)node_ids[i],
			    (unsigned long long)st->n_nodes);
		last = t_ms[i];
	}
	st->last_t = last;
	for (i = 0; i < n; i += k) {
		if (!st->cur && (rc = take_block(r, st)) < 0)
			return rc;
		k = st->cap - st->fill;
		if (k > n - i)
			k = n - i;
		ids = (uint64_t *)((char *)st->cur->data +
		                   st->cap * sizeof(double));
		memcpy((double *)st->cur->data + st->fill, t_ms + i,
		       k * sizeof(double));
		memcpy(ids + st->fill, node_ids + i, k * sizeof(uint64_t));
		st->fill += k;
		if (st->fill == st->cap)
			hand_over(r, st);
	}
	return 0;
}

int ms__rec_frame(ms__rec *r, int handle, const float *values)
{
	struct stream *st;
	int rc;

	if (!r)
		return MS_EINVAL;
	st = stream_of(r, handle, STREAM_REPORT);
	if (!st || !values)
		return fail(r, MS_EINVAL,
		            "%s: %d is not a report, or no values", r->path,
		            handle);
	rc = io_error(r);
	if (rc < 0)
		return rc;
	if (!st->cur && (rc = take_block(r, st)) < 0)
		return rc;
	memcpy((float *)st->cur->data + st->fill * st->n, values,
	       st->n * sizeof(float));
	if (++st->fill == st->cap)
		hand_over(r, st);
	return 0;
}

int ms__rec_set_meta(ms__rec *r, const ms__rec_meta *meta)
{
	struct job job = {.kind = JOB_META};
	size_t i;

	if (!r)
		return MS_EINVAL;
	if (!meta || (meta->n_pops && !meta->pops))
		return fail(r, MS_EINVAL, "%s: no metadata given", r->path);
	for (i = 0; i < meta->n_pops; i++)
		if (!valid_name(meta->pops[i].name))
			return fail(r, MS_EINVAL,
			            "%s: metadata of population %zu: bad name "
			            "'%s'",
			            r->path, i,
			            meta->pops[i].name ? meta->pops[i].name
			                               : "(null)");
	hand_over_partial(r);
	job.arg = meta;
	return run_job(r, &job);
}

int ms__rec_close(ms__rec *r)
{
	struct job job = {.kind = JOB_CLOSE};
	int rc;

	if (!r)
		return 0;
	hand_over_partial(r);
	rc = run_job(r, &job);
	uv_thread_join(&r->thread);
	destroy(r);
	return rc;
}

const char *ms__rec_error(const ms__rec *r)
{
	return r ? r->msg : "";
}

/* ------------------------------------------------------------------------ */
/* Writer thread: every HDF5 call is below this line.                       */

static const char *errtext(int e, char *buf, size_t len)
{
	if (strerror_r(e, buf, len))
		snprintf(buf, len, "error %d", e);
	return buf;
}

/* Keep the first error: format it and publish its code. Returns the code of
 * the error that is kept. */
static int w_fail(ms__rec *r, int code, const char *fmt, ...)
{
	int kept = atomic_load_explicit(&r->io_code, memory_order_relaxed);
	va_list ap;

	if (kept < 0)
		return kept;
	va_start(ap, fmt);
	vsnprintf(r->io_msg, sizeof(r->io_msg), fmt, ap);
	va_end(ap);
	atomic_store_explicit(&r->io_code, code, memory_order_release);
	return code;
}

static herr_t innermost(unsigned n, const H5E_error2_t *e, void *buf)
{
	(void)n;
	snprintf(buf, REC_MSG_LEN, "%s", e->desc ? e->desc : "");
	return 0;
}

/* The reason of the HDF5 call that just failed: the system's message when
 * the error came from the operating system, else HDF5's innermost text. */
static void h5_reason(char *buf)
{
	static const char key[] = "error message = '";
	char *p, *q;

	snprintf(buf, REC_MSG_LEN, "HDF5 error");
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost, buf);
	H5Eclear2(H5E_DEFAULT);
	p = strstr(buf, key);
	if (p && (q = strchr(p + sizeof(key) - 1, '\'')) != NULL) {
		*q = '\0';
		memmove(buf, p + sizeof(key) - 1,
		        strlen(p + sizeof(key) - 1) + 1);
	}
}

/* w_fail for a failed HDF5 call: "<path>: <what>: <reason>". */
static int w_fail_h5(ms__rec *r, const char *what, const char *name)
{
	char reason[REC_MSG_LEN];

	h5_reason(reason);
	return w_fail(r, MS_EIO, "%s: %s%s%s: %s", r->path, what,
	              name ? " " : "", name ? name : "", reason);
}

/* Close id with close_fn without losing the error stack of an HDF5 call
 * that just failed (every HDF5 call clears it), so that the message can
 * still give the reason. */
static void w_release(herr_t (*close_fn)(hid_t), hid_t id)
{
	hid_t stack = H5Eget_current_stack();

	close_fn(id);
	if (stack >= 0)
		H5Eset_current_stack(stack);
}

/* Make the file physically at least bytes + REC_MARGIN longer than HDF5's
 * end of allocation, so that a write allocating up to bytes, and closing
 * the file afterwards, cannot run out of space. */
static int w_reserve(ms__rec *r, uint64_t bytes)
{
	char reason[128];
	haddr_t eoa;
	off_t want;
	int e;

	if (H5Fget_eoa(r->file, &eoa) < 0)
		return w_fail_h5(r, "cannot read the allocated size", NULL);
	want = (off_t)(eoa + bytes + REC_MARGIN);
	if (want <= r->reserved)
		return 0;
	do
		e = posix_fallocate(r->fd, r->reserved, want - r->reserved);
	while (e == EINTR);
	if (e)
		return w_fail(r, MS_EIO,
		              "%s: cannot grow the file to %lld bytes: %s "
		              "(data written before this point are kept)",
		              r->path, (long long)want,
		              errtext(e, reason, sizeof(reason)));
	r->reserved = want;
	return 0;
}

/* After an error the reserve is all there is: allow a small write (the run
 * metadata) if it leaves half the margin for closing. */
static int w_headroom(ms__rec *r, uint64_t bytes)
{
	haddr_t eoa;

	if (H5Fget_eoa(r->file, &eoa) < 0)
		return 0;
	return (uint64_t)r->reserved >= eoa + bytes + REC_MARGIN / 2;
}

static hid_t w_lcpl(void)
{
	hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);

	if (lcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) < 0) {
		w_release(H5Pclose, lcpl);
		return H5I_INVALID_HID;
	}
	return lcpl;
}

/* Open the group at path, creating it and missing parents if needed. */
static hid_t w_group(ms__rec *r, const char *path)
{
	hid_t g, lcpl;

	if (H5Lexists(r->file, path, H5P_DEFAULT) > 0)
		return H5Gopen2(r->file, path, H5P_DEFAULT);
	H5Eclear2(H5E_DEFAULT);
	lcpl = w_lcpl();
	if (lcpl < 0)
		return H5I_INVALID_HID;
	g = H5Gcreate2(r->file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
	w_release(H5Pclose, lcpl);
	return g;
}

/* Write attribute name on loc (replacing it): n values, or a scalar if n
 * is 0. */
static int w_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                  hsize_t n, const void *buf)
{
	hid_t space, a;
	herr_t st;

	if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
		return -1;
	space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
	if (space < 0)
		return -1;
	a = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
	w_release(H5Sclose, space);
	if (a < 0)
		return -1;
	st = H5Awrite(a, mtype, buf);
	w_release(H5Aclose, a);
	return st < 0 ? -1 : 0;
}

static int w_attr_str(ms__rec *r, hid_t loc, const char *name, const char *s)
{
	const char *v = s ? s : "";

	return w_attr(loc, name, r->str_type, r->str_type, 0, &v);
}

static int w_attr_u64(hid_t loc, const char *name, uint64_t v)
{
	return w_attr(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &v);
}

static int w_attr_f64(hid_t loc, const char *name, double v)
{
	return w_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &v);
}

/* Create an empty dataset of rank 1 or 2 that grows along its first
 * dimension; the second, if any, is fixed at chunk-independent width. */
static hid_t w_growing(hid_t loc, const char *name, hid_t ftype, int rank,
                       hsize_t width, const hsize_t *chunk)
{
	hsize_t dims[2] = {0, width}, maxdims[2] = {H5S_UNLIMITED, width};
	hid_t space, dcpl, dapl, d = H5I_INVALID_HID;

	space = H5Screate_simple(rank, dims, maxdims);
	if (space < 0)
		goto fail_space;
	dcpl = H5Pcreate(H5P_DATASET_CREATE);
	if (dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
	    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0)
		goto fail_dcpl;
	/* No chunk cache: blocks span whole chunks, so each write goes to the
	 * file at once and a failure is seen where it happens. */
	dapl = H5Pcreate(H5P_DATASET_ACCESS);
	if (dapl < 0 || H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT,
	                                   0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0)
		goto fail_dapl;
	d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, dapl);
fail_dapl:
	if (dapl >= 0)
		w_release(H5Pclose, dapl);
fail_dcpl:
	if (dcpl >= 0)
		w_release(H5Pclose, dcpl);
	w_release(H5Sclose, space);
fail_space:
	return d;
}

/* Create a fixed 1-D dataset of n values and write buf into it; the
 * dataset stays open in *keep if keep is not NULL. */
static int w_fixed(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                   hsize_t n, const void *buf, hid_t *keep)
{
	hid_t space, d;
	herr_t st;

	space = H5Screate_simple(1, &n, NULL);
	if (space < 0)
		return -1;
	d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT,
	               H5P_DEFAULT);
	w_release(H5Sclose, space);
	if (d < 0)
		return -1;
	st = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
	if (keep && st >= 0)
		*keep = d;
	else
		w_release(H5Dclose, d);
	return st < 0 ? -1 : 0;
}

/* Create the file (truncating it), the shared types, the root attributes,
 * and reserve the margin. On failure no file is left at the path, except a
 * file that was there before and that HDF5 did not manage to open. */
static int w_open(ms__rec *r)
{
	static const uint32_t version[2] = {0, 1};
	uint32_t magic = 0x0A7A;
	char reason[128];
	uint8_t v;
	struct stat sb;

	if (H5open() < 0)
		return w_fail(r, MS_EIO, "%s: cannot initialise HDF5", r->path);
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	/* ms__rec_open has refused a directory or other non-regular path. */
	r->file = H5Fcreate(r->path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (r->file < 0) {
		w_fail_h5(r, "cannot create", NULL);
		goto fail_create;
	}
	r->fd = open(r->path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0) {
		w_fail(r, MS_EIO, "%s: cannot reopen: %s", r->path,
		       errtext(errno, reason, sizeof(reason)));
		goto fail_fd;
	}
	r->str_type = H5Tcopy(H5T_C_S1);
	if (r->str_type < 0 || H5Tset_size(r->str_type, H5T_VARIABLE) < 0 ||
	    H5Tset_cset(r->str_type, H5T_CSET_UTF8) < 0)
		goto fail_types;
	r->sorting_type = H5Tenum_create(H5T_STD_U8LE);
	if (r->sorting_type < 0)
		goto fail_types;
	v = 0;
	if (H5Tenum_insert(r->sorting_type, "none", &v) < 0)
		goto fail_types;
	v = 1;
	if (H5Tenum_insert(r->sorting_type, "by_id", &v) < 0)
		goto fail_types;
	v = 2;
	if (H5Tenum_insert(r->sorting_type, "by_time", &v) < 0)
		goto fail_types;
	if (w_attr(r->file, "magic", H5T_STD_U32LE, H5T_NATIVE_UINT32, 0,
	           &magic) < 0 ||
	    w_attr(r->file, "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, 2,
	           version) < 0) {
		w_fail_h5(r, "cannot write the root attributes", NULL);
		goto fail_attrs;
	}
	if (w_reserve(r, 0) < 0)
		goto fail_attrs;
	return 0;

fail_types:
	w_fail_h5(r, "cannot create HDF5 types", NULL);
fail_attrs:
	if (r->sorting_type >= 0)
		H5Tclose(r->sorting_type);
	if (r->str_type >= 0)
		H5Tclose(r->str_type);
	close(r->fd);
fail_fd:
	H5Fclose(r->file);
	unlink(r->path);
	return atomic_load(&r->io_code);
fail_create:
	if (!r->existed && stat(r->path, &sb) == 0)
		unlink(r->path);
	return atomic_load(&r->io_code);
}

/* Close what a failed add left open; the stream is not kept. */
static void w_drop(struct stream *st)
{
	if (st->d_a >= 0)
		w_release(H5Dclose, st->d_a);
	if (st->d_b >= 0)
		w_release(H5Dclose, st->d_b);
	st->d_a = H5I_INVALID_HID;
	st->d_b = H5I_INVALID_HID;
}

/* /spikes/<pop> with empty datasets, and n_nodes in
 * /memspike/populations/<pop> so that a file closed without metadata still
 * bounds its node ids. */
static int w_add_spikes(ms__rec *r, struct stream *st)
{
	char path[2 * REC_NAME_MAX + 32];
	hid_t g;
	uint8_t by_time = 2;
	int rc;

	if (w_reserve(r, 64 * 1024) < 0)
		return atomic_load(&r->io_code);
	snprintf(path, sizeof(path), "/spikes/%s", st->pop);
	g = w_group(r, path);
	if (g < 0)
		goto fail_group;
	if (w_attr(g, "sorting", r->sorting_type, r->sorting_type, 0,
	           &by_time) < 0)
		goto fail_datasets;
	st->d_a = w_growing(g, "timestamps", H5T_IEEE_F64LE, 1, 0, st->chunk);
	if (st->d_a < 0 || w_attr_str(r, st->d_a, "units", "ms") < 0)
		goto fail_datasets;
	st->d_b = w_growing(g, "node_ids", H5T_STD_U64LE, 1, 0, st->chunk);
	if (st->d_b < 0)
		goto fail_datasets;
	w_release(H5Gclose, g);
	snprintf(path, sizeof(path), "/memspike/populations/%s", st->pop);
	g = w_group(r, path);
	if (g < 0)
		goto fail_group;
	if (w_attr_u64(g, "n_nodes", st->n_nodes) < 0)
		goto fail_datasets;
	w_release(H5Gclose, g);
	return 0;

fail_datasets:
	w_release(H5Gclose, g);
fail_group:
	rc = w_fail_h5(r, "cannot set up spikes of", st->pop);
	w_drop(st);
	return rc;
}

/* data and mapping/ of a report in group g (docs/formats.md). */
static int w_report_group(ms__rec *r, struct stream *st, hid_t g,
                          const uint64_t *node_ids)
{
	hsize_t i, n = st->n;
	uint64_t *buf;
	double time[3] = {st->t_start, st->t_start, st->dt};
	hid_t m;
	int rc = -1;

	if (w_attr_str(r, g, "variable", st->var) < 0)
		return -1;
	st->d_a = w_growing(g, "data", H5T_IEEE_F32LE, 2, n, st->chunk);
	if (st->d_a < 0 || w_attr_str(r, st->d_a, "units", st->units) < 0)
		return -1;
	buf = calloc(n + 1, sizeof(*buf));
	if (!buf)
		return -1;
	m = H5Gcreate2(g, "mapping", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (m < 0)
		goto fail_mapping;
	/* Zero bits read as 0 in uint32 and float32 alike. */
	if (w_fixed(m, "node_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, n,
	            node_ids, NULL) < 0 ||
	    w_fixed(m, "element_ids", H5T_STD_U32LE, H5T_NATIVE_UINT32, n, buf,
	            NULL) < 0 ||
	    w_fixed(m, "element_pos", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, n, buf,
	            NULL) < 0)
		goto fail_write;
	for (i = 0; i <= n; i++)
		buf[i] = i;
	if (w_fixed(m, "index_pointers", H5T_STD_U64LE, H5T_NATIVE_UINT64,
	            n + 1, buf, NULL) < 0 ||
	    H5Lcreate_hard(m, "index_pointers", m, "index_pointer", H5P_DEFAULT,
	                   H5P_DEFAULT) < 0)
		goto fail_write;
	if (w_fixed(m, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, time,
	            &st->d_b) < 0 ||
	    w_attr_str(r, st->d_b, "units", "ms") < 0)
		goto fail_write;
	rc = 0;
fail_write:
	w_release(H5Gclose, m);
fail_mapping:
	free(buf);
	return rc;
}

/* /memspike/synapses/<proj>/<var>: data as in a report, mapping with the
 * source and target unit of each column and the sampling times. */
static int w_add_syn_report(ms__rec *r, struct stream *st, const uint64_t *src,
                            const uint64_t *trg)
{
	char path[2 * REC_NAME_MAX + 32];
	double time[3] = {st->t_start, st->t_start, st->dt};
	uint64_t *ids;
	hid_t g, m = H5I_INVALID_HID;
	int rc = -1;

	if (w_reserve(r, 2 * (16 * (uint64_t)st->n + 8) + 64 * 1024) < 0)
		return atomic_load(&r->io_code);
	snprintf(path, sizeof(path), "/memspike/synapses/%s/%s", st->pop,
	         st->var);
	ids = malloc(st->n * sizeof(*ids));
	g = ids ? w_group(r, path) : H5I_INVALID_HID;
	if (g < 0)
		goto fail_group;
	if (w_attr_str(r, g, "variable", st->var) < 0)
		goto fail;
	st->d_a = w_growing(g, "data", H5T_IEEE_F32LE, 2, st->n, st->chunk);
	if (st->d_a < 0 || w_attr_str(r, st->d_a, "units", st->units) < 0)
		goto fail;
	m = H5Gcreate2(g, "mapping", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (m < 0)
		goto fail;
	for (size_t i = 0; i < st->n; i++)
		ids[i] = i;
	if (w_fixed(m, "src_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, st->n, src,
	            NULL) < 0 ||
	    w_fixed(m, "trg_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, st->n, trg,
	            NULL) < 0 ||
	    w_fixed(m, "edge_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, st->n, ids,
	            NULL) < 0 ||
	    w_fixed(m, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, time,
	            &st->d_b) < 0 ||
	    w_attr_str(r, st->d_b, "units", "ms") < 0)
		goto fail;
	rc = 0;
fail:
	if (m >= 0)
		w_release(H5Gclose, m);
	w_release(H5Gclose, g);
	if (rc == 0) {
		free(ids);
		return 0;
	}
fail_group:
	free(ids);
	rc = w_fail_h5(r, "cannot set up synapse report", path);
	w_drop(st);
	return rc;
}

/* The first variable of a population goes to /report/<pop>, and its group
 * is also linked as /memspike/report/<pop>/<var>; later variables only get
 * the latter, as groups of the same structure. */
static int w_add_report(ms__rec *r, struct stream *st, const uint64_t *ids,
                        int first)
{
	char path[2 * REC_NAME_MAX + 32], alias[2 * REC_NAME_MAX + 32];
	uint64_t mapping_bytes = 24 * (uint64_t)st->n + 8;
	hid_t g, lcpl;
	int rc;

	if (w_reserve(r, 2 * mapping_bytes + 64 * 1024) < 0)
		return atomic_load(&r->io_code);
	snprintf(alias, sizeof(alias), "/memspike/report/%s/%s", st->pop,
	         st->var);
	if (first)
		snprintf(path, sizeof(path), "/report/%s", st->pop);
	else
		snprintf(path, sizeof(path), "%s", alias);
	g = w_group(r, path);
	if (g < 0)
		goto fail_group;
	if (w_report_group(r, st, g, ids) < 0)
		goto fail_report;
	w_release(H5Gclose, g);
	if (first) {
		lcpl = w_lcpl();
		if (lcpl < 0 || H5Lcreate_hard(r->file, path, r->file, alias,
		                               lcpl, H5P_DEFAULT) < 0) {
			if (lcpl >= 0)
				w_release(H5Pclose, lcpl);
			goto fail_group;
		}
		w_release(H5Pclose, lcpl);
	}
	return 0;

fail_report:
	w_release(H5Gclose, g);
fail_group:
	rc = w_fail_h5(r, "cannot set up report", path);
	w_drop(st);
	return rc;
}

/* Grow d by count rows from row old and write buf into them; width is the
 * row length of a 2-D dataset, 0 for 1-D. */
static int w_append(hid_t d, hid_t mtype, hsize_t old, hsize_t count,
                    hsize_t width, const void *buf)
{
	hsize_t start[2] = {old, 0}, dims[2] = {old + count, width},
	        block[2] = {count, width};
	int rank = width ? 2 : 1;
	hid_t fspace, mspace;
	herr_t st = -1;

	if (H5Dset_extent(d, dims) < 0)
		return -1;
	fspace = H5Dget_space(d);
	if (fspace < 0)
		return -1;
	mspace = H5Screate_simple(rank, block, NULL);
	if (mspace < 0)
		goto fail_mspace;
	if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, block,
	                        NULL) >= 0)
		st = H5Dwrite(d, mtype, mspace, fspace, H5P_DEFAULT, buf);
	w_release(H5Sclose, mspace);
fail_mspace:
	w_release(H5Sclose, fspace);
	return st < 0 ? -1 : 0;
}

/* Shrink d back to rows rows after a failed append, so that what the file
 * says it holds was written. */
static void w_truncate(hid_t d, hsize_t rows, hsize_t width)
{
	hsize_t dims[2] = {rows, width};

	H5Dset_extent(d, dims);
}

/* Bytes HDF5 may allocate to append count rows: every chunk the rows touch,
 * with partly filled chunks at both ends. value_bytes sums the datasets. */
static uint64_t w_append_bytes(const struct stream *st, uint64_t count,
                               uint64_t value_bytes)
{
	uint64_t width = 1;

	if (st->kind == STREAM_REPORT)
		width =
		    (st->n + st->chunk[1] - 1) / st->chunk[1] * st->chunk[1];
	return (count + 2 * st->chunk[0]) * width * value_bytes;
}

/* Append a block of spikes; after an error, blocks are dropped so that the
 * file keeps the prefix written before it. */
static int w_spikes(ms__rec *r, struct job *b)
{
	struct stream *st = b->st;
	const uint64_t *ids;
	uint64_t old = st->written;
	int rc = atomic_load_explicit(&r->io_code, memory_order_relaxed);

	if (rc < 0)
		return rc;
	rc = w_reserve(r, w_append_bytes(st, b->count, 16));
	if (rc < 0)
		return rc;
	ids = (const uint64_t *)((const char *)b->data +
	                         st->cap * sizeof(double));
	if (w_append(st->d_a, H5T_NATIVE_DOUBLE, old, b->count, 0, b->data) <
	        0 ||
	    w_append(st->d_b, H5T_NATIVE_UINT64, old, b->count, 0, ids) < 0) {
		rc = w_fail_h5(r, "cannot write spikes of", st->pop);
		w_truncate(st->d_a, old, 0);
		w_truncate(st->d_b, old, 0);
		return rc;
	}
	st->written = old + b->count;
	return 0;
}

/* Append a block of frames, as w_spikes. */
static int w_frames(ms__rec *r, struct job *b)
{
	struct stream *st = b->st;
	uint64_t old = st->written;
	char what[2 * REC_NAME_MAX + 8];
	int rc = atomic_load_explicit(&r->io_code, memory_order_relaxed);

	if (rc < 0)
		return rc;
	rc = w_reserve(r, w_append_bytes(st, b->count, sizeof(float)));
	if (rc < 0)
		return rc;
	if (w_append(st->d_a, H5T_NATIVE_FLOAT, old, b->count, st->n, b->data) <
	    0) {
		snprintf(what, sizeof(what), "%s/%s", st->pop, st->var);
		rc = w_fail_h5(r, "cannot write report", what);
		w_truncate(st->d_a, old, st->n);
		return rc;
	}
	st->written = old + b->count;
	return 0;
}

/* Make mapping/time end at the last frame written and push HDF5's caches
 * to the file. */
static int w_flush(ms__rec *r)
{
	struct stream *st;
	double time[3];
	size_t i;

	for (i = 0; i < r->n_streams; i++) {
		st = r->streams[i];
		if (st->kind != STREAM_REPORT)
			continue;
		time[0] = st->t_start;
		time[1] = st->t_start + (double)st->written * st->dt;
		time[2] = st->dt;
		if (H5Dwrite(st->d_b, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
		             H5P_DEFAULT, time) < 0)
			return w_fail_h5(r, "cannot write mapping/time of",
			                 st->pop);
	}
	if (H5Fflush(r->file, H5F_SCOPE_LOCAL) < 0)
		return w_fail_h5(r, "cannot flush", NULL);
	return 0;
}

/* write_error of /memspike/run: the first write error, "" if none. */
static int w_write_error(ms__rec *r, hid_t run)
{
	int code = atomic_load_explicit(&r->io_code, memory_order_relaxed);

	return w_attr_str(r, run, "write_error", code < 0 ? r->io_msg : "");
}

/* /memspike/run/config, replaced as a whole: its length may change. */
static int w_run_config(ms__rec *r, hid_t run, const char *text)
{
	const char *v = text ? text : "";
	hid_t space, d, xfer;
	herr_t st;

	if (H5Lexists(run, "config", H5P_DEFAULT) > 0 &&
	    H5Ldelete(run, "config", H5P_DEFAULT) < 0)
		return -1;
	space = H5Screate(H5S_SCALAR);
	if (space < 0)
		return -1;
	d = H5Dcreate2(run, "config", r->str_type, space, H5P_DEFAULT,
	               H5P_DEFAULT, H5P_DEFAULT);
	w_release(H5Sclose, space);
	if (d < 0)
		return -1;
	/* The string needs a type conversion, whose buffers HDF5 sizes (1 MiB
	 * each by default) and zeroes whatever the data: one element needs a
	 * few bytes, and the default costs milliseconds on every run. */
	xfer = H5Pcreate(H5P_DATASET_XFER);
	st = xfer < 0 || H5Pset_buffer(xfer, 4096, NULL, NULL) < 0
	         ? -1
	         : H5Dwrite(d, r->str_type, H5S_ALL, H5S_ALL, xfer, &v);
	if (xfer >= 0)
		w_release(H5Pclose, xfer);
	w_release(H5Dclose, d);
	return st < 0 ? -1 : 0;
}

/* Attributes of /memspike/populations/<name>. */
static int w_pop_meta(ms__rec *r, const ms__rec_pop_meta *p)
{
	char path[REC_NAME_MAX + 32];
	hid_t g;
	int rc;

	snprintf(path, sizeof(path), "/memspike/populations/%s", p->name);
	g = w_group(r, path);
	if (g < 0)
		return -1;
	rc = w_attr_str(r, g, "model", p->model) < 0 ||
	     w_attr_u64(g, "n_nodes", p->n_nodes) < 0 ||
	     w_attr_u64(g, "n_spikes", p->n_spikes) < 0;
	w_release(H5Gclose, g);
	return rc ? -1 : 0;
}

/* /memspike/run and /memspike/populations (docs/formats.md), then a flush.
 * After a write error it still writes them if they fit in the reserve. */
static int w_meta(ms__rec *r, const ms__rec_meta *m)
{
	uint64_t bytes = 64 * 1024 + 512 * (uint64_t)m->n_pops;
	uint8_t interrupted = m->interrupted != 0;
	size_t i;
	hid_t run;

	bytes += 2 * ((m->config_text ? strlen(m->config_text) : 0) +
	              (m->config_path ? strlen(m->config_path) : 0));
	if (w_reserve(r, bytes) < 0 && !w_headroom(r, bytes))
		return atomic_load(&r->io_code);
	run = w_group(r, "/memspike/run");
	if (run < 0)
		goto fail_run;
	if (w_attr_str(r, run, "memspike_version", m->version) < 0 ||
	    w_attr_u64(run, "seed", m->seed) < 0 ||
	    w_attr_str(r, run, "config_path", m->config_path) < 0 ||
	    w_run_config(r, run, m->config_text) < 0 ||
	    w_attr_f64(run, "t_start_ms", m->t_start_ms) < 0 ||
	    w_attr_f64(run, "t_stop_ms", m->t_stop_ms) < 0 ||
	    w_attr_f64(run, "wall_time_s", m->wall_s) < 0 ||
	    w_attr(run, "interrupted", H5T_STD_U8LE, H5T_NATIVE_UINT8, 0,
	           &interrupted) < 0 ||
	    w_write_error(r, run) < 0)
		goto fail_attrs;
	w_release(H5Gclose, run);
	r->have_run = 1;
	for (i = 0; i < m->n_pops; i++)
		if (w_pop_meta(r, &m->pops[i]) < 0)
			return w_fail_h5(r, "cannot write metadata of",
			                 m->pops[i].name);
	w_flush(r);
	return atomic_load(&r->io_code);

fail_attrs:
	w_release(H5Gclose, run);
fail_run:
	return w_fail_h5(r, "cannot write", "/memspike/run");
}

/*
 * The end-of-file address in the superblock of a closed file, read from its
 * first bytes (HDF5 file format specification, "Format Signature and
 * Superblock"): with 8-byte offsets and no user block it is at byte 40 in
 * superblock version 0, 44 in version 1 and 28 in versions 2 and 3, little
 * endian, relative to a base address of 0. Returns 0 on success, -1 if the
 * bytes are not such a superblock.
 */
static int superblock_eoa(int fd, uint64_t *eoa)
{
	static const unsigned char sig[8] = {0x89, 'H',  'D',  'F',
	                                     '\r', '\n', 0x1a, '\n'};
	unsigned char b[64];
	int at, osize;
	uint64_t v = 0, base = 0;

	if (pread(fd, b, sizeof(b), 0) != (ssize_t)sizeof(b) ||
	    memcmp(b, sig, sizeof(sig)))
		return -1;
	switch (b[8]) {
	case 0:
		osize = b[13];
		at = 40;
		break;
	case 1:
		osize = b[13];
		at = 44;
		break;
	case 2:
	case 3:
		osize = b[9];
		at = 28;
		break;
	default:
		return -1;
	}
	if (osize != 8)
		return -1;
	for (int k = 7; k >= 0; k--) {
		v = v << 8 | b[at + k];
		base = base << 8 | b[at - 16 + k];
	}
	if (base != 0)
		return -1;
	*eoa = v;
	return 0;
}

/* Trim the reserve: the file ends where its superblock says it ends (read
 * from its bytes, or by HDF5 when they are not in a form read here). */
static void w_trim(ms__rec *r)
{
	char reason[128];
	uint64_t eoa;

	if (superblock_eoa(r->fd, &eoa)) {
		haddr_t a;
		herr_t st;
		hid_t f = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
		if (f < 0) {
			w_fail_h5(r, "cannot reopen after closing", NULL);
			return;
		}
		st = H5Fget_eoa(f, &a);
		if (st < 0)
			w_fail_h5(r, "cannot read the allocated size", NULL);
		H5Fclose(f);
		if (st < 0)
			return;
		eoa = a;
	}
	if ((off_t)eoa < r->reserved && ftruncate(r->fd, (off_t)eoa))
		w_fail(r, MS_EIO, "%s: cannot trim the file: %s", r->path,
		       errtext(errno, reason, sizeof(reason)));
}

/* Final sizes, then close every object and the file and trim the reserve;
 * returns the first error of the whole recording. */
static int w_close(ms__rec *r)
{
	struct stream *st;
	char reason[128];
	hid_t run;
	size_t i;

	w_flush(r);
	if (r->have_run && atomic_load(&r->io_code) < 0) {
		run = H5Gopen2(r->file, "/memspike/run", H5P_DEFAULT);
		if (run >= 0) {
			w_write_error(r, run);
			w_release(H5Gclose, run);
		}
	}
	for (i = 0; i < r->n_streams; i++) {
		st = r->streams[i];
		if (st->d_a >= 0)
			w_release(H5Dclose, st->d_a);
		if (st->d_b >= 0)
			w_release(H5Dclose, st->d_b);
	}
	H5Tclose(r->sorting_type);
	H5Tclose(r->str_type);
	if (H5Fclose(r->file) < 0)
		w_fail_h5(r, "cannot close", NULL);
	else
		w_trim(r);
	if (close(r->fd))
		w_fail(r, MS_EIO, "%s: cannot close: %s", r->path,
		       errtext(errno, reason, sizeof(reason)));
	return atomic_load(&r->io_code);
}

static int w_run(ms__rec *r, struct job *job)
{
	switch (job->kind) {
	case JOB_SPIKES:
		return w_spikes(r, job);
	case JOB_FRAMES:
		return w_frames(r, job);
	case JOB_ADD_SPIKES:
		return w_add_spikes(r, job->st);
	case JOB_ADD_REPORT:
		if (job->st->syn)
			return w_add_syn_report(r, job->st, job->arg,
			                        job->arg2);
		return w_add_report(r, job->st, job->arg, job->first);
	case JOB_META:
		return w_meta(r, job->arg);
	case JOB_CLOSE:
		return w_close(r);
	}
	return MS_EINVAL;
}

/* Open the file and report the result, then do jobs in order until the
 * close job. */
static void writer_main(void *arg)
{
	ms__rec *r = arg;
	struct job *job;
	int rc, closing;

	rc = w_open(r);
	uv_mutex_lock(&r->lock);
	r->open_rc = rc;
	r->open_done = 1;
	uv_cond_broadcast(&r->caller_cv);
	uv_mutex_unlock(&r->lock);
	do {
		uv_mutex_lock(&r->lock);
		while (!r->head)
			uv_cond_wait(&r->writer_cv, &r->lock);
		job = r->head;
		r->head = job->next;
		if (!r->head)
			r->tail = NULL;
		uv_mutex_unlock(&r->lock);

		/* Without a file every job fails with the open's error (and
		 * blocks come back unwritten). */
		rc = r->open_rc < 0 ? r->open_rc : w_run(r, job);
		closing = job->kind == JOB_CLOSE;

		uv_mutex_lock(&r->lock);
		if (job->kind == JOB_SPIKES || job->kind == JOB_FRAMES) {
			job->next = r->free;
			r->free = job;
		} else {
			job->rc = rc;
			job->done = 1;
		}
		uv_cond_broadcast(&r->caller_cv);
		uv_mutex_unlock(&r->lock);
	} while (!closing);
}

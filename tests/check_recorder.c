/*
 * check_recorder — the HDF5 recorder (engine/recorder.c) against its
 * specification, docs/formats.md.
 *
 * Files written through the recorder API are read back with the HDF5 C API
 * value by value, then checked by tests/verify_format.py and
 * tests/check_bmtk.py (when /usr/bin/python3 and MS_SOURCE_ROOT exist).
 * Also: unwritable paths leave no file, a file-size limit mid-run gives a
 * valid file holding a prefix, misuse is refused, the verifier rejects
 * broken files, and 10^7 spikes are recorded in bounded memory.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include <memspike/memspike.h>
#include "engine/recorder.h"

#define PYTHON "/usr/bin/python3"

static char tmpdir[4096];

/* A fresh directory per test, under the build tree when meson runs us so
 * that the files of a failed test can be inspected. */
static void setup_tmpdir(void)
{
	const char *build = getenv("MS_BUILD_ROOT");

	if (build) {
		snprintf(tmpdir, sizeof(tmpdir), "%s/tests/recorder-tmp",
		         build);
		mkdir(tmpdir, 0777);
		snprintf(tmpdir, sizeof(tmpdir), "%s/tests/recorder-tmp/XXXXXX",
		         build);
	} else {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_recorder.XXXXXX");
	}
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char path[8192];
	struct dirent *e;
	DIR *d = opendir(tmpdir);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

static const char *tmp_path(const char *name)
{
	static char buf[4][8192];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

/* ------------------------------------------------------------------------ */
/* Running the Python checks                                                */

/* Exit status of /usr/bin/python3 tests/<script> file, or -1 when Python or
 * the source root is not available (the check is then skipped). */
static int run_script(const char *script, const char *file)
{
	const char *root = getenv("MS_SOURCE_ROOT");
	char path[4096];
	pid_t pid;
	int status;

	if (!root || access(PYTHON, X_OK)) {
		fprintf(stderr, "skipped %s: no %s or MS_SOURCE_ROOT\n", script,
		        PYTHON);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/tests/%s", root, script);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(PYTHON, PYTHON, path, file, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void assert_script_ok(const char *script, const char *file)
{
	int rc = run_script(script, file);

	if (rc >= 0)
		ck_assert_msg(rc == 0, "%s %s exited with %d", script, file,
		              rc);
}

/* ------------------------------------------------------------------------ */
/* Reading HDF5                                                             */

static hid_t open_ro(const char *path)
{
	hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);

	ck_assert_msg(f >= 0, "cannot open %s", path);
	return f;
}

/* Shape of dataset path; returns its rank. */
static int shape(hid_t f, const char *path, hsize_t dims[2])
{
	hid_t d, s;
	int rank;

	d = H5Dopen2(f, path, H5P_DEFAULT);
	ck_assert_msg(d >= 0, "no dataset %s", path);
	s = H5Dget_space(d);
	rank = H5Sget_simple_extent_ndims(s);
	ck_assert_int_le(rank, 2);
	H5Sget_simple_extent_dims(s, dims, NULL);
	H5Sclose(s);
	H5Dclose(d);
	return rank;
}

/* The file type of dataset path is ftype. */
static void assert_dtype(hid_t f, const char *path, hid_t ftype)
{
	hid_t d, t;

	d = H5Dopen2(f, path, H5P_DEFAULT);
	ck_assert_msg(d >= 0, "no dataset %s", path);
	t = H5Dget_type(d);
	ck_assert_msg(H5Tequal(t, ftype) > 0, "%s has the wrong type", path);
	H5Tclose(t);
	H5Dclose(d);
}

/* Read dataset path (any shape) as mtype into a new buffer; *n = values. */
static void *read_all(hid_t f, const char *path, hid_t mtype, size_t *n)
{
	hsize_t dims[2] = {1, 1};
	int rank = shape(f, path, dims);
	size_t count = rank == 2 ? dims[0] * dims[1] : rank == 1 ? dims[0] : 1;
	void *buf = malloc((count ? count : 1) * H5Tget_size(mtype));
	hid_t d;

	ck_assert_ptr_nonnull(buf);
	d = H5Dopen2(f, path, H5P_DEFAULT);
	ck_assert_int_ge(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf),
	                 0);
	H5Dclose(d);
	*n = count;
	return buf;
}

/* Read values [lo, lo + n) of 1-D dataset d as mtype. */
static void read_slice(hid_t d, hid_t mtype, hsize_t lo, hsize_t n, void *buf)
{
	hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &n, NULL);

	ck_assert_int_ge(
	    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &lo, NULL, &n, NULL), 0);
	ck_assert_int_ge(H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf), 0);
	H5Sclose(ms);
	H5Sclose(fs);
}

static hid_t open_attr(hid_t f, const char *obj, const char *name)
{
	hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);

	ck_assert_msg(a >= 0, "no attribute %s@%s", obj, name);
	return a;
}

/* A scalar variable-length UTF-8 string attribute, copied (free it). */
static char *attr_str(hid_t f, const char *obj, const char *name)
{
	hid_t a = open_attr(f, obj, name), t = H5Aget_type(a), s;
	char *v = NULL, *copy;

	ck_assert_int_eq(H5Tget_class(t), H5T_STRING);
	ck_assert_int_gt(H5Tis_variable_str(t), 0);
	ck_assert_int_eq(H5Tget_cset(t), H5T_CSET_UTF8);
	s = H5Aget_space(a);
	ck_assert_int_eq(H5Sget_simple_extent_type(s), H5S_SCALAR);
	ck_assert_int_ge(H5Aread(a, t, &v), 0);
	copy = strdup(v);
	H5free_memory(v);
	H5Sclose(s);
	H5Tclose(t);
	H5Aclose(a);
	return copy;
}

static void assert_attr_str(hid_t f, const char *obj, const char *name,
                            const char *want)
{
	char *v = attr_str(f, obj, name);

	ck_assert_str_eq(v, want);
	free(v);
}

/* Numeric attribute of file type ftype with n values (0: scalar). */
static void attr_num(hid_t f, const char *obj, const char *name, hid_t ftype,
                     hid_t mtype, hsize_t n, void *buf)
{
	hid_t a = open_attr(f, obj, name), t = H5Aget_type(a),
	      s = H5Aget_space(a);
	hsize_t dims[1] = {0};

	ck_assert_msg(H5Tequal(t, ftype) > 0, "%s@%s has the wrong type", obj,
	              name);
	if (n == 0) {
		ck_assert_int_eq(H5Sget_simple_extent_type(s), H5S_SCALAR);
	} else {
		ck_assert_int_eq(H5Sget_simple_extent_ndims(s), 1);
		H5Sget_simple_extent_dims(s, dims, NULL);
		ck_assert_uint_eq(dims[0], n);
	}
	ck_assert_int_ge(H5Aread(a, mtype, buf), 0);
	H5Sclose(s);
	H5Tclose(t);
	H5Aclose(a);
}

static uint64_t attr_u64(hid_t f, const char *obj, const char *name)
{
	uint64_t v;

	attr_num(f, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &v);
	return v;
}

static double attr_f64(hid_t f, const char *obj, const char *name)
{
	double v;

	attr_num(f, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &v);
	return v;
}

static int same_object(hid_t f, const char *a, const char *b)
{
#if H5_VERSION_GE(1, 12, 0)
	H5O_info2_t ia, ib;
	int cmp;

	ck_assert_int_ge(
	    H5Oget_info_by_name3(f, a, &ia, H5O_INFO_BASIC, H5P_DEFAULT), 0);
	ck_assert_int_ge(
	    H5Oget_info_by_name3(f, b, &ib, H5O_INFO_BASIC, H5P_DEFAULT), 0);
	ck_assert_int_ge(H5Otoken_cmp(f, &ia.token, &ib.token, &cmp), 0);
	return cmp == 0;
#else
	H5O_info_t ia, ib;

	ck_assert_int_ge(
	    H5Oget_info_by_name2(f, a, &ia, H5O_INFO_BASIC, H5P_DEFAULT), 0);
	ck_assert_int_ge(
	    H5Oget_info_by_name2(f, b, &ib, H5O_INFO_BASIC, H5P_DEFAULT), 0);
	return ia.fileno == ib.fileno && ia.addr == ib.addr;
#endif
}

static int link_exists(hid_t f, const char *path)
{
	return H5Lexists(f, path, H5P_DEFAULT) > 0;
}

/* ------------------------------------------------------------------------ */
/* Data of the reference file                                               */

/* Spikes of population pop (0: exc, 1: inh): non-decreasing times with
 * ties, ids in range. */
static double spike_t(int pop, uint64_t i)
{
	return pop == 0 ? (double)(i / 3) * 0.025 : 0.05 + 0.9 * (double)i;
}

static uint64_t spike_id(int pop, uint64_t i)
{
	return pop == 0 ? (i * 7) % 10 : i % 5;
}

#define N_EXC_SPIKES 100000u
#define N_INH_SPIKES 1000u

struct report_def {
	const char *pop, *var, *units;
	uint64_t ids[10];
	size_t n;
	double start, dt;
	size_t frames;
};

/* exc has two variables (V_m first), inh one, whose frames span more than
 * one block (52428 frames of 5 values). */
static const struct report_def reports[] = {
    {"exc", "V_m", "mV", {0, 2, 4}, 3, 0.0, 0.5, 1000},
    {"exc", "I_syn", "pA", {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 10, 2.0, 1.0, 10},
    {"inh", "V_m", "mV", {0, 1, 2, 3, 4}, 5, 0.1, 0.1, 120000},
};
#define N_REPORTS (sizeof(reports) / sizeof(reports[0]))

static float frame_value(size_t rep, size_t k, size_t j)
{
	return (float)(-70.0 + 0.01 * (double)(k % 4000) + (double)j +
	               100.0 * (double)rep);
}

static const char config_text[] =
    "# reference network of check_recorder\n"
    "populations:\n"
    "  exc: {model: lif_exp, n: 10, tau_m: 20 ms}  # \xcf\x84_m in ms\n";

static const ms__rec_pop_meta pop_meta[] = {
    {"exc", "lif_exp", 10, N_EXC_SPIKES},
    {"inh", "lif_delta", 5, N_INH_SPIKES},
    {"silent", "poisson", 3, 0},
    {"noise", "spike_source", 4, 17},
};

/* Check's assertions report each passing check to the test runner, which
 * is slow in loops of millions: loops below find the first mismatch and
 * assert once. */

static void append_spikes(ms__rec *r, int h, int pop, uint64_t lo, uint64_t hi)
{
	double t[64];
	uint64_t id[64];
	uint64_t i, k, n;
	int rc = 0;

	/* Batches of 1 to 37 spikes, as the engine hands over one window. */
	for (i = lo; i < hi; i += n) {
		n = 1 + i % 37;
		if (n > hi - i)
			n = hi - i;
		for (k = 0; k < n; k++) {
			t[k] = spike_t(pop, i + k);
			id[k] = spike_id(pop, i + k);
		}
		rc = ms__rec_spikes(r, h, t, id, n);
		if (rc)
			break;
	}
	ck_assert_msg(rc == 0, "append: %s", ms__rec_error(r));
}

static void append_frames(ms__rec *r, int h, size_t rep, size_t lo, size_t hi)
{
	float v[10];
	size_t k, j;
	int rc = 0;

	for (k = lo; k < hi && !rc; k++) {
		for (j = 0; j < reports[rep].n; j++)
			v[j] = frame_value(rep, k, j);
		rc = ms__rec_frame(r, h, v);
	}
	ck_assert_msg(rc == 0, "frame: %s", ms__rec_error(r));
}

/* Write the reference file: spikes of exc, inh and a silent population,
 * the reports above, metadata written mid-run and again at the end (the
 * last must win). */
static void write_reference(const char *path)
{
	ms__rec_meta early = {
	    .version = "0.0.0", .seed = 1, .interrupted = 1, .t_stop_ms = 1};
	ms__rec_meta meta = {.version = MS_VERSION_STRING,
	                     .seed = 1234,
	                     .config_text = config_text,
	                     .config_path = "examples/reference.yaml",
	                     .t_start_ms = 0,
	                     .t_stop_ms = 12000,
	                     .wall_s = 1.5,
	                     .interrupted = 0,
	                     .pops = pop_meta,
	                     .n_pops = 4};
	char err[512] = "";
	int hs[3], hr[N_REPORTS];
	ms__rec *r;
	size_t i;

	ck_assert_msg(ms__rec_open(path, &r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(ms__rec_add_spikes(r, "exc", 10, &hs[0]), 0);
	ck_assert_int_eq(ms__rec_add_spikes(r, "inh", 5, &hs[1]), 0);
	ck_assert_int_eq(ms__rec_add_spikes(r, "silent", 3, &hs[2]), 0);
	for (i = 0; i < N_REPORTS; i++)
		ck_assert_msg(
		    ms__rec_add_report(r, reports[i].pop, reports[i].var,
		                       reports[i].units, reports[i].ids,
		                       reports[i].n, reports[i].start,
		                       reports[i].dt, &hr[i]) == 0,
		    "%s", ms__rec_error(r));

	/* Up to 3/4: exc and inh's report fill a whole block (65536 spikes,
	 * 52428 frames) and a part of the next; the mid-run metadata then
	 * hands over partial blocks, and appends continue off chunk
	 * boundaries. */
	append_spikes(r, hs[0], 0, 0, N_EXC_SPIKES * 3 / 4);
	append_spikes(r, hs[1], 1, 0, N_INH_SPIKES * 3 / 4);
	for (i = 0; i < N_REPORTS; i++)
		append_frames(r, hr[i], i, 0, reports[i].frames * 3 / 4);
	ck_assert_int_eq(ms__rec_set_meta(r, &early), 0);
	append_spikes(r, hs[0], 0, N_EXC_SPIKES * 3 / 4, N_EXC_SPIKES);
	append_spikes(r, hs[1], 1, N_INH_SPIKES * 3 / 4, N_INH_SPIKES);
	for (i = 0; i < N_REPORTS; i++)
		append_frames(r, hr[i], i, reports[i].frames * 3 / 4,
		              reports[i].frames);
	ck_assert_int_eq(ms__rec_set_meta(r, &meta), 0);
	ck_assert_str_eq(ms__rec_error(r), "");
	ck_assert_int_eq(ms__rec_close(r), 0);
}

static void check_root(hid_t f)
{
	uint32_t magic, version[2];

	attr_num(f, "/", "magic", H5T_STD_U32LE, H5T_NATIVE_UINT32, 0, &magic);
	ck_assert_uint_eq(magic, 0x0A7A);
	attr_num(f, "/", "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, 2,
	         version);
	ck_assert_uint_eq(version[0], 0);
	ck_assert_uint_eq(version[1], 1);
}

/* sorting is the enum {none=0, by_id=1, by_time=2} of uint8 set to by_time. */
static void check_sorting(hid_t f, const char *grp)
{
	static const char *names[] = {"none", "by_id", "by_time"};
	hid_t a = open_attr(f, grp, "sorting"), t = H5Aget_type(a), base;
	char name[16];
	uint8_t v;
	int i;

	ck_assert_int_eq(H5Tget_class(t), H5T_ENUM);
	base = H5Tget_super(t);
	ck_assert(H5Tequal(base, H5T_STD_U8LE) > 0);
	ck_assert_int_eq(H5Tget_nmembers(t), 3);
	for (i = 0; i < 3; i++) {
		H5Tget_member_value(t, (unsigned)i, &v);
		ck_assert_int_ge(H5Tenum_nameof(t, &v, name, sizeof(name)), 0);
		ck_assert_str_eq(name, names[v]);
	}
	ck_assert_int_ge(H5Aread(a, H5T_NATIVE_UINT8, &v), 0);
	ck_assert_uint_eq(v, 2);
	H5Tclose(base);
	H5Tclose(t);
	H5Aclose(a);
}

static void check_spikes(hid_t f, const char *pop, int which, uint64_t n)
{
	char grp[64], ts[96], ids[96];
	double *t;
	uint64_t *id, i;
	size_t nt, ni;

	snprintf(grp, sizeof(grp), "/spikes/%s", pop);
	snprintf(ts, sizeof(ts), "%s/timestamps", grp);
	snprintf(ids, sizeof(ids), "%s/node_ids", grp);
	check_sorting(f, grp);
	assert_dtype(f, ts, H5T_IEEE_F64LE);
	assert_dtype(f, ids, H5T_STD_U64LE);
	assert_attr_str(f, ts, "units", "ms");
	t = read_all(f, ts, H5T_NATIVE_DOUBLE, &nt);
	id = read_all(f, ids, H5T_NATIVE_UINT64, &ni);
	ck_assert_uint_eq(nt, n);
	ck_assert_uint_eq(ni, n);
	for (i = 0; i < n; i++)
		if (t[i] != spike_t(which, i) || id[i] != spike_id(which, i))
			break;
	ck_assert_msg(
	    i == n, "%s: spike %llu is (%g, %llu), expected (%g, %llu)", grp,
	    (unsigned long long)i, i < n ? t[i] : 0,
	    (unsigned long long)(i < n ? id[i] : 0), spike_t(which, i),
	    (unsigned long long)spike_id(which, i));
	free(t);
	free(id);
}

/* Datasets grow in chunks of bounded size. */
static void check_chunked(hid_t f, const char *path, int rank)
{
	hid_t d = H5Dopen2(f, path, H5P_DEFAULT), p = H5Dget_create_plist(d),
	      s = H5Dget_space(d);
	hsize_t chunk[2], maxdims[2];

	ck_assert_int_eq(H5Pget_layout(p), H5D_CHUNKED);
	ck_assert_int_eq(H5Pget_chunk(p, rank, chunk), rank);
	ck_assert_uint_le(chunk[0] * (rank == 2 ? chunk[1] : 1), 65536);
	H5Sget_simple_extent_dims(s, NULL, maxdims);
	ck_assert(maxdims[0] == H5S_UNLIMITED);
	H5Sclose(s);
	H5Pclose(p);
	H5Dclose(d);
}

/* One report group (docs/formats.md, "Traces") against its definition. */
static void check_report(hid_t f, const char *g, size_t rep)
{
	const struct report_def *def = &reports[rep];
	char p[256];
	hsize_t dims[2];
	uint64_t *u64;
	uint32_t *u32;
	float *f32;
	double *time;
	size_t n, k, j;

	assert_attr_str(f, g, "variable", def->var);
	snprintf(p, sizeof(p), "%s/data", g);
	assert_dtype(f, p, H5T_IEEE_F32LE);
	check_chunked(f, p, 2);
	assert_attr_str(f, p, "units", def->units);
	ck_assert_int_eq(shape(f, p, dims), 2);
	ck_assert_uint_eq(dims[0], def->frames);
	ck_assert_uint_eq(dims[1], def->n);
	f32 = read_all(f, p, H5T_NATIVE_FLOAT, &n);
	for (k = 0; k < n; k++)
		if (f32[k] != frame_value(rep, k / def->n, k % def->n))
			break;
	ck_assert_msg(k == n, "%s: value %zu is %g, expected %g", p, k,
	              k < n ? f32[k] : 0,
	              frame_value(rep, k / def->n, k % def->n));
	free(f32);

	snprintf(p, sizeof(p), "%s/mapping/node_ids", g);
	assert_dtype(f, p, H5T_STD_U64LE);
	u64 = read_all(f, p, H5T_NATIVE_UINT64, &n);
	ck_assert_uint_eq(n, def->n);
	for (j = 0; j < n; j++)
		ck_assert_uint_eq(u64[j], def->ids[j]);
	free(u64);

	snprintf(p, sizeof(p), "%s/mapping/index_pointers", g);
	assert_dtype(f, p, H5T_STD_U64LE);
	u64 = read_all(f, p, H5T_NATIVE_UINT64, &n);
	ck_assert_uint_eq(n, def->n + 1);
	for (j = 0; j < n; j++)
		ck_assert_uint_eq(u64[j], j);
	free(u64);
	{
		char alias[256];

		snprintf(alias, sizeof(alias), "%s/mapping/index_pointer", g);
		ck_assert(same_object(f, p, alias));
	}

	snprintf(p, sizeof(p), "%s/mapping/element_ids", g);
	assert_dtype(f, p, H5T_STD_U32LE);
	u32 = read_all(f, p, H5T_NATIVE_UINT32, &n);
	ck_assert_uint_eq(n, def->n);
	for (j = 0; j < n; j++)
		ck_assert_uint_eq(u32[j], 0);
	free(u32);

	snprintf(p, sizeof(p), "%s/mapping/element_pos", g);
	assert_dtype(f, p, H5T_IEEE_F32LE);
	f32 = read_all(f, p, H5T_NATIVE_FLOAT, &n);
	ck_assert_uint_eq(n, def->n);
	for (j = 0; j < n; j++)
		ck_assert_float_eq(f32[j], 0);
	free(f32);

	snprintf(p, sizeof(p), "%s/mapping/time", g);
	assert_dtype(f, p, H5T_IEEE_F64LE);
	assert_attr_str(f, p, "units", "ms");
	time = read_all(f, p, H5T_NATIVE_DOUBLE, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_double_eq(time[0], def->start);
	/* stop = start + F dt, computed the same way: exact. */
	ck_assert_double_eq(time[1],
	                    def->start + (double)def->frames * def->dt);
	ck_assert_double_eq(time[2], def->dt);
	free(time);
}

static void check_meta(hid_t f)
{
	char p[128], *s;
	uint8_t interrupted;
	size_t i, n;
	hid_t d, t;

	assert_attr_str(f, "/memspike/run", "memspike_version",
	                MS_VERSION_STRING);
	ck_assert_uint_eq(attr_u64(f, "/memspike/run", "seed"), 1234);
	assert_attr_str(f, "/memspike/run", "config_path",
	                "examples/reference.yaml");
	ck_assert_double_eq(attr_f64(f, "/memspike/run", "t_start_ms"), 0);
	ck_assert_double_eq(attr_f64(f, "/memspike/run", "t_stop_ms"), 12000);
	ck_assert_double_eq(attr_f64(f, "/memspike/run", "wall_time_s"), 1.5);
	attr_num(f, "/memspike/run", "interrupted", H5T_STD_U8LE,
	         H5T_NATIVE_UINT8, 0, &interrupted);
	ck_assert_uint_eq(interrupted, 0);
	assert_attr_str(f, "/memspike/run", "write_error", "");

	d = H5Dopen2(f, "/memspike/run/config", H5P_DEFAULT);
	ck_assert_int_ge(d, 0);
	t = H5Dget_type(d);
	ck_assert_int_gt(H5Tis_variable_str(t), 0);
	ck_assert_int_eq(H5Tget_cset(t), H5T_CSET_UTF8);
	ck_assert_int_ge(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s), 0);
	ck_assert_str_eq(s, config_text);
	H5free_memory(s);
	H5Tclose(t);
	H5Dclose(d);

	n = sizeof(pop_meta) / sizeof(pop_meta[0]);
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "/memspike/populations/%s",
		         pop_meta[i].name);
		assert_attr_str(f, p, "model", pop_meta[i].model);
		ck_assert_uint_eq(attr_u64(f, p, "n_nodes"),
		                  pop_meta[i].n_nodes);
		ck_assert_uint_eq(attr_u64(f, p, "n_spikes"),
		                  pop_meta[i].n_spikes);
	}
}

/* The space reserved while writing (against a full disk) is given back at
 * close: the file ends exactly where HDF5's end of allocation says. */
static void check_trimmed(const char *path, hid_t f)
{
	struct stat sb;
	haddr_t eoa;

	ck_assert_int_ge(H5Fget_eoa(f, &eoa), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_msg((uint64_t)sb.st_size == (uint64_t)eoa,
	              "%s: %lld bytes, end of allocation %llu", path,
	              (long long)sb.st_size, (unsigned long long)eoa);
}

START_TEST(reference_file_reads_back_exactly)
{
	const char *path = tmp_path("reference.h5");
	hid_t f;

	write_reference(path);
	f = open_ro(path);
	check_root(f);
	check_spikes(f, "exc", 0, N_EXC_SPIKES);
	check_spikes(f, "inh", 1, N_INH_SPIKES);
	check_spikes(f, "silent", 0, 0);
	check_chunked(f, "/spikes/exc/timestamps", 1);
	check_chunked(f, "/spikes/exc/node_ids", 1);

	/* The first variable of exc is the SONATA report, also linked under
	 * /memspike/report; the second lives only there. */
	check_report(f, "/report/exc", 0);
	ck_assert(same_object(f, "/report/exc", "/memspike/report/exc/V_m"));
	check_report(f, "/memspike/report/exc/I_syn", 1);
	ck_assert(!link_exists(f, "/report/exc/I_syn"));
	check_report(f, "/report/inh", 2);
	ck_assert(same_object(f, "/report/inh", "/memspike/report/inh/V_m"));

	check_meta(f);
	check_trimmed(path, f);
	ck_assert_int_ge(H5Fclose(f), 0);

	assert_script_ok("verify_format.py", path);
	assert_script_ok("check_bmtk.py", path);
}
END_TEST

/* A file with nothing recorded is still a valid file. */
START_TEST(empty_file_is_valid)
{
	const char *path = tmp_path("empty.h5");
	ms__rec_meta meta = {.version = MS_VERSION_STRING};
	char err[512];
	ms__rec *r;
	hid_t f;

	ck_assert_int_eq(ms__rec_open(path, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(ms__rec_set_meta(r, &meta), 0);
	ck_assert_int_eq(ms__rec_close(r), 0);
	f = open_ro(path);
	check_root(f);
	ck_assert(!link_exists(f, "/spikes"));
	ck_assert(!link_exists(f, "/report"));
	assert_attr_str(f, "/memspike/run", "config_path", "");
	check_trimmed(path, f);
	H5Fclose(f);
	assert_script_ok("verify_format.py", path);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* ms_file_info                                                             */

/* The summary of path as text (free it), and the call's result in *rc. */
static char *file_info(const char *path, int *rc, ms_error *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(out);
	*rc = ms_file_info(path, out, err);
	fclose(out);
	return text;
}

static void assert_has(const char *text, const char *want)
{
	ck_assert_msg(strstr(text, want) != NULL, "'%s' not in:\n%s", want,
	              text);
}

/* Populations and variables come in name order. Rates are
 * n_spikes / n_nodes / 12 s: exc 100000/10/12 = 833.33 Hz,
 * inh 1000/5/12 = 16.67 Hz, noise 17/4/12 = 0.35 Hz. */
START_TEST(file_info_summarises_reference)
{
	const char *path = tmp_path("reference.h5");
	ms_error err;
	char *text;
	int rc;

	write_reference(path);
	text = file_info(path, &rc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	assert_has(text, "format 0.1, written by memspike " MS_VERSION_STRING
	                 ", seed 1234");
	assert_has(text, "simulated 0 to 12000 ms (12000 ms) in 1.5 s\n");
	assert_has(text, "config: examples/reference.yaml");
	assert_has(text, "exc              lif_exp              10     100000"
	                 "     833.33  spikes, I_syn, V_m\n");
	assert_has(text, "inh              lif_delta             5       1000"
	                 "      16.67  spikes, V_m\n");
	assert_has(text, "silent           poisson               3          0"
	                 "       0.00  spikes\n");
	assert_has(text, "noise            spike_source          4         17"
	                 "       0.35  -\n");
	assert_has(text, "exc/I_syn                      10         10"
	                 "          1            2  pA\n");
	assert_has(text, "inh/V_m                         5     120000"
	                 "        0.1          0.1  mV\n");
	free(text);
}
END_TEST

START_TEST(file_info_reports_bad_files)
{
	const char *missing = tmp_path("missing.h5");
	const char *text_file = tmp_path("text.h5");
	const char *other = tmp_path("other.h5");
	FILE *t = fopen(text_file, "w");
	ms_error err;
	char *text;
	hid_t f;
	int rc;

	ck_assert_ptr_nonnull(t);
	fputs("plain text\n", t);
	fclose(t);
	f = H5Fcreate(other, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	ck_assert_int_ge(f, 0);
	H5Fclose(f);

	text = file_info(missing, &rc, &err);
	ck_assert_int_eq(rc, MS_ENOENT);
	ck_assert_int_eq(err.code, MS_ENOENT);
	assert_has(err.msg, missing);
	assert_has(err.msg, "No such file");
	free(text);
	text = file_info(text_file, &rc, &err);
	ck_assert_int_eq(rc, MS_EFORMAT);
	assert_has(err.msg, text_file);
	assert_has(err.msg, "not an HDF5 file");
	free(text);
	text = file_info(other, &rc, &err);
	ck_assert_int_eq(rc, MS_EFORMAT);
	assert_has(err.msg, "not a memspike/SONATA output file");
	free(text);
	text = file_info(tmpdir, &rc, &err);
	ck_assert_int_eq(rc, MS_EIO);
	assert_has(err.msg, "directory");
	free(text);
	ck_assert_int_eq(ms_file_info(NULL, stdout, NULL), MS_EINVAL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Opening                                                                  */

static int dir_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

START_TEST(open_in_missing_directory_fails_without_file)
{
	const char *path = tmp_path("no/such/dir/out.h5");
	char err[512] = "";
	ms__rec *r = NULL;
	struct stat sb;

	ck_assert_int_eq(ms__rec_open(path, &r, err, sizeof(err)), MS_EIO);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, path) != NULL, "message: %s", err);
	ck_assert_msg(strstr(err, "No such file or directory") != NULL,
	              "message: %s", err);
	ck_assert_int_ne(stat(path, &sb), 0);
	ck_assert_int_eq(dir_entries(tmpdir), 0);
}
END_TEST

START_TEST(open_on_directory_fails_without_file)
{
	char err[512] = "";
	ms__rec *r = NULL;
	struct stat sb;

	ck_assert_int_eq(ms__rec_open(tmpdir, &r, err, sizeof(err)), MS_EIO);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, tmpdir) != NULL, "message: %s", err);
	ck_assert_msg(strstr(err, "directory") != NULL, "message: %s", err);
	ck_assert_int_eq(stat(tmpdir, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	ck_assert_int_eq(dir_entries(tmpdir), 0);
}
END_TEST

/* A device is refused before anything touches it (an HDF5 file needs a
 * regular file; removing the path after a failed create would remove the
 * device node). */
START_TEST(open_on_device_is_refused)
{
	char err[512] = "";
	ms__rec *r = NULL;
	struct stat sb;

	ck_assert_int_eq(stat("/dev/null", &sb), 0);
	ck_assert(S_ISCHR(sb.st_mode));
	ck_assert_int_eq(ms__rec_open("/dev/null", &r, err, sizeof(err)),
	                 MS_EIO);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "/dev/null: cannot create: not a regular "
	                          "file") != NULL,
	              "message: %s", err);
	ck_assert_int_eq(stat("/dev/null", &sb), 0);
	ck_assert(S_ISCHR(sb.st_mode));
}
END_TEST

START_TEST(open_truncates_existing_file)
{
	const char *path = tmp_path("old.h5");
	char err[512];
	FILE *old = fopen(path, "w");
	ms__rec *r;
	hid_t f;

	ck_assert_ptr_nonnull(old);
	fputs("not an HDF5 file\n", old);
	fclose(old);
	ck_assert_int_eq(ms__rec_open(path, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(ms__rec_close(r), 0);
	f = open_ro(path);
	check_root(f);
	H5Fclose(f);
}
END_TEST

START_TEST(open_without_path_is_refused)
{
	char err[512] = "";
	ms__rec *r = NULL;

	ck_assert_int_eq(ms__rec_open(NULL, &r, err, sizeof(err)), MS_EINVAL);
	ck_assert_int_eq(ms__rec_open("", &r, err, sizeof(err)), MS_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_str_ne(err, "");
	ck_assert_int_eq(ms__rec_close(NULL), 0);
	ck_assert_str_eq(ms__rec_error(NULL), "");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Misuse                                                                   */

START_TEST(misuse_is_refused_and_appends_nothing)
{
	const char *path = tmp_path("misuse.h5");
	static const uint64_t ids[2] = {0, 1};
	double t[2] = {1.0, 0.5}, nan_t = NAN, t3 = 3.0, t2 = 2.0;
	uint64_t id0 = 0, id_big = 4;
	float v[2] = {1, 2};
	char err[512];
	ms__rec *r;
	int hs, hr, h;
	size_t n;
	hid_t f;
	double *got;

	ck_assert_int_eq(ms__rec_open(path, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(ms__rec_add_spikes(r, "a", 4, &hs), 0);
	ck_assert_int_eq(ms__rec_add_spikes(r, "a", 4, &h), MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(ms__rec_error(r), "already"));
	ck_assert_int_eq(ms__rec_add_spikes(r, "b/c", 4, &h), MS_EINVAL);
	ck_assert_int_eq(ms__rec_add_spikes(r, "..", 4, &h), MS_EINVAL);
	ck_assert_int_eq(ms__rec_add_spikes(r, "", 4, &h), MS_EINVAL);
	ck_assert_int_eq(ms__rec_add_spikes(r, "z", 0, &h), MS_EINVAL);
	ck_assert_int_eq(
	    ms__rec_add_report(r, "a", "V_m", "mV", ids, 2, 0, 0.1, &hr), 0);
	ck_assert_int_eq(
	    ms__rec_add_report(r, "a", "V_m", "mV", ids, 2, 0, 0.1, &h),
	    MS_EINVAL);
	ck_assert_int_eq(
	    ms__rec_add_report(r, "a", "w", "mV", ids, 0, 0, 0.1, &h),
	    MS_EINVAL);
	ck_assert_int_eq(
	    ms__rec_add_report(r, "a", "w", "mV", ids, 2, 0, 0, &h), MS_EINVAL);
	ck_assert_int_eq(
	    ms__rec_add_report(r, "a", "w", "mV", ids, 2, NAN, 1, &h),
	    MS_EINVAL);

	/* Out of order inside a call, NaN, id out of range: nothing kept. */
	ck_assert_int_eq(ms__rec_spikes(r, hs, t, ids, 2), MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(ms__rec_error(r), "order"));
	ck_assert_int_eq(ms__rec_spikes(r, hs, &nan_t, &id0, 1), MS_EINVAL);
	ck_assert_int_eq(ms__rec_spikes(r, hs, &t3, &id_big, 1), MS_EINVAL);
	ck_assert_int_eq(ms__rec_spikes(r, hs, &t3, &id0, 1), 0);
	/* Out of order across calls. */
	ck_assert_int_eq(ms__rec_spikes(r, hs, &t2, &id0, 1), MS_EINVAL);
	ck_assert_int_eq(ms__rec_spikes(r, hs, &t3, &id0, 1), 0);
	ck_assert_int_eq(ms__rec_spikes(r, hs, NULL, NULL, 0), 0);
	/* Handles of the wrong kind or out of range. */
	ck_assert_int_eq(ms__rec_spikes(r, hr, &t3, &id0, 1), MS_EINVAL);
	ck_assert_int_eq(ms__rec_spikes(r, 99, &t3, &id0, 1), MS_EINVAL);
	ck_assert_int_eq(ms__rec_frame(r, hs, v), MS_EINVAL);
	ck_assert_int_eq(ms__rec_frame(r, hr, NULL), MS_EINVAL);
	ck_assert_int_eq(ms__rec_frame(r, hr, v), 0);
	/* Streams are fixed once data flows. */
	ck_assert_int_eq(ms__rec_add_spikes(r, "late", 4, &h), MS_ESTATE);
	ck_assert_int_eq(ms__rec_set_meta(r, NULL), MS_EINVAL);
	ck_assert_int_eq(ms__rec_close(r), 0);

	f = open_ro(path);
	got = read_all(f, "/spikes/a/timestamps", H5T_NATIVE_DOUBLE, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_double_eq(got[0], 3.0);
	ck_assert_double_eq(got[1], 3.0);
	free(got);
	got = read_all(f, "/report/a/mapping/time", H5T_NATIVE_DOUBLE, &n);
	ck_assert_double_eq_tol(got[1], 0.1, 1e-15);
	free(got);
	ck_assert(!link_exists(f, "/spikes/late"));
	H5Fclose(f);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The verifier rejects files that break the specification                  */

/* A small valid file: spikes of one population, one report, metadata. */
static void write_small(const char *path)
{
	static const uint64_t ids[3] = {0, 1, 2};
	static const ms__rec_pop_meta pm = {"p", "lif_delta", 3, 100};
	ms__rec_meta meta = {.version = MS_VERSION_STRING,
	                     .t_stop_ms = 100,
	                     .pops = &pm,
	                     .n_pops = 1};
	double t[100];
	uint64_t id[100];
	float v[3] = {1, 2, 3};
	char err[512];
	ms__rec *r;
	int hs, hr, i;

	for (i = 0; i < 100; i++) {
		t[i] = i * 0.5;
		id[i] = (uint64_t)i % 3;
	}
	ck_assert_int_eq(ms__rec_open(path, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(ms__rec_add_spikes(r, "p", 3, &hs), 0);
	ck_assert_int_eq(
	    ms__rec_add_report(r, "p", "V_m", "mV", ids, 3, 0, 1, &hr), 0);
	ck_assert_int_eq(ms__rec_spikes(r, hs, t, id, 100), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(ms__rec_frame(r, hr, v), 0);
	ck_assert_int_eq(ms__rec_set_meta(r, &meta), 0);
	ck_assert_int_eq(ms__rec_close(r), 0);
}

static void write_u32_attr(hid_t f, const char *obj, const char *name,
                           uint32_t v)
{
	hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);

	ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_UINT32, &v), 0);
	H5Aclose(a);
}

static void write_doubles(hid_t f, const char *path, hsize_t lo, hsize_t n,
                          const double *v)
{
	hid_t d = H5Dopen2(f, path, H5P_DEFAULT), fs = H5Dget_space(d),
	      ms = H5Screate_simple(1, &n, NULL);

	H5Sselect_hyperslab(fs, H5S_SELECT_SET, &lo, NULL, &n, NULL);
	ck_assert_int_ge(H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, v),
	                 0);
	H5Sclose(ms);
	H5Sclose(fs);
	H5Dclose(d);
}

static void break_magic(hid_t f)
{
	write_u32_attr(f, "/", "magic", 0x0A7B);
}

static void break_lengths(hid_t f)
{
	hid_t d = H5Dopen2(f, "/spikes/p/node_ids", H5P_DEFAULT);
	hsize_t n = 101;

	ck_assert_int_ge(H5Dset_extent(d, &n), 0);
	H5Dclose(d);
}

static void break_order(hid_t f)
{
	static const double swapped[2] = {6.0, 5.0};

	write_doubles(f, "/spikes/p/timestamps", 10, 2, swapped);
}

static void break_time(hid_t f)
{
	static const double stop = 21.0;

	write_doubles(f, "/report/p/mapping/time", 1, 1, &stop);
}

static void break_hard_link(hid_t f)
{
	static const uint64_t ip[4] = {0, 1, 2, 3};
	hsize_t n = 4;
	hid_t s = H5Screate_simple(1, &n, NULL), d;

	ck_assert_int_ge(
	    H5Ldelete(f, "/report/p/mapping/index_pointer", H5P_DEFAULT), 0);
	d = H5Dcreate2(f, "/report/p/mapping/index_pointer", H5T_STD_U64LE, s,
	               H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	ck_assert_int_ge(
	    H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ip),
	    0);
	H5Dclose(d);
	H5Sclose(s);
}

static void break_index_pointers(hid_t f)
{
	static const uint64_t ip[4] = {0, 2, 1, 3};
	hid_t d = H5Dopen2(f, "/report/p/mapping/index_pointers", H5P_DEFAULT);

	ck_assert_int_ge(
	    H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ip),
	    0);
	H5Dclose(d);
}

/* bmtk's own writer stores sorting as text; the specification asks for
 * the SONATA enum. */
static void break_sorting(hid_t f)
{
	const char *v = "by_time";
	hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a;

	H5Tset_size(t, H5T_VARIABLE);
	ck_assert_int_ge(
	    H5Adelete_by_name(f, "/spikes/p", "sorting", H5P_DEFAULT), 0);
	a = H5Acreate_by_name(f, "/spikes/p", "sorting", t, s, H5P_DEFAULT,
	                      H5P_DEFAULT, H5P_DEFAULT);
	ck_assert_int_ge(H5Awrite(a, t, &v), 0);
	H5Aclose(a);
	H5Sclose(s);
	H5Tclose(t);
}

static void break_run(hid_t f)
{
	ck_assert_int_ge(H5Ldelete(f, "/memspike/run", H5P_DEFAULT), 0);
}

static void break_node_range(hid_t f)
{
	static const uint64_t big = 3;
	hsize_t lo = 5, n = 1;
	hid_t d = H5Dopen2(f, "/spikes/p/node_ids", H5P_DEFAULT),
	      fs = H5Dget_space(d), ms = H5Screate_simple(1, &n, NULL);

	H5Sselect_hyperslab(fs, H5S_SELECT_SET, &lo, NULL, &n, NULL);
	ck_assert_int_ge(
	    H5Dwrite(d, H5T_NATIVE_UINT64, ms, fs, H5P_DEFAULT, &big), 0);
	H5Sclose(ms);
	H5Sclose(fs);
	H5Dclose(d);
}

static void break_extra_root(hid_t f)
{
	hid_t g =
	    H5Gcreate2(f, "/weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);

	ck_assert_int_ge(g, 0);
	H5Gclose(g);
}

static void (*const breakers[])(hid_t) = {
    break_magic,      break_lengths,        break_order,   break_time,
    break_hard_link,  break_index_pointers, break_sorting, break_run,
    break_node_range, break_extra_root,
};
#define N_BREAKERS (sizeof(breakers) / sizeof(breakers[0]))

START_TEST(verifier_rejects_broken_file)
{
	const char *path = tmp_path("broken.h5");
	hid_t f;
	int rc;

	write_small(path);
	rc = run_script("verify_format.py", path);
	if (rc < 0)
		return;
	ck_assert_int_eq(rc, 0);
	f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	ck_assert_int_ge(f, 0);
	breakers[_i](f);
	ck_assert_int_ge(H5Fclose(f), 0);
	ck_assert_int_eq(run_script("verify_format.py", path), 1);
}
END_TEST

START_TEST(verifier_refuses_non_hdf5)
{
	const char *path = tmp_path("text.h5");
	FILE *t = fopen(path, "w");
	int rc;

	ck_assert_ptr_nonnull(t);
	fputs("plain text\n", t);
	fclose(t);
	rc = run_script("verify_format.py", path);
	if (rc >= 0)
		ck_assert_int_eq(rc, 2);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* A write error mid-run                                                    */

#define LIMIT_BYTES (8L << 20)
#define DISK_SPIKES 1000000u

/* The child's view of the run, sent to the parent through a pipe. */
struct disk_result {
	int first_fail;    /* code of the first failing append */
	uint64_t accepted; /* spikes appended before it */
	int meta_rc, close_rc;
	char msg[512]; /* ms__rec_error() after set_meta */
};

/* Run a recording that outgrows the file-size limit, with SIGXFSZ ignored
 * (ignore) or left to its default action, which would kill the process if
 * the writer thread did not block it. */
static void disk_child(const char *path, int fd, int ignore)
{
	static const uint64_t ids[4] = {0, 1, 2, 3};
	struct rlimit rl = {LIMIT_BYTES, LIMIT_BYTES};
	struct disk_result res = {0};
	ms__rec_meta meta = {.version = MS_VERSION_STRING, .seed = 7};
	ms__rec_pop_meta pm = {"p", "lif_delta", 100, 0};
	double t[100];
	uint64_t id[100];
	float v[4] = {0};
	char err[512];
	ms__rec *r;
	int hs, hr, rc;
	uint64_t i, k;

	if (ignore)
		signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl))
		_exit(3);
	if (ms__rec_open(path, &r, err, sizeof(err)) ||
	    ms__rec_add_spikes(r, "p", 100, &hs) ||
	    ms__rec_add_report(r, "p", "V_m", "mV", ids, 4, 0, 1, &hr))
		_exit(4);
	for (i = 0; i < DISK_SPIKES && !res.first_fail; i += 100) {
		for (k = 0; k < 100; k++) {
			t[k] = (double)(i + k) * 0.01;
			id[k] = (i + k) % 100;
		}
		rc = ms__rec_spikes(r, hs, t, id, 100);
		if (rc == 0 && i % 1000 == 0)
			rc = ms__rec_frame(r, hr, v);
		if (rc < 0)
			res.first_fail = rc;
		else
			res.accepted = i + 100;
	}
	pm.n_spikes = DISK_SPIKES;
	meta.t_stop_ms = (double)DISK_SPIKES * 0.01;
	meta.pops = &pm;
	meta.n_pops = 1;
	res.meta_rc = ms__rec_set_meta(r, &meta);
	snprintf(res.msg, sizeof(res.msg), "%s", ms__rec_error(r));
	res.close_rc = ms__rec_close(r);
	if (write(fd, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(5);
	_exit(0);
}

START_TEST(file_size_limit_keeps_valid_prefix)
{
	const char *path = tmp_path("full.h5");
	struct disk_result res;
	struct stat sb;
	int fds[2], status;
	uint64_t n, i;
	size_t nt, ni;
	double *t;
	uint64_t *id;
	char *werr;
	hid_t f;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		disk_child(path, fds[1], _i == 0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &res, sizeof(res)), (int)sizeof(res));
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The error reached the caller: appends, metadata and close. */
	ck_assert_int_eq(res.first_fail, MS_EIO);
	ck_assert_int_eq(res.meta_rc, MS_EIO);
	ck_assert_int_eq(res.close_rc, MS_EIO);
	ck_assert_msg(strstr(res.msg, path) && strstr(res.msg, "too large"),
	              "message: %s", res.msg);
	ck_assert_uint_gt(res.accepted, 0);
	ck_assert_uint_lt(res.accepted, DISK_SPIKES);

	/* The file fits the limit, opens, and holds a consistent prefix. */
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_le(sb.st_size, LIMIT_BYTES);
	f = open_ro(path);
	check_root(f);
	t = read_all(f, "/spikes/p/timestamps", H5T_NATIVE_DOUBLE, &nt);
	id = read_all(f, "/spikes/p/node_ids", H5T_NATIVE_UINT64, &ni);
	ck_assert_uint_eq(nt, ni);
	n = nt;
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, res.accepted);
	for (i = 0; i < n; i++)
		if (t[i] != (double)i * 0.01 || id[i] != i % 100)
			break;
	ck_assert_msg(i == n, "spike %llu differs", (unsigned long long)i);
	free(t);
	free(id);
	werr = attr_str(f, "/memspike/run", "write_error");
	ck_assert_str_eq(werr, res.msg);
	free(werr);
	H5Fclose(f);
	assert_script_ok("verify_format.py", path);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */

#define BIG_SPIKES   10000000u
#define RSS_LIMIT_KB (100L * 1024)
#define SLICE        ((hsize_t)1 << 16)

/* 10^7 spikes in batches of 10: the recorder's memory is its block pool,
 * not the spike train. Peak RSS (ru_maxrss, KiB on Linux) of this process
 * includes the HDF5 library and the test itself. */
START_TEST(ten_million_spikes_in_bounded_memory)
{
	const char *path = tmp_path("big.h5");
	ms__rec_meta meta = {.version = MS_VERSION_STRING,
	                     .t_stop_ms = BIG_SPIKES * 1e-3};
	struct rusage ru;
	double t[10], *tb;
	uint64_t id[10], *ib, i, k;
	hsize_t dims[2], lo, n;
	char err[512];
	ms__rec *r;
	hid_t f, dt, di;
	int h, rc = 0;

	ck_assert_int_eq(ms__rec_open(path, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(ms__rec_add_spikes(r, "big", 1000, &h), 0);
	for (i = 0; i < BIG_SPIKES && !rc; i += 10) {
		for (k = 0; k < 10; k++) {
			t[k] = (double)(i + k) * 1e-3;
			id[k] = (i + k) % 1000;
		}
		rc = ms__rec_spikes(r, h, t, id, 10);
	}
	ck_assert_msg(rc == 0, "append: %s", ms__rec_error(r));
	ck_assert_int_eq(ms__rec_set_meta(r, &meta), 0);
	ck_assert_int_eq(ms__rec_close(r), 0);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	ck_assert_int_lt(ru.ru_maxrss, RSS_LIMIT_KB);

	f = open_ro(path);
	ck_assert_int_eq(shape(f, "/spikes/big/timestamps", dims), 1);
	ck_assert_uint_eq(dims[0], BIG_SPIKES);
	ck_assert_int_eq(shape(f, "/spikes/big/node_ids", dims), 1);
	ck_assert_uint_eq(dims[0], BIG_SPIKES);
	dt = H5Dopen2(f, "/spikes/big/timestamps", H5P_DEFAULT);
	di = H5Dopen2(f, "/spikes/big/node_ids", H5P_DEFAULT);
	tb = malloc(SLICE * sizeof(*tb));
	ib = malloc(SLICE * sizeof(*ib));
	ck_assert(tb && ib);
	for (lo = 0; lo < BIG_SPIKES; lo += n) {
		n = BIG_SPIKES - lo < SLICE ? BIG_SPIKES - lo : SLICE;
		read_slice(dt, H5T_NATIVE_DOUBLE, lo, n, tb);
		read_slice(di, H5T_NATIVE_UINT64, lo, n, ib);
		for (k = 0; k < n; k++)
			if (tb[k] != (double)(lo + k) * 1e-3 ||
			    ib[k] != (lo + k) % 1000)
				break;
		ck_assert_msg(k == n, "spike %llu differs",
		              (unsigned long long)(lo + k));
	}
	free(tb);
	free(ib);
	H5Dclose(dt);
	H5Dclose(di);
	H5Fclose(f);
}
END_TEST

static Suite *recorder_suite(void)
{
	Suite *s = suite_create("recorder");
	TCase *tc;

	tc = tcase_create("layout");
	tcase_add_checked_fixture(tc, setup_tmpdir, remove_tmpdir);
	tcase_add_test(tc, reference_file_reads_back_exactly);
	tcase_add_test(tc, empty_file_is_valid);
	suite_add_tcase(s, tc);

	tc = tcase_create("info");
	tcase_add_checked_fixture(tc, setup_tmpdir, remove_tmpdir);
	tcase_add_test(tc, file_info_summarises_reference);
	tcase_add_test(tc, file_info_reports_bad_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup_tmpdir, remove_tmpdir);
	tcase_add_test(tc, open_in_missing_directory_fails_without_file);
	tcase_add_test(tc, open_on_directory_fails_without_file);
	tcase_add_test(tc, open_on_device_is_refused);
	tcase_add_test(tc, open_truncates_existing_file);
	tcase_add_test(tc, open_without_path_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("misuse");
	tcase_add_checked_fixture(tc, setup_tmpdir, remove_tmpdir);
	tcase_add_test(tc, misuse_is_refused_and_appends_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("verifier");
	tcase_add_checked_fixture(tc, setup_tmpdir, remove_tmpdir);
	tcase_add_loop_test(tc, verifier_rejects_broken_file, 0, N_BREAKERS);
	tcase_add_test(tc, verifier_refuses_non_hdf5);
	suite_add_tcase(s, tc);

	tc = tcase_create("write_error");
	tcase_add_checked_fixture(tc, setup_tmpdir, remove_tmpdir);
	tcase_add_loop_test(tc, file_size_limit_keeps_valid_prefix, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_checked_fixture(tc, setup_tmpdir, remove_tmpdir);
	tcase_add_test(tc, ten_million_spikes_in_bounded_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(recorder_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

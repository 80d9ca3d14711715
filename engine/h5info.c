/*
 * h5info — ms_file_info(): a text summary of an output file (docs/formats.md)
 * for `memspike info`: the run, then one line per population (model, size,
 * spikes, mean rate, what is recorded), then one line per trace.
 *
 * It reads SONATA files from other writers too: whatever /memspike metadata
 * is missing is shown as "-". Curve files of `memspike stdp-curve` (/stdp)
 * get the run, the fitted exponentials and the points instead. HDF5's automatic
 * error printing is turned off on the calling thread for the duration of the
 * call and restored after.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include <memspike/memspike.h>

#define INFO_NAME_LEN 64

struct pop_info {
	char name[INFO_NAME_LEN];
	char model[INFO_NAME_LEN];
	int has_meta; /* /memspike/populations/<pop> exists */
	uint64_t n_nodes, n_spikes;
	int recorded;        /* /spikes/<pop> exists */
	uint64_t n_recorded; /* its length */
	char vars[256];      /* traced variables, ", "-separated */
};

/* A traced variable: the group holding its data and mapping. */
struct trace {
	char pop[INFO_NAME_LEN], var[INFO_NAME_LEN];
	char group[3 * INFO_NAME_LEN + 32];
};

struct info {
	hid_t f;
	struct pop_info *pops;
	size_t n_pops;
	struct trace *traces;
	size_t n_traces;
	int has_run;
	double t_start, t_stop;
};

static int set_err(ms_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Attribute name of object obj if it holds exactly n values (files from
 * other writers may differ from docs/formats.md), else -1. */
static hid_t open_attr(hid_t f, const char *obj, const char *name, hssize_t n)
{
	hid_t a, space;
	hssize_t got = -1;

	if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) <= 0)
		return H5I_INVALID_HID;
	a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0)
		return H5I_INVALID_HID;
	space = H5Aget_space(a);
	if (space >= 0) {
		got = H5Sget_simple_extent_npoints(space);
		H5Sclose(space);
	}
	if (got != n) {
		H5Aclose(a);
		return H5I_INVALID_HID;
	}
	return a;
}

/* Read n numbers of attribute name, converted to mtype, into v; returns 1
 * if that worked, 0 if the attribute is absent or of another shape. */
static int attr_read(hid_t f, const char *obj, const char *name, hid_t mtype,
                     hssize_t n, void *v)
{
	hid_t a = open_attr(f, obj, name, n);
	herr_t st;

	if (a < 0)
		return 0;
	st = H5Aread(a, mtype, v);
	H5Aclose(a);
	return st >= 0;
}

static int attr_double(hid_t f, const char *obj, const char *name, double *v)
{
	return attr_read(f, obj, name, H5T_NATIVE_DOUBLE, 1, v);
}

static int attr_u64(hid_t f, const char *obj, const char *name, uint64_t *v)
{
	return attr_read(f, obj, name, H5T_NATIVE_UINT64, 1, v);
}

/* String attribute (variable or fixed length) into buf; 0 if absent. */
static int attr_string(hid_t f, const char *obj, const char *name, char *buf,
                       size_t len)
{
	hid_t a, t, mt;
	char *v = NULL, *fixed;
	size_t size;
	int ok = 0;

	a = open_attr(f, obj, name, 1);
	if (a < 0)
		return 0;
	t = H5Aget_type(a);
	if (t < 0 || H5Tget_class(t) != H5T_STRING)
		goto done;
	if (H5Tis_variable_str(t) > 0) {
		mt = H5Tcopy(t);
		if (H5Aread(a, mt, &v) >= 0 && v) {
			snprintf(buf, len, "%s", v);
			H5free_memory(v);
			ok = 1;
		}
		H5Tclose(mt);
	} else {
		size = H5Tget_size(t);
		fixed = calloc(1, size + 1);
		if (fixed && H5Aread(a, t, fixed) >= 0) {
			snprintf(buf, len, "%s", fixed);
			ok = 1;
		}
		free(fixed);
	}
done:
	if (t >= 0)
		H5Tclose(t);
	H5Aclose(a);
	return ok;
}

/* Length of the first dimension of the dataset at path (frames of report
 * data), its rank in *rank; 0 if it is absent or has more than 2. */
static uint64_t dataset_len(hid_t f, const char *path, int *rank)
{
	hsize_t dims[2] = {0, 0};
	hid_t d, s;
	int r = -1;

	if (H5Lexists(f, path, H5P_DEFAULT) <= 0)
		return 0;
	d = H5Dopen2(f, path, H5P_DEFAULT);
	if (d < 0)
		return 0;
	s = H5Dget_space(d);
	if (s >= 0) {
		r = H5Sget_simple_extent_ndims(s);
		if (r >= 1 && r <= 2)
			H5Sget_simple_extent_dims(s, dims, NULL);
		H5Sclose(s);
	}
	H5Dclose(d);
	if (rank)
		*rank = r;
	return dims[0];
}

/* Names of the members of group path, in name order, through fn. */
static int each_member(hid_t f, const char *path,
                       int (*fn)(struct info *, const char *, const char *),
                       struct info *in)
{
	char name[INFO_NAME_LEN];
	H5G_info_t gi;
	hsize_t i;
	hid_t g;
	int rc = 0;

	if (H5Lexists(f, path, H5P_DEFAULT) <= 0)
		return 0;
	g = H5Gopen2(f, path, H5P_DEFAULT);
	if (g < 0)
		return 0;
	if (H5Gget_info(g, &gi) < 0)
		goto done;
	for (i = 0; i < gi.nlinks && rc == 0; i++) {
		if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i,
		                       name, sizeof(name), H5P_DEFAULT) < 0)
			continue;
		rc = fn(in, path, name);
	}
done:
	H5Gclose(g);
	return rc;
}

/* The entry of population name, added if new. NULL when out of memory. */
static struct pop_info *pop(struct info *in, const char *name)
{
	struct pop_info *grown;
	size_t i;

	for (i = 0; i < in->n_pops; i++)
		if (!strcmp(in->pops[i].name, name))
			return &in->pops[i];
	grown = realloc(in->pops, (in->n_pops + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	in->pops = grown;
	memset(&grown[in->n_pops], 0, sizeof(*grown));
	snprintf(grown[in->n_pops].name, INFO_NAME_LEN, "%s", name);
	return &grown[in->n_pops++];
}

/* Population name from /memspike/populations: model, size, spikes. */
static int add_meta_pop(struct info *in, const char *dir, const char *name)
{
	char path[2 * INFO_NAME_LEN + 32];
	struct pop_info *p = pop(in, name);

	if (!p)
		return MS_ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	p->has_meta = attr_u64(in->f, path, "n_nodes", &p->n_nodes);
	attr_u64(in->f, path, "n_spikes", &p->n_spikes);
	attr_string(in->f, path, "model", p->model, sizeof(p->model));
	return 0;
}

/* Population name has /spikes/<name>: note it and its length. */
static int add_spike_pop(struct info *in, const char *dir, const char *name)
{
	char path[2 * INFO_NAME_LEN + 32];
	struct pop_info *p = pop(in, name);

	if (!p)
		return MS_ENOMEM;
	snprintf(path, sizeof(path), "%s/%s/timestamps", dir, name);
	p->recorded = 1;
	p->n_recorded = dataset_len(in->f, path, NULL);
	return 0;
}

/* Note variable var of population pop_name, whose group is group. */
static int add_trace(struct info *in, const char *pop_name, const char *var,
                     const char *group)
{
	struct pop_info *p = pop(in, pop_name);
	struct trace *grown;
	size_t used;

	if (!p)
		return MS_ENOMEM;
	grown = realloc(in->traces, (in->n_traces + 1) * sizeof(*grown));
	if (!grown)
		return MS_ENOMEM;
	in->traces = grown;
	snprintf(grown[in->n_traces].pop, INFO_NAME_LEN, "%s", pop_name);
	snprintf(grown[in->n_traces].var, INFO_NAME_LEN, "%s", var);
	snprintf(grown[in->n_traces].group, sizeof(grown->group), "%s", group);
	in->n_traces++;
	used = strlen(p->vars);
	snprintf(p->vars + used, sizeof(p->vars) - used, "%s%s",
	         used ? ", " : "", var);
	return 0;
}

/* Every variable of a population under /memspike/report/<pop>. */
static int add_memspike_var(struct info *in, const char *dir, const char *name)
{
	char group[3 * INFO_NAME_LEN + 32];

	snprintf(group, sizeof(group), "%s/%s", dir, name);
	return add_trace(in, dir + strlen("/memspike/report/"), name, group);
}

static int add_memspike_report(struct info *in, const char *dir,
                               const char *name)
{
	char path[2 * INFO_NAME_LEN + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return each_member(in->f, path, add_memspike_var, in);
}

/* The single SONATA report of a population, for files from other writers
 * that have no /memspike/report. */
static int add_sonata_report(struct info *in, const char *dir, const char *name)
{
	char group[2 * INFO_NAME_LEN + 32], var[INFO_NAME_LEN] = "?";

	snprintf(group, sizeof(group), "%s/%s", dir, name);
	attr_string(in->f, group, "variable", var, sizeof(var));
	return add_trace(in, name, var, group);
}

/* The file and its /memspike/run; sets in->has_run and the run's times. */
static void print_run(struct info *in, const char *path, FILE *out)
{
	char version[64] = "?", config[1024] = "", werr[1024] = "";
	uint32_t fmt[2] = {0, 0};
	uint64_t seed = 0, interrupted = 0;
	double wall = 0;
	int have_fmt;

	fprintf(out, "%s\n", path);
	have_fmt = attr_read(in->f, "/", "version", H5T_NATIVE_UINT32, 2, fmt);
	in->has_run =
	    attr_double(in->f, "/memspike/run", "t_start_ms", &in->t_start) &&
	    attr_double(in->f, "/memspike/run", "t_stop_ms", &in->t_stop);
	if (!in->has_run) {
		if (have_fmt)
			fprintf(out,
			        "  format %u.%u; no memspike run metadata\n",
			        fmt[0], fmt[1]);
		else
			fprintf(out, "  no format version, no memspike run "
			             "metadata\n");
		return;
	}
	attr_string(in->f, "/memspike/run", "memspike_version", version,
	            sizeof(version));
	attr_u64(in->f, "/memspike/run", "seed", &seed);
	attr_double(in->f, "/memspike/run", "wall_time_s", &wall);
	attr_u64(in->f, "/memspike/run", "interrupted", &interrupted);
	attr_string(in->f, "/memspike/run", "config_path", config,
	            sizeof(config));
	attr_string(in->f, "/memspike/run", "write_error", werr, sizeof(werr));
	fprintf(out, "  format %u.%u, written by memspike %s, seed %llu\n",
	        fmt[0], fmt[1], version, (unsigned long long)seed);
	fprintf(out, "  simulated %g to %g ms (%g ms) in %.3g s%s\n",
	        in->t_start, in->t_stop, in->t_stop - in->t_start, wall,
	        interrupted ? ", interrupted" : "");
	if (config[0])
		fprintf(out, "  config: %s\n", config);
	if (werr[0])
		fprintf(out, "  write error: %s\n", werr);
}

/* One line per population: spikes emitted (from the metadata, else the
 * recorded count) and mean rate over the run, when known. */
static void print_pops(struct info *in, FILE *out)
{
	double dur_s = (in->t_stop - in->t_start) / 1000;
	struct pop_info *p;
	uint64_t spikes;
	char rate[32], nodes[32], count[32];
	size_t i;

	fprintf(out, "\n  %-16s %-14s %8s %10s %10s  %s\n", "population",
	        "model", "nodes", "spikes", "rate (Hz)", "recorded");
	for (i = 0; i < in->n_pops; i++) {
		p = &in->pops[i];
		spikes = p->has_meta ? p->n_spikes : p->n_recorded;
		snprintf(nodes, sizeof(nodes), "-");
		snprintf(count, sizeof(count), "-");
		snprintf(rate, sizeof(rate), "-");
		if (p->has_meta)
			snprintf(nodes, sizeof(nodes), "%llu",
			         (unsigned long long)p->n_nodes);
		if (p->has_meta || p->recorded)
			snprintf(count, sizeof(count), "%llu",
			         (unsigned long long)spikes);
		if (p->has_meta && p->n_nodes && in->has_run && dur_s > 0)
			snprintf(rate, sizeof(rate), "%.2f",
			         (double)spikes / (double)p->n_nodes / dur_s);
		fprintf(out, "  %-16s %-14s %8s %10s %10s  %s%s%s\n", p->name,
		        p->model[0] ? p->model : "-", nodes, count, rate,
		        p->recorded ? "spikes" : "",
		        p->recorded && p->vars[0] ? ", " : "",
		        p->recorded || p->vars[0] ? p->vars : "-");
	}
}

/* One line per traced variable: nodes, frames and sampling times. */
static void print_traces(struct info *in, FILE *out)
{
	char path[3 * INFO_NAME_LEN + 64], units[32],
	    var[2 * INFO_NAME_LEN + 2];
	double time[3];
	uint64_t frames, n;
	struct trace *t;
	hid_t d;
	size_t i;
	int rank;

	if (!in->n_traces)
		return;
	fprintf(out, "\n  %-24s %8s %10s %10s %12s  %s\n", "trace", "nodes",
	        "frames", "dt (ms)", "from (ms)", "units");
	for (i = 0; i < in->n_traces; i++) {
		t = &in->traces[i];
		time[0] = time[1] = time[2] = 0;
		units[0] = '\0';
		snprintf(path, sizeof(path), "%s/data", t->group);
		frames = dataset_len(in->f, path, NULL);
		attr_string(in->f, path, "units", units, sizeof(units));
		snprintf(path, sizeof(path), "%s/mapping/node_ids", t->group);
		n = dataset_len(in->f, path, NULL);
		snprintf(path, sizeof(path), "%s/mapping/time", t->group);
		if (dataset_len(in->f, path, &rank) == 3 && rank == 1 &&
		    (d = H5Dopen2(in->f, path, H5P_DEFAULT)) >= 0) {
			H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
			        H5P_DEFAULT, time);
			H5Dclose(d);
		}
		snprintf(var, sizeof(var), "%s/%s", t->pop, t->var);
		fprintf(out, "  %-24s %8llu %10llu %10g %12g  %s\n", var,
		        (unsigned long long)n, (unsigned long long)frames,
		        time[2], time[0], units[0] ? units : "-");
	}
}

/* Is this a SONATA output file: magic 0x0A7A if the attribute is there,
 * and something to summarise. */
static int check_sonata(hid_t f, const char *path, ms_error *err)
{
	uint32_t magic = 0;

	if (H5Aexists(f, "magic") > 0) {
		attr_read(f, "/", "magic", H5T_NATIVE_UINT32, 1, &magic);
		if (magic != 0x0A7A)
			return set_err(err, MS_EFORMAT,
			               "%s: root attribute magic is 0x%X, "
			               "expected 0x0A7A (SONATA)",
			               path, magic);
		return 0;
	}
	if (H5Lexists(f, "spikes", H5P_DEFAULT) <= 0 &&
	    H5Lexists(f, "report", H5P_DEFAULT) <= 0)
		return set_err(
		    err, MS_EFORMAT,
		    "%s: not a memspike/SONATA output file (no magic "
		    "attribute, no /spikes or /report)",
		    path);
	return 0;
}

/* Read the 1-D float64 dataset at path into a new array of n values;
 * NULL if it is absent or of another length. */
static double *read_column(hid_t f, const char *path, uint64_t n)
{
	double *v;
	int rank = -1;
	hid_t d;

	if (dataset_len(f, path, &rank) != n || rank != 1)
		return NULL;
	v = malloc((n ? n : 1) * sizeof(double));
	d = v ? H5Dopen2(f, path, H5P_DEFAULT) : H5I_INVALID_HID;
	if (d < 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
	                     H5P_DEFAULT, v) < 0) {
		free(v);
		v = NULL;
	}
	if (d >= 0)
		H5Dclose(d);
	return v;
}

/* An STDP curve file: protocol, fits, then one line per point. */
static void print_stdp(struct info *in, FILE *out)
{
	char rule[INFO_NAME_LEN] = "?", device[INFO_NAME_LEN] = "?";
	double ap = NAN, tp = NAN, am = NAN, tm = NAN, freq = NAN;
	double *dt, *dw, *dg;
	uint64_t n, k, pairings = 0;

	n = dataset_len(in->f, "/stdp/delta_t_ms", NULL);
	attr_double(in->f, "/stdp", "A_plus", &ap);
	attr_double(in->f, "/stdp", "tau_plus_ms", &tp);
	attr_double(in->f, "/stdp", "A_minus", &am);
	attr_double(in->f, "/stdp", "tau_minus_ms", &tm);
	attr_double(in->f, "/stdp", "frequency_Hz", &freq);
	attr_u64(in->f, "/stdp", "pairings", &pairings);
	attr_string(in->f, "/stdp", "rule", rule, sizeof(rule));
	attr_string(in->f, "/stdp", "device", device, sizeof(device));
	fprintf(out,
	        "\n  STDP curve: %llu points, %llu pairings at %g Hz, "
	        "rule %s, device %s\n",
	        (unsigned long long)n, (unsigned long long)pairings, freq, rule,
	        device);
	fprintf(out, "  LTP fit: A+ = %.6g, tau+ = %.6g ms\n", ap, tp);
	fprintf(out, "  LTD fit: A- = %.6g, tau- = %.6g ms\n", am, tm);
	dt = read_column(in->f, "/stdp/delta_t_ms", n);
	dw = read_column(in->f, "/stdp/delta_w", n);
	dg = read_column(in->f, "/stdp/delta_G_S", n);
	if (dt && dw && dg) {
		fprintf(out, "\n  %14s %14s %14s\n", "delta_t (ms)", "delta_w",
		        "delta_G (S)");
		for (k = 0; k < n; k++)
			fprintf(out, "  %14g %14.6g %14.6g\n", dt[k], dw[k],
			        dg[k]);
	} else {
		fprintf(out, "  (the points cannot be read)\n");
	}
	free(dt);
	free(dw);
	free(dg);
}

/* Collect the populations and traces of in->f, then print them. */
static int summarise(struct info *in, const char *path, FILE *out,
                     ms_error *err)
{
	int rc;

	rc = check_sonata(in->f, path, err);
	if (rc < 0)
		return rc;
	if (H5Lexists(in->f, "stdp", H5P_DEFAULT) > 0) {
		print_run(in, path, out);
		print_stdp(in, out);
		goto flush;
	}
	if (each_member(in->f, "/memspike/populations", add_meta_pop, in) ||
	    each_member(in->f, "/spikes", add_spike_pop, in))
		return set_err(err, MS_ENOMEM, "%s: out of memory", path);
	if (H5Lexists(in->f, "memspike", H5P_DEFAULT) > 0 &&
	    H5Lexists(in->f, "/memspike/report", H5P_DEFAULT) > 0)
		rc = each_member(in->f, "/memspike/report", add_memspike_report,
		                 in);
	else
		rc = each_member(in->f, "/report", add_sonata_report, in);
	if (rc)
		return set_err(err, MS_ENOMEM, "%s: out of memory", path);
	print_run(in, path, out);
	print_pops(in, out);
	print_traces(in, out);
flush:
	if (fflush(out) || ferror(out))
		return set_err(err, MS_EIO, "%s: cannot write the summary: %s",
		               path, strerror(errno));
	return 0;
}

int ms_file_info(const char *path, FILE *out, ms_error *err)
{
	struct info in = {0};
	H5E_auto2_t old_fn;
	void *old_data;
	struct stat sb;
	htri_t is_h5;
	int rc;

	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
	if (!path || !out)
		return set_err(err, MS_EINVAL,
		               "ms_file_info: no path or output");
	if (stat(path, &sb))
		return set_err(err, errno == ENOENT ? MS_ENOENT : MS_EIO,
		               "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return set_err(err, MS_EIO, "%s: is a directory", path);
	H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	is_h5 = H5Fis_hdf5(path);
	if (is_h5 <= 0) {
		rc = set_err(err, is_h5 == 0 ? MS_EFORMAT : MS_EIO, "%s: %s",
		             path,
		             is_h5 == 0 ? "not an HDF5 file" : "cannot read");
		goto fail_open;
	}
	in.f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (in.f < 0) {
		rc = set_err(err, MS_EIO, "%s: cannot open as HDF5", path);
		goto fail_open;
	}
	rc = summarise(&in, path, out, err);
	H5Fclose(in.f);
	free(in.pops);
	free(in.traces);
fail_open:
	H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
	return rc;
}

/*
 * config — the YAML network description (docs/config.md).
 *
 * ms_config_load() parses the file with libyaml's document API and checks
 * everything that can be checked without a network (fields, units, ranges,
 * references between sections, the data files it names) into plain
 * structures that remember where each value was written. ms_config_build()
 * then makes the network through the public API only, so a config can never
 * do something the C API cannot, and prefixes the engine's own messages with
 * the config location of the node that caused them.
 *
 * Model parameters and state variables are checked against the model
 * registry (ms_model_params, ms_model_vars): a new model needs no code here.
 * Likewise learning rules, device models and waveform shapes: their
 * parameter tables give names, units and ranges, and every setting is also
 * put through the engine's own setters on a scratch copy (ms__plast_*,
 * ms__device_*, ms__wave_*), so that the options they know and the checks
 * between parameters they make are reported at load time, with the place.
 */
#include "memspike/memspike.h"
#include "engine/units.h"
#include "learning/plasticity.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define N_ELEMS(a)   (sizeof(a) / sizeof((a)[0]))
#define FIELD_LEN    256
#define NAME_MAX_LEN 63

struct loc {
	unsigned long line, col; /* 1-based; line 0: no place in the file */
};

struct cfg_param {
	const char *name; /* the registry's string */
	double value;
	struct loc at;
};

/* A named setting of a learning rule, device or waveform: a parameter (a
 * number in base units) or an option (a word from a fixed set that the
 * engine checks when the network is built). */
struct cfg_setting {
	char *name;
	char *option; /* NULL for a parameter */
	double value;
	struct loc at;
};

struct cfg_wave {
	char *shape;
	struct cfg_setting *set;
	size_t n_set;
	double *tab_s, *tab_v; /* "table" */
	size_t n_tab;
	double lead, tail; /* support before and after the spike, ms */
	struct loc at, shape_at, points_at;
};

struct cfg_plast {
	char *rule, *device; /* device NULL: ideal */
	struct cfg_setting *rset, *dset;
	size_t n_rset, n_dset;
	struct loc at, rule_at, device_at;
};

struct cfg_init {
	const char *var; /* the registry's string */
	int uniform;
	double lo, hi; /* lo is the value when !uniform */
	struct loc at;
};

struct cfg_pop {
	char *name, *model;
	char *preset; /* NULL: none */
	size_t size;
	int is_gen;
	struct cfg_param *params;
	size_t n_params;
	struct cfg_init *inits;
	size_t n_inits;
	double *rate_t, *rate_hz; /* poisson */
	size_t n_rate;
	uint32_t *spk_ids; /* spike_source */
	double *spk_t;
	size_t n_spk;
	int has_spikes;        /* the config gave spikes */
	struct cfg_wave *wave; /* NULL: no waveform */
	int rec_listed;        /* in record.spikes already */
	struct loc at, name_at, size_at, rate_at, spikes_at, preset_at;
};

struct cfg_proj {
	size_t pre, post;
	ms_conn_spec conn; /* list arrays point to the owned ones below */
	uint32_t *pre_ids, *post_ids;
	double *weights, *delays;
	ms_syn_spec syn;
	struct cfg_plast *pl; /* NULL: static synapses */
	struct loc at, conn_at;
};

struct cfg_current {
	size_t pop;
	uint32_t *ids; /* NULL: every unit */
	size_t n_ids;
	double *t, *amp;
	size_t n;
	struct loc at;
};

struct cfg_state {
	size_t pop;
	const char *var;
	uint32_t *ids; /* NULL: every unit */
	size_t n_ids;
	double dt;
	struct loc at;
};

/* Device states of the plastic projections from pre to post. */
struct cfg_synrec {
	size_t pre, post;
	const char *var; /* "w" or "G" */
	double dt;
	struct loc at;
};

/* The stdp_curve protocol (docs/config.md#stdp_curve). */
struct cfg_stdp {
	size_t pre, post, proj;
	double *dt; /* delta_t of each point, ms */
	size_t n;
	uint64_t pairings;
	double freq, start, end, w_init;
	int has_w_init;
	struct loc at;
};

struct ms_config {
	char *path, *dir, *text;
	char *output, *default_output;
	struct loc output_at;
	uint64_t seed;
	double duration;
	int has_duration;
	struct loc duration_at;
	struct cfg_stdp *stdp;
	struct cfg_pop *pops;
	size_t n_pops;
	struct cfg_proj *projs;
	size_t n_projs;
	struct cfg_current *currents;
	size_t n_currents;
	struct name_ref *pop_index; /* names sorted, for find_pop() */
	size_t *rec_spikes;
	size_t n_rec_spikes;
	struct cfg_state *states;
	size_t n_states;
	struct cfg_synrec *synrecs;
	size_t n_synrecs;
};

/* List entries an alias may add to those written out in the file. */
#define ALIAS_ENTRIES 1000000

struct ctx {
	ms_config *cfg;
	yaml_document_t *doc;
	ms_error *err;
	int stdp;       /* a stdp_curve section will resize two populations */
	size_t entries; /* list entries read so far */
	size_t max_entries; /* the file's size plus ALIAS_ENTRIES */
};

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */

/* Write "file:line:column: field: message" (parts omitted when unknown)
 * into err and return code. */
static int vreport(ms_error *err, const char *path, const struct loc *at,
                   const char *field, int code, const char *fmt, va_list ap)
{
	size_t len = sizeof(err->msg);
	int n;

	if (at != NULL && at->line > 0)
		n = snprintf(err->msg, len, "%s:%lu:%lu: ", path, at->line,
		             at->col);
	else
		n = snprintf(err->msg, len, "%s: ", path);
	if (n >= 0 && (size_t)n < len && field != NULL && field[0] != '\0')
		n += snprintf(err->msg + n, len - (size_t)n, "%s: ", field);
	if (n >= 0 && (size_t)n < len)
		vsnprintf(err->msg + n, len - (size_t)n, fmt, ap);
	err->code = code;
	return code;
}

static int report(ms_error *err, const char *path, const struct loc *at,
                  const char *field, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(err, path, at, field, code, fmt, ap);
	va_end(ap);
	return rc;
}

static struct loc node_loc(const yaml_node_t *n)
{
	struct loc l = {n->start_mark.line + 1, n->start_mark.column + 1};

	return l;
}

static int fail(struct ctx *c, const yaml_node_t *n, const char *field,
                int code, const char *fmt, ...)
{
	struct loc at = node_loc(n);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(c->err, c->cfg->path, &at, field, code, fmt, ap);
	va_end(ap);
	return rc;
}

static void subfield(char *buf, const char *field, const char *name)
{
	if (field[0] == '\0')
		snprintf(buf, FIELD_LEN, "%.200s", name);
	else
		snprintf(buf, FIELD_LEN, "%.150s.%.100s", field, name);
}

static void subindex(char *buf, const char *field, size_t i)
{
	snprintf(buf, FIELD_LEN, "%.200s[%zu]", field, i);
}

/* "a, b, c" from a list of names; "(none)" when empty. */
static const char *join(char *buf, size_t len, const char *const *names,
                        size_t n)
{
	size_t i, used = 0;

	snprintf(buf, len, "(none)");
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		                 names[i]);
	return buf;
}

/* ------------------------------------------------------------------------ */
/* YAML nodes                                                               */

static yaml_node_t *get_node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *text_of(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *kind_name(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return "a single value";
}

/* An empty value ("field:" with nothing after it) or an explicit null. */
static int is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = text_of(n);
	return !strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top -
	                n->data.sequence.items.start);
}

static yaml_node_t *seq_at(struct ctx *c, const yaml_node_t *n, size_t i)
{
	return get_node(c, n->data.sequence.items.start[i]);
}

static int in_list(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return 1;
	return 0;
}

/*
 * Check that n is a mapping whose keys are distinct names from allowed.
 * An unknown or repeated key is reported at the key with the list of the
 * allowed names, because a typo is the usual cause.
 */
static int check_map(struct ctx *c, const yaml_node_t *n, const char *field,
                     const char *const *allowed, size_t n_allowed)
{
	yaml_node_pair_t *p, *q;
	char sub[FIELD_LEN], list[512];

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, field, MS_ECONFIG,
		            "expected a mapping with fields %s, got %s",
		            join(list, sizeof(list), allowed, n_allowed),
		            kind_name(n));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = get_node(c, p->key);

		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, field, MS_ECONFIG,
			            "expected a field name, got %s",
			            kind_name(k));
		subfield(sub, field, text_of(k));
		if (!in_list(text_of(k), allowed, n_allowed))
			return fail(
			    c, k, sub, MS_ECONFIG,
			    "unknown field; allowed fields: %s",
			    join(list, sizeof(list), allowed, n_allowed));
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = get_node(c, q->key);

			if (!strcmp(text_of(k), text_of(k2)))
				return fail(c, k, sub, MS_ECONFIG,
				            "field given twice (first on line "
				            "%lu)",
				            node_loc(k2).line);
		}
	}
	return 0;
}

/* Value of key in mapping n, or NULL. */
static yaml_node_t *map_get(struct ctx *c, const yaml_node_t *n,
                            const char *key)
{
	yaml_node_pair_t *p;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = get_node(c, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp(text_of(k), key))
			return get_node(c, p->value);
	}
	return NULL;
}

static int missing(struct ctx *c, const yaml_node_t *map, const char *field,
                   const char *key, const char *what)
{
	return fail(c, map, field, MS_ECONFIG, "missing field \"%s\" (%s)", key,
	            what);
}

/* A name and its place: a key of a mapping, a population. Sorted by name,
 * then by place, to find repeats and to look names up in O(log n). */
struct name_ref {
	const char *name;
	size_t idx;
};

static int name_ref_cmp(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	return d ? d : (x->idx > y->idx) - (x->idx < y->idx);
}

/* In r (k names sorted by name_ref_cmp), the repeat that comes first in
 * the original order: 1 and the places of the repeat (*dup) and of the
 * name's first occurrence (*first), or 0 when all names differ. In a run
 * of equal names the first entry is the first occurrence and the second
 * the earliest repeat. */
static int first_repeat(const struct name_ref *r, size_t k, size_t *first,
                        size_t *dup)
{
	size_t i, j;
	int found = 0;

	for (i = 0; i < k; i = j) {
		for (j = i + 1; j < k && !strcmp(r[j].name, r[i].name); j++)
			;
		if (j - i >= 2 && (!found || r[i + 1].idx < *dup)) {
			*first = r[i].idx;
			*dup = r[i + 1].idx;
			found = 1;
		}
	}
	return found;
}

/* ------------------------------------------------------------------------ */
/* Scalars                                                                  */

static int want_scalar(struct ctx *c, const yaml_node_t *n, const char *field,
                       const char *what)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n, field, MS_ECONFIG, "expected %s, got %s",
		            what, kind_name(n));
	return 0;
}

static int parse_string(struct ctx *c, const yaml_node_t *n, const char *field,
                        const char *what, char **out)
{
	int rc = want_scalar(c, n, field, what);

	if (rc)
		return rc;
	if (text_of(n)[0] == '\0')
		return fail(c, n, field, MS_ECONFIG, "expected %s, got nothing",
		            what);
	*out = strdup(text_of(n));
	return *out ? 0 : MS_ENOMEM;
}

static int parse_quantity(struct ctx *c, const yaml_node_t *n,
                          const char *field, ms_dim dim, double *out)
{
	char msg[512];
	int rc;

	rc = want_scalar(c, n, field, ms__dim_noun(dim));
	if (rc)
		return rc;
	rc = ms__unit_parse(text_of(n), dim, out, msg, sizeof(msg));
	if (rc)
		return fail(c, n, field, rc == MS_EUNIT ? MS_EUNIT : MS_ECONFIG,
		            "%s", msg);
	return 0;
}

/* Describe a closed, half-open or one-sided range for messages. */
static const char *range_text(char *buf, size_t len, ms_dim dim, double min,
                              int min_open, double max)
{
	char a[64], b[64];

	ms__unit_format(min, dim, a, sizeof(a));
	ms__unit_format(max, dim, b, sizeof(b));
	if (isinf(max) && isinf(min))
		snprintf(buf, len, "(any value)");
	else if (isinf(max))
		snprintf(buf, len, "%s %s", min_open ? ">" : ">=", a);
	else if (isinf(min))
		snprintf(buf, len, "<= %s", b);
	else
		snprintf(buf, len, "in %c%s, %s]", min_open ? '(' : '[', a, b);
	return buf;
}

static int check_range(struct ctx *c, const yaml_node_t *n, const char *field,
                       ms_dim dim, double x, double min, int min_open,
                       double max, const char *why)
{
	char r[160];

	if ((min_open ? x > min : x >= min) && x <= max)
		return 0;
	return fail(c, n, field, MS_EINVAL, "expected %s %s, got \"%s\"%s",
	            ms__dim_noun(dim),
	            range_text(r, sizeof(r), dim, min, min_open, max),
	            n->type == YAML_SCALAR_NODE ? text_of(n) : "?", why);
}

static int parse_quantity_in(struct ctx *c, const yaml_node_t *n,
                             const char *field, ms_dim dim, double min,
                             int min_open, double max, const char *why,
                             double *out)
{
	int rc = parse_quantity(c, n, field, dim, out);

	return rc ? rc
	          : check_range(c, n, field, dim, *out, min, min_open, max,
	                        why);
}

/* A model, rule, device or waveform parameter: a quantity in the range of
 * its table entry. Where the table allows infinity (a time constant whose
 * infinite value switches a decay off), "inf" or "inf <unit>" gives it;
 * other fields never take it (docs/units.md). */
static int parse_param_value(struct ctx *c, const yaml_node_t *n,
                             const char *field, const ms_param_info *pi,
                             double *out)
{
	const char *s = n && n->type == YAML_SCALAR_NODE ? text_of(n) : "";

	if (isinf(pi->max) && !strncmp(s, "inf", 3) &&
	    (s[3] == '\0' || s[3] == ' ')) {
		double one;
		char msg[256];

		/* The unit after it must still be one of the dimension. */
		if (s[3] == ' ' && pi->dim != MS_DIM_NONE) {
			char buf[64];
			snprintf(buf, sizeof(buf), "1%s", s + 3);
			if (ms__unit_parse(buf, pi->dim, &one, msg,
			                   sizeof(msg)))
				return fail(c, n, field, MS_EUNIT, "%s", msg);
		} else if (s[3] == ' ') {
			return fail(c, n, field, MS_ECONFIG,
			            "expected inf or a number, got \"%s\"", s);
		} else if (pi->dim != MS_DIM_NONE) {
			/* Like any quantity, inf needs its unit. */
			return parse_quantity_in(c, n, field, pi->dim, pi->min,
			                         pi->min_open, pi->max, "",
			                         out);
		}
		*out = INFINITY;
		return 0;
	}
	return parse_quantity_in(c, n, field, pi->dim, pi->min, pi->min_open,
	                         pi->max, "", out);
}

/* A non-negative decimal integer in [min, max]. */
static int parse_uint(struct ctx *c, const yaml_node_t *n, const char *field,
                      uint64_t min, uint64_t max, uint64_t *out)
{
	const char *s;
	char *end;
	unsigned long long v;
	size_t i;
	int rc;

	rc = want_scalar(c, n, field, "a whole number");
	if (rc)
		return rc;
	s = text_of(n);
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == 0 || s[i] != '\0')
		return fail(c, n, field, MS_ECONFIG,
		            "expected a whole number >= %llu, got \"%s\"",
		            (unsigned long long)min, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v < min || v > max)
		return fail(c, n, field, MS_EINVAL,
		            "expected a whole number in [%llu, %llu], got "
		            "\"%s\"",
		            (unsigned long long)min, (unsigned long long)max,
		            s);
	*out = v;
	return 0;
}

static int parse_bool(struct ctx *c, const yaml_node_t *n, const char *field,
                      int *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes"};
	static const char *const no[] = {"false", "False", "FALSE", "no"};
	int rc = want_scalar(c, n, field, "true or false");

	if (rc)
		return rc;
	if (in_list(text_of(n), yes, N_ELEMS(yes)))
		*out = 1;
	else if (in_list(text_of(n), no, N_ELEMS(no)))
		*out = 0;
	else
		return fail(c, n, field, MS_ECONFIG,
		            "expected true or false, got \"%s\"", text_of(n));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Lists                                                                    */

/*
 * A non-empty list, counted against the entries the file may hold. An
 * alias (*name) stands for a whole list at the cost of a few bytes, so
 * that a list of aliases of a long list asks for the product of their
 * lengths (a 300 kB file wanted 2 GB); beyond what the file spells out,
 * aliases may add ALIAS_ENTRIES entries.
 */
static int want_seq(struct ctx *c, const yaml_node_t *n, const char *field,
                    const char *what)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, field, MS_ECONFIG,
		            "expected a list of %s (e.g. [a, b]), got %s", what,
		            kind_name(n));
	if (seq_len(n) == 0)
		return fail(c, n, field, MS_ECONFIG,
		            "expected a non-empty list of %s", what);
	c->entries += seq_len(n);
	if (c->entries > c->max_entries)
		return fail(c, n, field, MS_ECONFIG,
		            "expected at most %zu list entries in all (the "
		            "file's size in bytes plus %d), got more: aliases "
		            "(*name) repeat whole lists",
		            c->max_entries, ALIAS_ENTRIES);
	return 0;
}

static int parse_quantity_list(struct ctx *c, const yaml_node_t *n,
                               const char *field, ms_dim dim, double **out,
                               size_t *len)
{
	char sub[FIELD_LEN], what[64];
	size_t i;
	int rc;

	snprintf(what, sizeof(what), "%ss", ms__dim_noun(dim) + 2);
	rc = want_seq(c, n, field, what);
	if (rc)
		return rc;
	*len = seq_len(n);
	*out = calloc(*len, sizeof(**out));
	if (*out == NULL)
		return MS_ENOMEM;
	for (i = 0; i < *len; i++) {
		subindex(sub, field, i);
		rc = parse_quantity(c, seq_at(c, n, i), sub, dim, &(*out)[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Unit indices of a population of size units. */
static int parse_id_list(struct ctx *c, const yaml_node_t *n, const char *field,
                         size_t size, uint32_t **out, size_t *len)
{
	char sub[FIELD_LEN];
	uint64_t v;
	size_t i;
	int rc;

	rc = want_seq(c, n, field, "unit indices");
	if (rc)
		return rc;
	*len = seq_len(n);
	*out = calloc(*len, sizeof(**out));
	if (*out == NULL)
		return MS_ENOMEM;
	for (i = 0; i < *len; i++) {
		subindex(sub, field, i);
		rc = parse_uint(c, seq_at(c, n, i), sub, 0, size - 1, &v);
		if (rc)
			return rc;
		(*out)[i] = (uint32_t)v;
	}
	return 0;
}

/* Times of a piecewise-constant profile: >= 0 and strictly increasing. */
static int check_times(struct ctx *c, const yaml_node_t *n, const char *field,
                       const double *t, size_t len)
{
	char sub[FIELD_LEN];
	size_t i;

	for (i = 0; i < len; i++) {
		subindex(sub, field, i);
		if (t[i] < 0)
			return fail(c, seq_at(c, n, i), sub, MS_EINVAL,
			            "expected a time >= 0 ms, got \"%s\"",
			            text_of(seq_at(c, n, i)));
		if (i > 0 && t[i] <= t[i - 1])
			return fail(c, seq_at(c, n, i), sub, MS_EINVAL,
			            "times must increase, got \"%s\" after "
			            "\"%s\"",
			            text_of(seq_at(c, n, i)),
			            text_of(seq_at(c, n, i - 1)));
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Data files                                                               */

/* Path of a file named in the config: relative to the config's directory. */
static char *resolve(const ms_config *cfg, const char *name)
{
	size_t len = strlen(cfg->dir) + strlen(name) + 2;
	char *p = malloc(len);

	if (p == NULL)
		return NULL;
	if (name[0] == '/' || cfg->dir[0] == '\0')
		snprintf(p, len, "%s", name);
	else
		snprintf(p, len, "%s/%s", cfg->dir, name);
	return p;
}

typedef int (*row_fn)(const double *vals, size_t n, void *user, char *why,
                      size_t whylen);

static void trim(char **s)
{
	char *e;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	e = *s + strlen(*s);
	while (e > *s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	                  e[-1] == '\n'))
		*--e = '\0';
}

/* Split a CSV line into at most max_cols numbers; -1 if a cell is not a
 * number, else the number of cells. */
static int split_numbers(char *line, double *vals, size_t max_cols)
{
	size_t n = 0;
	char *cell = line, *comma;
	ms_dim dim;

	for (;;) {
		comma = strchr(cell, ',');
		if (comma)
			*comma = '\0';
		trim(&cell);
		if (n == max_cols)
			return (int)max_cols + 1;
		if (ms__unit_parse_any(cell, &vals[n], &dim) || dim)
			return -1;
		n++;
		if (!comma)
			return (int)n;
		cell = comma + 1;
	}
}

/* Longest line of a data file, its newline included. A row is at most four
 * numbers, so this only stops a file that is not lines of text (a device
 * such as /dev/zero, a binary file) from filling the memory. */
#define CSV_LINE_MAX 65536

/*
 * Read the next line of f, newline included, into buf (CSV_LINE_MAX bytes)
 * as a string. Returns its length, 0 at the end of the file, -1 when the
 * line does not fit, -2 when it holds a NUL byte (which would silently cut
 * it short); 0 also after a read error, which ferror(f) then tells.
 */
static long read_line(FILE *f, char *buf)
{
	size_t len = 0;
	int ch, nul = 0;

	flockfile(f);
	while ((ch = getc_unlocked(f)) != EOF) {
		if (len == CSV_LINE_MAX - 1) {
			funlockfile(f);
			return -1;
		}
		nul |= ch == '\0';
		buf[len++] = (char)ch;
		if (ch == '\n')
			break;
	}
	funlockfile(f);
	buf[len] = '\0';
	if (ferror(f))
		return 0; /* the caller reports the read error */
	return nul ? -2 : (long)len;
}

/*
 * Read a CSV file of numbers named by node n (a path relative to the config
 * directory). Blank lines and lines starting with '#' are skipped; a first
 * line that is not numeric is a header. Every row must have between
 * min_cols and max_cols cells (<= 4), the same number in every row; each
 * row goes to fn, whose refusal is reported with the file's line number.
 * Lines longer than CSV_LINE_MAX and NUL bytes are refused.
 */
static int read_csv(struct ctx *c, const yaml_node_t *n, const char *field,
                    size_t min_cols, size_t max_cols, const char *columns,
                    row_fn fn, void *user)
{
	char *path = NULL, *line = NULL, *s, why[256];
	size_t lineno = 0, ncols = 0;
	double vals[4];
	int rc, first = 1, k;
	long len;
	FILE *f = NULL;

	rc = want_scalar(c, n, field, "a file name");
	if (rc)
		return rc;
	path = resolve(c->cfg, text_of(n));
	if (path == NULL)
		return MS_ENOMEM;
	f = fopen(path, "r");
	if (f == NULL) {
		rc = fail(c, n, field, errno == ENOENT ? MS_ENOENT : MS_EIO,
		          "cannot open \"%s\": %s", path, strerror(errno));
		goto fail;
	}
	line = malloc(CSV_LINE_MAX);
	if (line == NULL) {
		rc = MS_ENOMEM;
		goto fail;
	}
	while ((len = read_line(f, line)) != 0) {
		lineno++;
		if (len == -1) {
			rc = fail(c, n, field, MS_EFORMAT,
			          "%s:%zu: line longer than %d bytes; "
			          "expected %s",
			          path, lineno, CSV_LINE_MAX - 1, columns);
			goto fail;
		}
		if (len == -2) {
			rc = fail(c, n, field, MS_EFORMAT,
			          "%s:%zu: a NUL byte in the line; expected "
			          "%s as text",
			          path, lineno, columns);
			goto fail;
		}
		s = line;
		trim(&s);
		if (s[0] == '\0' || s[0] == '#')
			continue;
		k = split_numbers(s, vals, max_cols);
		if (k < 0 && first) {
			first = 0;
			continue;
		}
		first = 0;
		if (k < (int)min_cols || k > (int)max_cols ||
		    (ncols && (size_t)k != ncols)) {
			rc = fail(
			    c, n, field, MS_EFORMAT, "%s:%zu: expected %s%s",
			    path, lineno, columns,
			    ncols ? " with the same columns as line 1" : "");
			goto fail;
		}
		ncols = (size_t)k;
		why[0] = '\0';
		rc = fn(vals, ncols, user, why, sizeof(why));
		if (rc) {
			rc = fail(c, n, field, rc, "%s:%zu: %s", path, lineno,
			          why);
			goto fail;
		}
	}
	if (ferror(f)) {
		rc = fail(c, n, field, MS_EIO, "cannot read \"%s\": %s", path,
		          strerror(errno));
		goto fail;
	}
	if (ncols == 0)
		rc = fail(c, n, field, MS_EFORMAT, "\"%s\" has no data rows",
		          path);
fail:
	if (f)
		fclose(f);
	free(line);
	free(path);
	return rc;
}

/* Growable parallel arrays filled from CSV rows. */
struct rows {
	size_t n, cap, size_a, size_b; /* id bounds of columns 0 and 1 */
	uint32_t *a, *b;
	double *x, *y;
	ms_dim x_dim;
	int n_cols;
};

static int rows_grow(struct rows *r)
{
	size_t cap = r->cap ? 2 * r->cap : 256;
	void *p;

	if (r->n < r->cap)
		return 0;
	if ((p = realloc(r->a, cap * sizeof(*r->a))) == NULL)
		return MS_ENOMEM;
	r->a = p;
	if ((p = realloc(r->b, cap * sizeof(*r->b))) == NULL)
		return MS_ENOMEM;
	r->b = p;
	if ((p = realloc(r->x, cap * sizeof(*r->x))) == NULL)
		return MS_ENOMEM;
	r->x = p;
	if ((p = realloc(r->y, cap * sizeof(*r->y))) == NULL)
		return MS_ENOMEM;
	r->y = p;
	r->cap = cap;
	return 0;
}

static int row_id(double v, size_t size, uint32_t *out, const char *col,
                  char *why, size_t len)
{
	if (v < 0 || v != floor(v) || v >= (double)size) {
		snprintf(why, len,
		         "%s: expected a unit index in [0, %zu], got %g", col,
		         size - 1, v);
		return MS_EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* A spike file row: id, time_ms. */
static int spike_row(const double *v, size_t n, void *user, char *why,
                     size_t len)
{
	struct rows *r = user;
	int rc;

	(void)n;
	if ((rc = rows_grow(r)) != 0)
		return rc;
	if ((rc = row_id(v[0], r->size_a, &r->a[r->n], "id", why, len)) != 0)
		return rc;
	if (!(v[1] >= 0)) {
		snprintf(why, len, "time_ms: expected a time >= 0, got %g",
		         v[1]);
		return MS_EINVAL;
	}
	r->x[r->n++] = v[1];
	return 0;
}

/* A connection list row: pre, post[, weight, delay_ms]. */
static int conn_row(const double *v, size_t n, void *user, char *why,
                    size_t len)
{
	struct rows *r = user;
	int rc;

	if ((rc = rows_grow(r)) != 0)
		return rc;
	if ((rc = row_id(v[0], r->size_a, &r->a[r->n], "pre", why, len)) != 0)
		return rc;
	if ((rc = row_id(v[1], r->size_b, &r->b[r->n], "post", why, len)) != 0)
		return rc;
	if (n == 3) {
		snprintf(why, len, "expected 2 or 4 columns, got 3");
		return MS_EFORMAT;
	}
	if (n == 4) {
		if (!(v[3] > 0)) {
			snprintf(why, len,
			         "delay_ms: expected a delay > 0 ms, got %g",
			         v[3]);
			return MS_EINVAL;
		}
		r->x[r->n] = v[2];
		r->y[r->n] = v[3];
	}
	r->n_cols = (int)n;
	r->n++;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Populations                                                              */

/* Index of the population named name, by binary search in the names
 * sorted by index_pops(); MS_ENOENT if there is none. */
static int find_pop(const ms_config *cfg, const char *name, size_t *idx)
{
	size_t lo = 0, hi = cfg->n_pops;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(name, cfg->pop_index[mid].name);

		if (d == 0) {
			*idx = cfg->pop_index[mid].idx;
			return 0;
		}
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return MS_ENOENT;
}

static int valid_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		      ch == '-'))
			return 0;
	}
	return i > 0 && i <= NAME_MAX_LEN;
}

/* A population named by a field such as pre, post, target, population. */
static int parse_pop_ref(struct ctx *c, const yaml_node_t *n, const char *field,
                         int neuron_only, size_t *idx)
{
	const ms_config *cfg = c->cfg;
	const char *names[64];
	char list[512];
	size_t i;
	int rc;

	rc = want_scalar(c, n, field, "a population name");
	if (rc)
		return rc;
	if (find_pop(cfg, text_of(n), idx) != 0) {
		for (i = 0; i < cfg->n_pops && i < N_ELEMS(names); i++)
			names[i] = cfg->pops[i].name;
		return fail(c, n, field, MS_ENOENT,
		            "no population named \"%s\"; populations: %s",
		            text_of(n), join(list, sizeof(list), names, i));
	}
	if (neuron_only && cfg->pops[*idx].is_gen)
		return fail(c, n, field, MS_EINVAL,
		            "expected a neuron population, got \"%s\" (a %s "
		            "generator)",
		            text_of(n), cfg->pops[*idx].model);
	return 0;
}

/* Names of a registry list, for check_map(); caller frees. */
static const char **param_names(const ms_param_info *info, size_t n)
{
	const char **names = calloc(n + 1, sizeof(*names));
	size_t i;

	for (i = 0; names && i < n; i++)
		names[i] = info[i].name;
	return names;
}

static const char **var_names(const ms_var_info *info, size_t n)
{
	const char **names = calloc(n + 1, sizeof(*names));
	size_t i;

	for (i = 0; names && i < n; i++)
		names[i] = info[i].name;
	return names;
}

/* params: {name: quantity}, checked against the registry's dimension and
 * range of each parameter. */
static int parse_params(struct ctx *c, const yaml_node_t *n, const char *field,
                        struct cfg_pop *pop)
{
	const ms_param_info *info;
	const char **names = NULL;
	char sub[FIELD_LEN];
	yaml_node_pair_t *p;
	size_t np, i;
	int rc;

	if (is_null(n))
		return 0;
	rc = ms_model_params(pop->model, &info, &np);
	if (rc)
		return fail(c, n, field, rc, "%s", ms_strerror(rc));
	names = param_names(info, np);
	if (names == NULL)
		return MS_ENOMEM;
	rc = check_map(c, n, field, names, np);
	if (rc)
		goto fail;
	pop->n_params = 0;
	pop->params = calloc(np + 1, sizeof(*pop->params));
	if (pop->params == NULL) {
		rc = MS_ENOMEM;
		goto fail;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = get_node(c, p->key),
		            *v = get_node(c, p->value);
		struct cfg_param *cp = &pop->params[pop->n_params++];

		for (i = 0; strcmp(info[i].name, text_of(k)); i++)
			;
		subfield(sub, field, info[i].name);
		rc = parse_param_value(c, v, sub, &info[i], &cp->value);
		if (rc)
			goto fail;
		cp->name = info[i].name;
		cp->at = node_loc(v);
	}
fail:
	free(names);
	return rc;
}

/* init: {var: quantity | {uniform: [lo, hi]}}. */
static int parse_init(struct ctx *c, const yaml_node_t *n, const char *field,
                      struct cfg_pop *pop)
{
	static const char *const uni_fields[] = {"uniform"};
	const ms_var_info *info;
	const char **names = NULL;
	char sub[FIELD_LEN], sub2[FIELD_LEN];
	yaml_node_pair_t *p;
	size_t nv, i;
	int rc;

	if (is_null(n))
		return 0;
	rc = ms_model_vars(pop->model, &info, &nv);
	if (rc)
		return fail(c, n, field, rc, "%s", ms_strerror(rc));
	names = var_names(info, nv);
	if (names == NULL)
		return MS_ENOMEM;
	rc = check_map(c, n, field, names, nv);
	if (rc)
		goto fail;
	pop->inits = calloc(nv + 1, sizeof(*pop->inits));
	if (pop->inits == NULL) {
		rc = MS_ENOMEM;
		goto fail;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = get_node(c, p->key),
		            *v = get_node(c, p->value);
		struct cfg_init *ci = &pop->inits[pop->n_inits++];
		yaml_node_t *u;

		for (i = 0; strcmp(info[i].name, text_of(k)); i++)
			;
		ci->var = info[i].name;
		ci->at = node_loc(v);
		subfield(sub, field, info[i].name);
		if (v->type == YAML_SCALAR_NODE) {
			rc = parse_quantity(c, v, sub, info[i].dim, &ci->lo);
			if (rc)
				goto fail;
			continue;
		}
		rc = check_map(c, v, sub, uni_fields, N_ELEMS(uni_fields));
		if (rc)
			goto fail;
		subfield(sub2, sub, "uniform");
		u = map_get(c, v, "uniform");
		if (u == NULL) {
			rc = missing(c, v, sub, "uniform", "[low, high]");
			goto fail;
		}
		if (u->type != YAML_SEQUENCE_NODE || seq_len(u) != 2) {
			rc = fail(c, u, sub2, MS_ECONFIG,
			          "expected [low, high], e.g. [%s, %s]",
			          ms__dim_example(info[i].dim),
			          ms__dim_example(info[i].dim));
			goto fail;
		}
		ci->uniform = 1;
		subindex(sub, sub2, 0);
		rc = parse_quantity(c, seq_at(c, u, 0), sub, info[i].dim,
		                    &ci->lo);
		if (rc)
			goto fail;
		subindex(sub, sub2, 1);
		rc = parse_quantity(c, seq_at(c, u, 1), sub, info[i].dim,
		                    &ci->hi);
		if (rc)
			goto fail;
		if (ci->hi < ci->lo) {
			rc = fail(c, u, sub2, MS_EINVAL,
			          "expected low <= high, got [%s, %s]",
			          text_of(seq_at(c, u, 0)),
			          text_of(seq_at(c, u, 1)));
			goto fail;
		}
	}
fail:
	free(names);
	return rc;
}

/* The largest rate of a poisson generator: the registry's bound on its
 * rate parameter. The rate field and a profile are held to it too, for a
 * rate so high that the time to the next spike no longer advances the
 * clock would never let a run end. */
static double poisson_max_rate(void)
{
	const ms_param_info *info;
	size_t n, i;

	if (ms_model_params("poisson", &info, &n) == 0)
		for (i = 0; i < n; i++)
			if (!strcmp(info[i].name, "rate"))
				return info[i].max;
	return INFINITY;
}

/* rate: quantity | {times: [...], rates: [...]} (poisson). */
static int parse_rate(struct ctx *c, const yaml_node_t *n, const char *field,
                      struct cfg_pop *pop)
{
	static const char *const fields[] = {"times", "rates"};
	double max = poisson_max_rate();
	yaml_node_t *t, *r;
	char sub[FIELD_LEN], sub2[FIELD_LEN];
	size_t nt, nr, i;
	int rc;

	pop->rate_at = node_loc(n);
	if (n->type == YAML_SCALAR_NODE) {
		pop->rate_t = calloc(1, sizeof(double));
		pop->rate_hz = calloc(1, sizeof(double));
		if (!pop->rate_t || !pop->rate_hz)
			return MS_ENOMEM;
		pop->n_rate = 1;
		rc = parse_quantity_in(c, n, field, MS_DIM_RATE, 0, 0, INFINITY,
		                       "", &pop->rate_hz[0]);
		return rc ? rc
		          : check_range(c, n, field, MS_DIM_RATE,
		                        pop->rate_hz[0], 0, 0, max, "");
	}
	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	t = map_get(c, n, "times");
	r = map_get(c, n, "rates");
	if (t == NULL || r == NULL)
		return missing(c, n, field, t ? "rates" : "times",
		               "a rate profile needs times and rates");
	subfield(sub, field, "times");
	rc = parse_quantity_list(c, t, sub, MS_DIM_TIME, &pop->rate_t, &nt);
	if (rc)
		return rc;
	rc = check_times(c, t, sub, pop->rate_t, nt);
	if (rc)
		return rc;
	subfield(sub, field, "rates");
	rc = parse_quantity_list(c, r, sub, MS_DIM_RATE, &pop->rate_hz, &nr);
	if (rc)
		return rc;
	if (nr != nt)
		return fail(c, r, sub, MS_ECONFIG,
		            "expected as many rates as times (%zu), got %zu",
		            nt, nr);
	for (i = 0; i < nr; i++) {
		subindex(sub2, sub, i);
		rc = check_range(c, seq_at(c, r, i), sub2, MS_DIM_RATE,
		                 pop->rate_hz[i], 0, 0, INFINITY, "");
		if (rc == 0)
			rc = check_range(c, seq_at(c, r, i), sub2, MS_DIM_RATE,
			                 pop->rate_hz[i], 0, 0, max, "");
		if (rc)
			return rc;
	}
	pop->n_rate = nr;
	return 0;
}

/* spikes: {ids: [...], times: [...]} | {file: name.csv} (spike_source). */
static int parse_spikes(struct ctx *c, const yaml_node_t *n, const char *field,
                        struct cfg_pop *pop)
{
	static const char *const fields[] = {"ids", "times", "file"};
	yaml_node_t *ids, *times, *file;
	char sub[FIELD_LEN], sub2[FIELD_LEN];
	struct rows r = {0};
	size_t ni, nt, i;
	int rc;

	pop->spikes_at = node_loc(n);
	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	ids = map_get(c, n, "ids");
	times = map_get(c, n, "times");
	file = map_get(c, n, "file");
	if (file && (ids || times))
		return fail(c, n, field, MS_ECONFIG,
		            "expected either file or ids and times, not both");
	if (file) {
		subfield(sub, field, "file");
		r.size_a = pop->size;
		rc = read_csv(c, file, sub, 2, 2, "2 columns \"id,time_ms\"",
		              spike_row, &r);
		pop->spk_ids = r.a;
		pop->spk_t = r.x;
		pop->n_spk = r.n;
		free(r.b);
		free(r.y);
		return rc;
	}
	if (ids == NULL || times == NULL)
		return missing(c, n, field, ids ? "times" : "ids",
		               "spikes need ids and times, or a file");
	subfield(sub, field, "ids");
	rc = parse_id_list(c, ids, sub, pop->size, &pop->spk_ids, &ni);
	if (rc)
		return rc;
	subfield(sub, field, "times");
	rc = parse_quantity_list(c, times, sub, MS_DIM_TIME, &pop->spk_t, &nt);
	if (rc)
		return rc;
	if (ni != nt)
		return fail(c, times, sub, MS_ECONFIG,
		            "expected as many times as ids (%zu), got %zu", ni,
		            nt);
	for (i = 0; i < nt; i++) {
		subindex(sub2, sub, i);
		rc = check_range(c, seq_at(c, times, i), sub2, MS_DIM_TIME,
		                 pop->spk_t[i], 0, 0, INFINITY, "");
		if (rc)
			return rc;
	}
	pop->n_spk = nt;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Spike waveforms                                                          */

#define WAVE_SHAPES "exp, rect_ramp, table"

/* A key that names a parameter in info, or NULL. */
static const ms_param_info *find_param(const ms_param_info *info, size_t n,
                                       const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(info[i].name, name))
			return &info[i];
	return NULL;
}

/* Store a parameter setting; the key text is copied since the YAML
 * document goes away after loading. */
static int add_setting(struct cfg_setting *set, size_t *n, const char *name,
                       const char *option, double value, const yaml_node_t *at)
{
	struct cfg_setting *s = &set[(*n)++];

	s->name = strdup(name);
	s->option = option ? strdup(option) : NULL;
	s->value = value;
	s->at = node_loc(at);
	return s->name && (!option || s->option) ? 0 : MS_ENOMEM;
}

/* points: [[s, v], ...] of a tabulated waveform; s are times relative to
 * the spike, strictly increasing, v voltages. */
static int parse_points(struct ctx *c, const yaml_node_t *n, const char *field,
                        struct cfg_wave *w)
{
	char sub[FIELD_LEN], sub2[FIELD_LEN];
	size_t i, len;
	int rc;

	rc = want_seq(c, n, field, "points [time, voltage]");
	if (rc)
		return rc;
	len = seq_len(n);
	if (len < 2)
		return fail(c, n, field, MS_EINVAL,
		            "expected at least 2 points [time, voltage], got "
		            "%zu",
		            len);
	w->tab_s = calloc(len, sizeof(double));
	w->tab_v = calloc(len, sizeof(double));
	if (!w->tab_s || !w->tab_v)
		return MS_ENOMEM;
	for (i = 0; i < len; i++) {
		yaml_node_t *it = seq_at(c, n, i);

		subindex(sub, field, i);
		if (it->type != YAML_SEQUENCE_NODE || seq_len(it) != 2)
			return fail(c, it, sub, MS_ECONFIG,
			            "expected a point [time, voltage], e.g. "
			            "[-5 ms, 1 V]");
		subindex(sub2, sub, 0);
		rc = parse_quantity(c, seq_at(c, it, 0), sub2, MS_DIM_TIME,
		                    &w->tab_s[i]);
		if (rc)
			return rc;
		subindex(sub2, sub, 1);
		rc = parse_quantity(c, seq_at(c, it, 1), sub2, MS_DIM_VOLTAGE,
		                    &w->tab_v[i]);
		if (rc)
			return rc;
		if (i > 0 && !(w->tab_s[i] > w->tab_s[i - 1])) {
			subindex(sub2, sub, 0);
			return fail(c, seq_at(c, it, 0), sub2, MS_EINVAL,
			            "times must increase, got \"%s\" after "
			            "\"%s\"",
			            text_of(seq_at(c, it, 0)),
			            text_of(seq_at(c, seq_at(c, n, i - 1), 0)));
		}
	}
	w->n_tab = len;
	return 0;
}

/*
 * Hand the parsed waveform to the engine's own checks (a scratch copy made
 * the way ms_pop_set_waveform() makes it), so that what the engine would
 * refuse at build time is reported here with its place, and learn how long
 * the shape lasts before and after the spike: the stdp_curve protocol
 * times its pairings with it.
 */
static int check_waveform(struct ctx *c, const yaml_node_t *n,
                          const char *field, struct cfg_wave *w)
{
	const ms_param_info *info;
	ms__waveform s;
	char msg[512] = "";
	size_t np, i;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	s.shape = ms__wave_shape(w->shape);
	info = ms__wave_params(s.shape, &np);
	for (i = 0; rc == 0 && i < np; i++)
		rc = ms__wave_set_param(&s, info[i].name, info[i].def, msg,
		                        sizeof(msg));
	for (i = 0; rc == 0 && i < w->n_set; i++)
		rc = ms__wave_set_param(&s, w->set[i].name, w->set[i].value,
		                        msg, sizeof(msg));
	if (rc == 0 && w->n_tab > 0)
		rc = ms__wave_set_table(&s, w->tab_s, w->tab_v, w->n_tab, msg,
		                        sizeof(msg));
	if (rc == 0)
		rc = ms__wave_prepare(&s, msg, sizeof(msg));
	if (rc == 0) {
		w->lead = s.lo < 0 ? -s.lo : 0;
		w->tail = s.hi > 0 ? s.hi : 0;
	}
	ms__wave_free(&s);
	if (rc == MS_ENOMEM)
		return rc;
	return rc ? fail(c, n, field, rc, "%s", msg) : 0;
}

/* waveform: {shape, the shape's parameters} or {shape: table, points:
 * [[s, v], ...]} (docs/config.md#waveform). */
static int parse_waveform(struct ctx *c, const yaml_node_t *n,
                          const char *field, struct cfg_pop *pop)
{
	const ms_param_info *info, *pi;
	const char **names = NULL;
	yaml_node_pair_t *p;
	struct cfg_wave *w;
	yaml_node_t *shape;
	char sub[FIELD_LEN];
	size_t np, i, nn = 0;
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, field, MS_ECONFIG,
		            "expected a mapping such as {shape: exp, A_plus: 1 "
		            "V, ...}, got %s",
		            kind_name(n));
	if ((shape = map_get(c, n, "shape")) == NULL)
		return missing(c, n, field, "shape", WAVE_SHAPES);
	w = pop->wave = calloc(1, sizeof(*w));
	if (w == NULL)
		return MS_ENOMEM;
	w->at = node_loc(n);
	subfield(sub, field, "shape");
	rc = parse_string(c, shape, sub, "a waveform shape", &w->shape);
	if (rc)
		return rc;
	if (ms_waveform_params(w->shape, &info, &np) != 0)
		return fail(
		    c, shape, sub, MS_ENOENT,
		    "unknown waveform shape \"%s\"; shapes: " WAVE_SHAPES,
		    w->shape);
	names = calloc(np + 2, sizeof(*names));
	w->set = calloc(np + 1, sizeof(*w->set));
	if (names == NULL || w->set == NULL) {
		free(names);
		return MS_ENOMEM;
	}
	names[nn++] = "shape";
	for (i = 0; i < np; i++)
		names[nn++] = info[i].name;
	if (!strcmp(w->shape, "table"))
		names[nn++] = "points";
	rc = check_map(c, n, field, names, nn);
	free(names);
	if (rc)
		return rc;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = get_node(c, p->key),
		            *v = get_node(c, p->value);
		double x;

		subfield(sub, field, text_of(k));
		if (!strcmp(text_of(k), "points")) {
			if ((rc = parse_points(c, v, sub, w)) != 0)
				return rc;
			continue;
		}
		if ((pi = find_param(info, np, text_of(k))) == NULL)
			continue;
		rc = parse_param_value(c, v, sub, pi, &x);
		if (rc == 0)
			rc = add_setting(w->set, &w->n_set, pi->name, NULL, x,
			                 v);
		if (rc)
			return rc;
	}
	if (!strcmp(w->shape, "table") && w->n_tab == 0)
		return missing(
		    c, n, field, "points",
		    "e.g. [[-5 ms, 1 V], [0 ms, 1 V], [10 ms, 0 V]]");
	return check_waveform(c, n, field, w);
}

/*
 * The rate of a poisson population: the rate field (constant or profile),
 * or the model's rate parameter, exactly one of the two. A generator
 * without a rate would be silent, which is never what was meant.
 */
static int poisson_rate(struct ctx *c, const yaml_node_t *n, const char *field,
                        struct cfg_pop *pop)
{
	yaml_node_t *v = map_get(c, n, "rate");
	char sub[FIELD_LEN];
	size_t i;

	for (i = 0; i < pop->n_params; i++) {
		if (strcmp(pop->params[i].name, "rate"))
			continue;
		if (v == NULL)
			return 0;
		subfield(sub, field, "rate");
		return fail(c, v, sub, MS_ECONFIG,
		            "the rate is already given by params.rate on line "
		            "%lu; give it once",
		            pop->params[i].at.line);
	}
	if (v == NULL)
		return missing(c, n, field, "rate",
		               "e.g. 100 Hz or {times: [...], rates: [...]}");
	subfield(sub, field, "rate");
	return parse_rate(c, v, sub, pop);
}

static int parse_model(struct ctx *c, const yaml_node_t *n, const char *field,
                       struct cfg_pop *pop)
{
	const char *names[64];
	char list[512];
	size_t i, nm = ms_model_count();
	int rc;

	rc = parse_string(c, n, field, "a model name", &pop->model);
	if (rc)
		return rc;
	if (ms_model_find(pop->model, &pop->is_gen) == 0)
		return 0;
	for (i = 0; i < nm && i < N_ELEMS(names); i++)
		names[i] = ms_model_name(i);
	return fail(c, n, field, MS_ENOENT, "unknown model \"%s\"; models: %s",
	            pop->model, join(list, sizeof(list), names, i));
}

/* preset: a name from the model's list, applied before params. */
static int parse_preset(struct ctx *c, const yaml_node_t *n, const char *field,
                        struct cfg_pop *pop)
{
	const char *names[64];
	char list[512];
	size_t i;
	int rc;

	rc = parse_string(c, n, field, "a preset name", &pop->preset);
	if (rc)
		return rc;
	pop->preset_at = node_loc(n);
	for (i = 0; i < N_ELEMS(names); i++) {
		names[i] = ms_model_preset_name(pop->model, i);
		if (names[i] == NULL)
			break;
		if (!strcmp(names[i], pop->preset))
			return 0;
	}
	return fail(c, n, field, MS_ENOENT,
	            "unknown preset \"%s\" of model %s; presets: %s",
	            pop->preset, pop->model,
	            join(list, sizeof(list), names, i));
}

/*
 * One entry of populations. The model is read first because it decides
 * which other fields exist: rate for poisson, spikes for spike_source,
 * init for models with state variables.
 */
static int parse_population(struct ctx *c, const yaml_node_t *n, size_t idx)
{
	const char *fields[10] = {"name", "model", "size", "params",
	                          "waveform"};
	struct cfg_pop *pop = &c->cfg->pops[idx];
	size_t nf = 5, nv;
	const ms_var_info *vars;
	char field[FIELD_LEN], sub[FIELD_LEN];
	yaml_node_t *v, *model;
	uint64_t size;
	int rc;

	subindex(field, "populations", idx);
	pop->at = node_loc(n);
	if (n->type != YAML_MAPPING_NODE)
		return check_map(c, n, field, fields, nf);
	model = map_get(c, n, "model");
	if (model == NULL)
		return missing(c, n, field, "model",
		               "e.g. lif_exp, poisson; see docs/config.md");
	subfield(sub, field, "model");
	rc = parse_model(c, model, sub, pop);
	if (rc)
		return rc;
	if (!strcmp(pop->model, "poisson"))
		fields[nf++] = "rate";
	else if (!strcmp(pop->model, "spike_source"))
		fields[nf++] = "spikes";
	if (ms_model_vars(pop->model, &vars, &nv) == 0 && nv > 0)
		fields[nf++] = "init";
	if (ms_model_preset_name(pop->model, 0) != NULL)
		fields[nf++] = "preset";
	else if ((v = map_get(c, n, "preset")) != NULL) {
		subfield(sub, field, "preset");
		return fail(c, v, sub, MS_ENOENT, "model %s has no presets",
		            pop->model);
	}
	rc = check_map(c, n, field, fields, nf);
	if (rc)
		return rc;

	v = map_get(c, n, "name");
	if (v == NULL)
		return missing(c, n, field, "name", "a unique name");
	subfield(sub, field, "name");
	rc = parse_string(c, v, sub, "a population name", &pop->name);
	if (rc)
		return rc;
	if (!valid_name(pop->name))
		return fail(c, v, sub, MS_ECONFIG,
		            "expected 1 to %d characters from A-Z a-z 0-9 _ . "
		            "-, got \"%s\"",
		            NAME_MAX_LEN, pop->name);
	pop->name_at = node_loc(v); /* names are compared in index_pops() */

	v = map_get(c, n, "size");
	if (v == NULL)
		return missing(c, n, field, "size", "the number of units");
	subfield(sub, field, "size");
	rc = parse_uint(c, v, sub, 1, UINT32_MAX, &size);
	if (rc)
		return rc;
	pop->size = (size_t)size;
	pop->size_at = node_loc(v);

	if ((v = map_get(c, n, "preset")) != NULL) {
		subfield(sub, field, "preset");
		if ((rc = parse_preset(c, v, sub, pop)) != 0)
			return rc;
	}
	if ((v = map_get(c, n, "params")) != NULL) {
		subfield(sub, field, "params");
		if ((rc = parse_params(c, v, sub, pop)) != 0)
			return rc;
	}
	if ((v = map_get(c, n, "init")) != NULL) {
		subfield(sub, field, "init");
		if ((rc = parse_init(c, v, sub, pop)) != 0)
			return rc;
	}
	if ((v = map_get(c, n, "waveform")) != NULL) {
		subfield(sub, field, "waveform");
		if ((rc = parse_waveform(c, v, sub, pop)) != 0)
			return rc;
	}
	if (!strcmp(pop->model, "poisson"))
		return poisson_rate(c, n, field, pop);
	/* A spike source without spikes gets them from the C API or from
	 * the stdp_curve protocol. */
	if ((v = map_get(c, n, "spikes")) != NULL) {
		subfield(sub, field, "spikes");
		pop->has_spikes = 1;
		return parse_spikes(c, v, sub, pop);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Projections                                                              */

/* Value of a parameter of a parsed population: the one the config sets,
 * else its preset's, else the registry default. MS_ENOENT if the model has
 * no such parameter. */
static int pop_param(const struct cfg_pop *pop, const char *name, double *v)
{
	const ms_param_info *info;
	size_t n, i;

	for (i = 0; i < pop->n_params; i++) {
		if (!strcmp(pop->params[i].name, name)) {
			*v = pop->params[i].value;
			return 0;
		}
	}
	if (pop->preset &&
	    ms_model_preset_value(pop->model, pop->preset, name, v) == 0)
		return 0;
	if (ms_model_params(pop->model, &info, &n) != 0)
		return MS_ENOENT;
	for (i = 0; i < n; i++) {
		if (!strcmp(info[i].name, name)) {
			*v = info[i].def;
			return 0;
		}
	}
	return MS_ENOENT;
}

/*
 * Factor turning a current weight (pA) into the voltage weight (mV) of a
 * target with exponential current synapses: the jump of the synaptic
 * current expressed as R * dI with R = tau_m / C_m (ms / pF = GOhm, and
 * pA * GOhm = mV). Only models with tau_syn_e, tau_m and C_m qualify.
 */
static int current_weight_scale(const struct cfg_pop *post, double *r)
{
	double tau_m, c_m, tau_s;

	if (pop_param(post, "tau_syn_e", &tau_s) ||
	    pop_param(post, "tau_m", &tau_m) || pop_param(post, "C_m", &c_m) ||
	    !(c_m > 0))
		return MS_ENOENT;
	*r = tau_m / c_m;
	return 0;
}

static int parse_weight(struct ctx *c, const yaml_node_t *n, const char *field,
                        const struct cfg_pop *post, double *w)
{
	ms_dim wdim, dim;
	double x, r;
	int rc;

	rc = ms_model_weight_dim(post->model, &wdim);
	if (rc)
		return fail(c, n, field, rc, "model %s takes no synapses",
		            post->model);
	rc = want_scalar(c, n, field, "a weight");
	if (rc)
		return rc;
	if (wdim == MS_DIM_VOLTAGE && current_weight_scale(post, &r) == 0 &&
	    ms__unit_parse_any(text_of(n), &x, &dim) == 0 &&
	    dim == MS_DIM_CURRENT) {
		*w = x * r;
		return 0;
	}
	rc = parse_quantity(c, n, field, wdim, w);
	if (rc == 0 && wdim == MS_DIM_CONDUCTANCE &&
	    pop_param(post, "C_m", &r) == 0 &&
	    !(fabs(*w) <= MS_COND_WEIGHT_MAX_PER_PF * r))
		return fail(c, n, field, MS_EINVAL,
		            "expected a conductance of at most %g nS (%g "
		            "times C_m of %s), got \"%s\": that would move V "
		            "within a microsecond (a mistake of units?)",
		            MS_COND_WEIGHT_MAX_PER_PF * r,
		            MS_COND_WEIGHT_MAX_PER_PF, post->name, text_of(n));
	if (rc && wdim == MS_DIM_VOLTAGE && current_weight_scale(post, &r) == 0)
		return fail(
		    c, n, field, rc,
		    "expected a voltage (e.g. \"1.62 mV\") or a current "
		    "(e.g. \"100 pA\", converted with tau_m / C_m of "
		    "%s), got \"%s\"",
		    post->name, text_of(n));
	return rc;
}

static int parse_delay(struct ctx *c, const yaml_node_t *n, const char *field,
                       double *d)
{
	return parse_quantity_in(c, n, field, MS_DIM_TIME, 0, 1, INFINITY,
	                         " (delays must be > 0: a spike is delivered "
	                         "strictly after it is emitted)",
	                         d);
}

/* pairs: [[pre, post], ...] or [[pre, post, weight, delay], ...]. */
static int parse_pairs(struct ctx *c, const yaml_node_t *n, const char *field,
                       struct cfg_proj *pj)
{
	const struct cfg_pop *pre = &c->cfg->pops[pj->pre];
	const struct cfg_pop *post = &c->cfg->pops[pj->post];
	char sub[FIELD_LEN], sub2[FIELD_LEN];
	size_t i, len, arity = 0;
	uint64_t v;
	int rc;

	rc = want_seq(c, n, field, "pairs [pre, post]");
	if (rc)
		return rc;
	len = seq_len(n);
	pj->pre_ids = calloc(len, sizeof(uint32_t));
	pj->post_ids = calloc(len, sizeof(uint32_t));
	if (!pj->pre_ids || !pj->post_ids)
		return MS_ENOMEM;
	for (i = 0; i < len; i++) {
		yaml_node_t *it = seq_at(c, n, i);

		subindex(sub, field, i);
		if (it->type != YAML_SEQUENCE_NODE ||
		    (seq_len(it) != 2 && seq_len(it) != 4) ||
		    (arity && seq_len(it) != arity))
			return fail(c, it, sub, MS_ECONFIG,
			            "expected [pre, post] or [pre, post, "
			            "weight, delay]%s",
			            arity ? ", the same form in every pair"
			                  : "");
		arity = seq_len(it);
		if (arity == 4 && pj->weights == NULL) {
			pj->weights = calloc(len, sizeof(double));
			pj->delays = calloc(len, sizeof(double));
			if (!pj->weights || !pj->delays)
				return MS_ENOMEM;
		}
		subindex(sub2, sub, 0);
		rc =
		    parse_uint(c, seq_at(c, it, 0), sub2, 0, pre->size - 1, &v);
		if (rc)
			return rc;
		pj->pre_ids[i] = (uint32_t)v;
		subindex(sub2, sub, 1);
		rc = parse_uint(c, seq_at(c, it, 1), sub2, 0, post->size - 1,
		                &v);
		if (rc)
			return rc;
		pj->post_ids[i] = (uint32_t)v;
		if (arity == 2)
			continue;
		subindex(sub2, sub, 2);
		rc = parse_weight(c, seq_at(c, it, 2), sub2, post,
		                  &pj->weights[i]);
		if (rc)
			return rc;
		subindex(sub2, sub, 3);
		rc = parse_delay(c, seq_at(c, it, 3), sub2, &pj->delays[i]);
		if (rc)
			return rc;
	}
	pj->conn.n = len;
	return 0;
}

static int parse_list_file(struct ctx *c, const yaml_node_t *n,
                           const char *field, struct cfg_proj *pj)
{
	struct rows r = {0};
	int rc;

	r.size_a = c->cfg->pops[pj->pre].size;
	r.size_b = c->cfg->pops[pj->post].size;
	rc = read_csv(c, n, field, 2, 4,
	              "columns \"pre,post\" or \"pre,post,weight,delay_ms\"",
	              conn_row, &r);
	pj->pre_ids = r.a;
	pj->post_ids = r.b;
	pj->conn.n = r.n;
	if (r.n_cols == 4) {
		pj->weights = r.x;
		pj->delays = r.y;
	} else {
		free(r.x);
		free(r.y);
	}
	return rc;
}

static const struct {
	const char *name;
	ms_conn_rule rule;
	const char *fields[4];
	size_t n_fields;
} conn_rules[] = {
    {"all_to_all", MS_CONN_ALL_TO_ALL, {"rule", "allow_self"}, 2},
    {"one_to_one", MS_CONN_ONE_TO_ONE, {"rule"}, 1},
    {"fixed_probability", MS_CONN_FIXED_PROB, {"rule", "p", "allow_self"}, 3},
    {"fixed_indegree", MS_CONN_FIXED_INDEGREE, {"rule", "k", "allow_self"}, 3},
    {"list", MS_CONN_LIST, {"rule", "pairs", "file"}, 3},
};

/* connector: {rule: ..., rule-specific fields}; checked against the
 * population sizes so that ms_net_connect() cannot refuse it later. */
static int parse_connector(struct ctx *c, const yaml_node_t *n,
                           const char *field, struct cfg_proj *pj)
{
	const struct cfg_pop *pre = &c->cfg->pops[pj->pre];
	const struct cfg_pop *post = &c->cfg->pops[pj->post];
	const char *names[N_ELEMS(conn_rules)];
	char sub[FIELD_LEN], list[256];
	yaml_node_t *v, *rule = NULL;
	size_t i, max_k;
	uint64_t k;
	int rc;

	for (i = 0; i < N_ELEMS(conn_rules); i++)
		names[i] = conn_rules[i].name;
	if (n->type == YAML_MAPPING_NODE)
		rule = map_get(c, n, "rule");
	if (rule == NULL || rule->type != YAML_SCALAR_NODE) {
		if (n->type != YAML_MAPPING_NODE)
			return fail(c, n, field, MS_ECONFIG,
			            "expected a mapping such as {rule: "
			            "fixed_probability, p: 0.02}, got %s",
			            kind_name(n));
		subfield(sub, field, "rule");
		return rule ? want_scalar(c, rule, sub, "a rule name")
		            : missing(c, n, field, "rule",
		                      join(list, sizeof(list), names, i));
	}
	for (i = 0; i < N_ELEMS(conn_rules); i++)
		if (!strcmp(text_of(rule), conn_rules[i].name))
			break;
	subfield(sub, field, "rule");
	if (i == N_ELEMS(conn_rules))
		return fail(c, rule, sub, MS_ECONFIG,
		            "unknown rule \"%s\"; rules: %s", text_of(rule),
		            join(list, sizeof(list), names, N_ELEMS(names)));
	rc = check_map(c, n, field, conn_rules[i].fields,
	               conn_rules[i].n_fields);
	if (rc)
		return rc;
	pj->conn.rule = conn_rules[i].rule;
	pj->conn.allow_self = 1;
	if ((v = map_get(c, n, "allow_self")) != NULL) {
		subfield(sub, field, "allow_self");
		if ((rc = parse_bool(c, v, sub, &pj->conn.allow_self)) != 0)
			return rc;
	}
	switch (pj->conn.rule) {
	case MS_CONN_ALL_TO_ALL:
		return 0;
	case MS_CONN_ONE_TO_ONE:
		/* With stdp_curve, checked once the sizes are final. */
		if (pre->size != post->size && !c->stdp)
			return fail(c, rule, sub, MS_EINVAL,
			            "one_to_one needs populations of equal "
			            "size, got %s (%zu) and %s (%zu)",
			            pre->name, pre->size, post->name,
			            post->size);
		return 0;
	case MS_CONN_FIXED_PROB:
		if ((v = map_get(c, n, "p")) == NULL)
			return missing(c, n, field, "p",
			               "a connection probability in [0, 1]");
		subfield(sub, field, "p");
		return parse_quantity_in(c, v, sub, MS_DIM_NONE, 0, 0, 1,
		                         " (a probability)", &pj->conn.p);
	case MS_CONN_FIXED_INDEGREE:
		if ((v = map_get(c, n, "k")) == NULL)
			return missing(c, n, field, "k",
			               "the number of sources per target");
		max_k = pre->size;
		if (pj->pre == pj->post && !pj->conn.allow_self)
			max_k--;
		subfield(sub, field, "k");
		rc = parse_uint(c, v, sub, 0, max_k, &k);
		pj->conn.k = (size_t)k;
		return rc;
	case MS_CONN_LIST:
		v = map_get(c, n, "pairs");
		if ((v != NULL) == (map_get(c, n, "file") != NULL))
			return fail(c, n, field, MS_ECONFIG,
			            "expected either pairs or file");
		if (v != NULL) {
			subfield(sub, field, "pairs");
			return parse_pairs(c, v, sub, pj);
		}
		subfield(sub, field, "file");
		return parse_list_file(c, map_get(c, n, "file"), sub, pj);
	}
	return 0;
}

/* synapse: {weight, delay, receptor}. Weight and delay may be left out
 * when a connection list gives them for every pair. */
static int parse_synapse(struct ctx *c, const yaml_node_t *n, const char *field,
                         struct cfg_proj *pj)
{
	static const char *const fields[] = {"weight", "delay", "receptor"};
	static const char *const receptors[] = {"auto", "exc", "inh"};
	const struct cfg_pop *post = &c->cfg->pops[pj->post];
	char sub[FIELD_LEN], list[64];
	yaml_node_t *v;
	size_t i;
	int rc;

	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	v = map_get(c, n, "weight");
	if (v != NULL && post->is_gen) {
		/* A teacher takes no input: any number, with any unit. */
		ms_dim dim;

		subfield(sub, field, "weight");
		if ((rc = want_scalar(c, v, sub, "a weight")) != 0)
			return rc;
		if (ms__unit_parse_any(text_of(v), &pj->syn.weight, &dim))
			return fail(c, v, sub, MS_ECONFIG,
			            "expected a number, got \"%s\"",
			            text_of(v));
	} else if (v != NULL) {
		subfield(sub, field, "weight");
		if ((rc = parse_weight(c, v, sub, post, &pj->syn.weight)) != 0)
			return rc;
	} else if (pj->weights == NULL && !post->is_gen) {
		return missing(c, n, field, "weight", "e.g. 0.25 mV");
	}
	v = map_get(c, n, "delay");
	if (v != NULL) {
		subfield(sub, field, "delay");
		if ((rc = parse_delay(c, v, sub, &pj->syn.delay_ms)) != 0)
			return rc;
	} else if (pj->delays == NULL) {
		return missing(c, n, field, "delay", "a time > 0, e.g. 1 ms");
	} else {
		/* Unused for the pairs, but ms_net_connect() checks it. */
		pj->syn.delay_ms = pj->delays[0];
	}
	pj->syn.receptor = MS_RECEPTOR_AUTO;
	if ((v = map_get(c, n, "receptor")) != NULL) {
		subfield(sub, field, "receptor");
		if ((rc = want_scalar(c, v, sub, "auto, exc or inh")) != 0)
			return rc;
		for (i = 0; i < N_ELEMS(receptors); i++)
			if (!strcmp(text_of(v), receptors[i]))
				break;
		if (i == N_ELEMS(receptors))
			return fail(c, v, sub, MS_ECONFIG,
			            "expected one of %s, got \"%s\"",
			            join(list, sizeof(list), receptors,
			                 N_ELEMS(receptors)),
			            text_of(v));
		pj->syn.receptor = (ms_receptor)i;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Plasticity and devices                                                   */

/*
 * Among the first k keys of mapping n (all scalars), the first one in the
 * order written that repeats an earlier key: 1 and *dup, *first (the
 * indices of the repeat and of the key's first occurrence), 0 when all
 * differ, MS_ENOMEM. Sorting takes O(k log k): comparing every pair made a
 * mapping of 10^5 keys (1 MB of YAML) take minutes.
 */
static int find_repeat(struct ctx *c, const yaml_node_t *n, size_t k,
                       size_t *first, size_t *dup)
{
	struct name_ref *r;
	size_t i;
	int found;

	if (k < 2)
		return 0;
	r = malloc(k * sizeof(*r));
	if (r == NULL)
		return MS_ENOMEM;
	for (i = 0; i < k; i++) {
		r[i].name =
		    text_of(get_node(c, n->data.mapping.pairs.start[i].key));
		r[i].idx = i;
	}
	qsort(r, k, sizeof(*r), name_ref_cmp);
	found = first_repeat(r, k, first, dup);
	free(r);
	return found;
}

/* A mapping whose keys are distinct names (any names: the caller decides
 * which are known). The first problem in the order written is reported: a
 * key that is not a name, or a name given twice. */
static int check_keys(struct ctx *c, const yaml_node_t *n, const char *field,
                      const char *example)
{
	yaml_node_pair_t *pairs;
	yaml_node_t *k;
	char sub[FIELD_LEN];
	size_t len, ns, first, dup;
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, field, MS_ECONFIG,
		            "expected a mapping such as %s, got %s", example,
		            kind_name(n));
	pairs = n->data.mapping.pairs.start;
	len = (size_t)(n->data.mapping.pairs.top - pairs);
	for (ns = 0; ns < len; ns++)
		if (get_node(c, pairs[ns].key)->type != YAML_SCALAR_NODE)
			break;
	rc = find_repeat(c, n, ns, &first, &dup);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		k = get_node(c, pairs[dup].key);
		subfield(sub, field, text_of(k));
		return fail(c, k, sub, MS_ECONFIG,
		            "field given twice (first on line %lu)",
		            node_loc(get_node(c, pairs[first].key)).line);
	}
	if (ns < len) {
		k = get_node(c, pairs[ns].key);
		return fail(c, k, field, MS_ECONFIG,
		            "expected a field name, got %s", kind_name(k));
	}
	return 0;
}

/* The engine's setters of a rule or a device, on a scratch copy. */
struct setter {
	void *obj;
	int (*param)(void *obj, const char *name, double v, char *err,
	             size_t len);
	int (*option)(void *obj, const char *name, const char *value, char *err,
	              size_t len);
	const ms_param_info *tab[2];
	size_t n_tab[2];
};

static int rule_param(void *pl, const char *name, double v, char *err,
                      size_t len)
{
	return ms__plast_set_param(pl, name, v, err, len);
}

static int rule_option(void *pl, const char *name, const char *value, char *err,
                       size_t len)
{
	return ms__plast_set_option(pl, name, value, err, len);
}

static int device_param(void *dc, const char *name, double v, char *err,
                        size_t len)
{
	return ms__device_set_param(dc, name, v, err, len);
}

static int device_option(void *dc, const char *name, const char *value,
                         char *err, size_t len)
{
	return ms__device_set_option(dc, name, value, err, len);
}

/*
 * The settings of a rule or a device: every key of n but skip. A key of
 * the parameter tables takes a number with that parameter's unit and
 * range; any other key takes a word and is an option (mode: fast,
 * mapping: linear_R). Each setting also goes through the engine's own
 * setter on a scratch copy, so that an unknown name or a word the option
 * does not take is reported here, at its place, rather than at build.
 */
static int parse_settings(struct ctx *c, const yaml_node_t *n,
                          const char *field, const char *const skip[2],
                          struct setter *st, struct cfg_setting **out,
                          size_t *n_out)
{
	const ms_param_info *pi;
	yaml_node_pair_t *p;
	char sub[FIELD_LEN], msg[768];
	size_t len =
	    (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	int rc;

	*out = calloc(len + 1, sizeof(**out));
	if (*out == NULL)
		return MS_ENOMEM;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = get_node(c, p->key),
		            *v = get_node(c, p->value);
		const char *name = text_of(k);
		ms_dim dim;
		double x;

		if (!strcmp(name, skip[0]) ||
		    (skip[1] && !strcmp(name, skip[1])))
			continue;
		subfield(sub, field, name);
		pi = find_param(st->tab[0], st->n_tab[0], name);
		if (pi == NULL)
			pi = find_param(st->tab[1], st->n_tab[1], name);
		if (pi != NULL) {
			rc = parse_param_value(c, v, sub, pi, &x);
			if (rc == 0 && (rc = st->param(st->obj, name, x, msg,
			                               sizeof(msg))) != 0)
				return fail(c, v, sub, rc, "%s", msg);
			if (rc == 0)
				rc = add_setting(*out, n_out, name, NULL, x, v);
			if (rc)
				return rc;
			continue;
		}
		rc = want_scalar(c, v, sub, "a number with its unit or a word");
		if (rc)
			return rc;
		if (ms__unit_parse_any(text_of(v), &x, &dim) == 0) {
			/* No option takes a number: a parameter name the
			 * tables do not have. The setter says which exist. */
			rc = st->param(st->obj, name, x, msg, sizeof(msg));
			return fail(c, k, sub, MS_ECONFIG, "unknown field: %s",
			            rc ? msg : "not a parameter");
		}
		rc = st->option(st->obj, name, text_of(v), msg, sizeof(msg));
		if (rc == MS_ENOENT)
			return fail(c, k, sub, MS_ECONFIG, "unknown field: %s",
			            msg);
		if (rc)
			return fail(c, v, sub,
			            rc == MS_ENOMEM ? rc : MS_ECONFIG, "%s",
			            msg);
		rc = add_setting(*out, n_out, name, text_of(v), 0, v);
		if (rc)
			return rc;
	}
	return 0;
}

/* The setting named name, or NULL. */
static const struct cfg_setting *setting(const struct cfg_setting *set,
                                         size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(set[i].name, name))
			return &set[i];
	return NULL;
}

/*
 * device: {model (optional: without it the device is ideal), the model's
 * parameters and options, the common ones}. After the settings, the
 * scratch device is built with no synapses, which runs every check
 * between parameters (G_min < G_max, G_min > 0 under linear_R, the
 * model's own rules).
 */
static int parse_device(struct ctx *c, const yaml_node_t *n, const char *field,
                        struct cfg_plast *pl, ms__device_cfg *dc)
{
	const ms__device_model *m = NULL;
	const struct cfg_setting *s;
	struct setter st = {
	    dc, device_param, device_option, {NULL, NULL}, {0, 0}};
	yaml_node_t *model;
	char sub[FIELD_LEN], msg[768] = "";
	ms__device d;
	size_t i;
	int rc;

	pl->device_at = node_loc(n);
	rc = check_keys(c, n, field,
	                "{model: exp_threshold, G_min: 1 nS, G_max: 10 nS}");
	if (rc)
		return rc;
	if ((model = map_get(c, n, "model")) != NULL) {
		subfield(sub, field, "model");
		rc = parse_string(c, model, sub, "a device model", &pl->device);
		if (rc)
			return rc;
		m = ms__device_lookup(pl->device);
		if (m == NULL)
			return fail(c, model, sub, MS_ENOENT,
			            "unknown device model \"%s\"; models: %s",
			            pl->device, ms__device_names());
		ms__device_cfg_set_model(dc, m);
		st.tab[0] = m->params;
		st.n_tab[0] = m->n_params;
	}
	st.tab[1] = ms__device_common_params(&st.n_tab[1]);
	rc = parse_settings(c, n, field, (const char *const[2]){"model", NULL},
	                    &st, &pl->dset, &pl->n_dset);
	if (rc)
		return rc;
	rc = ms__device_build(&d, dc, 0, 0, 0, NULL, msg, sizeof(msg));
	ms__device_free(&d);
	if (rc == 0 || rc == MS_ENOMEM)
		return rc;
	/* Point at the setting the message starts with, if any. */
	for (i = 0; i < pl->n_dset; i++) {
		size_t len = strlen(pl->dset[i].name);

		s = &pl->dset[i];
		if (!strncmp(msg, s->name, len) &&
		    (msg[len] == ':' || msg[len] == ' ')) {
			subfield(sub, field, s->name);
			return report(c->err, c->cfg->path, &s->at, sub, rc,
			              "%s", msg);
		}
	}
	return fail(c, n, field, rc, "%s", msg);
}

/*
 * What a rule needs from the rest of the config, known from the rule's
 * table: a device with a rate law or a pulse device, and spike waveforms
 * on both populations. The engine checks the same when it builds.
 */
static int check_rule_needs(struct ctx *c, const yaml_node_t *rule_node,
                            const char *field, const ms__rule *r,
                            const struct cfg_proj *pj, const ms__device_cfg *dc)
{
	const struct cfg_pop *pre = &c->cfg->pops[pj->pre];
	const struct cfg_pop *post = &c->cfg->pops[pj->post];
	const struct cfg_pop *miss;

	if (r->needs_rate_law && (dc->m == NULL || dc->m->is_pulse))
		return fail(c, rule_node, field, MS_EINVAL,
		            "rule %s needs a device with a rate law (device: "
		            "{model: ...}; models: %s)",
		            r->name, ms__device_names());
	if (r->needs_pulse && (dc->m == NULL || !dc->m->is_pulse))
		return fail(c, rule_node, field, MS_EINVAL,
		            "rule %s needs a pulse-based device (e.g. device: "
		            "{model: pulse_exp})",
		            r->name);
	miss = !r->needs_waveforms  ? NULL
	       : pre->wave == NULL  ? pre
	       : post->wave == NULL ? post
	                            : NULL;
	if (miss != NULL)
		return fail(c, rule_node, field, MS_EINVAL,
		            "rule %s needs a spike waveform on population "
		            "\"%s\" (its waveform field, line %lu)",
		            r->name, miss->name, miss->at.line);
	return 0;
}

/* plasticity: {rule, the rule's parameters and options, device: {...}}
 * (docs/config.md#plasticity). */
static int parse_plasticity(struct ctx *c, const yaml_node_t *n,
                            const char *field, struct cfg_proj *pj)
{
	const ms__rule *r;
	struct cfg_plast *pl;
	yaml_node_t *rule, *dev;
	ms__plast scratch;
	char sub[FIELD_LEN];
	struct setter st = {
	    &scratch, rule_param, rule_option, {NULL, NULL}, {0, 0}};
	int rc;

	rc = check_keys(c, n, field, "{rule: stdp_pair, tau_plus: 20 ms}");
	if (rc)
		return rc;
	pl = pj->pl = calloc(1, sizeof(*pl));
	if (pl == NULL)
		return MS_ENOMEM;
	pl->at = node_loc(n);
	if ((rule = map_get(c, n, "rule")) == NULL)
		return missing(c, n, field, "rule", ms__rule_names());
	subfield(sub, field, "rule");
	rc = parse_string(c, rule, sub, "a learning rule", &pl->rule);
	if (rc)
		return rc;
	pl->rule_at = node_loc(rule);
	if ((r = ms__rule_lookup(pl->rule)) == NULL)
		return fail(c, rule, sub, MS_ENOENT,
		            "unknown plasticity rule \"%s\"; rules: %s",
		            pl->rule, ms__rule_names());
	ms__plast_init(&scratch, r);
	if ((dev = map_get(c, n, "device")) != NULL) {
		char dsub[FIELD_LEN];

		subfield(dsub, field, "device");
		rc = parse_device(c, dev, dsub, pl, &scratch.dcfg);
		if (rc)
			return rc;
	}
	st.tab[0] = r->params;
	st.n_tab[0] = r->n_params;
	rc = parse_settings(c, n, field,
	                    (const char *const[2]){"rule", "device"}, &st,
	                    &pl->rset, &pl->n_rset);
	if (rc)
		return rc;
	return check_rule_needs(c, rule, sub, r, pj, &scratch.dcfg);
}

/*
 * The post population of a projection: a neuron population, or for a
 * plastic projection also a spike_source (a teacher, whose spikes drive
 * learning and which takes no input).
 */
static int parse_post(struct ctx *c, const yaml_node_t *n, const char *field,
                      int plastic, size_t *idx)
{
	const struct cfg_pop *p;
	int rc;

	rc = parse_pop_ref(c, n, field, !plastic, idx);
	if (rc == MS_EINVAL &&
	    !strcmp(c->cfg->pops[*idx].model, "spike_source"))
		return fail(c, n, field, MS_EINVAL,
		            "expected a neuron population, got \"%s\" (a "
		            "spike_source generator; only a plastic projection "
		            "may end on a spike_source population)",
		            text_of(n));
	if (rc)
		return rc;
	p = &c->cfg->pops[*idx];
	if (p->is_gen && strcmp(p->model, "spike_source"))
		return fail(c, n, field, MS_EINVAL,
		            "expected a neuron population or a spike_source "
		            "(a teacher), got \"%s\" (a %s generator)",
		            text_of(n), p->model);
	return 0;
}

static int parse_projection(struct ctx *c, const yaml_node_t *n, size_t idx)
{
	static const char *const fields[] = {"pre", "post", "connector",
	                                     "synapse", "plasticity"};
	struct cfg_proj *pj = &c->cfg->projs[idx];
	char field[FIELD_LEN], sub[FIELD_LEN];
	yaml_node_t *v, *pl;
	size_t i;
	int rc;

	subindex(field, "projections", idx);
	pj->at = node_loc(n);
	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	for (i = 0; i < 4; i++)
		if (map_get(c, n, fields[i]) == NULL)
			return missing(c, n, field, fields[i],
			               "see docs/config.md#projections");
	pl = map_get(c, n, "plasticity");
	subfield(sub, field, "pre");
	rc = parse_pop_ref(c, map_get(c, n, "pre"), sub, 0, &pj->pre);
	if (rc)
		return rc;
	subfield(sub, field, "post");
	rc = parse_post(c, map_get(c, n, "post"), sub, pl != NULL, &pj->post);
	if (rc)
		return rc;
	v = map_get(c, n, "connector");
	pj->conn_at = node_loc(v);
	subfield(sub, field, "connector");
	rc = parse_connector(c, v, sub, pj);
	if (rc)
		return rc;
	subfield(sub, field, "synapse");
	rc = parse_synapse(c, map_get(c, n, "synapse"), sub, pj);
	if (rc || pl == NULL)
		return rc;
	subfield(sub, field, "plasticity");
	return parse_plasticity(c, pl, sub, pj);
}

/* ------------------------------------------------------------------------ */
/* Currents and recording                                                   */

static int parse_current(struct ctx *c, const yaml_node_t *n, size_t idx)
{
	static const char *const fields[] = {"target", "ids", "dc", "times",
	                                     "amplitudes"};
	struct cfg_current *cur = &c->cfg->currents[idx];
	char field[FIELD_LEN], sub[FIELD_LEN];
	yaml_node_t *v, *t, *a;
	size_t na;
	int rc;

	subindex(field, "currents", idx);
	cur->at = node_loc(n);
	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	if ((v = map_get(c, n, "target")) == NULL)
		return missing(c, n, field, "target", "a neuron population");
	subfield(sub, field, "target");
	rc = parse_pop_ref(c, v, sub, 1, &cur->pop);
	if (rc)
		return rc;
	if ((v = map_get(c, n, "ids")) != NULL) {
		subfield(sub, field, "ids");
		rc = parse_id_list(c, v, sub, c->cfg->pops[cur->pop].size,
		                   &cur->ids, &cur->n_ids);
		if (rc)
			return rc;
	}
	v = map_get(c, n, "dc");
	t = map_get(c, n, "times");
	a = map_get(c, n, "amplitudes");
	if (v != NULL && (t || a))
		return fail(c, n, field, MS_ECONFIG,
		            "expected either dc or times and amplitudes, not "
		            "both");
	if (v != NULL) {
		cur->t = calloc(1, sizeof(double));
		cur->amp = calloc(1, sizeof(double));
		if (!cur->t || !cur->amp)
			return MS_ENOMEM;
		cur->n = 1;
		subfield(sub, field, "dc");
		return parse_quantity(c, v, sub, MS_DIM_CURRENT, &cur->amp[0]);
	}
	if (t == NULL || a == NULL)
		return missing(c, n, field, t ? "amplitudes" : "times",
		               "a current needs dc, or times and amplitudes");
	subfield(sub, field, "times");
	rc = parse_quantity_list(c, t, sub, MS_DIM_TIME, &cur->t, &cur->n);
	if (rc)
		return rc;
	rc = check_times(c, t, sub, cur->t, cur->n);
	if (rc)
		return rc;
	subfield(sub, field, "amplitudes");
	rc = parse_quantity_list(c, a, sub, MS_DIM_CURRENT, &cur->amp, &na);
	if (rc)
		return rc;
	if (na != cur->n)
		return fail(c, a, sub, MS_ECONFIG,
		            "expected as many amplitudes as times (%zu), got "
		            "%zu",
		            cur->n, na);
	return 0;
}

static int parse_state_rec(struct ctx *c, const yaml_node_t *n,
                           const char *field, struct cfg_state *st)
{
	static const char *const fields[] = {"population", "variable", "ids",
	                                     "interval"};
	const ms_var_info *info;
	const char **names;
	char sub[FIELD_LEN], list[512];
	yaml_node_t *v;
	size_t nv, i;
	int rc;

	st->at = node_loc(n);
	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	for (i = 0; i < N_ELEMS(fields); i++)
		if (i != 2 && map_get(c, n, fields[i]) == NULL)
			return missing(c, n, field, fields[i],
			               "see docs/config.md#record");
	subfield(sub, field, "population");
	rc = parse_pop_ref(c, map_get(c, n, "population"), sub, 1, &st->pop);
	if (rc)
		return rc;
	v = map_get(c, n, "variable");
	subfield(sub, field, "variable");
	rc = want_scalar(c, v, sub, "a state variable name");
	if (rc)
		return rc;
	rc = ms_model_vars(c->cfg->pops[st->pop].model, &info, &nv);
	if (rc)
		return fail(c, v, sub, rc, "%s", ms_strerror(rc));
	for (i = 0; i < nv; i++)
		if (!strcmp(info[i].name, text_of(v)))
			st->var = info[i].name;
	if (st->var == NULL) {
		names = var_names(info, nv);
		if (names == NULL)
			return MS_ENOMEM;
		rc = fail(c, v, sub, MS_ENOENT,
		          "model %s has no variable \"%s\"; variables: %s",
		          c->cfg->pops[st->pop].model, text_of(v),
		          join(list, sizeof(list), names, nv));
		free(names);
		return rc;
	}
	if ((v = map_get(c, n, "ids")) != NULL) {
		subfield(sub, field, "ids");
		rc = parse_id_list(c, v, sub, c->cfg->pops[st->pop].size,
		                   &st->ids, &st->n_ids);
		if (rc)
			return rc;
	}
	subfield(sub, field, "interval");
	return parse_quantity_in(c, map_get(c, n, "interval"), sub, MS_DIM_TIME,
	                         0, 1, INFINITY, "", &st->dt);
}

static int add_rec_spikes(struct ctx *c, const yaml_node_t *n,
                          const char *field, size_t pop)
{
	struct cfg_pop *p = &c->cfg->pops[pop];

	if (p->rec_listed)
		return fail(c, n, field, MS_ECONFIG,
		            "population \"%s\" is listed twice", p->name);
	p->rec_listed = 1;
	c->cfg->rec_spikes[c->cfg->n_rec_spikes++] = pop;
	return 0;
}

/* record.synapses[i]: {pre, post, variable: w | G, interval}: every
 * plastic projection from pre to post. */
static int parse_syn_rec(struct ctx *c, const yaml_node_t *n, const char *field,
                         struct cfg_synrec *sr)
{
	static const char *const fields[] = {"pre", "post", "variable",
	                                     "interval"};
	static const char *const vars[] = {"w", "G"};
	const ms_config *cfg = c->cfg;
	char sub[FIELD_LEN];
	yaml_node_t *v;
	size_t i, plastic = 0;
	int rc;

	sr->at = node_loc(n);
	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	for (i = 0; i < N_ELEMS(fields); i++)
		if (map_get(c, n, fields[i]) == NULL)
			return missing(c, n, field, fields[i],
			               "see docs/config.md#record");
	subfield(sub, field, "pre");
	rc = parse_pop_ref(c, map_get(c, n, "pre"), sub, 0, &sr->pre);
	if (rc)
		return rc;
	subfield(sub, field, "post");
	rc = parse_pop_ref(c, map_get(c, n, "post"), sub, 0, &sr->post);
	if (rc)
		return rc;
	v = map_get(c, n, "variable");
	subfield(sub, field, "variable");
	rc = want_scalar(c, v, sub, "w or G");
	if (rc)
		return rc;
	for (i = 0; i < N_ELEMS(vars); i++)
		if (!strcmp(text_of(v), vars[i]))
			sr->var = vars[i];
	if (sr->var == NULL)
		return fail(c, v, sub, MS_ENOENT,
		            "synapses have no variable \"%s\"; expected w "
		            "(device state) or G (conductance)",
		            text_of(v));
	for (i = 0; i < cfg->n_projs; i++)
		plastic += cfg->projs[i].pre == sr->pre &&
		           cfg->projs[i].post == sr->post && cfg->projs[i].pl;
	if (plastic == 0)
		return fail(c, n, field, MS_ECONFIG,
		            "no plastic projection from %s to %s: only the "
		            "weights of projections with a plasticity rule "
		            "change",
		            cfg->pops[sr->pre].name, cfg->pops[sr->post].name);
	subfield(sub, field, "interval");
	return parse_quantity_in(c, map_get(c, n, "interval"), sub, MS_DIM_TIME,
	                         0, 1, INFINITY, "", &sr->dt);
}

/* record: {spikes: all | [names], state: [...], synapses: [...]}. Without
 * a record section every population's spikes are recorded. */
static int parse_record(struct ctx *c, const yaml_node_t *n)
{
	static const char *const fields[] = {"spikes", "state", "synapses"};
	ms_config *cfg = c->cfg;
	char sub[FIELD_LEN];
	yaml_node_t *v;
	size_t i, idx;
	int rc;

	cfg->rec_spikes = calloc(cfg->n_pops, sizeof(size_t));
	if (cfg->rec_spikes == NULL)
		return MS_ENOMEM;
	if (n == NULL) {
		for (i = 0; i < cfg->n_pops; i++)
			cfg->rec_spikes[i] = i;
		cfg->n_rec_spikes = cfg->n_pops;
		return 0;
	}
	if (is_null(n))
		return 0;
	rc = check_map(c, n, "record", fields, N_ELEMS(fields));
	if (rc)
		return rc;
	if ((v = map_get(c, n, "spikes")) != NULL && !is_null(v)) {
		if (v->type == YAML_SCALAR_NODE && !strcmp(text_of(v), "all")) {
			for (i = 0; i < cfg->n_pops; i++)
				cfg->rec_spikes[i] = i;
			cfg->n_rec_spikes = cfg->n_pops;
		} else {
			rc = want_seq(c, v, "record.spikes",
			              "population names (or: all)");
			for (i = 0; rc == 0 && i < seq_len(v); i++) {
				subindex(sub, "record.spikes", i);
				rc = parse_pop_ref(c, seq_at(c, v, i), sub, 0,
				                   &idx);
				if (rc == 0)
					rc = add_rec_spikes(c, seq_at(c, v, i),
					                    sub, idx);
			}
			if (rc)
				return rc;
		}
	}
	if ((v = map_get(c, n, "state")) != NULL && !is_null(v)) {
		rc = want_seq(c, v, "record.state", "state recordings");
		if (rc)
			return rc;
		cfg->states = calloc(seq_len(v), sizeof(*cfg->states));
		if (cfg->states == NULL)
			return MS_ENOMEM;
		for (i = 0; i < seq_len(v); i++) {
			subindex(sub, "record.state", i);
			rc = parse_state_rec(c, seq_at(c, v, i), sub,
			                     &cfg->states[cfg->n_states++]);
			if (rc)
				return rc;
		}
	}
	if ((v = map_get(c, n, "synapses")) == NULL || is_null(v))
		return 0;
	rc = want_seq(c, v, "record.synapses", "synapse recordings");
	if (rc)
		return rc;
	cfg->synrecs = calloc(seq_len(v), sizeof(*cfg->synrecs));
	if (cfg->synrecs == NULL)
		return MS_ENOMEM;
	for (i = 0; i < seq_len(v); i++) {
		subindex(sub, "record.synapses", i);
		rc = parse_syn_rec(c, seq_at(c, v, i), sub,
		                   &cfg->synrecs[cfg->n_synrecs++]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* stdp_curve                                                               */

/* Most delta_t points and spikes a protocol may ask for. */
#define STDP_MAX_POINTS 1000000
#define STDP_MAX_SPIKES 100000000

/* delta_t: {from, to, step} into st->dt. */
static int parse_delta_t(struct ctx *c, const yaml_node_t *n, const char *field,
                         struct cfg_stdp *st)
{
	static const char *const fields[] = {"from", "to", "step"};
	double v[3], span;
	char sub[FIELD_LEN];
	size_t i;
	int rc;

	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	for (i = 0; i < N_ELEMS(fields); i++) {
		yaml_node_t *x = map_get(c, n, fields[i]);

		if (x == NULL)
			return missing(
			    c, n, field, fields[i],
			    "e.g. {from: -100 ms, to: 100 ms, step: 1 "
			    "ms}");
		subfield(sub, field, fields[i]);
		rc = i < 2 ? parse_quantity(c, x, sub, MS_DIM_TIME, &v[i])
		           : parse_quantity_in(c, x, sub, MS_DIM_TIME, 0, 1,
		                               INFINITY, "", &v[i]);
		if (rc)
			return rc;
	}
	if (v[1] < v[0])
		return fail(c, n, field, MS_EINVAL,
		            "empty range: expected to >= from, got from %s, to "
		            "%s",
		            text_of(map_get(c, n, "from")),
		            text_of(map_get(c, n, "to")));
	/* The end is included when it is a whole number of steps away, up
	 * to rounding in the division. */
	span = (v[1] - v[0]) / v[2];
	if (!(span < STDP_MAX_POINTS))
		return fail(c, n, field, MS_EINVAL,
		            "expected at most %d points, got %.0f",
		            STDP_MAX_POINTS, floor(span + 1e-9) + 1);
	st->n = (size_t)floor(span + 1e-9) + 1;
	st->dt = calloc(st->n, sizeof(double));
	if (st->dt == NULL)
		return MS_ENOMEM;
	for (i = 0; i < st->n; i++)
		st->dt[i] = v[0] + (double)i * v[2];
	return 0;
}

/* The plastic one_to_one projection pre -> post whose synapses the
 * protocol measures. Projections onto a spike source are all plastic. */
static int stdp_projection(struct ctx *c, const yaml_node_t *n,
                           struct cfg_stdp *st)
{
	const ms_config *cfg = c->cfg;
	const char *pre = cfg->pops[st->pre].name;
	const char *post = cfg->pops[st->post].name;
	size_t i, found = 0;

	for (i = 0; i < cfg->n_projs; i++) {
		const struct cfg_proj *pj = &cfg->projs[i];

		if (pj->pre != st->pre || pj->post != st->post)
			continue;
		if (found++)
			return fail(c, n, "stdp_curve", MS_EINVAL,
			            "projections[%zu] and [%zu] are both "
			            "projections %s -> %s; expected one",
			            st->proj, i, pre, post);
		st->proj = i;
	}
	if (!found)
		return fail(c, n, "stdp_curve", MS_EINVAL,
		            "no projection %s -> %s; the protocol measures the "
		            "synapses of a plastic one_to_one projection from "
		            "pre to post",
		            pre, post);
	if (cfg->projs[st->proj].conn.rule != MS_CONN_ONE_TO_ONE)
		return fail(c, n, "stdp_curve", MS_EINVAL,
		            "projections[%zu] (%s -> %s, line %lu) must use "
		            "connector one_to_one: synapse k measures delta_t "
		            "point k",
		            st->proj, pre, post, cfg->projs[st->proj].at.line);
	return 0;
}

/*
 * The spike sources get n units and the pairings' spikes. Their size must
 * be 1 or n as written; a one_to_one projection that now joins
 * populations of different sizes is refused at its connector.
 */
static int stdp_resize(struct ctx *c, const struct cfg_stdp *st)
{
	ms_config *cfg = c->cfg;
	size_t who[2] = {st->pre, st->post}, i;

	for (i = 0; i < 2; i++) {
		struct cfg_pop *p = &cfg->pops[who[i]];
		char sub[FIELD_LEN];

		if (p->size == 1 || p->size == st->n)
			continue;
		snprintf(sub, sizeof(sub), "populations[%zu].size", who[i]);
		return report(c->err, cfg->path, &p->size_at, sub, MS_EINVAL,
		              "the stdp_curve protocol makes one unit per "
		              "delta_t point: expected 1 or %zu, got %zu",
		              st->n, p->size);
	}
	cfg->pops[st->pre].size = st->n;
	cfg->pops[st->post].size = st->n;
	for (i = 0; i < cfg->n_projs; i++) {
		const struct cfg_proj *pj = &cfg->projs[i];
		char sub[FIELD_LEN];

		if (pj->conn.rule != MS_CONN_ONE_TO_ONE ||
		    cfg->pops[pj->pre].size == cfg->pops[pj->post].size)
			continue;
		snprintf(sub, sizeof(sub), "projections[%zu].connector", i);
		return report(
		    c->err, cfg->path, &pj->conn_at, sub, MS_EINVAL,
		    "one_to_one needs populations of equal size, but "
		    "stdp_curve gives %s and %s %zu units: %s has %zu",
		    cfg->pops[st->pre].name, cfg->pops[st->post].name, st->n,
		    cfg->pops[pj->pre].size == st->n ? cfg->pops[pj->post].name
		                                     : cfg->pops[pj->pre].name,
		    cfg->pops[pj->pre].size == st->n ? cfg->pops[pj->post].size
		                                     : cfg->pops[pj->pre].size);
	}
	return 0;
}

/*
 * Pairing m of point k: the pre unit k fires at t_m - d, so that its spike
 * arrives at the synapse at a = (t_m - d) + d (computed as the engine
 * computes arrivals, hence bit-exact), and the post unit k fires at
 * a + delta_t_k. t_m = start + m / frequency.
 */
static int stdp_spikes(ms_config *cfg, const struct cfg_stdp *st, double d,
                       double *first, double *last)
{
	struct cfg_pop *pre = &cfg->pops[st->pre], *post = &cfg->pops[st->post];
	size_t total = st->n * (size_t)st->pairings, k, m, j = 0;
	double period = 1000.0 / st->freq;

	pre->spk_ids = calloc(total, sizeof(uint32_t));
	pre->spk_t = calloc(total, sizeof(double));
	post->spk_ids = calloc(total, sizeof(uint32_t));
	post->spk_t = calloc(total, sizeof(double));
	if (!pre->spk_ids || !pre->spk_t || !post->spk_ids || !post->spk_t)
		return MS_ENOMEM;
	*first = INFINITY;
	*last = 0;
	for (m = 0; m < st->pairings; m++) {
		double tp = (st->start + (double)m * period) - d;

		for (k = 0; k < st->n; k++, j++) {
			pre->spk_ids[j] = post->spk_ids[j] = (uint32_t)k;
			pre->spk_t[j] = tp;
			post->spk_t[j] = (tp + d) + st->dt[k];
			*first = fmin(*first, fmin(tp, post->spk_t[j]));
			*last = fmax(*last, fmax(tp, post->spk_t[j]));
		}
	}
	pre->n_spk = post->n_spk = total;
	return 0;
}

/* Longest lead (before the spike) and whole support of the waveforms of
 * two populations; 0 without waveforms. */
static void wave_extent(const struct cfg_pop *a, const struct cfg_pop *b,
                        double *lead, double *support)
{
	const struct cfg_wave *w[2] = {a->wave, b->wave};
	size_t i;

	*lead = *support = 0;
	for (i = 0; i < 2; i++) {
		if (w[i] == NULL)
			continue;
		*lead = fmax(*lead, w[i]->lead);
		*support = fmax(*support, w[i]->lead + w[i]->tail);
	}
}

/* pre and post of stdp_curve: spike sources without spikes of their own. */
static int stdp_source(struct ctx *c, const yaml_node_t *n, const char *key,
                       size_t *idx)
{
	const struct cfg_pop *p;
	char sub[FIELD_LEN];
	yaml_node_t *v = map_get(c, n, key);
	int rc;

	subfield(sub, "stdp_curve", key);
	rc = parse_pop_ref(c, v, sub, 0, idx);
	if (rc)
		return rc;
	p = &c->cfg->pops[*idx];
	if (strcmp(p->model, "spike_source"))
		return fail(c, v, sub, MS_EINVAL,
		            "expected a spike_source population (the protocol "
		            "makes its spikes), got \"%s\" (model %s)",
		            p->name, p->model);
	if (p->has_spikes)
		return fail(
		    c, v, sub, MS_EINVAL,
		    "population \"%s\" has spikes of its own (line %lu); "
		    "the protocol makes them: remove its spikes field",
		    p->name, p->spikes_at.line);
	return 0;
}

/*
 * stdp_curve: the pairing protocol of `memspike stdp-curve`
 * (docs/config.md#stdp_curve). It takes over two spike sources: their size
 * becomes the number of delta_t points and their spikes the pairings, so
 * that point k is measured on synapse k of a one_to_one projection.
 */
static int parse_stdp(struct ctx *c, const yaml_node_t *n)
{
	static const char *const fields[] = {"pre",       "post",    "pairings",
	                                     "frequency", "delta_t", "w_init",
	                                     "start"};
	ms_config *cfg = c->cfg;
	const struct cfg_proj *pj;
	struct cfg_stdp *st;
	yaml_node_t *v;
	double d, lead, support, first, last, min_start;
	char r[64];
	size_t i;
	int rc;

	rc = check_map(c, n, "stdp_curve", fields, N_ELEMS(fields));
	if (rc)
		return rc;
	for (i = 0; i < 5; i++)
		if (map_get(c, n, fields[i]) == NULL)
			return missing(c, n, "stdp_curve", fields[i],
			               "see docs/config.md#stdp_curve");
	st = cfg->stdp = calloc(1, sizeof(*st));
	if (st == NULL)
		return MS_ENOMEM;
	st->at = node_loc(n);
	if ((rc = stdp_source(c, n, "pre", &st->pre)) != 0 ||
	    (rc = stdp_source(c, n, "post", &st->post)) != 0)
		return rc;
	if (st->pre == st->post)
		return fail(c, map_get(c, n, "post"), "stdp_curve.post",
		            MS_EINVAL,
		            "expected another population than pre, got \"%s\"",
		            cfg->pops[st->post].name);
	rc = parse_uint(c, map_get(c, n, "pairings"), "stdp_curve.pairings", 1,
	                UINT32_MAX, &st->pairings);
	if (rc)
		return rc;
	rc = parse_quantity_in(c, map_get(c, n, "frequency"),
	                       "stdp_curve.frequency", MS_DIM_RATE, 0, 1,
	                       INFINITY, "", &st->freq);
	if (rc)
		return rc;
	rc = parse_delta_t(c, map_get(c, n, "delta_t"), "stdp_curve.delta_t",
	                   st);
	if (rc)
		return rc;
	if ((double)st->n * (double)st->pairings > STDP_MAX_SPIKES)
		return fail(c, n, "stdp_curve", MS_EINVAL,
		            "%zu points x %llu pairings is more than %d spikes "
		            "per population",
		            st->n, (unsigned long long)st->pairings,
		            STDP_MAX_SPIKES);
	if ((rc = stdp_projection(c, n, st)) != 0)
		return rc;
	pj = &cfg->projs[st->proj];
	if ((v = map_get(c, n, "w_init")) != NULL) {
		static const char *const w_keys[] = {"w_init", "w_init_lo",
		                                     "w_init_hi"};
		const struct cfg_setting *s;

		rc =
		    parse_quantity_in(c, v, "stdp_curve.w_init", MS_DIM_NONE, 0,
		                      0, 1, " (a device state)", &st->w_init);
		if (rc)
			return rc;
		for (i = 0; i < N_ELEMS(w_keys); i++)
			if ((s = setting(pj->pl->dset, pj->pl->n_dset,
			                 w_keys[i])) != NULL)
				return fail(
				    c, v, "stdp_curve.w_init", MS_ECONFIG,
				    "the initial state is also set by "
				    "projections[%zu].plasticity.device.%s "
				    "on line %lu; give it once",
				    st->proj, w_keys[i], s->at.line);
		st->has_w_init = 1;
	}
	if ((rc = stdp_resize(c, st)) != 0)
		return rc;
	d = pj->syn.delay_ms;
	wave_extent(&cfg->pops[st->pre], &cfg->pops[st->post], &lead, &support);
	/* Every spike at t >= 0 (pre spikes leave d before t_m, post spikes
	 * come at t_m + delta_t), by default with room for the waveform
	 * before it and 1 ms to spare. */
	min_start = fmax(d, -st->dt[0]);
	st->start = min_start + lead + 1.0;
	if ((v = map_get(c, n, "start")) != NULL) {
		rc = parse_quantity_in(c, v, "stdp_curve.start", MS_DIM_TIME,
		                       min_start, 0, INFINITY,
		                       " (so that no spike comes before 0 ms: "
		                       "the pre spikes are sent one delay "
		                       "early)",
		                       &st->start);
		if (rc)
			return rc;
	}
	if ((rc = stdp_spikes(cfg, st, d, &first, &last)) != 0)
		return rc;
	if (first < 0)
		return fail(c, v ? v : n, v ? "stdp_curve.start" : "stdp_curve",
		            MS_EINVAL,
		            "the first spike would come at %g ms; expected a "
		            "start a little later than %g ms",
		            first, min_start);
	if (!cfg->has_duration) {
		cfg->duration = last + support + d + 1.0;
	} else if (!(cfg->duration > last + d)) {
		return report(
		    c->err, cfg->path, &cfg->duration_at, "duration", MS_EINVAL,
		    "expected a time > %s: the stdp_curve protocol's "
		    "last spike is at %g ms and arrives %g ms later "
		    "(leave duration out to get a default)",
		    ms__unit_format(last + d, MS_DIM_TIME, r, sizeof(r)), last,
		    d);
	}
	st->end = cfg->duration;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Top level                                                                */

/* A list section (populations, projections, currents): NULL or empty is
 * allowed where the section is optional. */
static int parse_section(struct ctx *c, const yaml_node_t *n, const char *name,
                         size_t elem, void **arr, size_t *len,
                         int (*item)(struct ctx *, const yaml_node_t *, size_t))
{
	size_t i;
	int rc;

	if (n == NULL || is_null(n))
		return 0;
	rc = want_seq(c, n, name, name);
	if (rc)
		return rc;
	*arr = calloc(seq_len(n), elem);
	if (*arr == NULL)
		return MS_ENOMEM;
	for (i = 0; i < seq_len(n); i++) {
		*len = i + 1;
		rc = item(c, seq_at(c, n, i), i);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Sort the population names for find_pop() and refuse a name given twice,
 * at its second place. Done once all populations are read, because
 * checking each name against all earlier ones took 28 s for 10^5
 * populations, and each reference in projections as long again.
 */
static int index_pops(struct ctx *c)
{
	ms_config *cfg = c->cfg;
	size_t i, first, dup;
	char field[FIELD_LEN], sub[FIELD_LEN];

	cfg->pop_index = malloc(cfg->n_pops * sizeof(*cfg->pop_index));
	if (cfg->pop_index == NULL)
		return MS_ENOMEM;
	for (i = 0; i < cfg->n_pops; i++) {
		cfg->pop_index[i].name = cfg->pops[i].name;
		cfg->pop_index[i].idx = i;
	}
	qsort(cfg->pop_index, cfg->n_pops, sizeof(*cfg->pop_index),
	      name_ref_cmp);
	if (!first_repeat(cfg->pop_index, cfg->n_pops, &first, &dup))
		return 0;
	subindex(field, "populations", dup);
	subfield(sub, field, "name");
	return report(c->err, cfg->path, &cfg->pops[dup].name_at, sub,
	              MS_ECONFIG,
	              "population \"%s\" is already defined on line "
	              "%lu",
	              cfg->pops[dup].name, cfg->pops[first].at.line);
}

static int parse_root(struct ctx *c, const yaml_node_t *root)
{
	static const char *const fields[] = {
	    "name",        "seed",     "duration", "output",    "populations",
	    "projections", "currents", "record",   "stdp_curve"};
	ms_config *cfg = c->cfg;
	yaml_node_t *v;
	char *name = NULL;
	int rc;

	rc = check_map(c, root, "", fields, N_ELEMS(fields));
	if (rc)
		return rc;
	if ((v = map_get(c, root, "name")) != NULL) {
		rc = parse_string(c, v, "name", "a name", &name);
		if (rc)
			return rc;
		free(cfg->default_output);
		cfg->default_output = malloc(strlen(name) + 4);
		if (cfg->default_output == NULL) {
			free(name);
			return MS_ENOMEM;
		}
		sprintf(cfg->default_output, "%s.h5", name);
		free(name);
	}
	if ((v = map_get(c, root, "seed")) != NULL) {
		rc = parse_uint(c, v, "seed", 0, UINT64_MAX, &cfg->seed);
		if (rc)
			return rc;
	}
	c->stdp = map_get(c, root, "stdp_curve") != NULL;
	/* With a stdp_curve protocol, its end is the default. */
	if ((v = map_get(c, root, "duration")) != NULL) {
		rc = parse_quantity_in(c, v, "duration", MS_DIM_TIME, 0, 1,
		                       INFINITY, "", &cfg->duration);
		if (rc)
			return rc;
		cfg->has_duration = 1;
		cfg->duration_at = node_loc(v);
	} else if (!c->stdp) {
		return missing(c, root, "", "duration",
		               "the simulated time, e.g. 1000 ms");
	}
	if ((v = map_get(c, root, "output")) != NULL) {
		cfg->output_at = node_loc(v);
		rc = parse_string(c, v, "output", "a file name", &cfg->output);
		if (rc)
			return rc;
	}
	v = map_get(c, root, "populations");
	if (v == NULL)
		return missing(c, root, "", "populations",
		               "a list of populations");
	rc = parse_section(c, v, "populations", sizeof(struct cfg_pop),
	                   (void **)&cfg->pops, &cfg->n_pops, parse_population);
	if (rc)
		return rc;
	if (cfg->n_pops == 0)
		return fail(c, v, "populations", MS_ECONFIG,
		            "expected at least one population");
	rc = index_pops(c);
	if (rc)
		return rc;
	rc = parse_section(c, map_get(c, root, "projections"), "projections",
	                   sizeof(struct cfg_proj), (void **)&cfg->projs,
	                   &cfg->n_projs, parse_projection);
	if (rc)
		return rc;
	rc = parse_section(c, map_get(c, root, "currents"), "currents",
	                   sizeof(struct cfg_current), (void **)&cfg->currents,
	                   &cfg->n_currents, parse_current);
	if (rc)
		return rc;
	rc = parse_record(c, map_get(c, root, "record"));
	if (rc || (v = map_get(c, root, "stdp_curve")) == NULL)
		return rc;
	return parse_stdp(c, v);
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */

/* Read a whole file into a NUL-terminated buffer. */
static int read_text(const char *path, char **text, size_t *len, ms_error *err)
{
	size_t cap = 4096, n = 0, got;
	char *buf = NULL, *p;
	FILE *f;
	int rc = 0;

	f = fopen(path, "rb");
	if (f == NULL)
		return report(
		    err, path, NULL, "", errno == ENOENT ? MS_ENOENT : MS_EIO,
		    "cannot open the configuration: %s", strerror(errno));
	buf = malloc(cap);
	if (buf == NULL) {
		rc = MS_ENOMEM;
		goto fail;
	}
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 > 0)
			continue;
		p = realloc(buf, 2 * cap);
		if (p == NULL) {
			rc = MS_ENOMEM;
			goto fail;
		}
		buf = p;
		cap *= 2;
	}
	if (ferror(f)) {
		rc = report(err, path, NULL, "", MS_EIO,
		            "cannot read the configuration: %s",
		            strerror(errno));
		goto fail;
	}
	buf[n] = '\0';
	fclose(f);
	*text = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	fclose(f);
	return rc;
}

/* Directory part of path ("" for a bare file name), and the default output
 * name: the config's base name with .h5 for its extension. */
static int split_path(ms_config *cfg)
{
	const char *slash = strrchr(cfg->path, '/');
	const char *base = slash ? slash + 1 : cfg->path;
	size_t dlen = slash ? (size_t)(slash - cfg->path) : 0;
	const char *dot = strrchr(base, '.');
	size_t blen = dot && dot != base ? (size_t)(dot - base) : strlen(base);

	cfg->dir = malloc(dlen + 2);
	cfg->default_output = malloc(blen + 4);
	if (!cfg->dir || !cfg->default_output)
		return MS_ENOMEM;
	if (slash == cfg->path)
		strcpy(cfg->dir, "/");
	else
		snprintf(cfg->dir, dlen + 1, "%s", cfg->path);
	snprintf(cfg->default_output, blen + 4, "%.*s.h5", (int)blen, base);
	return 0;
}

/* Deepest nesting of lists and mappings in a config; a network
 * description needs about seven levels. */
#define MAX_DEPTH 64

/*
 * Refuse lists and mappings nested deeper than MAX_DEPTH, by a pass over
 * libyaml's events before the document is loaded: its scanner takes time
 * quadratic in the depth (200 000 nested "[", 400 kB, took 88 s), and the
 * pass stops at the first level too deep. Malformed YAML is left to the
 * loader, which reports it.
 */
static int check_depth(const char *text, size_t len, const char *path,
                       ms_error *err)
{
	yaml_parser_t p;
	yaml_event_t e;
	int depth = 0, rc = 0, end = 0;

	if (!yaml_parser_initialize(&p))
		return MS_ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (rc == 0 && !end && yaml_parser_parse(&p, &e)) {
		if (e.type == YAML_SEQUENCE_START_EVENT ||
		    e.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (e.type == YAML_SEQUENCE_END_EVENT ||
		         e.type == YAML_MAPPING_END_EVENT)
			depth--;
		if (depth > MAX_DEPTH) {
			struct loc at = {e.start_mark.line + 1,
			                 e.start_mark.column + 1};

			rc = report(err, path, &at, "", MS_ECONFIG,
			            "expected lists and mappings nested at "
			            "most %d deep, got deeper",
			            MAX_DEPTH);
		}
		end = e.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&p);
	return rc;
}

static int yaml_error(const yaml_parser_t *p, const char *path, ms_error *err)
{
	struct loc at = {p->problem_mark.line + 1, p->problem_mark.column + 1};

	if (p->error == YAML_MEMORY_ERROR)
		return MS_ENOMEM;
	return report(err, path, &at, "", MS_ECONFIG, "malformed YAML: %s%s%s",
	              p->problem ? p->problem : "syntax error",
	              p->context ? " " : "", p->context ? p->context : "");
}

int ms_config_load(const char *path, ms_config **out, ms_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int have_parser = 0, have_doc = 0;
	ms_error local;
	ms_config *cfg = NULL;
	yaml_node_t *root;
	struct ctx c;
	size_t len = 0;
	int rc;

	if (err == NULL)
		err = &local;
	err->code = 0;
	err->msg[0] = '\0';
	if (path == NULL || out == NULL)
		return report(err, "(config)", NULL, "", MS_EINVAL,
		              "no configuration path given");
	*out = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->path = strdup(path)) == NULL) {
		rc = MS_ENOMEM;
		goto fail;
	}
	if ((rc = split_path(cfg)) != 0)
		goto fail;
	if ((rc = read_text(path, &cfg->text, &len, err)) != 0)
		goto fail;
	if ((rc = check_depth(cfg->text, len, path, err)) != 0)
		goto fail;
	if (!yaml_parser_initialize(&parser)) {
		rc = MS_ENOMEM;
		goto fail;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)cfg->text,
	                             len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = yaml_error(&parser, path, err);
		goto fail;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		struct loc at = {1, 1};

		rc = report(err, path, &at, "", MS_ECONFIG,
		            "the configuration is empty; expected a mapping "
		            "with duration, populations, ...");
		goto fail;
	}
	c.cfg = cfg;
	c.doc = &doc;
	c.err = err;
	c.stdp = 0;
	c.entries = 0;
	c.max_entries = len + ALIAS_ENTRIES;
	if ((rc = parse_root(&c, root)) != 0)
		goto fail;
	if (!yaml_parser_load(&parser, &extra)) {
		rc = yaml_error(&parser, path, err);
		goto fail;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		struct loc at = {extra.start_mark.line + 1,
		                 extra.start_mark.column + 1};

		yaml_document_delete(&extra);
		rc = report(err, path, &at, "", MS_ECONFIG,
		            "expected one YAML document, found a second one");
		goto fail;
	}
	yaml_document_delete(&extra);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	*out = cfg;
	return 0;
fail:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (rc == MS_ENOMEM && err->msg[0] == '\0')
		report(err, path, NULL, "", rc, "out of memory");
	ms_config_destroy(cfg);
	return rc;
}

static void free_settings(struct cfg_setting *set, size_t n)
{
	size_t i;

	for (i = 0; set != NULL && i < n; i++) {
		free(set[i].name);
		free(set[i].option);
	}
	free(set);
}

static void free_wave(struct cfg_wave *w)
{
	if (w == NULL)
		return;
	free(w->shape);
	free_settings(w->set, w->n_set);
	free(w->tab_s);
	free(w->tab_v);
	free(w);
}

static void free_plast(struct cfg_plast *pl)
{
	if (pl == NULL)
		return;
	free(pl->rule);
	free(pl->device);
	free_settings(pl->rset, pl->n_rset);
	free_settings(pl->dset, pl->n_dset);
	free(pl);
}

void ms_config_destroy(ms_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_pops; i++) {
		struct cfg_pop *p = &cfg->pops[i];

		free(p->name);
		free(p->model);
		free(p->preset);
		free(p->params);
		free(p->inits);
		free(p->rate_t);
		free(p->rate_hz);
		free(p->spk_ids);
		free(p->spk_t);
		free_wave(p->wave);
	}
	for (i = 0; i < cfg->n_projs; i++) {
		free(cfg->projs[i].pre_ids);
		free(cfg->projs[i].post_ids);
		free(cfg->projs[i].weights);
		free(cfg->projs[i].delays);
		free_plast(cfg->projs[i].pl);
	}
	if (cfg->stdp != NULL)
		free(cfg->stdp->dt);
	free(cfg->stdp);
	for (i = 0; i < cfg->n_currents; i++) {
		free(cfg->currents[i].ids);
		free(cfg->currents[i].t);
		free(cfg->currents[i].amp);
	}
	for (i = 0; i < cfg->n_states; i++)
		free(cfg->states[i].ids);
	free(cfg->pops);
	free(cfg->projs);
	free(cfg->currents);
	free(cfg->states);
	free(cfg->synrecs);
	free(cfg->pop_index);
	free(cfg->rec_spikes);
	free(cfg->path);
	free(cfg->dir);
	free(cfg->text);
	free(cfg->output);
	free(cfg->default_output);
	free(cfg);
}

/* ------------------------------------------------------------------------ */
/* Building                                                                 */

double ms_config_duration_ms(const ms_config *cfg,
                             const ms_config_overrides *ov)
{
	if (ov != NULL && ov->has_duration)
		return ov->duration_ms;
	return cfg->duration;
}

const char *ms_config_output_path(const ms_config *cfg,
                                  const ms_config_overrides *ov)
{
	if (ov != NULL && ov->output_path != NULL)
		return ov->output_path;
	return cfg->output ? cfg->output : cfg->default_output;
}

const char *ms_config_text(const ms_config *cfg)
{
	return cfg ? cfg->text : NULL;
}

/* Report a failed ms_net_* call at the config node that caused it. */
static int net_fail(const ms_config *cfg, ms_net *net, ms_error *err,
                    const struct loc *at, const char *field, int rc)
{
	const char *m = ms_net_errmsg(net);

	return report(err, cfg->path, at, field, rc, "%s",
	              m && *m ? m : ms_strerror(rc));
}

static int build_waveform(const ms_config *cfg, ms_net *net, int pop,
                          const char *field, const struct cfg_wave *w,
                          ms_error *err)
{
	char sub[FIELD_LEN], sub2[FIELD_LEN];
	size_t k;
	int rc;

	subfield(sub, field, "waveform");
	rc = ms_pop_set_waveform(net, pop, w->shape);
	if (rc)
		return net_fail(cfg, net, err, &w->at, sub, rc);
	for (k = 0; k < w->n_set; k++) {
		rc = ms_pop_set_waveform_param(net, pop, w->set[k].name,
		                               w->set[k].value);
		subfield(sub2, sub, w->set[k].name);
		if (rc)
			return net_fail(cfg, net, err, &w->set[k].at, sub2, rc);
	}
	if (w->n_tab == 0)
		return 0;
	rc = ms_pop_set_waveform_table(net, pop, w->tab_s, w->tab_v, w->n_tab);
	subfield(sub2, sub, "points");
	return rc ? net_fail(cfg, net, err, &w->at, sub2, rc) : 0;
}

static int build_population(const ms_config *cfg, ms_net *net, size_t i,
                            ms_error *err)
{
	const struct cfg_pop *p = &cfg->pops[i];
	char field[FIELD_LEN], sub[FIELD_LEN];
	int pop, rc;
	size_t k;

	subindex(field, "populations", i);
	rc = ms_net_add_population(net, p->name, p->model, p->size, &pop);
	if (rc)
		return net_fail(cfg, net, err, &p->at, field, rc);
	if (p->preset && (rc = ms_pop_set_preset(net, pop, p->preset))) {
		subfield(sub, field, "preset");
		return net_fail(cfg, net, err, &p->preset_at, sub, rc);
	}
	for (k = 0; k < p->n_params; k++) {
		rc = ms_pop_set_param(net, pop, p->params[k].name,
		                      p->params[k].value);
		snprintf(sub, sizeof(sub), "%.100s.params.%.100s", field,
		         p->params[k].name);
		if (rc)
			return net_fail(cfg, net, err, &p->params[k].at, sub,
			                rc);
	}
	for (k = 0; k < p->n_inits; k++) {
		const struct cfg_init *in = &p->inits[k];

		if (in->uniform)
			rc = ms_pop_init_uniform(net, pop, in->var, in->lo,
			                         in->hi);
		else
			rc = ms_pop_init_value(net, pop, in->var, in->lo);
		snprintf(sub, sizeof(sub), "%.100s.init.%.100s", field,
		         in->var);
		if (rc)
			return net_fail(cfg, net, err, &in->at, sub, rc);
	}
	if (p->n_rate > 0) {
		rc = ms_poisson_set_rate_profile(net, pop, p->rate_t,
		                                 p->rate_hz, p->n_rate);
		subfield(sub, field, "rate");
		if (rc)
			return net_fail(cfg, net, err, &p->rate_at, sub, rc);
	}
	if (p->n_spk > 0) {
		rc = ms_spike_source_add(net, pop, p->spk_ids, p->spk_t,
		                         p->n_spk);
		subfield(sub, field, "spikes");
		if (rc && p->has_spikes)
			return net_fail(cfg, net, err, &p->spikes_at, sub, rc);
		if (rc) /* the spikes of the stdp_curve protocol */
			return net_fail(cfg, net, err, &cfg->stdp->at,
			                "stdp_curve", rc);
	}
	return p->wave ? build_waveform(cfg, net, pop, field, p->wave, err) : 0;
}

/* Parameters (numbers) and options (words) of a rule or a device, in the
 * order they were written. */
static int build_settings(const ms_config *cfg, ms_net *net, int proj,
                          const char *field, const struct cfg_setting *set,
                          size_t n, int device, ms_error *err)
{
	char sub[FIELD_LEN];
	size_t k;
	int rc;

	for (k = 0; k < n; k++) {
		const struct cfg_setting *s = &set[k];

		if (s->option && device)
			rc = ms_proj_set_device_option(net, proj, s->name,
			                               s->option);
		else if (s->option)
			rc = ms_proj_set_plasticity_option(net, proj, s->name,
			                                   s->option);
		else if (device)
			rc = ms_proj_set_device_param(net, proj, s->name,
			                              s->value);
		else
			rc = ms_proj_set_plasticity_param(net, proj, s->name,
			                                  s->value);
		subfield(sub, field, s->name);
		if (rc)
			return net_fail(cfg, net, err, &s->at, sub, rc);
	}
	return 0;
}

static int build_plasticity(const ms_config *cfg, ms_net *net, int proj,
                            size_t i, const struct cfg_plast *pl, ms_error *err)
{
	char field[FIELD_LEN], sub[FIELD_LEN];
	int rc;

	snprintf(field, sizeof(field), "projections[%zu].plasticity", i);
	subfield(sub, field, "rule");
	rc = ms_proj_set_plasticity(net, proj, pl->rule);
	if (rc)
		return net_fail(cfg, net, err, &pl->rule_at, sub, rc);
	subfield(sub, field, "device");
	if (pl->device != NULL &&
	    (rc = ms_proj_set_device(net, proj, pl->device)) != 0)
		return net_fail(cfg, net, err, &pl->device_at, sub, rc);
	rc = build_settings(cfg, net, proj, sub, pl->dset, pl->n_dset, 1, err);
	if (rc == 0)
		rc = build_settings(cfg, net, proj, field, pl->rset, pl->n_rset,
		                    0, err);
	if (rc || cfg->stdp == NULL || cfg->stdp->proj != i ||
	    !cfg->stdp->has_w_init)
		return rc;
	rc = ms_proj_set_device_param(net, proj, "w_init", cfg->stdp->w_init);
	return rc ? net_fail(cfg, net, err, &cfg->stdp->at, "stdp_curve.w_init",
	                     rc)
	          : 0;
}

static int build_projection(const ms_config *cfg, ms_net *net, size_t i,
                            ms_error *err)
{
	const struct cfg_proj *pj = &cfg->projs[i];
	ms_conn_spec conn = pj->conn;
	char field[FIELD_LEN];
	int rc, proj;

	conn.pre = pj->pre_ids;
	conn.post = pj->post_ids;
	conn.weights = pj->weights;
	conn.delays_ms = pj->delays;
	rc = ms_net_connect(net, (int)pj->pre, (int)pj->post, &conn, &pj->syn,
	                    &proj);
	subindex(field, "projections", i);
	if (rc)
		return net_fail(cfg, net, err, &pj->at, field, rc);
	return pj->pl ? build_plasticity(cfg, net, proj, i, pj->pl, err) : 0;
}

static int build_inputs_and_records(const ms_config *cfg, ms_net *net,
                                    ms_error *err)
{
	char field[FIELD_LEN];
	size_t i;
	int rc;

	for (i = 0; i < cfg->n_currents; i++) {
		const struct cfg_current *cu = &cfg->currents[i];

		rc = ms_pop_add_current(net, (int)cu->pop, cu->ids, cu->n_ids,
		                        cu->t, cu->amp, cu->n);
		subindex(field, "currents", i);
		if (rc)
			return net_fail(cfg, net, err, &cu->at, field, rc);
	}
	for (i = 0; i < cfg->n_rec_spikes; i++) {
		rc = ms_net_record_spikes(net, (int)cfg->rec_spikes[i]);
		if (rc)
			return net_fail(cfg, net, err, NULL, "record.spikes",
			                rc);
	}
	for (i = 0; i < cfg->n_states; i++) {
		const struct cfg_state *st = &cfg->states[i];

		rc = ms_net_record_state(net, (int)st->pop, st->var, st->ids,
		                         st->n_ids, st->dt);
		subindex(field, "record.state", i);
		if (rc)
			return net_fail(cfg, net, err, &st->at, field, rc);
	}
	for (i = 0; i < cfg->n_synrecs; i++) {
		const struct cfg_synrec *sr = &cfg->synrecs[i];

		subindex(field, "record.synapses", i);
		for (size_t k = 0; k < cfg->n_projs; k++) {
			const struct cfg_proj *pj = &cfg->projs[k];
			if (pj->pre != sr->pre || pj->post != sr->post ||
			    !pj->pl)
				continue;
			rc = ms_net_record_synapses(net, (int)k, sr->var,
			                            sr->dt);
			if (rc)
				return net_fail(cfg, net, err, &sr->at, field,
				                rc);
		}
	}
	return 0;
}

/*
 * The output file is opened last: every earlier step can still fail on
 * the config, and a failed build must not leave a file behind.
 */
int ms_config_build(const ms_config *cfg, const ms_config_overrides *ov,
                    ms_net **out, ms_error *err)
{
	ms_net_opts opts = {cfg->seed};
	ms_output_opts oo = {cfg->text, cfg->path};
	ms_net *net = NULL;
	ms_error local;
	const char *path;
	size_t i;
	int rc;

	if (err == NULL)
		err = &local;
	err->code = 0;
	err->msg[0] = '\0';
	*out = NULL;
	if (ov != NULL && ov->has_seed)
		opts.seed = ov->seed;
	rc = ms_net_create(&opts, &net);
	if (rc) {
		report(err, cfg->path, NULL, "", rc, "%s", ms_strerror(rc));
		goto fail;
	}
	for (i = 0; i < cfg->n_pops; i++)
		if ((rc = build_population(cfg, net, i, err)) != 0)
			goto fail;
	for (i = 0; i < cfg->n_projs; i++)
		if ((rc = build_projection(cfg, net, i, err)) != 0)
			goto fail;
	if ((rc = build_inputs_and_records(cfg, net, err)) != 0)
		goto fail;
	if (ov != NULL && ov->no_output) {
		*out = net;
		return 0;
	}
	path = ms_config_output_path(cfg, ov);
	rc = ms_net_open_output(net, path, &oo);
	if (rc) {
		if (ov != NULL && ov->output_path != NULL) {
			/* The path came from the caller, not from the file. */
			snprintf(err->msg, sizeof(err->msg), "%s",
			         ms_net_errmsg(net));
			err->code = rc;
		} else {
			net_fail(cfg, net, err,
			         cfg->output ? &cfg->output_at : NULL, "output",
			         rc);
		}
		goto fail;
	}
	*out = net;
	return 0;
fail:
	ms_net_destroy(net);
	return rc;
}

int ms_config_stdp_protocol(const ms_config *cfg, ms_stdp_protocol *out)
{
	const struct cfg_stdp *st;
	const struct cfg_plast *pl;

	if (cfg == NULL || out == NULL)
		return MS_EINVAL;
	if ((st = cfg->stdp) == NULL)
		return MS_ENOENT;
	pl = cfg->projs[st->proj].pl;
	memset(out, 0, sizeof(*out));
	out->pre = (int)st->pre;
	out->post = (int)st->post;
	out->proj = (int)st->proj;
	out->n_points = st->n;
	out->delta_t_ms = st->dt;
	out->pairings = (size_t)st->pairings;
	out->frequency_Hz = st->freq;
	out->start_ms = st->start;
	out->end_ms = st->end;
	out->w_init = st->w_init;
	out->has_w_init = st->has_w_init;
	out->rule = pl->rule;
	out->device = pl->device ? pl->device : "ideal";
	return 0;
}

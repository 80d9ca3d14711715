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
 */
#include "memspike/memspike.h"
#include "engine/units.h"

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

struct cfg_init {
	const char *var; /* the registry's string */
	int uniform;
	double lo, hi; /* lo is the value when !uniform */
	struct loc at;
};

struct cfg_pop {
	char *name, *model;
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
	struct loc at, rate_at, spikes_at;
};

struct cfg_proj {
	size_t pre, post;
	ms_conn_spec conn; /* list arrays point to the owned ones below */
	uint32_t *pre_ids, *post_ids;
	double *weights, *delays;
	ms_syn_spec syn;
	struct loc at;
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

struct ms_config {
	char *path, *dir, *text;
	char *output, *default_output;
	struct loc output_at;
	uint64_t seed;
	double duration;
	struct cfg_pop *pops;
	size_t n_pops;
	struct cfg_proj *projs;
	size_t n_projs;
	struct cfg_current *currents;
	size_t n_currents;
	size_t *rec_spikes;
	size_t n_rec_spikes;
	struct cfg_state *states;
	size_t n_states;
};

struct ctx {
	ms_config *cfg;
	yaml_document_t *doc;
	ms_error *err;
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

/*
 * Read a CSV file of numbers named by node n (a path relative to the config
 * directory). Blank lines and lines starting with '#' are skipped; a first
 * line that is not numeric is a header. Every row must have between
 * min_cols and max_cols cells (<= 4), the same number in every row; each
 * row goes to fn, whose refusal is reported with the file's line number.
 */
static int read_csv(struct ctx *c, const yaml_node_t *n, const char *field,
                    size_t min_cols, size_t max_cols, const char *columns,
                    row_fn fn, void *user)
{
	char *path = NULL, *line = NULL, *s, why[256];
	size_t cap = 0, lineno = 0, ncols = 0;
	double vals[4];
	int rc, first = 1, k;
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
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
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

static int find_pop(const ms_config *cfg, size_t n_pops, const char *name,
                    size_t *idx)
{
	size_t i;

	for (i = 0; i < n_pops; i++) {
		if (!strcmp(cfg->pops[i].name, name)) {
			*idx = i;
			return 0;
		}
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
	if (find_pop(cfg, cfg->n_pops, text_of(n), idx) != 0) {
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
		rc = parse_quantity_in(c, v, sub, info[i].dim, info[i].min,
		                       info[i].min_open, info[i].max, "",
		                       &cp->value);
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

/* rate: quantity | {times: [...], rates: [...]} (poisson). */
static int parse_rate(struct ctx *c, const yaml_node_t *n, const char *field,
                      struct cfg_pop *pop)
{
	static const char *const fields[] = {"times", "rates"};
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
		return parse_quantity_in(c, n, field, MS_DIM_RATE, 0, 0,
		                         INFINITY, "", &pop->rate_hz[0]);
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

/*
 * One entry of populations. The model is read first because it decides
 * which other fields exist: rate for poisson, spikes for spike_source,
 * init for models with state variables.
 */
static int parse_population(struct ctx *c, const yaml_node_t *n, size_t idx)
{
	const char *fields[8] = {"name", "model", "size", "params"};
	struct cfg_pop *pop = &c->cfg->pops[idx];
	size_t nf = 4, other, nv;
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
	if (find_pop(c->cfg, idx, pop->name, &other) == 0)
		return fail(c, v, sub, MS_ECONFIG,
		            "population \"%s\" is already defined on line %lu",
		            pop->name, c->cfg->pops[other].at.line);

	v = map_get(c, n, "size");
	if (v == NULL)
		return missing(c, n, field, "size", "the number of units");
	subfield(sub, field, "size");
	rc = parse_uint(c, v, sub, 1, UINT32_MAX, &size);
	if (rc)
		return rc;
	pop->size = (size_t)size;

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
	if (!strcmp(pop->model, "poisson"))
		return poisson_rate(c, n, field, pop);
	if (!strcmp(pop->model, "spike_source")) {
		if ((v = map_get(c, n, "spikes")) == NULL)
			return missing(c, n, field, "spikes",
			               "{ids: [...], times: [...]} or {file: "
			               "...}");
		subfield(sub, field, "spikes");
		return parse_spikes(c, v, sub, pop);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Projections                                                              */

/* Value of a parameter of a parsed population: the one the config sets,
 * else the registry default. MS_ENOENT if the model has no such parameter. */
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
		if (pre->size != post->size)
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
	if (v != NULL) {
		subfield(sub, field, "weight");
		if ((rc = parse_weight(c, v, sub, post, &pj->syn.weight)) != 0)
			return rc;
	} else if (pj->weights == NULL) {
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

static int parse_projection(struct ctx *c, const yaml_node_t *n, size_t idx)
{
	static const char *const fields[] = {"pre", "post", "connector",
	                                     "synapse"};
	struct cfg_proj *pj = &c->cfg->projs[idx];
	char field[FIELD_LEN], sub[FIELD_LEN];
	yaml_node_t *v;
	size_t i;
	int rc;

	subindex(field, "projections", idx);
	pj->at = node_loc(n);
	rc = check_map(c, n, field, fields, N_ELEMS(fields));
	if (rc)
		return rc;
	for (i = 0; i < N_ELEMS(fields); i++)
		if (map_get(c, n, fields[i]) == NULL)
			return missing(c, n, field, fields[i],
			               "see docs/config.md#projections");
	subfield(sub, field, "pre");
	rc = parse_pop_ref(c, map_get(c, n, "pre"), sub, 0, &pj->pre);
	if (rc)
		return rc;
	subfield(sub, field, "post");
	rc = parse_pop_ref(c, map_get(c, n, "post"), sub, 1, &pj->post);
	if (rc)
		return rc;
	v = map_get(c, n, "connector");
	subfield(sub, field, "connector");
	rc = parse_connector(c, v, sub, pj);
	if (rc)
		return rc;
	subfield(sub, field, "synapse");
	return parse_synapse(c, map_get(c, n, "synapse"), sub, pj);
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
	size_t i;

	for (i = 0; i < c->cfg->n_rec_spikes; i++)
		if (c->cfg->rec_spikes[i] == pop)
			return fail(c, n, field, MS_ECONFIG,
			            "population \"%s\" is listed twice",
			            c->cfg->pops[pop].name);
	c->cfg->rec_spikes[c->cfg->n_rec_spikes++] = pop;
	return 0;
}

/* record: {spikes: all | [names], state: [...]}. Without a record
 * section every population's spikes are recorded. */
static int parse_record(struct ctx *c, const yaml_node_t *n)
{
	static const char *const fields[] = {"spikes", "state"};
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
	if ((v = map_get(c, n, "state")) == NULL || is_null(v))
		return 0;
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

static int parse_root(struct ctx *c, const yaml_node_t *root)
{
	static const char *const fields[] = {
	    "name",        "seed",        "duration", "output",
	    "populations", "projections", "currents", "record"};
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
	if ((v = map_get(c, root, "duration")) == NULL)
		return missing(c, root, "", "duration",
		               "the simulated time, e.g. 1000 ms");
	rc = parse_quantity_in(c, v, "duration", MS_DIM_TIME, 0, 1, INFINITY,
	                       "", &cfg->duration);
	if (rc)
		return rc;
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
	return parse_record(c, map_get(c, root, "record"));
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

void ms_config_destroy(ms_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_pops; i++) {
		struct cfg_pop *p = &cfg->pops[i];

		free(p->name);
		free(p->model);
		free(p->params);
		free(p->inits);
		free(p->rate_t);
		free(p->rate_hz);
		free(p->spk_ids);
		free(p->spk_t);
	}
	for (i = 0; i < cfg->n_projs; i++) {
		free(cfg->projs[i].pre_ids);
		free(cfg->projs[i].post_ids);
		free(cfg->projs[i].weights);
		free(cfg->projs[i].delays);
	}
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

/* Report a failed ms_net_* call at the config node that caused it. */
static int net_fail(const ms_config *cfg, ms_net *net, ms_error *err,
                    const struct loc *at, const char *field, int rc)
{
	const char *m = ms_net_errmsg(net);

	return report(err, cfg->path, at, field, rc, "%s",
	              m && *m ? m : ms_strerror(rc));
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
		if (rc)
			return net_fail(cfg, net, err, &p->spikes_at, sub, rc);
	}
	return 0;
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
	return rc ? net_fail(cfg, net, err, &pj->at, field, rc) : 0;
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

/*
 * fuzz_common — scratch files, size estimate and the load-build-run cycle
 * of the config and CSV harnesses (fuzz_common.h).
 */
#include "tests/fuzz/fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "engine/units.h"
#include "memspike/memspike.h"

static char scratch[64];

/* At a normal exit; a crash leaves the files for a look. */
static void remove_scratch(void)
{
	static const char *const names[] = {"cfg.yaml", "data.csv",
	                                    "spikes.csv", "conn.csv"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(fz_path(names[i]));
	rmdir(scratch);
}

const char *fz_path(const char *name)
{
	static char path[256];

	if (scratch[0] == '\0') {
		strcpy(scratch, "/tmp/ms_fuzz.XXXXXX");
		if (mkdtemp(scratch) == NULL) {
			perror("mkdtemp");
			abort();
		}
		atexit(remove_scratch);
	}
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	return path;
}

void fz_write(const char *name, const uint8_t *data, size_t size)
{
	FILE *f = fopen(fz_path(name), "wb");

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror("fz_write");
		abort();
	}
}

/* ------------------------------------------------------------------------ */
/* Size estimate                                                            */

static yaml_node_t *get(yaml_document_t *d, const yaml_node_t *map,
                        const char *key)
{
	yaml_node_pair_t *p;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* A whole number as config.c reads one (digits only), else 0. */
static double whole(const yaml_node_t *n)
{
	const char *s = scalar(n);
	double v = 0;

	if (s == NULL)
		return 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = 10 * v + (*s - '0');
	return *s == '\0' ? v : 0;
}

static double quantity(const yaml_node_t *n)
{
	const char *s = scalar(n);
	double v;
	ms_dim dim;

	return s && ms__unit_parse_any(s, &v, &dim) == 0 ? v : 0;
}

static size_t seq_len(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(n->data.sequence.items.top -
	                n->data.sequence.items.start);
}

static yaml_node_t *seq_at(yaml_document_t *d, const yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(d, n->data.sequence.items.start[i]);
}

/* Size of the first population named by node ref, 0 if none. */
static double size_of(yaml_document_t *d, const yaml_node_t *pops,
                      const yaml_node_t *ref)
{
	const char *name = scalar(ref), *s;
	size_t i;

	for (i = 0; name && i < seq_len(pops); i++) {
		yaml_node_t *p = seq_at(d, pops, i);

		s = scalar(get(d, p, "name"));
		if (s && !strcmp(s, name))
			return whole(get(d, p, "size"));
	}
	return 0;
}

/* Points x pairings of a stdp_curve section; its spike sources get one
 * unit per point. */
static void stdp_estimate(yaml_document_t *d, const yaml_node_t *st,
                          struct fz_size *est)
{
	yaml_node_t *dt = get(d, st, "delta_t");
	double from = quantity(get(d, dt, "from"));
	double to = quantity(get(d, dt, "to"));
	double step = quantity(get(d, dt, "step"));
	double points = step > 0 && to >= from ? (to - from) / step + 1 : 0;

	if (st == NULL)
		return;
	est->stdp_spikes = points * whole(get(d, st, "pairings"));
	est->units += 2 * points;
}

void fz_estimate(const char *text, size_t len, struct fz_size *est)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *pops, *projs;
	size_t i;

	memset(est, 0, sizeof(*est));
	if (!yaml_parser_initialize(&parser))
		return;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_parser_delete(&parser);
		return;
	}
	root = yaml_document_get_root_node(&doc);
	pops = get(&doc, root, "populations");
	for (i = 0; i < seq_len(pops); i++)
		est->units += whole(get(&doc, seq_at(&doc, pops, i), "size"));
	projs = get(&doc, root, "projections");
	for (i = 0; i < seq_len(projs); i++) {
		yaml_node_t *pj = seq_at(&doc, projs, i);

		est->synapses += size_of(&doc, pops, get(&doc, pj, "pre")) *
		                 size_of(&doc, pops, get(&doc, pj, "post"));
	}
	stdp_estimate(&doc, get(&doc, root, "stdp_curve"), est);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
}

/* ------------------------------------------------------------------------ */
/* Load, build, run                                                         */

static void check_error(int rc, const ms_error *err)
{
	if (rc < MS_EUNIT || rc > MS_OK || err->code != rc ||
	    err->msg[0] == '\0') {
		fprintf(stderr,
		        "broken error report: rc %d, code %d, msg \"%s\"\n", rc,
		        err->code, err->msg);
		abort();
	}
}

void fz_load_build_run(const char *path, const struct fz_size *est)
{
	ms_config_overrides ov = {0};
	ms_stdp_protocol pr;
	ms_config *cfg = NULL;
	ms_net *net = NULL;
	ms_error err;
	int rc;

	if (est->stdp_spikes > FZ_MAX_STDP_SPIKES)
		return;
	rc = ms_config_load(path, &cfg, &err);
	if (rc) {
		check_error(rc, &err);
		if (cfg != NULL)
			abort();
		return;
	}
	/* The accessors of a loaded config. */
	if (ms_config_stdp_protocol(cfg, &pr) == 0 &&
	    (pr.delta_t_ms == NULL || pr.rule == NULL || pr.device == NULL))
		abort();
	if (ms_config_text(cfg) == NULL ||
	    ms_config_output_path(cfg, NULL) == NULL ||
	    !(ms_config_duration_ms(cfg, NULL) > 0))
		abort();
	if (est->units > FZ_MAX_UNITS || est->synapses > FZ_MAX_SYNAPSES)
		goto out;
	ov.no_output = 1;
	rc = ms_config_build(cfg, &ov, &net, &err);
	if (rc) {
		check_error(rc, &err);
		goto out;
	}
	rc = ms_net_run(net, FZ_RUN_MS);
	if (rc && (rc < MS_EUNIT || ms_net_errmsg(net)[0] == '\0')) {
		fprintf(stderr, "run failed without a message: rc %d\n", rc);
		abort();
	}
	ms_net_destroy(net);
out:
	ms_config_destroy(cfg);
}

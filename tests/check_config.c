/*
 * check_config — the YAML network description (engine/config.c).
 *
 * Bad input: every error names file:line:column, the field, and what was
 * expected; the messages are compared in full where their form is part of
 * the interface (docs/config.md), else by the parts that matter.
 * Good input: the network built through the public API is inspected through
 * the public API, and two small runs are compared with closed forms.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memspike/memspike.h"

static char tmpdir[64];

/* One scratch directory per test case, made and removed by the parent
 * process so that it goes away even when a test fails. */
static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/check_config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(EXIT_FAILURE);
	}
}

static void remove_tmpdir(void)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(tmpdir);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(tmpdir);
}

static const char *tmp_path(const char *name)
{
	static char path[2][512];
	static int k;

	k ^= 1;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(tmp_path(name), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static int file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The message with the temporary directory taken off the front. */
static const char *rel(const ms_error *err)
{
	size_t n = strlen(tmpdir);

	if (!strncmp(err->msg, tmpdir, n) && err->msg[n] == '/')
		return err->msg + n + 1;
	return err->msg;
}

/* Load text as cfg.yaml; returns the code, cfg is destroyed. */
static int load_text(const char *text, ms_error *err)
{
	ms_config *cfg = (ms_config *)1;
	int rc;

	write_file("cfg.yaml", text);
	rc = ms_config_load(tmp_path("cfg.yaml"), &cfg, err);
	if (rc == 0) {
		ck_assert_ptr_nonnull(cfg);
		ms_config_destroy(cfg);
	} else {
		ck_assert_ptr_null(cfg);
		ck_assert_int_eq(err->code, rc);
	}
	return rc;
}

static ms_config *load_ok(const char *text)
{
	ms_config *cfg = NULL;
	ms_error err;
	int rc;

	write_file("cfg.yaml", text);
	rc = ms_config_load(tmp_path("cfg.yaml"), &cfg, &err);
	ck_assert_msg(rc == 0, "load failed: %s", err.msg);
	return cfg;
}

/* Four populations on lines 3-6, for configs that add sections. */
#define POPS                                                                   \
	"duration: 10 ms\n"                                                    \
	"populations:\n"                                                       \
	"  - {name: a, model: lif_delta, size: 4}\n"                           \
	"  - {name: b, model: lif_exp, size: 4, params: {C_m: 200 pF}}\n"      \
	"  - {name: s, model: spike_source, size: 2, spikes: {ids: [0], "      \
	"times: [1 ms]}}\n"                                                    \
	"  - {name: p, model: poisson, size: 4, rate: 10 Hz}\n"

/* A spike source a, a neuron b, a spike source t (lines 3-5), and the
 * start of a projection a -> b whose plasticity mapping begins on line
 * 12, its fields at column 7. */
#define PLAST                                                                  \
	"duration: 10 ms\n"                                                    \
	"populations:\n"                                                       \
	"  - {name: a, model: spike_source, size: 1}\n"                        \
	"  - {name: b, model: lif_delta, size: 1}\n"                           \
	"  - {name: t, model: spike_source, size: 1}\n"                        \
	"projections:\n"                                                       \
	"  - pre: a\n"                                                         \
	"    post: b\n"                                                        \
	"    connector: {rule: one_to_one}\n"                                  \
	"    synapse: {weight: 1 mV, delay: 1 ms}\n"                           \
	"    plasticity:\n"

/* A spike source with a waveform on line 3: the waveform mapping starts
 * at column 55. */
#define WAVE                                                                   \
	"duration: 1 ms\npopulations:\n  - {name: a, model: "                  \
	"spike_source, size: 1, waveform: "

/* A stdp_curve protocol between spike sources a and t (line 6: the
 * plastic projection a -> t); its fields follow from line 8 on. */
#define STDP_HEAD                                                              \
	"populations:\n"                                                       \
	"  - {name: a, model: spike_source, size: 1}\n"                        \
	"  - {name: t, model: spike_source, size: 1}\n"                        \
	"  - {name: n, model: lif_delta, size: 1}\n"                           \
	"projections:\n"                                                       \
	"  - {pre: a, post: t, connector: {rule: one_to_one}, synapse: "       \
	"{delay: 1 ms}, plasticity: {rule: stdp_pair}}\n"                      \
	"stdp_curve:\n"
#define STDP_REST                                                              \
	"  pairings: 2\n"                                                      \
	"  frequency: 1 Hz\n"                                                  \
	"  delta_t: {from: -10 ms, to: 10 ms, step: 5 ms}\n"
#define STDP STDP_HEAD "  pre: a\n  post: t\n" STDP_REST

/* A plastic projection a -> t and a static one a -> n (lines 7 and 8),
 * then record.synapses; its entries start on line 11. */
#define SYNREC                                                                 \
	"duration: 1 ms\npopulations:\n"                                       \
	"  - {name: a, model: spike_source, size: 1}\n"                        \
	"  - {name: t, model: spike_source, size: 1}\n"                        \
	"  - {name: n, model: lif_delta, size: 1}\n"                           \
	"projections:\n"                                                       \
	"  - {pre: a, post: t, connector: {rule: one_to_one}, synapse: "       \
	"{delay: 1 ms}, plasticity: {rule: stdp_pair}}\n"                      \
	"  - {pre: a, post: n, connector: {rule: one_to_one}, synapse: "       \
	"{weight: 1 mV, delay: 1 ms}}\n"                                       \
	"record:\n  synapses:\n"

/* ------------------------------------------------------------------------ */
/* Rejected configurations                                                  */

struct bad {
	const char *yaml;
	int rc;
	const char *msg; /* exact message after the tmpdir, or "~substring" */
};

static const struct bad bad[] = {
    /* Malformed YAML: the place libyaml reports. */
    {"duration: 10 ms\npopulations: [\n  {name: a\n", MS_ECONFIG,
     "~cfg.yaml:4:1: malformed YAML: "},
    {"duration: 10 ms\n  bad indent: 1\n", MS_ECONFIG,
     "~cfg.yaml:2:13: malformed YAML: mapping values are not allowed"},
    {"", MS_ECONFIG, "~cfg.yaml:1:1: the configuration is empty"},
    {"- a\n- b\n", MS_ECONFIG,
     "cfg.yaml:1:1: expected a mapping with fields name, seed, duration, "
     "output, populations, projections, currents, record, stdp_curve, got "
     "a list"},
    {POPS "---\nduration: 1 ms\n", MS_ECONFIG,
     "~cfg.yaml:7:1: expected one YAML document"},
    /* Unknown fields, at every level, with the allowed ones listed. */
    {POPS "durration: 5 ms\n", MS_ECONFIG,
     "cfg.yaml:7:1: durration: unknown field; allowed fields: name, seed, "
     "duration, output, populations, projections, currents, record, "
     "stdp_curve"},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_delta, size: "
     "1, sise: 2}\n",
     MS_ECONFIG,
     "cfg.yaml:3:42: populations[0].sise: unknown field; allowed fields: "
     "name, model, size, params, waveform, init"},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_delta, size: "
     "1, params: {tau_syn_e: 2 ms}}\n",
     MS_ECONFIG,
     "cfg.yaml:3:51: populations[0].params.tau_syn_e: unknown field; "
     "allowed fields: tau_m, C_m, E_L, V_th, V_reset, t_ref, I_e"},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_delta, size: "
     "1, init: {V: -60 mV}}\n",
     MS_ECONFIG,
     "cfg.yaml:3:49: populations[0].init.V: unknown field; allowed "
     "fields: V_m"},
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: 1, "
     "init: {}}\n",
     MS_ECONFIG,
     "cfg.yaml:3:40: populations[0].init: unknown field; allowed fields: "
     "name, model, size, params, waveform, rate"},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "fixed_probability, p: 0.1, k: 3}, synapse: {weight: 1 mV, delay: "
          "1 ms}}\n",
     MS_ECONFIG,
     "cfg.yaml:8:68: projections[0].connector.k: unknown field; allowed "
     "fields: rule, p, allow_self"},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "all_to_all}, synapse: {weight: 1 mV, delay: 1 ms, tau: 2 ms}}\n",
     MS_ECONFIG,
     "cfg.yaml:8:91: projections[0].synapse.tau: unknown field; allowed "
     "fields: weight, delay, receptor"},
    {POPS "projections:\n  - {pre: a, post: b, conector: {rule: "
          "all_to_all}, synapse: {weight: 1 mV, delay: 1 ms}}\n",
     MS_ECONFIG,
     "cfg.yaml:8:23: projections[0].conector: unknown field; allowed "
     "fields: pre, post, connector, synapse, plasticity"},
    {POPS "record:\n  spikes: all\n  voltages: [a]\n", MS_ECONFIG,
     "cfg.yaml:9:3: record.voltages: unknown field; allowed fields: "
     "spikes, state, synapses"},
    {POPS "record:\n  state:\n    - {population: a, variable: V_m, dt: "
          "1 ms}\n",
     MS_ECONFIG,
     "cfg.yaml:9:38: record.state[0].dt: unknown field; allowed fields: "
     "population, variable, ids, interval"},
    {POPS "currents:\n  - {target: a, dc: 5 pA, amplitude: 3 pA}\n", MS_ECONFIG,
     "cfg.yaml:8:27: currents[0].amplitude: unknown field; allowed "
     "fields: target, ids, dc, times, amplitudes"},
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: 1, "
     "rate: {times: [0 ms], rate: [1 Hz]}}\n",
     MS_ECONFIG,
     "cfg.yaml:3:62: populations[0].rate.rate: unknown field; allowed "
     "fields: times, rates"},
    {POPS "duration: 5 ms\n", MS_ECONFIG,
     "cfg.yaml:7:1: duration: field given twice (first on line 1)"},
    /* Units and ranges. */
    {"duration: 1 ms\npopulations:\n  - name: a\n    model: lif_exp\n    "
     "size: 1\n    params: {tau_m: 20 mV}\n",
     MS_EUNIT,
     "cfg.yaml:6:21: populations[0].params.tau_m: expected a time (e.g. "
     "\"20 ms\"), got \"20 mV\""},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_exp, size: 1, "
     "params: {tau_m: 20}}\n",
     MS_EUNIT,
     "~params.tau_m: expected a time (e.g. \"20 ms\"), got "
     "\"20\" (a number needs its unit)"},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_exp, size: 1, "
     "params: {tau_m: 0 ms}}\n",
     MS_EINVAL,
     "cfg.yaml:3:56: populations[0].params.tau_m: expected a time in (0 "
     "ms, 1e+09 ms], got \"0 ms\""},
    {"duration: 10 kHz\npopulations: []\n", MS_EUNIT,
     "cfg.yaml:1:11: duration: expected a time (e.g. \"20 ms\"), got \"10 "
     "kHz\""},
    {"duration: 0 s\npopulations: []\n", MS_EINVAL,
     "cfg.yaml:1:11: duration: expected a time > 0 ms, got \"0 s\""},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "all_to_all}, synapse: {weight: 1 mV, delay: -1 ms}}\n",
     MS_EINVAL,
     "cfg.yaml:8:85: projections[0].synapse.delay: expected a time > 0 "
     "ms, got \"-1 ms\" (delays must be > 0: a spike is delivered "
     "strictly after it is emitted)"},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "all_to_all}, synapse: {weight: 1 mV, delay: 0 ms}}\n",
     MS_EINVAL,
     "~cfg.yaml:8:85: projections[0].synapse.delay: expected a time > 0 "
     "ms, got \"0 ms\""},
    {POPS "projections:\n  - {pre: s, post: a, connector: {rule: list, "
          "pairs: [[0, 1, 1 mV, 0 ms]]}, synapse: {}}\n",
     MS_EINVAL,
     "~cfg.yaml:8:68: projections[0].connector.pairs[0][3]: expected a "
     "time > 0 ms, got \"0 ms\""},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "fixed_probability, p: 1.5}, synapse: {weight: 1 mV, delay: 1 "
          "ms}}\n",
     MS_EINVAL,
     "cfg.yaml:8:63: projections[0].connector.p: expected a plain number "
     "in [0, 1], got \"1.5\" (a probability)"},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "fixed_probability, p: -0.1}, synapse: {weight: 1 mV, delay: 1 "
          "ms}}\n",
     MS_EINVAL, "~connector.p: expected a plain number in [0, 1]"},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "fixed_probability, p: 2 %}, synapse: {weight: 1 mV, delay: 1 "
          "ms}}\n",
     MS_EUNIT, "~connector.p: expected a plain number"},
    {POPS "projections:\n  - {pre: a, post: a, connector: {rule: "
          "all_to_all}, synapse: {weight: 10 pA, delay: 1 ms}}\n",
     MS_EUNIT,
     "cfg.yaml:8:72: projections[0].synapse.weight: expected a voltage "
     "(e.g. \"-65 mV\"), got \"10 pA\""},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "all_to_all}, synapse: {weight: 10 nS, delay: 1 ms}}\n",
     MS_EUNIT,
     "~projections[0].synapse.weight: expected a voltage (e.g. \"1.62 "
     "mV\") or a current (e.g. \"100 pA\", converted with tau_m / C_m of "
     "b), got \"10 nS\""},
    /* A conductance far beyond C_m (MS_COND_WEIGHT_MAX_PER_PF): "mS" for
     * "nS". */
    {"duration: 1 ms\npopulations:\n  - {name: s, model: poisson, size: "
     "1, rate: 5 Hz}\n  - {name: c, model: lif_cond, size: 1, params: "
     "{C_m: 100 pF}}\nprojections:\n  - {pre: s, post: c, connector: "
     "{rule: all_to_all}, synapse: {weight: 6 mS, delay: 1 ms}}\n",
     MS_EINVAL,
     "cfg.yaml:6:72: projections[0].synapse.weight: expected a "
     "conductance of at most 100000 nS (1000 times C_m of c), got \"6 "
     "mS\": that would move V within a microsecond (a mistake of "
     "units?)"},
    /* Names and references. */
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_foo, size: "
     "1}\n",
     MS_ENOENT,
     "cfg.yaml:3:22: populations[0].model: unknown model \"lif_foo\"; "
     "models: lif_delta, lif_exp, izhikevich, hh, hh_traub, lif_cond, srm, "
     "poisson, spike_source"},
    /* Presets: only the model's own, and only on a model with some. */
    {"duration: 1 ms\npopulations:\n  - {name: a, model: izhikevich, "
     "size: 1, preset: XS}\n",
     MS_ENOENT,
     "cfg.yaml:3:51: populations[0].preset: unknown preset \"XS\" of "
     "model izhikevich; presets: RS, IB, CH, FS, LTS, TC, RZ"},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_delta, size: "
     "1, preset: RS}\n",
     MS_ENOENT,
     "cfg.yaml:3:50: populations[0].preset: model lif_delta has no "
     "presets"},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: izhikevich, "
     "size: 1, preset: [RS]}\n",
     MS_ECONFIG,
     "~cfg.yaml:3:51: populations[0].preset: expected a preset "
     "name"},
    {"duration: 1 ms\npopulations:\n  - {name: a, size: 1}\n", MS_ECONFIG,
     "cfg.yaml:3:5: populations[0]: missing field \"model\" (e.g. "
     "lif_exp, poisson; see docs/config.md)"},
    {"duration: 1 ms\npopulations:\n  - {name: a b, model: lif_delta, "
     "size: 1}\n",
     MS_ECONFIG,
     "cfg.yaml:3:12: populations[0].name: expected 1 to 63 characters "
     "from A-Z a-z 0-9 _ . -, got \"a b\""},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_delta, size: "
     "0}\n",
     MS_EINVAL,
     "cfg.yaml:3:39: populations[0].size: expected a whole number in [1, "
     "4294967295], got \"0\""},
    {"duration: 1 ms\npopulations:\n  - {name: a, model: lif_delta, size: "
     "2.5}\n",
     MS_ECONFIG, "~populations[0].size: expected a whole number >= 1"},
    {POPS "  - {name: a, model: lif_exp, size: 1}\n", MS_ECONFIG,
     "cfg.yaml:7:12: populations[4].name: population \"a\" is already "
     "defined on line 3"},
    {POPS "projections:\n  - {pre: x, post: b, connector: {rule: "
          "all_to_all}, synapse: {weight: 1 mV, delay: 1 ms}}\n",
     MS_ENOENT,
     "cfg.yaml:8:11: projections[0].pre: no population named \"x\"; "
     "populations: a, b, s, p"},
    {POPS "projections:\n  - {pre: a, post: p, connector: {rule: "
          "all_to_all}, synapse: {weight: 1 mV, delay: 1 ms}}\n",
     MS_EINVAL,
     "cfg.yaml:8:20: projections[0].post: expected a neuron population, "
     "got \"p\" (a poisson generator)"},
    {POPS "projections:\n  - {pre: s, post: b, connector: {rule: "
          "one_to_one}, synapse: {weight: 1 mV, delay: 1 ms}}\n",
     MS_EINVAL,
     "~projections[0].connector.rule: one_to_one needs populations of "
     "equal size, got s (2) and b (4)"},
    {POPS "projections:\n  - {pre: a, post: a, connector: {rule: "
          "fixed_indegree, k: 4, allow_self: false}, synapse: {weight: 1 "
          "mV, delay: 1 ms}}\n",
     MS_EINVAL,
     "~projections[0].connector.k: expected a whole number in [0, 3]"},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "fixed_in_degree, k: 2}, synapse: {weight: 1 mV, delay: 1 "
          "ms}}\n",
     MS_ECONFIG,
     "~projections[0].connector.rule: unknown rule \"fixed_in_degree\"; "
     "rules: all_to_all, one_to_one, fixed_probability, fixed_indegree, "
     "list"},
    {POPS "projections:\n  - {pre: s, post: a, connector: {rule: list, "
          "pairs: [[0, 1], [2, 1]]}, synapse: {weight: 1 mV, delay: 1 "
          "ms}}\n",
     MS_EINVAL,
     "cfg.yaml:8:64: projections[0].connector.pairs[1][0]: expected a "
     "whole number in [0, 1], got \"2\""},
    {POPS "projections:\n  - {pre: s, post: a, connector: {rule: list, "
          "pairs: [[0, 1], [1, 2, 1 mV, 1 ms]]}, synapse: {weight: 1 mV, "
          "delay: 1 ms}}\n",
     MS_ECONFIG,
     "~connector.pairs[1]: expected [pre, post] or [pre, "
     "post, weight, delay], the same form in every pair"},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "all_to_all, allow_self: maybe}, synapse: {weight: 1 mV, delay: "
          "1 ms}}\n",
     MS_ECONFIG, "~connector.allow_self: expected true or false"},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "all_to_all}, synapse: {weight: 1 mV, delay: 1 ms, receptor: "
          "gaba}}\n",
     MS_ECONFIG,
     "~synapse.receptor: expected one of auto, exc, inh, got \"gaba\""},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: "
          "all_to_all}, synapse: {delay: 1 ms}}\n",
     MS_ECONFIG,
     "~projections[0].synapse: missing field \"weight\" (e.g. 0.25 mV)"},
    /* Inputs. */
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: "
     "1}\n",
     MS_ECONFIG,
     "cfg.yaml:3:5: populations[0]: missing field \"rate\" (e.g. 100 Hz "
     "or {times: [...], rates: [...]})"},
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: "
     "1, params: {rate: 5 Hz}, rate: 5 Hz}\n",
     MS_ECONFIG,
     "~populations[0].rate: the rate is already given by params.rate"},
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: "
     "1, rate: {times: [0 ms, 50 ms, 40 ms], rates: [1 Hz, 2 Hz, 3 "
     "Hz]}}\n",
     MS_EINVAL,
     "cfg.yaml:3:68: populations[0].rate.times[2]: times must increase, "
     "got \"40 ms\" after \"50 ms\""},
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: "
     "1, rate: {times: [0 ms, 50 ms], rates: [1 Hz]}}\n",
     MS_ECONFIG,
     "~populations[0].rate.rates: expected as many rates as times (2), got "
     "1"},
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: "
     "1, rate: -1 Hz}\n",
     MS_EINVAL, "~populations[0].rate: expected a rate >= 0 Hz"},
    {"duration: 1 ms\npopulations:\n  - {name: s, model: spike_source, "
     "size: 2, spikes: {ids: [0, 2], times: [1 ms, 2 ms]}}\n",
     MS_EINVAL,
     "~populations[0].spikes.ids[1]: expected a whole number in [0, 1], "
     "got \"2\""},
    {"duration: 1 ms\npopulations:\n  - {name: s, model: spike_source, "
     "size: 2, spikes: {ids: [0, 1], times: [1 ms]}}\n",
     MS_ECONFIG, "~spikes.times: expected as many times as ids (2), got 1"},
    {"duration: 1 ms\npopulations:\n  - {name: s, model: spike_source, "
     "size: 2, spikes: {file: nowhere.csv}}\n",
     MS_ENOENT, "~cfg.yaml:3:60: populations[0].spikes.file: cannot open "},
    {POPS "projections:\n  - {pre: a, post: b, connector: {rule: list, "
          "file: conn_missing.csv}, synapse: {weight: 1 mV, delay: 1 "
          "ms}}\n",
     MS_ENOENT, "~cfg.yaml:8:53: projections[0].connector.file: cannot open "},
    {POPS "currents:\n  - {target: s, dc: 5 pA}\n", MS_EINVAL,
     "~currents[0].target: expected a neuron population, got \"s\""},
    {POPS "currents:\n  - {target: a, dc: 5 mV}\n", MS_EUNIT,
     "~currents[0].dc: expected a current (e.g. \"200 pA\"), got \"5 "
     "mV\""},
    {POPS "record:\n  spikes: [a, q]\n", MS_ENOENT,
     "cfg.yaml:8:15: record.spikes[1]: no population named \"q\"; "
     "populations: a, b, s, p"},
    {POPS "record:\n  state: [{population: a, variable: I_syn_e, "
          "interval: 1 ms}]\n",
     MS_ENOENT,
     "~record.state[0].variable: model lif_delta has no variable "
     "\"I_syn_e\"; variables: V_m"},
    {POPS "record:\n  state: [{population: b, variable: V_m, interval: 0 "
          "ms}]\n",
     MS_EINVAL, "~record.state[0].interval: expected a time > 0 ms"},
    /* Found by tests/fuzz: a rate beyond the poisson model's bound on its
     * rate parameter, whose spikes would not advance the clock. */
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: "
     "1, rate: {times: [0 ms], rates: [1e300 Hz]}}\n",
     MS_EINVAL,
     "cfg.yaml:3:70: populations[0].rate.rates[0]: expected a rate in [0 "
     "Hz, 1e+09 Hz], got \"1e300 Hz\""},
    {"duration: 1 ms\npopulations:\n  - {name: p, model: poisson, size: "
     "1, rate: 2e9 Hz}\n",
     MS_EINVAL,
     "cfg.yaml:3:46: populations[0].rate: expected a rate in [0 Hz, 1e+09 "
     "Hz], got \"2e9 Hz\""},
    /* Plasticity: rules, their parameters and options. */
    {PLAST "      rule: stdp_foo\n", MS_ENOENT,
     "~cfg.yaml:12:13: projections[0].plasticity.rule: unknown plasticity "
     "rule \"stdp_foo\"; rules: stdp_waveform, stdp_pair, "},
    {PLAST "      tau_plus: 20 ms\n", MS_ECONFIG,
     "~cfg.yaml:12:7: projections[0].plasticity: missing field \"rule\""},
    {PLAST "      rule: stdp_pair\n      tau_pls: 20 ms\n", MS_ECONFIG,
     "cfg.yaml:13:7: projections[0].plasticity.tau_pls: unknown field: "
     "rule stdp_pair has no parameter \"tau_pls\" (parameters: tau_plus, "
     "tau_minus, A_plus, A_minus, mu)"},
    {PLAST "      rule: stdp_pair\n      modes: fast\n", MS_ECONFIG,
     "cfg.yaml:13:7: projections[0].plasticity.modes: unknown field: rule "
     "stdp_pair has no option \"modes\""},
    {PLAST "      rule: stdp_pair\n      pairing: some\n", MS_ECONFIG,
     "cfg.yaml:13:16: projections[0].plasticity.pairing: stdp_pair: "
     "pairing \"some\" is not one of: all, nearest"},
    {PLAST "      rule: stdp_pair\n      tau_plus: 0 ms\n", MS_EINVAL,
     "cfg.yaml:13:17: projections[0].plasticity.tau_plus: expected a time "
     "> 0 ms, got \"0 ms\""},
    {PLAST "      rule: stdp_pair\n      tau_minus: -20 ms\n", MS_EINVAL,
     "~cfg.yaml:13:18: projections[0].plasticity.tau_minus: expected a "
     "time > 0 ms"},
    {PLAST "      rule: stdp_pair\n      tau_plus: 20 mV\n", MS_EUNIT,
     "~cfg.yaml:13:17: projections[0].plasticity.tau_plus: expected a "
     "time"},
    {PLAST "      rule: stdp_pair\n      mode: [fast]\n", MS_ECONFIG,
     "~cfg.yaml:13:13: projections[0].plasticity.mode: expected a number "
     "with its unit or a word, got a list"},
    {PLAST "      rule: stdp_pair\n      rule: stdp_triplet\n", MS_ECONFIG,
     "~cfg.yaml:13:7: projections[0].plasticity.rule: field given twice"},
    /* The first problem in the order written, now that repeats are found
     * by sorting the keys (config_long_mapping_repeat). */
    {PLAST "      rule: stdp_pair\n      tau_plus: 20 ms\n      tau_minus: 5 "
           "ms\n      tau_minus: 4 ms\n      tau_plus: 10 ms\n",
     MS_ECONFIG,
     "cfg.yaml:15:7: projections[0].plasticity.tau_minus: field given "
     "twice (first on line 14)"},
    {PLAST "      rule: stdp_pair\n      rule: stdp_pair\n      ? [a]\n      "
           ": 1\n",
     MS_ECONFIG,
     "cfg.yaml:13:7: projections[0].plasticity.rule: field given twice "
     "(first on line 12)"},
    {PLAST "      ? [a]\n      : 1\n      rule: stdp_pair\n      rule: "
           "stdp_pair\n",
     MS_ECONFIG,
     "cfg.yaml:12:9: projections[0].plasticity: expected a field name, got "
     "a list"},
    {PLAST "      rule: stdp_querlioz\n", MS_EINVAL,
     "~cfg.yaml:12:13: projections[0].plasticity.rule: rule stdp_querlioz "
     "needs a pulse-based device"},
    /* Devices. */
    {PLAST "      rule: stdp_pair\n      device: {model: memfoo}\n", MS_ENOENT,
     "~cfg.yaml:13:23: projections[0].plasticity.device.model: unknown "
     "device model \"memfoo\"; models: sinh, exp_threshold, "},
    {PLAST "      rule: stdp_pair\n      device: {model: exp_threshold, "
           "I1: 1 Hz}\n",
     MS_ECONFIG,
     "~cfg.yaml:13:38: projections[0].plasticity.device.I1: unknown field: "
     "unknown device parameter \"I1\""},
    {PLAST "      rule: stdp_pair\n      device: {model: exp_threshold, "
           "colour: blue}\n",
     MS_ECONFIG,
     "~cfg.yaml:13:38: projections[0].plasticity.device.colour: unknown "
     "field: unknown device option \"colour\""},
    {PLAST "      rule: stdp_pair\n      device: {mapping: linear_X}\n",
     MS_ECONFIG,
     "cfg.yaml:13:25: projections[0].plasticity.device.mapping: mapping: "
     "expected one of linear_G, linear_R, got \"linear_X\""},
    {PLAST "      rule: stdp_pair\n      device: {G_min: 2 nS, G_max: 1 "
           "nS}\n",
     MS_EINVAL,
     "cfg.yaml:13:23: projections[0].plasticity.device.G_min: G_min (2 nS) "
     "must be less than G_max (1 nS)"},
    {PLAST "      rule: stdp_pair\n      device: {G_min: -1 nS}\n", MS_EINVAL,
     "~cfg.yaml:13:23: projections[0].plasticity.device.G_min: expected a "
     "conductance in [0 nS, "},
    {PLAST "      rule: stdp_pair\n      device: {G_max: 0 nS}\n", MS_EINVAL,
     "~cfg.yaml:13:23: projections[0].plasticity.device.G_max: expected a "
     "conductance in (0 nS, "},
    {PLAST "      rule: stdp_pair\n      device: {model: hp, R_on: -1 "
           "kOhm}\n",
     MS_EINVAL,
     "~cfg.yaml:13:33: projections[0].plasticity.device.R_on: expected a "
     "resistance in (0 GOhm, "},
    {PLAST "      rule: stdp_pair\n      device: {mapping: linear_R}\n",
     MS_EINVAL,
     "~cfg.yaml:13:15: projections[0].plasticity.device: G_min: mapping "
     "linear_R needs G_min > 0 nS"},
    {PLAST "      rule: stdp_pair\n      device: {model: sinh, V0: 1 "
           "ms}\n",
     MS_EUNIT,
     "~cfg.yaml:13:33: projections[0].plasticity.device.V0: expected a "
     "voltage"},
    {PLAST "      rule: stdp_pair\n      device: exp_threshold\n", MS_ECONFIG,
     "~cfg.yaml:13:15: projections[0].plasticity.device: expected a "
     "mapping such as "},
    /* Where plastic and static projections may end. */
    {PLAST "      rule: stdp_pair\n"
           "  - {pre: a, post: t, connector: "
           "{rule: one_to_one}, synapse: {weight: 1 mV, delay: 1 ms}}\n",
     MS_EINVAL,
     "cfg.yaml:13:20: projections[1].post: expected a neuron population, "
     "got \"t\" (a spike_source generator; only a plastic projection may "
     "end on a spike_source population)"},
    {POPS "projections:\n  - {pre: a, post: p, connector: {rule: "
          "all_to_all}, synapse: {delay: 1 ms}, plasticity: {rule: "
          "stdp_pair}}\n",
     MS_EINVAL,
     "cfg.yaml:8:20: projections[0].post: expected a neuron population "
     "or a spike_source (a teacher), got \"p\" (a poisson generator)"},
    /* Waveforms. */
    {WAVE "{shape: gauss}}\n", MS_ENOENT,
     "cfg.yaml:3:63: populations[0].waveform.shape: unknown waveform shape "
     "\"gauss\"; shapes: exp, rect_ramp, table"},
    {WAVE "{A_plus: 1 V}}\n", MS_ECONFIG,
     "~cfg.yaml:3:55: populations[0].waveform: missing field \"shape\""},
    {WAVE "{shape: exp, A_pls: 1 V}}\n", MS_ECONFIG,
     "cfg.yaml:3:68: populations[0].waveform.A_pls: unknown field; allowed "
     "fields: shape, A_plus, tau_plus, T_plus, A_minus, tau_minus, "
     "T_minus"},
    {WAVE "{shape: exp, T_plus: 0 ms}}\n", MS_EINVAL,
     "~cfg.yaml:3:76: populations[0].waveform.T_plus: expected a time in "
     "(0 ms, "},
    {WAVE "{shape: rect_ramp, T_minus: -1 ms}}\n", MS_EINVAL,
     "~cfg.yaml:3:83: populations[0].waveform.T_minus: expected a time in "
     "(0 ms, "},
    {WAVE "{shape: exp, tau_minus: 0 ms}}\n", MS_EINVAL,
     "~cfg.yaml:3:79: populations[0].waveform.tau_minus: expected a time "
     "in (0 ms, "},
    {WAVE "{shape: exp, A_plus: 1 ms}}\n", MS_EUNIT,
     "~cfg.yaml:3:76: populations[0].waveform.A_plus: expected a voltage"},
    {WAVE "{shape: rect_ramp, tau_plus: 3 ms}}\n", MS_ECONFIG,
     "~cfg.yaml:3:74: populations[0].waveform.tau_plus: unknown field"},
    {WAVE "{shape: table}}\n", MS_ECONFIG,
     "~cfg.yaml:3:55: populations[0].waveform: missing field \"points\""},
    {WAVE "{shape: table, points: [[0 ms, 1 V], [0 ms, 0 V]]}}\n", MS_EINVAL,
     "cfg.yaml:3:93: populations[0].waveform.points[1][0]: times must "
     "increase, got \"0 ms\" after \"0 ms\""},
    {WAVE "{shape: table, points: [[0 ms, 1 V]]}}\n", MS_EINVAL,
     "~populations[0].waveform.points: expected at least 2 points"},
    {WAVE "{shape: table, points: [[0 ms, 1 V, 2 V], [1 ms, 0 V]]}}\n",
     MS_ECONFIG,
     "~populations[0].waveform.points[0]: expected a point [time, "
     "voltage]"},
    /* stdp_curve. */
    {STDP_HEAD "  pre: a\n  post: t\n  pairings: 2\n  frequency: 1 Hz\n"
               "  delta_t: {from: 10 ms, to: -10 ms, step: 1 ms}\n",
     MS_EINVAL,
     "cfg.yaml:12:12: stdp_curve.delta_t: empty range: expected to >= "
     "from, got from 10 ms, to -10 ms"},
    {STDP_HEAD "  pre: a\n  post: t\n  pairings: 2\n  frequency: 1 Hz\n"
               "  delta_t: {from: -10 ms, to: 10 ms, step: 0 ms}\n",
     MS_EINVAL,
     "cfg.yaml:12:44: stdp_curve.delta_t.step: expected a time > 0 ms, got "
     "\"0 ms\""},
    {STDP_HEAD "  pre: a\n  post: t\n  pairings: 2\n  frequency: 1 Hz\n"
               "  delta_t: {from: -10 ms, to: 10 ms, step: -1 ms}\n",
     MS_EINVAL, "~stdp_curve.delta_t.step: expected a time > 0 ms"},
    {STDP_HEAD "  pre: a\n  post: t\n  pairings: 2\n  frequency: 1 Hz\n"
               "  delta_t: {from: -10 ms, to: 10 ms}\n",
     MS_ECONFIG, "~cfg.yaml:12:12: stdp_curve.delta_t: missing field \"step\""},
    {STDP_HEAD "  pre: n\n  post: t\n" STDP_REST, MS_EINVAL,
     "cfg.yaml:8:8: stdp_curve.pre: expected a spike_source population "
     "(the protocol makes its spikes), got \"n\" (model lif_delta)"},
    {STDP_HEAD "  pre: t\n  post: a\n" STDP_REST, MS_EINVAL,
     "cfg.yaml:8:3: stdp_curve: no projection t -> a; the protocol "
     "measures the synapses of a plastic one_to_one projection from pre to "
     "post"},
    {STDP_HEAD "  pre: a\n  post: a\n" STDP_REST, MS_EINVAL,
     "~cfg.yaml:9:9: stdp_curve.post: expected another population than "
     "pre"},
    {"populations:\n  - {name: a, model: spike_source, size: 1}\n"
     "  - {name: t, model: spike_source, size: 1}\nprojections:\n"
     "  - {pre: a, post: t, connector: {rule: all_to_all}, synapse: {delay: "
     "1 ms}, plasticity: {rule: stdp_pair}}\nstdp_curve:\n"
     "  pre: a\n  post: t\n" STDP_REST,
     MS_EINVAL,
     "cfg.yaml:7:3: stdp_curve: projections[0] (a -> t, line 5) must use "
     "connector one_to_one: synapse k measures delta_t point k"},
    {"populations:\n  - {name: a, model: spike_source, size: 1, spikes: "
     "{ids: [0], times: [1 ms]}}\n  - {name: t, model: spike_source, size: "
     "1}\nprojections:\n  - {pre: a, post: t, connector: {rule: "
     "one_to_one}, synapse: {delay: 1 ms}, plasticity: {rule: "
     "stdp_pair}}\nstdp_curve:\n  pre: a\n  post: t\n" STDP_REST,
     MS_EINVAL,
     "cfg.yaml:7:8: stdp_curve.pre: population \"a\" has spikes of its own "
     "(line 2); the protocol makes them: remove its spikes field"},
    {"populations:\n  - {name: a, model: spike_source, size: 3}\n  - "
     "{name: t, model: spike_source, size: 3}\nprojections:\n  - {pre: a, "
     "post: t, connector: {rule: one_to_one}, synapse: {delay: 1 ms}, "
     "plasticity: {rule: stdp_pair}}\nstdp_curve:\n  pre: a\n  post: "
     "t\n" STDP_REST,
     MS_EINVAL,
     "cfg.yaml:2:42: populations[0].size: the stdp_curve protocol makes "
     "one unit per delta_t point: expected 1 or 5, got 3"},
    {"populations:\n  - {name: a, model: spike_source, size: 1}\n  - "
     "{name: t, model: spike_source, size: 1}\n  - {name: n, model: "
     "lif_delta, size: 1}\nprojections:\n  - {pre: a, post: t, connector: "
     "{rule: one_to_one}, synapse: {delay: 1 ms}, plasticity: {rule: "
     "stdp_pair}}\n  - {pre: a, post: n, connector: {rule: one_to_one}, "
     "synapse: {weight: 1 mV, delay: 1 ms}}\nstdp_curve:\n  pre: a\n  "
     "post: t\n" STDP_REST,
     MS_EINVAL,
     "cfg.yaml:7:34: projections[1].connector: one_to_one needs "
     "populations of equal size, but stdp_curve gives a and t 5 units: n "
     "has 1"},
    {"populations:\n  - {name: a, model: spike_source, size: 1}\n  - "
     "{name: t, model: spike_source, size: 1}\nprojections:\n  - {pre: a, "
     "post: t, connector: {rule: one_to_one}, synapse: {delay: 1 ms}, "
     "plasticity: {rule: stdp_pair, device: {w_init: 0.3}}}\nstdp_curve:\n"
     "  pre: a\n  post: t\n  w_init: 0.5\n" STDP_REST,
     MS_ECONFIG,
     "cfg.yaml:9:11: stdp_curve.w_init: the initial state is also set by "
     "projections[0].plasticity.device.w_init on line 5; give it once"},
    {STDP "  w_init: 1.5\n", MS_EINVAL,
     "cfg.yaml:13:11: stdp_curve.w_init: expected a plain number in [0, "
     "1], got \"1.5\" (a device state)"},
    {STDP_HEAD "  pre: a\n  post: t\n  pairings: 0\n  frequency: 1 Hz\n"
               "  delta_t: {from: -10 ms, to: 10 ms, step: 5 ms}\n",
     MS_EINVAL,
     "~cfg.yaml:10:13: stdp_curve.pairings: expected a whole "
     "number in [1, "},
    {STDP_HEAD "  pre: a\n  post: t\n  pairings: 2\n  frequency: 0 Hz\n"
               "  delta_t: {from: -10 ms, to: 10 ms, step: 5 ms}\n",
     MS_EINVAL,
     "cfg.yaml:11:14: stdp_curve.frequency: expected a rate > 0 Hz, got "
     "\"0 Hz\""},
    {STDP_HEAD "  pre: a\n  post: t\n  frequency: 1 Hz\n"
               "  delta_t: {from: -10 ms, to: 10 ms, step: 5 ms}\n",
     MS_ECONFIG,
     "cfg.yaml:8:3: stdp_curve: missing field \"pairings\" (see "
     "docs/config.md#stdp_curve)"},
    {STDP "  start: 5 ms\n", MS_EINVAL,
     "~cfg.yaml:13:10: stdp_curve.start: expected a time >= 10 ms, got \"5 "
     "ms\""},
    {"duration: 1 s\n" STDP, MS_EINVAL,
     "~cfg.yaml:1:11: duration: expected a time > 1022 ms: the stdp_curve "
     "protocol's last spike is at 1021 ms"},
    {"populations:\n  - {name: a, model: spike_source, size: 1}\n", MS_ECONFIG,
     "cfg.yaml:1:1: missing field \"duration\" (the simulated time, e.g. "
     "1000 ms)"},
    /* record.synapses: the entry is on line 11, its mapping at column 7. */
    {SYNREC "    - {pre: a, post: n, variable: w, interval: 1 ms}\n",
     MS_ECONFIG,
     "cfg.yaml:11:7: record.synapses[0]: no plastic projection from a to "
     "n: only the weights of projections with a plasticity rule change"},
    {SYNREC "    - {pre: a, post: t, variable: V, interval: 1 ms}\n", MS_ENOENT,
     "cfg.yaml:11:35: record.synapses[0].variable: synapses have no "
     "variable \"V\"; expected w (device state) or G (conductance)"},
    {SYNREC "    - {pre: a, post: t, variable: w}\n", MS_ECONFIG,
     "~cfg.yaml:11:7: record.synapses[0]: missing field \"interval\""},
    {SYNREC "    - {pre: a, post: t, variable: G, interval: 0 ms}\n", MS_EINVAL,
     "cfg.yaml:11:48: record.synapses[0].interval: expected a time > 0 "
     "ms, got \"0 ms\""},
    {SYNREC "    - {pre: a, post: x, variable: G, interval: 1 ms}\n", MS_ENOENT,
     "~cfg.yaml:11:22: record.synapses[0].post: no population "
     "named \"x\""},
};

START_TEST(config_rejects_bad_input)
{
	const struct bad *b = &bad[_i];
	ms_error err;
	int rc;

	rc = load_text(b->yaml, &err);
	ck_assert_msg(rc == b->rc, "case %d: rc %d (%s), expected %d", _i, rc,
	              err.msg, b->rc);
	if (b->msg[0] == '~')
		ck_assert_msg(strstr(rel(&err), b->msg + 1) != NULL,
		              "case %d: message\n  %s\nlacks\n  %s", _i,
		              rel(&err), b->msg + 1);
	else
		ck_assert_msg(!strcmp(rel(&err), b->msg),
		              "case %d: message\n  %s\nexpected\n  %s", _i,
		              rel(&err), b->msg);
}
END_TEST

START_TEST(config_missing_file)
{
	ms_config *cfg = (ms_config *)1;
	ms_error err;
	char expect[512];

	ck_assert_int_eq(ms_config_load(tmp_path("none.yaml"), &cfg, &err),
	                 MS_ENOENT);
	ck_assert_ptr_null(cfg);
	snprintf(expect, sizeof(expect),
	         "%s: cannot open the configuration: No such file or "
	         "directory",
	         tmp_path("none.yaml"));
	ck_assert_str_eq(err.msg, expect);
	ck_assert_int_eq(ms_config_load(NULL, &cfg, &err), MS_EINVAL);
}
END_TEST

START_TEST(config_bad_csv_rows_name_their_line)
{
	ms_error err;

	write_file("spk.csv", "id,time_ms\n0, 1.5\n\n# comment\n1,x\n");
	ck_assert_int_eq(load_text("duration: 1 ms\npopulations:\n  - {name: "
	                           "s, model: spike_source, size: 2, spikes: "
	                           "{file: spk.csv}}\n",
	                           &err),
	                 MS_EFORMAT);
	ck_assert_msg(strstr(rel(&err), "populations[0].spikes.file: ") &&
	                  strstr(rel(&err), "spk.csv:5: expected 2 "
	                                    "columns \"id,time_ms\""),
	              "%s", err.msg);

	write_file("spk.csv", "0,1\n5,2\n");
	ck_assert_int_eq(load_text("duration: 1 ms\npopulations:\n  - {name: "
	                           "s, model: spike_source, size: 2, spikes: "
	                           "{file: spk.csv}}\n",
	                           &err),
	                 MS_EINVAL);
	ck_assert_msg(strstr(rel(&err), "spk.csv:2: id: expected a unit "
	                                "index in [0, 1], got 5"),
	              "%s", err.msg);

	write_file("conn.csv", "0,1,1.5,1\n1,0,2,0\n");
	ck_assert_int_eq(load_text(POPS "projections:\n  - {pre: a, post: b, "
	                                "connector: {rule: list, file: "
	                                "conn.csv}, synapse: {}}\n",
	                           &err),
	                 MS_EINVAL);
	ck_assert_msg(strstr(rel(&err), "conn.csv:2: delay_ms: expected a "
	                                "delay > 0 ms, got 0"),
	              "%s", err.msg);

	write_file("conn.csv", "0,1\n1,0,2,1\n");
	ck_assert_int_eq(load_text(POPS "projections:\n  - {pre: a, post: b, "
	                                "connector: {rule: list, file: "
	                                "conn.csv}, synapse: {weight: 1 mV, "
	                                "delay: 1 ms}}\n",
	                           &err),
	                 MS_EFORMAT);
	ck_assert_msg(strstr(rel(&err), "conn.csv:2: expected columns"), "%s",
	              err.msg);
}
END_TEST

/*
 * Found by tests/fuzz: a data file that is not lines of text. A line that
 * never ends (/dev/zero) used to grow the line buffer until the memory ran
 * out, and a NUL byte silently cut a row short; both are now refused at the
 * file's line.
 */
START_TEST(config_csv_lines_that_are_not_text)
{
	static const char spk_cfg[] =
	    "duration: 1 ms\npopulations:\n  - {name: s, model: "
	    "spike_source, size: 2, spikes: {file: spk.csv}}\n";
	static const char nul_row[] = "id,time_ms\n0,1\n1,2\0,3\n";
	size_t len = 70000;
	char *long_line = malloc(len + 1);
	ms_error err;
	FILE *f;

	ck_assert_ptr_nonnull(long_line);
	memset(long_line, '1', len);
	long_line[len] = '\0';
	f = fopen(tmp_path("spk.csv"), "w");
	ck_assert_ptr_nonnull(f);
	fputs("id,time_ms\n0,1\n", f);
	fputs(long_line, f);
	ck_assert_int_eq(fclose(f), 0);
	free(long_line);
	ck_assert_int_eq(load_text(spk_cfg, &err), MS_EFORMAT);
	ck_assert_msg(strstr(rel(&err), "cfg.yaml:3:60: populations[0].spikes."
	                                "file: ") &&
	                  strstr(rel(&err), "spk.csv:3: line longer than "
	                                    "65535 bytes; expected 2 columns "
	                                    "\"id,time_ms\""),
	              "%s", err.msg);

	f = fopen(tmp_path("spk.csv"), "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(nul_row, 1, sizeof(nul_row) - 1, f),
	                  sizeof(nul_row) - 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(load_text(spk_cfg, &err), MS_EFORMAT);
	ck_assert_msg(strstr(rel(&err), "spk.csv:3: a NUL byte in the line; "
	                                "expected 2 columns \"id,time_ms\" "
	                                "as text"),
	              "%s", err.msg);

	if (access("/dev/zero", R_OK) != 0)
		return;
	ck_assert_int_eq(load_text(POPS "projections:\n  - {pre: a, post: b, "
	                                "connector: {rule: list, file: "
	                                "/dev/zero}, synapse: {}}\n",
	                           &err),
	                 MS_EFORMAT);
	ck_assert_msg(strstr(rel(&err), "projections[0].connector.file: "
	                                "/dev/zero:1: line longer than 65535 "
	                                "bytes"),
	              "%s", err.msg);
}
END_TEST

/* A config written piece by piece, for the tests that need a large one. */
typedef struct gen {
	char *s;
	size_t used, cap;
} gen;

static void gen_start(gen *g, size_t cap)
{
	g->s = malloc(cap);
	ck_assert_ptr_nonnull(g->s);
	g->s[0] = '\0';
	g->used = 0;
	g->cap = cap;
}

static void gen_add(gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void gen_add(gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g->used += (size_t)vsnprintf(g->s + g->used, g->cap - g->used, fmt, ap);
	va_end(ap);
	ck_assert_uint_lt(g->used, g->cap);
}

/*
 * Found by tests/fuzz: the keys of a plasticity or device mapping (any
 * names) were checked for repeats pair by pair, so that 10^5 keys (1 MB)
 * took minutes. The repeat is still the first one written, whatever the
 * order of the names.
 */
START_TEST(config_long_mapping_repeat)
{
	size_t n = 100000, i;
	ms_error err;
	char expect[128];
	gen g;

	gen_start(&g, 32 * n + 1024);
	gen_add(&g, "%s", PLAST "      rule: stdp_pair\n");
	/* Names in decreasing order, then a repeat of one in the middle. */
	for (i = 0; i < n; i++)
		gen_add(&g, "      k%06zu: 1\n", n - 1 - i);
	gen_add(&g, "      k%06zu: 2\n", n / 2);
	ck_assert_int_eq(load_text(g.s, &err), MS_ECONFIG);
	snprintf(expect, sizeof(expect),
	         "cfg.yaml:%zu:7: projections[0].plasticity.k%06zu: field "
	         "given twice (first on line %zu)",
	         13 + n, n / 2, 13 + (n - 1 - n / 2));
	ck_assert_str_eq(rel(&err), expect);
	free(g.s);
}
END_TEST

/*
 * Found by review while fuzzing: a list of aliases of a long list asked
 * for the product of their lengths (a 300 kB file took 2 GB to load).
 * Aliases may now add at most 10^6 list entries to those the file spells
 * out; here 1200 aliases of a list of 1200 ids ask for 1.44 10^6.
 */
START_TEST(config_alias_bomb)
{
	size_t n = 1200, i;
	char expect[160];
	ms_error err;
	gen g;

	gen_start(&g, 16 * n + 1024);
	gen_add(&g,
	        "duration: 1 ms\npopulations:\n  - {name: a, model: "
	        "lif_delta, size: %zu}\nrecord:\n  state:\n    - &s "
	        "{population: a, variable: V_m, interval: 1 ms, ids: [0",
	        n);
	for (i = 1; i < n; i++)
		gen_add(&g, ",%zu", i);
	gen_add(&g, "]}\n");
	for (i = 0; i < n; i++)
		gen_add(&g, "    - *s\n");
	ck_assert_int_eq(load_text(g.s, &err), MS_ECONFIG);
	snprintf(expect, sizeof(expect),
	         "].ids: expected at most %zu list entries in all (the "
	         "file's size in bytes plus 1000000), got more",
	         g.used + 1000000);
	ck_assert_msg(!strncmp(rel(&err), "cfg.yaml:6:", 11) &&
	                  strstr(rel(&err), "record.state[") &&
	                  strstr(rel(&err), expect),
	              "%s", err.msg);
	free(g.s);
}
END_TEST

/*
 * Found by review while fuzzing: each population name was compared with
 * all earlier ones, and each reference to a population searched them all
 * (10^5 populations and projections: 3 minutes). The repeat of a name is
 * still the first one written, and references still find their
 * population.
 */
START_TEST(config_many_populations)
{
	size_t n = 20000, i, end;
	char expect[160];
	ms_error err;
	gen g;

	gen_start(&g, 64 * n + 1024);
	gen_add(&g, "duration: 1 ms\npopulations:\n");
	/* Names in decreasing order; p010000 comes again at the end. */
	for (i = 0; i < n; i++)
		gen_add(&g, "  - {name: p%06zu, model: lif_delta, size: 1}\n",
		        n - 1 - i);
	gen_add(&g,
	        "projections:\n  - {pre: p000000, post: p%06zu, connector: "
	        "{rule: one_to_one}, synapse: {weight: 1 mV, delay: 1 ms}}\n",
	        n - 1);
	ck_assert_int_eq(load_text(g.s, &err), 0);

	end = g.used;
	gen_add(&g, "  - {pre: p000000, post: q, connector: {rule: "
	            "all_to_all}, synapse: {weight: 1 mV, delay: 1 ms}}\n");
	ck_assert_int_eq(load_text(g.s, &err), MS_ENOENT);
	ck_assert_msg(strstr(rel(&err), "projections[1].post: no population "
	                                "named \"q\"; populations: p019999, "),
	              "%s", err.msg);

	/* In place of the projections, the repeat of a name. */
	g.used = (size_t)(strstr(g.s, "projections:") - g.s);
	ck_assert_uint_lt(g.used, end);
	gen_add(&g, "  - {name: p%06zu, model: lif_exp, size: 1}\n", n / 2);
	ck_assert_int_eq(load_text(g.s, &err), MS_ECONFIG);
	snprintf(expect, sizeof(expect),
	         "cfg.yaml:%zu:12: populations[%zu].name: population "
	         "\"p%06zu\" is already defined on line %zu",
	         n + 3, n, n / 2, 3 + (n - 1 - n / 2));
	ck_assert_str_eq(rel(&err), expect);
	free(g.s);
}
END_TEST

/*
 * Found by review while fuzzing: libyaml's scanner takes time quadratic in
 * the nesting depth (200 000 nested "[" in a 400 kB file: 88 s). Nesting
 * deeper than 64 levels (the root mapping is the first) is refused at the
 * first level too deep, before the document is loaded; 64 levels are
 * still read, and refused for what they are.
 */
START_TEST(config_deep_nesting)
{
	static const char head[] = "duration: 1 ms\npopulations: ";
	char text[256 + 2 * 200];
	ms_error err;
	size_t depth, k, used;

	for (depth = 63; depth <= 200; depth += 137) {
		used = (size_t)snprintf(text, sizeof(text), "%s", head);
		for (k = 0; k < depth; k++)
			text[used++] = '[';
		for (k = 0; k < depth; k++)
			text[used++] = ']';
		text[used++] = '\n';
		text[used] = '\0';
		ck_assert_int_eq(load_text(text, &err), MS_ECONFIG);
		if (depth == 63)
			ck_assert_msg(strstr(rel(&err),
			                     "cfg.yaml:2:15: "
			                     "populations[0]: expected "
			                     "a mapping"),
			              "%s", err.msg);
		else
			ck_assert_str_eq(rel(&err),
			                 "cfg.yaml:2:77: expected lists and "
			                 "mappings nested at most 64 deep, got "
			                 "deeper");
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Accepted configurations                                                  */

START_TEST(config_duration_and_output_defaults)
{
	ms_config_overrides ov = {0};
	ms_config *cfg;

	cfg = load_ok("duration: 1.5 s\npopulations:\n  - {name: a, model: "
	              "lif_delta, size: 1}\n");
	ck_assert_double_eq(ms_config_duration_ms(cfg, NULL), 1500.0);
	ck_assert_str_eq(ms_config_output_path(cfg, NULL), "cfg.h5");
	ov.has_duration = 1;
	ov.duration_ms = 20.0;
	ov.output_path = "x/y.h5";
	ck_assert_double_eq(ms_config_duration_ms(cfg, &ov), 20.0);
	ck_assert_str_eq(ms_config_output_path(cfg, &ov), "x/y.h5");
	ms_config_destroy(cfg);

	cfg = load_ok("name: net1\nduration: 100 us\npopulations:\n  - {name: "
	              "a, model: lif_delta, size: 1}\n");
	ck_assert_double_eq(ms_config_duration_ms(cfg, NULL), 0.1);
	ck_assert_str_eq(ms_config_output_path(cfg, NULL), "net1.h5");
	ms_config_destroy(cfg);

	cfg = load_ok("name: net1\noutput: out/run.h5\nduration: 1 ms\n"
	              "populations:\n  - {name: a, model: lif_delta, size: "
	              "1}\n");
	ck_assert_str_eq(ms_config_output_path(cfg, NULL), "out/run.h5");
	ms_config_destroy(cfg);
}
END_TEST

static ms_net *build_ok(const ms_config *cfg, ms_config_overrides *ov)
{
	ms_net *net = NULL;
	ms_error err;
	int rc;

	ov->output_path = tmp_path("out.h5");
	rc = ms_config_build(cfg, ov, &net, &err);
	ck_assert_msg(rc == 0, "build failed: %s", err.msg);
	ck_assert_ptr_nonnull(net);
	return net;
}

static int pop_index(const ms_net *net, const char *name)
{
	int pop = -1;

	ck_assert_int_eq(ms_net_find_population(net, name, &pop), 0);
	return pop;
}

START_TEST(config_builds_what_it_says)
{
	ms_config_overrides ov = {0};
	ms_config *cfg;
	ms_net *net;
	uint32_t pre[16], post[16];
	double w[16], d[16], v;
	int a, b;

	write_file("conn.csv", "# pre,post,weight_mV,delay_ms\npre,post,w,d\n"
	                       "0, 3, 0.5, 2\n1,2,-0.5,0.25\n");
	cfg = load_ok(
	    "seed: 7\nduration: 10 ms\npopulations:\n"
	    "  - {name: a, model: lif_delta, size: 4, params: {tau_m: 0.02 "
	    "s, V_th: -50 mV, t_ref: 2000 us}}\n"
	    "  - name: b\n    model: lif_exp\n    size: 3\n"
	    "    params: {tau_m: 20 ms, C_m: 0.25 nF, tau_syn_i: 10 ms}\n"
	    "    init: {V_m: -60 mV}\n"
	    "projections:\n"
	    "  - {pre: a, post: a, connector: {rule: all_to_all, "
	    "allow_self: false}, synapse: {weight: 0.25 mV, delay: 0.1 "
	    "ms}}\n"
	    "  - {pre: a, post: b, connector: {rule: list, pairs: [[0, 2], "
	    "[3, 1]]}, synapse: {weight: 100 pA, delay: 1 ms}}\n"
	    "  - {pre: a, post: a, connector: {rule: list, file: conn.csv}, "
	    "synapse: {receptor: inh}}\n"
	    "  - {pre: b, post: b, connector: {rule: fixed_indegree, k: 2}, "
	    "synapse: {weight: -1 nA, delay: 1 ms, receptor: inh}}\n"
	    "record:\n  spikes: [b]\n"
	    "  state: [{population: b, variable: V_m, ids: [0, 2], "
	    "interval: 0.5 ms}]\n");
	unlink(tmp_path("out.h5"));
	net = build_ok(cfg, &ov);
	ck_assert_uint_eq(ms_net_seed(net), 7);
	ck_assert_uint_eq(ms_net_population_count(net), 2);
	a = pop_index(net, "a");
	b = pop_index(net, "b");
	ck_assert_uint_eq(ms_net_population_size(net, a), 4);
	ck_assert_str_eq(ms_net_population_model(net, b), "lif_exp");
	ck_assert_int_eq(ms_pop_get_param(net, a, "tau_m", &v), 0);
	ck_assert_double_eq(v, 20.0);
	ck_assert_int_eq(ms_pop_get_param(net, a, "t_ref", &v), 0);
	ck_assert_double_eq(v, 2.0);
	ck_assert_int_eq(ms_pop_get_param(net, b, "C_m", &v), 0);
	ck_assert_double_eq(v, 250.0);
	ck_assert_int_eq(ms_pop_get_param(net, b, "E_L", &v), 0);
	ck_assert_double_eq(v, -70.0); /* the registry default */

	/* Projections are made by the first run. */
	ck_assert_int_eq(ms_net_run(net, 1.0), 0);
	ck_assert_int_eq(ms_pop_get_state(net, b, 0, "V_m", &v), 0);
	/* From -60 mV towards E_L = -70 mV for 1 ms, no input yet. */
	ck_assert_double_eq_tol(v, -70.0 + 10.0 * exp(-1.0 / 20.0), 1e-9);
	ck_assert_uint_eq(ms_net_projection_count(net), 4);
	ck_assert_uint_eq(ms_net_projection_size(net, 0), 4 * 3);
	ck_assert_uint_eq(ms_net_projection_size(net, 1), 2);
	ck_assert_uint_eq(ms_net_projection_size(net, 2), 2);
	ck_assert_uint_eq(ms_net_projection_size(net, 3), 3 * 2);

	/* 100 pA onto tau_m 20 ms, C_m 250 pF: R dI = 100 * 20 / 250 mV. */
	ck_assert_int_eq(ms_net_projection_get(net, 1, pre, post, w, d), 0);
	ck_assert_uint_eq(pre[0], 0);
	ck_assert_uint_eq(post[0], 2);
	ck_assert_uint_eq(pre[1], 3);
	ck_assert_uint_eq(post[1], 1);
	ck_assert_double_eq_tol(w[0], 8.0, 1e-12);
	ck_assert_double_eq_tol(w[1], 8.0, 1e-12);
	ck_assert_double_eq(d[0], 1.0);

	ck_assert_int_eq(ms_net_projection_get(net, 2, pre, post, w, d), 0);
	ck_assert_uint_eq(pre[0], 0);
	ck_assert_uint_eq(post[0], 3);
	ck_assert_double_eq(w[0], 0.5);
	ck_assert_double_eq(d[0], 2.0);
	ck_assert_uint_eq(pre[1], 1);
	ck_assert_uint_eq(post[1], 2);
	ck_assert_double_eq(w[1], -0.5);
	ck_assert_double_eq(d[1], 0.25);

	/* -1 nA = -1000 pA: -1000 * 20 / 250 mV. */
	ck_assert_int_eq(ms_net_projection_get(net, 3, NULL, NULL, w, NULL), 0);
	for (int k = 0; k < 6; k++)
		ck_assert_double_eq_tol(w[k], -80.0, 1e-12);

	ms_net_destroy(net);
	ms_config_destroy(cfg);
	ck_assert(file_exists(tmp_path("out.h5")));
}
END_TEST

START_TEST(config_seed_override)
{
	ms_config_overrides ov = {0};
	ms_config *cfg;
	ms_net *net;

	cfg = load_ok("seed: 3\nduration: 1 ms\npopulations:\n  - {name: a, "
	              "model: lif_delta, size: 1}\n");
	ov.has_seed = 1;
	ov.seed = UINT64_MAX;
	net = build_ok(cfg, &ov);
	ck_assert_uint_eq(ms_net_seed(net), UINT64_MAX);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
}
END_TEST

struct spike_log {
	int n;
	int pop[8];
	uint32_t id[8];
	double t[8];
};

static void log_spike(int pop, uint32_t id, double t_ms, void *user)
{
	struct spike_log *l = user;

	if (l->n < 8) {
		l->pop[l->n] = pop;
		l->id[l->n] = id;
		l->t[l->n] = t_ms;
	}
	l->n++;
}

/*
 * A spike source fires at 1 ms; after the 1 ms delay a 20 mV jump lifts a
 * lif_delta neuron at rest (-70 mV) over its threshold (-55 mV): it must
 * fire at exactly 2 ms, once.
 */
START_TEST(config_delta_input_fires_on_arrival)
{
	ms_config_overrides ov = {0};
	struct spike_log log = {0};
	ms_config *cfg;
	ms_net *net;
	int n;

	cfg = load_ok("duration: 10 ms\npopulations:\n"
	              "  - {name: src, model: spike_source, size: 1, spikes: "
	              "{ids: [0], times: [1 ms]}}\n"
	              "  - {name: n, model: lif_delta, size: 2, params: {E_L: "
	              "-70 mV, V_th: -55 mV}, init: {V_m: -70 mV}}\n"
	              "projections:\n"
	              "  - {pre: src, post: n, connector: {rule: list, pairs: "
	              "[[0, 1]]}, synapse: {weight: 20 mV, delay: 1 ms}}\n");
	net = build_ok(cfg, &ov);
	n = pop_index(net, "n");
	ms_net_set_spike_callback(net, log_spike, &log);
	ck_assert_int_eq(ms_net_run(net, ms_config_duration_ms(cfg, NULL)), 0);
	ck_assert_int_eq(log.n, 2);
	ck_assert_int_eq(log.pop[0], pop_index(net, "src"));
	ck_assert_double_eq(log.t[0], 1.0);
	ck_assert_int_eq(log.pop[1], n);
	ck_assert_uint_eq(log.id[1], 1);
	ck_assert_double_eq_tol(log.t[1], 2.0, 1e-12);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
}
END_TEST

/*
 * A current weight onto lif_exp equals R dI in mV: 50 pA with tau_m 10 ms,
 * C_m 250 pF is w = 2 mV. The membrane response to one input at t0 is
 *   V(t) = E_L + w tau_s / (tau_s - tau_m) (e^{-s/tau_s} - e^{-s/tau_m}),
 * s = t - t0, checked 3 ms after arrival to 1e-9 mV.
 */
START_TEST(config_current_weight_matches_closed_form)
{
	const double w = 50.0 * 10.0 / 250.0, ts = 2.0, tm = 10.0, s = 3.0;
	ms_config_overrides ov = {0};
	ms_config *cfg;
	ms_net *net;
	double v, expect;

	cfg = load_ok("duration: 10 ms\npopulations:\n"
	              "  - {name: src, model: spike_source, size: 1, spikes: "
	              "{ids: [0], times: [0.5 ms]}}\n"
	              "  - {name: n, model: lif_exp, size: 1, params: {E_L: "
	              "-70 mV, V_th: 0 mV, tau_m: 10 ms, C_m: 250 pF, "
	              "tau_syn_e: 2 ms}, init: {V_m: -70 mV}}\n"
	              "projections:\n"
	              "  - {pre: src, post: n, connector: {rule: all_to_all}, "
	              "synapse: {weight: 50 pA, delay: 1.5 ms}}\n");
	net = build_ok(cfg, &ov);
	ck_assert_int_eq(ms_net_run(net, 2.0 + s), 0);
	ck_assert_int_eq(ms_pop_get_state(net, 1, 0, "V_m", &v), 0);
	expect = -70.0 + w * ts / (ts - tm) * (exp(-s / ts) - exp(-s / tm));
	ck_assert_double_eq_tol(v, expect, 1e-9);
	ck_assert(v > -70.0 + 0.25); /* the input did arrive */
	ms_net_destroy(net);
	ms_config_destroy(cfg);
}
END_TEST

/*
 * preset: sets the preset's parameters before params, whatever the order
 * in the file, so params override it; other parameters keep defaults.
 */
START_TEST(config_izhikevich_preset_then_params)
{
	ms_config_overrides ov = {.no_output = 1};
	ms_config *cfg;
	ms_net *net;
	double v;
	int a, b;

	cfg = load_ok("duration: 1 ms\npopulations:\n"
	              "  - {name: a, model: izhikevich, size: 1, preset: CH}\n"
	              "  - {name: b, model: izhikevich, size: 1, params: {d: "
	              "3 mV, v_peak: 25 mV}, preset: TC}\n");
	net = build_ok(cfg, &ov);
	a = pop_index(net, "a");
	b = pop_index(net, "b");
	ck_assert_int_eq(ms_pop_get_param(net, a, "c", &v), 0);
	ck_assert_double_eq(v, -50.0);
	ck_assert_int_eq(ms_pop_get_param(net, a, "d", &v), 0);
	ck_assert_double_eq(v, 2.0);
	ck_assert_int_eq(ms_pop_get_param(net, b, "b", &v), 0);
	ck_assert_double_eq(v, 0.25);
	ck_assert_int_eq(ms_pop_get_param(net, b, "d", &v), 0);
	ck_assert_double_eq(v, 3.0);
	ck_assert_int_eq(ms_pop_get_param(net, b, "v_peak", &v), 0);
	ck_assert_double_eq(v, 25.0);
	ck_assert_int_eq(ms_pop_get_param(net, b, "I_e", &v), 0);
	ck_assert_double_eq(v, 0.0);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
}
END_TEST

START_TEST(config_unwritable_output)
{
	ms_config_overrides ov = {0};
	ms_config *cfg;
	ms_net *net = (ms_net *)1;
	ms_error err;

	cfg = load_ok("duration: 1 ms\noutput: /nonexistent/dir/out.h5\n"
	              "populations:\n  - {name: a, model: lif_delta, size: "
	              "1}\n");
	ck_assert_int_eq(ms_config_build(cfg, NULL, &net, &err), MS_EIO);
	ck_assert_ptr_null(net);
	/* The engine's message, prefixed with the place of the field. */
	ck_assert_msg(strstr(rel(&err), "cfg.yaml:2:9: output: ") == rel(&err),
	              "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "/nonexistent/dir/out.h5"), "%s",
	              err.msg);
	ck_assert(!file_exists("/nonexistent/dir/out.h5"));

	ov.output_path = tmp_path("no/such/dir.h5");
	ck_assert_int_eq(ms_config_build(cfg, &ov, &net, &err), MS_EIO);
	ck_assert_ptr_null(net);
	ck_assert_msg(strstr(err.msg, "no/such/dir.h5"), "%s", err.msg);
	ms_config_destroy(cfg);
}
END_TEST

/*
 * Pair STDP through a config: a pre spike arrives at 6 ms (sent at 5 ms,
 * delay 1 ms), the teacher fires at 16 ms, so delta_t = 10 ms and the
 * additive rule adds A_plus exp(-10 / 20) to w = 0.5. Under linear_R,
 * 1/G = 1/G_min + w (1/G_max - 1/G_min). Both to 1e-12 (rounding only).
 */
/* "inf <unit>" gives parameters whose range includes infinity (tau_theta:
 * no decay of the adaptive threshold) exactly that value; elsewhere, or
 * without a unit, or with a unit of another dimension, it is refused. */
START_TEST(config_infinite_parameters)
{
	static const struct {
		const char *value;
		int rc;
		const char *msg;
	} cases[] = {
	    {"tau_theta: inf ms", 0, NULL},
	    {"tau_theta: inf s", 0, NULL},
	    {"tau_theta: inf", MS_ECONFIG, "params.tau_theta: expected a time"},
	    {"tau_theta: inf mV", MS_EUNIT, "params.tau_theta: "},
	    {"tau_theta: infinity ms", MS_ECONFIG, "params.tau_theta: "},
	    {"tau_syn_e: inf ms", MS_ECONFIG,
	     "params.tau_syn_e: expected a time"},
	};
	char text[512];

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		ms_config_overrides ov = {0};
		ms_error err;
		double x = 0.0;
		int rc;

		snprintf(text, sizeof(text),
		         "duration: 1 ms\npopulations:\n  - {name: a, model: "
		         "lif_cond, size: 1, params: {%s}}\n",
		         cases[k].value);
		rc = load_text(text, &err);
		ck_assert_msg(rc == cases[k].rc, "%s: rc %d (%s), expected %d",
		              cases[k].value, rc, err.msg, cases[k].rc);
		if (rc) {
			ck_assert_msg(strstr(err.msg, cases[k].msg), "%s: %s",
			              cases[k].value, err.msg);
			continue;
		}
		ms_config *cfg = load_ok(text);
		ms_net *net = build_ok(cfg, &ov);
		ck_assert_int_eq(ms_pop_get_param(net, 0, "tau_theta", &x), 0);
		ck_assert(isinf(x) && x > 0);
		ms_net_destroy(net);
		ms_config_destroy(cfg);
	}
}
END_TEST

START_TEST(config_plastic_pair_closed_form)
{
	ms_config_overrides ov = {0};
	ms_config *cfg;
	ms_net *net;
	double w, G, expect;

	cfg = load_ok(
	    "duration: 50 ms\npopulations:\n"
	    "  - {name: a, model: spike_source, size: 1, spikes: {ids: [0], "
	    "times: [5 ms]}}\n"
	    "  - {name: t, model: spike_source, size: 1, spikes: {ids: [0], "
	    "times: [16 ms]}}\n"
	    "projections:\n"
	    "  - pre: a\n    post: t\n    connector: {rule: one_to_one}\n"
	    "    synapse: {delay: 1 ms}\n"
	    "    plasticity:\n      rule: stdp_pair\n      tau_plus: 20 ms\n"
	    "      A_plus: 0.01\n      weight_dependence: additive\n"
	    "      device: {G_min: 1 nS, G_max: 3 nS, mapping: linear_R, "
	    "w_init: 0.5}\n");
	net = build_ok(cfg, &ov);
	ck_assert_int_eq(ms_proj_is_plastic(net, 0), 1);
	ck_assert_int_eq(ms_net_run(net, ms_config_duration_ms(cfg, NULL)), 0);
	ck_assert_int_eq(ms_proj_get_state(net, 0, &w, &G), 0);
	expect = 0.5 + 0.01 * exp(-10.0 / 20.0);
	ck_assert_double_eq_tol(w, expect, 1e-12);
	ck_assert_double_eq_tol(G, 1.0 / (1.0 + expect * (1.0 / 3.0 - 1.0)),
	                        1e-12);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
}
END_TEST

struct spike_list {
	size_t n;
	int pop[64];
	uint32_t id[64];
	double t[64];
};

static void list_spike(int pop, uint32_t id, double t_ms, void *user)
{
	struct spike_list *l = user;

	if (l->n < 64) {
		l->pop[l->n] = pop;
		l->id[l->n] = id;
		l->t[l->n] = t_ms;
	}
	l->n++;
}

/*
 * The stdp_curve protocol (docs/config.md#stdp_curve): 5 points from -10
 * to 10 ms, 2 pairings at 1 Hz, delay 1 ms. The sources get 5 units; the
 * default start is max(d, -from) + 1 ms = 11 ms (no waveforms); each
 * post spike comes exactly delta_t_k after the arrival of the pre spike
 * of its pairing (== on doubles: the arrival is computed as the engine
 * computes it); the run ends 1 ms after the last arrival or spike
 * (1011 + 10 + 1 + 1 ms).
 */
START_TEST(config_stdp_protocol)
{
	static const double dt[5] = {-10, -5, 0, 5, 10};
	ms_config_overrides ov = {0};
	struct spike_list l = {0};
	ms_stdp_protocol pr;
	ms_config *cfg;
	ms_net *net;
	size_t k, m, i;

	unlink(tmp_path("out.h5"));
	cfg = load_ok(STDP);
	ck_assert_int_eq(ms_config_stdp_protocol(cfg, &pr), 0);
	ck_assert_int_eq(pr.pre, 0);
	ck_assert_int_eq(pr.post, 1);
	ck_assert_int_eq(pr.proj, 0);
	ck_assert_uint_eq(pr.n_points, 5);
	for (k = 0; k < 5; k++)
		ck_assert_double_eq(pr.delta_t_ms[k], dt[k]);
	ck_assert_uint_eq(pr.pairings, 2);
	ck_assert_double_eq(pr.frequency_Hz, 1.0);
	ck_assert_double_eq(pr.start_ms, 11.0);
	ck_assert_double_eq(pr.end_ms, 1023.0);
	ck_assert_double_eq(ms_config_duration_ms(cfg, NULL), 1023.0);
	ck_assert_int_eq(pr.has_w_init, 0);
	ck_assert_str_eq(pr.rule, "stdp_pair");
	ck_assert_str_eq(pr.device, "ideal");

	ov.no_output = 1;
	net = build_ok(cfg, &ov);
	ck_assert_uint_eq(ms_net_population_size(net, 0), 5);
	ck_assert_uint_eq(ms_net_population_size(net, 1), 5);
	ck_assert_uint_eq(ms_net_population_size(net, 2), 1);
	ms_net_set_spike_callback(net, list_spike, &l);
	ck_assert_int_eq(ms_net_run(net, pr.end_ms), 0);
	ck_assert_uint_eq(l.n, 2 * 2 * 5);
	for (i = 0; i < l.n; i++) {
		double tm;

		k = l.id[i];
		m = l.t[i] > 500 ? 1 : 0;
		tm = pr.start_ms + 1000.0 * (double)m;
		if (l.pop[i] == 0)
			ck_assert_double_eq(l.t[i], tm - 1.0);
		else
			ck_assert_double_eq(l.t[i], ((tm - 1.0) + 1.0) + dt[k]);
	}
	ck_assert_int_eq(ms_net_projection_size(net, 0), 5);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
	ck_assert(!file_exists(tmp_path("out.h5")));
}
END_TEST

/*
 * Waveforms move the default start and end: with T_plus = 5 ms before and
 * T_minus = 75 ms after each spike, start = max(d, -from) + 5 + 1 ms and
 * the end adds the whole support, 80 ms, to the last spike + d + 1 ms.
 * w_init of the protocol sets every device's initial state.
 */
START_TEST(config_stdp_waveforms_and_w_init)
{
	ms_config_overrides ov = {0};
	ms_stdp_protocol pr;
	ms_config *cfg;
	ms_net *net;
	double w[5], G[5];
	size_t k;

	cfg = load_ok(
	    "populations:\n"
	    "  - {name: a, model: spike_source, size: 5, waveform: &zam "
	    "{shape: exp, A_plus: 1 V, tau_plus: 3 ms, T_plus: 5 ms, A_minus: "
	    "0.25 V, tau_minus: 40 ms, T_minus: 75 ms}}\n"
	    "  - {name: t, model: spike_source, size: 1, waveform: *zam}\n"
	    "projections:\n"
	    "  - {pre: a, post: t, connector: {rule: one_to_one}, synapse: "
	    "{delay: 1 ms}, plasticity: {rule: stdp_pair, device: {G_min: 2 "
	    "nS, G_max: 4 nS}}}\n"
	    "stdp_curve:\n  pre: a\n  post: t\n  w_init: 0.25\n" STDP_REST);
	ck_assert_int_eq(ms_config_stdp_protocol(cfg, &pr), 0);
	ck_assert_double_eq(pr.start_ms, 10.0 + 5.0 + 1.0);
	ck_assert_double_eq(pr.end_ms,
	                    (16.0 + 1000.0 + 10.0) + 80.0 + 1.0 + 1.0);
	ck_assert_int_eq(pr.has_w_init, 1);
	ck_assert_double_eq(pr.w_init, 0.25);
	ov.no_output = 1;
	net = build_ok(cfg, &ov);
	ck_assert_int_eq(ms_net_build(net), 0);
	ck_assert_int_eq(ms_proj_get_state(net, 0, w, G), 0);
	for (k = 0; k < 5; k++) {
		ck_assert_double_eq(w[k], 0.25);
		ck_assert_double_eq_tol(G[k], 2.0 + 0.25 * 2.0, 1e-12);
	}
	ms_net_destroy(net);
	ms_config_destroy(cfg);

	cfg = load_ok(POPS);
	ck_assert_int_eq(ms_config_stdp_protocol(cfg, &pr), MS_ENOENT);
	ms_config_destroy(cfg);
}
END_TEST

/* A tabulated waveform and every setting kind reach the engine: the
 * network builds and runs. */
START_TEST(config_plastic_settings_build)
{
	ms_config_overrides ov = {0};
	ms_config *cfg;
	ms_net *net;

	cfg = load_ok(
	    "duration: 20 ms\npopulations:\n"
	    "  - {name: a, model: spike_source, size: 2, spikes: {ids: [0, 1], "
	    "times: [1 ms, 2 ms]}, waveform: {shape: table, points: [[-5 ms, 1 "
	    "V], [0 ms, 1 V], [10 ms, -0.2 V], [20 ms, 0 V]]}}\n"
	    "  - {name: b, model: lif_delta, size: 2, waveform: {shape: "
	    "rect_ramp, A_plus: 0.8 V, T_plus: 2 ms, A_minus: 0.1 V, T_minus: "
	    "30 ms}}\n"
	    "projections:\n"
	    "  - pre: a\n    post: b\n    connector: {rule: all_to_all}\n"
	    "    synapse: {weight: 1 mV, delay: 1 ms}\n"
	    "    plasticity:\n      rule: stdp_triplet\n      pairing: all\n"
	    "      tau_x: 100 ms\n"
	    "      device: {model: exp_threshold, I0: 5 mHz, V_th: 1 V, V0: "
	    "142.857 mV, window: joglekar, d2d_sigma: 0.1, d2d_dist: "
	    "lognormal, G_min: 1 nS, G_max: 10 nS, mapping: linear_R}\n");
	net = build_ok(cfg, &ov);
	ck_assert_int_eq(ms_net_run(net, 20.0), 0);
	ck_assert_uint_eq(ms_net_projection_size(net, 0), 4);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
}
END_TEST

/* The shipped examples load and build with the sizes the papers give. */
START_TEST(config_examples_build)
{
	static const char *const names[] = {"brette_bench4.yaml", "cuba.yaml"};
	const char *root = getenv("MS_SOURCE_ROOT");
	ms_config_overrides ov = {0};
	char path[1024];
	ms_config *cfg;
	ms_net *net;
	ms_error err;

	ck_assert_ptr_nonnull(root);
	snprintf(path, sizeof(path), "%s/examples/%s", root, names[_i]);
	ck_assert_msg(ms_config_load(path, &cfg, &err) == 0, "%s", err.msg);
	net = build_ok(cfg, &ov);
	ck_assert_uint_eq(ms_net_population_size(net, pop_index(net, "exc")),
	                  3200);
	ck_assert_uint_eq(ms_net_population_size(net, pop_index(net, "inh")),
	                  800);
	ck_assert_double_eq(ms_config_duration_ms(cfg, NULL),
	                    _i == 0 ? 5000.0 : 1000.0);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
}
END_TEST

/* The STDP examples load, give the protocol their comments describe
 * (201 points from -100 ms, in steps of 1 ms), and build. */
START_TEST(config_stdp_examples_build)
{
	static const char *const names[] = {"stdp_zamarreno2011.yaml",
	                                    "stdp_sinh.yaml", "stdp_pair.yaml"};
	static const size_t pairings[] = {60, 60, 20};
	const char *root = getenv("MS_SOURCE_ROOT");
	ms_config_overrides ov = {0};
	ms_stdp_protocol pr;
	char path[1024];
	ms_config *cfg;
	ms_net *net;
	ms_error err;
	size_t k;

	ck_assert_ptr_nonnull(root);
	snprintf(path, sizeof(path), "%s/examples/%s", root, names[_i]);
	ck_assert_msg(ms_config_load(path, &cfg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ms_config_stdp_protocol(cfg, &pr), 0);
	ck_assert_uint_eq(pr.n_points, 201);
	for (k = 0; k < pr.n_points; k++)
		ck_assert_double_eq(pr.delta_t_ms[k], -100.0 + (double)k);
	ck_assert_uint_eq(pr.pairings, pairings[_i]);
	ck_assert_double_eq(pr.frequency_Hz, 1.0);
	ck_assert_int_eq(pr.has_w_init, 1);
	ck_assert_double_eq(pr.w_init, 0.5);
	ov.no_output = 1;
	net = build_ok(cfg, &ov);
	ck_assert_int_eq(ms_net_build(net), 0);
	ck_assert_uint_eq(ms_net_projection_size(net, pr.proj), 201);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *bad_tc = tcase_create("bad_input");
	TCase *good_tc = tcase_create("good_input");

	tcase_add_unchecked_fixture(bad_tc, make_tmpdir, remove_tmpdir);
	tcase_add_loop_test(bad_tc, config_rejects_bad_input, 0,
	                    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(bad_tc, config_missing_file);
	tcase_add_test(bad_tc, config_bad_csv_rows_name_their_line);
	tcase_add_test(bad_tc, config_csv_lines_that_are_not_text);
	tcase_add_test(bad_tc, config_long_mapping_repeat);
	tcase_add_test(bad_tc, config_alias_bomb);
	tcase_add_test(bad_tc, config_many_populations);
	tcase_add_test(bad_tc, config_deep_nesting);
	tcase_add_test(bad_tc, config_unwritable_output);
	suite_add_tcase(s, bad_tc);

	tcase_add_unchecked_fixture(good_tc, make_tmpdir, remove_tmpdir);
	tcase_add_test(good_tc, config_duration_and_output_defaults);
	tcase_add_test(good_tc, config_builds_what_it_says);
	tcase_add_test(good_tc, config_seed_override);
	tcase_add_test(good_tc, config_delta_input_fires_on_arrival);
	tcase_add_test(good_tc, config_current_weight_matches_closed_form);
	tcase_add_test(good_tc, config_izhikevich_preset_then_params);
	tcase_add_test(good_tc, config_infinite_parameters);
	tcase_add_loop_test(good_tc, config_examples_build, 0, 2);
	tcase_add_test(good_tc, config_plastic_pair_closed_form);
	tcase_add_test(good_tc, config_stdp_protocol);
	tcase_add_test(good_tc, config_stdp_waveforms_and_w_init);
	tcase_add_test(good_tc, config_plastic_settings_build);
	tcase_add_loop_test(good_tc, config_stdp_examples_build, 0, 3);
	suite_add_tcase(s, good_tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * ms_bench — the benchmark networks of bench/brian2_bench.py, built through
 * the public C API and timed here, one result line per run:
 *
 *   ms_bench cuba|bench4|coba|cobahh|hh1 [--duration-s S] [--seed N]
 *            [--delay-ms D] [--rtol R] [--reference FILE.csv]
 *            [-o FILE.h5 | --no-record]
 *
 *   bench=cuba sim=memspike bio_s=1 wall_s=0.123 total_s=0.150
 *   spikes=22463 rate_hz=5.6 rate_exc_hz=5.6 rate_inh_hz=5.7
 *   syn_events=1797040 record=1 delay_ms=0.1 seed=1        (one line)
 *
 * wall_s is ms_net_stats().wall_s (time inside ms_net_run, which includes
 * building the network on the first call); total_s adds creating the
 * network and closing the output file. Spikes of exc and inh are recorded
 * to FILE.h5 (default ms_bench.h5) unless --no-record; with --no-record
 * nothing is written at all, which is what the recording-overhead bench
 * compares against.
 *
 * Networks (Brette et al. 2007, J Comput Neurosci 23:349, benchmarks 1 to
 * 4): 3200 exc + 800 inh neurons, every ordered pair (self included)
 * connected with p 0.02.
 *   cuba:   LIF (values of Brian2's CUBA example), tau_m 20 ms, E_L -49
 *           mV, V_th -50 mV, V_reset -60 mV, t_ref 5 ms, V(0) uniform in
 *           [-60, -50) mV; lif_exp, tau_syn_e 5 ms, tau_syn_i 10 ms,
 *           weights +1.62 mV (exc) and -9 mV (inh) added to the synaptic
 *           variables.
 *   bench4: the same LIF with lif_delta, jumps of +0.25 mV and -2.25 mV;
 *           for the first 50 ms each neuron also gets its own 100 Hz
 *           Poisson train of +10 mV.
 *   coba:   lif_cond with its defaults (benchmark 1: C_m 200 pF, g_L 10
 *           nS, E_L -60, V_th -50, V_reset -60 mV, t_ref 5 ms, E_e 0, E_i
 *           -80 mV, tau 5 and 10 ms), conductance jumps 6 nS and 67 nS;
 *           initial state of examples/coba.yaml: V uniform in [-74, -56)
 *           mV, g_e in [14, 66) nS, g_i in [0, 400) nS.
 *   cobahh: hh_traub with its defaults (benchmark 3, Brian2's COBAHH
 *           example), the same jumps and initial V, g_e, g_i, gates at 0
 *           as in Brian2's example (examples/cobahh.yaml).
 * memspike needs a delay > 0; the default 0.1 ms is what Brian2's
 * "no delay" amounts to at dt = 0.1 ms (delivery in the next step).
 *
 *   hh1:    one hh neuron (Hodgkin-Huxley 1952, modern convention) from
 *           rest under 10 uA/cm^2 (1000 pA on the default patch), at
 *           rtol = atol = R (--rtol, default 1e-6). Its line adds
 *           spike_err_ms, the largest |spike time - reference| over the
 *           spikes of --reference (default
 *           $MS_SOURCE_ROOT/../shared/reference/hh_I10_spikes.csv, else
 *           ../shared/reference/hh_I10_spikes.csv), and ref_spikes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memspike/memspike.h"

#define N_EXC      3200
#define N_INH      800
#define MAX_REF    256
#define UA_PER_CM2 100.0 /* pA per uA/cm^2 on hh's 1e-4 cm^2 patch */

static const char *const benches[] = {"cuba", "bench4", "coba", "cobahh",
                                      "hh1"};

typedef struct bench_opts {
	const char *model; /* one of benches[] */
	double duration_s;
	uint64_t seed;
	double delay_ms;
	double rtol;           /* hh1: rtol = atol of the integrator */
	const char *reference; /* hh1: reference spike times, or NULL */
	const char *out;       /* NULL: no recording */
} bench_opts;

/* hh1: the first spike times of the neuron. */
typedef struct spike_log {
	size_t n;
	double t[MAX_REF];
} spike_log;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void usage(FILE *f)
{
	fputs("usage: ms_bench cuba|bench4|coba|cobahh|hh1 [--duration-s S] "
	      "[--seed N]\n"
	      "                [--delay-ms D] [--rtol R] [--reference "
	      "FILE.csv]\n"
	      "                [-o FILE.h5 | --no-record]\n",
	      f);
}

static int is_bench(const char *a)
{
	for (size_t k = 0; k < sizeof(benches) / sizeof(benches[0]); k++)
		if (!strcmp(a, benches[k]))
			return 1;
	return 0;
}

/* Parse a positive finite double; 0 on success. */
static int parse_pos(const char *flag, const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out > 0) || *out > 1e9) {
		fprintf(stderr,
		        "ms_bench: %s: expected a positive number, "
		        "got '%s'\n",
		        flag, s);
		return -1;
	}
	return 0;
}

/* Fill o from argv; returns 0, or 1 after printing why the command line is
 * wrong (or the help, with *help set). */
static int parse_args(int argc, char **argv, bench_opts *o, int *help)
{
	int i;

	*o = (bench_opts){NULL, 1.0, 1, 0.1, 1e-6, NULL, "ms_bench.h5"};
	*help = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = 1;
			return 1;
		} else if (!strcmp(a, "--no-record")) {
			o->out = NULL;
		} else if (is_bench(a)) {
			o->model = a;
		} else if (!v) {
			fprintf(stderr,
			        "ms_bench: unknown argument or missing "
			        "value: '%s'\n",
			        a);
			return 1;
		} else if (!strcmp(a, "-o")) {
			o->out = argv[++i];
		} else if (!strcmp(a, "--duration-s")) {
			if (parse_pos(a, argv[++i], &o->duration_s))
				return 1;
		} else if (!strcmp(a, "--delay-ms")) {
			if (parse_pos(a, argv[++i], &o->delay_ms))
				return 1;
		} else if (!strcmp(a, "--rtol")) {
			if (parse_pos(a, argv[++i], &o->rtol))
				return 1;
		} else if (!strcmp(a, "--reference")) {
			o->reference = argv[++i];
		} else if (!strcmp(a, "--seed")) {
			char *end;

			o->seed = strtoull(argv[++i], &end, 10);
			if (*end || end == argv[i]) {
				fprintf(stderr,
				        "ms_bench: --seed: expected an "
				        "unsigned integer, got '%s'\n",
				        argv[i]);
				return 1;
			}
		} else {
			fprintf(stderr, "ms_bench: unknown option '%s'\n", a);
			return 1;
		}
	}
	if (!o->model) {
		fputs("ms_bench: which benchmark? cuba, bench4, coba, cobahh "
		      "or hh1\n",
		      stderr);
		return 1;
	}
	return 0;
}

/* Set the shared LIF parameters and the random initial potential on pop. */
static int setup_lif(ms_net *net, int pop, int exp_syn)
{
	static const struct {
		const char *name;
		double value;
	} par[] = {
	    {"tau_m", 20.0},    {"E_L", -49.0},      {"V_th", -50.0},
	    {"V_reset", -60.0}, {"t_ref", 5.0},      {"I_e", 0.0},
	    {"tau_syn_e", 5.0}, {"tau_syn_i", 10.0},
	};
	size_t n = exp_syn ? 8 : 6;
	size_t k;
	int rc;

	for (k = 0; k < n; k++) {
		rc = ms_pop_set_param(net, pop, par[k].name, par[k].value);
		if (rc)
			return rc;
	}
	return ms_pop_init_uniform(net, pop, "V_m", -60.0, -50.0);
}

/* One fixed-probability projection with p = 0.02, self-connections allowed
 * (as in Brian2's connect(p=...)). */
static int connect_p(ms_net *net, int pre, int post, double w, double d)
{
	ms_conn_spec c = {
	    .rule = MS_CONN_FIXED_PROB, .p = 0.02, .allow_self = 1};
	ms_syn_spec s = {
	    .weight = w, .delay_ms = d, .receptor = MS_RECEPTOR_AUTO};

	return ms_net_connect(net, pre, post, &c, &s, NULL);
}

/* The 50 ms, 100 Hz, +10 mV Poisson kick of benchmark 4 onto pop (one
 * generator per neuron). */
static int add_kick(ms_net *net, const char *name, int pop, size_t n, double d)
{
	static const double t_ms[] = {0.0, 50.0};
	static const double rate_Hz[] = {100.0, 0.0};
	ms_conn_spec c = {.rule = MS_CONN_ONE_TO_ONE};
	ms_syn_spec s = {
	    .weight = 10.0, .delay_ms = d, .receptor = MS_RECEPTOR_EXC};
	int gen, rc;

	rc = ms_net_add_population(net, name, "poisson", n, &gen);
	if (rc)
		return rc;
	rc = ms_poisson_set_rate_profile(net, gen, t_ms, rate_Hz, 2);
	if (rc)
		return rc;
	return ms_net_connect(net, gen, pop, &c, &s, NULL);
}

/* Set the initial state of the conductance-based networks on pop (that of
 * examples/coba.yaml and cobahh.yaml); hh_traub's gates start at 0, as in
 * Brian2's COBAHH example. */
static int init_cond(ms_net *net, int pop, int hh)
{
	static const char *const gates[] = {"m", "h", "n"};
	int rc;

	if ((rc = ms_pop_init_uniform(net, pop, "V_m", -74.0, -56.0)) ||
	    (rc = ms_pop_init_uniform(net, pop, "g_e", 14.0, 66.0)) ||
	    (rc = ms_pop_init_uniform(net, pop, "g_i", 0.0, 400.0)))
		return rc;
	for (int k = 0; hh && k < 3; k++)
		if ((rc = ms_pop_init_value(net, pop, gates[k], 0.0)))
			return rc;
	return 0;
}

/* COBA or COBAHH into net: model defaults, jumps of 6 nS (exc) and 67 nS
 * (inh). */
static int build_cond(ms_net *net, const bench_opts *o, int *exc, int *inh)
{
	int hh = !strcmp(o->model, "cobahh");
	const char *model = hh ? "hh_traub" : "lif_cond";
	int rc;

	if ((rc = ms_net_add_population(net, "exc", model, N_EXC, exc)) ||
	    (rc = ms_net_add_population(net, "inh", model, N_INH, inh)) ||
	    (rc = init_cond(net, *exc, hh)) ||
	    (rc = init_cond(net, *inh, hh)) ||
	    (rc = connect_p(net, *exc, *exc, 6.0, o->delay_ms)) ||
	    (rc = connect_p(net, *exc, *inh, 6.0, o->delay_ms)) ||
	    (rc = connect_p(net, *inh, *exc, -67.0, o->delay_ms)) ||
	    (rc = connect_p(net, *inh, *inh, -67.0, o->delay_ms)))
		return rc;
	return 0;
}

/* Build the network of o into net (populations exc, inh). */
static int build(ms_net *net, const bench_opts *o, int *exc, int *inh)
{
	int cuba = !strcmp(o->model, "cuba");
	const char *model = cuba ? "lif_exp" : "lif_delta";
	double we = cuba ? 1.62 : 0.25, wi = cuba ? -9.0 : -2.25;
	int rc;

	if (!strcmp(o->model, "coba") || !strcmp(o->model, "cobahh")) {
		if ((rc = build_cond(net, o, exc, inh)))
			return rc;
		goto record;
	}
	if ((rc = ms_net_add_population(net, "exc", model, N_EXC, exc)) ||
	    (rc = ms_net_add_population(net, "inh", model, N_INH, inh)) ||
	    (rc = setup_lif(net, *exc, cuba)) ||
	    (rc = setup_lif(net, *inh, cuba)) ||
	    (rc = connect_p(net, *exc, *exc, we, o->delay_ms)) ||
	    (rc = connect_p(net, *exc, *inh, we, o->delay_ms)) ||
	    (rc = connect_p(net, *inh, *exc, wi, o->delay_ms)) ||
	    (rc = connect_p(net, *inh, *inh, wi, o->delay_ms)))
		return rc;
	if (!cuba &&
	    ((rc = add_kick(net, "kick_exc", *exc, N_EXC, o->delay_ms)) ||
	     (rc = add_kick(net, "kick_inh", *inh, N_INH, o->delay_ms))))
		return rc;
record:
	if (!o->out)
		return 0;
	if ((rc = ms_net_record_spikes(net, *exc)) ||
	    (rc = ms_net_record_spikes(net, *inh)))
		return rc;
	return ms_net_open_output(net, o->out, NULL);
}

static void on_spike(int pop, uint32_t id, double t, void *user)
{
	spike_log *l = user;

	(void)pop;
	(void)id;
	if (l->n < MAX_REF)
		l->t[l->n++] = t;
}

/* Reference spike times: the first number of each line that has one
 * (header and comment lines are skipped). Returns how many, 0 if the file
 * cannot be read. */
static size_t read_reference(const char *path, double *t, size_t max)
{
	char line[512];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *end;
		double v = strtod(line, &end);
		if (end != line && line[0] != '#')
			t[n++] = v;
	}
	fclose(f);
	return n;
}

/* Largest |t - ref| over the reference's spikes (NAN if none). */
static double spike_error(const spike_log *l, const bench_opts *o,
                          size_t *n_ref)
{
	static double ref[MAX_REF];
	char buf[4096];
	const char *path = o->reference, *root = getenv("MS_SOURCE_ROOT");
	double worst = 0.0;

	if (!path) {
		snprintf(buf, sizeof(buf),
		         "%s/../shared/reference/"
		         "hh_I10_spikes.csv",
		         root ? root : ".");
		path = buf;
	}
	*n_ref = read_reference(path, ref, MAX_REF);
	if (*n_ref == 0)
		return NAN;
	for (size_t k = 0; k < *n_ref; k++)
		worst =
		    k < l->n ? fmax(worst, fabs(l->t[k] - ref[k])) : INFINITY;
	return worst;
}

/* hh1: one HH neuron under 10 uA/cm^2 from rest. */
static int run_hh1(const bench_opts *o)
{
	static spike_log log;
	ms_net_opts nopts = {.seed = o->seed};
	ms_net *net = NULL;
	ms_stats st;
	double t0 = now_s(), total, err;
	uint64_t n;
	size_t n_ref;
	int p, rc;

	if ((rc = ms_net_create(&nopts, &net)) ||
	    (rc = ms_net_add_population(net, "hh", "hh", 1, &p)) ||
	    (rc = ms_pop_set_param(net, p, "rtol", o->rtol)) ||
	    (rc = ms_pop_set_param(net, p, "atol", o->rtol)) ||
	    (rc = ms_pop_set_param(net, p, "I_e", 10.0 * UA_PER_CM2)))
		goto fail;
	if (o->out && ((rc = ms_net_record_spikes(net, p)) ||
	               (rc = ms_net_open_output(net, o->out, NULL))))
		goto fail;
	ms_net_set_spike_callback(net, on_spike, &log);
	if ((rc = ms_net_run(net, o->duration_s * 1000.0)))
		goto fail;
	ms_net_stats(net, &st);
	n = ms_net_population_spikes(net, p);
	if ((rc = ms_net_close_output(net)))
		goto fail;
	ms_net_destroy(net);
	total = now_s() - t0;
	err = spike_error(&log, o, &n_ref);
	printf("bench=hh1 sim=memspike bio_s=%g wall_s=%.4f total_s=%.4f "
	       "spikes=%llu rate_hz=%.3f spike_err_ms=%.3g ref_spikes=%zu "
	       "rtol=%g record=%d\n",
	       o->duration_s, st.wall_s, total, (unsigned long long)n,
	       n / o->duration_s, err, n_ref, o->rtol, o->out != NULL);
	return 0;

fail:
	fprintf(stderr, "ms_bench: %s: %s\n", ms_strerror(rc),
	        net ? ms_net_errmsg(net) : "");
	ms_net_destroy(net);
	return 1;
}

int main(int argc, char **argv)
{
	bench_opts o;
	ms_net_opts nopts;
	ms_net *net = NULL;
	ms_stats st;
	double t0, total;
	uint64_t n_exc, n_inh;
	int exc, inh, rc, help;

	if (parse_args(argc, argv, &o, &help)) {
		usage(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	if (!strcmp(o.model, "hh1"))
		return run_hh1(&o);
	t0 = now_s();
	nopts.seed = o.seed;
	rc = ms_net_create(&nopts, &net);
	if (rc)
		goto fail;
	rc = build(net, &o, &exc, &inh);
	if (rc)
		goto fail;
	rc = ms_net_run(net, o.duration_s * 1000.0);
	if (rc)
		goto fail;
	ms_net_stats(net, &st);
	n_exc = ms_net_population_spikes(net, exc);
	n_inh = ms_net_population_spikes(net, inh);
	rc = ms_net_close_output(net);
	if (rc)
		goto fail;
	ms_net_destroy(net);
	total = now_s() - t0;

	printf("bench=%s sim=memspike bio_s=%g wall_s=%.3f total_s=%.3f "
	       "spikes=%llu rate_hz=%.3f rate_exc_hz=%.3f rate_inh_hz=%.3f "
	       "syn_events=%llu record=%d delay_ms=%g seed=%llu\n",
	       o.model, o.duration_s, st.wall_s, total,
	       (unsigned long long)(n_exc + n_inh),
	       (n_exc + n_inh) / ((N_EXC + N_INH) * o.duration_s),
	       n_exc / (N_EXC * o.duration_s), n_inh / (N_INH * o.duration_s),
	       (unsigned long long)st.syn_events, o.out != NULL, o.delay_ms,
	       (unsigned long long)o.seed);
	return 0;

fail:
	fprintf(stderr, "ms_bench: %s: %s\n", ms_strerror(rc),
	        net ? ms_net_errmsg(net) : "");
	ms_net_destroy(net);
	return 1;
}

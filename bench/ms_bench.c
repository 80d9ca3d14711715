/*
 * ms_bench — the two benchmark networks of bench/brian2_bench.py, built
 * through the public C API and timed here, one result line per run:
 *
 *   ms_bench cuba|bench4 [--duration-s S] [--seed N] [--delay-ms D]
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
 * Network (Brette et al. 2007, J Comput Neurosci 23:349, benchmarks 2 and
 * 4; values of Brian2's CUBA example): 3200 exc + 800 inh LIF, tau_m 20 ms,
 * E_L -49 mV, V_th -50 mV, V_reset -60 mV, t_ref 5 ms, V(0) uniform in
 * [-60, -50) mV, every ordered pair (self included) connected with p 0.02.
 *   cuba:   lif_exp, tau_syn_e 5 ms, tau_syn_i 10 ms, weights +1.62 mV
 *           (exc) and -9 mV (inh) added to the synaptic variables.
 *   bench4: lif_delta, jumps of +0.25 mV and -2.25 mV; for the first 50 ms
 *           each neuron also gets its own 100 Hz Poisson train of +10 mV.
 * memspike needs a delay > 0; the default 0.1 ms is what Brian2's
 * "no delay" amounts to at dt = 0.1 ms (delivery in the next step).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memspike/memspike.h"

#define N_EXC 3200
#define N_INH 800

typedef struct bench_opts {
	const char *model; /* "cuba" or "bench4" */
	double duration_s;
	uint64_t seed;
	double delay_ms;
	const char *out; /* NULL: no recording */
} bench_opts;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void usage(FILE *f)
{
	fputs("usage: ms_bench cuba|bench4 [--duration-s S] [--seed N] "
	      "[--delay-ms D] [-o FILE.h5 | --no-record]\n",
	      f);
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

	*o = (bench_opts){NULL, 1.0, 1, 0.1, "ms_bench.h5"};
	*help = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = 1;
			return 1;
		} else if (!strcmp(a, "--no-record")) {
			o->out = NULL;
		} else if (!strcmp(a, "cuba") || !strcmp(a, "bench4")) {
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
		fputs("ms_bench: which network? cuba or bench4\n", stderr);
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

/* Build the network of o into net (populations exc, inh). */
static int build(ms_net *net, const bench_opts *o, int *exc, int *inh)
{
	int cuba = !strcmp(o->model, "cuba");
	const char *model = cuba ? "lif_exp" : "lif_delta";
	double we = cuba ? 1.62 : 0.25, wi = cuba ? -9.0 : -2.25;
	int rc;

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
	if (!o->out)
		return 0;
	if ((rc = ms_net_record_spikes(net, *exc)) ||
	    (rc = ms_net_record_spikes(net, *inh)))
		return rc;
	return ms_net_open_output(net, o->out, NULL);
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

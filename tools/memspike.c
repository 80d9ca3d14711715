/*
 * memspike — the command-line program (docs/cli.md).
 *
 * Verbs are rows of one table; each verb parses its own arguments and
 * returns the process exit status. Exit codes are part of the interface:
 * 0 ok, 1 runtime or I/O error, 2 usage or configuration error, 128 + signal
 * when a run was interrupted (the output file is still closed properly).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memspike/memspike.h"
#include "engine/units.h"

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
};

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
	const char *summary;
	const char *help; /* options and details, after the synopsis */
};

static int verb_run(int argc, char **argv);
static int verb_stdp_curve(int argc, char **argv);
static int verb_info(int argc, char **argv);
static int verb_help(int argc, char **argv);

static const struct verb verbs[] = {
    {"run", verb_run, "run NET.yaml [-o OUT.h5] [--seed N] [--duration T]",
     "simulate a network description and write an HDF5 file",
     "  -o, --output FILE   write FILE instead of the config's output\n"
     "  --seed N            master seed (0 .. 2^64-1) instead of the "
     "config's\n"
     "  --duration T        simulated time with its unit, e.g. 2s, "
     "\"500 ms\"\n"
     "  -h, --help          show this help\n"
     "\n"
     "A progress line is shown on stderr when it is a terminal and the run\n"
     "takes more than a second. Ctrl-C (SIGINT) or SIGTERM stops the run\n"
     "at the next safe point and closes a valid output file marked as\n"
     "interrupted (exit 130 or 143); a second Ctrl-C ends the program at\n"
     "once. A summary is printed on stdout at the end.\n"
     "The config format is described in docs/config.md.\n"},
    {"stdp-curve", verb_stdp_curve,
     "stdp-curve CURVE.yaml [-o CURVE.h5] [--seed N]",
     "measure an STDP window with the config's pairing protocol",
     "  -o, --output FILE   write FILE instead of the config's output\n"
     "  --seed N            master seed (0 .. 2^64-1) instead of the "
     "config's\n"
     "  -h, --help          show this help\n"
     "\n"
     "Runs the stdp_curve protocol of the config (docs/config.md) through\n"
     "the engine and writes, per delta_t point, the change of the device\n"
     "state and conductance after all pairings, with exponentials fitted\n"
     "to each side of the window (docs/cli.md). The file is written only\n"
     "when the run completes. Plot it with tools/plot_stdp.py.\n"},
    {"info", verb_info, "info OUT.h5",
     "summarize an output file: populations, spikes, rates, duration",
     "  -h, --help          show this help\n"},
    {"help", verb_help, "help [VERB]", "show help for memspike or a verb", ""},
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static const struct verb *find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < N_VERBS; i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: memspike [--help | --version] VERB [ARGS]\n\n"
	           "Event-driven spiking neural network engine.\n\nverbs:\n");
	for (i = 0; i < N_VERBS; i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\n'memspike VERB --help' describes a verb. Exit codes: 0 "
	           "ok, 1 runtime or I/O\nerror, 2 usage or configuration "
	           "error, 130/143 interrupted (docs/cli.md).\n");
}

static void print_verb_help(const struct verb *v)
{
	printf("usage: memspike %s\n\n%s: %s.\n\n%s", v->synopsis, v->name,
	       v->summary, v->help);
}

static int usage_error(const struct verb *v, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "memspike %s: ", v->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: memspike %s\n(see 'memspike %s --help')\n",
	        v->synopsis, v->name);
	return EXIT_USAGE;
}

static int is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

/*
 * If argv[*i] is option lng ("--output") or shrt ("-o", may be NULL), store
 * its value, taken from "--output=V", "-oV" or the next argument, and
 * advance *i past it. Returns 1 if matched, 0 if not, -1 if the value is
 * missing.
 */
static int opt_value(int argc, char **argv, int *i, const char *lng,
                     const char *shrt, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	if (!strncmp(a, lng, n) && a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (shrt != NULL && !strncmp(a, shrt, 2) && a[2] != '\0') {
		*val = a + 2;
		return 1;
	}
	if (strcmp(a, lng) != 0 && (shrt == NULL || strcmp(a, shrt) != 0))
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/* ------------------------------------------------------------------------ */
/* run                                                                      */

/* Set by the signal handler; read by the main flow only. */
static volatile sig_atomic_t g_signal;
static ms_net *volatile g_net;

static void on_signal(int sig)
{
	g_signal = sig;
	if (g_net != NULL)
		ms_net_request_stop(g_net);
}

/* Handle SIGINT and SIGTERM once; the second one gets the default action
 * so that a stuck program can still be killed from the keyboard. */
static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Publish net to the handler with both signals blocked, so the handler
 * never sees a half-written pointer. */
static void set_signal_net(ms_net *net)
{
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	g_net = net;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct progress {
	ms_net *net;
	double start_s;
	int shown; /* width of the last line written, 0 if none */
};

/* Progress line on a terminal, only once the run has lasted a second: short
 * runs stay quiet. */
static void on_progress(double t_now_ms, double t_stop_ms, void *user)
{
	struct progress *p = user;
	double wall = now_s() - p->start_s;
	ms_stats st;
	int n;

	if (wall < 1.0)
		return;
	ms_net_stats(p->net, &st);
	n = fprintf(stderr, "\r%.1f / %.1f ms (%3.0f%%), %llu spikes, %.0f s",
	            t_now_ms, t_stop_ms,
	            t_stop_ms > 0 ? 100.0 * t_now_ms / t_stop_ms : 100.0,
	            (unsigned long long)st.spikes, wall);
	if (n > 0 && n < p->shown)
		fprintf(stderr, "%*s", p->shown - n, "");
	if (n > p->shown)
		p->shown = n;
	fflush(stderr);
}

static void clear_progress(const struct progress *p)
{
	if (p->shown > 0)
		fprintf(stderr, "\r%*s\r", p->shown, "");
}

/* Run to t_stop with a progress line on a terminal. A signal that came
 * during the build stops the run at its start. */
static int run_with_progress(ms_net *net, double t_stop)
{
	struct progress prog = {0};
	int rc;

	if (isatty(STDERR_FILENO)) {
		prog.net = net;
		prog.start_s = now_s();
		ms_net_set_progress(net, on_progress, &prog, 0.25);
	}
	if (g_signal)
		ms_net_request_stop(net);
	rc = ms_net_run(net, t_stop);
	clear_progress(&prog);
	return rc;
}

static void print_summary(ms_net *net, const char *cfg_path,
                          const char *out_path, double t_stop_ms, int sig)
{
	double t = ms_net_time(net);
	size_t i, n = ms_net_population_count(net);
	ms_stats st;

	ms_net_stats(net, &st);
	if (sig)
		printf("memspike: interrupted by %s at %g ms of %g ms\n",
		       sig == SIGINT ? "SIGINT" : "SIGTERM", t, t_stop_ms);
	printf("%s: %g ms simulated in %.2f s wall time (seed %llu), "
	       "%llu spikes\n",
	       cfg_path, t, st.wall_s, (unsigned long long)ms_net_seed(net),
	       (unsigned long long)st.spikes);
	printf("  %-16s %-14s %10s %12s %12s\n", "population", "model", "size",
	       "spikes", "rate (Hz)");
	for (i = 0; i < n; i++) {
		size_t size = ms_net_population_size(net, (int)i);
		uint64_t k = ms_net_population_spikes(net, (int)i);

		printf("  %-16s %-14s %10zu %12llu",
		       ms_net_population_name(net, (int)i),
		       ms_net_population_model(net, (int)i), size,
		       (unsigned long long)k);
		if (t > 0 && size > 0)
			printf(" %12.3f\n",
			       (double)k / (double)size / (t / 1000.0));
		else
			printf(" %12s\n", "-");
	}
	printf("output: %s\n", out_path);
}

/* Exit status for a failed load or build: what the user gave is wrong (2),
 * or the machine failed (1). */
static int failure_status(int rc)
{
	return rc == MS_EIO || rc == MS_ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
}

static int parse_seed(const char *s, uint64_t *seed)
{
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == 0 || s[i] != '\0')
		return -1;
	errno = 0;
	*seed = strtoull(s, NULL, 10);
	return errno == ERANGE ? -1 : 0;
}

/* Options of run (and stdp-curve, which has no --duration), into ov;
 * *cfg_path gets the one positional argument. Returns -1 when the
 * arguments asked for help, else an exit status. */
static int run_args(const struct verb *v, int argc, char **argv,
                    const char **cfg_path, ms_config_overrides *ov)
{
	int with_duration = v->fn == verb_run;
	char err[256];
	const char *val;
	int i, m;

	*cfg_path = NULL;
	for (i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return -1;
		if ((m = opt_value(argc, argv, &i, "--output", "-o", &val))) {
			if (m < 0)
				return usage_error(v, "%s needs a file name",
				                   argv[i]);
			ov->output_path = val;
		} else if ((m = opt_value(argc, argv, &i, "--seed", NULL,
		                          &val))) {
			if (m < 0 || parse_seed(val, &ov->seed))
				return usage_error(v, "--seed needs a whole "
				                      "number in [0, 2^64-1]");
			ov->has_seed = 1;
		} else if (with_duration &&
		           (m = opt_value(argc, argv, &i, "--duration", NULL,
		                          &val))) {
			if (m < 0)
				return usage_error(
				    v, "%s needs a time, e.g. 2s", argv[i]);
			if (ms__unit_parse(val, MS_DIM_TIME, &ov->duration_ms,
			                   err, sizeof(err)) ||
			    !(ov->duration_ms > 0))
				return usage_error(
				    v,
				    "--duration: expected a time "
				    "> 0 with its unit (e.g. 2s, "
				    "\"500 ms\"), got \"%s\"",
				    val);
			ov->has_duration = 1;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return usage_error(v, "unknown option \"%s\"", argv[i]);
		} else if (*cfg_path != NULL) {
			return usage_error(v,
			                   "one config file expected, got "
			                   "also \"%s\"",
			                   argv[i]);
		} else {
			*cfg_path = argv[i];
		}
	}
	if (*cfg_path == NULL)
		return usage_error(v, "no config file given");
	return EXIT_OK;
}

static int verb_run(int argc, char **argv)
{
	ms_config_overrides ov = {0};
	ms_config *cfg = NULL;
	ms_net *net = NULL;
	const char *cfg_path, *out_path;
	double t_stop;
	ms_error err;
	int rc, status, sig;

	status = run_args(find_verb("run"), argc, argv, &cfg_path, &ov);
	if (status < 0) {
		print_verb_help(find_verb("run"));
		return EXIT_OK;
	}
	if (status != EXIT_OK)
		return status;
	rc = ms_config_load(cfg_path, &cfg, &err);
	if (rc) {
		fprintf(stderr, "memspike: %s\n", err.msg);
		return failure_status(rc);
	}
	install_handlers();
	rc = ms_config_build(cfg, &ov, &net, &err);
	if (rc) {
		fprintf(stderr, "memspike: %s\n", err.msg);
		status = failure_status(rc);
		goto fail;
	}
	set_signal_net(net);
	t_stop = ms_config_duration_ms(cfg, &ov);
	out_path = ms_config_output_path(cfg, &ov);
	rc = run_with_progress(net, t_stop);
	if ((rc == MS_EINVAL || rc == MS_ECONFIG) && ms_net_time(net) == 0.0) {
		/* Models check conditions between parameters (V_reset below
		 * V_th) when the run starts: that is still a config error, and
		 * it leaves no output file behind. */
		fprintf(stderr, "memspike: %s: %s\n", cfg_path,
		        ms_net_errmsg(net));
		set_signal_net(NULL);
		ms_net_destroy(net);
		net = NULL;
		unlink(out_path);
		status = EXIT_USAGE;
		goto fail;
	}
	sig = g_signal;
	if (rc == MS_EIO && ms_net_time(net) == 0.0) {
		/* The output file could not be made after all (its path was
		 * checked when it was opened; HDF5 creates it while the
		 * network is built): the run did not start. */
		fprintf(stderr, "memspike: %s\n", ms_net_errmsg(net));
		status = EXIT_RUNTIME;
		goto fail;
	}
	if (rc != 0 && rc != MS_EINTR) {
		fprintf(stderr, "memspike: run failed at %g ms: %s\n",
		        ms_net_time(net), ms_net_errmsg(net));
		status = EXIT_RUNTIME;
	} else {
		status = rc == MS_EINTR ? 128 + (sig ? sig : SIGINT) : EXIT_OK;
	}
	if ((rc = ms_net_close_output(net)) != 0) {
		fprintf(stderr, "memspike: closing %s: %s\n", out_path,
		        ms_net_errmsg(net));
		status = EXIT_RUNTIME;
	}
	print_summary(net, cfg_path, out_path, t_stop,
	              status > 128 ? status - 128 : 0);
fail:
	set_signal_net(NULL);
	ms_net_destroy(net);
	ms_config_destroy(cfg);
	return status;
}

/* ------------------------------------------------------------------------ */
/* stdp-curve                                                               */

/* Device states and conductances of the measured projection, in point
 * order: synapse s joins pre unit k to post unit k and measures point k. */
struct states {
	double *w, *G; /* per point */
};

static int read_states(ms_net *net, const ms_stdp_protocol *pr,
                       const uint32_t *pre, double *buf_w, double *buf_G,
                       struct states *out)
{
	size_t s, n = pr->n_points;
	int rc;

	rc = ms_proj_get_state(net, pr->proj, buf_w, buf_G);
	if (rc)
		return rc;
	for (s = 0; s < n; s++) {
		out->w[pre[s]] = buf_w[s];
		out->G[pre[s]] = buf_G[s];
	}
	return 0;
}

/* Say on stderr why a side of the window has no fitted exponential. */
static void report_fit(const char *side, const char *params,
                       const ms_stdp_fit *f)
{
	if (f->ok)
		return;
	if (f->n_used < 3)
		fprintf(stderr,
		        "memspike: stdp-curve: the %s side has %zu usable "
		        "point%s from its extremum outwards (3 needed); %s "
		        "are NaN\n",
		        side, f->n_used, f->n_used == 1 ? "" : "s", params);
	else
		fprintf(stderr,
		        "memspike: stdp-curve: the exponential fit of the %s "
		        "side failed; %s are NaN\n",
		        side, params);
}

/* The output can be created: checked before a long run, not after. */
static int check_writable(const char *path)
{
	size_t len = strlen(path) + 5;
	char *tmp = malloc(len);
	FILE *f;
	int rc = 0;

	if (tmp == NULL)
		return -1;
	snprintf(tmp, len, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		fprintf(stderr, "memspike: %s: cannot create: %s\n", path,
		        strerror(errno));
		rc = -1;
	} else {
		fclose(f);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

struct curve {
	ms_stdp_protocol pr;
	uint32_t *pre;
	double *buf_w, *buf_G, *dw, *dG, *dGG;
	struct states s0, s1;
};

static int curve_alloc(struct curve *c)
{
	size_t n = c->pr.n_points ? c->pr.n_points : 1;

	c->pre = calloc(n, sizeof(uint32_t));
	c->buf_w = calloc(n, sizeof(double));
	c->buf_G = calloc(n, sizeof(double));
	c->dw = calloc(n, sizeof(double));
	c->dG = calloc(n, sizeof(double));
	c->dGG = calloc(n, sizeof(double));
	c->s0.w = calloc(n, sizeof(double));
	c->s0.G = calloc(n, sizeof(double));
	c->s1.w = calloc(n, sizeof(double));
	c->s1.G = calloc(n, sizeof(double));
	return c->pre && c->buf_w && c->buf_G && c->dw && c->dG && c->dGG &&
	               c->s0.w && c->s0.G && c->s1.w && c->s1.G
	           ? 0
	           : MS_ENOMEM;
}

static void curve_free(struct curve *c)
{
	free(c->pre);
	free(c->buf_w);
	free(c->buf_G);
	free(c->dw);
	free(c->dG);
	free(c->dGG);
	free(c->s0.w);
	free(c->s0.G);
	free(c->s1.w);
	free(c->s1.G);
}

/*
 * Per point: delta_w, delta_G in siemens (the engine's G is in nS), and
 * (G_end - G_0) / (G_0 G_end) = 1/G_0 - 1/G_end in 1/S, which is NaN when
 * a conductance is 0 (docs/cli.md says why this form).
 */
static void curve_deltas(struct curve *c)
{
	for (size_t k = 0; k < c->pr.n_points; k++) {
		double g0 = c->s0.G[k] * 1e-9, g1 = c->s1.G[k] * 1e-9;

		c->dw[k] = c->s1.w[k] - c->s0.w[k];
		c->dG[k] = g1 - g0;
		c->dGG[k] = g0 > 0 && g1 > 0 ? (g1 - g0) / (g0 * g1) : NAN;
	}
}

static void print_curve_summary(const char *cfg_path, const char *out_path,
                                ms_net *net, const struct curve *c,
                                const ms_stdp_fit *ltp, const ms_stdp_fit *ltd)
{
	ms_stats st;

	ms_net_stats(net, &st);
	printf("%s: %zu points x %zu pairings at %g Hz, %g ms simulated in "
	       "%.2f s wall time (seed %llu)\n",
	       cfg_path, c->pr.n_points, c->pr.pairings, c->pr.frequency_Hz,
	       ms_net_time(net), st.wall_s,
	       (unsigned long long)ms_net_seed(net));
	printf("  rule %s, device %s\n", c->pr.rule, c->pr.device);
	printf("  LTP fit: A+ = %.6g, tau+ = %.6g ms (%zu points)\n", ltp->A,
	       ltp->tau_ms, ltp->n_used);
	printf("  LTD fit: A- = %.6g, tau- = %.6g ms (%zu points)\n", ltd->A,
	       ltd->tau_ms, ltd->n_used);
	printf("output: %s\n", out_path);
}

/* Run the protocol of a built network to its end; an exit status. */
static int run_protocol(ms_net *net, const char *cfg_path, double t_end)
{
	int rc, sig;

	rc = run_with_progress(net, t_end);
	sig = g_signal;
	if (rc == MS_EINTR) {
		fprintf(stderr,
		        "memspike: interrupted by %s at %g ms of %g ms; no "
		        "curve written\n",
		        sig == SIGTERM ? "SIGTERM" : "SIGINT", ms_net_time(net),
		        t_end);
		return 128 + (sig ? sig : SIGINT);
	}
	if (rc != 0) {
		fprintf(stderr, "memspike: %s: run failed at %g ms: %s\n",
		        cfg_path, ms_net_time(net), ms_net_errmsg(net));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int verb_stdp_curve(int argc, char **argv)
{
	const struct verb *v = find_verb("stdp-curve");
	ms_config_overrides ov = {0};
	struct curve c = {0};
	ms_stdp_curve out = {0};
	ms_config *cfg = NULL;
	ms_net *net = NULL;
	const char *cfg_path, *out_path;
	ms_stats st;
	ms_error err;
	int rc, status;

	status = run_args(v, argc, argv, &cfg_path, &ov);
	if (status < 0) {
		print_verb_help(v);
		return EXIT_OK;
	}
	if (status != EXIT_OK)
		return status;
	rc = ms_config_load(cfg_path, &cfg, &err);
	if (rc) {
		fprintf(stderr, "memspike: %s\n", err.msg);
		return failure_status(rc);
	}
	if (ms_config_stdp_protocol(cfg, &c.pr) != 0) {
		fprintf(stderr,
		        "memspike: %s: no stdp_curve section; stdp-curve needs "
		        "a pairing protocol (docs/config.md#stdp_curve)\n",
		        cfg_path);
		ms_config_destroy(cfg);
		return EXIT_USAGE;
	}
	out_path = ms_config_output_path(cfg, &ov);
	if (check_writable(out_path)) {
		ms_config_destroy(cfg);
		return EXIT_RUNTIME;
	}
	install_handlers();
	ov.no_output = 1;
	rc = ms_config_build(cfg, &ov, &net, &err);
	if (rc) {
		fprintf(stderr, "memspike: %s\n", err.msg);
		status = failure_status(rc);
		goto done;
	}
	set_signal_net(net);
	/* Conditions between parameters (devices, waveforms, models) are
	 * checked when the network is built: still config errors. */
	if ((rc = ms_net_build(net)) != 0) {
		fprintf(stderr, "memspike: %s: %s\n", cfg_path,
		        ms_net_errmsg(net));
		status = failure_status(rc);
		goto done;
	}
	if ((rc = curve_alloc(&c)) != 0 ||
	    (rc = ms_net_projection_get(net, c.pr.proj, c.pre, NULL, NULL,
	                                NULL)) != 0 ||
	    (rc = read_states(net, &c.pr, c.pre, c.buf_w, c.buf_G, &c.s0))) {
		fprintf(stderr, "memspike: %s: %s\n", cfg_path,
		        rc == MS_ENOMEM ? "out of memory" : ms_net_errmsg(net));
		status = EXIT_RUNTIME;
		goto done;
	}
	status = run_protocol(net, cfg_path, c.pr.end_ms);
	if (status != EXIT_OK)
		goto done;
	if ((rc = read_states(net, &c.pr, c.pre, c.buf_w, c.buf_G, &c.s1))) {
		fprintf(stderr, "memspike: %s: %s\n", cfg_path,
		        ms_net_errmsg(net));
		status = EXIT_RUNTIME;
		goto done;
	}
	curve_deltas(&c);
	if (ms_stdp_fit_exp(c.pr.delta_t_ms, c.dw, c.pr.n_points, &out.ltp,
	                    &out.ltd) != 0) {
		fprintf(stderr, "memspike: out of memory\n");
		status = EXIT_RUNTIME;
		goto done;
	}
	report_fit("LTP (delta_t > 0)", "A_plus and tau_plus_ms", &out.ltp);
	report_fit("LTD (delta_t < 0)", "A_minus and tau_minus_ms", &out.ltd);
	ms_net_stats(net, &st);
	out.n = c.pr.n_points;
	out.delta_t_ms = c.pr.delta_t_ms;
	out.delta_w = c.dw;
	out.delta_G_S = c.dG;
	out.delta_G_over_G2 = c.dGG;
	out.pairings = c.pr.pairings;
	out.frequency_Hz = c.pr.frequency_Hz;
	out.rule = c.pr.rule;
	out.device = c.pr.device;
	out.seed = ms_net_seed(net);
	out.config_text = ms_config_text(cfg);
	out.config_path = cfg_path;
	out.t_stop_ms = ms_net_time(net);
	out.wall_s = st.wall_s;
	if ((rc = ms_stdp_curve_write(out_path, &out, &err)) != 0) {
		fprintf(stderr, "memspike: %s\n", err.msg);
		status = EXIT_RUNTIME;
		goto done;
	}
	print_curve_summary(cfg_path, out_path, net, &c, &out.ltp, &out.ltd);
done:
	set_signal_net(NULL);
	ms_net_destroy(net);
	curve_free(&c);
	ms_config_destroy(cfg);
	return status;
}

/* ------------------------------------------------------------------------ */
/* info, help                                                               */

static int verb_info(int argc, char **argv)
{
	const struct verb *v = find_verb("info");
	ms_error err;
	int rc;

	if (argc == 2 && is_help(argv[1])) {
		print_verb_help(v);
		return EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-')
		return usage_error(v, "expected one output file");
	rc = ms_file_info(argv[1], stdout, &err);
	if (rc) {
		fprintf(stderr, "memspike: %s\n", err.msg);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int verb_help(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 2) {
		print_usage(stdout);
		return EXIT_OK;
	}
	v = find_verb(argv[1]);
	if (v == NULL) {
		fprintf(stderr, "memspike help: unknown verb \"%s\"\n",
		        argv[1]);
		return EXIT_USAGE;
	}
	print_verb_help(v);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1])) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("memspike %s\n", MS_VERSION_STRING);
		return EXIT_OK;
	}
	v = find_verb(argv[1]);
	if (v == NULL) {
		fprintf(stderr, "memspike: unknown verb \"%s\"\n\n", argv[1]);
		print_usage(stderr);
		return EXIT_USAGE;
	}
	return v->fn(argc - 1, argv + 1);
}

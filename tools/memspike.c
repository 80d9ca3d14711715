/*
 * memspike — the command-line program (docs/cli.md).
 *
 * Verbs are rows of one table; each verb parses its own arguments and
 * returns the process exit status. Exit codes are part of the interface:
 * 0 ok, 1 runtime or I/O error, 2 usage or configuration error, 128 + signal
 * when a run was interrupted (the output file is still closed properly).
 */
#include <errno.h>
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
		fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
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

/* Options of run, into ov; *cfg_path gets the one positional argument.
 * Returns -1 when the arguments asked for help, else an exit status. */
static int run_args(int argc, char **argv, const char **cfg_path,
                    ms_config_overrides *ov)
{
	const struct verb *v = find_verb("run");
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
		} else if ((m = opt_value(argc, argv, &i, "--duration", NULL,
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
	struct progress prog = {0};
	ms_config *cfg = NULL;
	ms_net *net = NULL;
	const char *cfg_path, *out_path;
	double t_stop;
	ms_error err;
	int rc, status, sig;

	status = run_args(argc, argv, &cfg_path, &ov);
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
	if (isatty(STDERR_FILENO)) {
		prog.net = net;
		prog.start_s = now_s();
		ms_net_set_progress(net, on_progress, &prog, 0.25);
	}
	/* A signal that came during the build stops the run at its start. */
	if (g_signal)
		ms_net_request_stop(net);
	rc = ms_net_run(net, t_stop);
	clear_progress(&prog);
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

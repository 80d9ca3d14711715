/*
 * plast_bench — the cost of plasticity: 1000 Poisson inputs at 15 Hz onto
 * 100 LIF neurons, all to all (10^5 synapses), for a given biological
 * time, with static synapses or with one of the learning rules on
 * memristive devices. One result line per run:
 *
 *   plast_bench static|pair|waveform_exact|waveform_fast [--duration-s S]
 *               [--seed N]
 *
 *   bench=plast rule=waveform_fast bio_s=10 wall_s=1.23 syn_events=15012345
 *   syn_events_per_s=1.2e+07 out_spikes=12345 out_rate_hz=12.3
 *   w_mean_start=0.5 w_mean_end=0.47 seed=1                    (one line)
 *
 * wall_s is ms_net_stats().wall_s (inside ms_net_run, building included).
 * bench/run.sh divides each rule's wall time by the static one.
 *
 * Neurons: lif_delta, tau_m 20 ms, E_L -70 mV, V_th -54 mV, V_reset -70 mV,
 * t_ref 2 ms, V(0) uniform in [-70, -54) mV; input efficacy 0.12 mV at G_max,
 * devices start at w = 0.5 (G linear in w from 0 to G_max), delay 1 ms.
 * Waveforms and device are those of examples/stdp_zamarreno2011.yaml
 * (Zamarreño-Ramos et al. 2011), with a rate I0 small enough that weights drift
 * slowly over 10 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memspike/memspike.h"

#define N_IN  1000
#define N_OUT 100

static void die(ms_net *net, const char *what, int rc)
{
	fprintf(stderr, "plast_bench: %s: %s (%s)\n", what, ms_strerror(rc),
	        net ? ms_net_errmsg(net) : "");
	exit(1);
}

#define TRY(net, call)                                                         \
	do {                                                                   \
		int rc_ = (call);                                              \
		if (rc_)                                                       \
			die(net, #call, rc_);                                  \
	} while (0)

static void waveform(ms_net *net, int pop)
{
	TRY(net, ms_pop_set_waveform(net, pop, "exp"));
	TRY(net, ms_pop_set_waveform_param(net, pop, "A_plus", 1000.0));
	TRY(net, ms_pop_set_waveform_param(net, pop, "tau_plus", 3.0));
	TRY(net, ms_pop_set_waveform_param(net, pop, "T_plus", 5.0));
	TRY(net, ms_pop_set_waveform_param(net, pop, "A_minus", 250.0));
	TRY(net, ms_pop_set_waveform_param(net, pop, "tau_minus", 40.0));
	TRY(net, ms_pop_set_waveform_param(net, pop, "T_minus", 75.0));
}

static double mean_w(ms_net *net, int proj, size_t n)
{
	double *w = malloc(n * sizeof(double)), sum = 0.0;

	if (!w)
		die(net, "malloc", MS_ENOMEM);
	TRY(net, ms_proj_get_state(net, proj, w, NULL));
	for (size_t s = 0; s < n; s++)
		sum += w[s];
	free(w);
	return sum / (double)n;
}

int main(int argc, char **argv)
{
	const char *rule;
	double dur_s = 10.0, t0[1] = {0.0}, r[1] = {15.0};
	ms_conn_spec c = {.rule = MS_CONN_ALL_TO_ALL};
	ms_syn_spec syn = {.weight = 0.12, .delay_ms = 1.0};
	ms_net_opts o = {1};
	int in, out, proj, plastic;
	double w0 = 0.5, w1 = 0.5;
	ms_stats st;
	ms_net *net;

	if (argc < 2 || (strcmp(argv[1], "static") && strcmp(argv[1], "pair") &&
	                 strcmp(argv[1], "waveform_exact") &&
	                 strcmp(argv[1], "waveform_fast"))) {
		fputs("usage: plast_bench static|pair|waveform_exact|"
		      "waveform_fast [--duration-s S] [--seed N]\n",
		      stderr);
		return 2;
	}
	rule = argv[1];
	for (int k = 2; k + 1 < argc; k += 2) {
		if (!strcmp(argv[k], "--duration-s"))
			dur_s = atof(argv[k + 1]);
		else if (!strcmp(argv[k], "--seed"))
			o.seed = strtoull(argv[k + 1], NULL, 10);
		else {
			fprintf(stderr, "plast_bench: unknown option %s\n",
			        argv[k]);
			return 2;
		}
	}
	plastic = strcmp(rule, "static") != 0;

	TRY(NULL, ms_net_create(&o, &net));
	TRY(net, ms_net_add_population(net, "in", "poisson", N_IN, &in));
	TRY(net, ms_net_add_population(net, "out", "lif_delta", N_OUT, &out));
	TRY(net, ms_poisson_set_rate_profile(net, in, t0, r, 1));
	TRY(net, ms_pop_set_param(net, out, "tau_m", 20.0));
	TRY(net, ms_pop_set_param(net, out, "E_L", -70.0));
	TRY(net, ms_pop_set_param(net, out, "V_th", -54.0));
	TRY(net, ms_pop_set_param(net, out, "V_reset", -70.0));
	TRY(net, ms_pop_set_param(net, out, "t_ref", 2.0));
	/* Units differ only by their start: all-to-all input is common. */
	TRY(net, ms_pop_init_uniform(net, out, "V_m", -70.0, -54.0));
	if (!plastic)
		syn.weight *= 0.5; /* the efficacy of a device at w = 0.5 */
	TRY(net, ms_net_connect(net, in, out, &c, &syn, &proj));
	if (!strcmp(rule, "pair")) {
		TRY(net, ms_proj_set_plasticity(net, proj, "stdp_pair"));
		TRY(net,
		    ms_proj_set_plasticity_param(net, proj, "A_plus", 1e-4));
		TRY(net, ms_proj_set_plasticity_param(net, proj, "A_minus",
		                                      -1.05e-4));
	} else if (plastic) {
		waveform(net, in);
		waveform(net, out);
		TRY(net, ms_proj_set_plasticity(net, proj, "stdp_waveform"));
		TRY(net, ms_proj_set_plasticity_param(net, proj, "k", 0.9));
		TRY(net, ms_proj_set_plasticity_option(
		             net, proj, "mode",
		             strcmp(rule, "waveform_fast") ? "exact" : "fast"));
		TRY(net, ms_proj_set_device(net, proj, "exp_threshold"));
		TRY(net, ms_proj_set_device_param(net, proj, "V_th", 1000.0));
		TRY(net,
		    ms_proj_set_device_param(net, proj, "V0", 1000.0 / 7.0));
		TRY(net, ms_proj_set_device_param(net, proj, "I0", 1e-3));
	}
	if (plastic) {
		TRY(net, ms_proj_set_device_param(net, proj, "G_max", 1.0));
		TRY(net, ms_proj_set_device_param(net, proj, "w_init", 0.5));
	}
	TRY(net, ms_net_build(net));
	if (plastic)
		w0 = mean_w(net, proj, ms_net_projection_size(net, proj));
	TRY(net, ms_net_run(net, dur_s * 1000.0));
	if (plastic)
		w1 = mean_w(net, proj, ms_net_projection_size(net, proj));
	ms_net_stats(net, &st);
	printf("bench=plast rule=%s bio_s=%g wall_s=%.4f syn_events=%llu "
	       "syn_events_per_s=%.4g out_spikes=%llu out_rate_hz=%.3f "
	       "w_mean_start=%.6f w_mean_end=%.6f seed=%llu\n",
	       rule, dur_s, st.wall_s, (unsigned long long)st.syn_events,
	       (double)st.syn_events / st.wall_s,
	       (unsigned long long)ms_net_population_spikes(net, out),
	       (double)ms_net_population_spikes(net, out) / N_OUT / dur_s, w0,
	       w1, (unsigned long long)o.seed);
	ms_net_destroy(net);
	return 0;
}

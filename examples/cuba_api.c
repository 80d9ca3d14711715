/*
 * cuba_api — the CUBA network of examples/cuba.yaml built through the C API
 * instead of a config file (Brette et al. 2007, J Comput Neurosci 23:349,
 * benchmark 2, with the parameters of Brian2's CUBA example).
 *
 *   cuba_api [out.h5] [duration_ms] [seed]
 *
 * Prints the mean rate of each population; expect about 5-6 Hz.
 */
#include <stdio.h>
#include <stdlib.h>

#include "memspike/memspike.h"

static int fail(ms_net *net, const char *what, int rc)
{
	fprintf(stderr, "cuba_api: %s: %s (%s)\n", what, ms_net_errmsg(net),
	        ms_strerror(rc));
	ms_net_destroy(net);
	return 1;
}

int main(int argc, char **argv)
{
	const char *out = argc > 1 ? argv[1] : "cuba_api.h5";
	double duration = argc > 2 ? atof(argv[2]) : 1000.0;
	ms_net_opts opts = {.seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1};
	ms_conn_spec p02 = {.rule = MS_CONN_FIXED_PROB, .p = 0.02};
	ms_syn_spec exc = {.weight = 1.62, .delay_ms = 0.1}; /* mV */
	ms_syn_spec inh = {.weight = -9.0, .delay_ms = 0.1};
	const char *names[2] = {"exc", "inh"};
	size_t sizes[2] = {3200, 800};
	int pop[2], rc;
	ms_net *net;

	if ((rc = ms_net_create(&opts, &net)))
		return fail(NULL, "create", rc);
	for (int k = 0; k < 2; k++) {
		rc = ms_net_add_population(net, names[k], "lif_exp", sizes[k],
		                           &pop[k]);
		if (!rc)
			rc = ms_pop_set_param(net, pop[k], "tau_m", 20.0);
		if (!rc)
			rc = ms_pop_set_param(net, pop[k], "E_L", -49.0);
		if (!rc)
			rc = ms_pop_set_param(net, pop[k], "V_th", -50.0);
		if (!rc)
			rc = ms_pop_set_param(net, pop[k], "V_reset", -60.0);
		if (!rc)
			rc = ms_pop_set_param(net, pop[k], "t_ref", 5.0);
		if (!rc)
			rc = ms_pop_set_param(net, pop[k], "tau_syn_e", 5.0);
		if (!rc)
			rc = ms_pop_set_param(net, pop[k], "tau_syn_i", 10.0);
		if (!rc)
			rc = ms_pop_init_uniform(net, pop[k], "V_m", -60.0,
			                         -50.0);
		if (!rc)
			rc = ms_net_record_spikes(net, pop[k]);
		if (rc)
			return fail(net, names[k], rc);
	}
	for (int k = 0; k < 2; k++) {
		if ((rc = ms_net_connect(net, pop[0], pop[k], &p02, &exc,
		                         NULL)) ||
		    (rc =
		         ms_net_connect(net, pop[1], pop[k], &p02, &inh, NULL)))
			return fail(net, "connect", rc);
	}
	if ((rc = ms_net_open_output(net, out, NULL)))
		return fail(net, "output", rc);
	if ((rc = ms_net_run(net, duration)))
		return fail(net, "run", rc);
	for (int k = 0; k < 2; k++)
		printf("%s: %.2f Hz\n", names[k],
		       (double)ms_net_population_spikes(net, pop[k]) /
		           (double)sizes[k] / (duration / 1000.0));
	if ((rc = ms_net_close_output(net)))
		return fail(net, "close", rc);
	ms_net_destroy(net);
	return 0;
}

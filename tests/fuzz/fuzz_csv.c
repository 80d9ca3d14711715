/*
 * fuzz_csv — the spike-file and connection-list readers of the config
 * (docs/config.md, "Data files") on arbitrary file contents. The first
 * byte of the input picks one of the fixed configs below, all of which
 * name data.csv; the rest of the input is data.csv. A config that loads is
 * built and run for a few milliseconds (fuzz_common.h), so that what the
 * readers accept is also put through the engine.
 */
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz_common.h"

static const char *const configs[] = {
    /* Spike times into a current-based LIF. */
    "duration: 10 ms\n"
    "populations:\n"
    "  - {name: s, model: spike_source, size: 10, spikes: {file: data.csv}}\n"
    "  - {name: n, model: lif_exp, size: 10}\n"
    "projections:\n"
    "  - {pre: s, post: n, connector: {rule: all_to_all},\n"
    "     synapse: {weight: 2 mV, delay: 1 ms}}\n",
    /* A connection list, weights and delays from the synapse. */
    "duration: 10 ms\n"
    "populations:\n"
    "  - {name: p, model: poisson, size: 10, rate: 500 Hz}\n"
    "  - {name: n, model: lif_delta, size: 7}\n"
    "projections:\n"
    "  - {pre: p, post: n, connector: {rule: list, file: data.csv},\n"
    "     synapse: {weight: 1 mV, delay: 1 ms}}\n",
    /* A connection list that must give weights and delays itself, onto a
     * numerically integrated model. */
    "duration: 10 ms\n"
    "populations:\n"
    "  - {name: p, model: poisson, size: 5, rate: 800 Hz}\n"
    "  - {name: n, model: lif_cond, size: 10}\n"
    "projections:\n"
    "  - {pre: p, post: n, connector: {rule: list, file: data.csv},\n"
    "     synapse: {}}\n",
    /* A plastic connection list between spike sources given by file. */
    "duration: 10 ms\n"
    "populations:\n"
    "  - {name: a, model: spike_source, size: 10, spikes: {ids: [0, 1],\n"
    "     times: [0.5 ms, 1 ms]}}\n"
    "  - {name: n, model: izhikevich, size: 10}\n"
    "projections:\n"
    "  - {pre: a, post: n, connector: {rule: list, file: data.csv},\n"
    "     synapse: {weight: 5 mV, delay: 0.5 ms},\n"
    "     plasticity: {rule: stdp_pair}}\n",
};

#define N_CONFIGS (sizeof(configs) / sizeof(configs[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *cfg;
	struct fz_size est;

	if (size == 0)
		return 0;
	cfg = configs[data[0] % N_CONFIGS];
	fz_write("cfg.yaml", (const uint8_t *)cfg, strlen(cfg));
	fz_write("data.csv", data + 1, size - 1);
	fz_estimate(cfg, strlen(cfg), &est);
	fz_load_build_run(fz_path("cfg.yaml"), &est);
	return 0;
}

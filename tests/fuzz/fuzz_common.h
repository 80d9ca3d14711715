/*
 * fuzz_common — what the config and CSV harnesses share: a scratch
 * directory for the files they write, a size estimate that keeps
 * legitimately large networks from being built, and the cycle load, build,
 * run a few milliseconds, destroy.
 */
#ifndef MS_FUZZ_COMMON_H
#define MS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Largest network the harnesses build: units over all populations, and
 * the upper bound pre size x post size summed over projections. */
#define FZ_MAX_UNITS    2000
#define FZ_MAX_SYNAPSES 100000
/* Most spikes a stdp_curve protocol may make at load time. */
#define FZ_MAX_STDP_SPIKES 1000000
/* Biological time simulated after a successful build, ms. */
#define FZ_RUN_MS 3.0

/* Path of name in this process's scratch directory (made on first use;
 * aborts if it cannot be, since no input could be tested). */
const char *fz_path(const char *name);

/* Write size bytes to the scratch file name. */
void fz_write(const char *name, const uint8_t *data, size_t size);

/* Upper bounds read from a YAML text without the library: units (with the
 * sizes a stdp_curve protocol imposes), synapses (pre x post per
 * projection) and the spikes of a stdp_curve protocol. A text libyaml
 * cannot parse gives zeros: the library refuses it anyway. */
struct fz_size {
	double units, synapses, stdp_spikes;
};
void fz_estimate(const char *text, size_t len, struct fz_size *est);

/*
 * Load the config at path; when it loads and the estimate allows, build it
 * without an output file and run it for FZ_RUN_MS; destroy everything.
 * Aborts when the library breaks a promise of its API: a failure without a
 * message, or an error code outside the MS_E* set.
 */
void fz_load_build_run(const char *path, const struct fz_size *est);

#endif

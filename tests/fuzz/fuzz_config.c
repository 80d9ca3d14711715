/*
 * fuzz_config — ms_config_load on arbitrary YAML text, then, for the
 * configs that load and describe a network of modest size, ms_config_build
 * without an output file and a run of a few milliseconds (fuzz_common.h).
 * Data files the text names are looked up next to it, in the scratch
 * directory, where two small ones are written first: spikes.csv and
 * conn.csv (corpus_config/files.yaml names them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_common.h"

static const char spikes_csv[] = "id,time_ms\n0,0.5\n2,1.25\n1,3\n";
static const char conn_csv[] =
    "pre,post,weight,delay_ms\n0,1,2,1\n2,0,-1,0.5\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_write("spikes.csv", (const uint8_t *)spikes_csv, strlen(spikes_csv));
	fz_write("conn.csv", (const uint8_t *)conn_csv, strlen(conn_csv));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_size est;

	fz_write("cfg.yaml", data, size);
	fz_estimate((const char *)data, size, &est);
	fz_load_build_run(fz_path("cfg.yaml"), &est);
	return 0;
}

/*
 * fuzz_units — the quantity parser (engine/units.c) on arbitrary text.
 *
 * Every entry that parses a quantity is called on the input: the
 * dimension-free ms__unit_parse_any and ms__unit_parse for each dimension,
 * with a message buffer of full size, of one byte and none. Besides the
 * sanitizers, the harness checks the promises of engine/units.h: a parsed
 * value is finite, a failure is MS_EINVAL or MS_EUNIT with a message, and
 * a value formatted by ms__unit_format parses back to the same dimension
 * and to the value within the 6 significant digits of "%g": a relative
 * error of at most 5e-6, plus one rounding of strtod (2^-52 relative, or
 * the smallest subnormal for a subnormal value).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/units.h"

#define N_DIMS (MS_DIM_RESISTANCE + 1)

static void check(int ok)
{
	if (!ok)
		abort();
}

/* A formatted value reads back as the same quantity. */
static void round_trip(double x, ms_dim dim)
{
	char buf[64];
	double y;
	ms_dim d2;

	ms__unit_format(x, dim, buf, sizeof(buf));
	check(ms__unit_parse_any(buf, &y, &d2) == 0);
	check(d2 == dim);
	check(fabs(y - x) <= (5e-6 + 0x1p-52) * fabs(x) + 0x1p-1074);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[512], tiny[1];
	double x = 0, y;
	ms_dim dim = MS_DIM_NONE;
	int rc, d;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	rc = ms__unit_parse_any(text, &x, &dim);
	check(rc == 0 || rc == MS_EINVAL || rc == MS_EUNIT);
	if (rc == 0) {
		check(isfinite(x));
		check(dim >= MS_DIM_NONE && dim < N_DIMS);
		round_trip(x, dim);
	}
	for (d = 0; d < N_DIMS; d++) {
		err[0] = '\0';
		rc = ms__unit_parse(text, (ms_dim)d, &y, err, sizeof(err));
		check(rc == 0 || rc == MS_EINVAL || rc == MS_EUNIT);
		check(rc != 0 || (dim == (ms_dim)d && y == x));
		check(rc == 0 || err[0] != '\0');
		tiny[0] = 'x';
		check(ms__unit_parse(text, (ms_dim)d, &y, tiny, 1) == rc);
		check(rc == 0 || tiny[0] == '\0');
		check(ms__unit_parse(text, (ms_dim)d, &y, NULL, 0) == rc);
	}
	free(text);
	return 0;
}

/*
 * units — parsing "<number> <unit>" into base units (engine/units.h).
 *
 * A unit is an optional SI prefix followed by a base symbol (s, V, A, S, F,
 * Hz, Ohm or Ω). The scale to the engine's base unit is a power of ten,
 * applied by one multiplication or division by an exactly representable
 * power of ten, so "20 ms" is exactly 20.0 and "100 us" is the double
 * nearest to 0.1. Prefixed units whose scale would exceed 10^22 in either
 * direction (fOhm: 10^-24 GOhm) are refused as unknown, since larger
 * powers of ten are not exact doubles.
 */
#include "engine/units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct base_unit {
	const char *sym;
	ms_dim dim;
	int exp10; /* 1 <sym> = 10^exp10 base units */
};

/* Base units: ms, mV, pA, nS, pF, Hz, GOhm (= mV / pA). The ohm is
 * written "Ohm", the Greek capital omega U+03A9 or the ohm sign U+2126. */
static const struct base_unit base_units[] = {
    {"s", MS_DIM_TIME, 3},
    {"V", MS_DIM_VOLTAGE, 3},
    {"A", MS_DIM_CURRENT, 12},
    {"S", MS_DIM_CONDUCTANCE, 9},
    {"F", MS_DIM_CAPACITANCE, 12},
    {"Hz", MS_DIM_RATE, 0},
    {"Ohm", MS_DIM_RESISTANCE, -9},
    {"\xce\xa9", MS_DIM_RESISTANCE, -9},
    {"\xe2\x84\xa6", MS_DIM_RESISTANCE, -9},
};

/* Largest power of ten that is an exact double. */
#define MAX_EXACT_EXP10 22

struct prefix {
	const char *sym;
	int exp10;
};

/* "u", the micro sign U+00B5 and the Greek mu U+03BC all mean micro. */
static const struct prefix prefixes[] = {
    {"G", 9},         {"M", 6},         {"k", 3},  {"m", -3},  {"u", -6},
    {"\xc2\xb5", -6}, {"\xce\xbc", -6}, {"n", -9}, {"p", -12}, {"f", -15},
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const char *ms__dim_noun(ms_dim dim)
{
	switch (dim) {
	case MS_DIM_NONE:
		return "a plain number";
	case MS_DIM_TIME:
		return "a time";
	case MS_DIM_VOLTAGE:
		return "a voltage";
	case MS_DIM_CURRENT:
		return "a current";
	case MS_DIM_CONDUCTANCE:
		return "a conductance";
	case MS_DIM_CAPACITANCE:
		return "a capacitance";
	case MS_DIM_RATE:
		return "a rate";
	case MS_DIM_RESISTANCE:
		return "a resistance";
	}
	return "a quantity";
}

const char *ms__dim_example(ms_dim dim)
{
	switch (dim) {
	case MS_DIM_NONE:
		return "0.5";
	case MS_DIM_TIME:
		return "20 ms";
	case MS_DIM_VOLTAGE:
		return "-65 mV";
	case MS_DIM_CURRENT:
		return "200 pA";
	case MS_DIM_CONDUCTANCE:
		return "10 nS";
	case MS_DIM_CAPACITANCE:
		return "250 pF";
	case MS_DIM_RATE:
		return "15 Hz";
	case MS_DIM_RESISTANCE:
		return "100 kOhm";
	}
	return "1";
}

/* Length of the decimal number at the start of s ([+-]digits[.digits]
 * [e[+-]digits], at least one mantissa digit), 0 if there is none. Written
 * out because strtod() would also take "inf", "nan" and hex floats. */
static size_t number_length(const char *s)
{
	size_t i = 0, digits = 0;

	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (s[i] == '.') {
		i++;
		for (; s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	}
	if (digits == 0)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		size_t j = i + 1;

		if (s[j] == '+' || s[j] == '-')
			j++;
		if (s[j] >= '0' && s[j] <= '9') {
			while (s[j] >= '0' && s[j] <= '9')
				j++;
			i = j;
		}
	}
	return i;
}

/* Look up a unit symbol (len bytes at u); 0 and *dim, *exp10 if known. */
static int find_unit(const char *u, size_t len, ms_dim *dim, int *exp10)
{
	size_t i, k;

	for (i = 0; i < N_ELEMS(base_units); i++) {
		if (strlen(base_units[i].sym) == len &&
		    memcmp(u, base_units[i].sym, len) == 0) {
			*dim = base_units[i].dim;
			*exp10 = base_units[i].exp10;
			return 0;
		}
	}
	for (k = 0; k < N_ELEMS(prefixes); k++) {
		size_t pl = strlen(prefixes[k].sym);

		if (pl >= len || memcmp(u, prefixes[k].sym, pl) != 0)
			continue;
		for (i = 0; i < N_ELEMS(base_units); i++) {
			int e = base_units[i].exp10 + prefixes[k].exp10;

			if (strlen(base_units[i].sym) != len - pl ||
			    memcmp(u + pl, base_units[i].sym, len - pl) != 0)
				continue;
			if (e > MAX_EXACT_EXP10 || e < -MAX_EXACT_EXP10)
				return MS_EUNIT;
			*dim = base_units[i].dim;
			*exp10 = e;
			return 0;
		}
	}
	return MS_EUNIT;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Scale x by 10^e. Powers of ten up to 1e22 are exact doubles, so one
 * multiplication or division rounds once; find_unit keeps |e| <= 22.
 */
static double scale10(double x, int e)
{
	double p = 1.0;
	int k = e < 0 ? -e : e;

	while (k-- > 0)
		p *= 10.0;
	return e < 0 ? x / p : x * p;
}

int ms__unit_parse_any(const char *text, double *value, ms_dim *dim)
{
	const char *s = text, *u;
	size_t nlen, ulen;
	char numbuf[64];
	double x;
	int e = 0;

	if (text == NULL)
		return MS_EINVAL;
	while (is_blank(*s))
		s++;
	nlen = number_length(s);
	if (nlen == 0 || nlen >= sizeof(numbuf))
		return MS_EINVAL;
	memcpy(numbuf, s, nlen);
	numbuf[nlen] = '\0';
	u = s + nlen;
	while (is_blank(*u))
		u++;
	ulen = strlen(u);
	while (ulen > 0 && is_blank(u[ulen - 1]))
		ulen--;

	*dim = MS_DIM_NONE;
	if (ulen > 0 && find_unit(u, ulen, dim, &e) != 0)
		return MS_EUNIT;

	errno = 0;
	x = strtod(numbuf, NULL);
	if (errno == ERANGE && fabs(x) > 1.0)
		return MS_EINVAL;
	x = scale10(x, e);
	if (!isfinite(x))
		return MS_EINVAL;
	*value = x;
	return 0;
}

int ms__unit_parse(const char *text, ms_dim want, double *value, char *err,
                   size_t errlen)
{
	ms_dim got;
	double x;
	int rc;

	rc = ms__unit_parse_any(text, &x, &got);
	if (rc == 0 && got == want) {
		*value = x;
		return 0;
	}
	if (err == NULL || errlen == 0)
		return rc != 0 ? rc : MS_EUNIT;
	if (want == MS_DIM_NONE) {
		snprintf(err, errlen,
		         "expected a plain number (e.g. \"0.5\"), "
		         "got \"%s\"",
		         text ? text : "");
		return rc != 0 ? rc : MS_EUNIT;
	}
	if (rc == MS_EUNIT)
		snprintf(err, errlen,
		         "expected %s (e.g. \"%s\"), got \"%s\" (unknown unit; "
		         "units are listed in docs/config.md)",
		         ms__dim_noun(want), ms__dim_example(want), text);
	else if (rc == 0 && got == MS_DIM_NONE)
		snprintf(err, errlen,
		         "expected %s (e.g. \"%s\"), got \"%s\" (a number "
		         "needs its unit)",
		         ms__dim_noun(want), ms__dim_example(want), text);
	else
		snprintf(err, errlen, "expected %s (e.g. \"%s\"), got \"%s\"",
		         ms__dim_noun(want), ms__dim_example(want),
		         text ? text : "");
	return rc != 0 ? rc : MS_EUNIT;
}

char *ms__unit_format(double value, ms_dim dim, char *buf, size_t len)
{
	if (dim == MS_DIM_NONE)
		snprintf(buf, len, "%g", value);
	else
		snprintf(buf, len, "%g %s", value, ms_dim_unit(dim));
	return buf;
}

int ms__param_check(const ms_param_info *pi, double v, char *err, size_t errlen)
{
	/* "20 ms", or a bare number for dimensionless values. */
	const char *u = ms_dim_unit(pi->dim), *sp = *u ? " " : "";

	if (v >= pi->min && v <= pi->max && !(pi->min_open && v == pi->min))
		return MS_OK;
	snprintf(err, errlen,
	         "%s = %g%s%s is out of range: expected %s %g%s%s and <= "
	         "%g%s%s",
	         pi->name, v, sp, u, pi->min_open ? ">" : ">=", pi->min, sp, u,
	         pi->max, sp, u);
	return MS_EINVAL;
}

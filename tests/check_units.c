/*
 * check_units — "<number> <unit>" parsing into base units (engine/units.c).
 *
 * Conversions are checked for exact equality with the double nearest to the
 * true value: every unit scale is a power of ten applied in one rounding.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/units.h"

struct good {
	const char *text;
	ms_dim dim;
	double value;
};

static const struct good good[] = {
    {"20 ms", MS_DIM_TIME, 20.0},
    {"-65 mV", MS_DIM_VOLTAGE, -65.0},
    {"0.25 mV", MS_DIM_VOLTAGE, 0.25},
    {"15 Hz", MS_DIM_RATE, 15.0},
    {"1 nA", MS_DIM_CURRENT, 1000.0},
    {"10 nS", MS_DIM_CONDUCTANCE, 10.0},
    {"250 pF", MS_DIM_CAPACITANCE, 250.0},
    {"1.5 s", MS_DIM_TIME, 1500.0},
    {"100 us", MS_DIM_TIME, 0.1},
    {"100 \xc2\xb5s", MS_DIM_TIME, 0.1}, /* micro sign */
    {"100 \xce\xbcs", MS_DIM_TIME, 0.1}, /* Greek mu */
    {"250 ns", MS_DIM_TIME, 250e-6},
    {"2 kHz", MS_DIM_RATE, 2000.0},
    {"1 MHz", MS_DIM_RATE, 1e6},
    {"1 GHz", MS_DIM_RATE, 1e9},
    {"40 mHz", MS_DIM_RATE, 0.04},
    {"1 V", MS_DIM_VOLTAGE, 1000.0},
    {"3 uV", MS_DIM_VOLTAGE, 3e-3},
    {"2 A", MS_DIM_CURRENT, 2e12},
    {"3 uA", MS_DIM_CURRENT, 3e6},
    {"7 fA", MS_DIM_CURRENT, 7e-3},
    {"1 mS", MS_DIM_CONDUCTANCE, 1e6},
    {"1 MS", MS_DIM_CONDUCTANCE, 1e15}, /* megasiemens, not "ms" */
    {"1 Ms", MS_DIM_TIME, 1e9},
    {"0.5 fF", MS_DIM_CAPACITANCE, 5e-4},
    {"1 nF", MS_DIM_CAPACITANCE, 1000.0},
    {"1.62 mV", MS_DIM_VOLTAGE, 1.62},
    {"20ms", MS_DIM_TIME, 20.0},
    {"  20 \t ms  ", MS_DIM_TIME, 20.0},
    {"+5 mV", MS_DIM_VOLTAGE, 5.0},
    {"1e3 ms", MS_DIM_TIME, 1000.0},
    {"2.5E-1 s", MS_DIM_TIME, 250.0},
    {".5 ms", MS_DIM_TIME, 0.5},
    {"5. ms", MS_DIM_TIME, 5.0},
    {"0.02", MS_DIM_NONE, 0.02},
    {"-3", MS_DIM_NONE, -3.0},
    {"0 mV", MS_DIM_VOLTAGE, 0.0},
    /* resistance, base unit GOhm = mV / pA */
    {"1 GOhm", MS_DIM_RESISTANCE, 1.0},
    {"100 Ohm", MS_DIM_RESISTANCE, 1e-7},
    {"16 kOhm", MS_DIM_RESISTANCE, 1.6e-5},
    {"2.5 MOhm", MS_DIM_RESISTANCE, 2.5e-3},
    {"16 k\xce\xa9", MS_DIM_RESISTANCE, 1.6e-5},     /* Greek omega */
    {"16 k\xe2\x84\xa6", MS_DIM_RESISTANCE, 1.6e-5}, /* ohm sign */
    {"100 \xce\xa9", MS_DIM_RESISTANCE, 1e-7},
    {"3 mOhm", MS_DIM_RESISTANCE, 3e-12},
    {"7 pOhm", MS_DIM_RESISTANCE, 7e-21},
};

START_TEST(units_parse_known_quantities)
{
	const struct good *g = &good[_i];
	ms_dim dim = (ms_dim)-1;
	double v = NAN;
	char err[256] = "";

	ck_assert_int_eq(ms__unit_parse_any(g->text, &v, &dim), 0);
	ck_assert_int_eq(dim, g->dim);
	/* Exact: the single rounding gives the double nearest the value. */
	ck_assert_msg(v == g->value, "\"%s\": got %.17g, expected %.17g",
	              g->text, v, g->value);
	v = NAN;
	ck_assert_int_eq(ms__unit_parse(g->text, g->dim, &v, err, sizeof(err)),
	                 0);
	ck_assert_msg(v == g->value, "\"%s\"", g->text);
	ck_assert_str_eq(err, "");
}
END_TEST

struct bad {
	const char *text;
	ms_dim want;
	int rc;
	const char *msg; /* exact message, or a substring when it starts '~' */
};

static const struct bad bad[] = {
    {"20 mV", MS_DIM_TIME, MS_EUNIT,
     "expected a time (e.g. \"20 ms\"), got \"20 mV\""},
    {"20 ms", MS_DIM_VOLTAGE, MS_EUNIT,
     "expected a voltage (e.g. \"-65 mV\"), got \"20 ms\""},
    {"1 MS", MS_DIM_TIME, MS_EUNIT,
     "expected a time (e.g. \"20 ms\"), got \"1 MS\""},
    {"10 nS", MS_DIM_CURRENT, MS_EUNIT, "~expected a current"},
    {"15 Hz", MS_DIM_CAPACITANCE, MS_EUNIT, "~expected a capacitance"},
    {"250 pF", MS_DIM_RATE, MS_EUNIT, "~expected a rate"},
    {"20", MS_DIM_TIME, MS_EUNIT, "~(a number needs its unit)"},
    {"0.5 ms", MS_DIM_NONE, MS_EUNIT,
     "expected a plain number (e.g. \"0.5\"), got \"0.5 ms\""},
    {"20 mx", MS_DIM_TIME, MS_EUNIT, "~(unknown unit;"},
    {"20 m s", MS_DIM_TIME, MS_EUNIT, "~unknown unit"},
    {"20 M", MS_DIM_TIME, MS_EUNIT, "~unknown unit"},
    {"20 msec", MS_DIM_TIME, MS_EUNIT, "~unknown unit"},
    {"20 eV", MS_DIM_VOLTAGE, MS_EUNIT, "~unknown unit"},
    {"", MS_DIM_TIME, MS_EINVAL, "expected a time (e.g. \"20 ms\"), got \"\""},
    {"ms", MS_DIM_TIME, MS_EINVAL, "~got \"ms\""},
    {"abc", MS_DIM_NONE, MS_EINVAL, "~expected a plain number"},
    {"inf ms", MS_DIM_TIME, MS_EINVAL, "~got \"inf ms\""},
    {"nan", MS_DIM_NONE, MS_EINVAL, "~got \"nan\""},
    {"0x10 ms", MS_DIM_TIME, MS_EUNIT, "~unknown unit"},
    {".", MS_DIM_NONE, MS_EINVAL, "~got \".\""},
    {"- 5 mV", MS_DIM_VOLTAGE, MS_EINVAL, "~got \"- 5 mV\""},
    {"1e400 ms", MS_DIM_TIME, MS_EINVAL, "~got \"1e400 ms\""},
    {"1e306 s", MS_DIM_TIME, MS_EINVAL, "~got \"1e306 s\""},
    {"10 kOhm", MS_DIM_CONDUCTANCE, MS_EUNIT,
     "expected a conductance (e.g. \"10 nS\"), got \"10 kOhm\""},
    {"10 nS", MS_DIM_RESISTANCE, MS_EUNIT,
     "expected a resistance (e.g. \"100 kOhm\"), got \"10 nS\""},
    {"100", MS_DIM_RESISTANCE, MS_EUNIT, "~(a number needs its unit)"},
    {"1 ohm", MS_DIM_RESISTANCE, MS_EUNIT, "~unknown unit"},
    /* 10^-24 GOhm is beyond the exact powers of ten */
    {"1 fOhm", MS_DIM_RESISTANCE, MS_EUNIT, "~unknown unit"},
};

START_TEST(units_reject_bad_quantities)
{
	const struct bad *b = &bad[_i];
	double v = 12345.0;
	char err[256] = "";
	int rc;

	rc = ms__unit_parse(b->text, b->want, &v, err, sizeof(err));
	ck_assert_msg(rc == b->rc, "\"%s\": rc %d, expected %d", b->text, rc,
	              b->rc);
	ck_assert_msg(v == 12345.0, "\"%s\": value written on failure",
	              b->text);
	if (b->msg[0] == '~')
		ck_assert_msg(strstr(err, b->msg + 1) != NULL,
		              "\"%s\": message \"%s\" lacks \"%s\"", b->text,
		              err, b->msg + 1);
	else
		ck_assert_str_eq(err, b->msg);
}
END_TEST

START_TEST(units_error_text_is_optional)
{
	double v;

	ck_assert_int_eq(ms__unit_parse("20 mV", MS_DIM_TIME, &v, NULL, 0),
	                 MS_EUNIT);
	ck_assert_int_eq(ms__unit_parse("x", MS_DIM_TIME, &v, NULL, 0),
	                 MS_EINVAL);
	ck_assert_int_eq(ms__unit_parse(NULL, MS_DIM_TIME, &v, NULL, 0),
	                 MS_EINVAL);
}
END_TEST

START_TEST(units_long_message_is_truncated_not_overflowed)
{
	char text[600], err[32];
	double v;

	memset(text, '7', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(ms__unit_parse(text, MS_DIM_TIME, &v, err, 16),
	                 MS_EINVAL);
	ck_assert_uint_eq(strlen(err), 15);
	ck_assert_int_eq(err[16], 'x');
}
END_TEST

START_TEST(units_format_uses_base_unit)
{
	char buf[64];

	ck_assert_str_eq(ms__unit_format(0.1, MS_DIM_TIME, buf, sizeof(buf)),
	                 "0.1 ms");
	ck_assert_str_eq(ms__unit_format(-65, MS_DIM_VOLTAGE, buf, sizeof(buf)),
	                 "-65 mV");
	ck_assert_str_eq(
	    ms__unit_format(1000, MS_DIM_CURRENT, buf, sizeof(buf)), "1000 pA");
	ck_assert_str_eq(ms__unit_format(0.5, MS_DIM_NONE, buf, sizeof(buf)),
	                 "0.5");
	ck_assert_str_eq(
	    ms__unit_format(INFINITY, MS_DIM_RATE, buf, sizeof(buf)), "inf Hz");
	ck_assert_str_eq(
	    ms__unit_format(1e-4, MS_DIM_RESISTANCE, buf, sizeof(buf)),
	    "0.0001 GOhm");
}
END_TEST

START_TEST(units_dimension_names)
{
	ck_assert_str_eq(ms__dim_noun(MS_DIM_TIME), "a time");
	ck_assert_str_eq(ms__dim_noun(MS_DIM_CONDUCTANCE), "a conductance");
	ck_assert_str_eq(ms__dim_noun(MS_DIM_NONE), "a plain number");
	ck_assert_str_eq(ms__dim_example(MS_DIM_TIME), "20 ms");
	ck_assert_str_eq(ms__dim_example(MS_DIM_CAPACITANCE), "250 pF");
	ck_assert_str_eq(ms__dim_noun(MS_DIM_RESISTANCE), "a resistance");
	ck_assert_str_eq(ms__dim_example(MS_DIM_RESISTANCE), "100 kOhm");
	ck_assert_str_eq(ms_dim_unit(MS_DIM_RESISTANCE), "GOhm");
}
END_TEST

static Suite *units_suite(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, units_parse_known_quantities, 0,
	                    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, units_reject_bad_quantities, 0,
	                    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, units_error_text_is_optional);
	tcase_add_test(tc, units_long_message_is_truncated_not_overflowed);
	tcase_add_test(tc, units_format_uses_base_unit);
	tcase_add_test(tc, units_dimension_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(units_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

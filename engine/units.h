/*
 * units — quantities written with units ("20 ms", "-65 mV", "1 nA") turned
 * into the engine's base units (ms, mV, pA, nS, pF, Hz), and back into text
 * for messages. The accepted symbols and prefixes are listed in
 * docs/config.md ("Units").
 */
#ifndef MS_ENGINE_UNITS_H
#define MS_ENGINE_UNITS_H

#include <stddef.h>

#include "memspike/memspike.h"

/* What a dimension is called in messages: "a time", "a voltage", ...,
 * "a plain number" for MS_DIM_NONE. Never NULL. */
const char *ms__dim_noun(ms_dim dim);

/* A typical value of the dimension as users write it ("20 ms"). */
const char *ms__dim_example(ms_dim dim);

/* Parse "<number>[ ]<unit>" or a plain number. On success stores the value
 * in the base unit of the unit's dimension and that dimension (MS_DIM_NONE
 * for a plain number). Returns MS_EINVAL when text is not a number,
 * MS_EUNIT when the unit is unknown, MS_EINVAL when the value overflows. */
int ms__unit_parse_any(const char *text, double *value, ms_dim *dim);

/* Parse text as a quantity of dimension want and store it in base units.
 * A plain number is accepted only for MS_DIM_NONE: "20" for a time is
 * refused because the reader cannot know whether "ms" or "s" was meant.
 * On failure returns MS_EUNIT (wrong, missing or unknown unit) or
 * MS_EINVAL (not a number), and writes into err a message such as
 * 'expected a time (e.g. "20 ms"), got "20 mV"'. err may be NULL. */
int ms__unit_parse(const char *text, ms_dim want, double *value, char *err,
                   size_t errlen);

/* Write value (base units) with its base unit, e.g. "0.1 ms", "-65 mV",
 * "inf ms"; a plain number for MS_DIM_NONE. Returns buf. */
char *ms__unit_format(double value, ms_dim dim, char *buf, size_t len);

/* Check value against a parameter's range. Out of range: MS_EINVAL and,
 * in err, "name = value unit is out of range: expected >= min unit and <=
 * max unit" (">" when the minimum is open), for callers to prefix with
 * their context. */
int ms__param_check(const ms_param_info *pi, double value, char *err,
                    size_t errlen);

#endif

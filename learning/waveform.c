/*
 * waveform — spike waveforms as seen by a memristive device: the shapes,
 * their parameters and range checks, and the one-sided values and slopes
 * that waveform STDP uses to bound the device voltage.
 *
 * s = t - t_spike (ms); every shape is zero outside its support (lo, hi).
 *   "exp" (Zamarreño-Ramos et al. 2011, Front. Neurosci. 5:26, eq. 1):
 *       -T+ < s <= 0:  v = A+ (e^{s/tau+} - e^{-T+/tau+}) / (1 - e^{-T+/tau+})
 *        0 < s < T-:  v = -A- (e^{-s/tau-} - e^{-T-/tau-}) / (1 - e^{-T-/tau-})
 *     The positive lobe rises from 0 at -T+ to A+ at the spike, the negative
 *     tail jumps to -A- and relaxes to 0 at T-; both lobes and their slopes
 *     are monotone.
 *   "rect_ramp" (Serrano-Gotarredona et al. 2013, Front. Neurosci. 7:2):
 *       -T+ < s <= 0:  v = A+;   0 < s < T-:  v = -A- (1 - s/T-)
 *   "table": linear interpolation of user points (s_k, v_k), s strictly
 *       increasing, zero outside [s_0, s_last]; the support is (s_0, s_last).
 * The lobes are evaluated as A+ + c+ (e^{s/tau+} - 1) and
 * -A- - c- (e^{-s/tau-} - 1), c = A / (1 - e^{-T/tau}): the same functions,
 * but exactly A+ and -A- at the spike, so that a spike whose peak equals
 * the device threshold never crosses it by rounding.
 * Breaks (ms__wave_breaks) are -T+, 0, T- for the parametric shapes and the
 * knots of a table: between two breaks v and dv/ds are monotone, which is
 * what ms__wave_eval_side promises.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/units.h"
#include "learning/waveform.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const ms_param_info exp_params[] = {
    {"A_plus", MS_DIM_VOLTAGE, 1000.0, 0.0, 1e9, 0,
     "height of the positive lobe, reached at the spike"},
    {"tau_plus", MS_DIM_TIME, 3.0, 0.0, 1e6, 1,
     "time constant of the rise of the positive lobe"},
    {"T_plus", MS_DIM_TIME, 5.0, 0.0, 1e6, 1,
     "duration of the positive lobe (before the spike)"},
    {"A_minus", MS_DIM_VOLTAGE, 250.0, 0.0, 1e9, 0,
     "depth of the negative tail just after the spike"},
    {"tau_minus", MS_DIM_TIME, 40.0, 0.0, 1e6, 1,
     "time constant of the relaxation of the negative tail"},
    {"T_minus", MS_DIM_TIME, 75.0, 0.0, 1e6, 1,
     "duration of the negative tail (after the spike)"},
};

static const ms_param_info rect_params[] = {
    {"A_plus", MS_DIM_VOLTAGE, 1000.0, 0.0, 1e9, 0,
     "height of the rectangular pulse before the spike"},
    {"T_plus", MS_DIM_TIME, 5.0, 0.0, 1e6, 1,
     "duration of the rectangular pulse"},
    {"A_minus", MS_DIM_VOLTAGE, 250.0, 0.0, 1e9, 0,
     "depth of the ramp just after the spike"},
    {"T_minus", MS_DIM_TIME, 75.0, 0.0, 1e6, 1,
     "duration of the ramp back to 0"},
};

static const char *const shape_names[] = {NULL, "exp", "rect_ramp", "table"};

int ms__wave_shape(const char *name)
{
	for (int k = MS__WAVE_EXP; name && k <= MS__WAVE_TABLE; k++)
		if (strcmp(shape_names[k], name) == 0)
			return k;
	return MS__WAVE_NONE;
}

const ms_param_info *ms__wave_params(int shape, size_t *n)
{
	switch (shape) {
	case MS__WAVE_EXP:
		*n = N_ELEMS(exp_params);
		return exp_params;
	case MS__WAVE_RECT_RAMP:
		*n = N_ELEMS(rect_params);
		return rect_params;
	default:
		*n = 0;
		return NULL;
	}
}

static double *field(ms__waveform *w, const char *name)
{
	if (strcmp(name, "A_plus") == 0)
		return &w->A_plus;
	if (strcmp(name, "tau_plus") == 0)
		return &w->tau_plus;
	if (strcmp(name, "T_plus") == 0)
		return &w->T_plus;
	if (strcmp(name, "A_minus") == 0)
		return &w->A_minus;
	if (strcmp(name, "tau_minus") == 0)
		return &w->tau_minus;
	if (strcmp(name, "T_minus") == 0)
		return &w->T_minus;
	return NULL;
}

/* The range check of one parameter, with the message users see. */
static int check_param(const ms_param_info *pi, double v, char *err,
                       size_t errlen)
{
	char msg[256];

	if (!ms__param_check(pi, v, msg, sizeof(msg)))
		return MS_OK;
	snprintf(err, errlen, "%s (%s)", msg, pi->doc);
	return MS_EINVAL;
}

int ms__wave_set_param(ms__waveform *w, const char *name, double v, char *err,
                       size_t errlen)
{
	size_t n;
	const ms_param_info *pi = ms__wave_params(w->shape, &n);
	char known[128] = "";
	int rc;

	for (size_t k = 0; k < n; k++) {
		if (strcmp(pi[k].name, name) != 0)
			continue;
		if ((rc = check_param(&pi[k], v, err, errlen)))
			return rc;
		*field(w, name) = v;
		return MS_OK;
	}
	for (size_t k = 0; k < n; k++) {
		strncat(known, k ? ", " : "",
		        sizeof(known) - strlen(known) - 1);
		strncat(known, pi[k].name, sizeof(known) - strlen(known) - 1);
	}
	if (w->shape < MS__WAVE_EXP || w->shape > MS__WAVE_TABLE)
		snprintf(err, errlen,
		         "no waveform shape set (shapes: exp, "
		         "rect_ramp, table)");
	else if (w->shape == MS__WAVE_TABLE)
		snprintf(err, errlen,
		         "a \"table\" waveform has no parameter \"%s\" (it is "
		         "given by its points)",
		         name);
	else
		snprintf(err, errlen,
		         "a \"%s\" waveform has no parameter \"%s\" "
		         "(parameters: %s)",
		         shape_names[w->shape], name, known);
	return MS_ENOENT;
}

/* A table's points: at least two, finite, s strictly increasing. */
static int check_table(const double *s, const double *v, size_t n, char *err,
                       size_t errlen)
{
	if (n < 2) {
		snprintf(err, errlen,
		         "table has %zu point%s: expected at least 2 (s_ms, "
		         "v_mV) points",
		         n, n == 1 ? "" : "s");
		return MS_EINVAL;
	}
	if (!s || !v) {
		snprintf(err, errlen, "table: missing s_ms or v_mV values");
		return MS_EINVAL;
	}
	for (size_t k = 0; k < n; k++) {
		if (!isfinite(s[k]) || !isfinite(v[k])) {
			snprintf(
			    err, errlen,
			    "table point %zu = (%g ms, %g mV) is not finite", k,
			    s[k], v[k]);
			return MS_EINVAL;
		}
		if (k && !(s[k] > s[k - 1])) {
			snprintf(err, errlen,
			         "table point %zu: s = %g ms is not greater "
			         "than s = %g ms of point %zu (times must be "
			         "strictly increasing)",
			         k, s[k], s[k - 1], k - 1);
			return MS_EINVAL;
		}
	}
	return MS_OK;
}

int ms__wave_set_table(ms__waveform *w, const double *s_ms, const double *v_mV,
                       size_t n, char *err, size_t errlen)
{
	double *s, *v;
	int rc;

	if ((rc = check_table(s_ms, v_mV, n, err, errlen)))
		return rc;
	s = malloc(n * sizeof(double));
	v = malloc(n * sizeof(double));
	if (!s || !v) {
		free(s);
		free(v);
		snprintf(err, errlen, "out of memory");
		return MS_ENOMEM;
	}
	memcpy(s, s_ms, n * sizeof(double));
	memcpy(v, v_mV, n * sizeof(double));
	free(w->tab_s);
	free(w->tab_v);
	w->tab_s = s;
	w->tab_v = v;
	w->n_tab = n;
	return MS_OK;
}

/*
 * Check every parameter of the shape again (fields may have been written
 * directly) and derive the support, the extremes and the lobe constants.
 * 1 - e^{-T/tau} is taken as -expm1(-T/tau) so that short lobes keep their
 * precision.
 */
int ms__wave_prepare(ms__waveform *w, char *err, size_t errlen)
{
	size_t n;
	const ms_param_info *pi = ms__wave_params(w->shape, &n);
	int rc;

	if (w->shape < MS__WAVE_EXP || w->shape > MS__WAVE_TABLE) {
		snprintf(err, errlen,
		         "no waveform shape set (shapes: exp, "
		         "rect_ramp, table)");
		return MS_EINVAL;
	}
	for (size_t k = 0; k < n; k++)
		if ((rc = check_param(&pi[k], *field(w, pi[k].name), err,
		                      errlen)))
			return rc;
	if (w->shape == MS__WAVE_TABLE) {
		if ((rc = check_table(w->tab_s, w->tab_v, w->n_tab, err,
		                      errlen)))
			return rc;
		w->lo = w->tab_s[0];
		w->hi = w->tab_s[w->n_tab - 1];
		w->vmax = w->vmin = 0.0;
		for (size_t k = 0; k < w->n_tab; k++) {
			w->vmax = fmax(w->vmax, w->tab_v[k]);
			w->vmin = fmin(w->vmin, w->tab_v[k]);
		}
		return MS_OK;
	}
	w->lo = -w->T_plus;
	w->hi = w->T_minus;
	w->vmax = w->A_plus;
	w->vmin = -w->A_minus;
	if (w->shape == MS__WAVE_EXP) {
		w->e_plus = exp(-w->T_plus / w->tau_plus);
		w->e_minus = exp(-w->T_minus / w->tau_minus);
		w->c_plus = w->A_plus / -expm1(-w->T_plus / w->tau_plus);
		w->c_minus = w->A_minus / -expm1(-w->T_minus / w->tau_minus);
	}
	return MS_OK;
}

void ms__wave_free(ms__waveform *w)
{
	free(w->tab_s);
	free(w->tab_v);
	w->tab_s = w->tab_v = NULL;
	w->n_tab = 0;
}

/* Segment k of a table with tab_s[k] <= s < tab_s[k+1] (right) or
 * tab_s[k] < s <= tab_s[k+1] (left); s is inside [s_0, s_last]. */
static size_t segment(const ms__waveform *w, double s, int right)
{
	size_t a = 0, b = w->n_tab - 1;

	while (b - a > 1) {
		size_t m = a + (b - a) / 2;
		if (right ? w->tab_s[m] <= s : w->tab_s[m] < s)
			a = m;
		else
			b = m;
	}
	return a;
}

void ms__wave_eval_side(const ms__waveform *w, double s, int side, double *v,
                        double *dv)
{
	/* The piece the limit is taken in: the one right of s (side > 0) or
	 * left of it (side < 0); the value itself (side 0) belongs to the
	 * piece on its left, as the lobes are closed on the right. */
	int in_plus, in_minus;

	*v = *dv = 0.0;
	if (side > 0) {
		in_plus = s >= w->lo && s < 0.0;
		in_minus = s >= 0.0 && s < w->hi;
	} else {
		in_plus = s > w->lo && s <= 0.0;
		in_minus = s > 0.0 && (side < 0 ? s <= w->hi : s < w->hi);
	}
	switch (w->shape) {
	case MS__WAVE_EXP:
		if (in_plus) {
			double e = expm1(s / w->tau_plus);
			*v = w->A_plus + w->c_plus * e;
			*dv = w->c_plus * (1.0 + e) / w->tau_plus;
		} else if (in_minus) {
			double e = expm1(-s / w->tau_minus);
			*v = -w->A_minus - w->c_minus * e;
			*dv = w->c_minus * (1.0 + e) / w->tau_minus;
		}
		return;
	case MS__WAVE_RECT_RAMP:
		if (in_plus) {
			*v = w->A_plus;
		} else if (in_minus) {
			*v = -w->A_minus * (1.0 - s / w->T_minus);
			*dv = w->A_minus / w->T_minus;
		}
		return;
	case MS__WAVE_TABLE: {
		/* The table is closed: its value at s_0 and s_last is the
		 * end point's. */
		int right = side > 0 || (side == 0 && s < w->hi);
		size_t k;
		if (side > 0   ? !(s >= w->lo && s < w->hi)
		    : side < 0 ? !(s > w->lo && s <= w->hi)
		               : !(s >= w->lo && s <= w->hi))
			return;
		k = segment(w, s, right);
		*dv = (w->tab_v[k + 1] - w->tab_v[k]) /
		      (w->tab_s[k + 1] - w->tab_s[k]);
		*v = w->tab_v[k] + (s - w->tab_s[k]) * *dv;
		return;
	}
	default:
		return;
	}
}

double ms__wave_eval(const ms__waveform *w, double s)
{
	double v, dv;

	if (w->shape == MS__WAVE_EXP) {
		if (!(s > w->lo && s < w->hi))
			return 0.0;
		return s <= 0.0 ? w->A_plus + w->c_plus * expm1(s / w->tau_plus)
		                : -w->A_minus -
		                      w->c_minus * expm1(-s / w->tau_minus);
	}
	ms__wave_eval_side(w, s, 0, &v, &dv);
	return v;
}

size_t ms__wave_breaks(const ms__waveform *w, double *s, size_t max)
{
	size_t n = 0;

	if (w->shape == MS__WAVE_TABLE) {
		for (size_t k = 0; k < w->n_tab && n < max; k++)
			s[n++] = w->tab_s[k];
		return n;
	}
	if (w->shape != MS__WAVE_EXP && w->shape != MS__WAVE_RECT_RAMP)
		return 0;
	if (n < max)
		s[n++] = -w->T_plus;
	if (n < max)
		s[n++] = 0.0;
	if (n < max)
		s[n++] = w->T_minus;
	return n;
}

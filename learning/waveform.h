/*
 * waveform — the action-potential shape a neuron puts on its synapses'
 * devices (internal; docs/synapses.md describes the shapes for users).
 *
 * s = t - t_spike (ms). Shapes, all zero outside (-T_plus, T_minus):
 *   "exp" (Zamarreño-Ramos et al. 2011, Front. Neurosci. 5:26, eq. 1):
 *       -T+ < s <= 0:  A+ (e^{s/tau+} - e^{-T+/tau+}) / (1 - e^{-T+/tau+})
 *        0 < s < T-:  -A- (e^{-s/tau-} - e^{-T-/tau-}) / (1 - e^{-T-/tau-})
 *   "rect_ramp": A+ on (-T+, 0], then a linear ramp from -A- at 0+ back to
 *       0 at T- (the rectangular-plus-ramp spikes of Serrano-Gotarredona et
 *       al. 2013).
 *   "table": linear interpolation of (s_k, v_k) points given by the user,
 *       s strictly increasing, zero outside [s_0, s_last].
 * Amplitudes are voltages (mV internally; configs may say "1 V").
 */
#ifndef MS_LEARNING_WAVEFORM_H
#define MS_LEARNING_WAVEFORM_H

#include <stddef.h>

#include "memspike/memspike.h"

enum { MS__WAVE_NONE = 0, MS__WAVE_EXP, MS__WAVE_RECT_RAMP, MS__WAVE_TABLE };

typedef struct ms__waveform {
	int shape;                          /* MS__WAVE_* */
	double A_plus, tau_plus, T_plus;    /* mV, ms, ms */
	double A_minus, tau_minus, T_minus; /* mV, ms, ms */
	double *tab_s, *tab_v;              /* "table": n_tab points */
	size_t n_tab;
	/* derived at ms__wave_prepare */
	double lo, hi;     /* support: v(s) = 0 outside (lo, hi) */
	double vmax, vmin; /* max and min of v over s (vmin <= 0 <= vmax) */
	double e_plus, e_minus; /* e^{-T+/tau+}, e^{-T-/tau-} */
	double c_plus, c_minus; /* "exp": A+/(1 - e_plus), A-/(1 - e_minus) */
} ms__waveform;

/* Shape names and their parameter tables (A_plus, tau_plus, T_plus,
 * A_minus, tau_minus, T_minus; "rect_ramp" has no taus). */
int ms__wave_shape(const char *name);
const ms_param_info *ms__wave_params(int shape, size_t *n);

/* Set a parameter by name (base units) with a range check; message in err.
 */
int ms__wave_set_param(ms__waveform *w, const char *name, double v, char *err,
                       size_t errlen);
/* Copy a tabulated shape (s strictly increasing, at least 2 points, all
 * finite). */
int ms__wave_set_table(ms__waveform *w, const double *s_ms, const double *v_mV,
                       size_t n, char *err, size_t errlen);
/* Validate (T+ > 0, T- > 0, tau > 0, ...) and compute the derived fields.
 */
int ms__wave_prepare(ms__waveform *w, char *err, size_t errlen);
void ms__wave_free(ms__waveform *w);

/* v(s), mV. */
double ms__wave_eval(const ms__waveform *w, double s);

/* v and dv/ds (mV/ms) at s as limits from the right (side > 0) or from the
 * left (side < 0); side 0 gives v(s) itself. Every shape is built so that
 * between two consecutive breaks both v and dv/ds are monotone: their
 * ranges over such a piece are spanned by the one-sided values at its ends
 * (waveform STDP bounds the device voltage this way). */
void ms__wave_eval_side(const ms__waveform *w, double s, int side, double *v,
                        double *dv);

/* Points inside [lo, hi] where v or its derivative is not smooth (the
 * support ends, 0, table knots), in increasing order; returns how many were
 * written (at most max). Quadrature splits its intervals there. */
size_t ms__wave_breaks(const ms__waveform *w, double *s, size_t max);

#endif

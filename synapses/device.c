/*
 * device — memristive device models, conductance mapping and
 * non-idealities (synapses/device.h; docs/synapses.md for users).
 *
 * Conventions. The state w lies in [0, 1], 1 being the most conductive
 * state; V is the voltage across the device in mV and V > 0 potentiates
 * (moves w up). Continuous laws are written dw/dt = g(V) F(w, sign V) with
 * g in 1/ms: a rate configured in Hz is used as Hz * 1e-3 per ms, and a law
 * stated in volts takes V/1000.
 *
 * Windows (state part F; option "window"):
 *   none         F = 1
 *   joglekar     F = 1 - (2w - 1)^{2p}
 *                Joglekar & Wolf 2009, Eur. J. Phys. 30:661
 *   biolek       F = 1 - (w - stp(-V))^{2p}, stp(x) = 1 for x >= 0, else 0
 *                Biolek, Biolek & Biolkova 2009, Radioengineering 18:210
 *   prodromakis  F = j (1 - ((w - 1/2)^2 + 3/4)^p)
 *                Prodromakis et al. 2011, IEEE Trans. Electron Dev. 58:3099
 * x^{2p} is computed as |x|^{2p}: the same for the papers' integer p.
 *
 * Laws:
 *   sinh             g = A sinh(V/V0) for |V| > V_th, else 0 (the issue's
 *                    A sinh(B V) with V0 = 1/B). A sinh voltage dependence
 *                    of the ionic drift: Strukov & Williams 2009, Appl.
 *                    Phys. A 94:515.
 *   exp_threshold    g = I0 sign(V) (e^{|V|/V0} - e^{V_th/V0}) for
 *                    |V| > V_th, else 0; Linares-Barranco & Serrano-
 *                    Gotarredona 2009, Nature Precedings
 *                    hdl:10101/npre.2009.3010.1; Zamarreno-Ramos et al.
 *                    2011, Front. Neurosci. 5:26. Evaluated as
 *                    I0 e^{V_th/V0} expm1((|V| - V_th)/V0) so that it is
 *                    accurate just above the threshold.
 *   hp               linear ion drift, Strukov et al. 2008, Nature 453:80:
 *                    dw/dt = mu_v R_on / D^2 i(t), i = V / R(w),
 *                    R(w) = R_on w + R_off (1 - w); separably
 *                    g = mu_v V / D^2, F = R_on / R(w) * window.
 *   nonlinear_drift  dw/dt = a f(w) V^m, m odd (Lehtonen & Laiho 2009,
 *                    Proc. NANOARCH'09, 33; after Yang et al. 2008, Nature
 *                    Nanotech. 3:429): g = a (V / 1 V)^m, F = window. The
 *                    current i = w^n beta sinh(alpha V) + chi (e^{gamma V}
 *                    - 1) is ms__device_current_nld().
 *   vteam            Kvatinsky et al. 2015, IEEE TCAS-II 62:786. The paper's
 *                    state x grows towards OFF: dx/dt = k_off (v/v_off -
 *                    1)^a_off f_off for v > v_off > 0, k_on (v/v_on -
 *                    1)^a_on f_on for v < v_on < 0 (k_on < 0 < k_off), else
 *                    0. Here the device is connected the other way round
 *                    (V = -v) and w = 1 - x_n (x_n = x normalised to
 *                    [0, 1], k normalised accordingly, in Hz), so the
 *                    parameters keep the paper's values and signs while
 *                    V > 0 potentiates:
 *                      g = -k_on  (V/|V_on| - 1)^alpha_on    V > -V_on
 *                      g = -k_off (-V/V_off - 1)^alpha_off   V < -V_off
 *                    i.e. the paper's ON switching is potentiation above
 *                    |V_on|, its OFF switching depression below -V_off.
 *                    The window (f_on = f_off) acts on w.
 *   pulse_exp        Querlioz et al. 2013, IEEE Trans. Nanotech. 12:288,
 *                    one step per pulse, w = (g - g_min)/(g_max - g_min):
 *                      dw+ = alpha_p e^{-beta_p w},
 *                      dw- = -alpha_m e^{-beta_m (1 - w)}.
 *
 * Non-idealities, in the order ms__device_update applies them: retention
 * w(t) = w_rest + (w - w_rest) e^{-(t - t_last)/tau} since the last update;
 * cycle-to-cycle noise dw (1 + c2c_sigma N); bounds [0, 1]; levels
 * (conductances equally spaced between G_min and G_max, nearest or
 * stochastic rounding); stuck devices never change. Reads add
 * G (1 + read_sigma N), clamped at 0. Device-to-device spread multiplies
 * each law parameter by 1 + sigma N (normal) or
 * e^{s N - s^2/2}, s^2 = ln(1 + sigma^2) (log-normal: mean 1, relative SD
 * exactly sigma); a device whose draw changes a parameter's sign, leaves
 * its range or fails the model's check is drawn again.
 */
#include "synapses/device.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "engine/units.h"

#define N_ELEMS(a)  (sizeof(a) / sizeof((a)[0]))
#define MAX_REDRAWS 1000
/* Seek blocks of the device stream (seed, device, owner, synapse). */
#define BLOCK_PARAMS 0
#define BLOCK_STUCK  ((uint64_t)1 << 40)
#define BLOCK_INIT   ((uint64_t)2 << 40)
/* Kind of the noise stream used by reads (updates use 0 and 1). */
#define KIND_READ 2

static void msg(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void msg(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* Windows                                                                  */

enum { WIN_NONE, WIN_JOGLEKAR, WIN_BIOLEK, WIN_PRODROMAKIS };

static const char *const window_values[] = {"none", "joglekar", "biolek",
                                            "prodromakis", NULL};
static const char *const vteam_window_values[] = {"none", "joglekar", "biolek",
                                                  NULL};
static const char *const window_opt_names[] = {"window"};
static const char *const *const window_opts[] = {window_values};
static const char *const *const vteam_opts[] = {vteam_window_values};

/* F(w, sign V) of window kind (WIN_*) with exponent p and scale j; 1 for
 * WIN_NONE. Non-negative for w in [0, 1]. */
static double window(int kind, double p, double j, double w, int sign)
{
	switch (kind) {
	case WIN_JOGLEKAR:
		return 1.0 - pow(fabs(2.0 * w - 1.0), 2.0 * p);
	case WIN_BIOLEK:
		return 1.0 - pow(fabs(w - (sign < 0 ? 1.0 : 0.0)), 2.0 * p);
	case WIN_PRODROMAKIS:
		return j * (1.0 - pow((w - 0.5) * (w - 0.5) + 0.75, p));
	}
	return 1.0;
}

/* F_is_one of the models whose F is window(opt[0], ...) alone. */
static int no_window(const int *opt)
{
	return opt[0] == WIN_NONE;
}

static void no_band(const double *p, const int *opt, double *lo, double *hi)
{
	(void)p;
	(void)opt;
	*lo = 0.0;
	*hi = 0.0;
}

static int no_check(const double *p, const int *opt, char *err, size_t len)
{
	(void)p;
	(void)opt;
	(void)err;
	(void)len;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* sinh                                                                     */

enum { SH_A, SH_V0, SH_VTH, SH_P, SH_J };

/* V0 = 1/7 V and V_th = 1 V: Zamarreno-Ramos et al. 2011 (normalised
 * units read as volts). */
#define V0_ZAMARRENO (1000.0 / 7.0)

static const ms_param_info sinh_params[] = {
    {"A", MS_DIM_RATE, 1.0, 0.0, 1e15, 1,
     "rate scale: dw/dt = A sinh(V/V0) outside the threshold band"},
    {"V0", MS_DIM_VOLTAGE, V0_ZAMARRENO, 0.0, 1e6, 1,
     "voltage scale, 1/B of A sinh(B V)"},
    {"V_th", MS_DIM_VOLTAGE, 0.0, 0.0, 1e6, 0,
     "switching threshold: no change for |V| <= V_th (0: none)"},
    {"p", MS_DIM_NONE, 1.0, 0.0, 100.0, 1,
     "window exponent (an integer in the papers)"},
    {"j", MS_DIM_NONE, 1.0, 0.0, 1e6, 1, "scale of the Prodromakis window"},
};

static double sinh_g(const double *p, const int *opt, double V)
{
	(void)opt;
	if (fabs(V) <= p[SH_VTH])
		return 0.0;
	return p[SH_A] * 1e-3 * sinh(V / p[SH_V0]);
}

static double sinh_F(const double *p, const int *opt, double w, int sign)
{
	return window(opt[0], p[SH_P], p[SH_J], w, sign);
}

static void sinh_band(const double *p, const int *opt, double *lo, double *hi)
{
	(void)opt;
	*lo = -p[SH_VTH];
	*hi = p[SH_VTH];
}

static const ms__device_model sinh_model = {
    .name = "sinh",
    .doc = "dw/dt = A sinh(V/V0) for |V| > V_th (Strukov & Williams 2009)",
    .params = sinh_params,
    .n_params = N_ELEMS(sinh_params),
    .opt_names = window_opt_names,
    .opt_values = window_opts,
    .n_opts = 1,
    .check = no_check,
    .g = sinh_g,
    .F = sinh_F,
    .F_is_one = no_window,
    .band = sinh_band,
    .no_spread = 1u << SH_P,
};

/* ------------------------------------------------------------------------ */
/* exp_threshold                                                            */

enum { EX_I0, EX_V0, EX_VTH, EX_P, EX_J };

static const ms_param_info exp_params[] = {
    {"I0", MS_DIM_RATE, 1.0, 0.0, 1e15, 1,
     "rate scale (the curves of the sources are normalised)"},
    {"V0", MS_DIM_VOLTAGE, V0_ZAMARRENO, 0.0, 1e6, 1,
     "voltage scale of the exponential (1/7 V in Zamarreno-Ramos 2011)"},
    {"V_th", MS_DIM_VOLTAGE, 1000.0, 0.0, 1e6, 0,
     "switching threshold (1 V in Zamarreno-Ramos 2011)"},
    {"p", MS_DIM_NONE, 1.0, 0.0, 100.0, 1,
     "window exponent (an integer in the papers)"},
    {"j", MS_DIM_NONE, 1.0, 0.0, 1e6, 1, "scale of the Prodromakis window"},
};

static double exp_g(const double *p, const int *opt, double V)
{
	double a = fabs(V), r;

	(void)opt;
	if (a <= p[EX_VTH])
		return 0.0;
	r = p[EX_I0] * 1e-3 * exp(p[EX_VTH] / p[EX_V0]) *
	    expm1((a - p[EX_VTH]) / p[EX_V0]);
	return V > 0 ? r : -r;
}

static double exp_F(const double *p, const int *opt, double w, int sign)
{
	return window(opt[0], p[EX_P], p[EX_J], w, sign);
}

static void exp_band(const double *p, const int *opt, double *lo, double *hi)
{
	(void)opt;
	*lo = -p[EX_VTH];
	*hi = p[EX_VTH];
}

static const ms__device_model exp_model = {
    .name = "exp_threshold",
    .doc = "dw/dt = I0 sign(V) (e^{|V|/V0} - e^{V_th/V0}) for |V| > V_th "
           "(Linares-Barranco & Serrano-Gotarredona 2009; Zamarreno-Ramos "
           "et al. 2011)",
    .params = exp_params,
    .n_params = N_ELEMS(exp_params),
    .opt_names = window_opt_names,
    .opt_values = window_opts,
    .n_opts = 1,
    .check = no_check,
    .g = exp_g,
    .F = exp_F,
    .F_is_one = no_window,
    .band = exp_band,
    .no_spread = 1u << EX_P,
};

/* ------------------------------------------------------------------------ */
/* hp (linear ion drift)                                                    */

enum { HP_MU, HP_D, HP_RON, HP_ROFF, HP_P, HP_J };

/* Strukov et al. 2008 (Fig. 2: D = 10 nm, mu_v = 1e-10 cm^2/(V s),
 * R_off/R_on = 160) with R_on = 100 Ohm as in Biolek et al. 2009. */
static const ms_param_info hp_params[] = {
    {"mu_v", MS_DIM_NONE, 1e-14, 0.0, 1.0, 1, "dopant mobility, m^2 s^-1 V^-1"},
    {"D", MS_DIM_NONE, 1e-8, 0.0, 1.0, 1, "film thickness, m"},
    {"R_on", MS_DIM_RESISTANCE, 1e-7, 0.0, 1e12, 1,
     "resistance when fully doped (w = 1)"},
    {"R_off", MS_DIM_RESISTANCE, 1.6e-5, 0.0, 1e12, 1,
     "resistance when undoped (w = 0)"},
    {"p", MS_DIM_NONE, 1.0, 0.0, 100.0, 1,
     "window exponent (an integer in the papers)"},
    {"j", MS_DIM_NONE, 1.0, 0.0, 1e6, 1, "scale of the Prodromakis window"},
};

static double hp_g(const double *p, const int *opt, double V)
{
	(void)opt;
	/* mu_v / D^2 in 1/(V s); V/1000 in V, 1e-3 s per ms. */
	return p[HP_MU] / (p[HP_D] * p[HP_D]) * V * 1e-6;
}

static double hp_F(const double *p, const int *opt, double w, int sign)
{
	double R = p[HP_RON] * w + p[HP_ROFF] * (1.0 - w);

	return p[HP_RON] / R * window(opt[0], p[HP_P], p[HP_J], w, sign);
}

static int hp_check(const double *p, const int *opt, char *err, size_t len)
{
	(void)opt;
	if (p[HP_RON] < p[HP_ROFF])
		return 0;
	msg(err, len,
	    "R_on (%g GOhm) must be less than R_off (%g GOhm): R_on is the "
	    "resistance of the conducting state",
	    p[HP_RON], p[HP_ROFF]);
	return MS_EINVAL;
}

static const ms__device_model hp_model = {
    .name = "hp",
    .doc = "linear ion drift dw/dt = mu_v R_on/D^2 V/R(w) (Strukov et al. "
           "2008)",
    .params = hp_params,
    .n_params = N_ELEMS(hp_params),
    .opt_names = window_opt_names,
    .opt_values = window_opts,
    .n_opts = 1,
    .check = hp_check,
    .g = hp_g,
    .F = hp_F,
    .band = no_band,
    .no_spread = 1u << HP_P,
};

/* ------------------------------------------------------------------------ */
/* nonlinear_drift                                                          */

enum { NL_A, NL_M, NL_P, NL_J, NL_N, NL_BETA, NL_ALPHA, NL_CHI, NL_GAMMA };

/* The SPICE model of Lehtonen & Laiho 2010 (CNNA'10, "CNN using memristors
 * for neighborhood connections"): m = 13, n = 4, alpha = 2/V, gamma = 4/V,
 * beta = 9 x 10 nA, chi = 0.01 x 10 nA, state capacitance 80 uF, i.e.
 * a = 1/80e-6 = 12500 V^-m s^-1; Joglekar window with p = 1. */
static const ms_param_info nld_params[] = {
    {"a", MS_DIM_RATE, 12500.0, 0.0, 1e15, 1,
     "rate at |V| = 1 V (a of the paper, V^-m s^-1)"},
    {"m", MS_DIM_NONE, 13.0, 1.0, 99.0, 0,
     "voltage exponent, an odd whole number"},
    {"p", MS_DIM_NONE, 1.0, 0.0, 100.0, 1, "window exponent"},
    {"j", MS_DIM_NONE, 1.0, 0.0, 1e6, 1, "scale of the Prodromakis window"},
    {"n", MS_DIM_NONE, 4.0, 0.0, 100.0, 0, "state exponent of the current"},
    {"beta", MS_DIM_CURRENT, 9e4, 0.0, 1e15, 0,
     "current scale of the sinh term"},
    {"alpha", MS_DIM_NONE, 2.0, 0.0, 1e3, 0,
     "voltage factor of the sinh term, per volt"},
    {"chi", MS_DIM_CURRENT, 100.0, 0.0, 1e15, 0,
     "current scale of the exponential term"},
    {"gamma", MS_DIM_NONE, 4.0, 0.0, 1e3, 0,
     "voltage factor of the exponential term, per volt"},
};

static double nld_g(const double *p, const int *opt, double V)
{
	(void)opt;
	return p[NL_A] * 1e-3 * pow(V * 1e-3, p[NL_M]);
}

static double nld_F(const double *p, const int *opt, double w, int sign)
{
	return window(opt[0], p[NL_P], p[NL_J], w, sign);
}

static int nld_check(const double *p, const int *opt, char *err, size_t len)
{
	double m = p[NL_M];

	(void)opt;
	if (m == floor(m) && fmod(m, 2.0) == 1.0)
		return 0;
	msg(err, len,
	    "m: expected an odd whole number (the rate must change sign with "
	    "V), got %g",
	    m);
	return MS_EINVAL;
}

double ms__device_current_nld(const double *p, double V_mV, double w)
{
	double V = V_mV * 1e-3;

	return pow(w, p[NL_N]) * p[NL_BETA] * sinh(p[NL_ALPHA] * V) +
	       p[NL_CHI] * expm1(p[NL_GAMMA] * V);
}

static const ms__device_model nld_model = {
    .name = "nonlinear_drift",
    .doc = "dw/dt = a f(w) V^m, m odd (Lehtonen & Laiho 2009; Yang et al. "
           "2008)",
    .params = nld_params,
    .n_params = N_ELEMS(nld_params),
    .opt_names = window_opt_names,
    .opt_values = window_opts,
    .n_opts = 1,
    .check = nld_check,
    .g = nld_g,
    .F = nld_F,
    .F_is_one = no_window,
    .band = no_band,
    .no_spread = 1u << NL_M | 1u << NL_P | 1u << NL_N,
};

/* ------------------------------------------------------------------------ */
/* vteam                                                                    */

enum { VT_KON, VT_KOFF, VT_AON, VT_AOFF, VT_VON, VT_VOFF, VT_P };

/* VTEAM parameter set of MemTorch (Lammie et al. 2022) for Kvatinsky et
 * al. 2015: k_on = -10 m/s, k_off = 5e-4 m/s over D = 3 nm, alpha_on = 3,
 * alpha_off = 1, v_on = -0.2 V, v_off = 0.02 V. */
static const ms_param_info vteam_params[] = {
    {"k_on", MS_DIM_RATE, -10.0 / 3e-9, -1e15, 0.0, 0,
     "ON switching rate (< 0, the paper's sign; potentiation here)"},
    {"k_off", MS_DIM_RATE, 5e-4 / 3e-9, 0.0, 1e15, 1,
     "OFF switching rate (> 0; depression here)"},
    {"alpha_on", MS_DIM_NONE, 3.0, 0.0, 100.0, 1, "ON exponent"},
    {"alpha_off", MS_DIM_NONE, 1.0, 0.0, 100.0, 1, "OFF exponent"},
    {"V_on", MS_DIM_VOLTAGE, -200.0, -1e6, 0.0, 0,
     "ON threshold (< 0, the paper's sign): potentiation for V > |V_on|"},
    {"V_off", MS_DIM_VOLTAGE, 20.0, 0.0, 1e6, 1,
     "OFF threshold (> 0): depression for V < -V_off"},
    {"p", MS_DIM_NONE, 1.0, 0.0, 100.0, 1, "window exponent"},
};

static double vteam_g(const double *p, const int *opt, double V)
{
	(void)opt;
	if (V > -p[VT_VON])
		return -p[VT_KON] * 1e-3 * pow(V / -p[VT_VON] - 1.0, p[VT_AON]);
	if (V < -p[VT_VOFF])
		return -p[VT_KOFF] * 1e-3 *
		       pow(-V / p[VT_VOFF] - 1.0, p[VT_AOFF]);
	return 0.0;
}

static double vteam_F(const double *p, const int *opt, double w, int sign)
{
	return window(opt[0], p[VT_P], 1.0, w, sign);
}

static void vteam_band(const double *p, const int *opt, double *lo, double *hi)
{
	(void)opt;
	*lo = -p[VT_VOFF];
	*hi = -p[VT_VON];
}

static int vteam_check(const double *p, const int *opt, char *err, size_t len)
{
	(void)opt;
	if (!(p[VT_VON] < 0.0)) {
		msg(err, len, "V_on: expected a voltage < 0 mV, got %g mV",
		    p[VT_VON]);
		return MS_EINVAL;
	}
	if (!(p[VT_VOFF] > 0.0)) {
		msg(err, len, "V_off: expected a voltage > 0 mV, got %g mV",
		    p[VT_VOFF]);
		return MS_EINVAL;
	}
	if (!(p[VT_KON] < 0.0)) {
		msg(err, len,
		    "k_on: expected a rate < 0 Hz (the paper's sign), got %g "
		    "Hz",
		    p[VT_KON]);
		return MS_EINVAL;
	}
	if (!(p[VT_KOFF] > 0.0)) {
		msg(err, len, "k_off: expected a rate > 0 Hz, got %g Hz",
		    p[VT_KOFF]);
		return MS_EINVAL;
	}
	return 0;
}

static const ms__device_model vteam_model = {
    .name = "vteam",
    .doc = "voltage thresholds V_on < 0 < V_off, rates k_on, k_off "
           "(Kvatinsky et al. 2015)",
    .params = vteam_params,
    .n_params = N_ELEMS(vteam_params),
    .opt_names = window_opt_names,
    .opt_values = vteam_opts,
    .n_opts = 1,
    .check = vteam_check,
    .g = vteam_g,
    .F = vteam_F,
    .F_is_one = no_window,
    .band = vteam_band,
    .no_spread = 1u << VT_P,
};

/* ------------------------------------------------------------------------ */
/* pulse_exp                                                                */

enum { PE_AP, PE_BP, PE_AM, PE_BM };

/* Querlioz et al. 2013 (conductances normalised to g_max = 1, so the
 * steps are fractions of the range). */
static const ms_param_info pulse_params[] = {
    {"alpha_p", MS_DIM_NONE, 1e-2, 0.0, 1.0, 1,
     "potentiation step at w = 0, fraction of G_max - G_min"},
    {"beta_p", MS_DIM_NONE, 3.0, 0.0, 100.0, 0,
     "decay of the potentiation step with w"},
    {"alpha_m", MS_DIM_NONE, 5e-3, 0.0, 1.0, 1,
     "depression step at w = 1, fraction of G_max - G_min"},
    {"beta_m", MS_DIM_NONE, 3.0, 0.0, 100.0, 0,
     "decay of the depression step with 1 - w"},
};

static double pulse_dw(const double *p, const int *opt, double w, int sign)
{
	(void)opt;
	if (sign > 0)
		return p[PE_AP] * exp(-p[PE_BP] * w);
	return -p[PE_AM] * exp(-p[PE_BM] * (1.0 - w));
}

static const ms__device_model pulse_model = {
    .name = "pulse_exp",
    .doc = "dw = alpha_p e^{-beta_p w} or -alpha_m e^{-beta_m (1 - w)} per "
           "pulse (Querlioz et al. 2013)",
    .params = pulse_params,
    .n_params = N_ELEMS(pulse_params),
    .is_pulse = 1,
    .check = no_check,
    .pulse_dw = pulse_dw,
};

/* ------------------------------------------------------------------------ */
/* Registry                                                                 */

static const ms__device_model *const models[] = {
    &sinh_model, &exp_model, &hp_model, &nld_model, &vteam_model, &pulse_model,
};

const ms__device_model *ms__device_lookup(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < N_ELEMS(models); i++)
		if (strcmp(models[i]->name, name) == 0)
			return models[i];
	return NULL;
}

const char *ms__device_names(void)
{
	return "sinh, exp_threshold, hp, nonlinear_drift, vteam, pulse_exp";
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */

enum {
	C_G_MIN,
	C_G_MAX,
	C_W_INIT,
	C_W_INIT_LO,
	C_W_INIT_HI,
	C_D2D,
	C_C2C,
	C_LEVELS,
	C_STUCK_MIN,
	C_STUCK_MAX,
	C_RET_TAU,
	C_W_REST,
	C_READ
};

static const ms_param_info common_params[] = {
    {"G_min", MS_DIM_CONDUCTANCE, 0.0, 0.0, 1e12, 0,
     "conductance at w = 0 (> 0 for the linear_R mapping)"},
    {"G_max", MS_DIM_CONDUCTANCE, 1.0, 0.0, 1e12, 1, "conductance at w = 1"},
    {"w_init", MS_DIM_NONE, 0.5, 0.0, 1.0, 0,
     "initial state of every device (sets w_init_lo = w_init_hi)"},
    {"w_init_lo", MS_DIM_NONE, 0.5, 0.0, 1.0, 0,
     "initial states uniform in [w_init_lo, w_init_hi]"},
    {"w_init_hi", MS_DIM_NONE, 0.5, 0.0, 1.0, 0,
     "upper end of the initial states"},
    {"d2d_sigma", MS_DIM_NONE, 0.0, 0.0, 10.0, 0,
     "device-to-device relative SD of every law parameter"},
    {"c2c_sigma", MS_DIM_NONE, 0.0, 0.0, 10.0, 0,
     "cycle-to-cycle relative SD of each change of w"},
    {"levels", MS_DIM_NONE, 0.0, 0.0, 4294967295.0, 0,
     "number of conductance levels, a whole number >= 2 (0: continuous)"},
    {"stuck_min", MS_DIM_NONE, 0.0, 0.0, 1.0, 0,
     "fraction of devices stuck at G_min"},
    {"stuck_max", MS_DIM_NONE, 0.0, 0.0, 1.0, 0,
     "fraction of devices stuck at G_max"},
    {"retention_tau", MS_DIM_TIME, INFINITY, 0.0, INFINITY, 1,
     "time constant of the relaxation of w to w_rest (inf: none)"},
    {"w_rest", MS_DIM_NONE, 0.0, 0.0, 1.0, 0, "state the devices relax to"},
    {"read_sigma", MS_DIM_NONE, 0.0, 0.0, 10.0, 0,
     "relative SD of each read of G"},
};

const ms_param_info *ms__device_common_params(size_t *n)
{
	if (n)
		*n = N_ELEMS(common_params);
	return common_params;
}

static double common_get(const ms__device_cfg *c, int k)
{
	switch (k) {
	case C_G_MIN:
		return c->G_min;
	case C_G_MAX:
		return c->G_max;
	case C_W_INIT:
	case C_W_INIT_LO:
		return c->w_init_lo;
	case C_W_INIT_HI:
		return c->w_init_hi;
	case C_D2D:
		return c->d2d_sigma;
	case C_C2C:
		return c->c2c_sigma;
	case C_LEVELS:
		return c->levels;
	case C_STUCK_MIN:
		return c->stuck_min;
	case C_STUCK_MAX:
		return c->stuck_max;
	case C_RET_TAU:
		return c->retention_tau_ms;
	case C_W_REST:
		return c->w_rest;
	case C_READ:
		return c->read_sigma;
	}
	return NAN;
}

static void common_set(ms__device_cfg *c, int k, double v)
{
	switch (k) {
	case C_G_MIN:
		c->G_min = v;
		break;
	case C_G_MAX:
		c->G_max = v;
		break;
	case C_W_INIT:
		c->w_init_lo = c->w_init_hi = v;
		break;
	case C_W_INIT_LO:
		c->w_init_lo = v;
		break;
	case C_W_INIT_HI:
		c->w_init_hi = v;
		break;
	case C_D2D:
		c->d2d_sigma = v;
		break;
	case C_C2C:
		c->c2c_sigma = v;
		break;
	case C_LEVELS:
		c->levels = (uint32_t)v;
		break;
	case C_STUCK_MIN:
		c->stuck_min = v;
		break;
	case C_STUCK_MAX:
		c->stuck_max = v;
		break;
	case C_RET_TAU:
		c->retention_tau_ms = v;
		break;
	case C_W_REST:
		c->w_rest = v;
		break;
	case C_READ:
		c->read_sigma = v;
		break;
	}
}

void ms__device_cfg_init(ms__device_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->m = NULL;
	c->map = MS__MAP_LINEAR_G;
	c->d2d_dist = MS__SPREAD_NORMAL;
	c->rounding = MS__ROUND_NEAREST;
	for (size_t k = 0; k < N_ELEMS(common_params); k++)
		common_set(c, (int)k, common_params[k].def);
}

void ms__device_cfg_set_model(ms__device_cfg *c, const ms__device_model *m)
{
	c->m = m;
	memset(c->p, 0, sizeof(c->p));
	memset(c->opt, 0, sizeof(c->opt));
	if (m == NULL)
		return;
	for (size_t k = 0; k < m->n_params && k < MS__DEV_MAX_PARAMS; k++)
		c->p[k] = m->params[k].def;
}

static int find_param(const ms_param_info *t, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(t[k].name, name) == 0)
			return (int)k;
	return -1;
}

static int in_range(const ms_param_info *pi, double v)
{
	if (isnan(v))
		return 0;
	return (pi->min_open ? v > pi->min : v >= pi->min) && v <= pi->max;
}

/* "expected a time > 0 ms, got -1 ms" for a value outside pi's range. */
static int range_error(const ms_param_info *pi, double v, char *err, size_t len)
{
	char a[64], b[64], x[64];

	ms__unit_format(pi->min, pi->dim, a, sizeof(a));
	ms__unit_format(pi->max, pi->dim, b, sizeof(b));
	ms__unit_format(v, pi->dim, x, sizeof(x));
	if (isinf(pi->max))
		msg(err, len, "%s: expected %s %s %s, got %s", pi->name,
		    ms__dim_noun(pi->dim), pi->min_open ? ">" : ">=", a, x);
	else
		msg(err, len, "%s: expected %s in %c%s, %s], got %s", pi->name,
		    ms__dim_noun(pi->dim), pi->min_open ? '(' : '[', a, b, x);
	return MS_EINVAL;
}

/* Rules of one common parameter beyond its range. */
static int common_rule(const ms__device_cfg *c, int k, double v, char *err,
                       size_t len)
{
	if (k == C_LEVELS && (v != floor(v) || v == 1.0)) {
		msg(err, len,
		    "levels: expected a whole number >= 2 (or 0: continuous), "
		    "got %g",
		    v);
		return MS_EINVAL;
	}
	if ((k == C_STUCK_MIN && v + c->stuck_max > 1.0) ||
	    (k == C_STUCK_MAX && v + c->stuck_min > 1.0)) {
		msg(err, len,
		    "%s: stuck_min + stuck_max must be <= 1, got %g + %g",
		    common_params[k].name, k == C_STUCK_MIN ? v : c->stuck_min,
		    k == C_STUCK_MAX ? v : c->stuck_max);
		return MS_EINVAL;
	}
	return 0;
}

/* Comma-separated names of a table, for messages. */
static void list_names(char *buf, size_t len, const ms_param_info *t, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n && used < len; k++) {
		int w = snprintf(buf + used, len - used, "%s%s", k ? ", " : "",
		                 t[k].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int ms__device_set_param(ms__device_cfg *c, const char *name, double v,
                         char *err, size_t errlen)
{
	const ms__device_model *m = c->m;
	char law[256] = "", common[256];
	int k, rc;

	if (name == NULL)
		name = "";
	if (m && (k = find_param(m->params, m->n_params, name)) >= 0) {
		if (!in_range(&m->params[k], v))
			return range_error(&m->params[k], v, err, errlen);
		c->p[k] = v;
		return 0;
	}
	k = find_param(common_params, N_ELEMS(common_params), name);
	if (k >= 0) {
		if (!in_range(&common_params[k], v))
			return range_error(&common_params[k], v, err, errlen);
		rc = common_rule(c, k, v, err, errlen);
		if (rc)
			return rc;
		common_set(c, k, v);
		return 0;
	}
	if (m)
		list_names(law, sizeof(law), m->params, m->n_params);
	list_names(common, sizeof(common), common_params,
	           N_ELEMS(common_params));
	msg(err, errlen,
	    "unknown device parameter \"%s\"%s%s; expected one of: %s%s%s",
	    name, m ? " for model " : " (no device model set)",
	    m ? m->name : "", law, *law ? ", " : "", common);
	return MS_ENOENT;
}

static const char *const mapping_values[] = {"linear_G", "linear_R", NULL};
static const char *const dist_values[] = {"normal", "lognormal", NULL};
static const char *const rounding_values[] = {"nearest", "stochastic", NULL};

static int value_index(const char *const *values, const char *v)
{
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return -1;
}

static int bad_value(const char *name, const char *const *values, const char *v,
                     char *err, size_t len)
{
	char list[256];
	size_t used = 0;

	list[0] = '\0';
	for (int i = 0; values[i] && used < sizeof(list); i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s",
		                 i ? ", " : "", values[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	msg(err, len, "%s: expected one of %s, got \"%s\"", name, list, v);
	return MS_EINVAL;
}

static int set_choice(int *dst, const char *name, const char *const *values,
                      const char *v, char *err, size_t len)
{
	int i = value_index(values, v);

	if (i < 0)
		return bad_value(name, values, v, err, len);
	*dst = i;
	return 0;
}

int ms__device_set_option(ms__device_cfg *c, const char *name,
                          const char *value, char *err, size_t errlen)
{
	const ms__device_model *m = c->m;

	if (name == NULL)
		name = "";
	if (value == NULL)
		value = "";
	if (strcmp(name, "mapping") == 0)
		return set_choice(&c->map, name, mapping_values, value, err,
		                  errlen);
	if (strcmp(name, "d2d_dist") == 0)
		return set_choice(&c->d2d_dist, name, dist_values, value, err,
		                  errlen);
	if (strcmp(name, "rounding") == 0)
		return set_choice(&c->rounding, name, rounding_values, value,
		                  err, errlen);
	for (size_t k = 0; m && k < m->n_opts; k++)
		if (strcmp(m->opt_names[k], name) == 0)
			return set_choice(&c->opt[k], name, m->opt_values[k],
			                  value, err, errlen);
	msg(err, errlen,
	    "unknown device option \"%s\"%s%s; expected mapping, d2d_dist, "
	    "rounding%s",
	    name, m ? " for model " : "", m ? m->name : "",
	    m && m->n_opts ? " or window" : "");
	return MS_ENOENT;
}

/* ------------------------------------------------------------------------ */
/* Build                                                                    */

/* Law parameters p (one device's or the cfg's) against their ranges and
 * the model's own rules; the message is prefixed with the model name. */
static int check_law(const ms__device_model *m, const double *p, const int *opt,
                     char *err, size_t len)
{
	char sub[512];
	int rc;

	for (size_t k = 0; k < m->n_params; k++) {
		if (!in_range(&m->params[k], p[k])) {
			range_error(&m->params[k], p[k], sub, sizeof(sub));
			msg(err, len, "%s: %s", m->name, sub);
			return MS_EINVAL;
		}
	}
	sub[0] = '\0';
	rc = m->check ? m->check(p, opt, sub, sizeof(sub)) : 0;
	if (rc)
		msg(err, len, "%s: %s", m->name, sub);
	return rc;
}

/* Every rule of a cfg, whether it was filled by the setters or written
 * directly: ranges, G_min < G_max, linear_R with G_min > 0, w_init_lo <=
 * w_init_hi, option indices, the law's parameters and rules. */
static int check_cfg(const ms__device_cfg *c, char *err, size_t len)
{
	const ms__device_model *m = c->m;
	int rc;

	if (c->G_min < 0.0 || c->G_max < 0.0) {
		msg(err, len,
		    "%s: a conductance cannot be negative: expected >= 0 nS, "
		    "got %g nS",
		    c->G_min < 0.0 ? "G_min" : "G_max",
		    c->G_min < 0.0 ? c->G_min : c->G_max);
		return MS_EINVAL;
	}
	for (size_t k = 0; k < N_ELEMS(common_params); k++) {
		double v = common_get(c, (int)k);

		if (!in_range(&common_params[k], v))
			return range_error(&common_params[k], v, err, len);
		if ((rc = common_rule(c, (int)k, v, err, len)) != 0)
			return rc;
	}
	if (!(c->G_min < c->G_max)) {
		msg(err, len, "G_min (%g nS) must be less than G_max (%g nS)",
		    c->G_min, c->G_max);
		return MS_EINVAL;
	}
	if (c->map == MS__MAP_LINEAR_R && !(c->G_min > 0.0)) {
		msg(err, len,
		    "G_min: mapping linear_R needs G_min > 0 nS (1/G_min is "
		    "the "
		    "resistance at w = 0), got %g nS",
		    c->G_min);
		return MS_EINVAL;
	}
	if (!(c->w_init_lo <= c->w_init_hi)) {
		msg(err, len, "w_init_lo (%g) must be <= w_init_hi (%g)",
		    c->w_init_lo, c->w_init_hi);
		return MS_EINVAL;
	}
	if (c->map != MS__MAP_LINEAR_G && c->map != MS__MAP_LINEAR_R)
		return bad_value("mapping", mapping_values, "?", err, len);
	if (c->d2d_dist != MS__SPREAD_NORMAL &&
	    c->d2d_dist != MS__SPREAD_LOGNORMAL)
		return bad_value("d2d_dist", dist_values, "?", err, len);
	if (c->rounding != MS__ROUND_NEAREST &&
	    c->rounding != MS__ROUND_STOCHASTIC)
		return bad_value("rounding", rounding_values, "?", err, len);
	if (m == NULL)
		return 0;
	for (size_t k = 0; k < m->n_opts; k++) {
		int nv = 0;

		while (m->opt_values[k][nv])
			nv++;
		if (c->opt[k] < 0 || c->opt[k] >= nv)
			return bad_value(m->opt_names[k], m->opt_values[k], "?",
			                 err, len);
	}
	return check_law(m, c->p, c->opt, err, len);
}

/* One device's law parameters: every spread parameter times a random
 * factor, the whole set drawn again (up to MAX_REDRAWS times) while a
 * factor is <= 0 (sign kept), a parameter leaves its range or the model's
 * check fails. */
static int spread_one(const ms__device *d, uint64_t s, double *ps, char *err,
                      size_t len)
{
	const ms__device_cfg *c = &d->c;
	const ms__device_model *m = c->m;
	double sigma = c->d2d_sigma;
	double sl = sqrt(log1p(sigma * sigma));
	char sub[512] = "";
	ms__rng r;

	ms__rng_init(&r, d->seed, MS__RNG_DEVICE, d->owner, (uint32_t)s);
	ms__rng_seek(&r, BLOCK_PARAMS);
	for (int attempt = 0; attempt < MAX_REDRAWS; attempt++) {
		int ok = 1;

		for (size_t k = 0; k < m->n_params; k++) {
			double f;

			if (m->no_spread & (1u << k)) {
				ps[k] = c->p[k];
				continue;
			}
			f = ms__rng_normal(&r);
			f = c->d2d_dist == MS__SPREAD_LOGNORMAL
			        ? exp(sl * f - 0.5 * sl * sl)
			        : 1.0 + sigma * f;
			ps[k] = c->p[k] * f;
			if (!(f > 0.0) || !in_range(&m->params[k], ps[k])) {
				snprintf(sub, sizeof(sub),
				         "%s left its range or changed sign",
				         m->params[k].name);
				ok = 0;
			}
		}
		if (ok &&
		    (!m->check || m->check(ps, c->opt, sub, sizeof(sub)) == 0))
			return 0;
	}
	msg(err, len,
	    "d2d_sigma = %g: no valid parameters for device %llu of model %s "
	    "in %d draws (last: %s); lower d2d_sigma",
	    sigma, (unsigned long long)s, m->name, MAX_REDRAWS, sub);
	return MS_EINVAL;
}

static int sample_params(ms__device *d, char *err, size_t len)
{
	size_t np = d->c.m->n_params;
	int rc;

	if (d->n > SIZE_MAX / sizeof(double) / np)
		return MS_ENOMEM;
	d->ps = malloc((size_t)d->n * np * sizeof(double));
	if (d->ps == NULL)
		return MS_ENOMEM;
	for (uint64_t s = 0; s < d->n; s++) {
		rc = spread_one(d, s, d->ps + s * np, err, len);
		if (rc)
			return rc;
	}
	return 0;
}

static int sample_stuck(ms__device *d)
{
	const ms__device_cfg *c = &d->c;
	uint64_t n_stuck = 0;
	ms__rng r;

	d->stuck = calloc(d->n ? d->n : 1, 1);
	if (d->stuck == NULL)
		return MS_ENOMEM;
	for (uint64_t s = 0; s < d->n; s++) {
		double u;

		ms__rng_init(&r, d->seed, MS__RNG_DEVICE, d->owner,
		             (uint32_t)s);
		ms__rng_seek(&r, BLOCK_STUCK);
		u = ms__rng_uniform(&r);
		if (u < c->stuck_min)
			d->stuck[s] = 1;
		else if (u < c->stuck_min + c->stuck_max)
			d->stuck[s] = 2;
		n_stuck += d->stuck[s] != 0;
	}
	if (n_stuck == 0) {
		free(d->stuck);
		d->stuck = NULL;
	}
	return 0;
}

static double G_of(const ms__device_cfg *c, double w)
{
	if (c->map == MS__MAP_LINEAR_R)
		return c->G_min * c->G_max /
		       ((1.0 - w) * c->G_max + w * c->G_min);
	return c->G_min + w * (c->G_max - c->G_min);
}

/* The state of conductance G under the linear_R mapping. */
static double w_of_G_R(const ms__device_cfg *c, double G)
{
	return c->G_max * (G - c->G_min) / (G * (c->G_max - c->G_min));
}

/* The level nearest to w (u < 0) or the one above with probability equal
 * to the fraction of the step covered (stochastic, u uniform in [0, 1)).
 * Levels are equally spaced in G; their states are equally spaced in w
 * for linear_G. */
static double quantise(const ms__device_cfg *c, double w, double u)
{
	double L1 = (double)c->levels - 1.0, x, k, Gk;

	if (c->map == MS__MAP_LINEAR_G)
		x = w * L1;
	else
		x = (G_of(c, w) - c->G_min) / (c->G_max - c->G_min) * L1;
	k = floor(x);
	if (u < 0.0)
		k = floor(x + 0.5);
	else if (u < x - k)
		k += 1.0;
	if (k <= 0.0)
		return 0.0;
	if (k >= L1)
		return 1.0;
	if (c->map == MS__MAP_LINEAR_G)
		return k / L1;
	Gk = c->G_min + k / L1 * (c->G_max - c->G_min);
	return w_of_G_R(c, Gk);
}

static void init_states(const ms__device *d, double *w)
{
	const ms__device_cfg *c = &d->c;
	int stoch = c->rounding == MS__ROUND_STOCHASTIC;
	ms__rng r;

	for (uint64_t s = 0; s < d->n; s++) {
		double x = c->w_init_lo;

		if (d->stuck && d->stuck[s]) {
			w[s] = d->stuck[s] == 1 ? 0.0 : 1.0;
			continue;
		}
		if (c->w_init_hi > c->w_init_lo || (c->levels && stoch)) {
			ms__rng_init(&r, d->seed, MS__RNG_DEVICE, d->owner,
			             (uint32_t)s);
			ms__rng_seek(&r, BLOCK_INIT);
		}
		if (c->w_init_hi > c->w_init_lo)
			x +=
			    (c->w_init_hi - c->w_init_lo) * ms__rng_uniform(&r);
		if (c->levels)
			x = quantise(c, x, stoch ? ms__rng_uniform(&r) : -1.0);
		w[s] = x;
	}
}

int ms__device_build(ms__device *d, const ms__device_cfg *c, uint64_t n,
                     uint64_t seed, uint32_t owner, double *w, char *err,
                     size_t errlen)
{
	int rc;

	memset(d, 0, sizeof(*d));
	rc = check_cfg(c, err, errlen);
	if (rc)
		return rc;
	if (n > (uint64_t)UINT32_MAX + 1) {
		msg(err, errlen,
		    "%llu synapses: the device streams hold at most 2^32 per "
		    "projection",
		    (unsigned long long)n);
		return MS_EINVAL;
	}
	d->c = *c;
	d->n = n;
	d->seed = seed;
	d->owner = owner;
	if (c->m && c->d2d_sigma > 0.0 && c->m->n_params > 0 && n > 0) {
		rc = sample_params(d, err, errlen);
		if (rc)
			goto fail;
	}
	if (c->stuck_min + c->stuck_max > 0.0) {
		rc = sample_stuck(d);
		if (rc)
			goto fail;
	}
	if (isfinite(c->retention_tau_ms)) {
		d->t_last = calloc(n ? n : 1, sizeof(double));
		if (d->t_last == NULL) {
			rc = MS_ENOMEM;
			goto fail;
		}
	}
	if (w)
		init_states(d, w);
	return 0;
fail:
	if (rc == MS_ENOMEM)
		msg(err, errlen, "out of memory for %llu devices",
		    (unsigned long long)n);
	ms__device_free(d);
	return rc;
}

void ms__device_free(ms__device *d)
{
	free(d->ps);
	free(d->stuck);
	free(d->t_last);
	d->ps = NULL;
	d->stuck = NULL;
	d->t_last = NULL;
}

/* ------------------------------------------------------------------------ */
/* Use                                                                      */

const double *ms__device_params(const ms__device *d, uint64_t s)
{
	if (d->ps)
		return d->ps + s * d->c.m->n_params;
	return d->c.p;
}

double ms__device_rate(const ms__device *d, uint64_t s, double V_mV, double w)
{
	const ms__device_model *m = d->c.m;
	const double *p;
	double g;

	if (m == NULL || m->g == NULL)
		return 0.0;
	p = ms__device_params(d, s);
	g = m->g(p, d->c.opt, V_mV);
	if (g == 0.0 || m->F == NULL)
		return g;
	return g * m->F(p, d->c.opt, w, V_mV > 0.0 ? 1 : -1);
}

double ms__device_G(const ms__device *d, double w)
{
	return G_of(&d->c, w);
}

/* State after dt of retention loss (w itself for dt <= 0). */
static double relax(const ms__device_cfg *c, double w, double dt)
{
	if (!(dt > 0.0))
		return w;
	return c->w_rest + (w - c->w_rest) * exp(-dt / c->retention_tau_ms);
}

double ms__device_state_at(const ms__device *d, uint64_t s, double w, double t)
{
	if (d->t_last == NULL || (d->stuck && d->stuck[s]))
		return w;
	return relax(&d->c, w, t - d->t_last[s]);
}

/* SplitMix64's output function (Steele, Lea & Flood 2014, OOPSLA), a
 * bijective 64-bit mixer. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9u;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebu;
	x ^= x >> 31;
	return x;
}

/* The noise stream of synapse s for an event of this kind at t, at a block
 * given by a hash of (t, kind): reproducible without per-synapse counters.
 * Two events share a block only if the 56-bit hashes collide. */
static void noise_stream(const ms__device *d, ms__rng *r, uint64_t s, double t,
                         int kind)
{
	uint64_t bits = 0;

	if (t != 0.0) /* -0 and +0 are the same time */
		memcpy(&bits, &t, sizeof(bits));
	ms__rng_init(r, d->seed, MS__RNG_NOISE, d->owner, (uint32_t)s);
	ms__rng_seek(r, mix64(bits ^ mix64((uint64_t)kind + 1)) >> 8);
}

double ms__device_update(ms__device *d, uint64_t s, double w, double dw,
                         double t, int kind)
{
	const ms__device_cfg *c = &d->c;
	int have_r = 0;
	ms__rng r;

	if (d->stuck && d->stuck[s])
		return d->stuck[s] == 1 ? 0.0 : 1.0;
	if (d->t_last) {
		w = relax(c, w, t - d->t_last[s]);
		d->t_last[s] = t;
	}
	if (dw != 0.0 && c->c2c_sigma > 0.0) {
		noise_stream(d, &r, s, t, kind);
		have_r = 1;
		dw *= 1.0 + c->c2c_sigma * ms__rng_normal(&r);
	}
	w += dw;
	if (w < 0.0)
		w = 0.0;
	else if (w > 1.0)
		w = 1.0;
	if (c->levels) {
		double u = -1.0;

		if (c->rounding == MS__ROUND_STOCHASTIC) {
			if (!have_r)
				noise_stream(d, &r, s, t, kind);
			u = ms__rng_uniform(&r);
		}
		w = quantise(c, w, u);
	}
	return w;
}

double ms__device_read(const ms__device *d, uint64_t s, double w, double t)
{
	const ms__device_cfg *c = &d->c;
	double G;
	ms__rng r;

	if (d->stuck && d->stuck[s])
		G = d->stuck[s] == 1 ? c->G_min : c->G_max;
	else
		G = G_of(c, ms__device_state_at(d, s, w, t));
	if (c->read_sigma > 0.0) {
		noise_stream(d, &r, s, t, KIND_READ);
		G *= 1.0 + c->read_sigma * ms__rng_normal(&r);
		if (G < 0.0)
			G = 0.0;
	}
	return G;
}

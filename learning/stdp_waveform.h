/*
 * stdp_waveform — the mathematics of waveform-driven STDP, usable without
 * the engine (internal; learning/stdp_waveform.c has the equations,
 * docs/synapses.md the user's description).
 *
 * The device voltage of a synapse is
 *     V(t) = sum_q Wpost(t - q) + a_pre sum_p Wpre(t - p),
 * q over post spike times, p over pre arrival times at the synapse,
 * a_pre = -k ("difference") or +k ("sum"), and the device law is
 * dw/dt = g(V) F(w, sign V) (synapses/device.h). When a spike at t_new
 * joins the known spikes S_old, the state changes by
 *     dw = F(w, +) I[0] + F(w, -) I[1],
 *     I[s] = integral over the new waveform's support of
 *            g_s(V_old + v_new) - g_s(V_old) dt,
 * g_+ (g_-) being g where V > 0 (V < 0).
 */
#ifndef MS_LEARNING_STDP_WAVEFORM_H
#define MS_LEARNING_STDP_WAVEFORM_H

#include <stddef.h>
#include <stdint.h>

#include "learning/waveform.h"
#include "synapses/device.h"

/* Modes: exact quadrature; pair kernels; pair kernels while the new
 * spike overlaps at most one known spike, exact quadrature beyond. */
enum { MS__WSTDP_EXACT = 0, MS__WSTDP_FAST = 1, MS__WSTDP_HYBRID = 2 };

/* A kernel tabulated on uniform grids, one per segment between the points
 * where it may have a kink; 0 outside [x0, x1]. */
typedef struct ms__wkernel {
	double x0, x1;
	size_t nseg;
	double *sx;   /* nseg + 1 segment ends */
	double *sh;   /* grid step of each segment */
	size_t *si;   /* index of each segment's first node (nseg + 1) */
	double *v[2]; /* node values of the I[0] and I[1] parts */
	int zero;     /* identically 0 */
	/* For evaluation: the interpolating cubic of every node interval,
	 * MS__WK_STRIDE doubles each (start, 1/step, then the coefficients
	 * of both parts in the local coordinate), with a final sentinel
	 * holding the end; only the intervals from the first to the last
	 * whose values are not all 0, [z0, z_end). Cells of width hc (no
	 * wider than any interval) from z0 give each x a first interval to
	 * try. */
	double z0, z_end, inv_hc;
	size_t nint, ncell;
	double *iv;
	uint32_t *cell;
	/* The same cubics for the sum of the two parts (rules whose device
	 * has F = 1 need only I[0] + I[1]): 4 coefficients per interval,
	 * and the intervals' starts. When the intervals are all one step
	 * wide (uniform, within 1e-12 of a step), x's interval is found from
	 * (x - z0) / step alone. */
	double *sc, *st;
	int uniform;
	double inv_h;
} ms__wkernel;

#define MS__WK_STRIDE 10

typedef struct ms__wstdp {
	const ms__waveform *pre, *post; /* prepared; must outlive the ctx */
	double a_pre;                   /* -k (difference) or +k (sum) */
	const ms__device_model *m;
	double p[MS__DEV_MAX_PARAMS];
	int opt[MS__DEV_MAX_PARAMS];
	double tol_rel; /* as given */
	double scale;   /* about the largest |I| of an isolated pair */
	double tol;     /* absolute target per increment: tol_rel * scale */
	int fast;       /* MS__WSTDP_* */
	double step;    /* kernel grid step, ms */
	double single_pre[2], single_post[2];
	/* Interaction kernels (fast mode): pre-post over
	 * dT = t_post - t_pre, and pre-pre, post-post over the distance
	 * between the two spikes. */
	ms__wkernel k_pp, k_pre, k_post;
} ms__wstdp;

/*
 * Set up ctx for waveforms pre and post (prepared), attenuation k >= 0,
 * combination sum (0: V = Wpost - k Wpre, 1: V = Wpost + k Wpre), device
 * law m with parameters p and options opt (copied), relative tolerance
 * tol (of the largest isolated-pair increment), and mode fast
 * (MS__WSTDP_*): for FAST and HYBRID the pair kernels on grids of step
 * kernel_step (ms). Returns MS_EINVAL with a
 * message naming the field for bad arguments, MS_ENOMEM.
 */
int ms__wstdp_setup(ms__wstdp *ctx, const ms__waveform *pre,
                    const ms__waveform *post, double k, int sum,
                    const ms__device_model *m, const double *p, const int *opt,
                    double tol, int fast, double kernel_step, char *err,
                    size_t errlen);
void ms__wstdp_free(ms__wstdp *ctx);

/*
 * I[0], I[1] for a new spike (a post spike when new_is_post, else a pre
 * arrival) at t_new joining the known spikes pre_t[0..npre-1] and
 * post_t[0..npost-1] (any order, any times; those whose waveform does not
 * overlap the new one are ignored), in ctx's mode. err_est, if not NULL,
 * gets the quadrature's error estimate (exact mode) or 0 (fast mode).
 */
void ms__wstdp_increment(const ms__wstdp *ctx, const double *pre_t, size_t npre,
                         const double *post_t, size_t npost, int new_is_post,
                         double t_new, double I[2], double *err_est);

/* The same in exact mode with law parameters p (NULL: ctx's), for devices
 * with their own parameters. */
void ms__wstdp_exact(const ms__wstdp *ctx, const double *p, const double *pre_t,
                     size_t npre, const double *post_t, size_t npost,
                     int new_is_post, double t_new, double I[2],
                     double *err_est);

/* dw = F(w, +) I[0] + F(w, -) I[1] with ctx's law and parameters p (NULL:
 * ctx's). */
double ms__wstdp_dw(const ms__wstdp *ctx, const double *p, double w,
                    const double I[2]);

/* The whole change of an isolated pair at dT = t_post - t_pre, both
 * spikes' own terms and their interaction, state frozen at w, in ctx's
 * mode. */
double ms__wstdp_pair(const ms__wstdp *ctx, double dT, double w);

/* The kernel's value (both parts) at x. */
void ms__wkernel_eval(const ms__wkernel *K, double x, double I[2]);

/* I[0] + I[1] of the kernel at x from the summed cubics: the same
 * interpolant, rounded differently (a few ulp of the values). */
double ms__wkernel_sum(const ms__wkernel *K, double x);

#endif

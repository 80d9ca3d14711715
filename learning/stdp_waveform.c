/*
 * stdp_waveform — STDP emerging from spike waveforms across a memristive
 * device (Linares-Barranco & Serrano-Gotarredona 2009, Nature Precedings
 * hdl:10101/npre.2009.3010.1; Zamarreño-Ramos et al. 2011, Front.
 * Neurosci. 5:26).
 *
 * Device voltage of a synapse, q over post spikes, p over pre arrivals:
 *     V(t) = sum_q Wpost(t - q) + a_pre sum_p Wpre(t - p),
 *     a_pre = -k ("difference", the papers' V_post - k V_pre) or +k ("sum");
 * device law dw/dt = g(V) F(w, sign V), g = 0 inside the band [lo, hi].
 * Spikes become known one at a time. When one at t_new joins the known set
 * S_old (voltage V_old), the state changes by
 *     dw = F(w, +) I_+ + F(w, -) I_-,
 *     I_s = integral over the new waveform's support of
 *           g_s(V_old + v_new) - g_s(V_old) dt,   g_s = g where sign V = s.
 * For F = 1 the increments telescope: whatever the order the spikes are
 * added in, their sum is the integral of g(V) over the actual
 * superposition of every waveform. With F depending on w, w is frozen at
 * its value when the increment is computed; the change of w during one
 * overlap is itself O(dw), so the error is O(dw^2) per increment.
 *
 * Exact mode. The new support is cut at the breaks of every overlapping
 * waveform (their shapes are monotone, with monotone slopes, between
 * breaks: learning/waveform.h), so on each piece the one-sided values at
 * the ends bound every waveform, its slope, and hence V_old and V_new.
 * A piece where both bounds stay inside the band contributes exactly 0.
 * Elsewhere the points where V_old or V_new cross lo or hi are found by
 * branch and bound (bisect until the level is out of the value bound, or
 * the slope bound shows V monotone, then a bracketed Illinois iteration),
 * so that each sub-piece is either skipped (both inside the band at its
 * middle) or has a smooth integrand, integrated by adaptive Gauss-Kronrod
 * G7/K15. A sub-piece of length h is accepted when |K15 - G7| <= tol h / L
 * (L the new support's length); the returned error estimate is the sum of
 * those |K15 - G7|, which for smooth integrands overestimates the error.
 *
 * Fast mode. For an isolated pair,
 *     I_s(pair) = I_s(pre alone) + I_s(post alone) + xi_s(dT),
 * dT = t_post - t_pre; xi_s is tabulated from exact increments on a grid
 * of step <= kernel_step, uniform within each segment between the values
 * of dT where a break of one waveform meets a break of the other (where
 * xi may have a kink; dT = 0 is one), and read by 4-point Lagrange
 * interpolation inside the segment. Same-type pairs (two pre arrivals, two
 * post spikes) have kernels of their own over the distance between the
 * spikes. With more than two overlapping waveforms, a new spike's
 * increment is its single term plus the kernels of its pairs with every
 * known overlapping spike: interactions of order three and higher (a
 * third waveform changing how two others overlap the threshold) are
 * neglected. With an exponential law this is a coarse approximation: a
 * third waveform shifts V near the threshold by tens of mV, which changes
 * g by e^{dV/V0}; tests/check_stdp_waveform.c measures errors of 18% to
 * 70% of the pair peak on Zamarreño triplets. Hybrid mode uses the kernels
 * while the new spike overlaps at most one known spike (isolated pairs,
 * where they are accurate) and exact quadrature otherwise.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "learning/plasticity.h"
#include "learning/stdp_waveform.h"

/* ------------------------------------------------------------------------ */
/* Exact increments                                                         */

#define MAX_TERMS 130 /* known spikes that overlap a new one, + 1 */
#define STACK_BRK 256
#define MAX_DEPTH 60
#define GK_DEPTH  40
/* Most Gauss-Kronrod intervals per increment (15 evaluations each): ordinary
 * increments need a few hundred; the cap only ends the refinement of an
 * integrand the tolerance cannot be met on, whose error estimate is then
 * returned as it stands. */
#define GK_MAX     20000
#define ROOT_ITERS 200

/* One waveform in the superposition: a W(t - t0). */
typedef struct term {
	const ms__waveform *w;
	double t0, a;
} term;

/* One exact computation: the old terms, then the new one last. */
typedef struct run {
	const term *tm;
	size_t n; /* old terms: tm[0 .. n-1]; new: tm[n] */
	const ms__device_model *m;
	const double *p;
	const int *opt;
	double lo, hi; /* band */
	double lev[2]; /* levels to cross: lo, hi (nlev = 1 if equal) */
	int nlev;
	double dens; /* tolerance per ms */
	long n_gk;   /* Gauss-Kronrod intervals evaluated for this increment */
	double I[2], err;
	double *split; /* crossing points of the current piece */
	size_t nsplit, capsplit;
	int overflow; /* split buffer full: sub-pieces are merged */
} run;

/* V_old and V_new at an interior point of a piece. */
static inline void volt(const run *r, double t, double *vo, double *vn)
{
	double v = 0.0;

	for (size_t k = 0; k < r->n; k++)
		v += r->tm[k].a * ms__wave_eval(r->tm[k].w, t - r->tm[k].t0);
	*vo = v;
	*vn = v +
	      r->tm[r->n].a * ms__wave_eval(r->tm[r->n].w, t - r->tm[r->n].t0);
}

/* What a piece [a, b] without breaks inside tells about V_old (i = 0) and
 * V_new (i = 1): value bounds vl, vh, slope bounds dl, dh, and the actual
 * values fa (at a+) and fb (at b-). */
typedef struct bnd {
	double vl[2], vh[2], dl[2], dh[2], fa[2], fb[2];
} bnd;

static void bounds(const run *r, double a, double b, bnd *B)
{
	double vl = 0, vh = 0, dl = 0, dh = 0, fa = 0, fb = 0;

	for (size_t k = 0; k <= r->n; k++) {
		const term *T = &r->tm[k];
		double va, da, vb, db, x, y;
		if (k == r->n) {
			B->vl[0] = vl, B->vh[0] = vh, B->dl[0] = dl;
			B->dh[0] = dh, B->fa[0] = fa, B->fb[0] = fb;
		}
		ms__wave_eval_side(T->w, a - T->t0, 1, &va, &da);
		ms__wave_eval_side(T->w, b - T->t0, -1, &vb, &db);
		va *= T->a, vb *= T->a, da *= T->a, db *= T->a;
		fa += va, fb += vb;
		x = fmin(va, vb), y = fmax(va, vb);
		vl += x, vh += y;
		x = fmin(da, db), y = fmax(da, db);
		dl += x, dh += y;
	}
	B->vl[1] = vl, B->vh[1] = vh, B->dl[1] = dl;
	B->dh[1] = dh, B->fa[1] = fa, B->fb[1] = fb;
}

static void add_split(run *r, double x)
{
	if (r->nsplit < r->capsplit)
		r->split[r->nsplit++] = x;
	else
		r->overflow = 1;
}

/* The root of V_i - L in (a, b), V_i monotone there with fa - L and
 * fb - L of opposite signs: Illinois iteration on a bracket. */
static double root(const run *r, int i, double L, double a, double b, double fa,
                   double fb)
{
	int side = 0;

	fa -= L, fb -= L;
	for (int it = 0; it < ROOT_ITERS; it++) {
		double x = (a * fb - b * fa) / (fb - fa), vo, vn, f;
		if (!(x > a && x < b))
			x = 0.5 * (a + b);
		if (!(x > a && x < b))
			break;
		volt(r, x, &vo, &vn);
		f = (i ? vn : vo) - L;
		if (f == 0.0)
			return x;
		if ((f > 0) == (fb > 0)) {
			b = x, fb = f;
			if (side == -1)
				fa *= 0.5;
			side = -1;
		} else {
			a = x, fa = f;
			if (side == 1)
				fb *= 0.5;
			side = 1;
		}
		if (b - a <= 4 * DBL_EPSILON * fmax(1.0, fabs(a)))
			break;
	}
	return 0.5 * (a + b);
}

/*
 * Find every crossing of the levels by V_old and V_new inside (a, b) that
 * the combinations in mask (bit 2 i + l: V_i and level l) may have; add
 * them to r->split. No crossing is missed: a combination is dropped only
 * when the level is outside the value bound, or when the slope bound shows
 * V_i monotone (then it crosses once, found by root(), or not at all).
 */
static void crossings(run *r, double a, double b, unsigned mask, int depth)
{
	bnd B;

	bounds(r, a, b, &B);
	for (int c = 0; c < 4; c++) {
		int i = c >> 1, l = c & 1;
		double L = r->lev[l];
		if (!(mask & (1u << c)))
			continue;
		if (L <= B.vl[i] || L >= B.vh[i]) {
			mask &= ~(1u << c);
		} else if (B.dl[i] > 0 || B.dh[i] < 0) {
			if ((B.fa[i] - L) * (B.fb[i] - L) < 0)
				add_split(
				    r, root(r, i, L, a, b, B.fa[i], B.fb[i]));
			mask &= ~(1u << c);
		}
	}
	if (!mask)
		return;
	if (depth >= MAX_DEPTH || b - a <= 1e-12 * fmax(1.0, fabs(a))) {
		add_split(r, 0.5 * (a + b));
		return;
	}
	crossings(r, a, 0.5 * (a + b), mask, depth + 1);
	crossings(r, 0.5 * (a + b), b, mask, depth + 1);
}

/* Gauss-Kronrod 7/15 (Piessens et al. 1983, QUADPACK qk15). */
static const double xgk[8] = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000};
static const double wgk[8] = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double wg[4] = {
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

/* The integrand: g_+ and g_- of V_new minus those of V_old. */
static inline void integrand(const run *r, double t, double f[2])
{
	double vo, vn, go, gn;

	volt(r, t, &vo, &vn);
	f[0] = f[1] = 0.0;
	gn = r->m->g(r->p, r->opt, vn);
	go = r->m->g(r->p, r->opt, vo);
	f[vn > 0 ? 0 : 1] += gn;
	f[vo > 0 ? 0 : 1] -= go;
}

/*
 * Adaptive Gauss-Kronrod on [a, b]: halve while the estimated error is
 * above the tolerance density times the length. An error estimate at the
 * level of rounding of the integrand's magnitude (50 eps times the
 * integral of |f|, as QUADPACK's qk15 floors it) cannot be reduced by
 * halving: such an interval is accepted, so that a rate so large that the
 * absolute tolerance is below its rounding (a device driven far above its
 * threshold) ends the recursion instead of filling the whole 2^GK_DEPTH
 * tree. At most GK_MAX intervals are evaluated per increment.
 */
static void gk15(run *r, double a, double b, int depth)
{
	double c = 0.5 * (a + b), h = 0.5 * (b - a);
	double K[2], G[2], f[2], e, abs_sum;

	integrand(r, c, f);
	K[0] = wgk[7] * f[0], K[1] = wgk[7] * f[1];
	G[0] = wg[3] * f[0], G[1] = wg[3] * f[1];
	abs_sum = wgk[7] * (fabs(f[0]) + fabs(f[1]));
	for (int j = 0; j < 7; j++) {
		double f1[2], f2[2];
		integrand(r, c - h * xgk[j], f1);
		integrand(r, c + h * xgk[j], f2);
		K[0] += wgk[j] * (f1[0] + f2[0]);
		K[1] += wgk[j] * (f1[1] + f2[1]);
		abs_sum += wgk[j] * (fabs(f1[0]) + fabs(f1[1]) + fabs(f2[0]) +
		                     fabs(f2[1]));
		if (j & 1) {
			G[0] += wg[j / 2] * (f1[0] + f2[0]);
			G[1] += wg[j / 2] * (f1[1] + f2[1]);
		}
	}
	e = h * (fabs(K[0] - G[0]) + fabs(K[1] - G[1]));
	if (e > r->dens * (b - a) && e > 50.0 * DBL_EPSILON * h * abs_sum &&
	    depth < GK_DEPTH && h > 1e-13 * fabs(c) && ++r->n_gk < GK_MAX) {
		gk15(r, a, c, depth + 1);
		gk15(r, c, b, depth + 1);
		return;
	}
	r->I[0] += h * K[0];
	r->I[1] += h * K[1];
	r->err += e;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void sort_doubles(double *x, size_t n)
{
	if (n > 24) {
		qsort(x, n, sizeof(double), cmp_double);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		double v = x[i];
		size_t j = i;
		for (; j > 0 && x[j - 1] > v; j--)
			x[j] = x[j - 1];
		x[j] = v;
	}
}

static inline int in_band(const run *r, double v)
{
	return v >= r->lo && v <= r->hi;
}

/* One piece between breaks: skip it, or split it at the level crossings
 * and integrate the sub-pieces outside the band. */
static void piece(run *r, double a, double b)
{
	bnd B;
	double buf[64];

	bounds(r, a, b, &B);
	if (B.vl[0] >= r->lo && B.vh[0] <= r->hi && B.vl[1] >= r->lo &&
	    B.vh[1] <= r->hi)
		return;
	r->split = buf;
	r->capsplit = 62;
	r->nsplit = 0;
	r->overflow = 0;
	r->split[r->nsplit++] = a;
	crossings(r, a, b, r->nlev == 2 ? 0xFu : 0x5u, 0);
	r->split[r->nsplit++] = b;
	sort_doubles(r->split, r->nsplit);
	for (size_t k = 0; k + 1 < r->nsplit; k++) {
		double x = r->split[k], y = r->split[k + 1], vo, vn;
		if (!(y > x))
			continue;
		volt(r, 0.5 * (x + y), &vo, &vn);
		if (!r->overflow && in_band(r, vo) && in_band(r, vn))
			continue;
		gk15(r, x, y, 0);
	}
}

/* Breaks of T shifted to absolute time, clipped to (A, B), appended. */
static size_t add_breaks(const term *T, double A, double B, double *x, size_t n,
                         size_t cap)
{
	double s[8];
	const ms__waveform *w = T->w;

	if (w->shape == MS__WAVE_TABLE) {
		for (size_t k = 0; k < w->n_tab && n < cap; k++) {
			double t = T->t0 + w->tab_s[k];
			if (t > A && t < B)
				x[n++] = t;
		}
		return n;
	}
	for (size_t k = 0, m = ms__wave_breaks(w, s, 8); k < m && n < cap;
	     k++) {
		double t = T->t0 + s[k];
		if (t > A && t < B)
			x[n++] = t;
	}
	return n;
}

static size_t n_breaks(const ms__waveform *w)
{
	return w->shape == MS__WAVE_TABLE ? w->n_tab : 3;
}

/*
 * I for the new term tm[n] joining tm[0 .. n-1] (already filtered to
 * those overlapping it), law parameters p.
 */
static void exact_terms(const ms__wstdp *ctx, const double *p, const term *tm,
                        size_t n, double I[2], double *err_est)
{
	const term *N = &tm[n];
	double A = N->t0 + N->w->lo, B = N->t0 + N->w->hi;
	double stack[STACK_BRK], *x = stack;
	double vmax = 0.0, vmin = 0.0;
	size_t nb = 2, cap;
	run r = {.tm = tm, .n = n, .m = ctx->m, .p = p, .opt = ctx->opt};

	I[0] = I[1] = 0.0;
	if (err_est)
		*err_est = 0.0;
	ctx->m->band(p, ctx->opt, &r.lo, &r.hi);
	/* Whole-support bound from the extremes of each waveform. */
	for (size_t k = 0; k <= n; k++) {
		double a = tm[k].a;
		vmax += a > 0 ? a * tm[k].w->vmax : a * tm[k].w->vmin;
		vmin += a > 0 ? a * tm[k].w->vmin : a * tm[k].w->vmax;
	}
	if (vmax <= r.hi && vmin >= r.lo)
		return;
	r.lev[0] = r.lo;
	r.lev[1] = r.hi;
	r.nlev = r.lo == r.hi ? 1 : 2;
	r.dens = ctx->tol / (B - A);
	r.n_gk = 0;
	cap = n_breaks(N->w);
	for (size_t k = 0; k < n; k++)
		cap += n_breaks(tm[k].w);
	cap += 2;
	if (cap > STACK_BRK) {
		x = malloc(cap * sizeof(double));
		if (!x) {
			I[0] = I[1] = NAN;
			return;
		}
	}
	x[0] = A;
	x[1] = B;
	for (size_t k = 0; k <= n; k++)
		nb = add_breaks(&tm[k], A, B, x, nb, cap);
	sort_doubles(x, nb);
	for (size_t k = 0; k + 1 < nb; k++)
		if (x[k + 1] > x[k])
			piece(&r, x[k], x[k + 1]);
	if (x != stack)
		free(x);
	I[0] = r.I[0];
	I[1] = r.I[1];
	if (err_est)
		*err_est = r.err;
}

/* Gather the known spikes whose waveforms overlap the new one. */
static size_t gather(const ms__wstdp *ctx, const double *pre_t, size_t npre,
                     const double *post_t, size_t npost, int new_is_post,
                     double t_new, term *tm)
{
	const ms__waveform *wn = new_is_post ? ctx->post : ctx->pre;
	double A = t_new + wn->lo, B = t_new + wn->hi;
	size_t n = 0;

	for (size_t k = 0; k < npre && n + 1 < MAX_TERMS; k++) {
		double t = pre_t[k];
		if (t + ctx->pre->lo < B && t + ctx->pre->hi > A)
			tm[n++] = (term){ctx->pre, t, ctx->a_pre};
	}
	for (size_t k = 0; k < npost && n + 1 < MAX_TERMS; k++) {
		double t = post_t[k];
		if (t + ctx->post->lo < B && t + ctx->post->hi > A)
			tm[n++] = (term){ctx->post, t, 1.0};
	}
	tm[n] = new_is_post ? (term){ctx->post, t_new, 1.0}
	                    : (term){ctx->pre, t_new, ctx->a_pre};
	return n;
}

void ms__wstdp_exact(const ms__wstdp *ctx, const double *p, const double *pre_t,
                     size_t npre, const double *post_t, size_t npost,
                     int new_is_post, double t_new, double I[2],
                     double *err_est)
{
	term tm[MAX_TERMS];
	size_t n =
	    gather(ctx, pre_t, npre, post_t, npost, new_is_post, t_new, tm);

	exact_terms(ctx, p ? p : ctx->p, tm, n, I, err_est);
}

/* ------------------------------------------------------------------------ */
/* Kernels                                                                  */

/*
 * Add the kernel at x to I. The value is that of the 4-point Lagrange
 * interpolation in the node values of x's segment (the window of nodes
 * m-1 .. m+2 on node interval m, shifted inwards at the segment's ends),
 * written as a cubic in f = (x - start) / step on each interval: the same
 * polynomial, with rounding differences of a few ulp of the node values.
 * Exactly 0 outside [z0, z_end), where every window is 0. A cell holds
 * the interval where it starts; it ends before the second interval after
 * that one (kernel_tables), so one comparison finds x's interval.
 */
/* The row of K->iv whose interval holds x, for z0 <= x < z_end: the
 * first interval of x's cell or the next one. */
static inline const double *interval_of(const ms__wkernel *K, double x)
{
	/* Rounding is monotone: the cell is <= ncell - 1 for x < z_end. */
	const double *p =
	    K->iv +
	    (size_t)K->cell[(size_t)((x - K->z0) * K->inv_hc)] * MS__WK_STRIDE;

	return x >= p[MS__WK_STRIDE] ? p + MS__WK_STRIDE : p;
}

static inline void kernel_add(const ms__wkernel *K, double x, double I[2])
{
	const double *p;
	double f;

	if (!(x >= K->z0 && x < K->z_end))
		return;
	p = interval_of(K, x);
	f = (x - p[0]) * p[1];
	I[0] += ((p[5] * f + p[4]) * f + p[3]) * f + p[2];
	I[1] += ((p[9] * f + p[8]) * f + p[7]) * f + p[6];
}

void ms__wkernel_eval(const ms__wkernel *K, double x, double I[2])
{
	I[0] = I[1] = 0.0;
	kernel_add(K, x, I);
}

/*
 * I[0] + I[1] of the kernel at x in [z0, z_end): the summed cubic of x's
 * interval at f = (x - start) / step, the same f as kernel_add's. On a
 * uniform grid the interval is floor((x - z0) / step); within about 1e-12
 * of a step of a node, rounding may pick the neighbouring interval, whose
 * cubic there takes the same node value (to rounding, plus 1e-12 times
 * the jump of dP/df at the node).
 */
static inline double kernel_at(const ms__wkernel *K, double x)
{
	const double *p;
	size_t c;
	double f;

	if (K->uniform) {
		/* x >= z0, so the cast is exact; c <= nint (summed_tables) */
		c = (size_t)(int64_t)((x - K->z0) * K->inv_h);
		f = (x - K->st[c]) * K->inv_h;
	} else {
		p = interval_of(K, x);
		c = (size_t)(p - K->iv) / MS__WK_STRIDE;
		f = (x - p[0]) * p[1];
	}
	p = K->sc + 4 * c;
	return ((p[3] * f + p[2]) * f + p[1]) * f + p[0];
}

double ms__wkernel_sum(const ms__wkernel *K, double x)
{
	return x >= K->z0 && x < K->z_end ? kernel_at(K, x) : 0.0;
}

static void kernel_free(ms__wkernel *K)
{
	free(K->sx);
	free(K->sh);
	free(K->si);
	free(K->v[0]);
	free(K->v[1]);
	free(K->iv);
	free(K->cell);
	free(K->sc);
	free(K->st);
	memset(K, 0, sizeof(*K));
}

/*
 * Coefficients in f of the cubic through y[0..3] at t = 0, 1, 2, 3,
 * evaluated at t = f + d: P(t) = a0 + a1 t + a2 t^2 + a3 t^3 from the
 * Lagrange basis, then shifted (Taylor at d); the constant term is the
 * node value y[d] itself, so that nodes are reproduced exactly.
 */
static void cubic(const double *y, int d, double c[4])
{
	double a1 = (-11.0 * y[0] + 18.0 * y[1] - 9.0 * y[2] + 2.0 * y[3]) / 6;
	double a2 = (2.0 * y[0] - 5.0 * y[1] + 4.0 * y[2] - y[3]) / 2;
	double a3 = (-y[0] + 3.0 * y[1] - 3.0 * y[2] + y[3]) / 6;

	c[0] = y[d];
	c[1] = a1 + 2.0 * a2 * d + 3.0 * a3 * d * d;
	c[2] = a2 + 3.0 * a3 * d;
	c[3] = a3;
}

/*
 * The summed cubics of K (see ms__wkernel), and whether its intervals form
 * a uniform grid: all of one step h (the same 1/h, bit for bit), every
 * start within 1e-12 h of z0 + k h. kernel_at then takes the interval
 * floor((x - z0) / h), which near a node may be the neighbouring one, and
 * f from that interval's own start, as kernel_add does. For x just below
 * z_end, (x - z0) / h may round to nint: an extra entry, starting at z_end,
 * holds the last cubic shifted by one interval, P(f + 1), so that no clamp
 * is needed.
 */
static int summed_tables(ms__wkernel *K)
{
	const double *iv = K->iv;
	double h = 1.0 / iv[1], dev = 0.0, *c;
	int same = 1;

	K->sc = malloc((K->nint + 1) * 4 * sizeof(double));
	K->st = malloc((K->nint + 1) * sizeof(double));
	if (!K->sc || !K->st)
		return MS_ENOMEM;
	for (size_t k = 0; k <= K->nint; k++) {
		K->st[k] = iv[k * MS__WK_STRIDE];
		dev = fmax(dev, fabs(K->st[k] - (K->z0 + (double)k * h)));
	}
	for (size_t k = 0; k < K->nint; k++) {
		const double *p = iv + k * MS__WK_STRIDE;
		for (int j = 0; j < 4; j++)
			K->sc[4 * k + j] = p[2 + j] + p[6 + j];
		same &= p[1] == iv[1];
	}
	c = K->sc + 4 * K->nint;
	c[0] = c[-4] + c[-3] + c[-2] + c[-1];
	c[1] = c[-3] + 2.0 * c[-2] + 3.0 * c[-1];
	c[2] = c[-2] + 3.0 * c[-1];
	c[3] = c[-1];
	K->uniform = same && dev <= 1e-12 * h;
	K->inv_h = iv[1];
	return MS_OK;
}

/* The evaluation tables of K from its node values (see ms__wkernel). */
static int kernel_tables(ms__wkernel *K)
{
	size_t n = 0, first = SIZE_MAX, last = 0, k;
	double hc = INFINITY, *iv;

	K->z0 = INFINITY;
	K->z_end = -INFINITY;
	if (K->zero)
		return MS_OK;
	for (size_t s = 0; s < K->nseg; s++)
		n += K->si[s + 1] - K->si[s] - 1;
	iv = malloc((n + 1) * MS__WK_STRIDE * sizeof(double));
	if (!iv)
		return MS_ENOMEM;
	k = 0;
	for (size_t s = 0; s < K->nseg; s++) {
		size_t i0 = K->si[s], m = K->si[s + 1] - i0;
		for (size_t q = 0; q + 1 < m; q++, k++) {
			size_t j = q ? q - 1 : 0;
			double *p = iv + k * MS__WK_STRIDE;
			int nz = 0;
			if (j + 4 > m)
				j = m - 4;
			p[0] = K->sx[s] + (double)q * K->sh[s];
			p[1] = 1.0 / K->sh[s];
			for (int part = 0; part < 2; part++) {
				const double *y = K->v[part] + i0 + j;
				cubic(y, (int)(q - j), p + 2 + 4 * part);
				nz |= y[0] != 0.0 || y[1] != 0.0 ||
				      y[2] != 0.0 || y[3] != 0.0;
			}
			if (nz) {
				if (first == SIZE_MAX)
					first = k;
				last = k;
			}
		}
	}
	if (first == SIZE_MAX) {
		free(iv);
		return MS_OK;
	}
	iv[n * MS__WK_STRIDE] = K->x1;
	/* Keep intervals first .. last and the start of the next. */
	K->nint = last - first + 1;
	memmove(iv, iv + first * MS__WK_STRIDE,
	        (K->nint + 1) * MS__WK_STRIDE * sizeof(double));
	K->iv = iv;
	K->z0 = iv[0];
	K->z_end = iv[K->nint * MS__WK_STRIDE];
	for (k = 0; k < K->nint; k++)
		hc = fmin(hc,
		          iv[(k + 1) * MS__WK_STRIDE] - iv[k * MS__WK_STRIDE]);
	/* Cells of half the narrowest interval, each given the interval
	 * holding a point a quarter of a cell before it: with rounding in
	 * the cell's index, x then lies in that interval or the next. */
	hc *= 0.5;
	K->inv_hc = 1.0 / hc;
	K->ncell = (size_t)((K->z_end - K->z0) * K->inv_hc) + 2;
	K->cell = malloc(K->ncell * sizeof(uint32_t));
	if (!K->cell)
		return MS_ENOMEM;
	k = 0;
	for (size_t c = 0; c < K->ncell; c++) {
		double x = K->z0 + ((double)c - 0.25) * hc;
		while (k + 1 < K->nint && x >= iv[(k + 1) * MS__WK_STRIDE])
			k++;
		K->cell[c] = (uint32_t)k;
	}
	return summed_tables(K);
}

/*
 * Tabulate the interaction of a spike with waveform w1 at 0 and a later
 * (or, for pre-post, any) spike with w2 at x in [x0, x1]:
 *     K(x) = I(w2 at x | w1 at 0) - I(w2 alone),
 * the kink candidates being the differences c - b of the breaks c of w1
 * and b of w2. Grids: segments between kinks closer than step/2 merged,
 * at least 4 nodes each.
 */
static int kernel_build(const ms__wstdp *ctx, ms__wkernel *K, const term *t1,
                        const term *t2, double x0, double x1,
                        const double single[2])
{
	double *kk;
	size_t n1 = n_breaks(t1->w), n2 = n_breaks(t2->w), nk = 0, ns;
	size_t total = 0;
	double h = ctx->step;

	memset(K, 0, sizeof(*K));
	K->x0 = x0;
	K->x1 = x1;
	kk = malloc((n1 + n2 + n1 * n2 + 2) * sizeof(double));
	if (!kk)
		return MS_ENOMEM;
	{
		double *b1 = kk + n1 * n2 + 2, *b2 = b1 + n1;
		n1 = ms__wave_breaks(t1->w, b1, n1);
		n2 = ms__wave_breaks(t2->w, b2, n2);
		kk[nk++] = x0;
		kk[nk++] = x1;
		for (size_t i = 0; i < n1; i++)
			for (size_t j = 0; j < n2; j++) {
				double x = b1[i] - b2[j];
				if (x > x0 && x < x1)
					kk[nk++] = x;
			}
	}
	sort_doubles(kk, nk);
	ns = 1;
	for (size_t i = 1; i < nk; i++)
		if (kk[i] - kk[ns - 1] >= 0.5 * h)
			kk[ns++] = kk[i];
	if (kk[ns - 1] != x1) {
		if (ns > 1)
			kk[ns - 1] = x1;
		else
			kk[ns++] = x1;
	}
	K->nseg = ns - 1;
	K->sx = kk;
	K->sh = malloc(K->nseg * sizeof(double));
	K->si = malloc((K->nseg + 1) * sizeof(size_t));
	if (!K->sh || !K->si)
		return MS_ENOMEM;
	for (size_t s = 0; s < K->nseg; s++) {
		double len = kk[s + 1] - kk[s];
		size_t m = (size_t)ceil(len / h) + 1;
		if (m < 4)
			m = 4;
		K->si[s] = total;
		K->sh[s] = len / (double)(m - 1);
		total += m;
	}
	K->si[K->nseg] = total;
	K->v[0] = malloc(total * sizeof(double));
	K->v[1] = malloc(total * sizeof(double));
	if (!K->v[0] || !K->v[1])
		return MS_ENOMEM;
	K->zero = 1;
	for (size_t s = 0; s < K->nseg; s++)
		for (size_t i = K->si[s]; i < K->si[s + 1]; i++) {
			size_t m = K->si[s + 1] - K->si[s];
			double x = i + 1 == K->si[s + 1]
			               ? kk[s + 1]
			               : kk[s] + (double)(i - K->si[s]) *
			                             (kk[s + 1] - kk[s]) /
			                             (double)(m - 1);
			term tm[2] = {*t1, *t2};
			double I[2];
			tm[1].t0 = x;
			exact_terms(ctx, ctx->p, tm, 1, I, NULL);
			K->v[0][i] = I[0] - single[0];
			K->v[1][i] = I[1] - single[1];
			if (K->v[0][i] != 0.0 || K->v[1][i] != 0.0)
				K->zero = 0;
		}
	return kernel_tables(K);
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                   */

void ms__wstdp_free(ms__wstdp *ctx)
{
	kernel_free(&ctx->k_pp);
	kernel_free(&ctx->k_pre);
	kernel_free(&ctx->k_post);
}

static void single(const ms__wstdp *ctx, const ms__waveform *w, double a,
                   double I[2])
{
	term t = {w, 0.0, a};

	exact_terms(ctx, ctx->p, &t, 0, I, NULL);
}

/* Exact isolated pair with the current tolerance: singles + interaction. */
static void pair_exact(const ms__wstdp *ctx, double dT, double I[2])
{
	double J[2];
	term tm[2] = {{ctx->pre, 0.0, ctx->a_pre}, {ctx->post, dT, 1.0}};

	if (dT < 0) {
		tm[0] = (term){ctx->post, dT, 1.0};
		tm[1] = (term){ctx->pre, 0.0, ctx->a_pre};
		single(ctx, ctx->post, 1.0, J);
	} else {
		single(ctx, ctx->pre, ctx->a_pre, J);
	}
	exact_terms(ctx, ctx->p, tm, 1, I, NULL);
	I[0] += J[0];
	I[1] += J[1];
}

/*
 * The scale of the tolerance: the largest |I_+| + |I_-| of an isolated
 * pair on a scan of 257 points of the overlap range, computed with an
 * absolute tolerance of 1e-6 of a bound (overlap length times the largest
 * |g| the pair can reach). Falls back on that bound, then on 1, when the
 * pair never changes the device.
 */
static void find_scale(ms__wstdp *ctx)
{
	const ms__waveform *a = ctx->pre, *b = ctx->post;
	double x0 = a->lo - b->hi, x1 = a->hi - b->lo;
	double amax = fmax(ctx->a_pre * a->vmax, ctx->a_pre * a->vmin);
	double amin = fmin(ctx->a_pre * a->vmax, ctx->a_pre * a->vmin);
	double len = fmax(a->hi - a->lo, b->hi - b->lo);
	double S =
	    len * fmax(fabs(ctx->m->g(ctx->p, ctx->opt, b->vmax + amax)),
	               fabs(ctx->m->g(ctx->p, ctx->opt, b->vmin + amin)));
	double best = 0.0;

	if (!(S > 0.0 && S < INFINITY))
		S = 1.0;
	ctx->tol = 1e-6 * S;
	for (int i = 0; i <= 256; i++) {
		double I[2];
		pair_exact(ctx, x0 + (x1 - x0) * i / 256.0, I);
		best = fmax(best, fabs(I[0]) + fabs(I[1]));
	}
	ctx->scale = best > 0.0 && best < INFINITY ? best : S;
	ctx->tol = ctx->tol_rel * ctx->scale;
}

int ms__wstdp_setup(ms__wstdp *ctx, const ms__waveform *pre,
                    const ms__waveform *post, double k, int sum,
                    const ms__device_model *m, const double *p, const int *opt,
                    double tol, int fast, double kernel_step, char *err,
                    size_t errlen)
{
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	if (!pre || !post || pre->shape == MS__WAVE_NONE ||
	    post->shape == MS__WAVE_NONE) {
		snprintf(err, errlen,
		         "waveform STDP needs a waveform on the "
		         "pre- and the post-synaptic population");
		return MS_EINVAL;
	}
	if (!m || m->is_pulse || !m->g || !m->band) {
		snprintf(err, errlen,
		         "waveform STDP needs a device with a rate law, got %s",
		         m ? m->name : "none");
		return MS_EINVAL;
	}
	if (!(k >= 0.0 && k < INFINITY)) {
		snprintf(
		    err, errlen,
		    "k = %g is out of range: expected a finite attenuation "
		    ">= 0",
		    k);
		return MS_EINVAL;
	}
	if (!(tol > 0.0 && tol <= 0.01)) {
		snprintf(err, errlen,
		         "tol = %g is out of range: expected > 0 and <= 0.01 "
		         "(relative to the largest change of a pair)",
		         tol);
		return MS_EINVAL;
	}
	if (fast < MS__WSTDP_EXACT || fast > MS__WSTDP_HYBRID) {
		snprintf(err, errlen,
		         "mode = %d is not one of exact (0), fast (1), "
		         "hybrid (2)",
		         fast);
		return MS_EINVAL;
	}
	if (fast && !(kernel_step > 0.0 && kernel_step < INFINITY)) {
		snprintf(err, errlen,
		         "kernel_step = %g ms is out of range: expected > 0 ms",
		         kernel_step);
		return MS_EINVAL;
	}
	ctx->pre = pre;
	ctx->post = post;
	ctx->a_pre = sum ? k : -k;
	ctx->m = m;
	memcpy(ctx->p, p, m->n_params * sizeof(double));
	if (opt)
		memcpy(ctx->opt, opt, m->n_opts * sizeof(int));
	ctx->tol_rel = tol;
	ctx->fast = fast;
	ctx->step = kernel_step;
	find_scale(ctx);
	single(ctx, pre, ctx->a_pre, ctx->single_pre);
	single(ctx, post, 1.0, ctx->single_post);
	if (!fast)
		return MS_OK;
	{
		term tpre = {pre, 0.0, ctx->a_pre}, tpost = {post, 0.0, 1.0};
		rc = kernel_build(ctx, &ctx->k_pp, &tpre, &tpost,
		                  pre->lo - post->hi, pre->hi - post->lo,
		                  ctx->single_post);
		if (!rc)
			rc = kernel_build(ctx, &ctx->k_pre, &tpre, &tpre, 0.0,
			                  pre->hi - pre->lo, ctx->single_pre);
		if (!rc)
			rc =
			    kernel_build(ctx, &ctx->k_post, &tpost, &tpost, 0.0,
			                 post->hi - post->lo, ctx->single_post);
	}
	if (rc) {
		ms__wstdp_free(ctx);
		snprintf(err, errlen, "out of memory");
	}
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Increments                                                               */

/* Add the kernel K at x to I; returns 1 if the two waveforms overlap. */
static inline int add_kernel(const ms__wkernel *K, double x, double I[2])
{
	if (!(x > K->x0 && x < K->x1) && !(x == 0.0 && K->x0 == 0.0))
		return 0;
	kernel_add(K, x, I);
	return 1;
}

/* Fast mode: the new spike's single term and its pair kernels with every
 * known spike; returns how many of those overlap it. */
static size_t fast_increment(const ms__wstdp *ctx, const double *pre_t,
                             size_t npre, const double *post_t, size_t npost,
                             int new_is_post, double t_new, double I[2])
{
	const double *s = new_is_post ? ctx->single_post : ctx->single_pre;
	size_t n = 0;

	I[0] = s[0];
	I[1] = s[1];
	for (size_t k = 0; k < npre; k++)
		n += new_is_post
		         ? add_kernel(&ctx->k_pp, t_new - pre_t[k], I)
		         : add_kernel(&ctx->k_pre, fabs(t_new - pre_t[k]), I);
	for (size_t k = 0; k < npost; k++)
		n += new_is_post
		         ? add_kernel(&ctx->k_post, fabs(t_new - post_t[k]), I)
		         : add_kernel(&ctx->k_pp, post_t[k] - t_new, I);
	return n;
}

void ms__wstdp_increment(const ms__wstdp *ctx, const double *pre_t, size_t npre,
                         const double *post_t, size_t npost, int new_is_post,
                         double t_new, double I[2], double *err_est)
{
	if (ctx->fast == MS__WSTDP_EXACT ||
	    (fast_increment(ctx, pre_t, npre, post_t, npost, new_is_post, t_new,
	                    I) > 1 &&
	     ctx->fast == MS__WSTDP_HYBRID)) {
		ms__wstdp_exact(ctx, NULL, pre_t, npre, post_t, npost,
		                new_is_post, t_new, I, err_est);
		return;
	}
	if (err_est)
		*err_est = 0.0;
}

double ms__wstdp_dw(const ms__wstdp *ctx, const double *p, double w,
                    const double I[2])
{
	const ms__device_model *m = ctx->m;

	if (!p)
		p = ctx->p;
	if (!m->F)
		return I[0] + I[1];
	return (I[0] != 0.0 ? m->F(p, ctx->opt, w, 1) * I[0] : 0.0) +
	       (I[1] != 0.0 ? m->F(p, ctx->opt, w, -1) * I[1] : 0.0);
}

double ms__wstdp_pair(const ms__wstdp *ctx, double dT, double w)
{
	double I[2], J[2], pre = 0.0, post = dT;

	/* Spikes in time order, the pre arrival first at dT = 0. */
	if (dT >= 0) {
		ms__wstdp_increment(ctx, NULL, 0, NULL, 0, 0, pre, I, NULL);
		ms__wstdp_increment(ctx, &pre, 1, NULL, 0, 1, post, J, NULL);
	} else {
		ms__wstdp_increment(ctx, NULL, 0, NULL, 0, 1, post, I, NULL);
		ms__wstdp_increment(ctx, NULL, 0, &post, 1, 0, pre, J, NULL);
	}
	I[0] += J[0];
	I[1] += J[1];
	return ms__wstdp_dw(ctx, NULL, w, I);
}

/* ------------------------------------------------------------------------ */
/* The rule                                                                 */

enum { P_K, P_TOL, P_STEP, P_HIST };
enum { O_MODE, O_COMBINE };

static const ms_param_info rule_params[] = {
    {"k", MS_DIM_NONE, 1.0, 0.0, 1e6, 0,
     "attenuation of the pre-synaptic waveform across the device"},
    {"tol", MS_DIM_NONE, 1e-9, 0.0, 0.01, 1,
     "exact mode: quadrature error per update, relative to the largest "
     "change of an isolated pair"},
    {"kernel_step", MS_DIM_TIME, 0.05, 0.0, 10.0, 1,
     "fast mode: grid step of the pair kernels"},
    {"history", MS_DIM_NONE, 8.0, 1.0, 64.0, 0,
     "spikes remembered per synapse (pre) and per neuron (post) while "
     "their waveforms can still overlap a new one"},
};
static const char *const mode_values[] = {"exact", "fast", "hybrid", NULL};
static const char *const combine_values[] = {"difference", "sum", NULL};
static const char *const rule_opt_names[] = {"mode", "combine"};
static const char *const *const rule_opt_values[] = {mode_values,
                                                     combine_values};

/* Recent spikes, oldest first: n of at most cap times; last, the newest
 * ever pushed (-inf: none). */
typedef struct ring {
	double *t;
	uint8_t *n;
	double *last;
} ring;

/*
 * Pre-synaptic histories live in "slots": one per source when the
 * projection has one delay (pl->per_src: the arrivals at a source's
 * synapses are the same), else one per synapse. A ring is expired only
 * before a push: a spike that no longer overlaps new ones is skipped by
 * every reader anyway, and whether it leaves the ring before or at the
 * next push changes nothing.
 */
typedef struct wrule {
	ms__waveform wpre, wpost; /* prepared copies of the populations' */
	ms__wstdp ctx;
	int per_syn; /* device parameters differ: exact with each one's */
	int F_one;   /* the law's F is 1: dw = I[0] + I[1] */
	uint32_t cap;
	ring pre, post;   /* per slot, per post unit */
	double reach_pre; /* a pre arrival at p can still overlap a new
	                     spike at t iff p > t - reach_pre */
	double reach_post;
	double *pp; /* post-post kernel values of the current post spike */
} wrule;

static void ring_expire(const ring *r, uint64_t k, uint32_t cap, double t,
                        double reach)
{
	double *x = r->t + k * cap;
	unsigned n = r->n[k], d = 0;

	while (d < n && x[d] <= t - reach)
		d++;
	if (d) {
		memmove(x, x + d, (n - d) * sizeof(double));
		r->n[k] = (uint8_t)(n - d);
	}
}

/* Expire, then append t; when full the oldest spike is forgotten. */
static void ring_push(const ring *r, uint64_t k, uint32_t cap, double t,
                      double reach)
{
	double *x = r->t + k * cap;
	unsigned n;

	ring_expire(r, k, cap, t, reach);
	n = r->n[k];
	if (n == cap) {
		memmove(x, x + 1, (n - 1) * sizeof(double));
		n--;
	}
	x[n] = t;
	r->n[k] = (uint8_t)(n + 1);
	r->last[k] = t;
}

static int ring_alloc(ring *r, uint64_t n, uint32_t cap)
{
	if (!n)
		n = 1;
	r->t = malloc(n * cap * sizeof(double));
	r->n = calloc(n, 1);
	r->last = malloc(n * sizeof(double));
	if (!r->t || !r->n || !r->last)
		return MS_ENOMEM;
	for (uint64_t k = 0; k < n; k++)
		r->last[k] = -INFINITY;
	return MS_OK;
}

static void wave_destroy(ms__plast *pl)
{
	wrule *R = pl->state;

	if (!R)
		return;
	ms__wstdp_free(&R->ctx);
	free(R->pre.t);
	free(R->pre.n);
	free(R->post.t);
	free(R->post.n);
	free(R->pre.last);
	free(R->post.last);
	free(R->pp);
	free(R);
	pl->state = NULL;
}

/*
 * Prepare copies of the two waveforms, set up the increments (fast mode's
 * kernels only when every device has the configured parameters: with
 * device-to-device spread, increments are exact with each device's own
 * law), and size the spike histories.
 */
static int wave_build(ms__plast *pl, char *err, size_t errlen)
{
	wrule *R;
	double h = pl->param[P_HIST], lo;
	int fast = pl->opt[O_MODE], rc; /* MS__WSTDP_* */
	const ms__device_model *m = pl->dev.c.m;

	if (h != floor(h)) {
		snprintf(err, errlen,
		         "stdp_waveform: history = %g is not a whole number of "
		         "spikes",
		         h);
		return MS_EINVAL;
	}
	if (!pl->wpre || !pl->wpost) {
		snprintf(err, errlen,
		         "stdp_waveform needs spike waveforms on "
		         "both populations");
		return MS_EINVAL;
	}
	R = calloc(1, sizeof(*R));
	if (!R)
		return MS_ENOMEM;
	pl->state = R;
	R->wpre = *pl->wpre;
	R->wpost = *pl->wpost;
	if ((rc = ms__wave_prepare(&R->wpre, err, errlen)) ||
	    (rc = ms__wave_prepare(&R->wpost, err, errlen)))
		return rc;
	R->per_syn = pl->dev.ps != NULL;
	if ((rc = ms__wstdp_setup(&R->ctx, &R->wpre, &R->wpost, pl->param[P_K],
	                          pl->opt[O_COMBINE] == 1, m, pl->dev.c.p,
	                          pl->dev.c.opt, pl->param[P_TOL],
	                          R->per_syn ? MS__WSTDP_EXACT : fast,
	                          pl->param[P_STEP], err, errlen)))
		return rc;
	R->F_one = !m->F || (m->F_is_one && m->F_is_one(pl->dev.c.opt));
	R->cap = (uint32_t)h;
	lo = fmin(R->wpre.lo, R->wpost.lo);
	R->reach_pre = R->wpre.hi - lo;
	R->reach_post = R->wpost.hi - lo;
	R->pp = malloc(2 * R->cap * sizeof(double));
	if (!R->pp ||
	    ring_alloc(&R->pre, pl->per_src ? pl->n_pre : pl->proj->n,
	               R->cap) ||
	    ring_alloc(&R->post, pl->n_post, R->cap))
		return MS_ENOMEM;
	return MS_OK;
}

/* The common device of ms__plast_lin_of with F = 1 (the law's window
 * off): the fast loops below. */
static int lin_of(const ms__plast *pl, const wrule *R, ms__plast_lin *L)
{
	return ms__plast_lin_of(pl, L) && R->F_one;
}

/* Apply the increment I to synapse s at t, through the device with the
 * state frozen at its value at t (law parameters p, NULL: the cfg's). */
static inline void apply(ms__plast *pl, const wrule *R, const double *p,
                         uint64_t s, const double I[2], int is_post, double t)
{
	double dw;

	if (I[0] == 0.0 && I[1] == 0.0)
		return;
	dw = R->F_one ? I[0] + I[1]
	              : ms__wstdp_dw(&R->ctx, p, ms__plast_state(pl, s, t), I);
	ms__plast_step(pl, s, dw, t, is_post);
}

/* The exact increment of synapse s (pre history in slot a) for a new
 * spike at t. */
static void update_exact(ms__plast *pl, const wrule *R, uint64_t s, uint64_t a,
                         uint32_t i, int is_post, double t)
{
	const double *pt = R->pre.t + a * R->cap;
	const double *qt = R->post.t + (uint64_t)i * R->cap;
	const double *p =
	    R->per_syn ? ms__device_params(&pl->dev, s) : R->ctx.p;
	double I[2];

	ms__wstdp_exact(&R->ctx, p, pt, R->pre.n[a], qt, R->post.n[i], is_post,
	                t, I, NULL);
	apply(pl, R, p, s, I, is_post, t);
}

/*
 * Sum of the kernel K at t - u[k] (sign +1) or u[k] - t (sign -1) over
 * the n spikes u into I, in order. Without counting overlaps (fast mode)
 * this is what add_kernel would add: a kernel is 0 where the two
 * waveforms do not overlap.
 */
static inline void add_all(const ms__wkernel *K, const double *u, unsigned n,
                           double t, double sign, double I[2])
{
	for (unsigned k = 0; k < n; k++)
		kernel_add(K, sign * (t - u[k]), I);
}

/* The same with add_kernel, returning how many overlap (hybrid mode). */
static inline size_t add_count(const ms__wkernel *K, const double *u,
                               unsigned n, double t, double sign, double I[2])
{
	size_t c = 0;

	for (unsigned k = 0; k < n; k++)
		c += add_kernel(K, sign * (t - u[k]), I);
	return c;
}

/*
 * Fast mode with F = 1 (R->F_one) needs only I[0] + I[1]: the rule then
 * works with that sum throughout, the pre-post kernel read from its summed
 * cubics (kernel_at), and a synapse is updated when the sum is not 0.
 * dw = c + the pre-post kernels of a new post spike at t with the pre
 * spikes u[0 .. n-1] (sum_post), or of a new pre arrival at t with the
 * post spikes u (sum_pre), c being the new spike's own part. Histories
 * are in time order: taken from the newest, the distance only grows (the
 * rounding of t - u is monotone too), so the first spike beyond the far
 * end of the kernel's support ends the sum; a nearer one, in a gap of the
 * support next to 0, adds 0.
 */
static inline double sum_post(const ms__wkernel *K, const double *u, unsigned n,
                              double t, double c)
{
	for (unsigned k = n; k-- > 0;) {
		double x = t - u[k];
		if (!(x < K->z_end))
			break;
		if (x >= K->z0)
			c += kernel_at(K, x);
	}
	return c;
}

static inline double sum_pre(const ms__wkernel *K, const double *u, unsigned n,
                             double t, double c)
{
	for (unsigned k = n; k-- > 0;) {
		double x = u[k] - t;
		if (!(x >= K->z0))
			break;
		if (x < K->z_end)
			c += kernel_at(K, x);
	}
	return c;
}

/*
 * The fast or hybrid increment of a pre arrival at t whose own part (its
 * single term and pre-pre kernels, in the order ms__wstdp_increment adds
 * them) is P, from np overlapping pre spikes, at synapse s onto unit i:
 * add the pre-post kernels of i's post spikes. Hybrid mode turns to
 * quadrature when more than one known spike overlaps.
 */
static inline void fast_pre(ms__plast *pl, const wrule *R, uint64_t s,
                            uint64_t a, uint32_t i, double t, const double P[2],
                            size_t np)
{
	const ms__wkernel *K = &R->ctx.k_pp;
	const double *qt = R->post.t + (uint64_t)i * R->cap;
	double I[2] = {P[0], P[1]};

	if (R->ctx.fast == MS__WSTDP_FAST && R->F_one) {
		double dw = sum_pre(K, qt, R->post.n[i], t, P[0] + P[1]);
		if (dw != 0.0)
			ms__plast_step(pl, s, dw, t, 0);
		return;
	}
	if (R->ctx.fast == MS__WSTDP_FAST) {
		add_all(K, qt, R->post.n[i], t, -1.0, I);
	} else if (np + add_count(K, qt, R->post.n[i], t, -1.0, I) > 1) {
		update_exact(pl, R, s, a, i, 0, t);
		return;
	}
	apply(pl, R, NULL, s, I, 0, t);
}

/*
 * Fast mode on the common device (lin_of, so F = 1): a pre arrival at t,
 * with own part c, at synapses s0 .. s0+n-1 sharing one history (per
 * source), or a post spike of a unit at t with own part c (single term
 * and post-post kernels) over its n synapses syn (slots slot, or the
 * synapses). The same sums as fast_pre and wave_on_post, with the loop's
 * data in locals. Where the partner's newest spike is out of the kernel's
 * reach the sum ends at once, and with c = 0 the synapse is left alone.
 * (A branch-free first pass listing the synapses that can change, as an
 * earlier version had, cost more than it saved: after a post spike about
 * 2/3 of them can, in the benchmark, and nearly all after a pre arrival.)
 */
static void pre_lin(const wrule *R, ms__plast_lin L, const uint32_t *target,
                    uint64_t s0, uint32_t n, double t, double c)
{
	const ms__wkernel K = R->ctx.k_pp;
	const double *post_t = R->post.t;
	const uint8_t *post_n = R->post.n;
	const uint32_t cap = R->cap;

	for (uint64_t s = s0; s < s0 + n; s++) {
		uint32_t i = target[s];
		double dw =
		    sum_pre(&K, post_t + (uint64_t)i * cap, post_n[i], t, c);
		if (dw != 0.0)
			ms__plast_lin_step(L, s, dw);
	}
}

static void post_lin(const wrule *R, ms__plast_lin L, const uint64_t *syn,
                     const uint32_t *slot, size_t n, double t, double c)
{
	const ms__wkernel K = R->ctx.k_pp;
	const double *pre_t = R->pre.t;
	const uint8_t *pre_n = R->pre.n;
	const uint32_t cap = R->cap;

	for (size_t k = 0; k < n; k++) {
		uint64_t s = syn[k], a = slot ? slot[k] : s;
		double dw;
		if (k + 8 < n) {
			__builtin_prefetch(&L.w[syn[k + 8]], 1);
			__builtin_prefetch(&L.weight[syn[k + 8]], 1);
		}
		dw = sum_post(&K, pre_t + a * cap, pre_n[a], t, c);
		if (dw != 0.0)
			ms__plast_lin_step(L, s, dw);
	}
}

static void wave_on_pre(ms__plast *pl, double t, uint64_t s0, uint32_t n)
{
	wrule *R = pl->state;
	const uint32_t *target = pl->proj->target;
	const int fast = R->ctx.fast != MS__WSTDP_EXACT;
	uint64_t a = pl->per_src ? ms__plast_source(pl, s0) : s0;
	double P[2] = {0.0, 0.0};
	size_t np = 0;

	ms__plast_lin L;

	if (R->ctx.fast == MS__WSTDP_FAST && pl->per_src && n &&
	    lin_of(pl, R, &L)) {
		P[0] = R->ctx.single_pre[0];
		P[1] = R->ctx.single_pre[1];
		add_all(&R->ctx.k_pre, R->pre.t + a * R->cap, R->pre.n[a], t,
		        1.0, P);
		pre_lin(R, L, target, s0, n, t, P[0] + P[1]);
		ring_push(&R->pre, a, R->cap, t, R->reach_pre);
		return;
	}
	for (uint64_t s = s0; s < s0 + n; s++) {
		if (!pl->per_src)
			a = s;
		if (fast && (s == s0 || !pl->per_src)) {
			P[0] = R->ctx.single_pre[0];
			P[1] = R->ctx.single_pre[1];
			np = add_count(&R->ctx.k_pre, R->pre.t + a * R->cap,
			               R->pre.n[a], t, 1.0, P);
		}
		if (fast)
			fast_pre(pl, R, s, a, target[s], t, P, np);
		else
			update_exact(pl, R, s, a, target[s], 0, t);
		if (!pl->per_src)
			ring_push(&R->pre, a, R->cap, t, R->reach_pre);
	}
	if (pl->per_src && n)
		ring_push(&R->pre, a, R->cap, t, R->reach_pre);
}

/*
 * Post-post kernels of a post spike of unit i at t with i's earlier ones:
 * the same for all of i's synapses, evaluated once. The nonzero values go
 * to R->pp (to be added after the pre-post ones, in the order of
 * ms__wstdp_increment); returns how many overlap, *npp the values.
 */
static size_t post_post(wrule *R, uint32_t i, double t, size_t *npp)
{
	const double *qt = R->post.t + (uint64_t)i * R->cap;
	size_t nq = 0;

	*npp = 0;
	for (unsigned k = 0; k < R->post.n[i]; k++) {
		double J[2] = {0.0, 0.0};
		if (!add_kernel(&R->ctx.k_post, t - qt[k], J))
			continue;
		nq++;
		if (J[0] != 0.0 || J[1] != 0.0) {
			R->pp[2 * *npp] = J[0];
			R->pp[2 * *npp + 1] = J[1];
			(*npp)++;
		}
	}
	return nq;
}

/* The synapses of a post unit are scattered: fetch a few ahead. */
static inline void fetch_ahead(const ms__plast *pl, const uint64_t *syn,
                               size_t k, size_t n)
{
	if (k + 8 < n) {
		__builtin_prefetch(&pl->w[syn[k + 8]], 1);
		__builtin_prefetch(&pl->weight[syn[k + 8]], 1);
	}
}

static void wave_on_post(ms__plast *pl, double t, uint32_t i,
                         const uint64_t *syn, size_t n)
{
	wrule *R = pl->state;
	const ms__wstdp *C = &R->ctx;
	const uint32_t *slot = pl->per_src ? pl->in_src + pl->in_row[i] : NULL;
	const int sum = C->fast == MS__WSTDP_FAST && R->F_one;
	size_t nq = 0, npp = 0;
	double c = 0.0; /* the spike's own part, when sum */

	ms__plast_lin L;

	if (C->fast != MS__WSTDP_EXACT)
		nq = post_post(R, i, t, &npp);
	if (sum) {
		c = C->single_post[0] + C->single_post[1];
		for (size_t q = 0; q < npp; q++)
			c += R->pp[2 * q] + R->pp[2 * q + 1];
	}
	if (sum && lin_of(pl, R, &L)) {
		post_lin(R, L, syn, slot, n, t, c);
		ring_push(&R->post, i, R->cap, t, R->reach_post);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		uint64_t s = syn[k], a = slot ? slot[k] : s;
		const double *pt = R->pre.t + a * R->cap;
		double I[2] = {C->single_post[0], C->single_post[1]};

		fetch_ahead(pl, syn, k, n);
		if (sum) {
			double dw = sum_post(&C->k_pp, pt, R->pre.n[a], t, c);
			if (dw != 0.0)
				ms__plast_step(pl, s, dw, t, 1);
			continue;
		}
		if (C->fast == MS__WSTDP_FAST) {
			add_all(&C->k_pp, pt, R->pre.n[a], t, 1.0, I);
		} else if (C->fast == MS__WSTDP_EXACT ||
		           nq + add_count(&C->k_pp, pt, R->pre.n[a], t, 1.0,
		                          I) >
		               1) {
			update_exact(pl, R, s, a, i, 1, t);
			continue;
		}
		for (size_t q = 0; q < npp; q++) {
			I[0] += R->pp[2 * q];
			I[1] += R->pp[2 * q + 1];
		}
		apply(pl, R, NULL, s, I, 1, t);
	}
	ring_push(&R->post, i, R->cap, t, R->reach_post);
}

const ms__rule ms__rule_stdp_waveform = {
    .name = "stdp_waveform",
    .doc = "STDP emerging from spike waveforms across a memristive device "
           "(Linares-Barranco & Serrano-Gotarredona 2009; Zamarreno-Ramos "
           "et al. 2011)",
    .params = rule_params,
    .n_params = sizeof(rule_params) / sizeof(rule_params[0]),
    .opt_names = rule_opt_names,
    .opt_values = rule_opt_values,
    .n_opts = 2,
    .needs_waveforms = 1,
    .needs_rate_law = 1,
    .build = wave_build,
    .destroy = wave_destroy,
    .on_pre = wave_on_pre,
    .on_post = wave_on_post,
};

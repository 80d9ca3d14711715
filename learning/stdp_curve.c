/*
 * stdp_curve — what `memspike stdp-curve` computes from a pairing protocol
 * after the run: exponential fits of the window, and the curve file
 * (its layout: docs/cli.md, "stdp-curve").
 *
 * The window is fitted, as in Bi & Poo 1998 (J. Neurosci. 18:10464) and
 * most of the literature since, with one exponential per side:
 *     delta_w = A+ exp(-dT / tau+)   for dT > 0,
 *     delta_w = A- exp(+dT / tau-)   for dT < 0,
 * A- being negative for depression. Each side uses the points from its
 * extremum (the largest delta_w for dT > 0, the smallest for dT < 0)
 * outwards, since a window that rises from zero at dT = 0 (waveform STDP
 * does) is not exponential on the inner flank. The fit minimises the
 * squared error in delta_w itself: an initial guess from a straight line
 * through log|delta_w| (weighted by delta_w^2, which makes the log fit
 * approximate the linear one and keeps near-zero tails from dominating),
 * then Levenberg-Marquardt iterations on (A, ln tau).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "memspike/memspike.h"

#define FIT_MAX_ITER 200

/* ------------------------------------------------------------------------ */
/* Fits                                                                     */

struct side {
	const double *x, *y; /* |dT| and delta_w of the points used */
	size_t n;
};

static double sse(const struct side *s, double A, double tau)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++) {
		double r = s->y[i] - A * exp(-s->x[i] / tau);

		sum += r * r;
	}
	return sum;
}

/*
 * Starting point: ln|y| = ln|A| - x / tau by weighted least squares over
 * the points with the sign of the extremum (weight y^2). When the points
 * do not decay (slope >= 0, or a single distinct x), tau is the span of x
 * and A goes through the extremum ypk at xpk.
 */
static void initial_guess(const struct side *s, double ypk, double xpk,
                          double *A, double *tau)
{
	double sw = 0, sx = 0, sl = 0, sxx = 0, sxl = 0, den, slope;
	double xmin = INFINITY, xmax = -INFINITY;

	for (size_t i = 0; i < s->n; i++) {
		double y = s->y[i], w = y * y, l;

		if (!(y * ypk > 0))
			continue;
		l = log(fabs(y));
		sw += w;
		sx += w * s->x[i];
		sl += w * l;
		sxx += w * s->x[i] * s->x[i];
		sxl += w * s->x[i] * l;
		xmin = fmin(xmin, s->x[i]);
		xmax = fmax(xmax, s->x[i]);
	}
	den = sw * sxx - sx * sx;
	slope = den > 0 ? (sw * sxl - sx * sl) / den : 0;
	if (slope < 0) {
		*tau = -1 / slope;
		*A = copysign(exp((sl - slope * sx) / sw), ypk);
		return;
	}
	*tau = xmax > xmin ? xmax - xmin : fmax(xmax, 1.0);
	*A = ypk * exp(xpk / *tau);
}

/*
 * Levenberg-Marquardt on (A, q = ln tau) for y = A exp(-x e^{-q}); the
 * log keeps tau positive. Stops when a step no longer lowers the error by
 * more than a relative 1e-14 or after FIT_MAX_ITER steps.
 */
static int levenberg_marquardt(const struct side *s, double *A, double *tau)
{
	double q = log(*tau), a = *A, lambda = 1e-3;
	double cur = sse(s, a, exp(q));

	for (int it = 0; it < FIT_MAX_ITER; it++) {
		double jaa = 0, jaq = 0, jqq = 0, ga = 0, gq = 0;
		double t = exp(q), da, dq, det, next;
		int improved = 0;

		for (size_t i = 0; i < s->n; i++) {
			double e = exp(-s->x[i] / t);
			double fa = e, fq = a * e * s->x[i] / t;
			double r = s->y[i] - a * e;

			jaa += fa * fa;
			jaq += fa * fq;
			jqq += fq * fq;
			ga += fa * r;
			gq += fq * r;
		}
		while (lambda < 1e12) {
			double maa = jaa * (1 + lambda),
			       mqq = jqq * (1 + lambda);

			det = maa * mqq - jaq * jaq;
			if (!(det > 0)) {
				lambda *= 10;
				continue;
			}
			da = (mqq * ga - jaq * gq) / det;
			dq = (maa * gq - jaq * ga) / det;
			next = sse(s, a + da, exp(q + dq));
			if (next <= cur) {
				improved = cur - next > 1e-14 * cur;
				a += da;
				q += dq;
				cur = next;
				lambda = fmax(lambda / 10, 1e-12);
				break;
			}
			lambda *= 10;
		}
		if (!improved)
			break;
	}
	*A = a;
	*tau = exp(q);
	return isfinite(*A) && isfinite(*tau) && *tau > 0;
}

/* One side: sign +1 for dT > 0 (maximum), -1 for dT < 0 (minimum). */
static int fit_side(const double *dt, const double *dw, size_t n, int sign,
                    ms_stdp_fit *out)
{
	struct side s = {NULL, NULL, 0};
	double *x, *y, ypk = 0, xpk = 0, A, tau;
	size_t i, ipk = n;

	out->A = out->tau_ms = NAN;
	out->n_used = 0;
	out->ok = 0;
	for (i = 0; i < n; i++) {
		if (!(dt[i] * sign > 0) || !isfinite(dw[i]))
			continue;
		if (ipk == n || dw[i] * sign > ypk * sign) {
			ipk = i;
			ypk = dw[i];
		}
	}
	if (ipk == n || !(ypk * sign > 0))
		return 0;
	xpk = fabs(dt[ipk]);
	x = malloc(n * sizeof(double));
	y = malloc(n * sizeof(double));
	if (x == NULL || y == NULL) {
		free(x);
		free(y);
		return MS_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (!(dt[i] * sign >= xpk) || !isfinite(dw[i]))
			continue;
		x[s.n] = fabs(dt[i]);
		y[s.n++] = dw[i];
	}
	s.x = x;
	s.y = y;
	out->n_used = s.n;
	if (s.n >= 3) {
		initial_guess(&s, ypk, xpk, &A, &tau);
		if (levenberg_marquardt(&s, &A, &tau)) {
			out->A = A;
			out->tau_ms = tau;
			out->ok = 1;
		}
	}
	free(x);
	free(y);
	return 0;
}

int ms_stdp_fit_exp(const double *delta_t_ms, const double *delta_w, size_t n,
                    ms_stdp_fit *ltp, ms_stdp_fit *ltd)
{
	int rc;

	if ((n > 0 && (delta_t_ms == NULL || delta_w == NULL)) || !ltp || !ltd)
		return MS_EINVAL;
	rc = fit_side(delta_t_ms, delta_w, n, +1, ltp);
	if (rc == 0)
		rc = fit_side(delta_t_ms, delta_w, n, -1, ltd);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* The file                                                                 */

static int attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                hsize_t n, const void *buf)
{
	hid_t space, a;
	herr_t st;

	space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
	if (space < 0)
		return -1;
	a = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
	H5Sclose(space);
	if (a < 0)
		return -1;
	st = H5Awrite(a, mtype, buf);
	H5Aclose(a);
	return st < 0 ? -1 : 0;
}

static int attr_f64(hid_t loc, const char *name, double v)
{
	return attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &v);
}

static int attr_u64(hid_t loc, const char *name, uint64_t v)
{
	return attr(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &v);
}

static int attr_str(hid_t loc, hid_t str, const char *name, const char *s)
{
	const char *v = s ? s : "";

	return attr(loc, name, str, str, 0, &v);
}

/* A float64 dataset of n values with its units attribute. */
static int column(hid_t g, hid_t str, const char *name, const double *v,
                  hsize_t n, const char *units)
{
	hid_t space, d;
	herr_t st;

	space = H5Screate_simple(1, &n, NULL);
	if (space < 0)
		return -1;
	d = H5Dcreate2(g, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
	               H5P_DEFAULT);
	H5Sclose(space);
	if (d < 0)
		return -1;
	st = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
	if (st >= 0)
		st = attr_str(d, str, "units", units);
	H5Dclose(d);
	return st < 0 ? -1 : 0;
}

static int write_stdp(hid_t f, hid_t str, const ms_stdp_curve *c)
{
	hid_t g = H5Gcreate2(f, "stdp", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	int rc;

	if (g < 0)
		return -1;
	rc = column(g, str, "delta_t_ms", c->delta_t_ms, c->n, "ms") ||
	     column(g, str, "delta_w", c->delta_w, c->n, "") ||
	     column(g, str, "delta_G_S", c->delta_G_S, c->n, "S") ||
	     column(g, str, "delta_G_over_G2", c->delta_G_over_G2, c->n,
	            "1/S") ||
	     attr_f64(g, "A_plus", c->ltp.A) ||
	     attr_f64(g, "tau_plus_ms", c->ltp.tau_ms) ||
	     attr_f64(g, "A_minus", c->ltd.A) ||
	     attr_f64(g, "tau_minus_ms", c->ltd.tau_ms) ||
	     attr_u64(g, "pairings", c->pairings) ||
	     attr_f64(g, "frequency_Hz", c->frequency_Hz) ||
	     attr_str(g, str, "rule", c->rule) ||
	     attr_str(g, str, "device", c->device);
	H5Gclose(g);
	return rc ? -1 : 0;
}

/* /memspike/run as in run files (docs/formats.md), for `memspike info`. */
static int write_run(hid_t f, hid_t str, const ms_stdp_curve *c)
{
	hid_t lcpl, g, space, d;
	const char *text = c->config_text ? c->config_text : "";
	uint8_t no = 0;
	int rc;

	lcpl = H5Pcreate(H5P_LINK_CREATE);
	if (lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0)
		return -1;
	g = H5Gcreate2(f, "/memspike/run", lcpl, H5P_DEFAULT, H5P_DEFAULT);
	H5Pclose(lcpl);
	if (g < 0)
		return -1;
	rc = attr_str(g, str, "memspike_version", MS_VERSION_STRING) ||
	     attr_u64(g, "seed", c->seed) ||
	     attr_str(g, str, "config_path", c->config_path) ||
	     attr_f64(g, "t_start_ms", 0.0) ||
	     attr_f64(g, "t_stop_ms", c->t_stop_ms) ||
	     attr_f64(g, "wall_time_s", c->wall_s) ||
	     attr(g, "interrupted", H5T_STD_U8LE, H5T_NATIVE_UINT8, 0, &no) ||
	     attr_str(g, str, "write_error", "");
	space = H5Screate(H5S_SCALAR);
	d = rc || space < 0 ? H5I_INVALID_HID
	                    : H5Dcreate2(g, "config", str, space, H5P_DEFAULT,
	                                 H5P_DEFAULT, H5P_DEFAULT);
	if (space >= 0)
		H5Sclose(space);
	if (d < 0 || H5Dwrite(d, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0)
		rc = -1;
	if (d >= 0)
		H5Dclose(d);
	H5Gclose(g);
	return rc ? -1 : 0;
}

/* -2 when the file cannot be created (errno says why), -1 when writing
 * fails. */
static int write_file(const char *tmp, const ms_stdp_curve *c)
{
	static const uint32_t version[2] = {0, 1};
	uint32_t magic = 0x0A7A;
	hid_t f, str;
	int rc = -1;

	errno = 0;
	f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (f < 0)
		return -2;
	str = H5Tcopy(H5T_C_S1);
	if (str >= 0 && H5Tset_size(str, H5T_VARIABLE) >= 0 &&
	    H5Tset_cset(str, H5T_CSET_UTF8) >= 0)
		rc = attr(f, "magic", H5T_STD_U32LE, H5T_NATIVE_UINT32, 0,
		          &magic) ||
		     attr(f, "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, 2,
		          version) ||
		     write_stdp(f, str, c) || write_run(f, str, c);
	if (str >= 0)
		H5Tclose(str);
	if (H5Fclose(f) < 0)
		rc = -1;
	return rc ? -1 : 0;
}

int ms_stdp_curve_write(const char *path, const ms_stdp_curve *curve,
                        ms_error *err)
{
	H5E_auto2_t old_fn;
	void *old_data;
	char *tmp;
	int rc = 0, wr;

	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
	if (!path || !curve ||
	    (curve->n > 0 && (!curve->delta_t_ms || !curve->delta_w ||
	                      !curve->delta_G_S || !curve->delta_G_over_G2))) {
		if (err) {
			err->code = MS_EINVAL;
			snprintf(err->msg, sizeof(err->msg),
			         "ms_stdp_curve_write: no path or no data");
		}
		return MS_EINVAL;
	}
	tmp = malloc(strlen(path) + 5);
	if (tmp == NULL)
		return MS_ENOMEM;
	sprintf(tmp, "%s.tmp", path);
	H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	if ((wr = write_file(tmp, curve)) < 0) {
		rc = MS_EIO;
		if (err && wr == -2)
			snprintf(err->msg, sizeof(err->msg),
			         "%s: cannot create: %s", tmp,
			         errno ? strerror(errno) : "HDF5 error");
		else if (err)
			snprintf(err->msg, sizeof(err->msg),
			         "%s: cannot write the curve file", tmp);
	} else if (rename(tmp, path) != 0) {
		rc = MS_EIO;
		if (err)
			snprintf(err->msg, sizeof(err->msg),
			         "%s: cannot rename to %s: %s", tmp, path,
			         strerror(errno));
	}
	H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
	if (rc) {
		remove(tmp);
		if (err)
			err->code = rc;
	}
	free(tmp);
	return rc;
}

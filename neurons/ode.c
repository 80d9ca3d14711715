/*
 * ode — Dormand–Prince 5(4) steps with error control and dense output.
 *
 * Butcher tableau of RK5(4)7M, Dormand & Prince (1980), J Comput Appl Math
 * 6:19–26, table 2; the fifth-order weights b are the last row of A (the
 * seventh stage is f at the step's end). Error weights e = b - b*, with b*
 * the embedded fourth-order weights of the same table. Dense output: the
 * fourth-order continuous extension of Shampine (1986), Math Comp
 * 46:135–150, in the form of Hairer, Nørsett & Wanner, "Solving Ordinary
 * Differential Equations I" (2nd ed., 1993), section II.6:
 *
 *     y(t0 + th h) = r1 + th (r2 + (1 - th) (r3 + th (r4 + (1 - th) r5)))
 *     r1 = y0, r2 = y1 - y0, r3 = h f0 - r2, r4 = r2 - h f1 - r3,
 *     r5 = h sum_i dc_i k_i,
 *
 * a Hermite cubic through (y0, f0, y1, f1) plus a quartic correction.
 *
 * Step-size control (Hairer et al., II.4): the error norm is the RMS over
 * components of err_k / (atol + rtol max(|y0_k|, |y1_k|)); a step is
 * accepted when the norm is at most 1, and the next size is
 * h · min(5, max(0.2, 0.9 norm^(-1/5))), not growing right after a
 * refusal.
 */
#include <math.h>

#include "neurons/ode.h"

/* Nodes c_i and the lower triangle of A, row by row (Dormand & Prince 1980). */
static const double C2 = 1.0 / 5.0, C3 = 3.0 / 10.0, C4 = 4.0 / 5.0,
                    C5 = 8.0 / 9.0;
static const double A21 = 1.0 / 5.0;
static const double A31 = 3.0 / 40.0, A32 = 9.0 / 40.0;
static const double A41 = 44.0 / 45.0, A42 = -56.0 / 15.0, A43 = 32.0 / 9.0;
static const double A51 = 19372.0 / 6561.0, A52 = -25360.0 / 2187.0,
                    A53 = 64448.0 / 6561.0, A54 = -212.0 / 729.0;
static const double A61 = 9017.0 / 3168.0, A62 = -355.0 / 33.0,
                    A63 = 46732.0 / 5247.0, A64 = 49.0 / 176.0,
                    A65 = -5103.0 / 18656.0;
static const double A71 = 35.0 / 384.0, A73 = 500.0 / 1113.0,
                    A74 = 125.0 / 192.0, A75 = -2187.0 / 6784.0,
                    A76 = 11.0 / 84.0;
/* e = b - b*, with b* = (5179/57600, 0, 7571/16695, 393/640,
 * -92097/339200, 187/2100, 1/40). */
static const double E1 = 71.0 / 57600.0, E3 = -71.0 / 16695.0,
                    E4 = 71.0 / 1920.0, E5 = -17253.0 / 339200.0,
                    E6 = 22.0 / 525.0, E7 = -1.0 / 40.0;
/* Dense-output weights of r5 (Shampine 1986; Hairer et al. II.6). */
static const double D1 = -12715105075.0 / 11282082432.0,
                    D3 = 87487479700.0 / 32700410799.0,
                    D4 = -10690763975.0 / 1880347072.0,
                    D5 = 701980252875.0 / 199316789632.0,
                    D6 = -1453857185.0 / 822651844.0,
                    D7 = 69997945.0 / 29380423.0;

#define FAC_MIN  0.2
#define FAC_MAX  5.0
#define FAC_SAFE 0.9

/*
 * One trial step of size h from (t0, y0) ending at t1, stages into k;
 * y1 = the fifth-order solution (computed exactly as the seventh stage's
 * argument, so k[6] is f(t1, y1) bit for bit). Returns the error norm,
 * or INFINITY when anything is not finite.
 */
static double trial(const ms__ode_sys *s, double t0, double t1, double h,
                    const double *y0, double k[7][MS__ODE_NMAX], double *y1)
{
	double z[MS__ODE_NMAX], sum = 0.0;
	const int n = s->n;

	for (int i = 0; i < n; i++)
		z[i] = y0[i] + h * A21 * k[0][i];
	s->f(t0 + C2 * h, z, k[1], s->ctx);
	for (int i = 0; i < n; i++)
		z[i] = y0[i] + h * (A31 * k[0][i] + A32 * k[1][i]);
	s->f(t0 + C3 * h, z, k[2], s->ctx);
	for (int i = 0; i < n; i++)
		z[i] =
		    y0[i] + h * (A41 * k[0][i] + A42 * k[1][i] + A43 * k[2][i]);
	s->f(t0 + C4 * h, z, k[3], s->ctx);
	for (int i = 0; i < n; i++)
		z[i] = y0[i] + h * (A51 * k[0][i] + A52 * k[1][i] +
		                    A53 * k[2][i] + A54 * k[3][i]);
	s->f(t0 + C5 * h, z, k[4], s->ctx);
	for (int i = 0; i < n; i++)
		z[i] =
		    y0[i] + h * (A61 * k[0][i] + A62 * k[1][i] + A63 * k[2][i] +
		                 A64 * k[3][i] + A65 * k[4][i]);
	s->f(t1, z, k[5], s->ctx);
	for (int i = 0; i < n; i++)
		y1[i] =
		    y0[i] + h * (A71 * k[0][i] + A73 * k[2][i] + A74 * k[3][i] +
		                 A75 * k[4][i] + A76 * k[5][i]);
	s->f(t1, y1, k[6], s->ctx);
	for (int i = 0; i < n; i++) {
		double e = h * (E1 * k[0][i] + E3 * k[2][i] + E4 * k[3][i] +
		                E5 * k[4][i] + E6 * k[5][i] + E7 * k[6][i]);
		double sc = s->atol + s->rtol * fmax(fabs(y0[i]), fabs(y1[i]));
		double q = e / sc;
		if (!isfinite(y1[i]) || !isfinite(k[6][i]))
			return INFINITY;
		sum += q * q;
	}
	sum = sqrt(sum / n);
	return isfinite(sum) ? sum : INFINITY;
}

/* The controller's factor for the next step after an error norm err. */
static double factor(double err, double fac_max)
{
	double f;

	if (!(err < INFINITY))
		return FAC_MIN;
	if (err == 0.0)
		return fac_max;
	f = FAC_SAFE * pow(err, -0.2);
	return fmin(fac_max, fmax(FAC_MIN, f));
}

int ms__ode_step_once(const ms__ode_sys *s, double t0, const double *y0,
                      const double *f0, double h, double t_end,
                      ms__ode_step *st)
{
	double k[7][MS__ODE_NMAX];
	const int n = s->n;
	double fac_max = FAC_MAX;

	if (f0)
		for (int i = 0; i < n; i++)
			k[0][i] = f0[i];
	else
		s->f(t0, y0, k[0], s->ctx);
	h = fmin(h, s->h_max);
	st->n_rejected = 0;
	for (;;) {
		double t1 = t0 + h, err;
		if (!(h >= s->h_min))
			return -1;
		/* Cut the step so that it ends at t_end exactly. */
		if (t1 >= t_end) {
			t1 = t_end;
			h = t_end - t0;
		}
		err = trial(s, t0, t1, h, y0, k, st->y1);
		if (err <= 1.0) {
			st->t0 = t0;
			st->t1 = t1;
			st->h = h;
			st->h_next = fmin(s->h_max, h * factor(err, fac_max));
			break;
		}
		st->n_rejected++;
		fac_max = 1.0;
		h *= factor(err, fac_max);
	}
	for (int i = 0; i < n; i++) {
		double r2 = st->y1[i] - y0[i];
		double r3 = h * k[0][i] - r2;
		double *d = st->dense;
		st->f1[i] = k[6][i];
		d[i] = y0[i];
		d[n + i] = r2;
		d[2 * n + i] = r3;
		d[3 * n + i] = r2 - h * k[6][i] - r3;
		d[4 * n + i] = h * (D1 * k[0][i] + D3 * k[2][i] + D4 * k[3][i] +
		                    D5 * k[4][i] + D6 * k[5][i] + D7 * k[6][i]);
	}
	return 0;
}

double ms__ode_dense1(const double *d, int n, int k, double t0, double h,
                      double t)
{
	double th = (t - t0) / h, th1 = 1.0 - th;

	return d[k] + th * (d[n + k] +
	                    th1 * (d[2 * n + k] +
	                           th * (d[3 * n + k] + th1 * d[4 * n + k])));
}

double ms__ode_dense_rise(const double *d, int n, int k, double t0, double h,
                          double lo, double hi, double level)
{
	for (;;) {
		double mid = lo + 0.5 * (hi - lo);
		if (mid <= lo || mid >= hi)
			return hi;
		if (ms__ode_dense1(d, n, k, t0, h, mid) >= level)
			hi = mid;
		else
			lo = mid;
	}
}

void ms__ode_dense(const double *d, int n, double t0, double h, double t,
                   double *y)
{
	for (int k = 0; k < n; k++)
		y[k] = ms__ode_dense1(d, n, k, t0, h, t);
}

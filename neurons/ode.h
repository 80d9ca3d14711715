/*
 * ode — an embedded Runge–Kutta pair with error control and dense output,
 * for the small systems of numerically integrated neuron models (n <= 8).
 *
 * The pair is Dormand & Prince's RK5(4)7M (J Comput Appl Math 6:19–26,
 * 1980): a fifth-order solution, an embedded fourth-order one for the error
 * estimate, seven stages of which the last is the derivative at the step's
 * end (first same as last). Dense output inside an accepted step is the
 * fourth-order continuous extension of Shampine (Math Comp 46:135–150,
 * 1986), as used in Hairer, Nørsett & Wanner, "Solving Ordinary
 * Differential Equations I", 2nd ed., section II.6.
 *
 * Only single steps are offered: the caller owns the step sequence, which
 * is what lets a neuron model make its trajectory depend only on where it
 * starts (neurons/izhikevich.c).
 */
#ifndef MS_NEURONS_ODE_H
#define MS_NEURONS_ODE_H

#define MS__ODE_NMAX 8

/* Right-hand side: dydt = f(t, y), n components, with the caller's ctx. */
typedef void (*ms__ode_rhs)(double t, const double *y, double *dydt,
                            const void *ctx);

typedef struct ms__ode_sys {
	int n;             /* 1 .. MS__ODE_NMAX */
	ms__ode_rhs f;     /* right-hand side */
	const void *ctx;   /* passed to f */
	double rtol, atol; /* accept when |err_k| <= atol + rtol |y_k| (RMS) */
	double h_min;      /* a step below this fails */
	double h_max;      /* no step is longer */
} ms__ode_sys;

/* One accepted step [t0, t1] and what the next one needs. */
typedef struct ms__ode_step {
	double t0, t1, h;               /* h = t1 - t0 as used by the stages */
	double h_next;                  /* the controller's next step size */
	double y1[MS__ODE_NMAX];        /* solution at t1 (fifth order) */
	double f1[MS__ODE_NMAX];        /* f(t1, y1) */
	double dense[5 * MS__ODE_NMAX]; /* for ms__ode_dense, 5 n used */
	int n_rejected;                 /* attempts refused before this one */
} ms__ode_step;

/*
 * Take one accepted step from (t0, y0), trying step size h first. f0 is
 * f(t0, y0) when the caller has it (the f1 of the previous step), else
 * NULL. A step that would end after t_end is cut to end exactly at t_end
 * (st->t1 == t_end). A refused step is retried with a smaller size chosen
 * by the controller (also when the trial gives a non-finite value). The
 * result depends only on the arguments. Returns 0, or -1 when the step
 * size would fall below sys->h_min (st is then unspecified).
 */
int ms__ode_step_once(const ms__ode_sys *sys, double t0, const double *y0,
                      const double *f0, double h, double t_end,
                      ms__ode_step *st);

/* Dense output at t (t0 <= t <= t0 + h) of the step [t0, t0 + h] whose
 * coefficients are d (the first 5 n values of ms__ode_step.dense, which a
 * model may keep on their own): all n components into y. */
void ms__ode_dense(const double *d, int n, double t0, double h, double t,
                   double *y);

/* The same for component k only. */
double ms__ode_dense1(const double *d, int n, int k, double t0, double h,
                      double t);

/* First time in (lo, hi] at which component k of the dense output reaches
 * level, given that it is below at lo and at or above at hi: bisection
 * down to adjacent doubles (the threshold crossings of the integrated
 * neuron models). */
double ms__ode_dense_rise(const double *d, int n, int k, double t0, double h,
                          double lo, double hi, double level);

#endif

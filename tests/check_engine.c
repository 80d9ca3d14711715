/*
 * check_engine — scheduler, random streams, connectors, generators, inputs
 * and run control, through the public API (and the RNG's block function).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memspike/memspike.h"
#include "engine/queue.h"
#include "engine/rng.h"

/* ------------------------------------------------------------------------ */
/* Random streams                                                           */

/* Known-answer vectors of Philox4x32-10 published with Random123 (Salmon et
 * al. 2011, file kat_vectors). */
START_TEST(philox_known_answers)
{
	static const uint32_t ctr[3][4] = {
	    {0, 0, 0, 0},
	    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
	    {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}};
	static const uint32_t key[3][2] = {
	    {0, 0}, {0xffffffff, 0xffffffff}, {0xa4093822, 0x299f31d0}};
	static const uint32_t expect[3][4] = {
	    {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
	    {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
	    {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};

	for (int v = 0; v < 3; v++) {
		uint32_t out[4];
		ms__philox4x32_10(ctr[v], key[v], out);
		for (int k = 0; k < 4; k++)
			ck_assert_msg(out[k] == expect[v][k],
			              "vector %d word %d: %08x != %08x", v, k,
			              out[k], expect[v][k]);
	}
}
END_TEST

/* Uniform draws: mean 1/2 and variance 1/12 within 5 standard errors on
 * 10^6 draws; different units give different streams. */
START_TEST(rng_uniform_moments)
{
	ms__rng r, r2;
	const int n = 1000000;
	double sum = 0, sum2 = 0;
	int same = 0;

	ms__rng_init(&r, 42, MS__RNG_POISSON, ms__rng_owner("p"), 0);
	ms__rng_init(&r2, 42, MS__RNG_POISSON, ms__rng_owner("p"), 1);
	for (int k = 0; k < n; k++) {
		double u = ms__rng_uniform(&r);
		ck_assert(u >= 0.0 && u < 1.0);
		sum += u;
		sum2 += u * u;
		same += u == ms__rng_uniform(&r2);
	}
	ck_assert_double_eq_tol(sum / n, 0.5, 5 * sqrt(1.0 / 12 / n));
	ck_assert_double_eq_tol(sum2 / n - (sum / n) * (sum / n), 1.0 / 12,
	                        5 * sqrt(1.0 / 180 / n));
	ck_assert_int_lt(same, 3);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Queue                                                                    */

START_TEST(queue_total_order_and_far_future)
{
	ms__queue q;
	ms__dev ev[] = {
	    {.t = 0.35, .proj = 1, .n = 1, .s0 = 5},
	    {.t = 0.35, .proj = 0, .n = 1, .s0 = 9},
	    {.t = 0.31, .proj = 2, .n = 1, .s0 = 0},
	    {.t = 0.35, .proj = 0, .n = 1, .s0 = 3},
	    {.t = 1e6, .proj = 0, .n = 1, .s0 = 0}, /* beyond the ring */
	};
	ms__bucket *b;
	int64_t w;

	ck_assert_int_eq(ms__queue_init(&q, 0.1, 64), MS_OK);
	for (size_t k = 0; k < 5; k++)
		ck_assert_int_eq(ms__queue_push(&q, &ev[k], 0), MS_OK);
	w = ms__queue_next_window(&q, 0);
	ck_assert_int_eq(w, 3);
	/* 3 * 0.1 rounds above 0.3: 0.3 itself belongs to window 2. */
	ck_assert_int_eq(ms__queue_win(&q, 0.31), 3);
	ck_assert_int_eq(ms__queue_win(&q, 0.3), 2);
	ck_assert_int_eq(ms__queue_advance(&q, w), MS_OK);
	b = ms__queue_bucket(&q, w);
	ck_assert_uint_eq(b->n, 4);
	ck_assert(b->ev[0].t == 0.31);
	ck_assert(b->ev[1].proj == 0 && b->ev[1].s0 == 3);
	ck_assert(b->ev[2].proj == 0 && b->ev[2].s0 == 9);
	ck_assert(b->ev[3].proj == 1);
	b->n = b->head = 0;
	q.pending -= 4;
	w = ms__queue_next_window(&q, w + 1);
	ck_assert_int_eq(w, ms__queue_win(&q, 1e6));
	ck_assert_int_eq(ms__queue_advance(&q, w), MS_OK);
	b = ms__queue_bucket(&q, w);
	ck_assert_uint_eq(b->n, 1);
	ck_assert(b->ev[0].t == 1e6);
	ms__queue_free(&q);
}
END_TEST

/* Window boundaries are exact for the doubles w*D. */
START_TEST(queue_window_boundaries)
{
	ms__queue q;

	ck_assert_int_eq(ms__queue_init(&q, 0.1, 64), MS_OK);
	for (int64_t w = 0; w < 100000; w += 7) {
		double t = ms__queue_win_start(&q, w);
		ck_assert_int_eq(ms__queue_win(&q, t), w);
		ck_assert_int_eq(ms__queue_win(&q, nextafter(t, 0)),
		                 w ? w - 1 : 0);
	}
	ms__queue_free(&q);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Connectors                                                               */

static ms_net *two_pops(uint64_t seed, size_t n_a, size_t n_b, int *a, int *b)
{
	ms_net_opts o = {.seed = seed};
	ms_net *net;

	ck_assert_int_eq(ms_net_create(&o, &net), MS_OK);
	ck_assert_int_eq(ms_net_add_population(net, "a", "lif_delta", n_a, a),
	                 0);
	if (b)
		ck_assert_int_eq(
		    ms_net_add_population(net, "b", "lif_delta", n_b, b), 0);
	return net;
}

static size_t count_self(ms_net *net, int proj)
{
	size_t n = ms_net_projection_size(net, proj), self = 0;
	uint32_t *pre = malloc(n * 4 + 4), *post = malloc(n * 4 + 4);

	ms_net_projection_get(net, proj, pre, post, NULL, NULL);
	for (size_t k = 0; k < n; k++)
		self += pre[k] == post[k];
	free(pre);
	free(post);
	return self;
}

START_TEST(connect_all_to_all_and_one_to_one)
{
	int a, b, p1, p2, p3;
	ms_net *net = two_pops(1, 30, 30, &a, &b);
	ms_conn_spec all = {.rule = MS_CONN_ALL_TO_ALL};
	ms_conn_spec one = {.rule = MS_CONN_ONE_TO_ONE};
	ms_syn_spec s = {.weight = 0.1, .delay_ms = 1.0};

	ck_assert_int_eq(ms_net_connect(net, a, b, &all, &s, &p1), 0);
	ck_assert_int_eq(ms_net_connect(net, a, a, &all, &s, &p2), 0);
	ck_assert_int_eq(ms_net_connect(net, a, b, &one, &s, &p3), 0);
	ck_assert_int_eq(ms_net_run(net, 0.0), MS_OK);
	ck_assert_uint_eq(ms_net_projection_size(net, p1), 900);
	ck_assert_uint_eq(ms_net_projection_size(net, p2), 870);
	ck_assert_uint_eq(count_self(net, p2), 0);
	ck_assert_uint_eq(ms_net_projection_size(net, p3), 30);
	ck_assert_uint_eq(count_self(net, p3), 30);
	ms_net_destroy(net);
}
END_TEST

/* Fixed probability: the count is Binomial(N(N-1), p); within 5 sigma. */
START_TEST(connect_fixed_probability_statistics)
{
	int a, p;
	ms_net *net = two_pops(7, 2000, 0, &a, NULL);
	ms_conn_spec c = {.rule = MS_CONN_FIXED_PROB, .p = 0.02};
	ms_syn_spec s = {.weight = 0.1, .delay_ms = 1.0};
	double pairs = 2000.0 * 1999.0, mean = pairs * 0.02;
	double sd = sqrt(pairs * 0.02 * 0.98);

	ck_assert_int_eq(ms_net_connect(net, a, a, &c, &s, &p), 0);
	ck_assert_int_eq(ms_net_run(net, 0.0), MS_OK);
	ck_assert_double_eq_tol((double)ms_net_projection_size(net, p), mean,
	                        5 * sd);
	ck_assert_uint_eq(count_self(net, p), 0);
	ms_net_destroy(net);
}
END_TEST

START_TEST(connect_fixed_indegree_exact)
{
	int a, b, p;
	ms_net *net = two_pops(3, 100, 50, &a, &b);
	ms_conn_spec c = {.rule = MS_CONN_FIXED_INDEGREE, .k = 99};
	ms_syn_spec s = {.weight = 0.1, .delay_ms = 1.0};
	uint32_t pre[99 * 100], post[99 * 100];
	int indeg[100] = {0};
	unsigned char seen[100][100];

	/* a -> a without self: every target gets all 99 others. */
	ck_assert_int_eq(ms_net_connect(net, a, a, &c, &s, &p), 0);
	c.k = 100;
	ck_assert_int_eq(ms_net_connect(net, a, a, &c, &s, NULL), MS_EINVAL);
	c.k = 10;
	ck_assert_int_eq(ms_net_connect(net, a, b, &c, &s, NULL), 0);
	ck_assert_int_eq(ms_net_run(net, 0.0), MS_OK);
	ck_assert_uint_eq(ms_net_projection_size(net, p), 9900);
	ms_net_projection_get(net, p, pre, post, NULL, NULL);
	memset(seen, 0, sizeof(seen));
	for (size_t k = 0; k < 9900; k++) {
		ck_assert_uint_ne(pre[k], post[k]);
		ck_assert(!seen[pre[k]][post[k]]);
		seen[pre[k]][post[k]] = 1;
		indeg[post[k]]++;
	}
	for (int k = 0; k < 100; k++)
		ck_assert_int_eq(indeg[k], 99);
	ck_assert_uint_eq(ms_net_projection_size(net, 1), 500);
	ms_net_destroy(net);
}
END_TEST

START_TEST(connect_list_weights_and_delays)
{
	int a, b, p;
	ms_net *net = two_pops(3, 4, 4, &a, &b);
	uint32_t pre[] = {3, 0, 3, 1}, post[] = {1, 2, 0, 3};
	double w[] = {0.5, 1.5, 2.5, 3.5}, d[] = {2.0, 1.0, 1.0, 4.0};
	ms_conn_spec c = {.rule = MS_CONN_LIST,
	                  .pre = pre,
	                  .post = post,
	                  .weights = w,
	                  .delays_ms = d,
	                  .n = 4};
	ms_syn_spec s = {.weight = 0.1, .delay_ms = 1.0};
	uint32_t gp[4], gq[4];
	double gw[4], gd[4];

	ck_assert_int_eq(ms_net_connect(net, a, b, &c, &s, &p), 0);
	ck_assert_int_eq(ms_net_run(net, 0.0), MS_OK);
	ms_net_projection_get(net, p, gp, gq, gw, gd);
	/* CSR by source, then delay: 0->2, 1->3, 3->0 (1 ms), 3->1 (2 ms). */
	ck_assert(gp[0] == 0 && gq[0] == 2 && gw[0] == 1.5 && gd[0] == 1.0);
	ck_assert(gp[1] == 1 && gq[1] == 3 && gw[1] == 3.5 && gd[1] == 4.0);
	ck_assert(gp[2] == 3 && gq[2] == 0 && gw[2] == 2.5 && gd[2] == 1.0);
	ck_assert(gp[3] == 3 && gq[3] == 1 && gw[3] == 0.5 && gd[3] == 2.0);
	ms_net_destroy(net);
}
END_TEST

/* The synapses drawn do not depend on the order populations and
 * projections were made in. */
START_TEST(connect_independent_of_construction_order)
{
	ms_conn_spec c = {.rule = MS_CONN_FIXED_PROB, .p = 0.1};
	ms_syn_spec s = {.weight = 0.1, .delay_ms = 1.0};
	uint32_t *x[2], *y[2];
	size_t n[2];
	int pab[2];

	for (int order = 0; order < 2; order++) {
		ms_net_opts o = {.seed = 99};
		ms_net *net;
		int a, b, tmp;
		ms_net_create(&o, &net);
		if (order == 0) {
			ms_net_add_population(net, "a", "lif_delta", 300, &a);
			ms_net_add_population(net, "b", "lif_delta", 200, &b);
			ms_net_connect(net, a, b, &c, &s, &pab[0]);
			ms_net_connect(net, b, a, &c, &s, &tmp);
		} else {
			ms_net_add_population(net, "b", "lif_delta", 200, &b);
			ms_net_add_population(net, "a", "lif_delta", 300, &a);
			ms_net_connect(net, b, a, &c, &s, &tmp);
			ms_net_connect(net, a, b, &c, &s, &pab[1]);
		}
		ck_assert_int_eq(ms_net_run(net, 0.0), MS_OK);
		n[order] = ms_net_projection_size(net, pab[order]);
		x[order] = malloc(n[order] * 4);
		y[order] = malloc(n[order] * 4);
		ms_net_projection_get(net, pab[order], x[order], y[order], NULL,
		                      NULL);
		ms_net_destroy(net);
	}
	ck_assert_uint_eq(n[0], n[1]);
	ck_assert(memcmp(x[0], x[1], n[0] * 4) == 0);
	ck_assert(memcmp(y[0], y[1], n[0] * 4) == 0);
	for (int k = 0; k < 2; k++) {
		free(x[k]);
		free(y[k]);
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Whole networks                                                           */

typedef struct trace {
	size_t n, cap;
	double *t;
	uint32_t *id;
	int *pop;
} trace;

static void record(int pop, uint32_t id, double t, void *user)
{
	trace *tr = user;

	if (tr->n == tr->cap) {
		tr->cap = tr->cap ? 2 * tr->cap : 4096;
		tr->t = realloc(tr->t, tr->cap * sizeof(double));
		tr->id = realloc(tr->id, tr->cap * sizeof(uint32_t));
		tr->pop = realloc(tr->pop, tr->cap * sizeof(int));
	}
	tr->t[tr->n] = t;
	tr->id[tr->n] = id;
	tr->pop[tr->n++] = pop;
}

static void trace_free(trace *tr)
{
	free(tr->t);
	free(tr->id);
	free(tr->pop);
	memset(tr, 0, sizeof(*tr));
}

/* A small CUBA-like network (Brette et al. 2007) driven by Poisson input,
 * run to t1 and then, if t2 > t1, on to t2. */
static ms_net *small_cuba(uint64_t seed, trace *tr)
{
	ms_net_opts o = {.seed = seed};
	ms_conn_spec c = {.rule = MS_CONN_FIXED_PROB, .p = 0.05};
	ms_conn_spec one = {.rule = MS_CONN_ONE_TO_ONE};
	ms_syn_spec se = {.weight = 1.62, .delay_ms = 0.7};
	ms_syn_spec si = {.weight = -9.0, .delay_ms = 0.3};
	ms_syn_spec sd = {.weight = 5.0, .delay_ms = 0.2};
	ms_net *net;
	int e, i, d;

	ms_net_create(&o, &net);
	ms_net_add_population(net, "exc", "lif_exp", 400, &e);
	ms_net_add_population(net, "inh", "lif_exp", 100, &i);
	ms_net_add_population(net, "drive", "poisson", 400, &d);
	for (int p = e; p <= i; p++) {
		ms_pop_set_param(net, p, "tau_m", 20.0);
		ms_pop_set_param(net, p, "E_L", -49.0);
		ms_pop_set_param(net, p, "V_th", -50.0);
		ms_pop_set_param(net, p, "V_reset", -60.0);
		ms_pop_set_param(net, p, "t_ref", 5.0);
		ms_pop_set_param(net, p, "tau_syn_e", 5.0);
		ms_pop_set_param(net, p, "tau_syn_i", 10.0);
		ms_pop_init_uniform(net, p, "V_m", -60.0, -50.0);
	}
	ms_pop_set_param(net, d, "rate", 20.0);
	ck_assert_int_eq(ms_net_connect(net, e, e, &c, &se, NULL), 0);
	ck_assert_int_eq(ms_net_connect(net, e, i, &c, &se, NULL), 0);
	ck_assert_int_eq(ms_net_connect(net, i, e, &c, &si, NULL), 0);
	ck_assert_int_eq(ms_net_connect(net, i, i, &c, &si, NULL), 0);
	ck_assert_int_eq(ms_net_connect(net, d, e, &one, &sd, NULL), 0);
	ms_net_set_spike_callback(net, record, tr);
	return net;
}

static int same_trace(const trace *a, const trace *b)
{
	return a->n == b->n && memcmp(a->t, b->t, a->n * sizeof(double)) == 0 &&
	       memcmp(a->id, b->id, a->n * sizeof(uint32_t)) == 0 &&
	       memcmp(a->pop, b->pop, a->n * sizeof(int)) == 0;
}

START_TEST(same_seed_same_spikes_bit_for_bit)
{
	trace a = {0}, b = {0}, c = {0};
	ms_net *n1 = small_cuba(5, &a), *n2 = small_cuba(5, &b),
	       *n3 = small_cuba(6, &c);

	ck_assert_int_eq(ms_net_run(n1, 500.0), MS_OK);
	ck_assert_int_eq(ms_net_run(n2, 500.0), MS_OK);
	ck_assert_int_eq(ms_net_run(n3, 500.0), MS_OK);
	ck_assert_uint_gt(a.n, 1000);
	ck_assert(same_trace(&a, &b));
	ck_assert(!same_trace(&a, &c));
	for (size_t k = 1; k < a.n; k++)
		ck_assert(a.t[k] >= a.t[k - 1]);
	ms_net_destroy(n1);
	ms_net_destroy(n2);
	ms_net_destroy(n3);
	trace_free(&a);
	trace_free(&b);
	trace_free(&c);
}
END_TEST

/* Running to 500 ms in steps of odd lengths gives exactly the spikes of
 * one run to 500 ms: stopping mid-window loses and adds nothing. */
START_TEST(continued_runs_match_one_run)
{
	trace a = {0}, b = {0};
	ms_net *n1 = small_cuba(11, &a), *n2 = small_cuba(11, &b);
	double t = 0.0;

	ck_assert_int_eq(ms_net_run(n1, 500.0), MS_OK);
	while (t < 500.0) {
		t = fmin(500.0, t + 13.37);
		ck_assert_int_eq(ms_net_run(n2, t), MS_OK);
		ck_assert(ms_net_time(n2) == t);
	}
	ck_assert(same_trace(&a, &b));
	ms_net_destroy(n1);
	ms_net_destroy(n2);
	trace_free(&a);
	trace_free(&b);
}
END_TEST

/* Regression: inputs arriving at exactly the same time onto lif_exp units
 * (spike sources on a 0.5 ms grid) once took different paths depending on
 * where a run had stopped, changing spike times in the last bits. */
static ms_net *coincident_inputs(uint64_t seed, trace *tr)
{
	ms_net_opts o = {.seed = seed};
	ms_conn_spec c = {.rule = MS_CONN_FIXED_PROB, .p = 0.3};
	ms_syn_spec se = {.weight = 6.0, .delay_ms = 1.0};
	ms_syn_spec si = {.weight = -4.0, .delay_ms = 1.0};
	uint32_t ids[4000];
	double times[4000];
	ms_net *net;
	int src, n;

	ms_net_create(&o, &net);
	ms_net_add_population(net, "src", "spike_source", 40, &src);
	ms_net_add_population(net, "n", "lif_exp", 50, &n);
	ms_pop_set_param(net, n, "tau_syn_e", 3.0);
	ms_pop_set_param(net, n, "tau_syn_i", 7.0);
	for (int k = 0; k < 4000; k++) {
		ids[k] = (uint32_t)(k % 40);
		times[k] = 0.5 * (double)((k * 7919) % 200);
	}
	ck_assert_int_eq(ms_spike_source_add(net, src, ids, times, 4000), 0);
	ck_assert_int_eq(ms_net_connect(net, src, n, &c, &se, NULL), 0);
	ck_assert_int_eq(ms_net_connect(net, src, n, &c, &si, NULL), 0);
	ms_net_set_spike_callback(net, record, tr);
	return net;
}

START_TEST(continued_runs_with_coincident_inputs)
{
	for (uint64_t seed = 1; seed <= 10; seed++) {
		trace a = {0}, b = {0};
		ms_net *n1 = coincident_inputs(seed, &a);
		ms_net *n2 = coincident_inputs(seed, &b);
		double t = 0.0;
		ck_assert_int_eq(ms_net_run(n1, 110.0), MS_OK);
		while (t < 110.0) {
			t = fmin(110.0, t + 0.37 + 0.01 * (double)seed);
			ck_assert_int_eq(ms_net_run(n2, t), MS_OK);
		}
		ck_assert_uint_gt(a.n, 50);
		ck_assert_msg(same_trace(&a, &b), "seed %d", (int)seed);
		ms_net_destroy(n1);
		ms_net_destroy(n2);
		trace_free(&a);
		trace_free(&b);
	}
}
END_TEST

/* Stimuli change between runs without rebuilding: the drive's rate goes
 * to zero at 200 ms; the network (E_L above threshold) keeps firing, but
 * the generators stop. */
START_TEST(change_stimulus_between_runs)
{
	trace a = {0};
	ms_net *net = small_cuba(12, &a);
	double t_zero[] = {200.0}, r_zero[] = {0.0};
	uint64_t before;
	int d;

	ck_assert_int_eq(ms_net_run(net, 200.0), MS_OK);
	ck_assert_int_eq(ms_net_find_population(net, "drive", &d), MS_OK);
	before = ms_net_population_spikes(net, d);
	ck_assert_uint_gt(before, 1000);
	/* Rates outside [0, 1e9] Hz (the rate parameter's range) are
	 * refused and change nothing. */
	{
		static const double bad[] = {-1.0, 2e9, INFINITY, NAN};
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			ck_assert_int_eq(ms_poisson_set_rate_profile(
			                     net, d, t_zero, &bad[k], 1),
			                 MS_EINVAL);
			ck_assert_ptr_nonnull(strstr(ms_net_errmsg(net),
			                             "between 0 and 1e+09 Hz"));
		}
	}
	ck_assert_int_eq(ms_poisson_set_rate_profile(net, d, t_zero, r_zero, 1),
	                 MS_OK);
	ck_assert_int_eq(ms_net_run(net, 400.0), MS_OK);
	ck_assert_uint_eq(ms_net_population_spikes(net, d), before);
	ms_net_destroy(net);
	trace_free(&a);
}
END_TEST

/* Poisson with a piecewise-constant rate: counts in each piece match the
 * rate (Poisson, within 5 sigma), and nothing before the first time. */
START_TEST(poisson_rate_profile_counts)
{
	trace tr = {0};
	ms_net *net;
	int p;
	double t[] = {100.0, 300.0, 400.0}, r[] = {50.0, 0.0, 200.0};
	double expect[3] = {1000 * 50 * 0.2, 0, 1000 * 200 * 0.1};
	size_t got[4] = {0};

	ms_net_create(&(ms_net_opts){.seed = 8}, &net);
	ms_net_add_population(net, "g", "poisson", 1000, &p);
	ck_assert_int_eq(ms_poisson_set_rate_profile(net, p, t, r, 3), MS_OK);
	ms_net_set_spike_callback(net, record, &tr);
	ck_assert_int_eq(ms_net_run(net, 500.0), MS_OK);
	for (size_t k = 0; k < tr.n; k++) {
		int seg = tr.t[k] < 100   ? 3
		          : tr.t[k] < 300 ? 0
		          : tr.t[k] < 400 ? 1
		                          : 2;
		got[seg]++;
	}
	ck_assert_uint_eq(got[3], 0);
	ck_assert_uint_eq(got[1], 0);
	ck_assert_double_eq_tol((double)got[0], expect[0], 5 * sqrt(expect[0]));
	ck_assert_double_eq_tol((double)got[2], expect[2], 5 * sqrt(expect[2]));
	ms_net_destroy(net);
	trace_free(&tr);
}
END_TEST

/* A current step at 10 ms: the first spike follows the closed form
 * t = 10 + tau_m ln(RI / (RI - theta)) from rest. */
START_TEST(step_current_closed_form)
{
	trace tr = {0};
	ms_net *net;
	int p;
	double t[] = {10.0, 60.0}, amp[] = {500.0, 0.0};
	double R = 20.0 / 250.0, RI = R * 500.0, expect;

	ms_net_create(NULL, &net);
	ms_net_add_population(net, "n", "lif_exp", 1, &p);
	ms_pop_set_param(net, p, "tau_m", 20.0);
	ms_pop_set_param(net, p, "C_m", 250.0);
	ck_assert_int_eq(ms_pop_add_current(net, p, NULL, 0, t, amp, 2), MS_OK);
	ms_net_set_spike_callback(net, record, &tr);
	ck_assert_int_eq(ms_net_run(net, 200.0), MS_OK);
	expect = 10.0 + 20.0 * log(RI / (RI - 15.0));
	ck_assert_uint_gt(tr.n, 1);
	ck_assert_double_eq_tol(tr.t[0], expect, 1e-9);
	for (size_t k = 0; k < tr.n; k++)
		ck_assert(tr.t[k] < 60.0);
	ms_net_destroy(net);
	trace_free(&tr);
}
END_TEST

/* Spike sources replay their times exactly and in order. */
START_TEST(spike_source_replays_times)
{
	trace tr = {0};
	ms_net *net;
	int p;
	uint32_t ids[] = {1, 0, 1, 0};
	double t[] = {5.5, 0.25, 1.125, 9.0};

	ms_net_create(NULL, &net);
	ms_net_add_population(net, "s", "spike_source", 2, &p);
	ck_assert_int_eq(ms_spike_source_add(net, p, ids, t, 4), MS_OK);
	ms_net_set_spike_callback(net, record, &tr);
	ck_assert_int_eq(ms_net_run(net, 6.0), MS_OK);
	ck_assert_uint_eq(tr.n, 3);
	ck_assert(tr.t[0] == 0.25 && tr.id[0] == 0);
	ck_assert(tr.t[1] == 1.125 && tr.id[1] == 1);
	ck_assert(tr.t[2] == 5.5 && tr.id[2] == 1);
	/* Adding a spike in the past is refused; in the future, accepted. */
	ck_assert_int_eq(ms_spike_source_add(net, p, ids, t, 1), MS_EINVAL);
	t[0] = 7.0;
	ck_assert_int_eq(ms_spike_source_add(net, p, ids, t, 1), MS_OK);
	ck_assert_int_eq(ms_net_run(net, 10.0), MS_OK);
	ck_assert_uint_eq(tr.n, 5);
	ck_assert(tr.t[3] == 7.0 && tr.t[4] == 9.0);
	ms_net_destroy(net);
	trace_free(&tr);
}
END_TEST

/* A time far beyond any run (here 1e65 ms, also what a model's bound may
 * name) lands in the scheduler's last window instead of overflowing the
 * window index: the run ends and the spike never happens. A run that far
 * is refused with an error. */
START_TEST(far_future_times_are_safe)
{
	trace tr = {0};
	ms_net *net;
	int p;
	uint32_t id = 0;
	double t[] = {1e65, 1e300};

	ms_net_create(NULL, &net);
	ms_net_add_population(net, "s", "spike_source", 1, &p);
	ck_assert_int_eq(ms_spike_source_add(net, p, &id, t, 1), MS_OK);
	ms_net_set_spike_callback(net, record, &tr);
	ck_assert_int_eq(ms_net_run(net, 10.0), MS_OK);
	ck_assert_uint_eq(tr.n, 0);
	ck_assert_int_eq(ms_net_run(net, t[1]), MS_EINVAL);
	ck_assert_ptr_nonnull(strstr(ms_net_errmsg(net), "horizon"));
	ck_assert_int_eq(ms_net_run(net, 20.0), MS_OK);
	ck_assert_uint_eq(tr.n, 0);
	ms_net_destroy(net);
	trace_free(&tr);
}
END_TEST

START_TEST(api_rejects_bad_input)
{
	int a, b, g;
	ms_net *net = two_pops(1, 10, 10, &a, &b);
	ms_conn_spec c = {.rule = MS_CONN_FIXED_PROB, .p = 1.5};
	ms_syn_spec s = {.weight = 0.1, .delay_ms = 1.0};

	ck_assert_int_eq(ms_net_connect(net, a, b, &c, &s, NULL), MS_EINVAL);
	ck_assert(strstr(ms_net_errmsg(net), "[0, 1]"));
	c.p = 0.1;
	s.delay_ms = -1.0;
	ck_assert_int_eq(ms_net_connect(net, a, b, &c, &s, NULL), MS_EINVAL);
	ck_assert(strstr(ms_net_errmsg(net), "delay"));
	s.delay_ms = 0.0;
	ck_assert_int_eq(ms_net_connect(net, a, b, &c, &s, NULL), MS_EINVAL);
	ck_assert_int_eq(ms_net_add_population(net, "x", "nope", 3, NULL),
	                 MS_ENOENT);
	ck_assert(strstr(ms_net_errmsg(net), "lif_exp"));
	ck_assert_int_eq(ms_net_add_population(net, "a", "lif_exp", 3, NULL),
	                 MS_EINVAL);
	ck_assert_int_eq(ms_pop_set_param(net, a, "tau_m", 0.0), MS_EINVAL);
	ck_assert_int_eq(ms_pop_set_param(net, a, "tau_m", -3.0), MS_EINVAL);
	ck_assert_int_eq(ms_pop_set_param(net, a, "t_ref", -1.0), MS_EINVAL);
	ck_assert_int_eq(ms_pop_set_param(net, a, "bogus", 1.0), MS_ENOENT);
	ck_assert(strstr(ms_net_errmsg(net), "tau_m"));
	ck_assert_int_eq(ms_net_add_population(net, "g", "poisson", 3, &g), 0);
	s.delay_ms = 1.0;
	/* Onto a generator only plastic projections are allowed (teacher
	 * populations); that is checked at build (check_plasticity.c). */
	ck_assert_int_eq(ms_net_connect(net, a, g, &c, &s, NULL), MS_OK);
	ck_assert_int_eq(ms_pop_set_param(net, a, "V_reset", -40.0), MS_OK);
	ck_assert_int_eq(ms_net_run(net, 1.0), MS_EINVAL);
	ck_assert(strstr(ms_net_errmsg(net), "V_reset"));
	ms_net_destroy(net);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, philox_known_answers);
	tcase_add_test(tc, rng_uniform_moments);
	tcase_add_test(tc, queue_total_order_and_far_future);
	tcase_add_test(tc, queue_window_boundaries);
	tcase_add_test(tc, connect_all_to_all_and_one_to_one);
	tcase_add_test(tc, connect_fixed_probability_statistics);
	tcase_add_test(tc, connect_fixed_indegree_exact);
	tcase_add_test(tc, connect_list_weights_and_delays);
	tcase_add_test(tc, connect_independent_of_construction_order);
	tcase_add_test(tc, same_seed_same_spikes_bit_for_bit);
	tcase_add_test(tc, continued_runs_match_one_run);
	tcase_add_test(tc, continued_runs_with_coincident_inputs);
	tcase_add_test(tc, change_stimulus_between_runs);
	tcase_add_test(tc, poisson_rate_profile_counts);
	tcase_add_test(tc, step_current_closed_form);
	tcase_add_test(tc, spike_source_replays_times);
	tcase_add_test(tc, far_future_times_are_safe);
	tcase_add_test(tc, api_rejects_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

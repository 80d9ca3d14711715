/*
 * net — networks: populations, inputs, recording, and the windowed run loop
 * (the scheduling scheme is described in engine/internal.h and
 * docs/design.md).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/internal.h"
#include "engine/units.h"

static const ms__model *const models[] = {
    &ms__lif_delta_model, &ms__lif_exp_model,  &ms__izhikevich_model,
    &ms__hh_model,        &ms__hh_traub_model, &ms__lif_cond_model,
    &ms__srm_model,       &ms__poisson_model,  &ms__spike_source_model,
};
#define N_MODELS (sizeof(models) / sizeof(models[0]))

const ms__model *ms__model_lookup(const char *name)
{
	for (size_t i = 0; name && i < N_MODELS; i++)
		if (strcmp(models[i]->name, name) == 0)
			return models[i];
	return NULL;
}

int ms_model_find(const char *model, int *is_generator)
{
	const ms__model *m = ms__model_lookup(model);

	if (!m)
		return MS_ENOENT;
	if (is_generator)
		*is_generator = m->is_generator;
	return MS_OK;
}

size_t ms_model_count(void)
{
	return N_MODELS;
}

const char *ms_model_name(size_t idx)
{
	return idx < N_MODELS ? models[idx]->name : NULL;
}

int ms_model_params(const char *model, const ms_param_info **params, size_t *n)
{
	const ms__model *m = ms__model_lookup(model);

	if (!m)
		return MS_ENOENT;
	*params = m->params;
	*n = m->n_params;
	return MS_OK;
}

int ms_model_vars(const char *model, const ms_var_info **vars, size_t *n)
{
	const ms__model *m = ms__model_lookup(model);

	if (!m)
		return MS_ENOENT;
	*vars = m->vars;
	*n = m->n_vars;
	return MS_OK;
}

int ms_model_weight_dim(const char *model, ms_dim *dim)
{
	const ms__model *m = ms__model_lookup(model);

	if (!m)
		return MS_ENOENT;
	*dim = m->weight_dim;
	return MS_OK;
}

int ms__param_index(const ms__model *m, const char *name)
{
	for (size_t i = 0; i < m->n_params; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return (int)i;
	return -1;
}

int ms__var_index(const ms__model *m, const char *name)
{
	for (size_t i = 0; i < m->n_vars; i++)
		if (strcmp(m->vars[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------------ */

int ms_net_create(const ms_net_opts *opts, ms_net **out)
{
	ms_net *net;

	if (!out)
		return MS_EINVAL;
	*out = NULL;
	net = calloc(1, sizeof(*net));
	if (!net)
		return MS_ENOMEM;
	net->seed = opts ? opts->seed : 0;
	net->progress_interval_s = 1.0;
	*out = net;
	return MS_OK;
}

static void free_pop(ms__pop *p)
{
	if (!p)
		return;
	if (p->model->destroy)
		p->model->destroy(p);
	free(p->param);
	free(p->chk_win);
	free(p->out);
	free(p->in_pl);
	ms__wave_free(&p->wave);
	free(p->init);
	free(p);
}

static void free_proj(const ms_net *net, ms__proj *j)
{
	if (!j)
		return;
	ms__arena_release(&net->arena, j->row);
	ms__arena_release(&net->arena, j->target);
	ms__arena_release(&net->arena, j->weight);
	free(j->delay);
	free(j->receptor);
	free(j->gofs);
	free(j->gend);
	free(j->l_pre);
	free(j->l_post);
	free(j->l_w);
	free(j->l_d);
	ms__plast_free(j->pl);
	free(j);
}

void ms_net_destroy(ms_net *net)
{
	if (!net)
		return;
	ms_net_close_output(net);
	for (size_t i = 0; i < net->n_pops; i++)
		free_pop(net->pops[i]);
	free(net->pops);
	for (size_t i = 0; i < net->n_projs; i++)
		free_proj(net, net->projs[i]);
	free(net->projs);
	ms__arena_free(&net->arena);
	for (size_t i = 0; i < net->n_cur; i++) {
		free(net->cur[i].ids);
		free(net->cur[i].t);
		free(net->cur[i].amp);
	}
	free(net->cur);
	for (size_t i = 0; i < net->n_rep; i++) {
		free(net->rep[i].ids);
		free(net->rep[i].frame);
	}
	free(net->rep);
	ms__queue_free(&net->q);
	free(net->ws);
	free(net->stage_t);
	free(net->stage_id);
	free(net->out_path);
	free(net->config_text);
	free(net->config_path);
	free(net);
}

uint64_t ms_net_seed(const ms_net *net)
{
	return net->seed;
}

/* ------------------------------------------------------------------------ */
/* Populations                                                              */

static int check_pop(ms_net *net, int pop, const char *fn)
{
	if (!net)
		return MS_EINVAL;
	if (pop < 0 || (size_t)pop >= net->n_pops)
		return ms__err(net, MS_EINVAL, "%s: no population %d", fn, pop);
	return MS_OK;
}

static int valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= MS__NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

int ms_net_add_population(ms_net *net, const char *name, const char *model,
                          size_t n, int *pop)
{
	const ms__model *m;
	ms__pop *p, **np;
	int dummy;

	if (!net)
		return MS_EINVAL;
	if (net->built)
		return ms__err(
		    net, MS_ESTATE,
		    "populations must be added before the first run");
	if (!valid_name(name))
		return ms__err(net, MS_EINVAL,
		               "population name \"%s\": expected 1 to %d "
		               "characters from [A-Za-z0-9_.-]",
		               name ? name : "(null)", MS__NAME_MAX - 1);
	if (ms_net_find_population(net, name, &dummy) == MS_OK)
		return ms__err(net, MS_EINVAL,
		               "population name \"%s\" is used twice", name);
	m = ms__model_lookup(model);
	if (!m) {
		char known[256] = "";
		for (size_t i = 0; i < N_MODELS; i++) {
			strncat(known, i ? ", " : "",
			        sizeof(known) - strlen(known) - 1);
			strncat(known, models[i]->name,
			        sizeof(known) - strlen(known) - 1);
		}
		return ms__err(net, MS_ENOENT,
		               "unknown model \"%s\" (known models: %s)",
		               model ? model : "(null)", known);
	}
	if (n == 0 || n > UINT32_MAX - 1)
		return ms__err(net, MS_EINVAL,
		               "population \"%s\": size must be 1 to %u, got "
		               "%zu",
		               name, UINT32_MAX - 1, n);
	p = calloc(1, sizeof(*p));
	np = realloc(net->pops, (net->n_pops + 1) * sizeof(*np));
	if (!p || !np) {
		free(p);
		if (np)
			net->pops = np;
		return ms__err(net, MS_ENOMEM, "out of memory");
	}
	net->pops = np;
	p->param = malloc((m->n_params ? m->n_params : 1) * sizeof(double));
	if (!p->param) {
		free(p);
		return ms__err(net, MS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < m->n_params; i++)
		p->param[i] = m->params[i].def;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->model = m;
	p->n = (uint32_t)n;
	p->index = (int)net->n_pops;
	p->net = net;
	p->rec_handle = -1;
	net->pops[net->n_pops++] = p;
	if (pop)
		*pop = p->index;
	return MS_OK;
}

int ms_net_find_population(const ms_net *net, const char *name, int *pop)
{
	for (size_t i = 0; net && name && i < net->n_pops; i++) {
		if (strcmp(net->pops[i]->name, name) == 0) {
			if (pop)
				*pop = (int)i;
			return MS_OK;
		}
	}
	return MS_ENOENT;
}

size_t ms_net_population_count(const ms_net *net)
{
	return net->n_pops;
}

const char *ms_net_population_name(const ms_net *net, int pop)
{
	if (pop < 0 || (size_t)pop >= net->n_pops)
		return NULL;
	return net->pops[pop]->name;
}

const char *ms_net_population_model(const ms_net *net, int pop)
{
	if (pop < 0 || (size_t)pop >= net->n_pops)
		return NULL;
	return net->pops[pop]->model->name;
}

size_t ms_net_population_size(const ms_net *net, int pop)
{
	if (pop < 0 || (size_t)pop >= net->n_pops)
		return 0;
	return net->pops[pop]->n;
}

uint64_t ms_net_population_spikes(const ms_net *net, int pop)
{
	if (pop < 0 || (size_t)pop >= net->n_pops)
		return 0;
	return net->pops[pop]->n_spikes;
}

static int find_param(ms_net *net, int pop, const char *param, int *idx)
{
	const ms__model *m = net->pops[pop]->model;

	*idx = param ? ms__param_index(m, param) : -1;
	if (*idx >= 0)
		return MS_OK;
	{
		char known[512] = "";
		for (size_t i = 0; i < m->n_params; i++) {
			strncat(known, i ? ", " : "",
			        sizeof(known) - strlen(known) - 1);
			strncat(known, m->params[i].name,
			        sizeof(known) - strlen(known) - 1);
		}
		return ms__err(net, MS_ENOENT,
		               "model %s has no parameter \"%s\" (parameters: "
		               "%s)",
		               m->name, param ? param : "(null)",
		               m->n_params ? known : "none");
	}
}

int ms_pop_set_param(ms_net *net, int pop, const char *param, double value)
{
	const ms_param_info *pi;
	char msg[256];
	int rc, idx;

	if ((rc = check_pop(net, pop, "ms_pop_set_param")))
		return rc;
	if ((rc = find_param(net, pop, param, &idx)))
		return rc;
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "parameter %s of population %s cannot change "
		               "after the first run",
		               param, net->pops[pop]->name);
	pi = &net->pops[pop]->model->params[idx];
	if (ms__param_check(pi, value, msg, sizeof(msg)))
		return ms__err(net, MS_EINVAL, "population %s: parameter %s",
		               net->pops[pop]->name, msg);
	net->pops[pop]->param[idx] = value;
	return MS_OK;
}

int ms_pop_get_param(const ms_net *net, int pop, const char *param,
                     double *value)
{
	int idx;

	if (!net || pop < 0 || (size_t)pop >= net->n_pops || !param)
		return MS_EINVAL;
	idx = ms__param_index(net->pops[pop]->model, param);
	if (idx < 0)
		return MS_ENOENT;
	*value = net->pops[pop]->param[idx];
	return MS_OK;
}

const ms__preset *ms__preset_find(const ms__model *m, const char *name)
{
	for (size_t i = 0; name && i < m->n_presets; i++)
		if (strcmp(m->presets[i].name, name) == 0)
			return &m->presets[i];
	return NULL;
}

const char *ms__preset_names(const ms__model *m, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < m->n_presets; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		         i ? ", " : "", m->presets[i].name);
	if (m->n_presets == 0)
		snprintf(buf, len, "none");
	return buf;
}

const char *ms_model_preset_name(const char *model, size_t idx)
{
	const ms__model *m = ms__model_lookup(model);

	return m && idx < m->n_presets ? m->presets[idx].name : NULL;
}

int ms_model_preset_value(const char *model, const char *preset,
                          const char *param, double *value)
{
	const ms__model *m = ms__model_lookup(model);
	const ms__preset *ps = m ? ms__preset_find(m, preset) : NULL;

	for (size_t k = 0; ps && param && k < MS__PRESET_MAX; k++) {
		if (!ps->set[k].param)
			break;
		if (strcmp(ps->set[k].param, param) == 0) {
			*value = ps->set[k].value;
			return MS_OK;
		}
	}
	return MS_ENOENT;
}

/* The preset's values go through the parameter table's checks, so a
 * preset cannot hold what ms_pop_set_param would refuse. */
int ms_pop_set_preset(ms_net *net, int pop, const char *preset)
{
	const ms__preset *ps;
	const ms__model *m;
	char names[256];
	int rc;

	if ((rc = check_pop(net, pop, "ms_pop_set_preset")))
		return rc;
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "preset of population %s cannot change after "
		               "the first run",
		               net->pops[pop]->name);
	m = net->pops[pop]->model;
	ps = ms__preset_find(m, preset);
	if (!ps)
		return ms__err(net, MS_ENOENT,
		               "population %s: model %s has no preset \"%s\" "
		               "(presets: %s)",
		               net->pops[pop]->name, m->name,
		               preset ? preset : "(null)",
		               ms__preset_names(m, names, sizeof(names)));
	for (size_t k = 0; k < MS__PRESET_MAX && ps->set[k].param; k++)
		if ((rc = ms_pop_set_param(net, pop, ps->set[k].param,
		                           ps->set[k].value)))
			return rc;
	return MS_OK;
}

static int add_init(ms_net *net, int pop, const char *var, int uniform,
                    double a, double b)
{
	ms__pop *p;
	ms__init *ni;
	int rc, v;

	if ((rc = check_pop(net, pop, "initial value")))
		return rc;
	p = net->pops[pop];
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "initial values must be set before the first "
		               "run");
	v = var ? ms__var_index(p->model, var) : -1;
	if (v < 0)
		return ms__err(net, MS_ENOENT,
		               "model %s has no state variable \"%s\"",
		               p->model->name, var ? var : "(null)");
	if (!isfinite(a) || !isfinite(b) || (uniform && !(a <= b)))
		return ms__err(net, MS_EINVAL,
		               "initial %s of %s: expected finite values with "
		               "low <= high",
		               var, p->name);
	ni = realloc(p->init, (p->n_init + 1) * sizeof(*ni));
	if (!ni)
		return ms__err(net, MS_ENOMEM, "out of memory");
	p->init = ni;
	ni[p->n_init++] = (ms__init){v, uniform, a, b};
	return MS_OK;
}

int ms_pop_init_value(ms_net *net, int pop, const char *var, double value)
{
	return add_init(net, pop, var, 0, value, value);
}

int ms_pop_init_uniform(ms_net *net, int pop, const char *var, double lo,
                        double hi)
{
	return add_init(net, pop, var, 1, lo, hi);
}

int ms_pop_get_state(ms_net *net, int pop, size_t i, const char *var,
                     double *value)
{
	ms__pop *p;
	int rc, v;

	if ((rc = check_pop(net, pop, "ms_pop_get_state")))
		return rc;
	p = net->pops[pop];
	v = var ? ms__var_index(p->model, var) : -1;
	if (v < 0)
		return ms__err(net, MS_ENOENT,
		               "model %s has no state variable \"%s\"",
		               p->model->name, var ? var : "(null)");
	if (i >= p->n)
		return ms__err(net, MS_EINVAL, "unit %zu of %s out of range", i,
		               p->name);
	if (!net->built)
		return ms__err(net, MS_ESTATE,
		               "state exists from the first run on");
	*value = p->model->peek(p, (uint32_t)i, net->t_now, v);
	return MS_OK;
}

/* ------------------------------------------------------------------------ */
/* Current inputs                                                           */

static int check_ids(ms_net *net, const ms__pop *p, const uint32_t *ids,
                     size_t n)
{
	for (size_t k = 0; ids && k < n; k++)
		if (ids[k] >= p->n)
			return ms__err(net, MS_EINVAL,
			               "unit %u is out of range for population "
			               "%s of size %u",
			               ids[k], p->name, p->n);
	return MS_OK;
}

static int check_times(ms_net *net, const double *t, size_t n, const char *what)
{
	for (size_t k = 0; k < n; k++) {
		if (!isfinite(t[k]) || t[k] < 0)
			return ms__err(net, MS_EINVAL,
			               "%s: time %g ms is not a finite, "
			               "non-negative time",
			               what, t[k]);
		if (k && !(t[k] > t[k - 1]))
			return ms__err(net, MS_EINVAL,
			               "%s: times must increase (%g ms after "
			               "%g ms)",
			               what, t[k], t[k - 1]);
	}
	return MS_OK;
}

static double *dup_doubles(const double *v, size_t n)
{
	double *c = malloc((n ? n : 1) * sizeof(double));

	if (c && n)
		memcpy(c, v, n * sizeof(double));
	return c;
}

int ms_pop_add_current(ms_net *net, int pop, const uint32_t *ids, size_t n_ids,
                       const double *t_ms, const double *amp_pA, size_t n)
{
	ms__current c = {0}, *nc;
	ms__pop *p;
	int rc;

	if ((rc = check_pop(net, pop, "current input")))
		return rc;
	p = net->pops[pop];
	if (p->model->is_generator || !p->model->add_current)
		return ms__err(net, MS_EINVAL,
		               "population %s (model %s) takes no current "
		               "input",
		               p->name, p->model->name);
	if (n == 0 || !t_ms || !amp_pA)
		return ms__err(net, MS_EINVAL,
		               "current input onto %s: expected at least one "
		               "(time, amplitude) pair",
		               p->name);
	if ((rc = check_ids(net, p, ids, n_ids)) ||
	    (rc = check_times(net, t_ms, n, "current input")))
		return rc;
	for (size_t k = 0; k < n; k++)
		if (!isfinite(amp_pA[k]))
			return ms__err(net, MS_EINVAL,
			               "current input onto %s: amplitude %zu "
			               "is not finite",
			               p->name, k);
	c.pop = pop;
	c.n = n;
	c.n_ids = ids ? n_ids : 0;
	c.t = dup_doubles(t_ms, n);
	c.amp = dup_doubles(amp_pA, n);
	if (ids) {
		c.ids = malloc((n_ids ? n_ids : 1) * sizeof(uint32_t));
		if (c.ids)
			memcpy(c.ids, ids, n_ids * sizeof(uint32_t));
	}
	nc = realloc(net->cur, (net->n_cur + 1) * sizeof(*nc));
	if (!c.t || !c.amp || (ids && !c.ids) || !nc) {
		free(c.t);
		free(c.amp);
		free(c.ids);
		if (nc)
			net->cur = nc;
		return ms__err(net, MS_ENOMEM, "out of memory");
	}
	net->cur = nc;
	net->cur[net->n_cur++] = c;
	return MS_OK;
}

/* Time of the next change of current input c (never before now). */
static double current_next_time(const ms_net *net, const ms__current *c)
{
	if (c->next >= c->n)
		return INFINITY;
	return fmax(c->t[c->next], net->t_now);
}

static void apply_current(ms_net *net, ms__current *c, double t)
{
	ms__pop *p = net->pops[c->pop];
	double prev = c->next ? c->amp[c->next - 1] : 0.0;
	double dI = c->amp[c->next] - prev;
	size_t n = c->ids ? c->n_ids : p->n;

	c->next++;
	for (size_t k = 0; k < n; k++) {
		uint32_t i = c->ids ? c->ids[k] : (uint32_t)k;
		p->model->add_current(p, i, t, dI);
		ms__register_check(p, i, p->model->bound(p, i, t));
	}
}

/* ------------------------------------------------------------------------ */
/* Recording                                                                */

int ms_net_record_spikes(ms_net *net, int pop)
{
	int rc;

	if ((rc = check_pop(net, pop, "ms_net_record_spikes")))
		return rc;
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "recording must be set up before the first run");
	net->pops[pop]->rec_spikes = 1;
	return MS_OK;
}

int ms_net_record_state(ms_net *net, int pop, const char *var,
                        const uint32_t *ids, size_t n_ids, double dt_ms)
{
	ms__report r = {0}, *nr;
	ms__pop *p;
	int rc;

	if ((rc = check_pop(net, pop, "ms_net_record_state")))
		return rc;
	p = net->pops[pop];
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "recording must be set up before the first run");
	r.var = var ? ms__var_index(p->model, var) : -1;
	if (r.var < 0)
		return ms__err(net, MS_ENOENT,
		               "model %s has no state variable \"%s\"",
		               p->model->name, var ? var : "(null)");
	if (!(dt_ms > 0) || !isfinite(dt_ms))
		return ms__err(net, MS_EINVAL,
		               "sampling interval of %s.%s must be > 0 ms, got "
		               "%g",
		               p->name, var, dt_ms);
	if ((rc = check_ids(net, p, ids, n_ids)))
		return rc;
	for (size_t k = 0; k < net->n_rep; k++)
		if (net->rep[k].proj < 0 && net->rep[k].pop == pop &&
		    net->rep[k].var == r.var)
			return ms__err(net, MS_EINVAL,
			               "%s.%s is recorded twice", p->name, var);
	r.pop = pop;
	r.proj = -1;
	r.dt = dt_ms;
	r.n_ids = ids ? n_ids : p->n;
	r.ids = malloc((r.n_ids ? r.n_ids : 1) * sizeof(uint32_t));
	r.frame = malloc((r.n_ids ? r.n_ids : 1) * sizeof(float));
	r.handle = -1;
	nr = realloc(net->rep, (net->n_rep + 1) * sizeof(*nr));
	if (!r.ids || !r.frame || !nr) {
		free(r.ids);
		free(r.frame);
		if (nr)
			net->rep = nr;
		return ms__err(net, MS_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < r.n_ids; k++)
		r.ids[k] = ids ? ids[k] : (uint32_t)k;
	net->rep = nr;
	net->rep[net->n_rep++] = r;
	return MS_OK;
}

/* Names of the variables of a synapse report, by ms__report.var. */
static const char *const syn_vars[] = {"w", "G"};

int ms_net_record_synapses(ms_net *net, int proj, const char *var, double dt_ms)
{
	ms__report r = {0}, *nr;
	const ms__proj *j;

	if (!net)
		return MS_EINVAL;
	if (proj < 0 || (size_t)proj >= net->n_projs)
		return ms__err(net, MS_EINVAL,
		               "ms_net_record_synapses: no projection %d",
		               proj);
	j = net->projs[proj];
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "recording must be set up before the first run");
	if (!j->pl)
		return ms__err(
		    net, MS_EINVAL,
		    "projection %s -> %s is not plastic: its weights "
		    "do not change, nothing to record",
		    net->pops[j->pre]->name, net->pops[j->post]->name);
	r.var = -1;
	for (int k = 0; k < 2; k++)
		if (var && !strcmp(var, syn_vars[k]))
			r.var = k;
	if (r.var < 0)
		return ms__err(net, MS_ENOENT,
		               "synapses have no variable \"%s\"; expected w "
		               "(device state) or G (conductance)",
		               var ? var : "(null)");
	if (!(dt_ms > 0) || !isfinite(dt_ms))
		return ms__err(
		    net, MS_EINVAL,
		    "sampling interval of the synapses %s -> %s must "
		    "be > 0 ms, got %g",
		    net->pops[j->pre]->name, net->pops[j->post]->name, dt_ms);
	for (size_t k = 0; k < net->n_rep; k++)
		if (net->rep[k].proj == proj && net->rep[k].var == r.var)
			return ms__err(
			    net, MS_EINVAL,
			    "%s of the synapses %s -> %s is recorded "
			    "twice",
			    var, net->pops[j->pre]->name,
			    net->pops[j->post]->name);
	r.pop = j->post;
	r.proj = proj;
	r.dt = dt_ms;
	r.handle = -1;
	nr = realloc(net->rep, (net->n_rep + 1) * sizeof(*nr));
	if (!nr)
		return ms__err(net, MS_ENOMEM, "out of memory");
	net->rep = nr;
	net->rep[net->n_rep++] = r;
	return MS_OK;
}

static char *dup_str(const char *s)
{
	char *c;

	if (!s)
		return NULL;
	c = malloc(strlen(s) + 1);
	if (c)
		strcpy(c, s);
	return c;
}

int ms_net_open_output(ms_net *net, const char *path,
                       const ms_output_opts *opts)
{
	char msg[512];
	int rc;

	if (!net || !path)
		return MS_EINVAL;
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "the output file must be opened before the "
		               "first run");
	if (net->rec)
		return ms__err(net, MS_ESTATE, "an output file is open");
	msg[0] = '\0';
	rc = ms__rec_open(path, &net->rec, msg, sizeof(msg));
	if (rc)
		return ms__err(net, rc, "%s", msg[0] ? msg : ms_strerror(rc));
	net->out_path = dup_str(path);
	if (opts) {
		net->config_text = dup_str(opts->config_text);
		net->config_path = dup_str(opts->config_path);
	}
	return MS_OK;
}

int ms_net_close_output(ms_net *net)
{
	ms__rec_pop_meta *pm;
	ms__rec_meta meta;
	int rc, rc2;

	if (!net || !net->rec)
		return MS_OK;
	pm = calloc(net->n_pops ? net->n_pops : 1, sizeof(*pm));
	for (size_t i = 0; pm && i < net->n_pops; i++) {
		pm[i].name = net->pops[i]->name;
		pm[i].model = net->pops[i]->model->name;
		pm[i].n_nodes = net->pops[i]->n;
		pm[i].n_spikes = net->pops[i]->n_spikes;
	}
	meta = (ms__rec_meta){
	    .version = MS_VERSION_STRING,
	    .seed = net->seed,
	    .config_text = net->config_text,
	    .config_path = net->config_path,
	    .t_start_ms = net->t_first,
	    .t_stop_ms = net->t_now,
	    .wall_s = net->st.wall_s,
	    .interrupted = net->interrupted,
	    .pops = pm,
	    .n_pops = pm ? net->n_pops : 0,
	};
	/* The recorder's messages already name the file. */
	rc = ms__rec_set_meta(net->rec, &meta);
	if (rc)
		ms__err(net, rc, "%s", ms__rec_error(net->rec));
	rc2 = ms__rec_close(net->rec);
	net->rec = NULL;
	free(pm);
	if (!rc && rc2)
		rc = ms__err(net, rc2, "closing %s: %s", net->out_path,
		             ms_strerror(rc2));
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Run control                                                              */

double ms_net_time(const ms_net *net)
{
	return net->t_now;
}

void ms_net_request_stop(ms_net *net)
{
	if (net)
		net->stop = 1;
}

void ms_net_set_progress(ms_net *net, ms_progress_fn fn, void *user,
                         double interval_s)
{
	net->progress = fn;
	net->progress_user = user;
	net->progress_interval_s = interval_s > 0 ? interval_s : 1.0;
}

void ms_net_set_spike_callback(ms_net *net, ms_spike_fn fn, void *user)
{
	net->spike_cb = fn;
	net->spike_cb_user = user;
}

void ms_net_stats(const ms_net *net, ms_stats *st)
{
	*st = net->st;
	st->min_delay_ms = net->D;
}

void ms__register_push(ms__pop *p, uint32_t i, int64_t w)
{
	p->chk_win[i] = w;
	if (ms__queue_push_check(&p->net->q, w, (uint64_t)p->index << 32 | i))
		p->net->emit_failed = 1;
}

void ms__emit_spike(ms__pop *p, uint32_t i, double t)
{
	ms_net *net = p->net;

	p->n_spikes++;
	net->st.spikes++;
	if (net->n_ws == net->cap_ws) {
		size_t c = net->cap_ws ? 2 * net->cap_ws : 256;
		ms__wspike *nw = realloc(net->ws, c * sizeof(*nw));
		if (!nw) {
			net->emit_failed = 1;
			return;
		}
		net->ws = nw;
		net->cap_ws = c;
	}
	net->ws[net->n_ws++] = (ms__wspike){t, (uint32_t)p->index, i};
	for (size_t k = 0; k < p->n_out; k++) {
		const ms__proj *j = net->projs[p->out[k]];
		uint64_t s = j->row[i], end = j->row[i + 1];
		uint64_t g = j->gofs ? j->gofs[i] : 0;
		ms__dev ev;

		ev.proj = (uint32_t)p->out[k];
		while (s < end) {
			uint64_t e = j->gofs ? j->gend[g++] : end;
			ev.t = t + (j->gofs ? j->delay[s] : j->delay_all);
			ev.n = (uint32_t)(e - s);
			ev.s0 = s;
			if (ms__queue_push(&net->q, &ev, net->win + 1))
				net->emit_failed = 1;
			s = e;
		}
	}
	for (size_t k = 0; k < p->n_in_pl; k++) {
		ms__plast *pl = net->projs[p->in_pl[k]]->pl;
		uint64_t a = pl->in_row[i], b = pl->in_row[i + 1];
		if (b > a)
			pl->rule->on_post(pl, t, i, pl->in_syn + a,
			                  (size_t)(b - a));
	}
}

/* ------------------------------------------------------------------------ */
/* Build                                                                    */

static int build_pop(ms_net *net, ms__pop *p)
{
	char msg[512] = "";
	int rc;

	if (p->model->build && (rc = p->model->build(p, msg, sizeof(msg))))
		return ms__err(net, rc, "population %s: %s", p->name,
		               msg[0] ? msg : ms_strerror(rc));
	p->chk_win = malloc(p->n * sizeof(int64_t));
	if (!p->chk_win)
		return ms__err(net, MS_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < p->n; i++)
		p->chk_win[i] = MS__NO_WINDOW;
	for (size_t k = 0; k < p->n_init; k++) {
		const ms__init *in = &p->init[k];
		for (uint32_t i = 0; i < p->n; i++) {
			double v = in->a;
			if (in->uniform) {
				ms__rng r;
				ms__rng_init(&r, net->seed, MS__RNG_INIT,
				             ms__rng_owner(p->name), i);
				ms__rng_seek(&r, (uint64_t)in->var);
				v = in->a +
				    (in->b - in->a) * ms__rng_uniform(&r);
			}
			p->model->set_var(p, i, in->var, v);
		}
	}
	return MS_OK;
}

/* The HDF5 name of projection k: "<pre>__<post>", with "__<m>" appended
 * when m > 0 earlier projections join the same populations (the SONATA
 * naming of edge populations). */
static void proj_h5_name(const ms_net *net, int k, char *buf, size_t len)
{
	const ms__proj *j = net->projs[k];
	int m = 0;

	for (int q = 0; q < k; q++)
		m += net->projs[q]->pre == j->pre &&
		     net->projs[q]->post == j->post;
	if (m)
		snprintf(buf, len, "%s__%s__%d", net->pops[j->pre]->name,
		         net->pops[j->post]->name, m);
	else
		snprintf(buf, len, "%s__%s", net->pops[j->pre]->name,
		         net->pops[j->post]->name);
}

static int build_syn_report(ms_net *net, ms__report *r)
{
	const ms__proj *j = net->projs[r->proj];
	char name[2 * MS__NAME_MAX + 16];
	uint64_t *src, *trg;
	int rc;

	r->n_ids = j->n;
	r->frame = malloc((j->n ? j->n : 1) * sizeof(float));
	src = malloc((j->n ? j->n : 1) * sizeof(uint64_t));
	trg = malloc((j->n ? j->n : 1) * sizeof(uint64_t));
	if (!r->frame || !src || !trg) {
		free(src);
		free(trg);
		return ms__err(net, MS_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < net->pops[j->pre]->n; i++)
		for (uint64_t s = j->row[i]; s < j->row[i + 1]; s++) {
			src[s] = i;
			trg[s] = j->target[s];
		}
	proj_h5_name(net, r->proj, name, sizeof(name));
	r->t0 = net->t_now;
	rc = ms__rec_add_syn_report(net->rec, name, syn_vars[r->var],
	                            r->var ? "nS" : "", src, trg, j->n, r->t0,
	                            r->dt, &r->handle);
	free(src);
	free(trg);
	return rc ? ms__err(net, rc, "%s", ms__rec_error(net->rec)) : MS_OK;
}

static int build_recording(ms_net *net)
{
	int rc;

	if (!net->rec)
		return MS_OK;
	for (size_t k = 0; k < net->n_pops; k++) {
		ms__pop *p = net->pops[k];
		if (!p->rec_spikes)
			continue;
		rc =
		    ms__rec_add_spikes(net->rec, p->name, p->n, &p->rec_handle);
		if (rc)
			return ms__err(net, rc, "%s", ms__rec_error(net->rec));
	}
	for (size_t k = 0; k < net->n_rep; k++) {
		ms__report *r = &net->rep[k];
		ms__pop *p = net->pops[r->pop];
		const ms_var_info *vi;
		uint64_t *ids;

		if (r->proj >= 0) {
			if ((rc = build_syn_report(net, r)))
				return rc;
			continue;
		}
		vi = &p->model->vars[r->var];
		ids = malloc(r->n_ids * sizeof(uint64_t));
		if (!ids)
			return ms__err(net, MS_ENOMEM, "out of memory");
		for (size_t m = 0; m < r->n_ids; m++)
			ids[m] = r->ids[m];
		r->t0 = net->t_now;
		rc = ms__rec_add_report(net->rec, p->name, vi->name,
		                        ms_dim_unit(vi->dim), ids, r->n_ids,
		                        r->t0, r->dt, &r->handle);
		free(ids);
		if (rc)
			return ms__err(net, rc, "%s", ms__rec_error(net->rec));
	}
	return MS_OK;
}

/* Conductance weights within MS_COND_WEIGHT_MAX_PER_PF C_m of the target
 * population (models with weights in nS and a parameter C_m). */
static int check_cond_weights(ms_net *net, const ms__proj *j,
                              const ms__pop *pre, const ms__pop *post)
{
	int q = ms__param_index(post->model, "C_m");
	double lim;

	if (post->model->weight_dim != MS_DIM_CONDUCTANCE || q < 0)
		return MS_OK;
	lim = MS_COND_WEIGHT_MAX_PER_PF * post->param[q];
	for (size_t s = 0; s < j->n; s++)
		if (!(fabs(j->weight[s]) <= lim))
			return ms__err(
			    net, MS_EINVAL,
			    "projection %s -> %s: weight %g nS (synapse %zu) "
			    "is beyond %g nS, %g times C_m of %s: a "
			    "conductance that moves V within a microsecond "
			    "(a mistake of units?)",
			    pre->name, post->name, j->weight[s], s, lim,
			    MS_COND_WEIGHT_MAX_PER_PF, post->name);
	return MS_OK;
}

static int build(ms_net *net)
{
	double dmin = INFINITY, dmax = 0.0;
	size_t nb, arena = 0;
	int rc;

	for (size_t k = 0; k < net->n_pops; k++)
		if ((rc = build_pop(net, net->pops[k])))
			return rc;
	/* One block for the synapse arrays (engine/arena.h); without it,
	 * each array comes from malloc. */
	for (size_t k = 0; k < net->n_projs; k++) {
		size_t b = ms__connect_arena_bytes(net, (int)k);
		arena = b > SIZE_MAX - arena ? SIZE_MAX : arena + b;
	}
	(void)ms__arena_init(&net->arena, arena); /* failed: left empty */
	for (size_t k = 0; k < net->n_projs; k++) {
		ms__proj *j = net->projs[k];
		ms__pop *pre = net->pops[j->pre], *post = net->pops[j->post];
		int *no;
		if (post->model->is_generator && !j->pl)
			return ms__err(
			    net, MS_EINVAL,
			    "projection %s -> %s: %s is a generator "
			    "(model %s) and takes input only through "
			    "plastic synapses (a teacher population)",
			    pre->name, post->name, post->name,
			    post->model->name);
		if ((rc = ms__connect_build(net, (int)k)))
			return rc;
		if ((rc = check_cond_weights(net, j, pre, post)))
			return rc;
		if (j->pl) {
			if ((rc = ms__plast_build(net, (int)k)))
				return rc;
			no = realloc(post->in_pl,
			             (post->n_in_pl + 1) * sizeof(int));
			if (!no)
				return ms__err(net, MS_ENOMEM, "out of memory");
			post->in_pl = no;
			post->in_pl[post->n_in_pl++] = (int)k;
		}
		/* Delays are finite and positive (checked when connecting). */
		if (j->n && !j->gofs) {
			dmin = j->delay_all < dmin ? j->delay_all : dmin;
			dmax = j->delay_all > dmax ? j->delay_all : dmax;
		}
		for (size_t s = 0; j->gofs && s < j->n; s++) {
			dmin = j->delay[s] < dmin ? j->delay[s] : dmin;
			dmax = j->delay[s] > dmax ? j->delay[s] : dmax;
		}
		no = realloc(pre->out, (pre->n_out + 1) * sizeof(int));
		if (!no)
			return ms__err(net, MS_ENOMEM, "out of memory");
		pre->out = no;
		pre->out[pre->n_out++] = (int)k;
	}
	/* Without synapses the window length only sets the bookkeeping
	 * granularity, not the results. */
	net->D = dmin < INFINITY ? dmin : 1.0;
	/* The ring covers the longest delay and, at least, the next 1024
	 * windows, so that most checks and deliveries never go through the
	 * far-future heap; a larger ring only costs memory first touched
	 * (1024 ran 1 s of CUBA 12% faster than 4096). */
	nb = 1024;
	while (nb < (1u << 20) && (double)nb < dmax / net->D + 2.0)
		nb *= 2;
	if ((rc = ms__queue_init(&net->q, net->D, nb)))
		return ms__err(net, rc, "out of memory");
	net->win = ms__queue_win(&net->q, net->t_now);
	net->q.base = net->win;
	if ((rc = build_recording(net)))
		return rc;
	net->built = 1;
	net->t_first = net->t_now;
	for (size_t k = 0; k < net->n_pops; k++) {
		ms__pop *p = net->pops[k];
		for (uint32_t i = 0; i < p->n; i++)
			ms__register_check(p, i,
			                   p->model->bound(p, i, net->t_now));
	}
	return net->emit_failed ? ms__err(net, MS_ENOMEM, "out of memory")
	                        : MS_OK;
}

int ms_net_build(ms_net *net)
{
	if (!net)
		return MS_EINVAL;
	if (net->built || net->build_rc)
		return net->build_rc;
	net->build_rc = build(net);
	return net->build_rc;
}

/* ------------------------------------------------------------------------ */
/* The run loop                                                             */

static int wspike_cmp(const void *a, const void *b)
{
	const ms__wspike *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->pop != y->pop)
		return x->pop < y->pop ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Hand the window's spikes, in time order, to the recorder and the spike
 * callback. */
static int flush_spikes(ms_net *net)
{
	size_t n = net->n_ws;
	int rc;

	if (n == 0)
		return MS_OK;
	if (n > 1)
		qsort(net->ws, n, sizeof(*net->ws), wspike_cmp);
	if (net->spike_cb)
		for (size_t k = 0; k < n; k++)
			net->spike_cb((int)net->ws[k].pop, net->ws[k].i,
			              net->ws[k].t, net->spike_cb_user);
	if (net->rec) {
		if (n > net->cap_stage) {
			double *t = realloc(net->stage_t, n * sizeof(double));
			uint64_t *id;
			if (t)
				net->stage_t = t;
			id = realloc(net->stage_id, n * sizeof(uint64_t));
			if (id)
				net->stage_id = id;
			if (!t || !id)
				return ms__err(net, MS_ENOMEM, "out of memory");
			net->cap_stage = n;
		}
		for (size_t k = 0; k < net->n_pops; k++) {
			ms__pop *p = net->pops[k];
			size_t m = 0;
			if (p->rec_handle < 0)
				continue;
			for (size_t s = 0; s < n; s++) {
				if (net->ws[s].pop != (uint32_t)k)
					continue;
				net->stage_t[m] = net->ws[s].t;
				net->stage_id[m++] = net->ws[s].i;
			}
			if (m && (rc = ms__rec_spikes(net->rec, p->rec_handle,
			                              net->stage_t,
			                              net->stage_id, m)))
				return ms__err(net, rc, "%s",
				               ms__rec_error(net->rec));
		}
	}
	net->n_ws = 0;
	return MS_OK;
}

static double report_next_time(const ms__report *r)
{
	return r->t0 + (double)r->k * r->dt;
}

/* A frame of a synapse report: the targets are settled first, so that
 * their spikes before t have reached the rule; the devices are then read
 * at t. */
static void sample_synapses(ms_net *net, ms__report *r, double t)
{
	const ms__proj *j = net->projs[r->proj];
	const ms__plast *pl = j->pl;
	ms__pop *post = net->pops[j->post];

	for (uint32_t i = 0; i < post->n; i++)
		post->model->settle(post, i, t);
	for (uint64_t s = 0; s < j->n; s++) {
		double w = ms__device_state_at(&pl->dev, s, pl->w[s], t);
		r->frame[s] = (float)(r->var ? ms__device_G(&pl->dev, w) : w);
	}
}

static int sample(ms_net *net, ms__report *r, double t)
{
	ms__pop *p = net->pops[r->pop];
	int rc;

	if (r->proj >= 0) {
		r->k++;
		if (!net->rec) /* no output file: nothing to sample into */
			return MS_OK;
		sample_synapses(net, r, t);
		if (net->rec &&
		    (rc = ms__rec_frame(net->rec, r->handle, r->frame)))
			return ms__err(net, rc, "%s", ms__rec_error(net->rec));
		return MS_OK;
	}
	for (size_t k = 0; k < r->n_ids; k++) {
		uint32_t i = r->ids[k];
		p->model->settle(p, i, t);
		r->frame[k] = (float)p->model->peek(p, i, t, r->var);
	}
	r->k++;
	if (net->rec && (rc = ms__rec_frame(net->rec, r->handle, r->frame)))
		return ms__err(net, rc, "%s", ms__rec_error(net->rec));
	return MS_OK;
}

/*
 * A plastic group: settle the targets first, so that their spikes before t
 * reach the rule (on_post) before the weights are read; deliver with the
 * current weights; then the rule sees the pre-synaptic spikes (on_pre).
 * Targets that are generators (teacher populations) take no input. A
 * target whose check lies beyond the current window cannot fire before t
 * (engine/internal.h): settling it would change nothing, so it is skipped.
 */
static void deliver_plastic(const ms__dev *ev, const ms__proj *j, ms__pop *post)
{
	ms__plast *pl = j->pl;
	const int64_t win = post->net->win;

	for (uint32_t k = 0; k < ev->n; k++) {
		uint32_t i = j->target[ev->s0 + k];
		if (post->chk_win[i] <= win)
			post->model->settle(post, i, ev->t);
	}
	if (pl->read_each)
		ms__plast_read(pl, ev->t, ev->s0, ev->n);
	if (post->model->deliver)
		post->model->deliver(post, ev->t, j, ev->s0, ev->n);
	pl->rule->on_pre(pl, ev->t, ev->s0, ev->n);
}

static void deliver(ms_net *net, const ms__dev *ev)
{
	const ms__proj *j = net->projs[ev->proj];
	ms__pop *post = net->pops[j->post];

	if (j->pl)
		deliver_plastic(ev, j, post);
	else
		post->model->deliver(post, ev->t, j, ev->s0, ev->n);
	net->st.syn_events += ev->n;
	net->st.deliveries++;
}

/* Earliest pending stimulus change and sample, with their owners. */
static double next_stim(ms_net *net, ms__current **c)
{
	double best = INFINITY;

	*c = NULL;
	for (size_t k = 0; k < net->n_cur; k++) {
		double t = current_next_time(net, &net->cur[k]);
		if (t < best) {
			best = t;
			*c = &net->cur[k];
		}
	}
	return best;
}

static double next_sample(ms_net *net, ms__report **r)
{
	double best = INFINITY;

	*r = NULL;
	for (size_t k = 0; k < net->n_rep; k++) {
		double t = report_next_time(&net->rep[k]);
		if (t < best) {
			best = t;
			*r = &net->rep[k];
		}
	}
	return best;
}

/*
 * Process window w up to t_end (its end, or the stop time): deliveries,
 * stimulus changes and samples in the total order (time, kind: stimulus <
 * delivery < sample, then projection and synapse), then settle every unit
 * with a check in this window.
 */
static int process_window(ms_net *net, int64_t w, double t_end)
{
	ms__bucket *b = ms__queue_bucket(&net->q, w);
	size_t n0, keep;
	int rc;

	ms__current *c;
	ms__report *r;
	/* Stimulus changes and samples are few: find the next of each only
	 * after one has been processed, not for every delivery. */
	double ts = next_stim(net, &c);
	double tr = next_sample(net, &r);

	for (;;) {
		double td = b->head < b->n ? b->ev[b->head].t : INFINITY;
		if (ts < t_end && ts <= td && ts <= tr) {
			apply_current(net, c, ts);
			ts = next_stim(net, &c);
		} else if (td < t_end && td <= tr) {
			/* The next group's synapses are cold: fetch them now.
			 */
			if (b->head + 1 < b->n) {
				const ms__dev *nx = &b->ev[b->head + 1];
				const ms__proj *nj = net->projs[nx->proj];
				__builtin_prefetch(&nj->target[nx->s0]);
				__builtin_prefetch(&nj->weight[nx->s0]);
			}
			deliver(net, &b->ev[b->head++]);
			net->q.pending--;
		} else if (tr < t_end) {
			if ((rc = sample(net, r, tr)))
				return rc;
			tr = next_sample(net, &r);
		} else {
			break;
		}
	}
	if (b->head == b->n)
		b->head = b->n = 0;

	n0 = b->nchk;
	for (size_t k = 0; k < n0; k++) {
		ms__pop *p = net->pops[b->chk[k] >> 32];
		uint32_t i = (uint32_t)b->chk[k];
		if (p->chk_win[i] != w)
			continue;
		p->chk_win[i] = MS__NO_WINDOW;
		if (p->model->check) {
			ms__register_check(p, i, p->model->check(p, i, t_end));
		} else {
			p->model->settle(p, i, t_end);
			ms__register_check(p, i, p->model->bound(p, i, t_end));
		}
	}
	/* Checks registered while settling (only when t_end stops short of
	 * the window's end) stay for the rest of the window. */
	b = ms__queue_bucket(&net->q, w);
	keep = b->nchk - n0;
	if (keep)
		memmove(b->chk, b->chk + n0, keep * sizeof(*b->chk));
	b->nchk = keep;
	net->q.pending -= n0;

	if (net->emit_failed)
		return ms__err(net, MS_ENOMEM, "out of memory during the run");
	return flush_spikes(net);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* First window at or after w that has work before t_stop. */
static int64_t next_busy_window(ms_net *net, int64_t w, double t_stop)
{
	ms__current *c;
	ms__report *r;
	int64_t best = ms__queue_next_window(&net->q, w);
	double t = fmin(fmin(next_stim(net, &c), next_sample(net, &r)), t_stop);
	int64_t wt = ms__queue_win(&net->q, fmax(t, net->t_now));

	return wt < best ? wt : best;
}

int ms_net_run(ms_net *net, double t_stop)
{
	double wall0 = now_s(), last_progress = wall0;
	int rc = MS_OK;
	unsigned tick = 0;

	if (!net)
		return MS_EINVAL;
	if (!(t_stop >= net->t_now) || !isfinite(t_stop))
		return ms__err(net, MS_EINVAL,
		               "run until %g ms: expected a finite time not "
		               "before the current time %g ms",
		               t_stop, net->t_now);
	if ((rc = ms_net_build(net)))
		return rc;
	if (t_stop >= ms__queue_win_start(&net->q, MS__WIN_MAX - 1))
		return ms__err(net, MS_EINVAL,
		               "run until %g ms: expected a time below %g ms "
		               "(the scheduler's horizon)",
		               t_stop,
		               ms__queue_win_start(&net->q, MS__WIN_MAX - 1));

	while (net->t_now < t_stop) {
		int64_t w;
		double t_end;

		if (net->stop) {
			rc = ms__err(net, MS_EINTR, "run interrupted at %g ms",
			             net->t_now);
			net->interrupted = 1;
			break;
		}
		w = next_busy_window(net, net->win, t_stop);
		if (w > net->win) {
			net->win = w;
			net->t_now =
			    fmax(net->t_now, ms__queue_win_start(&net->q, w));
		}
		if ((rc = ms__queue_advance(&net->q, net->win)))
			return ms__err(net, rc, "out of memory");
		t_end =
		    fmin(ms__queue_win_start(&net->q, net->win + 1), t_stop);
		if ((rc = process_window(net, net->win, t_end)))
			break;
		net->t_now = t_end;
		if (t_end >= ms__queue_win_start(&net->q, net->win + 1))
			net->win++;
		if (net->progress && (++tick & 63) == 0) {
			double now = now_s();
			if (now - last_progress >= net->progress_interval_s) {
				last_progress = now;
				net->progress(net->t_now, t_stop,
				              net->progress_user);
			}
		}
	}
	net->st.wall_s += now_s() - wall0;
	net->stop = 0;
	return rc;
}

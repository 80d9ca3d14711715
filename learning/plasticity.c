/*
 * plasticity — learning rules on projections: the rule registry, the
 * public calls that attach rules, devices and spike waveforms, and the
 * per-projection state the engine hands to the rules (learning/plasticity.h
 * states the event order).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/units.h"
#include "learning/plasticity.h"

static const ms__rule *const rules[] = {
    &ms__rule_stdp_waveform,
    &ms__rule_stdp_pair,
    &ms__rule_stdp_triplet,
    &ms__rule_stdp_querlioz,
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

const ms__rule *ms__rule_lookup(const char *name)
{
	for (size_t i = 0; name && i < N_RULES; i++)
		if (strcmp(rules[i]->name, name) == 0)
			return rules[i];
	return NULL;
}

const char *ms__rule_names(void)
{
	static char buf[256];

	if (!buf[0])
		for (size_t i = 0; i < N_RULES; i++) {
			strncat(buf, i ? ", " : "",
			        sizeof(buf) - strlen(buf) - 1);
			strncat(buf, rules[i]->name,
			        sizeof(buf) - strlen(buf) - 1);
		}
	return buf;
}

void ms__plast_init(ms__plast *pl, const ms__rule *rule)
{
	memset(pl, 0, sizeof(*pl));
	pl->rule = rule;
	for (size_t k = 0; k < rule->n_params; k++)
		pl->param[k] = rule->params[k].def;
	ms__device_cfg_init(&pl->dcfg);
}

int ms__plast_set_param(ms__plast *pl, const char *name, double v, char *err,
                        size_t errlen)
{
	const ms__rule *r = pl->rule;

	for (size_t k = 0; k < r->n_params; k++) {
		char msg[256];
		if (strcmp(r->params[k].name, name) != 0)
			continue;
		if (ms__param_check(&r->params[k], v, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s: %s", r->name, msg);
			return MS_EINVAL;
		}
		pl->param[k] = v;
		return MS_OK;
	}
	{
		char known[512] = "";
		for (size_t k = 0; k < r->n_params; k++) {
			strncat(known, k ? ", " : "",
			        sizeof(known) - strlen(known) - 1);
			strncat(known, r->params[k].name,
			        sizeof(known) - strlen(known) - 1);
		}
		snprintf(err, errlen,
		         "rule %s has no parameter \"%s\" (parameters: %s)",
		         r->name, name, r->n_params ? known : "none");
	}
	return MS_ENOENT;
}

/* Index of value in a NULL-terminated list, or -1. */
static int value_index(const char *const *values, const char *value)
{
	for (int k = 0; values[k]; k++)
		if (strcmp(values[k], value) == 0)
			return k;
	return -1;
}

static void list_values(char *buf, size_t len, const char *const *values)
{
	buf[0] = '\0';
	for (int k = 0; values[k]; k++) {
		strncat(buf, k ? ", " : "", len - strlen(buf) - 1);
		strncat(buf, values[k], len - strlen(buf) - 1);
	}
}

int ms__plast_set_option(ms__plast *pl, const char *name, const char *value,
                         char *err, size_t errlen)
{
	const ms__rule *r = pl->rule;
	char known[256];

	for (size_t k = 0; k < r->n_opts; k++) {
		int v;
		if (strcmp(r->opt_names[k], name) != 0)
			continue;
		v = value ? value_index(r->opt_values[k], value) : -1;
		if (v >= 0) {
			pl->opt[k] = v;
			return MS_OK;
		}
		list_values(known, sizeof(known), r->opt_values[k]);
		snprintf(err, errlen, "%s: %s \"%s\" is not one of: %s",
		         r->name, name, value ? value : "(null)", known);
		return MS_EINVAL;
	}
	snprintf(err, errlen, "rule %s has no option \"%s\"", r->name, name);
	return MS_ENOENT;
}

/* Efficacy scale of synapse s: the connector's weight per nS of G_max. */
static inline double scale_of(const ms__plast *pl, uint64_t s)
{
	return pl->scale ? pl->scale[s] : pl->eff;
}

void ms__plast_apply(ms__plast *pl, uint64_t s, double dw, double t, int kind)
{
	double w = ms__device_update(&pl->dev, s, pl->w[s], dw, t, kind);

	pl->w[s] = w;
	if (!pl->read_each)
		pl->proj->weight[s] =
		    scale_of(pl, s) * ms__device_G(&pl->dev, w);
}

void ms__plast_pulse(ms__plast *pl, uint64_t s, int sign, double t, int kind)
{
	const ms__device_model *m = pl->dev.c.m;
	double w = ms__device_state_at(&pl->dev, s, pl->w[s], t);

	ms__plast_apply(
	    pl, s,
	    m->pulse_dw(ms__device_params(&pl->dev, s), pl->dev.c.opt, w, sign),
	    t, kind);
}

void ms__plast_read(ms__plast *pl, double t, uint64_t s0, uint32_t n)
{
	for (uint64_t s = s0; s < s0 + n; s++)
		pl->proj->weight[s] =
		    scale_of(pl, s) * ms__device_read(&pl->dev, s, pl->w[s], t);
}

/* Synapses into each post unit, in increasing synapse order, with their
 * sources when rules may keep per-source histories. */
static int transpose(ms__plast *pl, const ms__proj *j)
{
	uint64_t *fill;

	pl->in_row = calloc((size_t)pl->n_post + 1, sizeof(uint64_t));
	pl->in_syn = malloc((j->n ? j->n : 1) * sizeof(uint64_t));
	fill = malloc(((size_t)pl->n_post + 1) * sizeof(uint64_t));
	if (pl->per_src)
		pl->in_src = malloc((j->n ? j->n : 1) * sizeof(uint32_t));
	if (!pl->in_row || !pl->in_syn || !fill ||
	    (pl->per_src && !pl->in_src)) {
		free(fill);
		return MS_ENOMEM;
	}
	for (uint64_t s = 0; s < j->n; s++)
		pl->in_row[j->target[s] + 1]++;
	for (uint32_t i = 0; i < pl->n_post; i++)
		pl->in_row[i + 1] += pl->in_row[i];
	memcpy(fill, pl->in_row, ((size_t)pl->n_post + 1) * sizeof(uint64_t));
	for (uint32_t a = 0; a < pl->n_pre; a++)
		for (uint64_t s = j->row[a]; s < j->row[a + 1]; s++) {
			uint64_t k = fill[j->target[s]]++;
			pl->in_syn[k] = s;
			if (pl->in_src)
				pl->in_src[k] = a;
		}
	free(fill);
	return MS_OK;
}

uint32_t ms__plast_source(const ms__plast *pl, uint64_t s)
{
	const uint64_t *row = pl->proj->row;
	uint32_t a = 0, b = pl->n_pre;
	double g = (double)s / (double)row[b] * (double)b;

	/* The last row starting at or before s: row[a] <= s < row[a + 1].
	 * When rows have about the same length (all to all, fixed in-degree
	 * or probability) the proportional guess usually is it. */
	if (g < (double)b) {
		uint32_t k = (uint32_t)g;
		if (row[k] <= s && s < row[k + 1])
			return k;
	}
	while (b - a > 1) {
		uint32_t m = a + (b - a) / 2;
		if (row[m] <= s)
			a = m;
		else
			b = m;
	}
	return a;
}

/* Per-synapse efficacy scales when the connector gave different weights,
 * else one scalar. */
static int scales(ms__plast *pl, const ms__proj *j)
{
	double G_max = pl->dev.c.G_max;
	int uniform = 1;

	for (uint64_t s = 1; s < j->n && uniform; s++)
		uniform = j->weight[s] == j->weight[0];
	pl->eff = (j->n ? j->weight[0] : j->syn.weight) / G_max;
	if (uniform)
		return MS_OK;
	pl->scale = malloc(j->n * sizeof(double));
	if (!pl->scale)
		return MS_ENOMEM;
	for (uint64_t s = 0; s < j->n; s++)
		pl->scale[s] = j->weight[s] / G_max;
	return MS_OK;
}

int ms__plast_build(ms_net *net, int k)
{
	ms__proj *j = net->projs[k];
	ms__plast *pl = j->pl;
	ms__pop *pre = net->pops[j->pre], *post = net->pops[j->post];
	const ms__rule *r = pl->rule;
	const ms__device_model *m = pl->dcfg.m;
	char msg[512] = "";
	int rc;

	pl->proj = j;
	pl->n_pre = pre->n;
	pl->n_post = post->n;
	if (r->needs_rate_law && (!m || m->is_pulse))
		return ms__err(net, MS_EINVAL,
		               "projection %s -> %s: rule %s needs a device "
		               "with a rate law (device models: %s)",
		               pre->name, post->name, r->name,
		               ms__device_names());
	if (r->needs_pulse && (!m || !m->is_pulse))
		return ms__err(net, MS_EINVAL,
		               "projection %s -> %s: rule %s needs a "
		               "pulse-based device (e.g. pulse_exp)",
		               pre->name, post->name, r->name);
	if (r->needs_waveforms) {
		const ms__pop *miss = !pre->wave.shape    ? pre
		                      : !post->wave.shape ? post
		                                          : NULL;
		if (miss)
			return ms__err(net, MS_EINVAL,
			               "projection %s -> %s: rule %s needs a "
			               "spike waveform on population %s",
			               pre->name, post->name, r->name,
			               miss->name);
		pl->wpre = &pre->wave;
		pl->wpost = &post->wave;
	}
	pl->w = malloc((j->n ? j->n : 1) * sizeof(double));
	if (!pl->w)
		return ms__err(net, MS_ENOMEM, "out of memory");
	rc = ms__device_build(&pl->dev, &pl->dcfg, j->n, net->seed,
	                      ms__proj_owner(net, k), pl->w, msg, sizeof(msg));
	if (rc)
		return ms__err(net, rc, "projection %s -> %s: %s", pre->name,
		               post->name, msg);
	pl->per_src = j->gofs == NULL;
	if (scales(pl, j) || transpose(pl, j))
		return ms__err(net, MS_ENOMEM, "out of memory");
	pl->read_each =
	    pl->dcfg.read_sigma > 0 || (pl->dcfg.retention_tau_ms > 0 &&
	                                pl->dcfg.retention_tau_ms < INFINITY);
	pl->weight = j->weight;
	pl->ideal = !pl->dev.stuck && !pl->dev.t_last &&
	            pl->dcfg.c2c_sigma == 0.0 && pl->dcfg.levels == 0;
	for (uint64_t s = 0; s < j->n; s++)
		j->weight[s] =
		    scale_of(pl, s) * ms__device_G(&pl->dev, pl->w[s]);
	if (r->build && (rc = r->build(pl, msg, sizeof(msg))))
		return ms__err(net, rc, "projection %s -> %s: %s", pre->name,
		               post->name, msg[0] ? msg : ms_strerror(rc));
	return MS_OK;
}

void ms__plast_free(ms__plast *pl)
{
	if (!pl)
		return;
	if (pl->rule->destroy)
		pl->rule->destroy(pl);
	ms__device_free(&pl->dev);
	free(pl->w);
	free(pl->scale);
	free(pl->in_row);
	free(pl->in_syn);
	free(pl->in_src);
	free(pl);
}

/* ------------------------------------------------------------------------ */
/* Public calls                                                             */

static int proj_of(ms_net *net, int proj, const char *fn, ms__proj **out)
{
	if (!net)
		return MS_EINVAL;
	if (proj < 0 || (size_t)proj >= net->n_projs)
		return ms__err(net, MS_EINVAL, "%s: no projection %d", fn,
		               proj);
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "%s: plasticity must be set up before the "
		               "first run",
		               fn);
	*out = net->projs[proj];
	return MS_OK;
}

static const char *proj_name(ms_net *net, const ms__proj *j, char *buf,
                             size_t len)
{
	snprintf(buf, len, "%s -> %s", net->pops[j->pre]->name,
	         net->pops[j->post]->name);
	return buf;
}

int ms_proj_set_plasticity(ms_net *net, int proj, const char *rule)
{
	const ms__rule *r = ms__rule_lookup(rule);
	ms__proj *j = NULL;
	char nm[160];
	int rc;

	if ((rc = proj_of(net, proj, "ms_proj_set_plasticity", &j)))
		return rc;
	if (!r)
		return ms__err(net, MS_ENOENT,
		               "projection %s: unknown plasticity rule \"%s\" "
		               "(rules: %s)",
		               proj_name(net, j, nm, sizeof(nm)),
		               rule ? rule : "(null)", ms__rule_names());
	if (!j->pl) {
		j->pl = malloc(sizeof(*j->pl));
		if (!j->pl)
			return ms__err(net, MS_ENOMEM, "out of memory");
		ms__plast_init(j->pl, r);
	} else {
		/* Keep the device, reset the rule's settings. */
		ms__device_cfg d = j->pl->dcfg;
		ms__plast_init(j->pl, r);
		j->pl->dcfg = d;
	}
	return MS_OK;
}

/* The projection proj, which must exist, be unbuilt and have a rule. */
static int plastic_proj(ms_net *net, int proj, const char *fn, ms__proj **out)
{
	char nm[160];
	int rc;

	if ((rc = proj_of(net, proj, fn, out)))
		return rc;
	if ((*out)->pl)
		return MS_OK;
	return ms__err(net, MS_ESTATE,
	               "%s: projection %s has no plasticity rule yet "
	               "(ms_proj_set_plasticity first)",
	               fn, proj_name(net, *out, nm, sizeof(nm)));
}

/* Report rc from a setter of projection j with its message. */
static int proj_fail(ms_net *net, const ms__proj *j, int rc, const char *msg)
{
	char nm[160];

	return ms__err(net, rc, "projection %s: %s",
	               proj_name(net, j, nm, sizeof(nm)), msg);
}

int ms_proj_set_plasticity_param(ms_net *net, int proj, const char *name,
                                 double value)
{
	ms__proj *j = NULL;
	char msg[512];
	int rc;

	if ((rc = plastic_proj(net, proj, "ms_proj_set_plasticity_param", &j)))
		return rc;
	rc = ms__plast_set_param(j->pl, name ? name : "", value, msg,
	                         sizeof(msg));
	return rc ? proj_fail(net, j, rc, msg) : MS_OK;
}

int ms_proj_set_plasticity_option(ms_net *net, int proj, const char *name,
                                  const char *value)
{
	ms__proj *j = NULL;
	char msg[512];
	int rc;

	if ((rc = plastic_proj(net, proj, "ms_proj_set_plasticity_option", &j)))
		return rc;
	rc = ms__plast_set_option(j->pl, name ? name : "", value, msg,
	                          sizeof(msg));
	return rc ? proj_fail(net, j, rc, msg) : MS_OK;
}

int ms_proj_set_device(ms_net *net, int proj, const char *model)
{
	const ms__device_model *m = ms__device_lookup(model);
	ms__proj *j = NULL;
	char msg[512];
	int rc;

	if ((rc = plastic_proj(net, proj, "ms_proj_set_device", &j)))
		return rc;
	if (!m) {
		snprintf(msg, sizeof(msg),
		         "unknown device model \"%s\" (device models: %s)",
		         model ? model : "(null)", ms__device_names());
		return proj_fail(net, j, MS_ENOENT, msg);
	}
	ms__device_cfg_set_model(&j->pl->dcfg, m);
	return MS_OK;
}

int ms_proj_set_device_param(ms_net *net, int proj, const char *name,
                             double value)
{
	ms__proj *j = NULL;
	char msg[512];
	int rc;

	if ((rc = plastic_proj(net, proj, "ms_proj_set_device_param", &j)))
		return rc;
	rc = ms__device_set_param(&j->pl->dcfg, name ? name : "", value, msg,
	                          sizeof(msg));
	return rc ? proj_fail(net, j, rc, msg) : MS_OK;
}

int ms_proj_set_device_option(ms_net *net, int proj, const char *name,
                              const char *value)
{
	ms__proj *j = NULL;
	char msg[512];
	int rc;

	if ((rc = plastic_proj(net, proj, "ms_proj_set_device_option", &j)))
		return rc;
	rc = ms__device_set_option(&j->pl->dcfg, name ? name : "",
	                           value ? value : "", msg, sizeof(msg));
	return rc ? proj_fail(net, j, rc, msg) : MS_OK;
}

int ms_proj_get_state(ms_net *net, int proj, double *w, double *G_nS)
{
	const ms__proj *j;
	const ms__plast *pl;

	if (!net || proj < 0 || (size_t)proj >= net->n_projs)
		return MS_EINVAL;
	j = net->projs[proj];
	if (!j->pl)
		return ms__err(
		    net, MS_EINVAL, "projection %s -> %s is not plastic",
		    net->pops[j->pre]->name, net->pops[j->post]->name);
	if (!net->built)
		return ms__err(net, MS_ESTATE,
		               "device states exist from the first run on");
	pl = j->pl;
	for (uint64_t s = 0; s < j->n; s++) {
		double ws =
		    ms__device_state_at(&pl->dev, s, pl->w[s], net->t_now);
		if (w)
			w[s] = ws;
		if (G_nS)
			G_nS[s] = ms__device_G(&pl->dev, ws);
	}
	return MS_OK;
}

int ms_proj_is_plastic(const ms_net *net, int proj)
{
	return net && proj >= 0 && (size_t)proj < net->n_projs &&
	       net->projs[proj]->pl;
}

/* ------------------------------------------------------------------------ */
/* Waveforms                                                                */

static int pop_of(ms_net *net, int pop, const char *fn, ms__pop **out)
{
	if (!net)
		return MS_EINVAL;
	if (pop < 0 || (size_t)pop >= net->n_pops)
		return ms__err(net, MS_EINVAL, "%s: no population %d", fn, pop);
	if (net->built)
		return ms__err(net, MS_ESTATE,
		               "%s: waveforms must be set before the first run",
		               fn);
	*out = net->pops[pop];
	return MS_OK;
}

int ms_pop_set_waveform(ms_net *net, int pop, const char *shape)
{
	ms__pop *p = NULL;
	int rc, s;

	if ((rc = pop_of(net, pop, "ms_pop_set_waveform", &p)))
		return rc;
	s = shape ? ms__wave_shape(shape) : -1;
	if (s <= 0)
		return ms__err(net, MS_ENOENT,
		               "population %s: unknown waveform shape \"%s\" "
		               "(shapes: exp, rect_ramp, table)",
		               p->name, shape ? shape : "(null)");
	ms__wave_free(&p->wave);
	memset(&p->wave, 0, sizeof(p->wave));
	p->wave.shape = s;
	{
		size_t n;
		const ms_param_info *pi = ms__wave_params(s, &n);
		char msg[256];
		for (size_t k = 0; k < n; k++)
			ms__wave_set_param(&p->wave, pi[k].name, pi[k].def, msg,
			                   sizeof(msg));
	}
	return MS_OK;
}

int ms_pop_set_waveform_param(ms_net *net, int pop, const char *name,
                              double value)
{
	ms__pop *p = NULL;
	char msg[512];
	int rc;

	if ((rc = pop_of(net, pop, "ms_pop_set_waveform_param", &p)))
		return rc;
	if (!p->wave.shape)
		return ms__err(net, MS_ESTATE,
		               "population %s has no waveform shape yet",
		               p->name);
	if ((rc = ms__wave_set_param(&p->wave, name ? name : "", value, msg,
	                             sizeof(msg))))
		return ms__err(net, rc, "population %s: waveform: %s", p->name,
		               msg);
	return MS_OK;
}

int ms_pop_set_waveform_table(ms_net *net, int pop, const double *s_ms,
                              const double *v_mV, size_t n)
{
	ms__pop *p = NULL;
	char msg[512];
	int rc;

	if ((rc = pop_of(net, pop, "ms_pop_set_waveform_table", &p)))
		return rc;
	if (p->wave.shape != MS__WAVE_TABLE)
		return ms__err(net, MS_ESTATE,
		               "population %s: a table needs waveform shape "
		               "\"table\"",
		               p->name);
	if ((rc =
	         ms__wave_set_table(&p->wave, s_ms, v_mV, n, msg, sizeof(msg))))
		return ms__err(net, rc, "population %s: waveform: %s", p->name,
		               msg);
	return MS_OK;
}

/* ------------------------------------------------------------------------ */
/* Registry queries                                                         */

int ms_rule_params(const char *rule, const ms_param_info **params, size_t *n)
{
	const ms__rule *r = ms__rule_lookup(rule);

	if (!r)
		return MS_ENOENT;
	*params = r->params;
	*n = r->n_params;
	return MS_OK;
}

int ms_device_params(const char *model, const ms_param_info **params, size_t *n)
{
	const ms__device_model *m;

	if (!model) {
		*params = ms__device_common_params(n);
		return MS_OK;
	}
	m = ms__device_lookup(model);
	if (!m)
		return MS_ENOENT;
	*params = m->params;
	*n = m->n_params;
	return MS_OK;
}

int ms_waveform_params(const char *shape, const ms_param_info **params,
                       size_t *n)
{
	int s = shape ? ms__wave_shape(shape) : -1;

	if (s <= 0)
		return MS_ENOENT;
	*params = ms__wave_params(s, n);
	return MS_OK;
}

#include "common.h"
#include "runtime.h"
#include "rollout.h"
#include "strutil.h"

#include <cjson/cJSON.h>
#include <pthread.h>

/*
 * The runtime library's API (include/pops/runtime.h). The runtime holds
 * one reference to its current bundle; `cur_lock` guards only reading
 * and swapping that pointer, so a get takes the lock for a pointer load
 * and a reference count increment, and a reload builds the new bundle
 * before it takes the lock. Everything else a reader touches is the
 * immutable bundle it holds a reference to.
 */

struct pops_runtime {
	char *dir;
	pthread_mutex_t cur_lock;
	pops_rt_bundle *cur;
	pthread_mutex_t reload_lock;   /* one reload at a time; guards reload_error */
	char *reload_error;
};

/* the message of this thread's last failed call (its own copy: see fail()) */
static _Thread_local char *last_error;

/*
 * Record the failure `code` (a lib code, message set) for
 * pops_runtime_last_error and turn it into the API's code. The message
 * is copied so that lib code run by a later successful call (which may
 * set and recover from errors of its own) cannot change it.
 */
static int fail(int code)
{
	char *m = pops_strdup(pops_error_last());

	free(last_error);
	last_error = m;
	pops_error_clear();
	switch (code) {
	case POPS_ENOTFOUND:
		return POPS_RUNTIME_ENOTFOUND;
	case POPS_EINVALID:
		return POPS_RUNTIME_EINVALID;
	default:
		return POPS_RUNTIME_ERROR;
	}
}

const char *pops_runtime_last_error(void)
{
	return last_error ? last_error : "";
}

const char *pops_runtime_version(void)
{
	return "0.1.0";
}

void pops_runtime_free(void *p)
{
	free(p);
}

unsigned pops_runtime_bucket(const char *salt, const char *key)
{
	return pops_rollout_bucket(salt ? salt : "", key ? key : "", key ? strlen(key) : 0);
}

int pops_runtime_open(pops_runtime **out, const char *dir)
{
	pops_runtime *rt = NULL;
	int error;

	if (!out)
		return fail(pops_error_set(POPS_EINVALID, "pops_runtime_open: no place for the runtime"));
	*out = NULL;
	if (!dir || !*dir)
		return fail(pops_error_set(POPS_EINVALID, "pops_runtime_open: no bundle directory"));
	if (!(rt = calloc(1, sizeof(*rt))) || !(rt->dir = pops_strdup(dir))) {
		free(rt);
		return fail(pops_error_oom());
	}
	if ((error = pops_rt_bundle_load(&rt->cur, dir)) < 0) {
		free(rt->dir);
		free(rt);
		return fail(error);
	}
	pthread_mutex_init(&rt->cur_lock, NULL);
	pthread_mutex_init(&rt->reload_lock, NULL);
	*out = rt;
	return POPS_RUNTIME_OK;
}

int pops_runtime_reload(pops_runtime *rt)
{
	pops_rt_bundle *b = NULL, *old;
	int error;

	if (!rt)
		return fail(pops_error_set(POPS_EINVALID, "pops_runtime_reload: no runtime"));
	pthread_mutex_lock(&rt->reload_lock);
	if ((error = pops_rt_bundle_load(&b, rt->dir)) < 0) {
		free(rt->reload_error);
		rt->reload_error = pops_strdup(pops_error_last());
		pthread_mutex_unlock(&rt->reload_lock);
		return fail(error);
	}
	pthread_mutex_lock(&rt->cur_lock);
	old = rt->cur;
	rt->cur = b;
	pthread_mutex_unlock(&rt->cur_lock);
	free(rt->reload_error);
	rt->reload_error = NULL;
	pthread_mutex_unlock(&rt->reload_lock);
	/* gets that began before the swap hold their own references */
	pops_rt_bundle_unref(old);
	return POPS_RUNTIME_OK;
}

const char *pops_runtime_reload_error(pops_runtime *rt)
{
	const char *e;

	if (!rt)
		return NULL;
	pthread_mutex_lock(&rt->reload_lock);
	e = rt->reload_error;
	pthread_mutex_unlock(&rt->reload_lock);
	return e;
}

void pops_runtime_close(pops_runtime *rt)
{
	if (!rt)
		return;
	pops_rt_bundle_unref(rt->cur);
	pthread_mutex_destroy(&rt->cur_lock);
	pthread_mutex_destroy(&rt->reload_lock);
	free(rt->reload_error);
	free(rt->dir);
	free(rt);
}

int pops_runtime_get(pops_variant **out, pops_runtime *rt, const char *name, const char *key)
{
	const pops_rt_prompt *p;
	pops_rt_bundle *b;

	if (!out)
		return fail(pops_error_set(POPS_EINVALID, "pops_runtime_get: no place for the variant"));
	*out = NULL;
	if (!rt || !name)
		return fail(pops_error_set(POPS_EINVALID, "pops_runtime_get: no runtime or no name"));
	pthread_mutex_lock(&rt->cur_lock);
	b = rt->cur;
	pops_rt_bundle_ref(b);
	pthread_mutex_unlock(&rt->cur_lock);
	if (!(p = pops_rt_bundle_find(b, name))) {
		pops_error_set(POPS_ENOTFOUND, "no prompt '%s' in the %s bundle %s", name, b->env,
		               rt->dir);
		pops_rt_bundle_unref(b);
		return fail(POPS_ENOTFOUND);
	}
	if (p->canary && key && pops_rollout_is_canary(p->salt, key, strlen(key), p->percent))
		*out = p->canary;
	else
		*out = (pops_variant *)&p->stable;
	return POPS_RUNTIME_OK;
}

void pops_variant_release(pops_variant *v)
{
	if (v)
		pops_rt_bundle_unref(v->bundle);
}

const char *pops_variant_name(const pops_variant *v) { return v ? v->name : NULL; }
long pops_variant_version(const pops_variant *v) { return v ? v->version : 0; }
const char *pops_variant_side(const pops_variant *v) { return v ? v->side : NULL; }
const char *pops_variant_model_id(const pops_variant *v) { return v ? v->model_id : NULL; }
const char *pops_variant_model_json(const pops_variant *v) { return v ? v->model_json : NULL; }
const char *pops_variant_served(const pops_variant *v) { return v ? v->served : NULL; }

/*
 * cJSON's parser writes a process-wide error position on every call, so
 * parses from two threads race; the runtime's own parses take turns here
 * (a parse is microseconds; rendering does not parse).
 */
static pthread_mutex_t json_lock = PTHREAD_MUTEX_INITIALIZER;

cJSON *pops_rt_json_parse(const char *data, size_t len, size_t *bad)
{
	const char *end = NULL;
	cJSON *v;

	pthread_mutex_lock(&json_lock);
	v = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	pthread_mutex_unlock(&json_lock);
	if (bad)
		*bad = !v && end && end >= data && end <= data + len ? (size_t)(end - data) : 0;
	return v;
}

/* `vars_json` as pops render takes variables: NULL or "" none, else an object */
static int parse_vars(cJSON **out, const char *vars_json)
{
	size_t len = vars_json ? strlen(vars_json) : 0, bad = 0;

	*out = NULL;
	if (!len)
		return POPS_OK;
	if (!(*out = pops_rt_json_parse(vars_json, len, &bad)))
		return pops_error_set(POPS_EINVALID, "variables are not JSON (byte %zu)", bad + 1);
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return pops_error_set(POPS_EINVALID, "variables must be a JSON object of name: value");
	}
	return POPS_OK;
}

int pops_variant_render(char **out, const pops_variant *v, const char *vars_json)
{
	cJSON *vars = NULL, *result = NULL;
	int error;

	if (!out)
		return fail(pops_error_set(POPS_EINVALID, "pops_variant_render: no place for the result"));
	*out = NULL;
	if (!v)
		return fail(pops_error_set(POPS_EINVALID, "pops_variant_render: no variant"));
	if ((error = parse_vars(&vars, vars_json)) < 0 ||
	    (error = pops_prompt_render_result(&result, v->prompt, vars, NULL)) < 0)
		goto done;
	/* what `pops render --json` prints, without the newline puts() adds */
	if (!(*out = cJSON_Print(result)))
		error = pops_error_oom();
done:
	cJSON_Delete(result);
	cJSON_Delete(vars);
	return error < 0 ? fail(error) : POPS_RUNTIME_OK;
}

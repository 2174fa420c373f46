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

/*
 * The message of each thread's last failed call: its own copy (see
 * fail()), in thread-specific data so that a thread's exit frees it.
 */
static pthread_once_t last_error_once = PTHREAD_ONCE_INIT;
static pthread_key_t last_error_key;
static int last_error_ok;

static void last_error_init(void)
{
	last_error_ok = pthread_key_create(&last_error_key, free) == 0;
}

/*
 * Record the failure `code` (a lib code, message set) for
 * pops_runtime_last_error and turn it into the API's code. The message
 * is copied so that lib code run by a later successful call (which may
 * set and recover from errors of its own) cannot change it.
 */
static int fail(int code)
{
	char *m;

	pthread_once(&last_error_once, last_error_init);
	if (last_error_ok && (m = pops_strdup(pops_error_last()))) {
		free(pthread_getspecific(last_error_key));
		if (pthread_setspecific(last_error_key, m) != 0)
			free(m);
	}
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

/* a success: drop what lib code recovered from, so a thread's exit leaves nothing behind */
static int ok(void)
{
	pops_error_clear();
	return POPS_RUNTIME_OK;
}

const char *pops_runtime_last_error(void)
{
	const char *m;

	pthread_once(&last_error_once, last_error_init);
	m = last_error_ok ? pthread_getspecific(last_error_key) : NULL;
	return m ? m : "";
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
	return ok();
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
	return ok();
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
/*
 * The offset of a \u0000 escape in JSON text, or (size_t)-1. cJSON would
 * decode it into a C string that ends there, rendering "a\u0000b" as "a";
 * pops render refuses such variables, and so does the runtime. In JSON a
 * backslash only occurs inside strings, so skipping each escaped
 * character is exact.
 */
static size_t nul_escape(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < len && !memcmp(s + i + 2, "0000", 4))
			return i;
		i++;
	}
	return (size_t)-1;
}

static int parse_vars(cJSON **out, const char *vars_json)
{
	size_t len = vars_json ? strlen(vars_json) : 0, bad = 0, nul;

	*out = NULL;
	if (!len)
		return POPS_OK;
	if ((nul = nul_escape(vars_json, len)) != (size_t)-1)
		return pops_error_set(POPS_EINVALID, "variables hold a NUL character (\\u0000 at byte %zu): "
		                      "text with NUL cannot be rendered", nul + 1);
	if (!(*out = pops_rt_json_parse(vars_json, len, &bad)))
		return pops_error_set(POPS_EINVALID, "variables are not JSON (byte %zu)", bad + 1);
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return pops_error_set(POPS_EINVALID, "variables must be a JSON object of name: value");
	}
	return POPS_OK;
}

/*
 * cJSON_Print's formatting (cJSON 1.7: a tab per depth after each line
 * break in an object, ", " between array elements, "\t" after a key's
 * colon, the escapes of print_string_ptr), for the values messages hold.
 * cJSON's own printer escapes a string in two passes and grows its
 * buffer by reallocation; this one writes into the render's buffer
 * directly, which halves the cost of a render. Numbers (whose printing
 * round-trips through sscanf in cJSON) are left to cJSON: 0 when the
 * tree holds one, and the caller prints the messages with cJSON_Print.
 */
/* the bytes print_string_ptr escapes: '"', '\\' and every control character */
static int needs_escape(unsigned char c)
{
	return c < 32 || c == '"' || c == '\\';
}

static void put_string(pops_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s), i;
	char *o;

	/* room for the string unescaped; an escape makes more room as it goes */
	if (pops_buf_grow(b, len + 2) < 0)
		return;
	o = b->ptr + b->size;
	*o++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!needs_escape(c)) {
			*o++ = (char)c;
			continue;
		}
		b->size = (size_t)(o - b->ptr);
		if (pops_buf_grow(b, 6 + (len - i) + 1) < 0)
			return;
		o = b->ptr + b->size;
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
	}
	*o++ = '"';
	*o = '\0';
	b->size = (size_t)(o - b->ptr);
}

static int put_json(pops_buf *b, const cJSON *v, unsigned depth)
{
	static const char tabs[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
	const cJSON *c;

	if (depth >= sizeof(tabs) - 1)
		return 0;
	switch (v->type & 0xff) {
	case cJSON_NULL: pops_buf_puts(b, "null"); return 1;
	case cJSON_False: pops_buf_puts(b, "false"); return 1;
	case cJSON_True: pops_buf_puts(b, "true"); return 1;
	case cJSON_String: put_string(b, v->valuestring ? v->valuestring : ""); return 1;
	case cJSON_Array:
		pops_buf_putc(b, '[');
		for (c = v->child; c; c = c->next) {
			if (!put_json(b, c, depth + 1))
				return 0;
			if (c->next)
				pops_buf_put(b, ", ", 2);
		}
		pops_buf_putc(b, ']');
		return 1;
	case cJSON_Object:
		pops_buf_put(b, "{\n", 2);
		for (c = v->child; c; c = c->next) {
			pops_buf_put(b, tabs, depth + 1);
			put_string(b, c->string ? c->string : "");
			pops_buf_put(b, ":\t", 2);
			if (!put_json(b, c, depth + 1))
				return 0;
			pops_buf_put(b, c->next ? ",\n" : "\n", c->next ? 2 : 1);
		}
		pops_buf_put(b, tabs, depth);
		pops_buf_putc(b, '}');
		return 1;
	default:
		return 0;   /* a number or raw JSON: cJSON prints it */
	}
}

/*
 * head + the messages as cJSON_Print prints them as the value of a member
 * of the result object (depth 1) + tail: pops_prompt_render_result's
 * object, printed, without building or printing its head again.
 */
static int print_result(char **out, const pops_variant *v, const cJSON *msgs)
{
	pops_buf b = POPS_BUF_INIT;
	char *m = NULL;
	const char *c, *nl;
	size_t mlen;

	pops_buf_grow(&b, v->head_len + 4096);
	pops_buf_put(&b, v->head, v->head_len);
	if (!put_json(&b, msgs, 1)) {
		/* one level deeper in cJSON's format is one more tab after each line break */
		pops_buf_truncate(&b, v->head_len);
		POPS_CHECK_ALLOC(m = cJSON_Print(msgs));
		mlen = strlen(m);
		for (c = m; (nl = memchr(c, '\n', mlen - (size_t)(c - m))); c = nl + 1) {
			pops_buf_put(&b, c, (size_t)(nl - c));
			pops_buf_put(&b, "\n\t", 2);
		}
		pops_buf_puts(&b, c);
		cJSON_free(m);
	}
	pops_buf_puts(&b, v->tail);
	if (pops_buf_oom(&b))
		return pops_error_oom();
	*out = pops_buf_detach(&b);
	return POPS_OK;
}

int pops_variant_render(char **out, const pops_variant *v, const char *vars_json)
{
	cJSON *vars = NULL, *msgs = NULL;
	int error;

	if (!out)
		return fail(pops_error_set(POPS_EINVALID, "pops_variant_render: no place for the result"));
	*out = NULL;
	if (!v)
		return fail(pops_error_set(POPS_EINVALID, "pops_variant_render: no variant"));
	/* pops_prompt_render_result's messages, in the head printed at load */
	if ((error = parse_vars(&vars, vars_json)) < 0 ||
	    (error = pops_prompt_render(&msgs, v->prompt, vars, NULL)) < 0)
		goto done;
	error = print_result(out, v, msgs);
done:
	cJSON_Delete(msgs);
	cJSON_Delete(vars);
	return error < 0 ? fail(error) : ok();
}

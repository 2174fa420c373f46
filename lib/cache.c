#include "common.h"
#include "cache.h"
#include "fileio.h"
#include "sha256.h"
#include "strutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_ENTRY_MAX (64u * 1024 * 1024)

static void hash_field(pops_sha256 *h, const char *s, size_t len)
{
	unsigned char n[8];
	int i;

	/* length-prefixed, so ("ab","c") and ("a","bc") differ */
	for (i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)len >> (8 * i));
	pops_sha256_update(h, n, 8);
	pops_sha256_update(h, s, len);
}

void pops_cache_key(char out[65], const char *type, const char *base_url,
                    const char *model_id, const char *body, size_t body_len,
                    unsigned repeat)
{
	pops_sha256 h;
	char r[32];

	pops_sha256_init(&h);
	hash_field(&h, "pops-cache-v1", 13);
	hash_field(&h, type ? type : "", type ? strlen(type) : 0);
	hash_field(&h, base_url ? base_url : "", base_url ? strlen(base_url) : 0);
	hash_field(&h, model_id ? model_id : "", model_id ? strlen(model_id) : 0);
	hash_field(&h, body, body_len);
	snprintf(r, sizeof(r), "%u", repeat);
	hash_field(&h, r, strlen(r));
	pops_sha256_hex(&h, out);
}

static int entry_path(pops_buf *out, const char *dir, const char *key)
{
	pops_buf_clear(out);
	pops_buf_printf(out, "%s/%.2s/%s.json", dir, key, key + 2);
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

static cJSON *result_json(const pops_provider_result *res)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "text", res->text ? res->text : "");
	cJSON_AddStringToObject(o, "finish_reason", res->finish_reason ? res->finish_reason : "other");
	cJSON_AddNumberToObject(o, "input_tokens", (double)res->input_tokens);
	cJSON_AddNumberToObject(o, "output_tokens", (double)res->output_tokens);
	cJSON_AddNumberToObject(o, "cached_tokens", (double)res->cached_tokens);
	cJSON_AddNumberToObject(o, "http_status", (double)res->http_status);
	cJSON_AddNumberToObject(o, "latency_ms", res->latency_ms);
	if (res->tool_calls)   /* the calls are part of the answer: a hit gives them back */
		cJSON_AddItemToObject(o, "tool_calls", cJSON_Duplicate(res->tool_calls, 1));
	if (res->cache_write_tokens > 0)
		cJSON_AddNumberToObject(o, "cache_write_tokens", (double)res->cache_write_tokens);
	if (res->streamed)   /* a hit keeps its time to first token, as it keeps its latency */
		cJSON_AddNumberToObject(o, "ttft_ms", res->ttft_ms);
	return o;
}

static long num_or(const cJSON *o, const char *k, long d)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	/* stored files may be edited or damaged: cast only what fits */
	return cJSON_IsNumber(v) && v->valuedouble > -9e18 && v->valuedouble < 9e18
	           ? (long)v->valuedouble : d;
}

/* fill `out` from a stored result object; POPS_ENOTFOUND when malformed */
static int result_from_json(pops_provider_result *out, const cJSON *o)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "finish_reason");

	if (!cJSON_IsString(t) || !cJSON_IsString(f))
		return POPS_ENOTFOUND;
	free(out->text);
	free(out->finish_reason);
	free(out->error);
	out->error = NULL;
	out->text = pops_strdup(t->valuestring);
	out->finish_reason = pops_strdup(f->valuestring);
	if (!out->text || !out->finish_reason)
		return pops_error_oom();
	out->input_tokens = num_or(o, "input_tokens", -1);
	out->output_tokens = num_or(o, "output_tokens", -1);
	out->cached_tokens = num_or(o, "cached_tokens", 0);
	out->http_status = num_or(o, "http_status", 200);
	/* the provider's time when it was fetched: a cached result is not instant
	 * work of the model, and latency-ms assertions must not pass for free */
	{
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "latency_ms");

		out->latency_ms = cJSON_IsNumber(l) && l->valuedouble >= 0 && l->valuedouble < 1e12 ?
		                  l->valuedouble : cJSON_IsNumber(l) && l->valuedouble < 0 ? -1 : 0;
	}
	out->cache_write_tokens = num_or(o, "cache_write_tokens", 0);
	{
		const cJSON *tt = cJSON_GetObjectItemCaseSensitive(o, "ttft_ms");

		out->streamed = cJSON_IsNumber(tt) && tt->valuedouble >= 0 &&
		                tt->valuedouble <= out->latency_ms;
		out->ttft_ms = out->streamed ? tt->valuedouble : 0;
	}
	{
		const cJSON *tc = cJSON_GetObjectItemCaseSensitive(o, "tool_calls");

		cJSON_Delete(out->tool_calls);
		out->tool_calls = NULL;
		if (cJSON_IsArray(tc) && !(out->tool_calls = cJSON_Duplicate(tc, 1)))
			return pops_error_oom();
	}
	out->attempts = 0;
	out->cache_hit = 1;
	out->status = POPS_OK;
	return POPS_OK;
}

int pops_cache_get(pops_provider_result *out, const char *dir, const char *key)
{
	pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	cJSON *root = NULL;
	const cJSON *k;
	int error = POPS_ENOTFOUND;

	if (entry_path(&path, dir, key) < 0 ||
	    pops_file_read(&data, path.ptr, CACHE_ENTRY_MAX) < 0)
		goto done;
	/* a torn or foreign entry is a miss, never an error */
	if (!(root = cJSON_ParseWithLength(data.ptr, data.size)))
		goto done;
	k = cJSON_GetObjectItemCaseSensitive(root, "key");
	if (!cJSON_IsString(k) || strcmp(k->valuestring, key))
		goto done;
	error = result_from_json(out, cJSON_GetObjectItemCaseSensitive(root, "result"));
done:
	cJSON_Delete(root);
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
	if (error == POPS_ENOTFOUND)
		pops_error_clear();
	return error;
}

int pops_cache_put(const char *dir, const char *key, const pops_provider_result *res)
{
	pops_buf path = POPS_BUF_INIT, sub = POPS_BUF_INIT;
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;
	int error;

	cJSON_AddNumberToObject(o, "schema_version", 1);
	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddItemToObject(o, "result", result_json(res));
	if (!(s = cJSON_PrintUnformatted(o))) {
		error = pops_error_oom();
		goto done;
	}
	pops_buf_printf(&sub, "%s/%.2s", dir, key);
	if ((error = pops_mkdir_p(sub.ptr, 0777)) < 0 ||
	    (error = entry_path(&path, dir, key)) < 0)
		goto done;
	error = pops_file_write_replace(path.ptr, s, strlen(s), 0600);
done:
	free(s);
	cJSON_Delete(o);
	pops_buf_dispose(&sub);
	pops_buf_dispose(&path);
	return error;
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0' || s[n] == '.';
}

/* visit each entry file: fn(path, name, payload) */
static int walk(const char *dir, int (*fn)(const char *path, void *payload), void *payload)
{
	DIR *top = opendir(dir), *d = NULL;
	struct dirent *a, *b;
	pops_buf sub = POPS_BUF_INIT, path = POPS_BUF_INIT;
	int error = POPS_OK;

	if (!top) {
		if (errno == ENOENT)
			return POPS_OK;
		return pops_error_set(POPS_ERROR, "cannot read '%s': %s", dir, strerror(errno));
	}
	while ((a = readdir(top))) {
		if (strlen(a->d_name) != 2 || !is_hex(a->d_name, 2))
			continue;
		pops_buf_clear(&sub);
		pops_buf_printf(&sub, "%s/%s", dir, a->d_name);
		if (!(d = opendir(sub.ptr)))
			continue;
		while ((b = readdir(d))) {
			if (b->d_name[0] == '.')
				continue;
			pops_buf_clear(&path);
			pops_buf_printf(&path, "%s/%s", sub.ptr, b->d_name);
			if ((error = fn(path.ptr, payload)) < 0)
				goto done;
		}
		closedir(d);
		d = NULL;
	}
done:
	if (d)
		closedir(d);
	closedir(top);
	pops_buf_dispose(&sub);
	pops_buf_dispose(&path);
	return error;
}

static int stat_one(const char *path, void *payload)
{
	pops_cache_stats *st = payload;
	const char *base = strrchr(path, '/') + 1;
	struct stat sb;

	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return POPS_OK;
	st->bytes += (unsigned long long)sb.st_size;
	if (strlen(base) == 67 && is_hex(base, 62) && pops_ends_with(base, ".json")) {
		pops_buf data = POPS_BUF_INIT;
		cJSON *root = NULL;

		if (pops_file_read(&data, path, CACHE_ENTRY_MAX) == 0 &&
		    (root = cJSON_ParseWithLength(data.ptr, data.size)) &&
		    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "key")))
			st->entries++;
		else
			st->corrupt++;
		cJSON_Delete(root);
		pops_buf_dispose(&data);
		pops_error_clear();
	} else {
		st->corrupt++;
	}
	return POPS_OK;
}

int pops_cache_stat(pops_cache_stats *out, const char *dir)
{
	memset(out, 0, sizeof(*out));
	return walk(dir, stat_one, out);
}

static int clear_one(const char *path, void *payload)
{
	size_t *n = payload;

	if (unlink(path) < 0 && errno != ENOENT)
		return pops_error_set(POPS_ERROR, "cannot remove '%s': %s", path, strerror(errno));
	(*n)++;
	return POPS_OK;
}

int pops_cache_clear(size_t *removed, const char *dir)
{
	DIR *top;
	struct dirent *a;
	pops_buf sub = POPS_BUF_INIT;
	int error;

	*removed = 0;
	if ((error = walk(dir, clear_one, removed)) < 0)
		return error;
	/* drop the emptied fan-out directories; ignore ones that are not empty */
	if ((top = opendir(dir))) {
		while ((a = readdir(top))) {
			if (strlen(a->d_name) != 2 || !is_hex(a->d_name, 2))
				continue;
			pops_buf_clear(&sub);
			pops_buf_printf(&sub, "%s/%s", dir, a->d_name);
			rmdir(sub.ptr);
		}
		closedir(top);
	}
	pops_buf_dispose(&sub);
	return POPS_OK;
}

/* ---- cassettes ---- */

/*
 * Entries live in an open-addressing hash table keyed by their request
 * key: a cassette can hold a whole 100k-case run, and a cJSON object's
 * linear lookups made loading one quadratic.
 */
struct pops_cassette {
	char *path;
	cJSON **slots;      /* entry objects ({"key",...,"result"}) or NULL */
	size_t cap, n;      /* cap: a power of two, at least twice n */
	int dirty;
};

static const char *entry_key(const cJSON *e)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");

	return cJSON_IsString(k) ? k->valuestring : "";
}

/* FNV-1a: keys are hex digests, but nothing relies on that */
static size_t key_hash(const char *key)
{
	uint64_t h = 1469598103934665603u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211u;
	return (size_t)h;
}

/* the slot holding `key`, or the empty slot where it would go */
static cJSON **cassette_slot(const pops_cassette *c, const char *key)
{
	size_t i = key_hash(key) & (c->cap - 1);

	while (c->slots[i] && strcmp(entry_key(c->slots[i]), key))
		i = (i + 1) & (c->cap - 1);
	return &c->slots[i];
}

static int cassette_grow(pops_cassette *c)
{
	size_t old_cap = c->cap, i;
	cJSON **old = c->slots;

	c->cap = old_cap ? old_cap * 2 : 64;
	if (!(c->slots = calloc(c->cap, sizeof(*c->slots)))) {
		c->slots = old;
		c->cap = old_cap;
		return pops_error_oom();
	}
	for (i = 0; i < old_cap; i++)
		if (old[i])
			*cassette_slot(c, entry_key(old[i])) = old[i];
	free(old);
	return POPS_OK;
}

/* add entry `e` (owned by the cassette from now on), replacing its key's */
static int cassette_insert(pops_cassette *c, cJSON *e)
{
	cJSON **slot;

	if ((c->n + 1) * 2 > c->cap && cassette_grow(c) < 0) {
		cJSON_Delete(e);
		return POPS_ERROR;
	}
	slot = cassette_slot(c, entry_key(e));
	if (*slot)
		cJSON_Delete(*slot);
	else
		c->n++;
	*slot = e;
	return POPS_OK;
}

int pops_cassette_key(char out[65], const pops_provider_request *req)
{
	cJSON *o = cJSON_CreateObject();
	char *s;
	char r[32];
	pops_sha256 h;

	cJSON_AddStringToObject(o, "model", req->model_id ? req->model_id : "");
	cJSON_AddItemToObject(o, "messages", req->messages ? cJSON_Duplicate(req->messages, 1)
	                                                   : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "config", req->config ? cJSON_Duplicate(req->config, 1)
	                                               : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "output_schema", req->output_schema ?
	                      cJSON_Duplicate(req->output_schema, 1) : cJSON_CreateNull());
	/* only when there are some, so the keys of requests without tools stay as they were */
	if (cJSON_GetArraySize(req->tools))
		cJSON_AddItemToObject(o, "tools", cJSON_Duplicate(req->tools, 1));
	if (req->tool_choice)
		cJSON_AddStringToObject(o, "tool_choice", req->tool_choice);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	POPS_CHECK_ALLOC(s);
	pops_sha256_init(&h);
	hash_field(&h, "pops-cassette-v1", 16);
	hash_field(&h, s, strlen(s));
	snprintf(r, sizeof(r), "%u", req->repeat);
	hash_field(&h, r, strlen(r));
	pops_sha256_hex(&h, out);
	free(s);
	return POPS_OK;
}

int pops_cassette_open(pops_cassette **out, const char *path, int must_exist)
{
	pops_cassette *c = calloc(1, sizeof(*c));
	pops_buf data = POPS_BUF_INIT;
	const char *p, *end;
	unsigned line = 0;
	int error = POPS_OK;

	*out = NULL;
	if (!c || !(c->path = pops_strdup(path)) || cassette_grow(c) < 0) {
		error = pops_error_oom();
		goto done;
	}
	error = pops_file_read(&data, path, POPS_CASSETTE_MAX_BYTES);
	if (error == POPS_ENOTFOUND && !must_exist) {
		error = POPS_OK;
		goto done;
	}
	if (error == POPS_ENOTFOUND) {
		error = pops_error_set(POPS_ENOTFOUND, "cassette '%s' does not exist; record it first with --record", path);
		goto done;
	}
	if (error < 0)
		goto done;
	for (p = data.ptr, end = data.ptr + data.size; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		cJSON *o;
		const cJSON *k;

		line++;
		if (n) {
			o = cJSON_ParseWithLength(p, n);
			if (o && cJSON_GetObjectItemCaseSensitive(o, "pops_cassette")) {
				cJSON_Delete(o);
			} else {
				k = cJSON_GetObjectItemCaseSensitive(o, "key");
				if (!cJSON_IsString(k) || strlen(k->valuestring) != 64 ||
				    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "result"))) {
					cJSON_Delete(o);
					error = pops_error_set(POPS_EINVALID, "%s:%u: not a cassette entry (want {\"key\",...,\"result\"})",
					                       path, line);
					goto done;
				}
				/* a later line for the same key wins */
				if ((error = cassette_insert(c, o)) < 0)
					goto done;
			}
		}
		p += n + 1;
	}
done:
	pops_buf_dispose(&data);
	if (error < 0) {
		pops_cassette_free(c);
		return error;
	}
	*out = c;
	return POPS_OK;
}

int pops_cassette_get(pops_provider_result *out, const pops_cassette *c, const char *key)
{
	const cJSON *e = *cassette_slot(c, key);

	if (!e)
		return POPS_ENOTFOUND;
	return result_from_json(out, cJSON_GetObjectItemCaseSensitive(e, "result"));
}

int pops_cassette_put(pops_cassette *c, const char *key, const char *model_id,
                      unsigned repeat, const pops_provider_result *res)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddStringToObject(o, "model", model_id ? model_id : "");
	cJSON_AddNumberToObject(o, "repeat", repeat);
	cJSON_AddItemToObject(o, "result", result_json(res));
	if (cassette_insert(c, o) < 0)
		return POPS_ERROR;
	c->dirty = 1;
	return POPS_OK;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(entry_key(*(cJSON *const *)a), entry_key(*(cJSON *const *)b));
}

int pops_cassette_save(pops_cassette *c)
{
	size_t n = c->n, i, j = 0;
	cJSON **v = calloc(n ? n : 1, sizeof(*v));
	pops_buf out = POPS_BUF_INIT;
	int error;

	POPS_CHECK_ALLOC(v);
	for (i = 0; i < c->cap; i++)
		if (c->slots[i])
			v[j++] = c->slots[i];
	/* sorted by key: a re-recorded cassette diffs cleanly in review */
	qsort(v, n, sizeof(*v), cmp_key);
	pops_buf_puts(&out, "{\"pops_cassette\":1}\n");
	for (i = 0; i < n; i++) {
		char *s = cJSON_PrintUnformatted(v[i]);

		pops_buf_puts(&out, s ? s : "");
		pops_buf_putc(&out, '\n');
		free(s);
	}
	free(v);
	if (pops_buf_oom(&out)) {
		pops_buf_dispose(&out);
		return pops_error_oom();
	}
	error = pops_file_write_atomic(c->path, out.ptr, out.size, 0666);
	pops_buf_dispose(&out);
	if (!error)
		c->dirty = 0;
	return error;
}

size_t pops_cassette_size(const pops_cassette *c)
{
	return c->n;
}

void pops_cassette_free(pops_cassette *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->cap; i++)
		cJSON_Delete(c->slots[i]);
	free(c->slots);
	free(c->path);
	free(c);
}

#include "common.h"
#include "runtime.h"
#include "confine.h"
#include "fileio.h"
#include "rollout.h"
#include "sha1.h"
#include "strutil.h"

#include <cjson/cJSON.h>

/*
 * Reading a bundle (include/pops/runtime.h, pops-export(1)): its
 * manifest.json (schema 2, or 3 with rollouts), every file it lists,
 * checked against its blob id, and every prompt parsed and compiled with
 * the partials the bundle carries, served from memory by the same lookup
 * `pops render DIR/<file>` makes on disk.
 */

/* manifest.json of format json holds every prompt's text */
#define MANIFEST_MAX_BYTES (64u * 1024 * 1024)

/* one partial file's bytes, by its prompts-dir-relative name ("_style.prompt") */
typedef struct rt_part {
	char *file;
	pops_buf data;
} rt_part;

typedef struct rt_parts {
	rt_part *v;
	size_t n;
} rt_parts;

typedef struct loader {
	const char *dir;     /* the bundle directory */
	int inline_text;     /* format json: "content" instead of files */
	const char *env;
	pops_buf path;       /* scratch: a file's path */
} loader;

/* what a partial loader needs: the side's partials and the prompt's directory */
typedef struct part_src {
	const rt_parts *parts;
	const char *pdir;    /* the prompt name's directory ("support"), "" at the top */
} part_src;

static void parts_dispose(rt_parts *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].file);
		pops_buf_dispose(&ps->v[i].data);
	}
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

static const char *str_member(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* a relative name inside the bundle: no empty, "." or ".." part, no control byte */
static int safe_rel(const char *s)
{
	const char *c, *part = s;

	if (!s || !*s || *s == '/')
		return 0;
	for (c = s;; c++) {
		if (*c == '/' || !*c) {
			size_t n = (size_t)(c - part);

			if (!n || (n == 1 && part[0] == '.') || (n == 2 && !strncmp(part, "..", 2)))
				return 0;
			if (!*c)
				return 1;
			part = c + 1;
		} else if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\') {
			return 0;
		}
	}
}

/* POPS_EINVALID "DIR/manifest.json: <what><a><b>; export the bundle again" */
static int bad(const loader *ld, const char *what, const char *a, const char *b)
{
	return pops_error_set(POPS_EINVALID, "%s/manifest.json: %s%s%s; export the bundle again",
	                      ld->dir, what, a ? a : "", b ? b : "");
}

/*
 * The bytes an entry names: its "content" (format json) or the file at
 * its `key` (a name relative to the bundle, read only when it resolves
 * inside it). `shown` receives the path or "manifest.json:<what>" for
 * messages.
 */
static int entry_bytes(loader *ld, const cJSON *obj, const char *key, const char *what,
                       pops_buf *out, pops_buf *shown)
{
	const char *rel, *content;
	int error;

	pops_buf_clear(shown);
	if (ld->inline_text) {
		if (!(content = str_member(obj, "content")))
			return bad(ld, "", what, " has no \"content\" (format json)");
		pops_buf_printf(shown, "%s/manifest.json (%s)", ld->dir, what);
		pops_buf_sets(out, content);
		return pops_buf_oom(out) || pops_buf_oom(shown) ? pops_error_oom() : POPS_OK;
	}
	rel = str_member(obj, key);
	if (!safe_rel(rel))
		return bad(ld, "", what, rel ? ": its file is not a relative name inside the bundle" :
		                         ": no file named");
	pops_buf_clear(&ld->path);
	if (pops_path_join(&ld->path, ld->dir, rel) < 0 || pops_buf_sets(shown, ld->path.ptr) < 0)
		return pops_error_oom();
	error = pops_confine_read(out, ld->path.ptr, ld->dir, ld->path.ptr, ld->dir,
	                          POPS_PROMPT_MAX_BYTES);
	if (error == POPS_ENOTFOUND)
		return pops_error_set(POPS_EINVALID, "%s: missing (the bundle's manifest.json lists "
		                      "it); export the bundle again", ld->path.ptr);
	/* else a symlink out of the bundle or not a regular file (EINVALID), I/O (ERROR) */
	return error;
}

/* the entry's bytes are the blob its manifest entry names, when it names one */
static int verify_blob(loader *ld, const cJSON *obj, const pops_buf *data, const char *shown)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "blob");
	char hex[41];

	if (!b || cJSON_IsNull(b))
		return POPS_OK;
	if (!cJSON_IsString(b) || strlen(b->valuestring) != 40 ||
	    strspn(b->valuestring, "0123456789abcdef") != 40)
		return bad(ld, "", shown, ": its \"blob\" is not a git blob id");
	pops_sha1_git_blob(hex, data->ptr, data->size);
	if (strcmp(hex, b->valuestring))
		return pops_error_set(POPS_EINVALID, "%s: changed since export (its blob is %.12s, "
		                      "manifest.json says %.12s); export the bundle again", shown, hex,
		                      b->valuestring);
	return POPS_OK;
}

/*
 * The partials of one side: `arr` (the manifest's top-level "partials",
 * or a canary's), each by its "file" name, with its bytes at `key`.
 */
static int load_parts(rt_parts *out, loader *ld, const cJSON *arr, const char *key)
{
	const cJSON *o;
	pops_buf shown = POPS_BUF_INIT, derived = POPS_BUF_INIT;
	int error = POPS_OK;

	if (arr && !cJSON_IsArray(arr) && !cJSON_IsNull(arr))
		return bad(ld, "\"partials\" is not a list", NULL, NULL);
	cJSON_ArrayForEach(o, arr) {
		const char *file = str_member(o, "file"), *name = str_member(o, "name");
		rt_part *nv, *p;

		/* format json lists a partial by its name alone: "a/b" is a/_b.prompt */
		if (!file && safe_rel(name)) {
			const char *slash = strrchr(name, '/');

			pops_buf_clear(&derived);
			pops_buf_printf(&derived, "%.*s_%s.prompt", slash ? (int)(slash - name) + 1 : 0,
			                name, slash ? slash + 1 : name);
			if (pops_buf_oom(&derived)) {
				error = pops_error_oom();
				break;
			}
			file = derived.ptr;
		}
		if (!safe_rel(file) || !pops_ends_with(file, ".prompt")) {
			error = bad(ld, "a partial has no valid \"file\" or \"name\"", NULL, NULL);
			break;
		}
		if (!(nv = realloc(out->v, (out->n + 1) * sizeof(*nv)))) {
			error = pops_error_oom();
			break;
		}
		out->v = nv;
		p = &out->v[out->n];
		p->data = (pops_buf)POPS_BUF_INIT;
		if (!(p->file = pops_strdup(file))) {
			error = pops_error_oom();
			break;
		}
		out->n++;
		if ((error = entry_bytes(ld, o, key, file, &p->data, &shown)) < 0 ||
		    (error = verify_blob(ld, o, &p->data, shown.ptr)) < 0)
			break;
	}
	pops_buf_dispose(&derived);
	pops_buf_dispose(&shown);
	return error;
}

static const rt_part *find_part(const rt_parts *ps, const char *file)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i].file, file))
			return &ps->v[i];
	return NULL;
}

/*
 * pops_prompt_dir_loader's lookup over the bundle's partials: partial
 * "a/b" of a prompt in directory D is D/a/_b.prompt, else a/_b.prompt.
 */
static int load_partial(void *payload, const char *name, pops_buf *out)
{
	const part_src *src = payload;
	const char *slash = strrchr(name, '/');
	pops_buf file = POPS_BUF_INIT;
	const rt_part *hit = NULL;
	int pass, error = POPS_ENOTFOUND;

	if (!safe_rel(name))
		return POPS_ENOTFOUND;
	for (pass = *src->pdir ? 0 : 1; pass < 2 && !hit; pass++) {
		pops_buf_clear(&file);
		if (pass == 0)
			pops_buf_printf(&file, "%s/", src->pdir);
		if (slash)
			pops_buf_printf(&file, "%.*s/_%s.prompt", (int)(slash - name), name, slash + 1);
		else
			pops_buf_printf(&file, "_%s.prompt", name);
		if (pops_buf_oom(&file)) {
			pops_buf_dispose(&file);
			return pops_error_oom();
		}
		hit = find_part(src->parts, file.ptr);
	}
	if (hit)
		error = pops_buf_set(out, hit->data.ptr, hit->data.size) < 0 ? pops_error_oom() :
		        POPS_OK;
	pops_buf_dispose(&file);
	return error;
}

/* the model object as JSON text; without one, every field null */
static int model_of(struct pops_variant *v, const cJSON *model)
{
	static const char none[] = "{\"alias\":null,\"provider\":null,\"type\":null,\"id\":null,"
	                           "\"config\":null}";
	const char *id = str_member(model, "id");

	if (cJSON_IsObject(model))
		v->model_json = cJSON_PrintUnformatted(model);
	else
		v->model_json = pops_strdup(none);
	POPS_CHECK_ALLOC(v->model_json);
	if (id && !(v->model_id = pops_strdup(id)))
		return pops_error_oom();
	return POPS_OK;
}

/*
 * The render JSON of `v` but for its messages: the result head with a
 * marker string as "messages" (the last member), printed, cut around the
 * marker.
 */
static int split_head(struct pops_variant *v)
{
	static const char MARK[] = "\"@pops-runtime-messages@\"";
	cJSON *r = NULL;
	char *s = NULL, *m, *at = NULL;
	int error;

	if ((error = pops_prompt_result_head(&r, v->prompt)) < 0)
		return error;
	if (!cJSON_AddStringToObject(r, "messages", "@pops-runtime-messages@") ||
	    !(s = cJSON_Print(r))) {
		error = pops_error_oom();
		goto done;
	}
	for (m = s; (m = strstr(m, MARK)); m++)
		at = m;
	assert(at);
	v->head_len = (size_t)(at - s);
	if (!(v->head = pops_strndup(s, v->head_len)) ||
	    !(v->tail = pops_strdup(at + strlen(MARK))))
		error = pops_error_oom();
done:
	cJSON_free(s);
	cJSON_Delete(r);
	return error;
}

/*
 * One side of prompt `name`: its version, model, and its text (the file
 * at "file" or the "content"), checked and compiled with `parts`.
 */
static int load_side(struct pops_variant *v, loader *ld, const cJSON *obj, const char *name,
                     const rt_parts *parts, int canary)
{
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(obj, "version");
	const char *slash = strrchr(name, '/');
	pops_buf data = POPS_BUF_INIT, shown = POPS_BUF_INIT, fname = POPS_BUF_INIT,
	         pdir = POPS_BUF_INIT;
	part_src src;
	int error;

	v->side = canary ? "canary" : "stable";
	if (!(v->name = pops_strdup(name)))
		return pops_error_oom();
	if (ver && !cJSON_IsNull(ver) && (!cJSON_IsNumber(ver) || ver->valuedouble < 1 ||
	                                  ver->valuedouble > LONG_MAX ||
	                                  ver->valuedouble != (double)(long)ver->valuedouble))
		return bad(ld, "", name, ": \"version\" is not a positive integer");
	v->version = ver && cJSON_IsNumber(ver) ? (long)ver->valuedouble : 0;
	if ((error = model_of(v, cJSON_GetObjectItemCaseSensitive(obj, "model"))) < 0 ||
	    (error = entry_bytes(ld, obj, "file", name, &data, &shown)) < 0 ||
	    (error = verify_blob(ld, obj, &data, shown.ptr)) < 0)
		goto done;
	/* the name `pops render DIR/<file>` gives it: the default "name" comes from it */
	if (ld->inline_text)
		pops_buf_printf(&fname, "%s/%s%s.prompt", ld->dir, canary ? "@canary/" : "", name);
	else
		pops_buf_sets(&fname, shown.ptr);
	pops_buf_put(&pdir, name, slash ? (size_t)(slash - name) : 0);
	if (pops_buf_oom(&fname) || pops_buf_oom(&pdir)) {
		error = pops_error_oom();
		goto done;
	}
	src.parts = parts;
	src.pdir = pdir.ptr;
	po.load_partial = load_partial;
	po.partial_payload = &src;
	po.partial_dir = ld->dir;
	error = pops_prompt_parse(&v->prompt, data.ptr, data.size, fname.ptr, &po);
	if (error == POPS_ENOTFOUND)
		error = POPS_EINVALID;
	if (error == 0)
		error = split_head(v);
done:
	pops_buf_dispose(&pdir);
	pops_buf_dispose(&fname);
	pops_buf_dispose(&shown);
	pops_buf_dispose(&data);
	return error;
}

/* "rollout": {"percent","salt","since","canary":{...}} of prompt `p` */
static int load_rollout(pops_rt_prompt *p, loader *ld, const cJSON *ro)
{
	const cJSON *pct = cJSON_GetObjectItemCaseSensitive(ro, "percent");
	const cJSON *canary = cJSON_GetObjectItemCaseSensitive(ro, "canary");
	const char *salt = str_member(ro, "salt"), *name = p->stable.name;
	rt_parts parts = { NULL, 0 };
	int error;

	if (!cJSON_IsObject(ro) || !cJSON_IsObject(canary))
		return bad(ld, "", name, ": \"rollout\" has no \"canary\" object");
	if (!cJSON_IsNumber(pct) || pct->valuedouble < 0 || pct->valuedouble > 100 ||
	    pct->valuedouble != (double)(unsigned)pct->valuedouble)
		return bad(ld, "", name, ": the rollout's \"percent\" is not an integer 0..100");
	if (!pops_rollout_salt_ok(salt))
		return bad(ld, "", name, ": the rollout's \"salt\" is not 16 hex digits");
	p->percent = (unsigned)pct->valuedouble;
	memcpy(p->salt, salt, 17);
	if (!(p->canary = calloc(1, sizeof(*p->canary))))
		return pops_error_oom();
	p->canary->bundle = p->stable.bundle;
	if ((error = load_parts(&parts, ld, cJSON_GetObjectItemCaseSensitive(canary, "partials"),
	                        "path")) == 0)
		error = load_side(p->canary, ld, canary, name, &parts, 1);
	parts_dispose(&parts);
	return error;
}

/* "NAME@N:ENV", "NAME@N:ENV~canary", "NAME:ENV~stable", ... */
static int served_of(struct pops_variant *v, const char *env, int rollout)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_puts(&b, v->name);
	if (v->version > 0)
		pops_buf_printf(&b, "@%ld", v->version);
	pops_buf_printf(&b, ":%s", env);
	if (rollout)
		pops_buf_printf(&b, "~%s", v->side);
	if (pops_buf_oom(&b))
		return pops_error_oom();
	v->served = pops_buf_detach(&b);
	return POPS_OK;
}

static int load_prompt(pops_rt_prompt *p, loader *ld, const cJSON *o, const rt_parts *parts)
{
	const char *name = str_member(o, "name");
	const cJSON *ro = cJSON_GetObjectItemCaseSensitive(o, "rollout");
	int error;

	if (!safe_rel(name))
		return bad(ld, "a prompt has no valid \"name\"", NULL, NULL);
	if ((error = load_side(&p->stable, ld, o, name, parts, 0)) < 0)
		return error;
	if (ro && !cJSON_IsNull(ro) && (error = load_rollout(p, ld, ro)) < 0)
		return error;
	if ((error = served_of(&p->stable, ld->env, p->canary != NULL)) < 0 ||
	    (p->canary && (error = served_of(p->canary, ld->env, 1)) < 0))
		return error;
	return POPS_OK;
}

static void side_dispose(struct pops_variant *v)
{
	free(v->name);
	free(v->model_id);
	cJSON_free(v->model_json);
	free(v->served);
	free(v->head);
	free(v->tail);
	pops_prompt_free(v->prompt);
}

static void bundle_free(pops_rt_bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		side_dispose(&b->v[i].stable);
		if (b->v[i].canary) {
			side_dispose(b->v[i].canary);
			free(b->v[i].canary);
		}
	}
	free(b->v);
	free(b->env);
	free(b);
}

void pops_rt_bundle_ref(pops_rt_bundle *b)
{
	if (b)
		atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
}

void pops_rt_bundle_unref(pops_rt_bundle *b)
{
	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		bundle_free(b);
}

static int cmp_prompt(const void *a, const void *b)
{
	return strcmp(((const pops_rt_prompt *)a)->stable.name,
	              ((const pops_rt_prompt *)b)->stable.name);
}

const pops_rt_prompt *pops_rt_bundle_find(const pops_rt_bundle *b, const char *name)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, b->v[mid].stable.name);

		if (!c)
			return &b->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* manifest.json, parsed; POPS_ENOTFOUND when there is none */
static int read_manifest(cJSON **out, loader *ld)
{
	pops_buf data = POPS_BUF_INIT;
	int error;

	*out = NULL;
	if (pops_path_join(&ld->path, ld->dir, "manifest.json") < 0)
		return pops_error_oom();
	if ((error = pops_file_read(&data, ld->path.ptr, MANIFEST_MAX_BYTES)) < 0) {
		if (error == POPS_ENOTFOUND)
			error = pops_error_set(POPS_ENOTFOUND, "%s: no manifest.json there: not a pops "
			                       "export bundle (pops export --env ENV %s makes one)",
			                       ld->dir, ld->dir);
		goto done;
	}
	if (!(*out = pops_rt_json_parse(data.ptr, data.size, NULL)) || !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		error = pops_error_set(POPS_EINVALID, "%s: not a JSON object; export the bundle again",
		                       ld->path.ptr);
	}
done:
	pops_buf_dispose(&data);
	return error;
}

/* the manifest's header: generator, schema_version 2 or 3, a format we serve, env */
static int check_manifest(loader *ld, const cJSON *doc)
{
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
	const char *format = str_member(doc, "format"), *gen = str_member(doc, "generator");
	char num[32];

	if (!gen || strcmp(gen, "pops"))
		return bad(ld, "not written by pops export (no \"generator\":\"pops\")", NULL, NULL);
	if (!cJSON_IsNumber(sv) || (sv->valuedouble != 2 && sv->valuedouble != 3)) {
		snprintf(num, sizeof(num), "%g", cJSON_IsNumber(sv) ? sv->valuedouble : 0.0);
		return pops_error_set(POPS_EINVALID, "%s/manifest.json: schema_version %s is not one "
		                      "this libpops (%s) reads (2, 3); upgrade libpops or export with "
		                      "a matching pops", ld->dir, cJSON_IsNumber(sv) ? num : "(missing)",
		                      pops_runtime_version());
	}
	if (format && !strcmp(format, "prompt-yml"))
		return pops_error_set(POPS_EINVALID, "%s: exported with --format prompt-yml, which "
		                      "the runtime does not serve (partials are inlined, no .prompt "
		                      "files); export with --format files or json", ld->dir);
	if (!format || (strcmp(format, "files") && strcmp(format, "json")))
		return bad(ld, "unknown \"format\"", NULL, NULL);
	ld->inline_text = !strcmp(format, "json");
	if (!(ld->env = str_member(doc, "env")) || !*ld->env)
		return bad(ld, "no \"env\"", NULL, NULL);
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "prompts")))
		return bad(ld, "no \"prompts\" list", NULL, NULL);
	return POPS_OK;
}

static int load_prompts(pops_rt_bundle *b, loader *ld, const cJSON *doc, const rt_parts *parts)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "prompts"), *o;
	size_t i, n = (size_t)cJSON_GetArraySize(arr);
	int error;

	if (!(b->v = calloc(n ? n : 1, sizeof(*b->v))))
		return pops_error_oom();
	cJSON_ArrayForEach(o, arr) {
		pops_rt_prompt *p = &b->v[b->n++];

		p->stable.bundle = b;
		if ((error = load_prompt(p, ld, o, parts)) < 0)
			return error;
	}
	qsort(b->v, b->n, sizeof(*b->v), cmp_prompt);
	for (i = 1; i < b->n; i++)
		if (!strcmp(b->v[i - 1].stable.name, b->v[i].stable.name))
			return bad(ld, "prompt ", b->v[i].stable.name, " is listed twice");
	return POPS_OK;
}

int pops_rt_bundle_load(pops_rt_bundle **out, const char *dir)
{
	loader ld = { dir, 0, NULL, POPS_BUF_INIT };
	rt_parts parts = { NULL, 0 };
	pops_rt_bundle *b = NULL;
	cJSON *doc = NULL;
	int error;

	*out = NULL;
	if ((error = read_manifest(&doc, &ld)) < 0 || (error = check_manifest(&ld, doc)) < 0)
		goto done;
	if (!(b = calloc(1, sizeof(*b))) || !(b->env = pops_strdup(ld.env))) {
		error = pops_error_oom();
		goto done;
	}
	atomic_init(&b->refs, 1);
	if ((error = load_parts(&parts, &ld, cJSON_GetObjectItemCaseSensitive(doc, "partials"),
	                        "file")) < 0 ||
	    (error = load_prompts(b, &ld, doc, &parts)) < 0)
		goto done;
	*out = b;
	b = NULL;
done:
	if (b)
		bundle_free(b);
	parts_dispose(&parts);
	cJSON_Delete(doc);
	pops_buf_dispose(&ld.path);
	return error;
}

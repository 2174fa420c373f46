/*
 * The evidence fingerprint: one computation for the eval runner (what a
 * run records) and the promotion gate (what a release needs), so both
 * always agree on which evidence is about the exact same thing.
 */
#include "common.h"
#include <sys/stat.h>
#include <git2.h>
#include "fingerprint.h"
#include "closure.h"
#include "eval_prompt.h"
#include "eval_run_int.h"
#include "fileio.h"
#include "jsonget.h"
#include "judge.h"
#include "pairwise.h"
#include "sha256.h"
#include "strutil.h"

const char *const pops_fingerprint_keys[] = {
	"prompt", "prompt_blob", "partial_blobs", "provider_type", "model", "model_config",
	"suite", "suite_blob", "dataset", "dataset_blob", "judge_model", "judge_config",
	"judge_prompt_blob", "exec_blobs", "pairwise_baseline_blob", "scoring_version", NULL
};

int pops_fingerprint_hash(char hex[65], const cJSON *fields)
{
	char *text = pops_json_canonical(fields);
	pops_sha256 h;

	POPS_CHECK_ALLOC(text);
	pops_sha256_init(&h);
	pops_sha256_update(&h, text, strlen(text));
	pops_sha256_hex(&h, hex);
	cJSON_free(text);
	return POPS_OK;
}

/* ---- the scan: judges and exec programs of every assertion ---- */

struct scan {
	const pops_fingerprint_input *in;
	const char *root;
	char *real_root;
	cJSON *judges;        /* canonical text of {model, config, prompt_blob} -> that object */
	cJSON *prompts;       /* judge prompt key -> {"blob","config"} */
	cJSON *exec;          /* project path -> blob */
	cJSON *words_seen;    /* exec words already looked at */
	int has_pairwise;
};

int pops_fingerprint_model(const char **type_out, const char **id_out, cJSON **config_out,
                           const pops_config *cfg, const char *alias,
                           const cJSON *prompt_config)
{
	const pops_provider_cfg *prov;
	int error;

	if ((error = pops_eval__model(cfg, alias, &prov, id_out)) < 0)
		return error;
	*type_out = prov->type;
	/* the release closure's rule, so evidence and releases agree on the config */
	return config_out ? pops_closure_model_config(config_out, cfg, alias, prompt_config) : POPS_OK;
}

static int blob_hex(char hex[GIT_OID_HEXSZ + 1], const char *data, size_t len)
{
	git_oid oid;

	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0)
		return pops_error_set(POPS_ERROR, "cannot hash a blob");
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &oid);
	return POPS_OK;
}

/* the judge prompt of `a` (a file, or the built-in one): {"blob","config"}, borrowed */
static int judge_prompt(const cJSON **out, struct scan *sc, const pops_assert *a)
{
	int pairwise = a->type == POPS_ASSERT_PAIRWISE;
	pops_buf key = POPS_BUF_INIT, path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	pops_eval_prompt *p = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	cJSON *entry = NULL;
	int error;

	/* file keys start with "file:", built-in ones with a newline: they never meet */
	if (a->prompt)
		pops_buf_printf(&key, "file:%s", a->prompt);
	else
		pops_buf_puts(&key, pairwise ? "\nbuilt-in pairwise" : a->preset ? "\nbuilt-in context" :
		              "\nbuilt-in judge");
	/* a RAG preset's rubric ships with pops: it is part of the blob (and so of the key) */
	if (a->preset)
		pops_buf_printf(&key, "\nrubric:%s", a->rubric);
	if ((*out = cJSON_GetObjectItemCaseSensitive(sc->prompts, key.ptr))) {
		error = POPS_OK;
		goto done;
	}
	if (!a->prompt) {
		const char *t = pairwise ? pops_pairwise_default_prompt() :
		                a->preset ? pops_judge_context_prompt() : pops_judge_default_prompt();

		pops_buf_puts(&data, t);
	} else {
		if (a->prompt[0] != '/')
			pops_path_join(&path, sc->root, a->prompt);
		else
			pops_buf_puts(&path, a->prompt);
		error = pops_file_read(&data, path.ptr, POPS_PROMPT_MAX_BYTES);
		if (error == POPS_ENOTFOUND)
			error = pops_error_set(POPS_ENOTFOUND, "%s:%u: judge prompt '%s' not found",
			                       a->file, a->line, a->prompt);
		if (error < 0)
			goto done;
	}
	if ((error = pops_eval_prompt_parse(&p, data.ptr, data.size,
	                                    a->prompt ? a->prompt : pairwise ? "pops-pairwise" :
	                                    a->preset ? "pops-context-judge" : "pops-judge")) < 0)
		goto done;
	if (a->preset)
		pops_buf_printf(&data, "\n%s", a->rubric);
	if (pops_buf_oom(&data) || (error = blob_hex(hex, data.ptr, data.size)) < 0) {
		error = error < 0 ? error : pops_error_oom();
		goto done;
	}
	if (!(entry = cJSON_CreateObject()) || !cJSON_AddStringToObject(entry, "blob", hex) ||
	    !cJSON_AddItemToObject(entry, "config", pops_eval_prompt_config(p) ?
	                           cJSON_Duplicate(pops_eval_prompt_config(p), 1) : cJSON_CreateObject()) ||
	    !cJSON_AddItemToObject(sc->prompts, key.ptr, entry)) {
		cJSON_Delete(entry);
		error = pops_error_oom();
		goto done;
	}
	*out = entry;
	error = POPS_OK;
done:
	pops_eval_prompt_free(p);
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
	pops_buf_dispose(&key);
	return error;
}

/* the judge of `a` through `alias`: {"model","config","prompt_blob"}, a new object */
static int judge_entry(cJSON **out, struct scan *sc, const pops_assert *a, const char *alias)
{
	const pops_provider_cfg *prov;
	const cJSON *jp;
	const char *id;
	cJSON *j = NULL, *cfg = NULL;
	int error;

	*out = NULL;
	if ((error = pops_eval__model(sc->in->cfg, alias, &prov, &id)) < 0)
		return pops_error_prefix(error, "%s:%u: ", a->file, a->line);
	if ((error = judge_prompt(&jp, sc, a)) < 0)
		return error;
	if ((error = pops_closure_model_config(&cfg, sc->in->cfg, alias,
	                                       cJSON_GetObjectItemCaseSensitive(jp, "config"))) < 0)
		return error;
	if (!(j = cJSON_CreateObject()) || !cJSON_AddStringToObject(j, "model", id) ||
	    !cJSON_AddItemToObject(j, "config", cfg)) {
		cJSON_Delete(cfg);
		cJSON_Delete(j);
		return pops_error_oom();
	}
	if (!cJSON_AddStringToObject(j, "prompt_blob", pops_json_str(jp, "blob", ""))) {
		cJSON_Delete(j);
		return pops_error_oom();
	}
	*out = j;
	return POPS_OK;
}

int pops_fingerprint_judge(cJSON **out, const pops_config *cfg, const char *root,
                           const pops_assert *a, const char *alias)
{
	pops_fingerprint_input in = POPS_FINGERPRINT_INPUT_INIT;
	struct scan sc;
	int error;

	memset(&sc, 0, sizeof(sc));
	in.cfg = cfg;
	in.root = root;
	sc.in = &in;
	sc.root = root ? root : ".";
	if (!(sc.prompts = cJSON_CreateObject()))
		return pops_error_oom();
	error = judge_entry(out, &sc, a, alias ? alias : a->model);
	cJSON_Delete(sc.prompts);
	return error;
}

static int add_judge_model(struct scan *sc, const pops_assert *a, const char *alias)
{
	cJSON *j = NULL;
	char *text = NULL;
	int error;

	if (a->type == POPS_ASSERT_PAIRWISE)
		sc->has_pairwise = 1;
	if ((error = judge_entry(&j, sc, a, alias)) < 0)
		return error;
	if (!(text = pops_json_canonical(j)))
		goto oom;
	if (!cJSON_GetObjectItemCaseSensitive(sc->judges, text)) {
		if (!cJSON_AddItemToObject(sc->judges, text, j))
			goto oom;
		j = NULL;
	}
	cJSON_Delete(j);
	cJSON_free(text);
	return POPS_OK;
oom:
	cJSON_Delete(j);
	cJSON_free(text);
	return pops_error_oom();
}

/* every judge of `a`: its model, or each of a jury's */
static int add_judge(struct scan *sc, const pops_assert *a)
{
	size_t i;
	int error;

	if (!a->nmodels)
		return add_judge_model(sc, a, a->model);
	for (i = 0; i < a->nmodels; i++)
		if ((error = add_judge_model(sc, a, a->models[i])) < 0)
			return error;
	return POPS_OK;
}

/*
 * One word of an exec command. A later word that names a regular file
 * inside the project (`python3 checks/x.py`) is recorded; so is the
 * program itself when it is given as a path (`checks/x.sh`), and then
 * it must exist: a program that is not there cannot score anything.
 * Relative words are read from the project root.
 */
static int exec_word(struct scan *sc, const pops_assert *a, const char *word, int first)
{
	pops_buf path = POPS_BUF_INIT;
	char *real = NULL, hex[GIT_OID_HEXSZ + 1];
	size_t n = strlen(sc->real_root);
	struct stat st;
	git_oid oid;
	int error = POPS_OK;

	if (!*word || (first && !strchr(word, '/')) ||
	    cJSON_GetObjectItemCaseSensitive(sc->words_seen, word))
		return POPS_OK;
	POPS_CHECK_ALLOC(cJSON_AddTrueToObject(sc->words_seen, word));
	if (word[0] == '/')
		pops_buf_puts(&path, word);
	else
		pops_path_join(&path, sc->root, word);
	if (!(real = realpath(path.ptr, NULL)) || stat(real, &st) < 0) {
		if (first)
			error = pops_error_set(POPS_ENOTFOUND, "%s:%u: exec program '%s' not found",
			                       a->file, a->line, word);
		goto done;
	}
	if (!S_ISREG(st.st_mode) || strncmp(real, sc->real_root, n) || real[n] != '/' ||
	    cJSON_GetObjectItemCaseSensitive(sc->exec, real + n + 1))
		goto done;
	if (git_odb_hashfile(&oid, real, GIT_OBJECT_BLOB) < 0) {
		error = pops_error_set(POPS_ERROR, "%s:%u: cannot read '%s'", a->file, a->line, word);
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &oid);
	if (!cJSON_AddStringToObject(sc->exec, real + n + 1, hex))
		error = pops_error_oom();
done:
	free(real);
	pops_buf_dispose(&path);
	return error;
}

/*
 * similar / not-similar: the embeddings model scores the case, so it is
 * recorded beside the judges, as {"model": "embeddings:<id>", "config":
 * {}, "prompt_blob": ""} (a suite without one keeps its fingerprint)
 */
static int add_embeddings(struct scan *sc, const pops_assert *a)
{
	const char *alias = a->model ? a->model : sc->in->cfg->embeddings;
	const pops_provider_cfg *prov;
	const char *id;
	pops_buf m = POPS_BUF_INIT;
	cJSON *j = NULL;
	char *text = NULL;
	int error = POPS_OK;

	if (!alias)   /* the runner refuses it, naming the assertion */
		return POPS_OK;
	if ((error = pops_eval__model(sc->in->cfg, alias, &prov, &id)) < 0)
		return pops_error_prefix(error, "%s:%u: ", a->file, a->line);
	pops_buf_printf(&m, "embeddings:%s", id);
	if (pops_buf_oom(&m) || !(j = cJSON_CreateObject()) ||
	    !cJSON_AddStringToObject(j, "model", m.ptr) || !cJSON_AddObjectToObject(j, "config") ||
	    !cJSON_AddStringToObject(j, "prompt_blob", "") || !(text = pops_json_canonical(j)))
		error = pops_error_oom();
	else if (!cJSON_GetObjectItemCaseSensitive(sc->judges, text)) {
		if (!cJSON_AddItemToObject(sc->judges, text, j))
			error = pops_error_oom();
		else
			j = NULL;
	}
	cJSON_Delete(j);
	cJSON_free(text);
	pops_buf_dispose(&m);
	return error;
}

static int scan_assert(struct scan *sc, const pops_assert *a)
{
	size_t i;
	int error = POPS_OK;

	if (pops_assert_needs_model(a))
		return add_judge(sc, a);
	if (pops_assert_needs_embeddings(a))
		return add_embeddings(sc, a);
	if (a->type != POPS_ASSERT_EXEC || !a->argv)
		return POPS_OK;
	for (i = 0; a->argv[i] && !error; i++)
		error = exec_word(sc, a, a->argv[i], i == 0);
	return error;
}

/* a row's own assertions: only judges and exec commands reach outside the row */
static int scan_case(struct scan *sc, const pops_case *c)
{
	const cJSON *it;
	int error = POPS_OK;

	cJSON_ArrayForEach(it, c->asserts) {
		const char *t = pops_json_str(it, "type", NULL);
		pops_assert *a = NULL;

		if (!t || (strcmp(t, "judge") && strcmp(t, "pairwise") && strcmp(t, "exec") &&
		           strcmp(t, "similar") && strcmp(t, "not-similar")))
			continue;
		if ((error = pops_assert_compile(&a, it, c->file ? c->file : "-", c->line)) == 0)
			error = scan_assert(sc, a);
		pops_assert_free(a);
		if (error < 0)
			break;
	}
	return error;
}

static int scan_rows(struct scan *sc, const char *dataset_path)
{
	const pops_suite *s = sc->in->suite;
	pops_dataset *ds = NULL;
	pops_case c = POPS_CASE_INIT;
	const cJSON *row;
	size_t i;
	int error = POPS_OK, got;

	for (i = 0; i < s->nasserts && !error; i++)
		error = scan_assert(sc, s->asserts[i]);
	cJSON_ArrayForEach(row, s->tests) {
		if (error < 0)
			break;
		if ((error = pops_case_from_json(&c, row, s->path, pops_suite_line(s, row))) == 0)
			error = scan_case(sc, &c);
		pops_case_dispose(&c);
	}
	if (error < 0 || !dataset_path)
		goto done;
	if ((error = pops_dataset_open(&ds, dataset_path, sc->in->dataset)) < 0)
		goto done;
	while ((got = pops_dataset_next(ds, &c)) == 1)
		if ((error = scan_case(sc, &c)) < 0)
			goto done;
	error = got < 0 ? got : POPS_OK;
done:
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	return error;
}

/* one judge: its values; none: nulls; several: arrays in canonical order */
static int add_judge_fields(cJSON *f, const cJSON *judges)
{
	static const char *const from[] = { "model", "config", "prompt_blob" };
	static const char *const to[] = { "judge_model", "judge_config", "judge_prompt_blob" };
	int n = cJSON_GetArraySize(judges);
	size_t k;

	for (k = 0; k < 3; k++) {
		cJSON *v;

		if (n == 0) {
			v = cJSON_CreateNull();
		} else if (n == 1) {
			v = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(judges->child, from[k]), 1);
		} else {
			/* judges is keyed by each judge's canonical text: sorted keys, a stable order */
			cJSON *sorted = pops_json_sorted_copy(judges);
			const cJSON *it;

			if ((v = sorted ? cJSON_CreateArray() : NULL))
				cJSON_ArrayForEach(it, sorted)
					cJSON_AddItemToArray(v, cJSON_Duplicate(
					    cJSON_GetObjectItemCaseSensitive(it, from[k]), 1));
			cJSON_Delete(sorted);
		}
		if (!v || !cJSON_AddItemToObject(f, to[k], v)) {
			cJSON_Delete(v);
			return pops_error_oom();
		}
	}
	return POPS_OK;
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static int add(cJSON *f, const char *key, cJSON *v)
{
	if (!v || !cJSON_AddItemToObject(f, key, v)) {
		cJSON_Delete(v);
		return pops_error_oom();
	}
	return POPS_OK;
}

void pops_fingerprint_dispose(pops_fingerprint *fp)
{
	if (!fp)
		return;
	cJSON_Delete(fp->fields);
	fp->fields = NULL;
	fp->hex[0] = '\0';
	fp->has_pairwise = 0;
}

int pops_fingerprint_compute(pops_fingerprint *out, const pops_fingerprint_input *in)
{
	const pops_suite *s = in->suite;
	struct scan sc;
	pops_buf dpath = POPS_BUF_INIT;
	cJSON *f = NULL;
	git_oid oid;
	char dhex[GIT_OID_HEXSZ + 1];
	int error;

	pops_fingerprint_dispose(out);
	memset(&sc, 0, sizeof(sc));
	sc.in = in;
	sc.root = in->root ? in->root : ".";
	if (!(sc.real_root = realpath(sc.root, NULL)))
		return pops_error_os(sc.root);
	if (!(sc.judges = cJSON_CreateObject()) || !(sc.prompts = cJSON_CreateObject()) ||
	    !(sc.exec = cJSON_CreateObject()) || !(sc.words_seen = cJSON_CreateObject()) ||
	    !(f = cJSON_CreateObject())) {
		error = pops_error_oom();
		goto done;
	}
	if (in->dataset) {
		if (in->dataset[0] != '/')
			pops_path_join(&dpath, sc.root, in->dataset);
		else
			pops_buf_puts(&dpath, in->dataset);
		if (!pops_path_exists(dpath.ptr) || pops_path_isdir(dpath.ptr)) {
			error = pops_error_set(POPS_ENOTFOUND, "%s: dataset '%s' not found", s->path,
			                       in->dataset);
			goto done;
		}
		if (git_odb_hashfile(&oid, dpath.ptr, GIT_OBJECT_BLOB) < 0) {
			error = pops_error_set(POPS_ERROR, "%s: cannot read dataset '%s'", s->path,
			                       in->dataset);
			goto done;
		}
		git_oid_tostr(dhex, sizeof(dhex), &oid);
	}
	if ((error = scan_rows(&sc, in->dataset ? dpath.ptr : NULL)) < 0)
		goto done;
	if ((error = add(f, "prompt", str_or_null(in->prompt))) < 0 ||
	    (error = add(f, "prompt_blob", str_or_null(in->prompt_blob))) < 0 ||
	    (error = add(f, "partial_blobs", in->partials ? cJSON_Duplicate(in->partials, 1) :
	                                     cJSON_CreateObject())) < 0 ||
	    (error = add(f, "provider_type", str_or_null(in->provider_type))) < 0 ||
	    (error = add(f, "model", str_or_null(in->model_id))) < 0 ||
	    (error = add(f, "model_config", in->model_config ? cJSON_Duplicate(in->model_config, 1) :
	                                    cJSON_CreateObject())) < 0 ||
	    (error = add(f, "suite", str_or_null(s->path))) < 0 ||
	    (error = add(f, "suite_blob", cJSON_CreateString(s->blob))) < 0 ||
	    (error = add(f, "dataset", str_or_null(in->dataset))) < 0 ||
	    (error = add(f, "dataset_blob", str_or_null(in->dataset ? dhex : NULL))) < 0 ||
	    (error = add_judge_fields(f, sc.judges)) < 0 ||
	    (error = add(f, "exec_blobs", pops_json_sorted_copy(sc.exec))) < 0 ||
	    (error = add(f, "pairwise_baseline_blob", str_or_null(in->pairwise_baseline_blob))) < 0 ||
	    (error = add(f, "scoring_version", cJSON_CreateNumber(POPS_SCORING_VERSION))) < 0 ||
	    (in->tools && (error = add(f, "tools", pops_json_sorted_copy(in->tools))) < 0) ||
	    (error = pops_fingerprint_hash(out->hex, f)) < 0)
		goto done;
	out->fields = f;
	out->has_pairwise = sc.has_pairwise;
	f = NULL;
done:
	cJSON_Delete(f);
	cJSON_Delete(sc.words_seen);
	cJSON_Delete(sc.exec);
	cJSON_Delete(sc.prompts);
	cJSON_Delete(sc.judges);
	free(sc.real_root);
	pops_buf_dispose(&dpath);
	return error;
}

/* ---- what changed ---- */

static void part(pops_buf *out, size_t start, const char *fmt, ...) POPS_PRINTF(3, 4);

static void part(pops_buf *out, size_t start, const char *fmt, ...)
{
	va_list ap;

	if (out->size > start)
		pops_buf_puts(out, ", ");
	va_start(ap, fmt);
	pops_buf_vprintf(out, fmt, ap);
	va_end(ap);
}

static const char *text_of(const cJSON *v)
{
	return cJSON_IsString(v) ? v->valuestring : "none";
}

/* "team/style" -> "team/_style": how partial files are named */
static void partial_label(pops_buf *out, const char *name)
{
	const char *slash = strrchr(name, '/');

	if (slash)
		pops_buf_printf(out, "%.*s/_%s", (int)(slash - name), name, slash + 1);
	else
		pops_buf_printf(out, "_%s", name);
}

/* per member of two {name: value} objects: changed, added, no longer used */
static void members_diff(pops_buf *out, size_t start, const cJSON *old, const cJSON *want,
                         const char *what, int partials)
{
	const cJSON *it;
	pops_buf label = POPS_BUF_INIT;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach(it, (pass ? old : want)) {
			const cJSON *other = cJSON_GetObjectItemCaseSensitive(pass ? want : old, it->string);
			const char *how;

			if (pass && other)
				continue;   /* both sides: seen in the first pass */
			if (other && cJSON_Compare(it, other, 1))
				continue;
			how = !other ? (pass ? "no longer used" : "added") : "changed";
			pops_buf_clear(&label);
			if (partials)
				partial_label(&label, it->string);
			else
				pops_buf_puts(&label, it->string);
			part(out, start, "%s %s %s", what, label.ptr, how);
		}
	}
	pops_buf_dispose(&label);
}

/* "model config changed (max_tokens, temperature)": the keys whose values differ */
static void config_diff(pops_buf *out, size_t start, const char *what, const cJSON *old,
                        const cJSON *want)
{
	pops_buf keys = POPS_BUF_INIT;
	cJSON *names = cJSON_CreateObject(), *sorted = NULL;
	const cJSON *it;
	int pass;

	for (pass = 0; pass < 2 && names; pass++)
		cJSON_ArrayForEach(it, (pass ? want : old)) {
			const cJSON *other = cJSON_GetObjectItemCaseSensitive(pass ? old : want, it->string);

			if ((!other || !cJSON_Compare(it, other, 1)) &&
			    !cJSON_GetObjectItemCaseSensitive(names, it->string))
				cJSON_AddTrueToObject(names, it->string);
		}
	sorted = names ? pops_json_sorted_copy(names) : NULL;
	cJSON_ArrayForEach(it, sorted) {
		if (keys.size)
			pops_buf_puts(&keys, ", ");
		pops_buf_puts(&keys, it->string);
	}
	if (keys.size)
		part(out, start, "%s changed (%s)", what, keys.ptr);
	cJSON_Delete(sorted);
	cJSON_Delete(names);
	pops_buf_dispose(&keys);
}

static int same(const cJSON *a, const cJSON *b)
{
	if ((!a || cJSON_IsNull(a)) && (!b || cJSON_IsNull(b)))
		return 1;
	return a && b && cJSON_Compare(a, b, 1);
}

int pops_fingerprint_matches(const cJSON *r, const pops_fingerprint *want,
                             const char *const *keys)
{
	size_t i;

	if (!keys) {
		const cJSON *fp = cJSON_GetObjectItemCaseSensitive(r, "fingerprint");

		return cJSON_IsString(fp) && !strcmp(fp->valuestring, want->hex);
	}
	for (i = 0; keys[i]; i++)
		if (!same(cJSON_GetObjectItemCaseSensitive(r, keys[i]),
		          cJSON_GetObjectItemCaseSensitive(want->fields, keys[i])))
			return 0;
	return 1;
}

int pops_fingerprint_describe(pops_buf *out, const cJSON *old, const cJSON *want,
                              const char *const *keys)
{
	const cJSON *ov = cJSON_GetObjectItemCaseSensitive(old, "scoring_version");
	const cJSON *wv = cJSON_GetObjectItemCaseSensitive(want, "scoring_version");
	size_t start = out->size, i;

	if (!same(ov, wv)) {
		if (cJSON_IsNumber(ov))
			part(out, start, "it was scored by another pops (scoring_version %d, now %d)",
			     ov->valueint, cJSON_IsNumber(wv) ? wv->valueint : 0);
		else
			part(out, start, "it was recorded by an older pops, without a full fingerprint");
		return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
	}
	for (i = 0; (keys ? keys : pops_fingerprint_keys)[i]; i++) {
		const char *k = (keys ? keys : pops_fingerprint_keys)[i];
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(old, k);
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, k);

		if (same(o, w) || !strcmp(k, "prompt") || !strcmp(k, "scoring_version"))
			continue;
		if (!strcmp(k, "prompt_blob"))
			part(out, start, "the prompt changed");
		else if (!strcmp(k, "partial_blobs"))
			members_diff(out, start, o, w, "partial", 1);
		else if (!strcmp(k, "provider_type"))
			part(out, start, "provider type %s -> %s", text_of(o), text_of(w));
		else if (!strcmp(k, "model"))
			part(out, start, "model %s -> %s", text_of(o), text_of(w));
		else if (!strcmp(k, "model_config"))
			config_diff(out, start, "model config", o, w);
		else if (!strcmp(k, "suite"))
			part(out, start, "suite %s -> %s", text_of(o), text_of(w));
		else if (!strcmp(k, "suite_blob"))
			part(out, start, "the suite %s changed",
			     text_of(cJSON_GetObjectItemCaseSensitive(want, "suite")));
		else if (!strcmp(k, "dataset"))
			part(out, start, "dataset %s -> %s", text_of(o), text_of(w));
		else if (!strcmp(k, "dataset_blob")) {
			if (same(cJSON_GetObjectItemCaseSensitive(old, "dataset"),
			         cJSON_GetObjectItemCaseSensitive(want, "dataset")))
				part(out, start, "the dataset %s changed",
				     text_of(cJSON_GetObjectItemCaseSensitive(want, "dataset")));
		} else if (!strcmp(k, "judge_model")) {
			if (cJSON_IsString(o) && cJSON_IsString(w))
				part(out, start, "judge model %s -> %s", o->valuestring, w->valuestring);
			else
				part(out, start, "the judges changed");
		} else if (!strcmp(k, "judge_config")) {
			if (cJSON_IsObject(o) && cJSON_IsObject(w))
				config_diff(out, start, "judge config", o, w);
			else
				part(out, start, "judge config changed");
		} else if (!strcmp(k, "judge_prompt_blob"))
			part(out, start, "judge prompt changed");
		else if (!strcmp(k, "exec_blobs"))
			members_diff(out, start, o, w, "exec script", 0);
		else if (!strcmp(k, "pairwise_baseline_blob"))
			part(out, start, "the pairwise baseline changed");
		else
			part(out, start, "%s changed", k);
	}
	/* present only for prompts with tools, so not among the keys every record has */
	if (!keys && !same(cJSON_GetObjectItemCaseSensitive(old, "tools"),
	                   cJSON_GetObjectItemCaseSensitive(want, "tools")))
		part(out, start, "the tools (definitions or toolChoice) changed");
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

#include "common.h"
#include "import_int.h"
#include "fileio.h"
#include "strutil.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <sys/stat.h>

/* Importers: the parts every importer shares, and `pops import dotprompt`. */

pops_import *pops_import__new(void)
{
	pops_import *imp = calloc(1, sizeof(*imp));

	if (imp && (!(imp->providers = cJSON_CreateArray()) || !(imp->models = cJSON_CreateArray()) ||
	            !(imp->environments = cJSON_CreateArray()))) {
		pops_import_free(imp);
		return NULL;
	}
	return imp;
}

pops_buf *pops_import__add_file(pops_import *imp, const char *path)
{
	pops_import_file *f = realloc(imp->files, (imp->nfiles + 1) * sizeof(*f));

	if (!f)
		return NULL;
	imp->files = f;
	f = &imp->files[imp->nfiles];
	if (!(f->path = pops_strdup(path)))
		return NULL;
	POPS_IMPORT_BUF_RESET(&f->data);
	imp->nfiles++;
	return &f->data;
}

int pops_import__note(pops_import *imp, const char *fmt, ...)
{
	pops_buf line = POPS_BUF_INIT;
	char **v;
	va_list ap;

	va_start(ap, fmt);
	pops_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	if (pops_buf_oom(&line) ||
	    !(v = realloc(imp->unmapped, (imp->nunmapped + 1) * sizeof(*v)))) {
		pops_buf_dispose(&line);
		return pops_error_oom();
	}
	imp->unmapped = v;
	v[imp->nunmapped++] = pops_buf_detach(&line);
	return POPS_OK;
}

void pops_import_free(pops_import *imp)
{
	size_t i;

	if (!imp)
		return;
	for (i = 0; i < imp->nfiles; i++) {
		free(imp->files[i].path);
		pops_buf_dispose(&imp->files[i].data);
	}
	for (i = 0; i < imp->nunmapped; i++)
		free(imp->unmapped[i]);
	free(imp->files);
	free(imp->unmapped);
	cJSON_Delete(imp->providers);
	cJSON_Delete(imp->models);
	cJSON_Delete(imp->environments);
	free(imp);
}

void pops_import__json(pops_buf *out, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (!s)
		return;   /* out of memory: the import is cut short, never wrong */
	pops_buf_puts(out, s);
	free(s);
}

void pops_import__json_str(pops_buf *out, const char *s)
{
	cJSON *v = cJSON_CreateString(s);

	pops_import__json(out, v);
	cJSON_Delete(v);
}

/*
 * How pops reaches each kind of provider an importer meets: the
 * provider entry it adds to pops.yaml when the project has none of that
 * name. Keys come from the environment variable named, never a file.
 */
static const struct {
	const char *name, *type, *base_url, *key_env;
} known_providers[] = {
	{ "openai", "openai", NULL, "OPENAI_API_KEY" },
	{ "anthropic", "anthropic", NULL, "ANTHROPIC_API_KEY" },
	{ "ollama", "ollama", "http://127.0.0.1:11434", NULL },
	/* GitHub Models speaks the OpenAI protocol with a GitHub token */
	{ "github", "openai", "https://models.github.ai/inference", "GITHUB_TOKEN" },
};

int pops_import__need_provider(pops_import *imp, const char *name)
{
	const cJSON *p;
	cJSON *o;
	size_t i;

	cJSON_ArrayForEach(p, imp->providers)
		if (!strcmp(cJSON_GetObjectItem(p, "name")->valuestring, name))
			return POPS_OK;
	for (i = 0; i < POPS_ARRAY_SIZE(known_providers); i++)
		if (!strcmp(known_providers[i].name, name))
			break;
	assert(i < POPS_ARRAY_SIZE(known_providers));
	if (!(o = cJSON_CreateObject()) || !cJSON_AddStringToObject(o, "name", name) ||
	    !cJSON_AddStringToObject(o, "type", known_providers[i].type) ||
	    (known_providers[i].base_url &&
	     !cJSON_AddStringToObject(o, "base_url", known_providers[i].base_url)) ||
	    (known_providers[i].key_env &&
	     !cJSON_AddStringToObject(o, "api_key_env", known_providers[i].key_env))) {
		cJSON_Delete(o);
		return pops_error_oom();
	}
	cJSON_AddItemToArray(imp->providers, o);
	return POPS_OK;
}

int pops_import__need_model(pops_import *imp, const char *alias, const char *provider,
                            const char *id, const cJSON *config, const char *where,
                            int fallback)
{
	cJSON *o = NULL;
	const cJSON *m;
	int error;

	cJSON_ArrayForEach(m, imp->models)
		if (!strcmp(cJSON_GetObjectItem(m, "alias")->valuestring, alias))
			return POPS_OK;   /* first one wins, as the importer names it */
	if ((error = pops_import__need_provider(imp, provider)) < 0)
		return error;
	if (!(o = cJSON_CreateObject()) || !cJSON_AddStringToObject(o, "alias", alias) ||
	    !cJSON_AddStringToObject(o, "provider", provider) || !cJSON_AddStringToObject(o, "id", id) ||
	    !cJSON_AddStringToObject(o, "where", where ? where : "") ||
	    (config && cJSON_GetArraySize(config) &&
	     !cJSON_AddItemToObject(o, "config", cJSON_Duplicate(config, 1))) ||
	    (fallback && !cJSON_AddTrueToObject(o, "fallback"))) {
		cJSON_Delete(o);
		return pops_error_oom();
	}
	cJSON_AddItemToArray(imp->models, o);
	return POPS_OK;
}

int pops_import__need_env(pops_import *imp, const char *env)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, imp->environments)
		if (!strcmp(e->valuestring, env))
			return POPS_OK;
	cJSON_AddItemToArray(imp->environments, cJSON_CreateString(env));
	return POPS_OK;
}

/* ---- dotprompt ---- */

struct dp {
	pops_import *imp;
	const pops_import_options *opts;
	pops_import_check_fn check;
	void *payload;
	const char *root;
	size_t copied;
};

static int dp_walk(struct dp *dp, const char *rel, int depth)
{
	pops_buf dir = POPS_BUF_INIT, path = POPS_BUF_INIT, relpath = POPS_BUF_INIT;
	pops_buf data = POPS_BUF_INIT, dest = POPS_BUF_INIT;
	struct dirent **names = NULL;
	int n, i, error = POPS_OK;

	pops_path_join(&dir, dp->root, rel);
	if (depth > 16) {
		error = pops_import__note(dp->imp, "%s: nested too deep, not imported", dir.ptr);
		goto done;
	}
	/* sorted, so that the import (and its listing) is reproducible */
	if ((n = scandir(dir.ptr, &names, NULL, alphasort)) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot read directory '%s': %s", dir.ptr,
		                       strerror(errno));
		goto done;
	}
	for (i = 0; i < n && error >= 0; i++) {
		const char *e = names[i]->d_name;
		struct stat st;
		pops_buf *f;

		/* hidden directories are imported too (.guides/), git's own is not */
		if (!strcmp(e, ".") || !strcmp(e, "..") || !strcmp(e, ".git"))
			continue;
		pops_buf_clear(&relpath);
		if (*rel)
			pops_buf_printf(&relpath, "%s/", rel);
		pops_buf_puts(&relpath, e);
		pops_buf_clear(&path);
		pops_path_join(&path, dp->root, relpath.ptr);
		if (lstat(path.ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			error = dp_walk(dp, relpath.ptr, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !pops_ends_with(e, ".prompt")) {
			error = pops_import__note(dp->imp, "%s: not a .prompt file, not imported",
			                          path.ptr);
			continue;
		}
		if ((error = pops_file_read(&data, path.ptr, POPS_PROMPT_MAX_BYTES)) < 0)
			break;
		if (e[0] != '_' && dp->check &&
		    dp->check(dp->payload, relpath.ptr, data.ptr, data.size) < 0) {
			error = pops_import__note(dp->imp, "%s: not imported: %s", path.ptr,
			                          pops_error_last());
			continue;
		}
		pops_buf_clear(&dest);
		pops_buf_printf(&dest, "%s/%s", dp->opts->prompts_dir, relpath.ptr);
		if (!(f = pops_import__add_file(dp->imp, dest.ptr)) ||
		    pops_buf_set(f, data.ptr, data.size) < 0) {
			error = pops_error_oom();
			break;
		}
		dp->copied++;
		if (e[0] != '_')
			dp->imp->nprompts++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
done:
	pops_buf_dispose(&dest);
	pops_buf_dispose(&data);
	pops_buf_dispose(&relpath);
	pops_buf_dispose(&path);
	pops_buf_dispose(&dir);
	return error;
}

int pops_import_dotprompt(pops_import **out, const char *dir,
                          const pops_import_options *opts,
                          pops_import_check_fn check, void *payload)
{
	static const pops_import_options defaults = POPS_IMPORT_OPTIONS_INIT;
	struct dp dp;
	int error;

	*out = NULL;
	if (!pops_path_isdir(dir))
		return pops_error_set(pops_path_exists(dir) ? POPS_EINVALID : POPS_ENOTFOUND,
		                      "'%s' is not a directory", dir);
	memset(&dp, 0, sizeof(dp));
	dp.opts = opts ? opts : &defaults;
	dp.check = check;
	dp.payload = payload;
	dp.root = dir;
	dp.imp = pops_import__new();
	POPS_CHECK_ALLOC(dp.imp);
	if ((error = dp_walk(&dp, "", 0)) >= 0 && !dp.copied && !dp.imp->nunmapped)
		error = pops_error_set(POPS_EINVALID, "no .prompt files in '%s'", dir);
	if (error < 0) {
		pops_import_free(dp.imp);
		return error;
	}
	*out = dp.imp;
	return POPS_OK;
}

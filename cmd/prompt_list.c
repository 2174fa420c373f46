#include "common.h"
#include "cmd.h"
#include "prompt.h"
#include "release.h"
#include "promptfile.h"
#include "repo.h"
#include "strutil.h"
#include "table.h"

#include <git2.h>

/*
 * `pops prompt list`: one row per prompt with its newest version, when it
 * last changed, its description, and where it is released. Versions come
 * from one history walk (pops_repo_list); releases from one read of the
 * ledger (pops_release_list_entries), not one per prompt and environment.
 */

struct list_opts {
	int json;
};

POPS_CMD_OPTS_SIZE(prompt_list, struct list_opts);
#define O struct list_opts
const pops_opt cmd_prompt_list_opts[] = {
	OPT_BOOL(O, json, "json", "print the list as JSON"),
	OPT_END
};
#undef O

/*
 * env -> {prompt -> version}, from one read of the ledger's tip, the
 * environments in promotion order (pops.yaml's), then any the ledger has
 * that pops.yaml no longer names, as the ledger sorts them. Empty when
 * nothing was released; NULL with a warning when the ledger cannot be
 * read, so the list itself still prints.
 */
static cJSON *read_releases(git_repository *repo, const pops_config *cfg)
{
	pops_release_list rl = { 0 };
	cJSON *out = NULL;
	size_t i;

	if (pops_release_list_entries(&rl, repo, NULL, NULL) < 0) {
		cmd_warning("releases not shown: %s", pops_error_last());
		goto done;
	}
	if (!(out = cJSON_CreateObject()))
		goto done;
	for (i = 0; cfg && i < cfg->nenvs; i++)
		if (!cJSON_AddObjectToObject(out, cfg->envs[i].name))
			goto done;
	for (i = 0; i < rl.n; i++) {
		const pops_release_entry *e = rl.v[i];
		cJSON *map = cJSON_GetObjectItemCaseSensitive(out, e->env);

		if (!map)
			map = cJSON_AddObjectToObject(out, e->env);
		if (map && e->version >= 1)
			cJSON_AddNumberToObject(map, e->prompt, (double)e->version);
	}
done:
	pops_release_list_dispose(&rl);
	return out;
}

/* description from the frontmatter of the work tree file (or HEAD's) */
static char *description(pops_ctx *ctx, const pops_prompt_info *p)
{
	pops_buf data = POPS_BUF_INIT;
	pops_resolved *res = NULL;
	cJSON *fm = NULL;
	const cJSON *d;
	const char *bytes = NULL;
	size_t len = 0, off;
	char *out = NULL;

	if (p->in_worktree && pops_repo_read_worktree(&data, ctx->project, p->name) == 0) {
		bytes = data.ptr;
		len = data.size;
	} else if (p->in_head) {
		pops_buf addr = POPS_BUF_INIT;

		pops_buf_printf(&addr, "%s#HEAD", p->name);
		if (pops_repo_resolve(&res, ctx->project, addr.ptr) == 0) {
			bytes = res->data;
			len = res->len;
		}
		pops_buf_dispose(&addr);
	}
	if (bytes && pops_prompt_frontmatter(&fm, &off, bytes, len, p->path) == 0 &&
	    cJSON_IsString(d = cJSON_GetObjectItemCaseSensitive(fm, "description")))
		out = pops_strdup(d->valuestring);
	pops_error_clear();
	cJSON_Delete(fm);
	pops_resolved_free(res);
	pops_buf_dispose(&data);
	return out;
}

/* where prompt `name` is released: "env=N,..." into `text`, and {env: N} into `rels` (may be NULL) */
static void releases_of(pops_buf *text, cJSON *rels, const cJSON *envs, const char *name)
{
	const cJSON *env;

	cJSON_ArrayForEach(env, envs) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(env, name);
		long rv = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;

		if (!rv)
			continue;
		if (rels)
			cJSON_AddNumberToObject(rels, env->string, (double)rv);
		pops_buf_printf(text, "%s%s=%ld", text->size ? "," : "", env->string, rv);
	}
}

/* one prompt of --json: name, path, version, commit, date, description, state, releases */
static void json_entry(cJSON *arr, const pops_prompt_info *p, const char *date, const char *desc,
                       const cJSON *envs, pops_buf *rel)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddItemToArray(arr, obj);
	cJSON_AddStringToObject(obj, "name", p->name);
	cJSON_AddStringToObject(obj, "path", p->path);
	if (p->latest)
		cJSON_AddNumberToObject(obj, "version", (double)p->latest);
	else
		cJSON_AddNullToObject(obj, "version");
	if (p->has_latest) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &p->latest_commit);
		cJSON_AddStringToObject(obj, "commit", hex);
		cJSON_AddStringToObject(obj, "date", date);
	} else {
		cJSON_AddNullToObject(obj, "commit");
		cJSON_AddNullToObject(obj, "date");
	}
	if (desc)
		cJSON_AddStringToObject(obj, "description", desc);
	else
		cJSON_AddNullToObject(obj, "description");
	cJSON_AddBoolToObject(obj, "modified", p->modified);
	cJSON_AddBoolToObject(obj, "committed", p->in_head);
	releases_of(rel, cJSON_AddObjectToObject(obj, "releases"), envs, p->name);
}

/* one row of the table; 1 when the work tree has changes not in its newest version */
static int table_entry(cmd_table *t, const pops_prompt_info *p, pops_buf *date, const char *desc,
                       const cJSON *envs, pops_buf *rel)
{
	pops_buf ver = POPS_BUF_INIT;
	int modified = p->modified && p->has_latest;

	releases_of(rel, NULL, envs, p->name);
	if (p->latest)
		pops_buf_printf(&ver, "%ld", p->latest);
	else
		pops_buf_puts(&ver, p->has_latest ? "?" : "new");
	if (modified)
		pops_buf_putc(&ver, '*');
	if (date->size > 10)
		pops_buf_truncate(date, 10);
	cmd_table_row(t, p->name, ver.ptr, date->size ? date->ptr : NULL, rel->size ? rel->ptr : NULL,
	              desc ? desc : "");
	pops_buf_dispose(&ver);
	return modified;
}

/* the table (with its legend when a version has a '*'), or the JSON document */
static int render(pops_buf *out, cmd_table *table, const cJSON *root, int any_modified)
{
	char *text = NULL;

	if (root) {
		if (!(text = cJSON_Print(root)))
			return cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		pops_buf_puts(out, text);
		pops_buf_putc(out, '\n');
		free(text);
	} else if (cmd_table_render(out, table, "", 2) < 0) {
		return cmd_error(POPS_EXIT_RUNTIME, "out of memory");
	} else if (any_modified) {
		pops_buf_puts(out, "(* = uncommitted changes in the work tree)\n");
	}
	if (pops_buf_oom(out))
		return cmd_error(POPS_EXIT_RUNTIME, "out of memory");
	return POPS_EXIT_OK;
}

int cmd_prompt_list(pops_ctx *ctx, void *o)
{
	struct list_opts *opts = o;
	pops_prompt_list *list = NULL;
	cJSON *envs = NULL, *root = NULL, *arr = NULL;
	pops_buf out = POPS_BUF_INIT, date = POPS_BUF_INIT, rel = POPS_BUF_INIT;
	cmd_table table = CMD_TABLE_INIT(5);
	size_t i;
	int error, ret = POPS_EXIT_OK, any_modified = 0;

	if ((error = pops_repo_list(&list, ctx->project)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	envs = read_releases(ctx->repo, ctx->config);
	/* a file the rule leaves out is said, not dropped in silence */
	for (i = 0; i < list->ninvalid; i++) {
		pops_buf_clear(&rel);
		pops_buf_put_sanitized(&rel, list->invalid[i], strlen(list->invalid[i]), 0);
		cmd_warning("%s (not listed; rename the file)", rel.ptr);
	}
	if (opts->json) {
		root = cJSON_CreateObject();
		cJSON_AddNumberToObject(root, "schema_version", 1);
		cJSON_AddBoolToObject(root, "shallow", list->shallow);
		arr = cJSON_AddArrayToObject(root, "prompts");
	}
	if (!opts->json && list->n)
		cmd_table_row(&table, "NAME", "VERSION", "CHANGED", "RELEASED", "DESCRIPTION");
	for (i = 0; i < list->n; i++) {
		const pops_prompt_info *p = &list->v[i];
		char *desc = description(ctx, p);

		pops_buf_clear(&date);
		pops_buf_clear(&rel);
		if (p->has_latest)
			cmd_prompt_isodate(&date, p->latest_time, 0);
		if (arr)
			json_entry(arr, p, date.ptr, desc, envs, &rel);
		else if (!opts->json)
			any_modified |= table_entry(&table, p, &date, desc, envs, &rel);
		free(desc);
	}
	if ((ret = render(&out, &table, root, any_modified)) != POPS_EXIT_OK)
		goto done;
	ret = cmd_prompt_write(out.ptr, out.size);
	if (ret == POPS_EXIT_OK && list->shallow)
		cmd_warning("shallow clone: version numbers cannot be counted");
done:
	cmd_table_dispose(&table);
	cJSON_Delete(root);
	cJSON_Delete(envs);
	pops_prompt_list_free(list);
	pops_buf_dispose(&rel);
	pops_buf_dispose(&date);
	pops_buf_dispose(&out);
	return ret;
}

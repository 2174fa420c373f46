#include "common.h"
#include "cmd.h"
#include "config.h"
#include "export.h"
#include "fileio.h"
#include "promptfile.h"
#include "git.h"
#include "repo.h"
#include "strutil.h"
#include "yamldoc.h"

#include <unistd.h>

/*
 * `pops render <file.prompt|address>`: the messages a prompt produces for
 * some variables, as readable text or as JSON. One entry point,
 * render_open(), turns the argument into a parsed prompt, so that the
 * address forms of the repository module slot in beside plain files.
 */

struct render_opts {
	pops_strv vars;
	const char *vars_file;
	int json;
	int no_validate;
	const char *key;
	const char *prompt;
};

POPS_CMD_OPTS_SIZE(render, struct render_opts);
#define O struct render_opts
const pops_opt cmd_render_opts[] = {
	OPT_LIST(O, vars, "var", "name=value",
	         "set a variable (a string; @file reads it, @- stdin, @@ a literal @; repeatable)"),
	OPT_PATH(O, vars_file, "vars", "file",
	         "read typed variables from a JSON or YAML object", .complete = POPS_COMPLETE_FILE),
	OPT_BOOL(O, json, "json", "print model, config and messages as JSON"),
	OPT_BOOL(O, no_validate, "no-validate", "do not check variables against the input schema"),
	OPT_STRING(O, key, "key", "key",
	           "render what request key <key> is served from name:env (canary or stable side of a rollout)"),
	OPT_ARG(O, prompt, "prompt",
	        "a .prompt file or a prompt address (name, name@N, name:env, name:env~canary)",
	        .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_ADDRESS),
	OPT_END
};
#undef O

/* the prompts directory of the project around the current directory, or NULL */
static char *prompts_root(void)
{
	pops_buf cwd = POPS_BUF_INIT, path = POPS_BUF_INIT, dir = POPS_BUF_INIT;
	pops_config *cfg = NULL;
	char *r = NULL;

	if (pops_buf_grow(&cwd, 4096) < 0 || !getcwd(cwd.ptr, cwd.asize - 1))
		goto done;
	cwd.size = strlen(cwd.ptr);
	if (pops_config_find(&path, cwd.ptr, NULL) < 0 || pops_config_load(&cfg, path.ptr) < 0)
		goto done;
	if (pops_path_join(&dir, cfg->root, cfg->prompts_dir) == 0)
		r = pops_buf_detach(&dir);
done:
	pops_error_clear();
	pops_config_free(cfg);
	pops_buf_dispose(&dir);
	pops_buf_dispose(&path);
	pops_buf_dispose(&cwd);
	return r;
}

/* what render --key says on stderr: which side key K gets, and why */
static void say_side(const pops_resolved *res, const char *key)
{
	pops_buf served = POPS_BUF_INIT, k = POPS_BUF_INIT;

	if (pops_resolved_served(&served, res) < 0)
		goto done;
	pops_buf_put_sanitized(&k, key, strlen(key), 0);
	if (pops_buf_oom(&k))
		goto done;
	if (res->side == POPS_SIDE_NONE)
		cmd_note("no rollout of %s in %s: key '%s' gets %s", res->name, res->env, k.ptr,
		         served.ptr);
	else
		cmd_note("key '%s' gets the %s: %s (bucket %u %s %u, canary at %u%%)", k.ptr,
		         res->side == POPS_SIDE_CANARY ? "canary" : "stable side", served.ptr,
		         res->bucket, res->side == POPS_SIDE_CANARY ? "<" : ">=",
		         res->rollout_percent * 100u, res->rollout_percent);
done:
	pops_buf_dispose(&k);
	pops_buf_dispose(&served);
}

/*
 * Open what the user named: an existing file, else an address resolved
 * by the repository module (name, name@N, name@latest, name@-N, name:env,
 * name:env~side, name#rev), with partials from the same revision.
 * `key` (may be NULL): the request key whose side of a rollout of
 * name:env to open; `say` prints which it is. Returns a lib error code
 * (message set).
 */
static int render_open(pops_prompt **out, const char *arg, const char *key, int say)
{
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	pops_repo *repo = NULL;
	pops_resolved *res = NULL;
	char *root = NULL, *dir = NULL;
	const char *slash;
	int error, git_inited = 0;

	*out = NULL;
	if (pops_path_exists(arg) && key) {
		error = pops_error_set(POPS_EINVALID, "--key picks a side of a canary rollout: give "
		                       "an address name:env, not the file '%s'", arg);
		goto done;
	}
	if (pops_path_exists(arg)) {
		pops_buf bundle = POPS_BUF_INIT;

		/* a prompt of an export bundle takes its partials from the bundle alone */
		if ((error = pops_export_bundle_root(&bundle, arg)) < 0)
			goto done;
		root = error ? pops_buf_detach(&bundle) : prompts_root();
		pops_buf_dispose(&bundle);
		error = pops_prompt_load_file(out, arg, root, NULL);
		goto done;
	}
	if ((error = pops_git_init()) < 0)
		goto done;
	git_inited = 1;
	if ((error = pops_repo_open(&repo, NULL)) < 0) {
		if (error == POPS_ENOTFOUND)
			pops_error_prefix(error, "no such file '%s', and no project to look it up in: ", arg);
		goto done;
	}
	if ((error = key ? pops_repo_resolve_key(&res, repo, arg, key, strlen(key)) :
	             pops_repo_resolve(&res, repo, arg)) < 0)
		goto done;
	if (key && say)
		say_side(res, key);
	slash = strrchr(res->path, '/');
	if (!(dir = slash ? pops_strndup(res->path, (size_t)(slash - res->path)) : pops_strdup(""))) {
		error = pops_error_oom();
		goto done;
	}
	po.load_partial = pops_resolved_load_partial;
	po.partial_payload = res;
	po.partial_dir = dir;
	error = pops_prompt_parse(out, res->data, res->len, res->path, &po);
done:
	free(dir);
	pops_resolved_free(res);
	pops_repo_free(repo);
	if (git_inited)
		pops_git_shutdown();
	free(root);
	return error;
}

int cmd_render_open(pops_prompt **out, const char *arg)
{
	return render_open(out, arg, NULL, 0);
}

static int load_vars_file(cJSON **out, const char *file)
{
	pops_buf data = POPS_BUF_INIT;
	pops_yaml_doc *doc = NULL;
	int error;

	*out = NULL;
	if ((error = pops_file_read(&data, file, POPS_CONFIG_MAX_BYTES)) < 0)
		goto done;
	/* .json by cJSON (JSON writers' escapes), anything else as YAML */
	if ((error = pops_yaml_parse_file(&doc, data.ptr, data.size, file, NULL)) < 0)
		goto done;
	if (!cJSON_IsObject(pops_yaml_root(doc))) {
		error = pops_error_set(POPS_EINVALID, "%s: variables must be a mapping of name: value",
		                       file);
		goto done;
	}
	*out = pops_yaml_detach(doc);
done:
	pops_yaml_free(doc);
	pops_buf_dispose(&data);
	return error;
}

static void print_text(const cJSON *msgs)
{
	const cJSON *m, *part;
	pops_buf b = POPS_BUF_INIT;

	cJSON_ArrayForEach(m, msgs) {
		const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
		int ends_nl = 1, first = 1;

		pops_buf_clear(&b);
		if (m != msgs->child)
			pops_buf_putc(&b, '\n');
		pops_buf_puts(&b, "--- ");
		pops_buf_put_sanitized(&b, role ? role : "?", strlen(role ? role : "?"), 0);
		pops_buf_putc(&b, '\n');
		cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(m, "content")) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
			const cJSON *media = cJSON_GetObjectItemCaseSensitive(part, "media");

			if (cJSON_IsString(t)) {
				const char *x = t->valuestring;

				/* "{{role ...}}\n" leaves a newline at the start: not worth a blank line */
				if (first)
					x += strspn(x, "\r\n");
				first = 0;
				pops_buf_put_sanitized(&b, x, strlen(x), 1);
				ends_nl = b.size && b.ptr[b.size - 1] == '\n';
			} else if (media) {
				const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(media, "url"));
				const char *ct = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(media, "contentType"));

				if (!ends_nl)
					pops_buf_putc(&b, '\n');
				pops_buf_puts(&b, "[media ");
				pops_buf_put_sanitized(&b, u ? u : "?", strlen(u ? u : "?"), 0);
				if (ct) {
					pops_buf_puts(&b, " ");
					pops_buf_put_sanitized(&b, ct, strlen(ct), 0);
				}
				pops_buf_puts(&b, "]\n");
				ends_nl = 1;
				first = 0;
			}
		}
		if (!ends_nl)
			pops_buf_putc(&b, '\n');
		fwrite(b.ptr, 1, b.size, stdout);
	}
	pops_buf_dispose(&b);
}

/*
 * The value of --var name=value. As curl's -d: "@file" is the file's
 * bytes, exactly (a final newline stays: the file is the text), and "@-"
 * standard input. "@@..." is a value that starts with a literal '@', so
 * no value is out of reach. A variable is a string: a NUL byte or
 * invalid UTF-8 is refused rather than cut or mangled.
 */
static int var_value(pops_buf *out, const char *name, const char *v)
{
	const char *path = v + 1;
	size_t bad = 0;
	int error;

	if (v[0] != '@' || v[1] == '@') {
		/* "@@x" is "@x" */
		if (pops_buf_sets(out, v[0] == '@' ? v + 1 : v) < 0)
			return cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		return POPS_EXIT_OK;
	}
	if (!*path)
		return cmd_error(POPS_EXIT_USAGE, "--var %s=@: name a file after '@' (or '@@' for a "
		                 "value starting with '@')", name);
	if ((error = pops_file_read(out, strcmp(path, "-") ? path : "/dev/stdin",
	                            POPS_RENDER_MAX_BYTES)) < 0) {
		int ret = cmd_error(pops_exit_code(error), "--var %s: %s", name, pops_error_last());

		cmd_hint("a value starting with '@' names a file; write '@@' for a literal '@'");
		return ret;
	}
	if (memchr(out->ptr, '\0', out->size))
		return cmd_error(POPS_EXIT_USAGE, "--var %s: '%s' holds a NUL byte; a variable is text",
		                 name, path);
	if (!pops_utf8_valid(out->ptr, out->size, &bad))
		return cmd_error(POPS_EXIT_USAGE, "--var %s: '%s' is not valid UTF-8 (byte %zu)", name,
		                 path, bad + 1);
	return POPS_EXIT_OK;
}

int cmd_render(pops_ctx *ctx, void *o)
{
	struct render_opts *opts = o;
	pops_render_options ro = POPS_RENDER_OPTIONS_INIT;
	pops_prompt *p = NULL;
	cJSON *vars = NULL, *result = NULL;
	pops_buf val = POPS_BUF_INIT;
	char *s = NULL;
	int ret = POPS_EXIT_OK, error;
	size_t i;

	(void)ctx;
	if (opts->vars_file && (error = load_vars_file(&vars, opts->vars_file)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if (!vars && opts->vars.n && !(vars = cJSON_CreateObject())) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	for (i = 0; i < opts->vars.n; i++) {
		const char *kv = opts->vars.v[i], *eq = strchr(kv, '=');
		char *k;

		if (!eq || eq == kv) {
			ret = cmd_error(POPS_EXIT_USAGE, "--var '%s': expected name=value", kv);
			goto done;
		}
		if (!(k = pops_strndup(kv, (size_t)(eq - kv)))) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			goto done;
		}
		if ((ret = var_value(&val, k, eq + 1)) != POPS_EXIT_OK) {
			free(k);
			goto done;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(vars, k);
		if (!cJSON_AddStringToObject(vars, k, val.ptr))
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		free(k);
		if (ret != POPS_EXIT_OK)
			goto done;
	}
	if ((error = render_open(&p, opts->prompt, opts->key, !opts->json)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	for (i = 0; i < pops_prompt_warning_count(p); i++)
		cmd_warning("%s", pops_prompt_warning(p, i));
	ro.no_validate = opts->no_validate;
	if ((error = pops_prompt_render_result(&result, p, vars, &ro)) < 0) {
		ret = cmd_fail(error);
		if (error == POPS_EINVALID && strstr(pops_error_last(), ": input"))
			cmd_hint("--var values are strings; pass typed values with --vars FILE");
		goto done;
	}
	if (opts->json) {
		if (!(s = cJSON_Print(result))) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			goto done;
		}
		puts(s);
	} else {
		print_text(cJSON_GetObjectItemCaseSensitive(result, "messages"));
	}
done:
	pops_buf_dispose(&val);
	free(s);
	cJSON_Delete(result);
	cJSON_Delete(vars);
	pops_prompt_free(p);
	return ret;
}

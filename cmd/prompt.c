#include "common.h"
#include "cmd.h"
#include "prompt.h"
#include "repo.h"
#include "evidence.h"
#include "jsonget.h"
#include "strutil.h"

#include <git2.h>
#include <time.h>

/*
 * The `pops prompt` group: its subcommand table (sorted by name; each team
 * adds its rows here), shared helpers, and the
 * read-only commands `show` and `log`. `add` is in prompt_add.c, `list`
 * in prompt_list.c, `diff` in prompt_diff.c.
 */

const pops_cmd cmd_prompt_subcommands[] = {
	POPS_CMD_ROW("add", prompt_add, POPS_CMD_NEEDS_CONFIG,
	             "Lint and commit prompt files as new versions"),
	POPS_CMD_ROW("diff", prompt_diff, 0,
	             "Show changes between two prompt addresses"),
	POPS_CMD_ROW("lint", prompt_lint, 0,
	             "Check prompt files: frontmatter, schemas, template syntax, partials"),
	POPS_CMD_ROW("list", prompt_list, POPS_CMD_NEEDS_CONFIG,
	             "List prompts with their latest version and releases"),
	POPS_CMD_ROW("log", prompt_log, POPS_CMD_NEEDS_CONFIG,
	             "List the versions of a prompt, newest first"),
	POPS_CMD_ROW("show", prompt_show, POPS_CMD_NEEDS_CONFIG,
	             "Print a prompt file at an address, byte for byte"),
	POPS_CMD_END
};

/* ---- helpers ---- */

void cmd_prompt_isodate(pops_buf *out, long long t, int offset)
{
	time_t local = (time_t)(t + (long long)offset * 60);
	struct tm tm;
	int off = offset < 0 ? -offset : offset;

	if (!gmtime_r(&local, &tm)) {
		pops_buf_puts(out, "?");
		return;
	}
	pops_buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
	                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	                offset < 0 ? '-' : '+', off / 60, off % 60);
}

int cmd_prompt_write(const void *data, size_t len)
{
	if (len && fwrite(data, 1, len, stdout) != len)
		return cmd_error(POPS_EXIT_RUNTIME, "write failure on standard output: %s",
		                 strerror(errno));
	return POPS_EXIT_OK;
}

/* ---- show ---- */

struct show_opts {
	const char *address;
};

POPS_CMD_OPTS_SIZE(prompt_show, struct show_opts);
#define O struct show_opts
const pops_opt cmd_prompt_show_opts[] = {
	OPT_ARG(O, address, "address",
	        "name, name@N, name@latest, name@-N, name:env (~stable, ~canary) or name#rev",
	        .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_ADDRESS),
	OPT_END
};
#undef O

int cmd_prompt_show(pops_ctx *ctx, void *o)
{
	struct show_opts *opts = o;
	pops_resolved *res = NULL;
	int error, ret;

	if ((error = pops_repo_resolve(&res, ctx->project, opts->address)) < 0)
		return cmd_fail(error);
	ret = cmd_prompt_write(res->data, res->len);
	pops_resolved_free(res);
	return ret;
}

/* ---- log ---- */

struct log_opts {
	const char *name;
	int json;
	long max;
};

POPS_CMD_OPTS_SIZE(prompt_log, struct log_opts);
#define O struct log_opts
const pops_opt cmd_prompt_log_opts[] = {
	OPT_BOOL(O, json, "json", "print a JSON array of versions"),
	OPT_INT(O, max, "max-count", "n", 1, LONG_MAX,
	        "show only the newest <n> versions", .short_name = 'n'),
	OPT_ARG(O, name, "name",
	        "prompt name", .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_PROMPT),
	OPT_END
};
#undef O

/*
 * The newest stored eval result for this exact prompt content, from the
 * index built once per log (pops_evidence_newest_by_blob): notes are read
 * once, not once per version.
 */
static cJSON *version_evals(const cJSON *by_blob, const pops_version *v)
{
	const cJSON *res;
	cJSON *arr = NULL, *item;
	char blob[GIT_OID_HEXSZ + 1];

	git_oid_tostr(blob, sizeof(blob), &v->blob);
	if (!(res = cJSON_GetObjectItemCaseSensitive(by_blob, blob)))
		return NULL;
	arr = cJSON_CreateArray();
	item = cJSON_CreateObject();
	if (!arr || !item) {
		cJSON_Delete(item);
		goto done;
	}
	cJSON_AddItemToArray(arr, item);
#define COPY(key) do { const cJSON *x_ = cJSON_GetObjectItemCaseSensitive(res, key); \
	if (x_) cJSON_AddItemToObject(item, key, cJSON_Duplicate(x_, 1)); } while (0)
	COPY("suite");
	COPY("model");
	COPY("pass_rate");
	COPY("passed");
	COPY("cases");
	COPY("verdict");
	COPY("date");
	COPY("partial_reasons");
#undef COPY
	cJSON_AddStringToObject(item, "kind", pops_evidence_kind(res));
done:
	return arr;
}

static void evals_text(pops_buf *line, const cJSON *evals)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, evals) {
		const cJSON *rate = cJSON_GetObjectItemCaseSensitive(e, "pass_rate");
		const cJSON *suite = cJSON_GetObjectItemCaseSensitive(e, "suite");
		const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(e, "verdict");

		const char *v = cJSON_IsString(verdict) ? verdict->valuestring : "?";
		const cJSON *why;

		pops_buf_printf(line, "  [%s ", cJSON_IsString(suite) ? suite->valuestring : "?");
		/* an outage has no pass rate worth showing */
		if (!strcmp(v, "error"))
			pops_buf_puts(line, "errored");
		else
			pops_buf_printf(line, "%.0f%% %s", cJSON_IsNumber(rate) ? rate->valuedouble * 100 : 0.0, v);
		if (strcmp(pops_json_str(e, "kind", "complete"), "complete")) {
			int n = 0;

			pops_buf_puts(line, ", partial");
			cJSON_ArrayForEach(why, cJSON_GetObjectItemCaseSensitive(e, "partial_reasons")) {
				if (!cJSON_IsString(why))
					continue;
				pops_buf_puts(line, n++ ? ", " : ": ");
				pops_buf_put_sanitized(line, why->valuestring, strlen(why->valuestring), 0);
			}
		}
		pops_buf_putc(line, ']');
	}
}

int cmd_prompt_log(pops_ctx *ctx, void *o)
{
	struct log_opts *opts = o;
	pops_versions *vs = NULL;
	cJSON *arr = NULL, *by_blob = NULL;
	pops_buf line = POPS_BUF_INIT, date = POPS_BUF_INIT;
	char *text = NULL;
	size_t i;
	int error, ret = POPS_EXIT_OK;

	if ((error = pops_repo_versions(&vs, ctx->project, opts->name,
	                                opts->max > 0 ? (size_t)opts->max : 0)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if (opts->json && !(arr = cJSON_CreateArray())) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	/* eval results are an extra: a note that cannot be read hides them */
	if (pops_evidence_newest_by_blob(&by_blob, ctx->repo, opts->name) < 0)
		pops_error_clear();
	for (i = 0; i < vs->n; i++) {
		const pops_version *v = &vs->v[i];
		char hex[GIT_OID_HEXSZ + 1];
		cJSON *evals = version_evals(by_blob, v);

		git_oid_tostr(hex, sizeof(hex), &v->commit);
		pops_buf_clear(&date);
		cmd_prompt_isodate(&date, v->time, v->tz_offset);
		if (arr) {
			cJSON *obj = cJSON_CreateObject();

			cJSON_AddItemToArray(arr, obj);
			if (v->number)
				cJSON_AddNumberToObject(obj, "version", (double)v->number);
			else
				cJSON_AddNullToObject(obj, "version");
			cJSON_AddStringToObject(obj, "commit", hex);
			hex[7] = '\0';
			cJSON_AddStringToObject(obj, "short", hex);
			cJSON_AddStringToObject(obj, "date", date.ptr);
			cJSON_AddStringToObject(obj, "author", v->author_name);
			cJSON_AddStringToObject(obj, "email", v->author_email);
			cJSON_AddStringToObject(obj, "message", v->message);
			cJSON_AddStringToObject(obj, "subject", v->summary);
			cJSON_AddStringToObject(obj, "path", v->path);
			if (evals)
				cJSON_AddItemToObject(obj, "evals", evals);
			else
				cJSON_AddItemToObject(obj, "evals", cJSON_CreateArray());
			continue;
		}
		pops_buf_clear(&line);
		if (v->number)
			pops_buf_printf(&line, "@%-4ld ", v->number);
		else
			pops_buf_puts(&line, "@?    ");
		pops_buf_printf(&line, "%.7s  %s  ", hex, date.ptr);
		pops_buf_put_sanitized(&line, v->author_name, strlen(v->author_name), 0);
		pops_buf_puts(&line, "  ");
		pops_buf_put_sanitized(&line, v->summary, strlen(v->summary), 0);
		evals_text(&line, evals);
		cJSON_Delete(evals);
		pops_buf_putc(&line, '\n');
		if ((ret = cmd_prompt_write(line.ptr, line.size)) != POPS_EXIT_OK)
			goto done;
	}
	if (arr) {
		if (!(text = cJSON_Print(arr))) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			goto done;
		}
		if ((ret = cmd_prompt_write(text, strlen(text))) == POPS_EXIT_OK)
			ret = cmd_prompt_write("\n", 1);
	}
	if (vs->shallow && ret == POPS_EXIT_OK)
		cmd_warning("shallow clone: version numbers cannot be counted; "
		            "run 'git fetch --unshallow' to see them");
done:
	free(text);
	cJSON_Delete(by_blob);
	cJSON_Delete(arr);
	pops_versions_free(vs);
	pops_buf_dispose(&date);
	pops_buf_dispose(&line);
	return ret;
}

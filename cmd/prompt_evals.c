#include "common.h"
#include "cmd.h"
#include "prompt.h"
#include "repo.h"
#include "evidence.h"
#include "strutil.h"
#include "jsonget.h"

#include <git2.h>

/*
 * `prompt diff --evals`: the behaviour change between two prompt
 * contents, from the eval results stored as notes (refs/notes/pops).
 * Results are matched by prompt blob, so they follow the exact content
 * whatever commit they were recorded on; per suite and model the
 * preferred result of each side is compared (pops_evidence_prefer: a
 * complete run before a partial one before an errored one, then the
 * newest). Partial and errored results are shown as such.
 */

typedef struct collect {
	const char *blob;
	cJSON *by_key;        /* "suite (model)" -> newest result */
} collect;

static int collect_cb(void *payload, const git_oid *commit, const cJSON *r)
{
	collect *c = payload;
	const char *blob = pops_json_str(r, "prompt_blob", NULL);
	const cJSON *old;
	pops_buf key = POPS_BUF_INIT;

	(void)commit;
	if (!blob || strcmp(blob, c->blob))
		return 0;
	pops_buf_printf(&key, "%s (%s)", pops_json_str(r, "suite", "?"),
	                pops_json_str(r, "model", "?"));
	old = cJSON_GetObjectItemCaseSensitive(c->by_key, key.ptr);
	if (pops_evidence_prefer(r, old)) {
		cJSON_DeleteItemFromObjectCaseSensitive(c->by_key, key.ptr);
		cJSON_AddItemToObject(c->by_key, key.ptr, cJSON_Duplicate(r, 1));
	}
	pops_buf_dispose(&key);
	return 0;
}

static cJSON *results_for(git_repository *repo, const struct pops_resolved *res)
{
	char hex[GIT_OID_HEXSZ + 1];
	collect c;

	c.by_key = cJSON_CreateObject();
	if (!res || !c.by_key)
		return c.by_key;
	git_oid_tostr(hex, sizeof(hex), &res->blob);
	c.blob = hex;
	if (pops_evidence_foreach(repo, collect_cb, &c) < 0)
		pops_error_clear();
	return c.by_key;
}

/* "complete", "partial" or "error" (an errored run of either kind); null without a result */
static void add_kind(cJSON *row, const char *key, const cJSON *r)
{
	if (!r)
		cJSON_AddNullToObject(row, key);
	else if (!strcmp(pops_json_str(r, "verdict", ""), "error"))
		cJSON_AddStringToObject(row, key, "error");
	else
		cJSON_AddStringToObject(row, key, pops_evidence_kind(r));
}

/*
 * {"suite (model)": {"a": rate|null, "b": rate|null, "a_kind", "b_kind",
 * "regressed": [ids], "fixed": [ids]}}
 */
static cJSON *compare(git_repository *repo, const struct pops_resolved *a,
                      const struct pops_resolved *b)
{
	cJSON *ra = results_for(repo, a), *rb = results_for(repo, b);
	cJSON *out = cJSON_CreateObject();
	const cJSON *x;
	int pass;

	for (pass = 0; pass < 2 && out; pass++) {
		cJSON_ArrayForEach(x, (pass ? rb : ra)) {
			const cJSON *ea, *eb, *rate, *ca, *cb, *cs;
			cJSON *row, *regressed, *fixed;

			if (cJSON_GetObjectItemCaseSensitive(out, x->string))
				continue;
			ea = cJSON_GetObjectItemCaseSensitive(ra, x->string);
			eb = cJSON_GetObjectItemCaseSensitive(rb, x->string);
			row = cJSON_AddObjectToObject(out, x->string);
			rate = cJSON_GetObjectItemCaseSensitive(ea, "pass_rate");
			cJSON_AddItemToObject(row, "a", cJSON_IsNumber(rate) ? cJSON_CreateNumber(rate->valuedouble)
			                                                     : cJSON_CreateNull());
			rate = cJSON_GetObjectItemCaseSensitive(eb, "pass_rate");
			cJSON_AddItemToObject(row, "b", cJSON_IsNumber(rate) ? cJSON_CreateNumber(rate->valuedouble)
			                                                     : cJSON_CreateNull());
			add_kind(row, "a_kind", ea);
			add_kind(row, "b_kind", eb);
			regressed = cJSON_AddArrayToObject(row, "regressed");
			fixed = cJSON_AddArrayToObject(row, "fixed");
			ca = cJSON_GetObjectItemCaseSensitive(ea, "case_results");
			cb = cJSON_GetObjectItemCaseSensitive(eb, "case_results");
			cJSON_ArrayForEach(cs, ca) {
				const cJSON *other = cJSON_GetObjectItemCaseSensitive(cb, cs->string);

				if (!cJSON_IsBool(other) || !cJSON_IsBool(cs))
					continue;
				if (cJSON_IsTrue(cs) && cJSON_IsFalse(other))
					cJSON_AddItemToArray(regressed, cJSON_CreateString(cs->string));
				else if (cJSON_IsFalse(cs) && cJSON_IsTrue(other))
					cJSON_AddItemToArray(fixed, cJSON_CreateString(cs->string));
			}
		}
	}
	cJSON_Delete(ra);
	cJSON_Delete(rb);
	return out;
}

void cmd_prompt_evals_json(git_repository *repo, cJSON *root, const struct pops_resolved *a,
                           const struct pops_resolved *b)
{
	cJSON *cmp = compare(repo, a, b);

	if (cmp)
		cJSON_AddItemToObject(root, "evals", cmp);
}

static void rate_text(pops_buf *out, const cJSON *v, const cJSON *kind)
{
	const char *k = cJSON_IsString(kind) ? kind->valuestring : "complete";

	if (!strcmp(k, "error"))
		pops_buf_puts(out, "errored");
	else if (cJSON_IsNumber(v))
		pops_buf_printf(out, "%.1f%%%s", v->valuedouble * 100, strcmp(k, "partial") ? "" : " (partial)");
	else
		pops_buf_puts(out, "no results");
}

static void ids_text(pops_buf *out, const char *what, const cJSON *ids)
{
	const cJSON *id;
	int i = 0;

	if (!cJSON_GetArraySize(ids))
		return;
	pops_buf_printf(out, "    %s (%d):", what, cJSON_GetArraySize(ids));
	cJSON_ArrayForEach(id, ids) {
		if (i++ == 20) {
			pops_buf_puts(out, " ...");
			break;
		}
		pops_buf_putc(out, ' ');
		pops_buf_put_sanitized(out, id->valuestring, strlen(id->valuestring), 0);
	}
	pops_buf_putc(out, '\n');
}

void cmd_prompt_evals_text(git_repository *repo, pops_buf *out, const struct pops_resolved *a,
                           const struct pops_resolved *b, const char *bold, const char *reset)
{
	cJSON *cmp = compare(repo, a, b);
	const cJSON *row;

	pops_buf_printf(out, "%sevals:%s\n", bold, reset);
	if (!cmp || !cJSON_GetArraySize(cmp))
		pops_buf_puts(out, "  no stored eval results for either side (run 'pops eval run')\n");
	cJSON_ArrayForEach(row, cmp) {
		pops_buf_puts(out, "  ");
		pops_buf_put_sanitized(out, row->string, strlen(row->string), 0);
		pops_buf_puts(out, ": pass rate ");
		rate_text(out, cJSON_GetObjectItemCaseSensitive(row, "a"),
		          cJSON_GetObjectItemCaseSensitive(row, "a_kind"));
		pops_buf_puts(out, " \xe2\x86\x92 ");
		rate_text(out, cJSON_GetObjectItemCaseSensitive(row, "b"),
		          cJSON_GetObjectItemCaseSensitive(row, "b_kind"));
		pops_buf_putc(out, '\n');
		ids_text(out, "pass \xe2\x86\x92 fail", cJSON_GetObjectItemCaseSensitive(row, "regressed"));
		ids_text(out, "fail \xe2\x86\x92 pass", cJSON_GetObjectItemCaseSensitive(row, "fixed"));
	}
	cJSON_Delete(cmp);
}

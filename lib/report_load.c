#include "common.h"
#include "jsonget.h"
#include "report_load.h"

static int not_report(const char *file, const char *why)
{
	return pops_error_set(POPS_EINVALID, "%s: not a pops eval JSON report (%s)", file, why);
}

static int check_summaries(pops_report_loaded *l, const char *file)
{
	const cJSON *s;
	size_t i = 0;

	cJSON_ArrayForEach(s, l->summaries)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "suite")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "model")))
			return not_report(file, "a summary has no \"suite\" or \"model\"");
	l->n = (size_t)cJSON_GetArraySize(l->summaries);
	if (!(l->groups = calloc(l->n + 1, sizeof(*l->groups))))
		return pops_error_oom();
	cJSON_ArrayForEach(s, l->summaries) {
		l->groups[i].summary = (cJSON *)s;
		if (!(l->groups[i++].spool = tmpfile()))
			return pops_error_os("temporary spool");
	}
	return 0;
}

static pops_report_group *group_of(pops_report_loaded *l, const char *suite, const char *model)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(pops_json_str(l->groups[i].summary, "suite", ""), suite) &&
		    !strcmp(pops_json_str(l->groups[i].summary, "model", ""), model))
			return &l->groups[i];
	return NULL;
}

/* write each case to its group's spool, freeing it as it goes */
static int spool_cases(pops_report_loaded *l, cJSON *cases, const char *file)
{
	cJSON *c;
	char *line;

	while ((c = cases->child) && cJSON_DetachItemViaPointer(cases, c)) {
		const char *suite = pops_json_str(c, "suite", ""), *model = pops_json_str(c, "model", "");
		pops_report_group *g = cJSON_IsObject(c) ? group_of(l, suite, model) : NULL;

		if (!g) {
			int e = pops_error_set(POPS_EINVALID, "%s: case '%s' names suite '%s' on '%s', "
			                       "which has no summary", file, pops_json_str(c, "id", "?"),
			                       suite, model);

			cJSON_Delete(c);
			return e;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(c, "suite");
		cJSON_DeleteItemFromObjectCaseSensitive(c, "model");
		line = cJSON_PrintUnformatted(c);
		cJSON_Delete(c);
		POPS_CHECK_ALLOC(line);
		if (fprintf(g->spool, "%s\n", line) < 0) {
			free(line);
			return pops_error_os("temporary spool");
		}
		free(line);
	}
	for (size_t i = 0; i < l->n; i++)
		if (fflush(l->groups[i].spool) != 0)
			return pops_error_os("temporary spool");
		else
			rewind(l->groups[i].spool);
	return 0;
}

int pops_report_load(pops_report_loaded *out, const char *data, size_t len, const char *file)
{
	cJSON *doc = cJSON_ParseWithLength(data, len), *cases;
	int error;

	if (!doc || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return not_report(file, "not a JSON object");
	}
	if (pops_json_num(doc, "schema_version", 0.0) != 1) {
		error = not_report(file, "no schema_version 1");
		goto done;
	}
	out->complete = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "complete"));
	cases = cJSON_GetObjectItemCaseSensitive(doc, "cases");
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "summary")) || !cJSON_IsArray(cases)) {
		error = not_report(file, "no \"summary\" and \"cases\" arrays");
		goto done;
	}
	out->summaries = cJSON_DetachItemFromObjectCaseSensitive(doc, "summary");
	if ((error = check_summaries(out, file)) == 0 && cases->child)
		error = spool_cases(out, cases, file);
done:
	cJSON_Delete(doc);
	return error;
}

void pops_report_loaded_dispose(pops_report_loaded *l)
{
	for (size_t i = 0; l->groups && i < l->n; i++)
		if (l->groups[i].spool)
			fclose(l->groups[i].spool);
	free(l->groups);
	cJSON_Delete(l->summaries);
	memset(l, 0, sizeof(*l));
	l->complete = 1;
}

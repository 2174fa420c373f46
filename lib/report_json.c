#include "common.h"
#include "report.h"

/*
 * {"schema_version":1,"complete":bool,"summary":[groups...],<extra keys>,
 *  "cases":[records, each with "suite" and "model" added]}
 * The cases array is streamed from the spools. Every string is made
 * valid UTF-8 on the way out, so the report loads whatever a model said.
 */
int pops_report_json(const char *path, const pops_report_group *g, size_t n,
                     int complete, const cJSON *extra)
{
	pops_report_file rf;
	pops_buf line = POPS_BUF_INIT;
	cJSON *rec = NULL, *sums = NULL;
	const cJSON *it;
	char *s = NULL;
	size_t i;
	int error, r, first = 1;

	if ((error = pops_report_file_open(&rf, path)) < 0)
		return error;
	if (!(sums = cJSON_CreateArray())) {
		error = pops_error_oom();
		goto done;
	}
	/* copies: making names valid UTF-8 must not touch the caller's summaries */
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(sums, cJSON_Duplicate(g[i].summary, 1));
	if (pops_report_utf8_fix(sums) < 0 || !(s = cJSON_PrintUnformatted(sums))) {
		error = pops_error_oom();
		goto done;
	}
	fprintf(rf.f, "{\"schema_version\":1,\"complete\":%s,\"summary\":%s",
	        complete ? "true" : "false", s);
	free(s);
	s = NULL;
	if (extra)
		cJSON_ArrayForEach(it, extra) {
			cJSON *copy = cJSON_Duplicate(it, 1);

			if (!copy || pops_report_utf8_fix(copy) < 0 ||
			    !(s = cJSON_PrintUnformatted(copy))) {
				cJSON_Delete(copy);
				error = pops_error_oom();
				goto done;
			}
			cJSON_Delete(copy);
			fprintf(rf.f, ",\"%s\":%s", it->string, s);
			free(s);
			s = NULL;
		}
	fputs(",\"cases\":[", rf.f);
	for (i = 0; i < n; i++) {
		const cJSON *sum = g[i].summary;

		rewind(g[i].spool);
		while ((r = pops_report_spool_next(g[i].spool, &rec, &line)) == 1) {
			cJSON_AddItemToObject(rec, "suite", cJSON_Duplicate(
			    cJSON_GetObjectItemCaseSensitive(sum, "suite"), 1));
			cJSON_AddItemToObject(rec, "model", cJSON_Duplicate(
			    cJSON_GetObjectItemCaseSensitive(sum, "model"), 1));
			/* the model's output, a judge's reasoning: any bytes */
			if (pops_report_utf8_fix(rec) < 0 || !(s = cJSON_PrintUnformatted(rec))) {
				error = pops_error_oom();
				goto done;
			}
			fprintf(rf.f, "%s\n%s", first ? "" : ",", s);
			first = 0;
			free(s);
			s = NULL;
		}
		if (r < 0) {
			error = r;
			goto done;
		}
	}
	fputs("]}\n", rf.f);
	error = pops_report_file_finish(&rf, NULL);
done:
	if (error < 0)
		pops_report_file_abort(&rf);
	free(s);
	cJSON_Delete(rec);
	cJSON_Delete(sums);
	pops_buf_dispose(&line);
	return error;
}

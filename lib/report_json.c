#include "common.h"
#include "report.h"

/*
 * {"schema_version":1,"complete":bool,"summary":[groups...],<extra keys>,
 *  "cases":[records, each with "suite" and "model" added]}
 * The cases array is streamed from the spools.
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
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		cJSON_AddItemReferenceToArray(sums, g[i].summary);
	if (!(s = cJSON_PrintUnformatted(sums))) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	fprintf(rf.f, "{\"schema_version\":1,\"complete\":%s,\"summary\":%s",
	        complete ? "true" : "false", s);
	free(s);
	s = NULL;
	if (extra)
		cJSON_ArrayForEach(it, extra) {
			if (!(s = cJSON_PrintUnformatted(it))) {
				error = pops_error_set(POPS_ERROR, "out of memory");
				goto done;
			}
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
			if (!(s = cJSON_PrintUnformatted(rec))) {
				error = pops_error_set(POPS_ERROR, "out of memory");
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

#include "unit.h"
#include <unistd.h>
#include "fileio.h"
#include "report.h"

TEST(json_report_streams_cases_of_every_group)
{
	pops_report_group g[2];
	pops_buf doc = POPS_BUF_INIT;
	char path[] = "/tmp/pops-json-XXXXXX";
	cJSON *d, *extra = cJSON_Parse("{\"interrupted\":false}");
	int fd = mkstemp(path), i;

	CHECK(fd >= 0);
	close(fd);
	for (i = 0; i < 2; i++) {
		g[i].summary = cJSON_CreateObject();
		cJSON_AddStringToObject(g[i].summary, "suite", "s.yaml");
		cJSON_AddStringToObject(g[i].summary, "model", i ? "b" : "a");
		g[i].spool = tmpfile();
		fprintf(g[i].spool, "{\"id\":\"x\",\"status\":\"pass\"}\n{\"id\":\"y\",\"status\":\"fail\"}\n");
	}
	CHECK_INT(pops_report_json(path, g, 2, 0, extra), 0);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	d = cJSON_Parse(doc.ptr);
	CHECK(d);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(d, "complete")));
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(d, "interrupted")));
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(d, "summary")), 2);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(d, "cases")), 4);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "cases"), 3),
	                              "model")->valuestring, "b");
	cJSON_Delete(d);
	for (i = 0; i < 2; i++) {
		fclose(g[i].spool);
		cJSON_Delete(g[i].summary);
	}
	cJSON_Delete(extra);
	unlink(path);
	pops_buf_dispose(&doc);
}

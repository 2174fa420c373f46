#include "unit.h"
#include <unistd.h>
#include "fileio.h"
#include "report_load.h"

TEST(report_load_rebuilds_the_groups_of_a_json_report)
{
	pops_report_group g[2];
	pops_report_loaded l = POPS_REPORT_LOADED_INIT;
	pops_buf doc = POPS_BUF_INIT, line = POPS_BUF_INIT;
	char path[] = "/tmp/pops-load-XXXXXX";
	cJSON *rec = NULL;
	int fd = mkstemp(path), i;

	CHECK(fd >= 0);
	close(fd);
	g[0].summary = cJSON_Parse("{\"suite\":\"a.yaml\",\"model\":\"m\",\"cases\":2}");
	g[1].summary = cJSON_Parse("{\"suite\":\"a.yaml\",\"model\":\"n\",\"cases\":1}");
	for (i = 0; i < 2; i++)
		g[i].spool = tmpfile();
	fputs("{\"id\":\"one\",\"status\":\"pass\"}\n{\"id\":\"two\",\"status\":\"fail\"}\n", g[0].spool);
	fputs("{\"id\":\"one\",\"status\":\"error\"}\n", g[1].spool);
	CHECK_INT(pops_report_json(path, g, 2, 0, NULL), 0);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	CHECK_INT(pops_report_load(&l, doc.ptr, doc.size, path), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(l.complete, 0);
	CHECK_STR(cJSON_GetObjectItem(l.groups[1].summary, "model")->valuestring, "n");
	CHECK_INT(pops_report_spool_next(l.groups[0].spool, &rec, &line), 1);
	CHECK_STR(line.ptr, "{\"id\":\"one\",\"status\":\"pass\"}");
	CHECK_INT(pops_report_spool_next(l.groups[0].spool, &rec, &line), 1);
	CHECK_STR(cJSON_GetObjectItem(rec, "id")->valuestring, "two");
	CHECK_INT(pops_report_spool_next(l.groups[0].spool, &rec, &line), 0);
	CHECK_INT(pops_report_spool_next(l.groups[1].spool, &rec, &line), 1);
	CHECK_STR(line.ptr, "{\"id\":\"one\",\"status\":\"error\"}");
	pops_report_loaded_dispose(&l);
	for (i = 0; i < 2; i++) {
		fclose(g[i].spool);
		cJSON_Delete(g[i].summary);
	}
	cJSON_Delete(rec);
	unlink(path);
	pops_buf_dispose(&doc);
	pops_buf_dispose(&line);
}

static int load(const char *json)
{
	pops_report_loaded l = POPS_REPORT_LOADED_INIT;
	int error = pops_report_load(&l, json, strlen(json), "r.json");

	pops_report_loaded_dispose(&l);
	return error;
}

TEST(report_load_names_what_is_wrong)
{
	CHECK_INT(load("[1]"), POPS_EINVALID);
	CHECK_ERR_HAS("r.json: not a pops eval JSON report (not a JSON object)");
	CHECK_INT(load("{\"schema_version\":2,\"summary\":[],\"cases\":[]}"), POPS_EINVALID);
	CHECK_ERR_HAS("no schema_version 1");
	CHECK_INT(load("{\"schema_version\":1,\"summary\":[]}"), POPS_EINVALID);
	CHECK_ERR_HAS("no \"summary\" and \"cases\" arrays");
	CHECK_INT(load("{\"schema_version\":1,\"summary\":[{\"suite\":\"a\"}],\"cases\":[]}"), POPS_EINVALID);
	CHECK_ERR_HAS("a summary has no \"suite\" or \"model\"");
	CHECK_INT(load("{\"schema_version\":1,\"summary\":[{\"suite\":\"a\",\"model\":\"m\"}],"
	               "\"cases\":[{\"id\":\"z\",\"suite\":\"a\",\"model\":\"q\"}]}"), POPS_EINVALID);
	CHECK_ERR_HAS("r.json: case 'z' names suite 'a' on 'q', which has no summary");
	CHECK_INT(load("{\"schema_version\":1,\"summary\":[],\"cases\":[]}"), 0);
}

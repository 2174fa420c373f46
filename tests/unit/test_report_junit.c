#include "unit.h"
#include <unistd.h>
#include "exec.h"
#include "fileio.h"
#include "report.h"

#define XSD "tests/data/junit.xsd"

static FILE *spool_of(const char *const *lines)
{
	FILE *f = tmpfile();

	for (; f && *lines; lines++)
		fprintf(f, "%s\n", *lines);
	return f;
}

static int xmllint(const char *path, pops_buf *out)
{
	char *argv[] = { "xmllint", "--noout", "--schema", XSD, (char *)path, NULL };
	int status = -1;

	if (pops_exec_run(&status, out, argv, "", 0, 20000, 65536, NULL) < 0)
		return -1;
	return status;
}

TEST(junit_from_hostile_output_validates_against_xsd)
{
	static const char *const recs[] = {
		"{\"id\":\"c1\",\"repeat\":0,\"status\":\"pass\",\"output\":\"ok\",\"asserts\":[],\"latency_ms\":12}",
		"{\"id\":\"c<2>\",\"repeat\":0,\"status\":\"fail\",\"output\":\"bad \\u0001\\u0002\\u001b]]><x/>\xff\xfe\","
		"\"asserts\":[{\"type\":\"contains\",\"pass\":false,\"reason\":\"output does not contain 'x'\\nsecond\"},"
		"{\"type\":\"regex\",\"pass\":false,\"reason\":\"no\"}],\"latency_ms\":1500}",
		"{\"id\":\"c3\",\"repeat\":0,\"status\":\"error\",\"error\":\"provider: HTTP 500 after 3 attempts\","
		"\"asserts\":[],\"latency_ms\":3}",
		NULL
	};
	pops_report_group g;
	pops_buf out = POPS_BUF_INIT, xml = POPS_BUF_INIT;
	char path[] = "/tmp/pops-junit-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	g.summary = cJSON_Parse("{\"suite\":\"evals/s.yaml\",\"prompt\":\"p\",\"model\":\"fast\","
	                        "\"cases\":3,\"passed\":1,\"failed\":1,\"errors\":1,\"repeat\":1,"
	                        "\"pass_rate\":0.5,\"verdict\":\"fail\",\"duration_s\":1.5}");
	g.spool = spool_of(recs);
	CHECK(g.spool);
	CHECK_INT(pops_report_junit(path, &g, 1, 1), 0);
	CHECK_INT(pops_file_read(&xml, path, 0), 0);
	CHECK(strstr(xml.ptr, "<failure message=\"output does not contain &apos;x&apos; (and 1 more)\"") ||
	      strstr(xml.ptr, "<failure message=\"output does not contain 'x' (and 1 more)\""));
	CHECK(strstr(xml.ptr, "<error message=\"provider: HTTP 500 after 3 attempts\""));
	CHECK(strstr(xml.ptr, "name=\"c&lt;2&gt;\""));
	CHECK(strstr(xml.ptr, "tests=\"3\" failures=\"1\" errors=\"1\""));
	CHECK(!strstr(xml.ptr, "CDATA"));
	CHECK(strstr(xml.ptr, "<system-out>bad ]]&gt;&lt;x/&gt;\xef\xbf\xbd\xef\xbf\xbd</system-out>"));
	CHECK_INT(xmllint(path, &out), 0);
	/* incomplete runs say so and still validate */
	CHECK_INT(pops_report_junit(path, &g, 1, 0), 0);
	CHECK_INT(xmllint(path, &out), 0);
	CHECK_INT(pops_report_md(path, &g, 1, 0), 0);
	CHECK_INT(pops_file_read(&xml, path, 0), 0);
	CHECK(strstr(xml.ptr, "Incomplete run"));
	CHECK(strstr(xml.ptr, "| c<2> | fail | output does not contain 'x' |"));
	CHECK_INT(pops_report_json(path, &g, 1, 1, NULL), 0);
	CHECK_INT(pops_file_read(&xml, path, 0), 0);
	{
		cJSON *doc = cJSON_Parse(xml.ptr);

		CHECK(doc);
		CHECK_INT(cJSON_GetObjectItem(doc, "schema_version")->valueint, 1);
		CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "cases")), 3);
		CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "cases"), 1),
		                              "suite")->valuestring, "evals/s.yaml");
		cJSON_Delete(doc);
	}
	unlink(path);
	fclose(g.spool);
	cJSON_Delete(g.summary);
	pops_buf_dispose(&out);
	pops_buf_dispose(&xml);
}


TEST(junit_properties_carry_ttft_and_the_cached_input_share_when_the_summary_has_them)
{
	pops_report_group g;
	pops_buf doc = POPS_BUF_INIT;
	char path[] = "/tmp/pops-junit-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	g.summary = cJSON_Parse("{\"suite\":\"s.yaml\",\"model\":\"m\",\"ttft_p50\":120,\"ttft_p95\":340,"
	                        "\"cached_input_share\":0.25}");
	g.spool = tmpfile();
	CHECK_INT(pops_report_junit(path, &g, 1, 1), 0);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	CHECK(strstr(doc.ptr, "<property name=\"ttft_p50\" value=\"120\"/>"));
	CHECK(strstr(doc.ptr, "<property name=\"ttft_p95\" value=\"340\"/>"));
	CHECK(strstr(doc.ptr, "<property name=\"cached_input_share\" value=\"0.25\"/>"));
	cJSON_Delete(g.summary);
	g.summary = cJSON_Parse("{\"suite\":\"s.yaml\",\"model\":\"m\"}");
	CHECK_INT(pops_report_junit(path, &g, 1, 1), 0);
	pops_buf_clear(&doc);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	CHECK(!strstr(doc.ptr, "ttft") && !strstr(doc.ptr, "cached_input_share"));
	fclose(g.spool);
	cJSON_Delete(g.summary);
	unlink(path);
	pops_buf_dispose(&doc);
}

#include "unit.h"
#include <unistd.h>
#include "fileio.h"
#include "report.h"

TEST(markdown_puts_failing_groups_first_and_escapes_cells)
{
	pops_report_group g[2];
	pops_buf doc = POPS_BUF_INIT;
	char path[] = "/tmp/pops-md-XXXXXX";
	int fd = mkstemp(path), i;
	char *bad, *good;

	CHECK(fd >= 0);
	close(fd);
	g[0].summary = cJSON_Parse("{\"suite\":\"good.yaml\",\"model\":\"a\",\"verdict\":\"pass\","
	                           "\"cases\":1,\"passed\":1,\"pass_rate\":1,\"cost_usd\":0.5}");
	g[1].summary = cJSON_Parse("{\"suite\":\"bad.yaml\",\"model\":\"a\",\"verdict\":\"fail\","
	                           "\"cases\":1,\"failed\":1,\"reason\":\"pass rate 0.0% is below 90.0%\"}");
	for (i = 0; i < 2; i++)
		g[i].spool = tmpfile();
	fprintf(g[1].spool, "{\"id\":\"c|1\",\"status\":\"fail\",\"asserts\":[{\"type\":\"contains\","
	        "\"pass\":false,\"reason\":\"no \\u001b[31mred\"}]}\n");
	CHECK_INT(pops_report_md(path, g, 2, 1), 0);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	bad = strstr(doc.ptr, "bad.yaml");
	good = strstr(doc.ptr, "good.yaml");
	CHECK(bad && good && bad < good);
	CHECK(strstr(doc.ptr, "| c\\|1 | fail | no ?[31mred |"));
	CHECK(strstr(doc.ptr, "unpriced"));
	CHECK(strstr(doc.ptr, "$0.5000"));
	CHECK(!strstr(doc.ptr, "Incomplete"));
	for (i = 0; i < 2; i++) {
		fclose(g[i].spool);
		cJSON_Delete(g[i].summary);
	}
	unlink(path);
	pops_buf_dispose(&doc);
}

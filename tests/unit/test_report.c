#include "unit.h"
#include "report.h"

#include <sys/stat.h>

TEST(xml_escape_strips_what_xml_forbids)
{
	pops_buf b = POPS_BUF_INIT;

	pops_report_xml_escape(&b, "a\0b\x01<&>\"\xff\xc3\xa9\x1b[31m\n", 17, 0);
	CHECK_STR(b.ptr, "ab&lt;&amp;&gt;\"\xef\xbf\xbd\xc3\xa9[31m\n");
	pops_buf_clear(&b);
	pops_report_xml_escape(&b, "x\"\ny\xef\xbf\xbe", 7, 1);
	CHECK_STR(b.ptr, "x&quot;&#10;y");
	pops_buf_clear(&b);
	/* a CDATA terminator in model output is plain text, escaped */
	pops_report_xml_escape(&b, "]]>", 3, 0);
	CHECK_STR(b.ptr, "]]&gt;");
	pops_buf_dispose(&b);
}

TEST(report_write_failure_leaves_nothing)
{
	pops_report_group g = { NULL, NULL };

	g.summary = cJSON_Parse("{}");
	g.spool = tmpfile();
	CHECK_INT(pops_report_junit("/nonexistent-dir/r.xml", &g, 1, 1), POPS_ERROR);
	CHECK_ERR_HAS("/nonexistent-dir/r.xml");
	fclose(g.spool);
	cJSON_Delete(g.summary);
}

TEST(report_to_a_full_device_fails_and_leaves_the_device_alone)
{
	pops_report_group g = { NULL, NULL };
	struct stat st;

	g.summary = cJSON_Parse("{\"suite\":\"s\",\"cases\":1}");
	g.spool = tmpfile();
	/* renaming a temporary over /dev/full would replace the device (as root) */
	CHECK_INT(pops_report_junit("/dev/full", &g, 1, 1), POPS_ERROR);
	CHECK_ERR_HAS("/dev/full");
	CHECK_INT(pops_report_json("/dev/full", &g, 1, 1, NULL), POPS_ERROR);
	CHECK_INT(pops_report_md("/dev/full", &g, 1, 1), POPS_ERROR);
	CHECK(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode));
	/* a device that takes the bytes is written in place */
	CHECK_INT(pops_report_junit("/dev/null", &g, 1, 1), 0);
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
	fclose(g.spool);
	cJSON_Delete(g.summary);
}

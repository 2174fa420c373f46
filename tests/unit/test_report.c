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

TEST(utf8_fix_replaces_invalid_sequences_in_strings_and_keys)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "a");
	char *s;

	cJSON_AddStringToObject(o, "out", "ok \xff\xfe \xc0\x80 \xed\xa0\x80 \xe2\x82\xac end \xe2\x82");
	cJSON_AddItemToArray(a, cJSON_CreateString("x\x80"));
	cJSON_AddStringToObject(o, "k\xff", "v");
	CHECK_INT(pops_report_utf8_fix(o), 0);
	s = cJSON_PrintUnformatted(o);
	CHECK_STR(s, "{\"a\":[\"x\xef\xbf\xbd\"],"
	             "\"out\":\"ok \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
	             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xe2\x82\xac end \xef\xbf\xbd\xef\xbf\xbd\","
	             "\"k\xef\xbf\xbd\":\"v\"}");
	free(s);
	cJSON_Delete(o);
}

#include "common.h"
#include "fuzz.h"
#include "report.h"
#include "fileio.h"
#include "strutil.h"

#include <unistd.h>

/*
 * JUnit must stay well-formed XML whatever a model printed. The input is
 * escaped as text and as an attribute and checked: valid UTF-8, no
 * markup characters, no character XML 1.0 forbids. Then it goes through
 * the whole JUnit writer as a case's id, output, error and reason, and
 * the file is checked the same way.
 */

static void check_xml_text(const char *s, size_t len, int attr)
{
	size_t i, bad;

	assert(pops_utf8_valid(s, len, &bad));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		assert(c != '<' && c != '>');
		assert(c >= 0x20 || c == '\n' || c == '\t');
		if (attr)
			assert(c != '"' && c != '\n' && c != '\t');
		if (c == '&')
			assert(!strncmp(s + i, "&amp;", 5) || !strncmp(s + i, "&lt;", 4) ||
			       !strncmp(s + i, "&gt;", 4) || !strncmp(s + i, "&quot;", 6) ||
			       !strncmp(s + i, "&#9;", 4) || !strncmp(s + i, "&#10;", 5) ||
			       !strncmp(s + i, "&#13;", 5));
		/* U+FFFE and U+FFFF (EF BF BE / EF BF BF) */
		if (c == 0xef && i + 2 < len)
			assert(!((unsigned char)s[i + 1] == 0xbf &&
			         ((unsigned char)s[i + 2] == 0xbe || (unsigned char)s[i + 2] == 0xbf)));
	}
}

/* the whole file: valid UTF-8 and only characters XML allows */
static void check_xml_file(const char *s, size_t len)
{
	size_t i, bad;

	assert(pops_utf8_valid(s, len, &bad));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		assert(c >= 0x20 || c == '\n' || c == '\t' || c == '\r');
	}
	assert(len > 14 && !memcmp(s + len - 14, "</testsuites>\n", 14));
}

POPS_FUZZ_TARGET(junit)
{
	pops_buf b = POPS_BUF_INIT, path = POPS_BUF_INIT, xml = POPS_BUF_INIT;
	pops_report_group g = { NULL, NULL };
	cJSON *rec = cJSON_CreateObject(), *as, *a;
	char *copy = fuzz_copy(data, size), *line;
	const char *tmp = getenv("TMPDIR");

	pops_report_xml_escape(&b, copy, size, 0);
	check_xml_text(b.ptr, b.size, 0);
	pops_buf_clear(&b);
	pops_report_xml_escape(&b, copy, size, 1);
	check_xml_text(b.ptr, b.size, 1);

	/* cJSON strings stop at a NUL: the writer sees what a spool can hold */
	g.summary = cJSON_CreateObject();
	cJSON_AddStringToObject(g.summary, "suite", copy);
	cJSON_AddStringToObject(g.summary, "prompt", copy);
	cJSON_AddStringToObject(g.summary, "model", copy);
	cJSON_AddNumberToObject(g.summary, "cases", 3);
	cJSON_AddNumberToObject(g.summary, "repeat", 2);
	cJSON_AddStringToObject(rec, "id", copy);
	cJSON_AddStringToObject(rec, "status", "fail");
	cJSON_AddStringToObject(rec, "output", copy);
	as = cJSON_AddArrayToObject(rec, "asserts");
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "type", copy);
	cJSON_AddFalseToObject(a, "pass");
	cJSON_AddStringToObject(a, "reason", copy);
	cJSON_AddItemToArray(as, a);
	g.spool = tmpfile();
	assert(g.spool);
	line = cJSON_PrintUnformatted(rec);
	fprintf(g.spool, "%s\n", line);
	cJSON_ReplaceItemInObject(rec, "status", cJSON_CreateString("error"));
	cJSON_AddStringToObject(rec, "error", copy);
	free(line);
	line = cJSON_PrintUnformatted(rec);
	fprintf(g.spool, "%s\n", line);
	cJSON_ReplaceItemInObject(rec, "status", cJSON_CreateString("pass"));
	free(line);
	line = cJSON_PrintUnformatted(rec);
	fprintf(g.spool, "%s\n", line);
	free(line);

	pops_buf_printf(&path, "%s/pops-fuzz-junit-%ld.xml", tmp && *tmp ? tmp : "/tmp",
	                (long)getpid());
	if (pops_report_junit(path.ptr, &g, 1, size & 1) == 0) {
		if (pops_file_read(&xml, path.ptr, 0) == 0)
			check_xml_file(xml.ptr, xml.size);
		unlink(path.ptr);
	}
	fclose(g.spool);
	cJSON_Delete(g.summary);
	cJSON_Delete(rec);
	pops_buf_dispose(&xml);
	pops_buf_dispose(&path);
	pops_buf_dispose(&b);
	free(copy);
	return 0;
}

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

/* groups of one summary and spool lines each */
static void md_group(pops_report_group *g, const char *summary, const char *rec, size_t nrec)
{
	g->summary = cJSON_Parse(summary);
	g->spool = tmpfile();
	for (size_t i = 0; i < nrec; i++)
		fprintf(g->spool, rec, i);
}

TEST(markdown_starts_with_the_verdict_then_the_marker_and_links_the_html_report)
{
	pops_report_group g[3];
	pops_buf b = POPS_BUF_INIT;
	const char *d;
	int i;

	md_group(&g[0], "{\"suite\":\"evals/a.yaml\",\"model\":\"m\",\"verdict\":\"pass\",\"cases\":1}", "", 0);
	md_group(&g[1], "{\"suite\":\"evals/triage.yaml\",\"model\":\"m\",\"verdict\":\"fail\",\"cases\":2,"
	         "\"failed\":2,\"baseline\":{\"ref\":\"prod\",\"paired\":2,\"newly_failing\":2,"
	         "\"newly_passing\":0,\"p_value\":0.5,\"verdict\":\"no significant change\"}}",
	         "{\"id\":\"t%zu\",\"status\":\"fail\",\"asserts\":[{\"pass\":false,\"reason\":\"bad\"}]}\n", 2);
	md_group(&g[2], "{\"suite\":\"evals/c.yaml\",\"model\":\"m\",\"verdict\":\"pass\",\"cases\":1}", "", 0);
	CHECK_INT(pops_report_md_render(&b, g, 3, 1, "https://ci.example/r/report.html#x y", 0), 0);
	CHECK(!strncmp(b.ptr, "❌ 1 of 3 suites failed: evals/triage.yaml\n" POPS_REPORT_MD_MARKER "\n", 
	               strlen("❌ 1 of 3 suites failed: evals/triage.yaml\n" POPS_REPORT_MD_MARKER "\n")));
	CHECK(strstr(b.ptr, "[Full report (HTML)](<https://ci.example/r/report.html#x%20y>)"));
	/* a table per suite, the failing one first */
	CHECK(strstr(b.ptr, "### ❌ evals/triage.yaml") < strstr(b.ptr, "### ✅ evals/a.yaml"));
	CHECK(strstr(b.ptr, "| evals/triage.yaml | m | ❌ fail | 0.0% |") ||
	      strstr(b.ptr, "| evals/triage.yaml | m | ❌ fail | - |"));
	d = strstr(b.ptr, "<details><summary>2 failing, 0 errored: evals/triage.yaml on m</summary>");
	CHECK(d && strstr(d, "| t1 | fail | bad |") && strstr(d, "</details>"));
	CHECK(strstr(b.ptr, "<details><summary>Flips against prod: 2 newly failing, 0 newly passing</summary>"));
	/* as many opened as closed */
	{
		size_t open = 0, close = 0;

		for (d = b.ptr; (d = strstr(d, "<details>")); d++)
			open++;
		for (d = b.ptr; (d = strstr(d, "</details>")); d++)
			close++;
		CHECK_INT(open, 2);
		CHECK_INT(close, 2);
	}
	pops_buf_clear(&b);
	CHECK_INT(pops_report_md_render(&b, g, 1, 1, NULL, 0), 0);
	CHECK(!strncmp(b.ptr, "✅ 1 suite passed\n", strlen("✅ 1 suite passed\n")));
	CHECK(!strstr(b.ptr, "Full report"));
	for (i = 0; i < 3; i++) {
		fclose(g[i].spool);
		cJSON_Delete(g[i].summary);
	}
	pops_buf_dispose(&b);
}

TEST(markdown_past_its_limit_is_cut_at_a_row_with_details_closed_and_a_note)
{
	pops_report_group g[3];
	pops_buf b = POPS_BUF_INIT;
	char *last;
	int i;

	for (i = 0; i < 3; i++) {
		char s[200];

		snprintf(s, sizeof(s), "{\"suite\":\"evals/s%d.yaml\",\"model\":\"m\",\"verdict\":\"fail\","
		         "\"cases\":25,\"failed\":25}", i);
		md_group(&g[i], s, "{\"id\":\"case-%zu\",\"status\":\"fail\",\"asserts\":[{\"pass\":false,"
		         "\"reason\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}]}\n", 25);
	}
	CHECK_INT(pops_report_md_render(&b, g, 3, 1, NULL, 4000), 0);
	CHECK(b.size <= 4000);
	CHECK(strstr(b.ptr, "**Truncated**: "));
	CHECK(strstr(b.ptr, "rows not shown"));
	/* the last row before the close is whole */
	last = strstr(b.ptr, "\n</details>\n");
	CHECK(last && last[-1] == '\n' && last[-2] == '|');
	CHECK(!strstr(last + 1, "<details>"));
	pops_buf_clear(&b);
	/* the default is GitHub's comment limit: 3 x 25 long rows fit, nothing cut */
	CHECK_INT(pops_report_md_render(&b, g, 3, 1, NULL, 0), 0);
	CHECK(b.size <= POPS_REPORT_MD_MAX && !strstr(b.ptr, "Truncated"));
	for (i = 0; i < 3; i++) {
		fclose(g[i].spool);
		cJSON_Delete(g[i].summary);
	}
	pops_buf_dispose(&b);
}

TEST(markdown_names_at_most_20_flipped_cases_and_counts_the_rest)
{
	pops_report_group g;
	pops_buf doc = POPS_BUF_INIT, sum = POPS_BUF_INIT;
	int i;

	pops_buf_puts(&sum, "{\"suite\":\"s.yaml\",\"model\":\"a\",\"verdict\":\"fail\",\"cases\":30,"
	                    "\"baseline\":{\"ref\":\"prod\",\"paired\":30,\"newly_failing\":24,"
	                    "\"newly_passing\":1,\"flips_count\":25,\"flips\":[");
	for (i = 0; i < 25; i++)
		pops_buf_printf(&sum, "%s{\"id\":\"c|%d\",\"repeat\":%d,\"from\":\"%s\",\"to\":\"%s\"}",
		                i ? "," : "", i, i == 1 ? 1 : 0, i ? "pass" : "fail", i ? "fail" : "pass");
	pops_buf_puts(&sum, "]}}");
	md_group(&g, sum.ptr, "", 0);
	CHECK_INT(pops_report_md_render(&doc, &g, 1, 1, NULL, 0), 0);
	CHECK(strstr(doc.ptr, "| pass → fail | 24 | 30 |"));
	CHECK(strstr(doc.ptr, "| case | flip |\n|---|---|\n| c\\|0 | fail → pass |\n"
	                      "| c\\|1 (repeat 2) | pass → fail |\n"));
	CHECK(strstr(doc.ptr, "| c\\|19 | pass → fail |"));
	CHECK(!strstr(doc.ptr, "c\\|20"));
	CHECK(strstr(doc.ptr, "\nand 5 more.\n"));
	fclose(g.spool);
	cJSON_Delete(g.summary);
	/* a report from before the list: the counts and a pointer to the JSON report */
	md_group(&g, "{\"suite\":\"s.yaml\",\"model\":\"a\",\"verdict\":\"fail\",\"baseline\":{\"ref\":"
	         "\"prod\",\"paired\":3,\"newly_failing\":1}}", "", 0);
	pops_buf_clear(&doc);
	CHECK_INT(pops_report_md_render(&doc, &g, 1, 1, NULL, 0), 0);
	CHECK(strstr(doc.ptr, "The JSON report's cases and the baseline's evidence name them."));
	CHECK(!strstr(doc.ptr, "| case | flip |"));
	fclose(g.spool);
	cJSON_Delete(g.summary);
	pops_buf_dispose(&doc);
	pops_buf_dispose(&sum);
}

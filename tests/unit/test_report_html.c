#include "unit.h"
#include <unistd.h>
#include "fileio.h"
#include "report_html.h"
#include "report_html_int.h"

/* write the HTML report of `n` groups to a temporary file and read it into `doc` */
static void render(pops_buf *doc, pops_report_group *g, size_t n, int complete)
{
	char path[] = "/tmp/pops-html-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(pops_report_html(path, g, n, complete), 0);
	pops_buf_clear(doc);
	CHECK_INT(pops_file_read(doc, path, 0), 0);
	unlink(path);
}

static void group(pops_report_group *g, const char *summary, const char *records)
{
	g->summary = cJSON_Parse(summary);
	CHECK(g->summary != NULL);
	g->spool = tmpfile();
	CHECK(g->spool != NULL);
	fputs(records, g->spool);
	fflush(g->spool);
}

static void ungroup(pops_report_group *g)
{
	fclose(g->spool);
	cJSON_Delete(g->summary);
}

TEST(html_report_escapes_model_output_and_keeps_data_out_of_the_script)
{
	pops_report_group g;
	pops_buf doc = POPS_BUF_INIT;
	const char *script;

	group(&g, "{\"suite\":\"evals/sum.yaml\",\"model\":\"fast\",\"verdict\":\"fail\",\"cases\":1,"
	          "\"failed\":1,\"pass_rate\":0,\"threshold\":0.9}",
	      "{\"id\":\"x\\\"><b>\",\"repeat\":0,\"status\":\"fail\",\"output\":\"</script><script>"
	      "alert(1)</script><img src=x onerror=alert(1)>\",\"asserts\":[{\"type\":\"contains\","
	      "\"pass\":false,\"reason\":\"no <b>apple</b>\"}]}\n");
	render(&doc, &g, 1, 0);
	CHECK(strstr(doc.ptr, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
	                      "onerror=alert(1)&gt;"));
	CHECK(!strstr(doc.ptr, "<img"));
	CHECK(!strstr(doc.ptr, "<b>"));
	CHECK(strstr(doc.ptr, "no &lt;b&gt;apple&lt;/b&gt;"));
	/* the id is percent-encoded: nothing of it can end the attribute */
	CHECK(strstr(doc.ptr, "id=\"sum/x%22%3E%3Cb%3E\""));
	/* one script, the last element: no data after it */
	script = strstr(doc.ptr, "<script>");
	CHECK(script && !strstr(script + 1, "<script"));
	CHECK(strstr(script, "</script>\n</body></html>\n"));
	CHECK(strstr(doc.ptr, "class=\"incomplete\""));
	CHECK(strstr(doc.ptr, "script-src 'sha256-"));
	ungroup(&g);
	pops_buf_dispose(&doc);
}

TEST(html_report_collapses_long_outputs_and_shows_judges_tools_and_classes)
{
	pops_report_group g;
	pops_buf doc = POPS_BUF_INIT, rec = POPS_BUF_INIT;
	int i;

	pops_buf_puts(&rec, "{\"id\":\"big\",\"repeat\":1,\"status\":\"pass\",\"output\":\"");
	for (i = 0; i < 5000; i++)
		pops_buf_putc(&rec, 'a');
	pops_buf_puts(&rec, "\",\"tool_calls\":[{\"name\":\"lookup\",\"arguments\":{\"q\":\"<x>\"}}],"
	                    "\"asserts\":[{\"type\":\"llm-rubric\",\"pass\":true,\"judges\":[{\"model\":"
	                    "\"j1\",\"pass\":true,\"score\":1,\"reason\":\"fine & good\"}]}],"
	                    "\"meta\":{\"team\":\"a\"}}\n");
	group(&g, "{\"suite\":\"c.yaml\",\"model\":\"m\",\"verdict\":\"pass\",\"classification\":"
	          "{\"accuracy\":0.5,\"labels\":[{\"label\":\"spam\",\"precision\":1,\"recall\":0.5,"
	          "\"f1\":0.667,\"support\":2}],\"confusion\":{\"labels\":[\"spam\",\"ham\"],"
	          "\"matrix\":[[1,1],[0,2]]}}}", rec.ptr);
	render(&doc, &g, 1, 1);
	CHECK(strstr(doc.ptr, "<details class=\"long\"><summary>output, 4.9 KB</summary>"));
	CHECK(strstr(doc.ptr, "id=\"c/big~2\""));
	CHECK(strstr(doc.ptr, "<code>lookup({&quot;q&quot;:&quot;&lt;x&gt;&quot;})</code>") ||
	      strstr(doc.ptr, "<code>lookup({\"q\":\"&lt;x&gt;\"})</code>"));
	CHECK(strstr(doc.ptr, "judge j1 (1.00): <span class=\"r\">fine &amp; good</span>"));
	CHECK(strstr(doc.ptr, "<td>spam</td><td class=\"num\">1.000</td><td class=\"num\">0.500</td>"));
	CHECK(strstr(doc.ptr, "<tr><th>ham</th><td class=\"num\">0</td><td class=\"num\">2</td></tr>"));
	CHECK(strstr(doc.ptr, "meta: <code>"));
	CHECK(!strstr(doc.ptr, "class=\"incomplete\""));
	ungroup(&g);
	pops_buf_dispose(&doc);
	pops_buf_dispose(&rec);
}

TEST(html_report_puts_several_models_in_one_matrix_with_flips)
{
	pops_report_group g[2];
	pops_buf doc = POPS_BUF_INIT;
	const char *row;

	group(&g[0], "{\"suite\":\"s.yaml\",\"model\":\"a\",\"verdict\":\"pass\"}",
	      "{\"id\":\"one\",\"repeat\":0,\"status\":\"pass\",\"output\":\"the red fox\"}\n"
	      "{\"id\":\"two\",\"repeat\":0,\"status\":\"pass\",\"output\":\"same\"}\n");
	/* other order, a case the first model lacks */
	group(&g[1], "{\"suite\":\"s.yaml\",\"model\":\"b\",\"verdict\":\"fail\"}",
	      "{\"id\":\"three\",\"repeat\":0,\"status\":\"error\",\"error\":\"boom\"}\n"
	      "{\"id\":\"two\",\"repeat\":0,\"status\":\"pass\",\"output\":\"same\"}\n"
	      "{\"id\":\"one\",\"repeat\":0,\"status\":\"fail\",\"output\":\"the blue fox\"}\n");
	render(&doc, g, 2, 1);
	CHECK(strstr(doc.ptr, "class=\"cases matrix\""));
	row = strstr(doc.ptr, "id=\"s/one\"");
	CHECK(row && strstr(doc.ptr, "<div class=\"case flip\" role=\"row\" id=\"s/one\" "
	                             "data-suite=\"s.yaml\" data-status=\"pass fail\" data-flip=\"1\""));
	CHECK(strstr(row, "the <del>red</del><ins>blue</ins> fox"));
	CHECK(strstr(doc.ptr, "id=\"s/two\" data-suite=\"s.yaml\" data-status=\"pass\" data-flip=\"0\""));
	row = strstr(doc.ptr, "id=\"s/three\"");
	CHECK(row && strstr(row, "not run"));
	CHECK(strstr(row, "boom"));
	/* each case once */
	CHECK(!strstr(strstr(doc.ptr, "id=\"s/two\"") + 1, "id=\"s/two\""));
	ungroup(&g[0]);
	ungroup(&g[1]);
	pops_buf_dispose(&doc);
}

TEST(html_report_marks_baseline_flips_and_diffs_the_old_output)
{
	pops_report_group g;
	pops_buf doc = POPS_BUF_INIT;
	const char *row, *end;

	group(&g, "{\"suite\":\"s.yaml\",\"model\":\"a\",\"verdict\":\"fail\",\"baseline\":{\"ref\":\"prod\","
	          "\"source\":\"run\",\"newly_failing\":1,\"newly_passing\":1,\"p_value\":1,"
	          "\"verdict\":\"no significant change\",\"flips\":[{\"id\":\"one\",\"repeat\":0,"
	          "\"from\":\"pass\",\"to\":\"fail\"},{\"id\":\"ev\",\"repeat\":0,\"from\":\"fail\","
	          "\"to\":\"pass\"}],\"flips_count\":3}}",
	      "{\"id\":\"one\",\"repeat\":0,\"status\":\"fail\",\"output\":\"the blue fox\","
	      "\"baseline\":{\"status\":\"pass\",\"output\":\"the red fox\",\"score\":1}}\n"
	      "{\"id\":\"two\",\"repeat\":0,\"status\":\"pass\",\"output\":\"same words\","
	      "\"baseline\":{\"status\":\"pass\",\"output\":\"other words\"}}\n"
	      "{\"id\":\"ev\",\"repeat\":0,\"status\":\"pass\",\"output\":\"x\","
	      "\"baseline\":{\"status\":\"fail\"}}\n"
	      "{\"id\":\"new\",\"repeat\":0,\"status\":\"fail\",\"output\":\"y\"}\n");
	render(&doc, &g, 1, 1);
	row = strstr(doc.ptr, "<div class=\"case flip\" role=\"row\" id=\"s/one\" data-suite=\"s.yaml\" "
	                      "data-status=\"fail\" data-flip=\"1\"");
	CHECK(row != NULL);
	end = strstr(row + 1, "<div class=\"case");
	CHECK(end != NULL);
	CHECK(strstr(row, "flip against the baseline") < end);
	CHECK(strstr(row, "baseline: <span class=\"st st-pass\">pass</span> <span class=\"flipmark\">"
	                  "pass → fail</span> · score 1.00") < end);
	/* the flip's diff is open, against the old output */
	CHECK(strstr(row, "<details class=\"diff\" open><summary>diff against the baseline prod</summary>"
	                  "<pre>the <del>red</del><ins>blue</ins> fox") < end);
	/* same verdict, other words: no flip, the diff there but closed */
	row = strstr(doc.ptr, "id=\"s/two\" data-suite=\"s.yaml\" data-status=\"pass\" data-flip=\"0\"");
	CHECK(row && strstr(row, "<details class=\"diff\"><summary>"));
	/* from evidence: the status, and a note that the old output is not known */
	row = strstr(doc.ptr, "id=\"s/ev\" data-suite=\"s.yaml\" data-status=\"pass\" data-flip=\"1\"");
	CHECK(row && strstr(row, "its output is not in this report"));
	CHECK(strstr(doc.ptr, "id=\"s/new\" data-suite=\"s.yaml\" data-status=\"fail\" data-flip=\"0\""));
	/* the group's notes link the flips it names and count the rest */
	CHECK(strstr(doc.ptr, "flipped: <a href=\"#s/one\">one</a> <span class=\"muted\">pass → fail"
	                      "</span>, <a href=\"#s/ev\">ev</a>"));
	CHECK(strstr(doc.ptr, " and 1 more</p>"));
	ungroup(&g);
	pops_buf_dispose(&doc);
}

TEST(html_fragments_and_word_diffs)
{
	pops_buf b = POPS_BUF_INIT;

	pops_html__frag(&b, "a b", "x/y\xc3\xa9&", 3);
	CHECK_STR(b.ptr, "a%20b/x/y%C3%A9%26~3");
	pops_buf_clear(&b);
	pops_html__diff(&b, "keep <old> words", "keep new words too");
	CHECK_STR(b.ptr, "keep <del>&lt;old&gt;</del><ins>new</ins> words<ins> too</ins>");
	pops_buf_clear(&b);
	pops_html__diff(&b, "same", "same");
	CHECK_STR(b.ptr, "same");
	pops_buf_dispose(&b);
}

TEST(html_report_fails_whole_on_a_full_disk_or_a_damaged_spool)
{
	pops_report_group g;

	group(&g, "{\"suite\":\"s\",\"model\":\"m\"}", "{\"id\":\"a\",\"status\":\"pass\"}\n");
	CHECK_INT(pops_report_html("/dev/full", &g, 1, 1), POPS_ERROR);
	CHECK_INT(pops_report_html("/nonexistent-dir/r.html", &g, 1, 1), POPS_ERROR);
	ungroup(&g);
	group(&g, "{\"suite\":\"s\",\"model\":\"m\"}", "{\"id\":\"a\",\n");
	CHECK_INT(pops_report_html("/dev/null", &g, 1, 1), POPS_ERROR);
	CHECK_ERR_HAS("damaged result spool");
	ungroup(&g);
}

TEST(html_trend_charts_each_series)
{
	cJSON *t = cJSON_Parse("{\"window_days\":1,\"alpha\":0.05,\"series\":[{\"suite\":\"<s>\","
	                       "\"prompt\":\"p\",\"windows\":[{\"start\":\"2026-01-01\",\"pass_rate\":1,"
	                       "\"ci_low\":0.8,\"ci_high\":1},{\"start\":\"2026-01-02\",\"pass_rate\":0.5,"
	                       "\"ci_low\":0.3,\"ci_high\":0.7,\"flagged\":true}]}]}");
	pops_buf doc = POPS_BUF_INIT;
	char path[] = "/tmp/pops-trend-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0 && t);
	close(fd);
	CHECK_INT(pops_report_html_trend(path, t), 0);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	CHECK(strstr(doc.ptr, "<h2>&lt;s&gt; <span class=\"muted\">p</span></h2><svg class=\"trend\""));
	CHECK(strstr(doc.ptr, "<circle class=\"flag\""));
	CHECK(strstr(doc.ptr, "<td class=\"num\">50.0%</td><td>30.0–70.0%</td><td>yes</td>"));
	CHECK(!strstr(doc.ptr, "<script"));
	unlink(path);
	cJSON_Delete(t);
	pops_buf_dispose(&doc);
}

#include "common.h"
#include "report.h"
#include "eval_run.h"
#include "jsonget.h"

static void attr(pops_buf *b, const char *name, const char *val)
{
	pops_buf_printf(b, " %s=\"", name);
	pops_report_xml_escape(b, val, strlen(val), 1);
	pops_buf_putc(b, '"');
}

/* the first line of `s`, for message="" attributes */
static void attr_line(pops_buf *b, const char *name, const char *s)
{
	size_t n = strcspn(s, "\r\n");

	pops_buf_printf(b, " %s=\"", name);
	pops_report_xml_escape(b, s, n > 300 ? 300 : n, 1);
	pops_buf_putc(b, '"');
}

static void text(pops_buf *b, const char *s, size_t len)
{
	pops_report_xml_escape(b, s, len, 0);
}

static void write_case(pops_buf *b, const cJSON *rec, const cJSON *sum, int repeats)
{
	const char *status = pops_json_str(rec, "status", "");
	const cJSON *out = cJSON_GetObjectItemCaseSensitive(rec, "output");
	const cJSON *as = cJSON_GetObjectItemCaseSensitive(rec, "asserts"), *it;
	pops_buf name = POPS_BUF_INIT, cls = POPS_BUF_INIT;

	pops_buf_printf(&cls, "%s/%s", pops_json_str(sum, "suite", ""), pops_json_str(sum, "prompt", ""));
	pops_buf_puts(&name, pops_json_str(rec, "id", ""));
	if (repeats > 1)
		pops_buf_printf(&name, "#%d", (int)pops_json_num(rec, "repeat", 0.0));
	pops_buf_puts(b, "    <testcase");
	attr(b, "classname", cls.ptr);
	attr(b, "name", name.ptr);
	pops_buf_printf(b, " time=\"%.3f\">\n", pops_json_num(rec, "latency_ms", 0.0) / 1000.0);
	if (!strcmp(status, "error")) {
		const char *msg = pops_json_str(rec, "error", "");

		pops_buf_puts(b, "      <error");
		attr_line(b, "message", msg[0] ? msg : "error");
		pops_buf_puts(b, " type=\"error\">");
		text(b, msg, strlen(msg));
		cJSON_ArrayForEach(it, as)
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "error"))) {
				pops_buf_puts(b, "\n");
				text(b, pops_json_str(it, "type", ""), strlen(pops_json_str(it, "type", "")));
				pops_buf_puts(b, ": ");
				text(b, pops_json_str(it, "reason", ""), strlen(pops_json_str(it, "reason", "")));
			}
		pops_buf_puts(b, "</error>\n");
	} else if (!strcmp(status, "fail")) {
		const char *first = NULL;
		size_t nfail = 0;

		cJSON_ArrayForEach(it, as)
			if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "pass"))) {
				if (!first)
					first = pops_json_str(it, "reason", "");
				nfail++;
			}
		pops_buf_puts(b, "      <failure");
		{
			pops_buf m = POPS_BUF_INIT;

			if (first)
				pops_buf_put(&m, first, strcspn(first, "\r\n"));
			else
				pops_buf_puts(&m, "score below the case threshold");
			if (nfail > 1)
				pops_buf_printf(&m, " (and %zu more)", nfail - 1);
			attr_line(b, "message", m.ptr);
			pops_buf_dispose(&m);
		}
		pops_buf_puts(b, " type=\"assertion\">");
		cJSON_ArrayForEach(it, as)
			if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "pass"))) {
				text(b, pops_json_str(it, "type", ""), strlen(pops_json_str(it, "type", "")));
				pops_buf_puts(b, ": ");
				text(b, pops_json_str(it, "reason", ""), strlen(pops_json_str(it, "reason", "")));
				pops_buf_puts(b, "\n");
			}
		pops_buf_puts(b, "</failure>\n");
	}
	if (cJSON_IsString(out)) {
		pops_buf_puts(b, "      <system-out>");
		text(b, out->valuestring, strlen(out->valuestring));
		pops_report_tool_calls(b, rec, "\ntool calls: ", 1);
		pops_buf_puts(b, "</system-out>\n");
	}
	pops_buf_puts(b, "    </testcase>\n");
	pops_buf_dispose(&name);
	pops_buf_dispose(&cls);
}

/*
 * --affected: a suite answered by stored evidence has no case records;
 * one testcase per case result the evidence kept, failures marked.
 */
static void write_reused(pops_buf *b, const cJSON *sum)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(sum, "reused");
	const cJSON *it;
	pops_buf cls = POPS_BUF_INIT, msg = POPS_BUF_INIT;
	int single = 1;

	pops_buf_printf(&cls, "%s/%s", pops_json_str(sum, "suite", ""), pops_json_str(sum, "prompt", ""));
	pops_buf_printf(&msg, "failed in the evidence reused from %.7s", pops_json_str(r, "commit", ""));
	/* only runs "#0": one repeat, each named by its id, as write_case names it */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r, "cases"))
		if (strlen(it->string) < 2 || strcmp(it->string + strlen(it->string) - 2, "#0"))
			single = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r, "cases")) {
		size_t n = strlen(it->string) - (single ? 2 : 0);

		pops_buf_puts(b, "    <testcase");
		attr(b, "classname", cls.ptr);
		pops_buf_puts(b, " name=\"");
		pops_report_xml_escape(b, it->string, n, 1);
		pops_buf_puts(b, "\" time=\"0.000\">\n");
		if (!cJSON_IsTrue(it)) {
			pops_buf_puts(b, "      <failure");
			attr(b, "message", msg.ptr);
			pops_buf_puts(b, " type=\"assertion\"/>\n");
		}
		pops_buf_puts(b, "    </testcase>\n");
	}
	pops_buf_dispose(&cls);
	pops_buf_dispose(&msg);
}

/* --batch: what the answers were (the mode line of every report) */
static void batch_property(pops_buf *b, const cJSON *s)
{
	pops_buf mode = POPS_BUF_INIT;

	if (pops_eval_summary_mode(&mode, s) > 0 && mode.ptr) {
		pops_buf_puts(b, "      <property name=\"batch\"");
		attr(b, "value", mode.ptr);
		pops_buf_puts(b, "/>\n");
	}
	pops_buf_dispose(&mode);
}

int pops_report_junit(const char *path, const pops_report_group *g, size_t n,
                      int complete)
{
	pops_report_file rf;
	pops_buf b = POPS_BUF_INIT, line = POPS_BUF_INIT;
	cJSON *rec = NULL;
	size_t i;
	double tests = 0, failures = 0, errors = 0, time = 0;
	int error, r;

	if ((error = pops_report_file_open(&rf, path)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		tests += pops_json_num(g[i].summary, "cases", 0.0);
		failures += pops_json_num(g[i].summary, "failed", 0.0);
		errors += pops_json_num(g[i].summary, "errors", 0.0);
		time += pops_json_num(g[i].summary, "duration_s", 0.0);
	}
	pops_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	pops_buf_printf(&b, "<testsuites name=\"pops eval%s\" tests=\"%.0f\" failures=\"%.0f\" "
	                "errors=\"%.0f\" time=\"%.3f\">\n", complete ? "" : " (incomplete)",
	                tests, failures, errors, time);
	for (i = 0; i < n; i++) {
		const cJSON *s = g[i].summary;
		pops_buf nm = POPS_BUF_INIT;
		int repeats = (int)pops_json_num(s, "repeat", 0.0);

		pops_buf_printf(&nm, "%s [%s]", pops_json_str(s, "suite", ""), pops_json_str(s, "model", ""));
		pops_buf_puts(&b, "  <testsuite");
		attr(&b, "name", nm.ptr);
		pops_buf_dispose(&nm);
		pops_buf_printf(&b,
		                " tests=\"%.0f\" failures=\"%.0f\" errors=\"%.0f\" skipped=\"0\" "
		                "time=\"%.3f\">\n",
		                pops_json_num(s, "cases", 0.0), pops_json_num(s, "failed", 0.0),
		                pops_json_num(s, "errors", 0.0),
		                pops_json_num(s, "duration_s", 0.0));
		pops_buf_puts(&b, "    <properties>\n");
		{
			static const char *const keys[] = { "model_id", "pass_rate", "ci_low",
				"ci_high", "threshold", "verdict", "cost_usd",
				/* when the summary has them: streamed runs, the provider's prompt cache */
				"ttft_p50", "ttft_p95", "cached_input_share",
				/* --batch: the Batch API's ids and wall time */
				"mode", "batches", "batch_wall_ms", NULL };
			size_t k;

			for (k = 0; keys[k]; k++) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, keys[k]);
				char *pv;

				if (!v)
					continue;
				pv = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
				pops_buf_puts(&b, "      <property");
				attr(&b, "name", keys[k]);
				attr(&b, "value", pv ? pv : cJSON_IsString(v) ? v->valuestring : "");
				pops_buf_puts(&b, "/>\n");
				free(pv);
			}
			if (!complete)
				pops_buf_puts(&b, "      <property name=\"incomplete\" value=\"true\"/>\n");
			batch_property(&b, s);
			if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(s, "reused"))) {
				pops_buf_puts(&b, "      <property name=\"reused_from\"");
				attr(&b, "value", pops_json_str(cJSON_GetObjectItemCaseSensitive(s, "reused"),
				                                "commit", ""));
				pops_buf_puts(&b, "/>\n");
			}
		}
		pops_buf_puts(&b, "    </properties>\n");
		rewind(g[i].spool);
		while ((r = pops_report_spool_next(g[i].spool, &rec, &line)) == 1) {
			write_case(&b, rec, s, repeats);
			if (b.size > 65536) {
				fwrite(b.ptr, 1, b.size, rf.f);
				pops_buf_clear(&b);
			}
		}
		if (r < 0) {
			error = r;
			goto done;
		}
		write_reused(&b, s);
		pops_buf_puts(&b, "  </testsuite>\n");
	}
	pops_buf_puts(&b, "</testsuites>\n");
	error = pops_report_file_finish(&rf, &b);
done:
	if (error < 0)
		pops_report_file_abort(&rf);
	cJSON_Delete(rec);
	pops_buf_dispose(&b);
	pops_buf_dispose(&line);
	return error;
}

#include "unit.h"
#include <unistd.h>
#include "records.h"
#include "fileio.h"

#define FIX "tests/data/records/"

static char *tmp_with(const char *ext, const char *text)
{
	pops_buf p = POPS_BUF_INIT;
	int fd;

	pops_buf_printf(&p, "/tmp/pops-rec-XXXXXX%s", ext);
	if ((fd = mkstemps(p.ptr, (int)strlen(ext))) < 0) {
		pops_buf_dispose(&p);
		return NULL;
	}
	if (pops_write_all(fd, text, strlen(text), "tmp") < 0) {
		close(fd);
		pops_buf_dispose(&p);
		return NULL;
	}
	close(fd);
	return pops_buf_detach(&p);
}

/* the n-th (0-based) record of `path` into *out; returns the count read or an error */
static int nth(const char *path, pops_records_format fmt, int n, pops_record *out,
               pops_records_format *seen)
{
	pops_records *rs;
	int r, i = 0;

	if ((r = pops_records_open(&rs, path, fmt)) < 0)
		return r;
	if (seen)
		*seen = pops_records_format_of(rs);
	while ((r = pops_records_next(rs, out)) > 0 && i < n)
		i++;
	pops_records_free(rs);
	return r < 0 ? r : i;
}

TEST(records_reads_pops_jsonl_typed_and_keeps_incomplete_records)
{
	pops_record r = POPS_RECORD_INIT;
	pops_records_format f;

	CHECK_INT(nth(FIX "pops.jsonl", POPS_RECORDS_AUTO, 0, &r, &f), 0);
	CHECK_INT(f, POPS_RECORDS_POPS);
	CHECK_STR(r.output, "Refund issued.");
	CHECK_STR(r.model, "gpt-4o-mini");
	CHECK_STR(r.served, "triage@3:prod");
	CHECK_STR(r.thumbs, "down");
	CHECK_STR(r.correction, "Route to billing; refund pending review.");
	CHECK(r.latency_ms == 812 && r.tokens_in == 120 && r.tokens_out == 12);
	CHECK(r.score == 0.2 && r.cost == 0.00021);
	CHECK_INT(r.line, 1);
	CHECK_STR(pops_record_get(&r, "vars.category")->valuestring, "billing");
	/* the third record has no output; the fourth no vars: both returned */
	CHECK_INT(nth(FIX "pops.jsonl", POPS_RECORDS_AUTO, 2, &r, NULL), 2);
	CHECK(r.output == NULL && r.vars != NULL);
	CHECK_INT(r.line, 4);   /* a blank line before it */
	CHECK_INT(nth(FIX "pops.jsonl", POPS_RECORDS_AUTO, 3, &r, NULL), 3);
	CHECK(r.vars == NULL && r.output != NULL);
	pops_record_dispose(&r);
}

TEST(records_names_file_and_line_of_a_bad_record)
{
	char *p = tmp_with(".jsonl", "{\"vars\": {}}\n{\"feedback\": {\"thumbs\": \"meh\"}}\n");
	char *q = tmp_with(".jsonl", "{\"vars\": {}}\n\n{oops\n");
	pops_record r = POPS_RECORD_INIT;

	CHECK(p && q);
	CHECK_INT(nth(p, POPS_RECORDS_POPS, 5, &r, NULL), POPS_EINVALID);
	CHECK_ERR_HAS(":2: 'feedback.thumbs' must be");
	CHECK_INT(nth(q, POPS_RECORDS_POPS, 5, &r, NULL), POPS_EINVALID);
	CHECK_ERR_HAS(":3: invalid JSON");
	CHECK_INT(nth("/nonexistent/x.jsonl", POPS_RECORDS_AUTO, 0, &r, NULL), POPS_ENOTFOUND);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
	pops_record_dispose(&r);
}

TEST(records_reads_otel_spans_new_attributes_and_old_events)
{
	pops_record r = POPS_RECORD_INIT;
	pops_records_format f;

	CHECK_INT(nth(FIX "otel.jsonl", POPS_RECORDS_AUTO, 0, &r, &f), 0);
	CHECK_INT(f, POPS_RECORDS_OTEL);
	CHECK_STR(pops_record_get(&r, "vars.input")->valuestring, "My invoice is wrong");
	CHECK_STR(r.output, "billing");
	CHECK_STR(r.model, "gpt-4o-2024-08-06");   /* the response model wins */
	CHECK(r.tokens_in == 97 && r.tokens_out == 52);
	CHECK(r.latency_ms == 1250);
	CHECK_STR(r.trace_id, "5b8efff798038103d269b633813fc60c");
	CHECK_STR(r.served, "triage@3:prod");
	CHECK_STR(r.timestamp, "2025-11-30T10:00:00.000Z");
	/* the http span is not a record: the second record is the legacy span */
	CHECK_INT(nth(FIX "otel.jsonl", POPS_RECORDS_AUTO, 1, &r, NULL), 1);
	CHECK_STR(pops_record_get(&r, "vars.input")->valuestring, "Parcel lost");
	CHECK_STR(r.output, "shipping");
	CHECK_STR(r.model, "gpt-3.5-turbo");
	CHECK_INT(r.line, 2);
	CHECK_INT(nth(FIX "otel.jsonl", POPS_RECORDS_AUTO, 9, &r, NULL), 2);
	pops_record_dispose(&r);
}

TEST(records_reads_langfuse_json_array_skipping_spans)
{
	pops_record r = POPS_RECORD_INIT;
	pops_records_format f;

	CHECK_INT(nth(FIX "langfuse-observations.json", POPS_RECORDS_AUTO, 0, &r, &f), 0);
	CHECK_INT(f, POPS_RECORDS_LANGFUSE);
	CHECK_STR(pops_record_get(&r, "vars.ticket")->valuestring, "Refund please, bob@example.org");
	CHECK_STR(r.output, "billing");
	CHECK(r.latency_ms == 1500 && r.tokens_in == 40 && r.tokens_out == 2);
	CHECK(r.cost == 0.00003);
	CHECK_STR(r.served, "triage@3");
	CHECK_STR(r.thumbs, "down");
	CHECK_STR(r.correction, "should be billing-escalation");
	CHECK_STR(r.trace_id, "lf-trace-1");
	CHECK_STR(pops_record_get(&r, "metadata.region")->valuestring, "eu");
	CHECK_INT(r.line, 2);
	CHECK_INT(nth(FIX "langfuse-observations.json", POPS_RECORDS_AUTO, 1, &r, NULL), 1);
	CHECK_STR(pops_record_get(&r, "vars.input")->valuestring, "Parcel late");
	CHECK_STR(r.thumbs, "up");
	CHECK(r.tokens_in == 30);
	CHECK_INT(nth(FIX "langfuse-observations.json", POPS_RECORDS_AUTO, 9, &r, NULL), 2);
	pops_record_dispose(&r);
}

TEST(records_reads_langfuse_csv_with_json_cells_and_multiline_fields)
{
	pops_record r = POPS_RECORD_INIT;

	CHECK_INT(nth(FIX "langfuse-observations.csv", POPS_RECORDS_AUTO, 0, &r, NULL), 0);
	CHECK_STR(pops_record_get(&r, "vars.category")->valuestring, "billing");
	CHECK_STR(r.served, "triage@2:prod");
	CHECK_STR(r.timestamp, "2026-11-30T08:00:00.000Z");
	CHECK(r.tokens_in == 20 && r.latency_ms == 800);
	CHECK_INT(nth(FIX "langfuse-observations.csv", POPS_RECORDS_AUTO, 1, &r, NULL), 1);
	CHECK_STR(pops_record_get(&r, "vars.input")->valuestring, "Where is it?\nOrder 12");
	CHECK_STR(r.output, "shipping, probably");
	CHECK_INT(r.line, 3);
	pops_record_dispose(&r);
}

TEST(records_reads_langfuse_traces_jsonl)
{
	pops_record r = POPS_RECORD_INIT;
	pops_records_format f;

	CHECK_INT(nth(FIX "langfuse-traces.jsonl", POPS_RECORDS_AUTO, 0, &r, &f), 0);
	CHECK_INT(f, POPS_RECORDS_LANGFUSE);
	CHECK_STR(r.trace_id, "lf-trace-20");
	CHECK_STR(r.correction, "returns-exchange");
	CHECK(r.latency_ms == 2250);
	pops_record_dispose(&r);
}

TEST(records_refuses_an_over_long_record_without_reading_it_whole)
{
	pops_buf b = POPS_BUF_INIT;
	char *p;
	pops_record r = POPS_RECORD_INIT;
	size_t i;

	pops_buf_puts(&b, "{\"vars\": {\"x\": \"");
	for (i = 0; i < POPS_RECORDS_MAX_RECORD / 64 + 1; i++)
		pops_buf_puts(&b, "0123456789012345678901234567890123456789012345678901234567890123");
	pops_buf_puts(&b, "\"}}\n");
	p = tmp_with(".jsonl", b.ptr);
	pops_buf_dispose(&b);
	CHECK(p);
	CHECK_INT(nth(p, POPS_RECORDS_POPS, 0, &r, NULL), POPS_EINVALID);
	CHECK_ERR_HAS(":1: record longer than");
	unlink(p);
	free(p);
}

TEST(records_format_names_and_served_strings_parse)
{
	pops_records_format f;
	char name[32], env[32];
	long v;
	int canary;

	CHECK_INT(pops_records_format_parse(&f, "otel"), 0);
	CHECK_INT(f, POPS_RECORDS_OTEL);
	CHECK_INT(pops_records_format_parse(&f, "xml"), POPS_EINVALID);
	CHECK_ERR_HAS("use pops, otel, langfuse");
	CHECK_INT(pops_served_parse("triage@3:prod~canary", name, sizeof(name), &v, env,
	                            sizeof(env), &canary), 0);
	CHECK_STR(name, "triage");
	CHECK_STR(env, "prod");
	CHECK(v == 3 && canary == 1);
	CHECK_INT(pops_served_parse("triage@12", name, sizeof(name), &v, env, sizeof(env), &canary), 0);
	CHECK(v == 12 && canary == 0 && env[0] == '\0');
	CHECK_INT(pops_served_parse("triage", name, sizeof(name), &v, env, sizeof(env), &canary),
	          POPS_EINVALID);
	CHECK_INT(pops_served_parse("triage@3:prod~blue", name, sizeof(name), &v, env, sizeof(env),
	                            &canary), POPS_EINVALID);
}

/* dataset rows accept `meta` (provenance) in every format: kept, never a variable */
#include "dataset.h"

static int first_case(const char *ext, const char *text, pops_case *c)
{
	char *p = tmp_with(ext, text);
	pops_dataset *ds;
	int r;

	if (!p)
		return POPS_ERROR;
	if ((r = pops_dataset_open(&ds, p, NULL)) == 0) {
		r = pops_dataset_next(ds, c);
		pops_dataset_free(ds);
	}
	unlink(p);
	free(p);
	return r;
}

TEST(dataset_rows_keep_meta_out_of_vars_and_ids_in_every_format)
{
	pops_case a = POPS_CASE_INIT, b = POPS_CASE_INIT;

	CHECK_INT(first_case(".jsonl", "{\"vars\": {\"q\": \"hi\"}, \"meta\": {\"source\": \"p.jsonl\"}}\n", &a), 1);
	CHECK_STR(cJSON_GetObjectItem(a.meta, "source")->valuestring, "p.jsonl");
	CHECK(!cJSON_GetObjectItem(a.vars, "meta"));
	CHECK_INT(first_case(".jsonl", "{\"vars\": {\"q\": \"hi\"}}\n", &b), 1);
	CHECK_STR(a.id, b.id);   /* provenance never moves a derived id */
	CHECK_INT(first_case(".jsonl", "{\"q\": \"hi\", \"meta\": {\"trace_id\": \"t1\"}}\n", &a), 1);
	CHECK(!cJSON_GetObjectItem(a.vars, "meta") && a.meta);
	CHECK_INT(first_case(".csv", "q,meta\nhi,\"{\"\"trace_id\"\": \"\"t1\"\"}\"\n", &a), 1);
	CHECK_STR(cJSON_GetObjectItem(a.meta, "trace_id")->valuestring, "t1");
	CHECK_INT(cJSON_GetArraySize(a.vars), 1);
	CHECK_INT(first_case(".csv", "q,meta\nhi,\n", &a), 1);
	CHECK(a.meta == NULL);
	CHECK_INT(first_case(".yaml", "- vars: {q: hi}\n  meta: {served: \"t@1:prod\"}\n", &a), 1);
	CHECK_STR(cJSON_GetObjectItem(a.meta, "served")->valuestring, "t@1:prod");
	CHECK_INT(first_case(".csv", "q,meta\nhi,not json\n", &a), POPS_EINVALID);
	CHECK_ERR_HAS(":2: 'meta' must be an object");
	pops_case_dispose(&a);
	pops_case_dispose(&b);
}

TEST(records_langfuse_reads_content_parts_and_openai_choices)
{
	char *p = tmp_with(".json", "[{\"type\": \"GENERATION\", \"name\": \"a \\\"quoted]\\\" }name\", "
	    "\"input\": {\"messages\": [{\"role\": \"user\", "
	    "\"content\": [{\"type\": \"text\", \"text\": \"yo\"}]}]}, \"output\": {\"choices\": [{\"message\": "
	    "{\"role\": \"assistant\", \"content\": \"ans\"}}]}},\n 3]\n");
	pops_record r = POPS_RECORD_INIT;

	CHECK(p);
	CHECK_INT(nth(p, POPS_RECORDS_AUTO, 0, &r, NULL), 0);
	CHECK_STR(pops_record_get(&r, "vars.input")->valuestring, "yo");
	CHECK_STR(r.output, "ans");
	CHECK_INT(nth(p, POPS_RECORDS_AUTO, 5, &r, NULL), POPS_EINVALID);
	CHECK_ERR_HAS(":2: a Langfuse record must be an object");
	unlink(p);
	free(p);
	pops_record_dispose(&r);
}

TEST(records_detects_the_format_of_a_first_line_longer_than_the_peek)
{
	pops_buf b = POPS_BUF_INIT;
	pops_record r = POPS_RECORD_INIT;
	pops_records_format f = POPS_RECORDS_AUTO;
	char *p;
	size_t i;

	pops_buf_puts(&b, "{\"traceId\": \"x\", \"type\": \"GENERATION\", \"input\": {\"q\": \"");
	for (i = 0; i < 100000; i++)
		pops_buf_putc(&b, 'a');
	pops_buf_puts(&b, "\"}, \"output\": {\"content\": \"o\"}}\n");
	p = tmp_with(".jsonl", b.ptr);
	pops_buf_dispose(&b);
	CHECK(p);
	CHECK_INT(nth(p, POPS_RECORDS_AUTO, 0, &r, &f), 0);
	CHECK_INT(f, POPS_RECORDS_LANGFUSE);
	CHECK_STR(r.output, "o");
	unlink(p);
	free(p);
	pops_record_dispose(&r);
}

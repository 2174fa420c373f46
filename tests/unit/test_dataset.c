#include "unit.h"
#include <unistd.h>
#include "dataset.h"
#include "defaults.h"
#include "fileio.h"

/* write `len` bytes to a temp file ending in `ext`; returns a malloc'd path */
static char *tmpfile_bytes(const char *ext, const char *data, size_t len)
{
	pops_buf p = POPS_BUF_INIT;
	int fd;

	pops_buf_printf(&p, "/tmp/pops-ds-XXXXXX%s", ext);
	fd = mkstemps(p.ptr, (int)strlen(ext));
	if (fd < 0) {
		pops_buf_dispose(&p);
		return NULL;
	}
	if (pops_write_all(fd, data, len, "tmp") < 0) {
		close(fd);
		unlink(p.ptr);
		pops_buf_dispose(&p);
		return NULL;
	}
	close(fd);
	return pops_buf_detach(&p);
}

static char *tmpfile_with(const char *ext, const char *text)
{
	return tmpfile_bytes(ext, text, strlen(text));
}

/* read every row of `len` bytes of data; returns count or a negative error */
static int read_all_bytes(const char *ext, const char *data, size_t len, pops_case *last)
{
	char *path = tmpfile_bytes(ext, data, len);
	pops_case row = POPS_CASE_INIT;
	pops_dataset *ds = NULL;
	int n = 0, r;

	if (!path)
		return -100;
	if ((r = pops_dataset_open(&ds, path, ext + 1)) < 0) {
		n = r;
		goto done;
	}
	/* `last` keeps the last row read */
	while ((r = pops_dataset_next(ds, &row)) == 1) {
		n++;
		pops_case_dispose(last);
		*last = row;
		memset(&row, 0, sizeof(row));
	}
	if (r < 0)
		n = r;
done:
	pops_case_dispose(&row);
	pops_dataset_free(ds);
	unlink(path);
	free(path);
	return n;
}

static int read_all(const char *ext, const char *text, pops_case *last)
{
	return read_all_bytes(ext, text, strlen(text), last);
}

/* `prefix`, `fill` repeated up to `total` bytes in all, then `suffix` */
static char *make_row(const char *prefix, char fill, size_t total, const char *suffix)
{
	size_t np = strlen(prefix), ns = strlen(suffix);
	char *s = malloc(total + 1);

	if (!s || total < np + ns) {
		free(s);
		return NULL;
	}
	memcpy(s, prefix, np);
	memset(s + np, fill, total - np - ns);
	memcpy(s + total - ns, suffix, ns + 1);
	return s;
}

TEST(jsonl_reads_structured_and_flat_rows)
{
	pops_case c = POPS_CASE_INIT;
	char *path = tmpfile_with(".jsonl",
	    "{\"id\":\"a\",\"vars\":{\"x\":1},\"expected\":\"hi\"}\n"
	    "\n"
	    "{\"x\":2,\"expected\":\"yo\",\"id\":7}\n");
	pops_dataset *ds = NULL;

	CHECK(path);
	CHECK_INT(pops_dataset_open(&ds, path, "d.jsonl"), 0);
	CHECK_INT(pops_dataset_next(ds, &c), 1);
	CHECK_STR(c.id, "a");
	CHECK_INT(cJSON_GetObjectItem(c.vars, "x")->valueint, 1);
	CHECK_STR(c.expected->valuestring, "hi");
	CHECK_INT(pops_dataset_next(ds, &c), 1);
	CHECK_STR(c.id, "7");
	CHECK_INT(c.line, 3);
	CHECK(!cJSON_GetObjectItem(c.vars, "expected"));
	CHECK(!cJSON_GetObjectItem(c.vars, "id"));
	CHECK_INT(pops_dataset_next(ds, &c), 0);
	CHECK_INT(pops_dataset_rewind(ds), 0);
	CHECK_INT(pops_dataset_next(ds, &c), 1);
	CHECK_STR(c.id, "a");
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	unlink(path);
	free(path);
}

TEST(jsonl_bad_line_names_file_and_line)
{
	pops_case c = POPS_CASE_INIT;

	CHECK_INT(read_all(".jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:3:");
	CHECK_ERR_HAS("invalid JSON");
	CHECK_INT(read_all(".jsonl", "[1,2]\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:1: a row must be an object");
	CHECK_INT(read_all(".jsonl", "{\"vars\":{},\"expectd\":1}\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("unknown key 'expectd' in row (did you mean 'expected'?)");
	pops_case_dispose(&c);
}

TEST(jsonl_huge_numeric_id_is_an_error_not_undefined)
{
	pops_case c = POPS_CASE_INIT;

	CHECK_INT(read_all(".jsonl", "{\"id\":1e300}\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:1: 'id' must be a non-empty string or an integer");
	CHECK_INT(read_all(".jsonl", "{\"id\":-1e19}\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:1: 'id'");
	/* the largest exact integers still are ids */
	CHECK_INT(read_all(".jsonl", "{\"id\":-9223372036854775808}\n", &c), 1);
	CHECK_STR(c.id, "-9223372036854775808");
	pops_case_dispose(&c);
}

TEST(hash_ids_are_stable_and_distinct)
{
	pops_case a = POPS_CASE_INIT, b = POPS_CASE_INIT, d = POPS_CASE_INIT;
	cJSON *r1 = cJSON_Parse("{\"x\":\"1\"}"), *r2 = cJSON_Parse("{\"x\":\"2\"}");

	CHECK_INT(pops_case_from_json(&a, r1, "f", 1), 0);
	CHECK_INT(pops_case_from_json(&b, r1, "f", 9), 0);
	CHECK_INT(pops_case_from_json(&d, r2, "f", 1), 0);
	CHECK_STR(a.id, b.id);
	CHECK(strcmp(a.id, d.id) != 0);
	CHECK_INT(strlen(a.id), 12);
	cJSON_Delete(r1);
	cJSON_Delete(r2);
	pops_case_dispose(&a);
	pops_case_dispose(&b);
	pops_case_dispose(&d);
}

TEST(csv_follows_rfc4180_quoting)
{
	pops_case c = POPS_CASE_INIT;
	char *path = tmpfile_with(".csv",
	    "\xef\xbb\xbfid,text,expected\r\n"
	    "1,\"a, \"\"quoted\"\"\nline\",ok\r\n"
	    "2,,\"\"\r\n");
	pops_dataset *ds = NULL;

	CHECK(path);
	CHECK_INT(pops_dataset_open(&ds, path, "d.csv"), 0);
	CHECK_INT(pops_dataset_next(ds, &c), 1);
	CHECK_STR(c.id, "1");
	CHECK_STR(cJSON_GetObjectItem(c.vars, "text")->valuestring, "a, \"quoted\"\nline");
	CHECK_STR(c.expected->valuestring, "ok");
	CHECK_INT(pops_dataset_next(ds, &c), 1);
	CHECK_STR(c.id, "2");
	CHECK_INT(c.line, 4);
	CHECK_STR(cJSON_GetObjectItem(c.vars, "text")->valuestring, "");
	CHECK_INT(pops_dataset_next(ds, &c), 0);
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	unlink(path);
	free(path);
}

TEST(csv_ragged_row_names_line)
{
	pops_case c = POPS_CASE_INIT;

	CHECK_INT(read_all(".csv", "a,b\n1,2\n3\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("csv:3: row has 1 fields but the header has 2");
	CHECK_INT(read_all(".csv", "a,b\n\"1,2\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("unterminated quoted field");
	CHECK_INT(read_all(".csv", "a,a\n1,2\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("duplicate column 'a'");
	pops_case_dispose(&c);
}

TEST(yaml_dataset_rows_have_lines)
{
	pops_case c = POPS_CASE_INIT;

	CHECK_INT(read_all(".yaml", "- id: one\n  vars: {q: hi}\n- q: there\n", &c), 2);
	CHECK_INT(read_all(".yaml", "key: 1\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("must be a list");
	pops_case_dispose(&c);
}

TEST(missing_dataset_and_unknown_format)
{
	pops_dataset *ds = NULL;

	CHECK_INT(pops_dataset_open(&ds, "/nonexistent/x.jsonl", NULL), POPS_ENOTFOUND);
	CHECK_ERR_HAS("dataset not found");
	CHECK_INT(pops_dataset_open(&ds, "/nonexistent/x.txt", NULL), POPS_EINVALID);
	CHECK_ERR_HAS("unknown dataset format");
}

TEST(scope_adds_expected)
{
	pops_case c = POPS_CASE_INIT;
	cJSON *row = cJSON_Parse("{\"q\":\"x\",\"expected\":\"y\"}"), *scope;

	CHECK_INT(pops_case_from_json(&c, row, "f", 1), 0);
	scope = pops_case_scope(&c);
	CHECK_STR(cJSON_GetObjectItem(scope, "expected")->valuestring, "y");
	CHECK_STR(cJSON_GetObjectItem(scope, "q")->valuestring, "x");
	cJSON_Delete(scope);
	cJSON_Delete(row);
	pops_case_dispose(&c);
}

TEST(jsonl_nul_lines_are_errors_not_blank)
{
	pops_case c = POPS_CASE_INIT;
	static const char only_nuls[] = "{\"a\":1}\n\0\0\0\n{\"a\":2}\n";
	static const char inner_nul[] = "{\"a\":1}\n{\"a\":\"x\0y\"}\n";

	CHECK_INT(read_all_bytes(".jsonl", only_nuls, sizeof(only_nuls) - 1, &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:2: contains a NUL byte; datasets are UTF-8 text");
	CHECK_INT(read_all_bytes(".jsonl", inner_nul, sizeof(inner_nul) - 1, &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:2: contains a NUL byte");
	pops_case_dispose(&c);
}

TEST(jsonl_nul_escape_is_an_error_not_a_cut_string)
{
	pops_case c = POPS_CASE_INIT;

	/* cJSON would decode it and the C string would end: "safe" */
	CHECK_INT(read_all(".jsonl", "{\"a\":1}\n{\"q\":\"safe\\u0000; DROP\"}\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:2:11: \\u0000 (a NUL character) in a value");
	/* an escaped backslash before u0000 is text */
	CHECK_INT(read_all(".jsonl", "{\"q\":\"a\\\\u0000\"}\n", &c), 1);
	CHECK_STR(cJSON_GetObjectItem(c.vars, "q")->valuestring, "a\\u0000");
	pops_case_dispose(&c);
}

TEST(jsonl_invalid_utf8_names_line_and_byte)
{
	pops_case c = POPS_CASE_INIT;

	CHECK_INT(read_all(".jsonl", "{\"a\":1}\n{\"a\":\"caf\xe9\"}\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:2: invalid UTF-8 in the line at byte 10");
	CHECK_ERR_HAS("iconv");
	/* a byte order mark on the first line is not an error */
	CHECK_INT(read_all(".jsonl", "\xef\xbb\xbf{\"a\":\"caf\xc3\xa9\"}\n", &c), 1);
	CHECK_STR(cJSON_GetObjectItem(c.vars, "a")->valuestring, "caf\xc3\xa9");
	pops_case_dispose(&c);
}

TEST(jsonl_line_cap_is_exact)
{
	pops_case c = POPS_CASE_INIT;
	size_t cap = POPS_DATASET_MAX_ROW_BYTES;
	char *at = make_row("{\"a\":\"", 'x', cap, "\"}");
	char *over = make_row("{\"ok\":1}\n{\"a\":\"", 'x', cap + 11, "\"}\n");

	CHECK(at && over);
	/* cap bytes plus the newline: accepted */
	at[cap] = '\n';
	CHECK_INT(read_all_bytes(".jsonl", at, cap + 1, &c), 1);
	CHECK_INT(strlen(cJSON_GetObjectItem(c.vars, "a")->valuestring), cap - 8);
	/* the second line is 16 MB + 1 */
	CHECK_INT(read_all_bytes(".jsonl", over, cap + 11, &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:2: line longer than 16 MB");
	free(at);
	free(over);
	pops_case_dispose(&c);
}

TEST(jsonl_rows_with_too_many_values_are_refused_before_parsing)
{
	pops_case c = POPS_CASE_INIT;
	size_t n = POPS_DATASET_MAX_VALUES;
	char *row = make_row("{\"a\":[", ',', 6 + n + 2, "]}");

	CHECK(row);
	/* `[,,,]` is not JSON, but the count comes first: no tree is built */
	CHECK_INT(read_all(".jsonl", row, &c), POPS_EINVALID);
	CHECK_ERR_HAS("jsonl:1: more than 100000 JSON values in one row");
	/* commas inside strings are not values */
	free(row);
	row = make_row("{\"a\":\"", ',', 6 + n + 2, "\"}");
	CHECK(row);
	CHECK_INT(read_all(".jsonl", row, &c), 1);
	free(row);
	pops_case_dispose(&c);
}

TEST(csv_nul_and_invalid_utf8_are_errors)
{
	pops_case c = POPS_CASE_INIT;
	static const char nul[] = "a,b\n1,2\n3,x\0\n";

	CHECK_INT(read_all_bytes(".csv", nul, sizeof(nul) - 1, &c), POPS_EINVALID);
	CHECK_ERR_HAS("csv:3: contains a NUL byte; datasets are UTF-8 text");
	CHECK_INT(read_all(".csv", "a,b\n1,caf\xe9\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("csv:2: invalid UTF-8 in a field at byte 4");
	CHECK_INT(read_all(".csv", "a,\xff\n1,2\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("csv:1: invalid UTF-8");
	pops_case_dispose(&c);
}

TEST(csv_record_cap_catches_an_unclosed_quote)
{
	pops_case c = POPS_CASE_INIT;
	char *data = make_row("a,b\n1,2\n3,\"", 'x', POPS_DATASET_MAX_ROW_BYTES + 20, "\n");

	CHECK(data);
	CHECK_INT(read_all(".csv", data, &c), POPS_EINVALID);
	CHECK_ERR_HAS("csv:3: record longer than 16 MB: the quoted field it opens is never closed");
	free(data);
	pops_case_dispose(&c);
}

TEST(csv_wide_headers_are_capped_and_duplicates_found)
{
	pops_case c = POPS_CASE_INIT;
	pops_buf b = POPS_BUF_INIT;
	unsigned i;

	for (i = 0; i < POPS_DATASET_MAX_COLUMNS; i++)
		pops_buf_printf(&b, "%sc%u", i ? "," : "", i);
	pops_buf_puts(&b, "\n");
	for (i = 0; i < POPS_DATASET_MAX_COLUMNS; i++)
		pops_buf_puts(&b, i ? ",v" : "v");
	pops_buf_puts(&b, "\n");
	CHECK_INT(read_all(".csv", b.ptr, &c), 1);
	CHECK_INT(cJSON_GetArraySize(c.vars), POPS_DATASET_MAX_COLUMNS);
	/* one more column: refused */
	pops_buf_clear(&b);
	for (i = 0; i <= POPS_DATASET_MAX_COLUMNS; i++)
		pops_buf_printf(&b, "%sc%u", i ? "," : "", i);
	pops_buf_puts(&b, "\n");
	CHECK_INT(read_all(".csv", b.ptr, &c), POPS_EINVALID);
	CHECK_ERR_HAS("csv:1: more than 10000 columns");
	/* the first repeated column is named, with both positions */
	CHECK_INT(read_all(".csv", "z,b,a,b,z\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("duplicate column 'b' (columns 2 and 4)");
	pops_buf_dispose(&b);
	pops_case_dispose(&c);
}

TEST(csv_rewind_reads_the_rows_again)
{
	pops_case c = POPS_CASE_INIT;
	char *path = tmpfile_with(".csv", "a,b\n1,\"x\ny\"\n3,4\n");
	pops_dataset *ds = NULL;

	CHECK(path);
	CHECK_INT(pops_dataset_open(&ds, path, "d.csv"), 0);
	CHECK_INT(pops_dataset_next(ds, &c), 1);
	CHECK_INT(pops_dataset_next(ds, &c), 1);
	CHECK_INT(c.line, 4);
	CHECK_INT(pops_dataset_next(ds, &c), 0);
	CHECK_INT(pops_dataset_rewind(ds), 0);
	/* a row's line is where it starts, though its quoted field ends later */
	CHECK_INT(pops_dataset_next(ds, &c), 1);
	CHECK_STR(cJSON_GetObjectItem(c.vars, "b")->valuestring, "x\ny");
	CHECK_INT(c.line, 2);
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	unlink(path);
	free(path);
}

TEST(yaml_dataset_bad_utf8_names_its_line)
{
	pops_case c = POPS_CASE_INIT;

	CHECK_INT(read_all(".yaml", "- {w: a}\n- {w: \"caf\xe9\"}\n", &c), POPS_EINVALID);
	CHECK_ERR_HAS("yaml:2:");
	CHECK_ERR_HAS("UTF-8");
	pops_case_dispose(&c);
}

TEST(json_dataset_is_an_array_of_rows_or_a_tests_object)
{
	pops_case c = POPS_CASE_INIT;

	/* python3 json.dump output: \u escapes and surrogate pairs */
	CHECK_INT(read_all(".json", "[{\"q\": \"caf\\u00e9\"}, {\"id\": \"s\", \"vars\": "
	                             "{\"q\": \"\\ud83d\\ude42\"}, \"expected\": \"ok\"}]", &c), 2);
	CHECK_STR(c.id, "s");
	CHECK_STR(cJSON_GetObjectItem(c.vars, "q")->valuestring, "\xf0\x9f\x99\x82");
	CHECK_INT(read_all(".json", "{\"tests\": [\n {\"q\": 1},\n {\"q\": 2}]}", &c), 2);
	CHECK_INT(c.line, 3);
	CHECK_INT(read_all(".json", "{\"q\": 1}", &c), POPS_EINVALID);
	CHECK_ERR_HAS("a JSON dataset must be a list of rows");
	CHECK_INT(read_all(".json", "[{\"q\": 1},]", &c), POPS_EINVALID);
	CHECK_ERR_HAS("json:1:");
	pops_case_dispose(&c);
}

TEST(row_messages_are_earlier_turns_checked_turn_by_turn)
{
	pops_case c = POPS_CASE_INIT;
	cJSON *row = cJSON_Parse("{\"q\":\"name?\",\"messages\":[{\"role\":\"user\",\"content\":\"I am Ann\"},"
	                         "{\"role\":\"assistant\",\"content\":\"Hi Ann\"}]}");
	cJSON *csv = cJSON_Parse("{\"q\":\"x\",\"messages\":\"[{\\\"role\\\":\\\"system\\\",\\\"content\\\":\\\"s\\\"}]\"}");
	cJSON *bad = cJSON_Parse("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"bot\",\"content\":\"b\"}]}");
	cJSON *notlist = cJSON_Parse("{\"messages\":{\"role\":\"user\"}}");

	CHECK_INT(pops_case_from_json(&c, row, "d.jsonl", 4), 0);
	CHECK_INT(cJSON_GetArraySize(c.messages), 2);
	CHECK(!cJSON_GetObjectItem(c.vars, "messages"));     /* not a variable */
	CHECK_INT(pops_case_from_json(&c, csv, "d.csv", 2), 0);   /* CSV: JSON text */
	CHECK_STR(cJSON_GetArrayItem(c.messages, 0)->child->valuestring, "system");
	CHECK_INT(pops_case_from_json(&c, bad, "d.jsonl", 9), POPS_EINVALID);
	CHECK_ERR_HAS("d.jsonl:9: 'messages' turn 2 must be {role, content}");
	CHECK_INT(pops_case_from_json(&c, notlist, "d.jsonl", 3), POPS_EINVALID);
	CHECK_ERR_HAS("d.jsonl:3: 'messages' must be a list of earlier turns");
	pops_case_dispose(&c);
	cJSON_Delete(row);
	cJSON_Delete(csv);
	cJSON_Delete(bad);
	cJSON_Delete(notlist);
}

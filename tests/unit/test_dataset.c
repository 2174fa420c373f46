#include "unit.h"
#include <unistd.h>
#include "dataset.h"
#include "fileio.h"

/* write `text` to a temp file ending in `ext`; returns a malloc'd path */
static char *tmpfile_with(const char *ext, const char *text)
{
	pops_buf p = POPS_BUF_INIT;
	int fd;

	pops_buf_printf(&p, "/tmp/pops-ds-XXXXXX%s", ext);
	fd = mkstemps(p.ptr, (int)strlen(ext));
	if (fd < 0)
		return NULL;
	if (pops_write_all(fd, text, strlen(text), "tmp") < 0) {
		close(fd);
		return NULL;
	}
	close(fd);
	return pops_buf_detach(&p);
}

/* read every row; returns count or a negative error */
static int read_all(const char *ext, const char *text, pops_case *last)
{
	char *path = tmpfile_with(ext, text);
	pops_dataset *ds = NULL;
	int n = 0, r;

	if (!path)
		return -100;
	if ((r = pops_dataset_open(&ds, path, ext + 1)) < 0) {
		n = r;
		goto done;
	}
	while ((r = pops_dataset_next(ds, last)) == 1)
		n++;
	if (r < 0)
		n = r;
done:
	pops_dataset_free(ds);
	unlink(path);
	free(path);
	return n;
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

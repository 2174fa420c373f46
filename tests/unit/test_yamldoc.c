#include "unit.h"
#include "yamldoc.h"

static cJSON *parse_ok(pops_yaml_doc **doc, const char *text)
{
	if (pops_yaml_parse(doc, text, strlen(text), "t.yaml", 0, NULL) < 0)
		return NULL;
	return pops_yaml_root(*doc);
}

TEST(yaml_plain_scalars_follow_the_core_schema)
{
	pops_yaml_doc *doc = NULL;
	cJSON *r = parse_ok(&doc, "a: 1\nb: 2.5\nc: true\nd: ~\ne: hello\nf: '1'\n"
	                          "g: 0x1f\nh: 1e3\ni: yes\nj: .inf\nk: -7\n");

	CHECK(r != NULL);
	CHECK(cJSON_IsNumber(cJSON_GetObjectItem(r, "a")));
	CHECK(cJSON_GetObjectItem(r, "b")->valuedouble == 2.5);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r, "c")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(r, "d")));
	CHECK_STR(cJSON_GetObjectItem(r, "e")->valuestring, "hello");
	/* quoted stays a string */
	CHECK_STR(cJSON_GetObjectItem(r, "f")->valuestring, "1");
	CHECK_INT(cJSON_GetObjectItem(r, "g")->valuedouble, 31);
	CHECK_INT(cJSON_GetObjectItem(r, "h")->valuedouble, 1000);
	/* YAML 1.1 booleans are plain strings in 1.2 */
	CHECK_STR(cJSON_GetObjectItem(r, "i")->valuestring, "yes");
	/* JSON cannot hold infinity: kept as text */
	CHECK(cJSON_IsString(cJSON_GetObjectItem(r, "j")));
	CHECK_INT(cJSON_GetObjectItem(r, "k")->valuedouble, -7);
	pops_yaml_free(doc);
}

TEST(yaml_remembers_lines_of_keys_and_items)
{
	pops_yaml_doc *doc = NULL;
	cJSON *r = parse_ok(&doc, "top:\n  inner: x\nlist:\n  - a\n  - b\n");

	CHECK(r != NULL);
	CHECK_INT(pops_yaml_line(doc, cJSON_GetObjectItem(r, "top")), 1);
	CHECK_INT(pops_yaml_line(doc, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "top"), "inner")), 2);
	CHECK_INT(pops_yaml_line(doc, cJSON_GetArrayItem(cJSON_GetObjectItem(r, "list"), 1)), 5);
	CHECK_INT(pops_yaml_col(doc, cJSON_GetArrayItem(cJSON_GetObjectItem(r, "list"), 1)), 5);
	pops_yaml_free(doc);
}

TEST(yaml_line_offset_shifts_reported_lines)
{
	pops_yaml_doc *doc = NULL;

	CHECK_INT(pops_yaml_parse(&doc, "a: b: c\nd: 1\n", 12, "x.prompt", 10, NULL),
	          POPS_EINVALID);
	CHECK_ERR_HAS("x.prompt:11:5:");
}

TEST(yaml_aliases_and_merge_keys_expand)
{
	pops_yaml_doc *doc = NULL;
	cJSON *r = parse_ok(&doc,
		"base: &b {x: 1, y: 2}\n"
		"copy: *b\n"
		"merged:\n  <<: *b\n  y: 3\n"
		"merged2:\n  y: 4\n  <<: *b\n"
		"s: &s text\nt: *s\n");

	CHECK(r != NULL);
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "copy"), "y")->valuedouble, 2);
	/* explicit keys win over merged ones, before or after the merge */
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "merged"), "y")->valuedouble, 3);
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "merged"), "x")->valuedouble, 1);
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "merged2"), "y")->valuedouble, 4);
	CHECK_STR(cJSON_GetObjectItem(r, "t")->valuestring, "text");
	pops_yaml_free(doc);
}

TEST(yaml_rejects_duplicate_keys_with_position)
{
	pops_yaml_doc *doc = NULL;
	const char *t = "a: 1\nb: 2\na: 3\n";

	CHECK_INT(pops_yaml_parse(&doc, t, strlen(t), "d.yaml", 0, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("d.yaml:3:1: duplicate key 'a'");
	CHECK(doc == NULL);
}

TEST(yaml_rejects_complex_keys_and_unknown_aliases)
{
	pops_yaml_doc *doc = NULL;
	const char *t1 = "? [a, b]\n: 1\n", *t2 = "a: *nope\n";

	CHECK_INT(pops_yaml_parse(&doc, t1, strlen(t1), "k.yaml", 0, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("mapping keys must be plain values");
	CHECK_INT(pops_yaml_parse(&doc, t2, strlen(t2), "k.yaml", 0, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("k.yaml:1:4:");
}

TEST(yaml_bomb_hits_the_alias_limit)
{
	pops_yaml_doc *doc = NULL;
	pops_yaml_limits lim = POPS_YAML_LIMITS_INIT;
	pops_buf t = POPS_BUF_INIT;
	int i, j;

	pops_buf_puts(&t, "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 9; i++) {
		pops_buf_printf(&t, "l%d: &l%d [", i, i);
		for (j = 0; j < 10; j++)
			pops_buf_printf(&t, "%s*l%d", j ? ", " : "", i - 1);
		pops_buf_puts(&t, "]\n");
	}
	lim.max_alias_nodes = 10000;
	CHECK_INT(pops_yaml_parse(&doc, t.ptr, t.size, "bomb.yaml", 0, &lim), POPS_EINVALID);
	CHECK_ERR_HAS("aliases expand to more than 10000 nodes");
	pops_buf_dispose(&t);
}

TEST(yaml_depth_and_size_limits_are_errors)
{
	pops_yaml_doc *doc = NULL;
	pops_yaml_limits lim = POPS_YAML_LIMITS_INIT;
	pops_buf t = POPS_BUF_INIT;
	int i;

	for (i = 0; i < 100; i++)
		pops_buf_putc(&t, '[');
	CHECK_INT(pops_yaml_parse(&doc, t.ptr, t.size, "deep.yaml", 0, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("nesting deeper than 64 levels");
	lim.max_bytes = 10;
	CHECK_INT(pops_yaml_parse(&doc, "a: 12345678901", 14, "big.yaml", 0, &lim), POPS_EINVALID);
	CHECK_ERR_HAS("too large");
	pops_buf_dispose(&t);
}

TEST(yaml_empty_input_is_null_and_second_document_is_refused)
{
	pops_yaml_doc *doc = NULL;

	CHECK_INT(pops_yaml_parse(&doc, "", 0, "e.yaml", 0, NULL), 0);
	CHECK(cJSON_IsNull(pops_yaml_root(doc)));
	pops_yaml_free(doc);
	doc = NULL;
	CHECK_INT(pops_yaml_parse(&doc, "a: 1\n---\nb: 2\n", 14, "m.yaml", 0, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("more than one YAML document");
}

TEST(yaml_detach_keeps_positions_usable)
{
	pops_yaml_doc *doc = NULL;
	cJSON *r = parse_ok(&doc, "a:\n  b: 1\n");
	cJSON *own;

	CHECK(r != NULL);
	own = pops_yaml_detach(doc);
	CHECK(own == r);
	CHECK_INT(pops_yaml_line(doc, cJSON_GetObjectItem(own, "a")), 1);
	pops_yaml_free(doc);
	cJSON_Delete(own);
}

static cJSON *json_ok(pops_yaml_doc **doc, const char *text)
{
	if (pops_yaml_parse_json(doc, text, strlen(text), "t.json", NULL) < 0)
		return NULL;
	return pops_yaml_root(*doc);
}

static int json_err(pops_yaml_doc **doc, const char *text, const char *name)
{
	return pops_yaml_parse_json(doc, text, strlen(text), name, NULL);
}

/* what python3 -c 'import json; json.dump({"w": "caf\u00e9 \U0001F642"}, f)' writes */
TEST(json_reads_surrogate_pairs_that_yaml_refuses)
{
	static const char py[] = "{\"w\": \"caf\\u00e9 \\ud83d\\ude42\"}";
	pops_yaml_doc *doc = NULL;
	cJSON *r = json_ok(&doc, py);

	CHECK(r != NULL);
	CHECK_STR(cJSON_GetObjectItem(r, "w")->valuestring, "caf\xc3\xa9 \xf0\x9f\x99\x82");
	pops_yaml_free(doc);
	doc = NULL;
	/* the YAML reader is why .json files no longer go through it */
	CHECK(pops_yaml_parse(&doc, py, strlen(py), "t.yaml", 0, NULL) < 0);
}

TEST(json_remembers_lines_of_keys_and_items)
{
	pops_yaml_doc *doc = NULL;
	cJSON *r = json_ok(&doc, "{\n  \"top\": {\n    \"inner\": \"x\"\n  },\n"
	                         "  \"list\": [\n    \"a\",\n    {\"b\": 1}\n  ]\n}\n");

	CHECK(r != NULL);
	CHECK_INT(pops_yaml_line(doc, r), 1);
	CHECK_INT(pops_yaml_line(doc, cJSON_GetObjectItem(r, "top")), 2);
	CHECK_INT(pops_yaml_col(doc, cJSON_GetObjectItem(r, "top")), 3);
	CHECK_INT(pops_yaml_line(doc, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "top"), "inner")), 3);
	CHECK_INT(pops_yaml_line(doc, cJSON_GetArrayItem(cJSON_GetObjectItem(r, "list"), 1)), 7);
	CHECK_INT(pops_yaml_col(doc, cJSON_GetArrayItem(cJSON_GetObjectItem(r, "list"), 1)), 5);
	pops_yaml_free(doc);
}

TEST(json_syntax_errors_name_line_and_column)
{
	pops_yaml_doc *doc = NULL;

	CHECK_INT(json_err(&doc, "{\n  \"a\": 1,\n}\n", "v.json"), POPS_EINVALID);
	CHECK_ERR_HAS("v.json:3:");
	CHECK_ERR_HAS("strict JSON");
	CHECK_INT(json_err(&doc, "[1] [2]", "v.json"), POPS_EINVALID);
	CHECK_ERR_HAS("v.json:1:5: unexpected text after");
}

TEST(json_refuses_duplicate_keys_nul_escapes_and_control_bytes)
{
	pops_yaml_doc *doc = NULL;

	CHECK_INT(json_err(&doc, "{\"a\": 1,\n \"b\": 2,\n \"a\": 3}", "d.json"), POPS_EINVALID);
	CHECK_ERR_HAS("d.json:3:2: duplicate key 'a'");
	CHECK_INT(json_err(&doc, "{\"a\": \"x\\u0000y\"}", "n.json"), POPS_EINVALID);
	CHECK_ERR_HAS("\\u0000");
	CHECK_INT(json_err(&doc, "{\"a\": \"x\001\"}", "c.json"), POPS_EINVALID);
	CHECK_ERR_HAS("c.json:1:9: control character 0x01");
	CHECK_INT(json_err(&doc, "[\"caf\xe9\"]", "u.json"), POPS_EINVALID);
	CHECK_ERR_HAS("u.json:1:6: invalid UTF-8");
}

TEST(json_empty_input_is_null_bom_is_skipped_and_depth_is_capped)
{
	pops_yaml_doc *doc = NULL;
	pops_buf t = POPS_BUF_INIT;
	int i;

	CHECK_INT(pops_yaml_parse_json(&doc, " \n", 2, "e.json", NULL), 0);
	CHECK(cJSON_IsNull(pops_yaml_root(doc)));
	pops_yaml_free(doc);
	doc = NULL;
	CHECK_INT(pops_yaml_parse_json(&doc, "\xEF\xBB\xBF{\"a\": 1}", 11, "b.json", NULL), 0);
	CHECK_INT(pops_yaml_line(doc, cJSON_GetObjectItem(pops_yaml_root(doc), "a")), 1);
	pops_yaml_free(doc);
	doc = NULL;
	for (i = 0; i < 100; i++)
		pops_buf_putc(&t, '[');
	for (i = 0; i < 100; i++)
		pops_buf_putc(&t, ']');
	CHECK_INT(pops_yaml_parse_json(&doc, t.ptr, t.size, "deep.json", NULL), POPS_EINVALID);
	CHECK_ERR_HAS("nesting deeper than 64 levels");
	pops_buf_dispose(&t);
}

TEST(parse_file_picks_the_parser_by_extension)
{
	pops_yaml_doc *doc = NULL;

	/* JSON that YAML reads differently: a tab before a value is fine in JSON */
	CHECK_INT(pops_yaml_parse_file(&doc, "{\"a\":\t\"\\ud83d\\ude42\"}", 21, "V.JSON", NULL), 0);
	pops_yaml_free(doc);
	doc = NULL;
	CHECK_INT(pops_yaml_parse_file(&doc, "a: [1, 2]\n", 10, "v.yml", NULL), 0);
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(pops_yaml_root(doc), "a")));
	pops_yaml_free(doc);
	CHECK(pops_yaml_name_is_json("x/tests.json"));
	CHECK(!pops_yaml_name_is_json("tests.jsonl"));
	CHECK(!pops_yaml_name_is_json(NULL));
}

#include "unit.h"
#include <math.h>
#include "assertion.h"
#include "judge.h"
#include "jsonschema.h"
#include "assertion_int.h"

/* compile `json` and check `output` against it; returns pass (1/0), 2 error, <0 compile error */
static int run(const char *json, const char *output, const char *scope_json,
               pops_buf *reason)
{
	cJSON *node = cJSON_Parse(json), *scope = scope_json ? cJSON_Parse(scope_json) : NULL;
	pops_assert *a = NULL;
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	pops_assert_input in = { output, strlen(output), scope, 120.0, 0.002, "c1" };
	int r;

	if ((r = pops_assert_compile(&a, node, "s.yaml", 7)) < 0)
		goto done;
	if ((r = pops_assert_check(&res, a, &in)) < 0)
		goto done;
	r = res.error ? 2 : res.pass;
	if (reason)
		pops_buf_sets(reason, res.reason.ptr);
done:
	pops_buf_dispose(&res.reason);
	pops_assert_free(a);
	cJSON_Delete(node);
	cJSON_Delete(scope);
	return r;
}

TEST(string_assertions_and_negations)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(run("{\"type\":\"equals\",\"value\":\"hi\"}", "hi", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"equals\",\"value\":\"hi\"}", "hi\n", NULL, &why), 0);
	CHECK_STR(why.ptr, "output differs from 'hi'");
	CHECK_INT(run("{\"type\":\"contains\",\"value\":\"lo w\"}", "hello world", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"not-contains\",\"value\":\"lo w\"}", "hello world", NULL, &why), 0);
	CHECK_STR(why.ptr, "output contains 'lo w'");
	CHECK_INT(run("{\"type\":\"icontains\",\"value\":\"WORLD\"}", "hello world", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"starts-with\",\"value\":\"he\"}", "hello", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"starts-with\",\"value\":\"lo\"}", "hello", NULL, &why), 0);
	CHECK_STR(why.ptr, "output does not start with 'lo'");
	pops_buf_dispose(&why);
}

TEST(values_are_templates_over_case_vars)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(run("{\"type\":\"icontains\",\"value\":\"{{expected}}\"}", "The answer is PARIS.",
	              "{\"expected\":\"paris\"}", NULL), 1);
	CHECK_INT(run("{\"type\":\"contains\",\"value\":\"{{ a.b }}-{{n}}\"}", "x-3",
	              "{\"a\":{\"b\":\"x\"},\"n\":3}", NULL), 1);
	CHECK_INT(run("{\"type\":\"regex\",\"value\":\"^{{w}}$\"}", "cat", "{\"w\":\"c.t\"}", NULL), 1);
	CHECK_INT(run("{\"type\":\"regex\",\"value\":\"{{w}}\"}", "cat", "{\"w\":\"(\"}", &why), 2);
	CHECK(strstr(why.ptr, "invalid regex"));
	pops_buf_dispose(&why);
}

TEST(regex_uses_pcre2_and_survives_bad_utf8)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(run("{\"type\":\"regex\",\"value\":\"\\\\d{3}-\\\\d{4}\"}", "call 555-1234", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"not-regex\",\"value\":\"sorry\"}", "I am sorry", NULL, &why), 0);
	CHECK_STR(why.ptr, "output matches /sorry/");
	CHECK_INT(run("{\"type\":\"regex\",\"value\":\"ok\"}", "\xff\xfe ok", NULL, NULL), 1);
	pops_buf_dispose(&why);
}

TEST(compile_rejects_bad_assertions_with_location)
{
	CHECK_INT(run("{\"type\":\"containz\",\"value\":\"x\"}", "", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:7: unknown assertion type 'containz' (did you mean 'contains'?)");
	CHECK_INT(run("{\"type\":\"regex\",\"value\":\"a(b\"}", "", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:7: invalid regex 'a(b': missing closing parenthesis at offset 3");
	CHECK_INT(run("{\"type\":\"contains\"}", "", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'contains' needs a 'value'");
	CHECK_INT(run("{\"type\":\"contains\",\"valeu\":\"x\"}", "", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("unknown assertion key 'valeu' (did you mean 'value'?)");
	CHECK_INT(run("{\"type\":\"not-length\",\"max\":3}", "", NULL, NULL), POPS_EINVALID);
	CHECK_INT(run("{\"type\":\"judge\",\"rubric\":\"x\"}", "", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("needs 'model'");
}

TEST(type_names_and_suggestions_come_from_one_table)
{
	static const char *const names[] = {
		"equals", "contains", "icontains", "starts-with", "regex", "is-json",
		"json-schema", "json-path", "length", "levenshtein", "latency-ms", "cost",
		"exec", "judge", "pairwise", "contains-any", "contains-all", "icontains-any",
		"icontains-all", "contains-json", "rouge-n", "word-count", "context-faithfulness",
		"context-recall"
	};
	static const char *const negatable[] = {
		"not-equals", "not-contains", "not-icontains", "not-starts-with", "not-regex",
		"not-is-json", "not-json-schema", "not-json-path", "not-contains-any",
		"not-contains-all", "not-icontains-any", "not-icontains-all", "not-contains-json"
	};
	static const char *const plain_only[] = {
		"not-length", "not-levenshtein", "not-latency-ms", "not-cost", "not-exec",
		"not-judge", "not-pairwise", "not-rouge-n", "not-word-count", "not-",
		"not-context-faithfulness", "not-context-recall",
		"not-not-contains", "Contains"
	};
	size_t i;

	for (i = 0; i < POPS_ARRAY_SIZE(names); i++)
		CHECK(pops_assert_type_known(names[i]));
	for (i = 0; i < POPS_ARRAY_SIZE(negatable); i++)
		CHECK(pops_assert_type_known(negatable[i]));
	for (i = 0; i < POPS_ARRAY_SIZE(plain_only); i++)
		CHECK(!pops_assert_type_known(plain_only[i]));
	/* the not- forms are suggested too, and only for types that have one */
	CHECK_INT(run("{\"type\":\"not-containz\",\"value\":\"x\"}", "", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:7: unknown assertion type 'not-containz' (did you mean 'not-contains'?)");
	CHECK_INT(run("{\"type\":\"not-icontains-al\",\"value\":[\"x\"]}", "", NULL, NULL),
	          POPS_EINVALID);
	CHECK_ERR_HAS("(did you mean 'not-icontains-all'?)");
	CHECK_INT(run("{\"type\":\"not-cost\",\"threshold\":1}", "", NULL, NULL), POPS_EINVALID);
	CHECK_STR(pops_error_last(), "s.yaml:7: unknown assertion type 'not-cost'");
	CHECK_INT(run("{\"type\":\"latency\",\"threshold\":1}", "", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("unknown assertion type 'latency' (did you mean 'latency-ms'?)");
}

TEST(json_assertions)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(run("{\"type\":\"is-json\"}", "{\"a\":1}", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"is-json\"}", "```json\n{\"a\":1}\n```", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"is-json\"}", "sure! {\"a\":1}", NULL, &why), 0);
	CHECK_STR(why.ptr, "output is not valid JSON");
	CHECK_INT(run("{\"type\":\"json-path\",\"path\":\"$.items[1].name\",\"value\":\"b\"}",
	              "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"json-path\",\"path\":\"items[0].n\",\"value\":2}",
	              "{\"items\":[{\"n\":3}]}", NULL, &why), 0);
	CHECK_STR(why.ptr, "items[0].n differs from the expected value");
	CHECK_INT(run("{\"type\":\"equals\",\"value\":{\"a\":[1,2]}}", " {\"a\": [1, 2]} ", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"json-schema\",\"value\":{\"type\":\"object\",\"required\":[\"x\"],"
	              "\"properties\":{\"x\":{\"type\":\"integer\",\"minimum\":1}}}}",
	              "{\"x\":0}", NULL, &why), 0);
	CHECK_STR(why.ptr, "schema: $.x: 0 is below minimum 1");
	pops_buf_dispose(&why);
}

TEST(jsonschema_core_keywords)
{
	pops_buf why = POPS_BUF_INIT;
	cJSON *s = cJSON_Parse("{\"type\":\"object\",\"additionalProperties\":false,"
	    "\"properties\":{\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]},\"maxItems\":2},"
	    "\"id\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\",\"minLength\":2},"
	    "\"v\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]},"
	    "\"c\":{\"const\":true},\"n\":{\"anyOf\":[{\"type\":\"null\"},{\"exclusiveMaximum\":5}]}}}");
	struct { const char *doc; int ok; const char *why; } cases[] = {
		{ "{\"tags\":[\"a\",\"b\"],\"id\":\"xy\",\"v\":3,\"c\":true,\"n\":null}", 1, "" },
		{ "{\"tags\":[\"c\"]}", 0, "$.tags[0]: value is not one of the enum values" },
		{ "{\"tags\":[\"a\",\"a\",\"a\"]}", 0, "$.tags: more than 2 items" },
		{ "{\"id\":\"X1\"}", 0, "$.id: string does not match pattern '^[a-z]+$'" },
		{ "{\"id\":\"x\"}", 0, "$.id: string shorter than 2" },
		{ "{\"v\":1.5}", 0, "$.v: value matches 0 of oneOf, expected exactly 1" },
		{ "{\"zz\":1}", 0, "$: property 'zz' is not allowed" },
		{ "{\"c\":false}", 0, "$.c: value differs from const" },
		{ "{\"n\":5}", 0, "$.n: value matches none of anyOf" },
		{ "[]", 0, "$: expected object, got array" },
	};
	size_t i;

	for (i = 0; i < POPS_ARRAY_SIZE(cases); i++) {
		cJSON *d = cJSON_Parse(cases[i].doc);

		pops_buf_clear(&why);
		CHECK_INT(pops_jsonschema_validate(s, d, &why), cases[i].ok);
		if (!cases[i].ok)
			CHECK_STR(why.ptr, cases[i].why);
		cJSON_Delete(d);
	}
	cJSON_Delete(s);
	pops_buf_dispose(&why);
}

TEST(length_levenshtein_latency_cost)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(run("{\"type\":\"length\",\"max\":3}", "h\xc3\xa9l", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"length\",\"min\":5}", "four", NULL, &why), 0);
	CHECK_STR(why.ptr, "output has 4 characters, expected at least 5");
	CHECK_INT(run("{\"type\":\"length\",\"min\":1,\"max\":2}", "four", NULL, &why), 0);
	CHECK_STR(why.ptr, "output has 4 characters, expected 1 to 2");
	CHECK_INT(run("{\"type\":\"levenshtein\",\"value\":\"kitten\",\"threshold\":3}", "sitting", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"levenshtein\",\"value\":\"kitten\",\"threshold\":2}", "sitting", NULL, &why), 0);
	CHECK_STR(why.ptr, "edit distance 3 to 'kitten', more than the 2 allowed");
	CHECK_INT(run("{\"type\":\"levenshtein\",\"value\":\"a\",\"threshold\":0}", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", NULL, &why), 0);
	CHECK_STR(why.ptr, "edit distance over 100 to 'a', more than the 0 allowed");
	CHECK_INT(run("{\"type\":\"latency-ms\",\"threshold\":100}", "x", NULL, &why), 0);
	CHECK_STR(why.ptr, "latency 120 ms is over 100 ms");
	CHECK_INT(run("{\"type\":\"latency-ms\",\"threshold\":99.5}", "x", NULL, &why), 0);
	CHECK_STR(why.ptr, "latency 120 ms is over 99.5 ms");
	CHECK_INT(run("{\"type\":\"cost\",\"threshold\":0.01}", "x", NULL, NULL), 1);
	/* a threshold prints as given, not rounded to $0.000000 */
	CHECK_INT(run("{\"type\":\"cost\",\"threshold\":1e-07}", "x", NULL, &why), 0);
	CHECK_STR(why.ptr, "cost $0.002 is over $1e-07");
	pops_buf_dispose(&why);
}

TEST(exec_passes_output_on_stdin)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(run("{\"type\":\"exec\",\"command\":[\"grep\",\"-q\",\"yes\"]}", "oh yes", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"exec\",\"command\":[\"sh\",\"-c\",\"echo bad $POPS_CASE_ID; exit 3\"]}",
	              "x", NULL, &why), 0);
	CHECK_STR(why.ptr, "command 'sh' exited with 3: bad c1");
	CHECK_INT(run("{\"type\":\"exec\",\"command\":[\"sleep\",\"5\"],\"timeout\":0.2}", "x", NULL, &why), 2);
	CHECK(strstr(why.ptr, "timed out"));
	CHECK_INT(run("{\"type\":\"exec\",\"command\":[\"/nonexistent/cmd\"]}", "x", NULL, &why), 2);
	CHECK(strstr(why.ptr, "cannot run"));
	pops_buf_dispose(&why);
}

TEST(output_with_nul_bytes_is_checked_by_length)
{
	cJSON *node = cJSON_Parse("{\"type\":\"contains\",\"value\":\"tail\"}");
	pops_assert *a = NULL;
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	pops_assert_input in = { "head\0tail", 9, NULL, 0, 0, NULL };

	CHECK_INT(pops_assert_compile(&a, node, "f", 1), 0);
	CHECK_INT(pops_assert_check(&res, a, &in), 0);
	CHECK_INT(res.pass, 1);
	pops_buf_dispose(&res.reason);
	pops_assert_free(a);
	cJSON_Delete(node);
}

TEST(failure_reasons_are_one_line_whatever_the_schema_paths_and_values)
{
	pops_buf why = POPS_BUF_INIT;

	/* a property name with a newline, reported in the schema path */
	CHECK_INT(run("{\"type\":\"json-schema\",\"value\":{\"type\":\"object\","
	              "\"properties\":{\"a\\nb\\u0007\":{\"type\":\"string\"}}}}",
	              "{\"a\\nb\\u0007\": 5}", NULL, &why), 0);
	CHECK(!strchr(why.ptr, '\n') && !strchr(why.ptr, '\a'));
	CHECK(strstr(why.ptr, "a\\nb\\x07"));
	/* a path that is missing, with a tab and CR in it */
	CHECK_INT(run("{\"type\":\"json-schema\",\"value\":{\"required\":[\"k\\t\\r\"]}}",
	              "{}", NULL, &why), 0);
	CHECK(!strchr(why.ptr, '\t') && !strchr(why.ptr, '\r'));
	CHECK(strstr(why.ptr, "k\\t\\r"));
	/* json-path: the path and the values quoted in the reason */
	CHECK_INT(run("{\"type\":\"json-path\",\"path\":\"$.x\",\"value\":\"two\\nlines\"}",
	              "{\"x\":\"other\\nvalue\"}", NULL, &why), 0);
	CHECK(!strchr(why.ptr, '\n'));
	/* a templated value with a newline */
	CHECK_INT(run("{\"type\":\"contains\",\"value\":\"{{v}}\"}", "nothing", "{\"v\":\"a\\nb\"}", &why), 0);
	CHECK(!strchr(why.ptr, '\n'));
	pops_buf_sets(&why, "x\ny\x7fz");
	CHECK_INT(pops_assert_one_line(&why), 0);
	CHECK_STR(why.ptr, "x\\ny\\x7fz");
	pops_buf_dispose(&why);
}

TEST(any_and_all_lists_match_like_promptfoo)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(run("{\"type\":\"contains-any\",\"value\":[\"cat\",\"dog\"]}", "a dog", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"contains-any\",\"value\":[\"cat\",\"Dog\"]}", "a dog", NULL, &why), 0);
	CHECK_STR(why.ptr, "output contains none of 'cat', 'Dog'");
	CHECK_INT(run("{\"type\":\"icontains-any\",\"value\":[\"cat\",\"DOG\"]}", "a dog", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"contains-all\",\"value\":[\"a\",\"dog\",\"cat\"]}", "a dog", NULL, &why), 0);
	CHECK_STR(why.ptr, "output does not contain 'cat'");
	CHECK_INT(run("{\"type\":\"icontains-all\",\"value\":\"A, DOG\"}", "a dog", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"not-contains-any\",\"value\":[\"cat\",\"dog\"]}", "a dog", NULL, &why), 0);
	CHECK_STR(why.ptr, "output contains 'dog'");
	CHECK_INT(run("{\"type\":\"not-contains-all\",\"value\":[\"cat\",\"dog\"]}", "a dog", NULL, NULL), 1);
	/* items are templates, numbers are text */
	CHECK_INT(run("{\"type\":\"contains-all\",\"value\":[\"{{city}}\",42]}", "Paris 42",
	              "{\"city\":\"Paris\"}", NULL), 1);
	pops_buf_dispose(&why);
}

TEST(any_and_all_need_a_list_of_strings)
{
	CHECK_INT(run("{\"type\":\"contains-any\"}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:7: 'contains-any' needs 'value': a list of strings");
	CHECK_INT(run("{\"type\":\"contains-all\",\"value\":[{\"a\":1}]}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'contains-all' values must be strings");
	CHECK_INT(run("{\"type\":\"contains-any\",\"value\":\" , \"}", "x", NULL, NULL), POPS_EINVALID);
}

TEST(contains_json_finds_json_in_prose_and_checks_a_schema)
{
	pops_buf why = POPS_BUF_INIT;
	static const char schema[] = "{\"type\":\"contains-json\",\"value\":{\"type\":\"object\","
	                             "\"required\":[\"n\"]}}";

	CHECK_INT(run("{\"type\":\"contains-json\"}", "Sure! {\"a\": [1, 2]} Hope it helps.", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"contains-json\"}", "no json {here", NULL, &why), 0);
	CHECK_STR(why.ptr, "output contains no JSON");
	CHECK_INT(run(schema, "first {\"a\":1} then {\"n\":2}", NULL, NULL), 1);
	CHECK_INT(run(schema, "only {\"a\":1}", NULL, &why), 0);
	CHECK(strstr(why.ptr, "no JSON in the output matches the schema"));
	CHECK_INT(run("{\"type\":\"not-contains-json\"}", "plain text", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"contains-json\",\"value\":\"x\"}", "{}", NULL, NULL), POPS_EINVALID);
	pops_buf_dispose(&why);
}

/* ttft-ms: the ceiling on a streamed reply's first token; unknown when not streamed */
static int ttft_check(double ttft, const char *json, pops_buf *why)
{
	cJSON *node = cJSON_Parse(json);
	pops_assert *a = NULL;
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	pops_assert_input in = { "x", 1, NULL, 900.0, -1, "c1", NULL, ttft };
	int r = pops_assert_compile(&a, node, "s.yaml", 3);

	if (r == 0 && (r = pops_assert_check(&res, a, &in)) == 0)
		r = res.error ? 2 : res.pass;
	pops_buf_sets(why, res.reason.ptr ? res.reason.ptr : "");
	pops_buf_dispose(&res.reason);
	pops_assert_free(a);
	cJSON_Delete(node);
	return r;
}

TEST(ttft_ms_checks_the_time_to_first_token_not_the_latency)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(ttft_check(40.0, "{\"type\":\"ttft-ms\",\"value\":50}", &why), 1);
	CHECK_INT(ttft_check(60.0, "{\"type\":\"ttft-ms\",\"threshold\":50}", &why), 0);
	CHECK_STR(why.ptr, "time to first token 60 ms is over 50 ms");
	CHECK_INT(ttft_check(-1.0, "{\"type\":\"ttft-ms\",\"value\":50}", &why), 2);
	CHECK(strstr(why.ptr, "not streamed"));
	CHECK(ttft_check(1.0, "{\"type\":\"ttft-ms\"}", &why) < 0);
	CHECK(ttft_check(1.0, "{\"type\":\"not-ttft-ms\",\"value\":5}", &why) < 0);
	pops_buf_dispose(&why);
}

TEST(contains_json_takes_schema_and_finds_fenced_blocks)
{
	pops_buf why = POPS_BUF_INIT;
	static const char schema[] = "{\"type\":\"contains-json\",\"schema\":{\"type\":\"object\","
	                             "\"required\":[\"n\"],\"properties\":{\"n\":{\"type\":\"integer\"}}}}";
	static const char fenced[] = "Here it is:\n```json\n{\n  \"n\": 3,\n  \"tags\": [\"a\", {\"b\": []}]\n}\n```\nBye.";

	CHECK_INT(run(schema, fenced, NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"contains-json\"}", "list: [1, [2, 3]] done", NULL, NULL), 1);
	/* an unbalanced start is skipped, a later balanced one counts */
	CHECK_INT(run(schema, "{\"n\": 1 oops, then {\"n\": 2}", NULL, NULL), 1);
	CHECK_INT(run(schema, "```json\n{\"n\": \"three\"}\n```", NULL, &why), 0);
	CHECK(strstr(why.ptr, "no JSON in the output matches the schema"));
	CHECK(strstr(why.ptr, "$.n"));
	CHECK_INT(run("{\"type\":\"not-contains-json\",\"schema\":{\"required\":[\"n\"]}}",
	              "{\"m\":1}", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"contains-json\",\"schema\":{},\"value\":{}}", "{}", NULL, NULL),
	          POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:7: 'contains-json' has a schema as both 'schema' and 'value'");
	CHECK_INT(run("{\"type\":\"contains-json\",\"schema\":\"x\"}", "{}", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'schema' must be a JSON Schema");
	CHECK_INT(run("{\"type\":\"is-json\",\"schema\":{}}", "{}", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'schema' is for 'contains-json' only");
	pops_buf_dispose(&why);
}

/* the score of a check, for the partial ones */
static double score_of(const char *json, const char *output, const char *scope_json,
                       pops_buf *reason)
{
	cJSON *node = cJSON_Parse(json), *scope = scope_json ? cJSON_Parse(scope_json) : NULL;
	pops_assert *a = NULL;
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	pops_assert_input in = { output, strlen(output), scope, 1, 0, "c1" };
	double sc = -1;

	if (pops_assert_compile(&a, node, "s.yaml", 7) == 0 && pops_assert_check(&res, a, &in) == 0)
		sc = res.error ? -2 : res.score;
	if (reason)
		pops_buf_sets(reason, res.reason.ptr);
	pops_buf_dispose(&res.reason);
	pops_assert_free(a);
	cJSON_Delete(node);
	cJSON_Delete(scope);
	return sc;
}

TEST(rouge_n_is_clipped_ngram_recall_of_lowercase_words)
{
	pops_buf why = POPS_BUF_INIT;

	/* 5 reference words, 4 in the output (case and punctuation ignored) */
	CHECK_INT(run("{\"type\":\"rouge-n\",\"value\":\"The cat sat on mats\"}",
	              "the CAT, it sat on the mat.", NULL, &why), 1);
	CHECK_STR(why.ptr, "ROUGE-1 recall 0.80 (4 of 5 1-grams of 'The cat sat on mats')");
	CHECK(score_of("{\"type\":\"rouge-n\",\"value\":\"The cat sat on mats\"}",
	               "the CAT, it sat on the mat.", NULL, NULL) == 0.8);
	CHECK_INT(run("{\"type\":\"rouge-n\",\"value\":\"The cat sat on mats\",\"threshold\":0.9}",
	              "the cat sat on the mat", NULL, &why), 0);
	CHECK_STR(why.ptr, "ROUGE-1 recall 0.80 (4 of 5 1-grams of 'The cat sat on mats'), "
	          "below the threshold 0.9");
	/* clipped: 'the' twice in the reference, once in the output */
	CHECK(score_of("{\"type\":\"rouge-n\",\"value\":\"the the cat\"}", "the cat", NULL, NULL) ==
	      2.0 / 3.0);
	/* and once counted however often the output repeats it */
	CHECK(score_of("{\"type\":\"rouge-n\",\"value\":\"the dog\"}", "the the the", NULL, NULL) == 0.5);
	/* bigrams: order matters */
	CHECK(score_of("{\"type\":\"rouge-n\",\"n\":2,\"value\":\"a b c d\"}", "c d a b", NULL, NULL) ==
	      2.0 / 3.0);
	CHECK(score_of("{\"type\":\"rouge-n\",\"n\":2,\"value\":\"a b c d\"}", "d c b a", NULL, NULL) == 0);
	/* non-ASCII bytes are word bytes; templates expand */
	CHECK_INT(run("{\"type\":\"rouge-n\",\"value\":\"{{expected}}\",\"threshold\":1}",
	              "Un caf\xc3\xa9 cr\xc3\xa8me", "{\"expected\":\"caf\xc3\xa9 CR\xc3\xa8ME\"}", NULL), 1);
	/* a reference too short for n is an error, not a pass */
	CHECK_INT(run("{\"type\":\"rouge-n\",\"n\":3,\"value\":\"two words\"}", "two words", NULL, &why), 2);
	CHECK_STR(why.ptr, "rouge-n: the reference 'two words' has fewer than 3 words");
	pops_buf_dispose(&why);
}

TEST(rouge_n_long_references_and_bad_keys)
{
	pops_buf ref = POPS_BUF_INIT, out = POPS_BUF_INIT, spec = POPS_BUF_INIT;
	int i;

	/* 400 distinct words (past the stack table), the output has every other one */
	for (i = 0; i < 400; i++) {
		pops_buf_printf(&ref, "w%d ", i);
		if (i % 2 == 0)
			pops_buf_printf(&out, "W%d, ", i);
	}
	pops_buf_printf(&spec, "{\"type\":\"rouge-n\",\"value\":\"%s\"}", ref.ptr);
	CHECK(score_of(spec.ptr, out.ptr, NULL, NULL) == 0.5);
	CHECK_INT(run("{\"type\":\"rouge-n\"}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'rouge-n' needs a 'value'");
	CHECK_INT(run("{\"type\":\"rouge-n\",\"value\":\"x\",\"n\":0}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:7: 'rouge-n' 'n' must be a whole number from 1 to 8");
	CHECK_INT(run("{\"type\":\"rouge-n\",\"value\":\"x\",\"n\":1.5}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_INT(run("{\"type\":\"rouge-n\",\"value\":\"x\",\"threshold\":2}", "x", NULL, NULL),
	          POPS_EINVALID);
	CHECK_ERR_HAS("'threshold' must be a number from 0 to 1");
	CHECK_INT(run("{\"type\":\"contains\",\"value\":\"x\",\"n\":2}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'n' is for 'rouge-n' only");
	pops_buf_dispose(&ref);
	pops_buf_dispose(&out);
	pops_buf_dispose(&spec);
}

TEST(word_count_counts_runs_of_non_space)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(run("{\"type\":\"word-count\",\"min\":3,\"max\":4}", "  one, two\tthree\n", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"word-count\",\"max\":2}", "one two three", NULL, &why), 0);
	CHECK_STR(why.ptr, "output has 3 words, expected at most 2");
	CHECK_INT(run("{\"type\":\"word-count\",\"min\":2}", "one", NULL, &why), 0);
	CHECK_STR(why.ptr, "output has 1 word, expected at least 2");
	CHECK_INT(run("{\"type\":\"word-count\",\"value\":2}", "a b", NULL, NULL), 1);
	CHECK_INT(run("{\"type\":\"word-count\",\"value\":2}", "a b c", NULL, &why), 0);
	CHECK_STR(why.ptr, "output has 3 words, expected exactly 2");
	CHECK_INT(run("{\"type\":\"word-count\",\"min\":1}", "", NULL, &why), 0);
	CHECK_STR(why.ptr, "output has 0 words, expected at least 1");
	CHECK_INT(run("{\"type\":\"word-count\"}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:7: 'word-count' needs 'min' and/or 'max' (numbers >= 0)");
	CHECK_INT(run("{\"type\":\"word-count\",\"min\":5,\"max\":2}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'word-count' has 'min' 5 above 'max' 2");
	CHECK_INT(run("{\"type\":\"word-count\",\"value\":\"5\"}", "x", NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'word-count' takes 'min' and/or 'max', or a number of words as 'value'");
	CHECK_INT(run("{\"type\":\"word-count\",\"value\":2,\"max\":3}", "x", NULL, NULL), POPS_EINVALID);
	pops_buf_dispose(&why);
}

TEST(weight_is_kept_and_checked)
{
	cJSON *node = cJSON_Parse("{\"type\":\"contains\",\"value\":\"x\",\"weight\":2.5}");
	pops_assert *a = NULL;

	CHECK_INT(pops_assert_compile(&a, node, "s.yaml", 7), 0);
	CHECK(a->weight == 2.5);
	pops_assert_free(a);
	cJSON_Delete(node);
	CHECK_INT(run("{\"type\":\"contains\",\"value\":\"x\",\"weight\":-1}", "x", NULL, NULL),
	          POPS_EINVALID);
	CHECK_ERR_HAS("'weight' must be a number >= 0");
}

/* word-count and rouge-n read 8 bytes at a time: the same answers as byte by byte */
TEST(word_scans_eight_bytes_at_a_time_agree_with_bytes)
{
	static const unsigned char alphabet[] = { ' ', '\t', '\n', '\v', '\f', '\r', 0x08, 0x0e,
	                                          0x1f, 'a', 'Z', '0', '9', '@', '[', '`', '{',
	                                          0x7f, 0x80, 0xc3, 0xa9, 0xff, '/', ':' };
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 3000; round++) {
		char text[80];
		size_t len = (size_t)(round % 70), i, words = 0, alnum_words = 0;
		int in = 0, ina = 0;

		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = (char)alphabet[(seed >> 16) % sizeof(alphabet)];
		}
		text[len] = 0;
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)text[i];
			int sp = c == ' ' || (c >= '\t' && c <= '\r');
			int wb = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;

			words += !sp && !in;
			in = !sp;
			alnum_words += wb && !ina;
			ina = wb;
		}
		CHECK_INT((int)pops_assert__word_count(text, len), (int)words);
		{
			size_t hits, total;

			/* every word of a text is found in the text itself */
			CHECK_INT(pops_assert__rouge(&hits, &total, text, len, text, len, 1), 0);
			CHECK_INT((int)total, (int)alnum_words);
			CHECK_INT((int)hits, (int)alnum_words);
		}
	}
}

TEST(rouge_n_words_match_wherever_they_sit_in_the_text)
{
	size_t hits, total;
	/* 'mats' at the very end (a short tail) and in the middle (read 8 at a time) */
	static const char a[] = "on mats", b[] = "mats on the floor, mats!";

	CHECK_INT(pops_assert__rouge(&hits, &total, b, strlen(b), a, strlen(a), 1), 0);
	CHECK_INT((int)hits, 2);
	CHECK_INT((int)total, 2);
	CHECK_INT(pops_assert__rouge(&hits, &total, "MATS", 4, "consectetur MATS", 16, 1), 0);
	CHECK_INT((int)hits, 1);
	CHECK_INT((int)total, 2);
	/* a word of 8 and of 9 bytes, upper and lower case */
	CHECK_INT(pops_assert__rouge(&hits, &total, "xx ABCDEFGH abcdefghi", 21, "abcdefgh ABCDEFGHI", 18, 1), 0);
	CHECK_INT((int)hits, 2);
	CHECK_INT(pops_assert__rouge(&hits, &total, "abcdefgh", 8, "abcdefghi", 9, 1), 0);
	CHECK_INT((int)hits, 0);
}

/* compile one assertion object; NULL with the error kept when it is refused */
static pops_assert *compiled(const char *json)
{
	cJSON *node = cJSON_Parse(json);
	pops_assert *a = NULL;

	pops_assert_compile(&a, node, "s.yaml", 7);
	cJSON_Delete(node);
	return a;
}

TEST(similar_compiles_value_threshold_and_model)
{
	pops_assert *a = compiled("{\"type\":\"similar\"}");

	CHECK(a);
	CHECK(pops_assert_needs_embeddings(a) && !pops_assert_needs_model(a));
	CHECK_STR(a->value, "{{expected}}");      /* the usual comparison, by default */
	CHECK(a->templated && !a->negate && !a->model);
	CHECK(fabs(a->threshold - POPS_SIMILAR_THRESHOLD) < 1e-12);
	pops_assert_free(a);
	a = compiled("{\"type\":\"not-similar\",\"value\":\"x\",\"threshold\":0.5,\"model\":\"emb\"}");
	CHECK(a && a->negate && a->threshold == 0.5);
	CHECK_STR(a->model, "emb");
	pops_assert_free(a);
	CHECK(!compiled("{\"type\":\"similar\",\"threshold\":1.5}"));
	CHECK_ERR_HAS("s.yaml:7: 'similar' 'threshold' must be a number from -1 to 1");
	CHECK(!compiled("{\"type\":\"similar\",\"model\":3}"));
	CHECK_ERR_HAS("'model' must be the alias of an embeddings model");
	CHECK(!compiled("{\"type\":\"similar\",\"value\":[1]}"));
	CHECK(!compiled("{\"type\":\"similar\",\"scope\":\"conversation\"}"));
	CHECK_ERR_HAS("'scope' is for 'judge' only");
	CHECK_INT(pops_assert_type_known("not-similar"), 1);
}

TEST(similar_result_passes_at_the_threshold_and_says_the_similarity)
{
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;

	CHECK_INT(pops_assert_similar_result(&res, 0, 0.8, "Paris", 0.8), 0);
	CHECK(res.pass && fabs(res.score - 0.8) < 1e-12);
	CHECK_STR(res.reason.ptr, "cosine similarity 0.80 to 'Paris'");
	CHECK_INT(pops_assert_similar_result(&res, 0, 0.8, "Paris", 0.42), 0);
	CHECK(!res.pass);
	CHECK_STR(res.reason.ptr, "cosine similarity 0.42 to 'Paris', below the threshold 0.8");
	CHECK_INT(pops_assert_similar_result(&res, 0, 0.8, "a\nb", -0.5), 0);
	CHECK(res.score == 0);                     /* opposite is no similarity */
	CHECK_STR(res.reason.ptr, "cosine similarity -0.50 to 'a?b', below the threshold 0.8");
	CHECK_INT(pops_assert_similar_result(&res, 1, 0.8, "Paris", 0.9), 0);
	CHECK(!res.pass && res.score == 0);
	CHECK_STR(res.reason.ptr, "cosine similarity 0.90 to 'Paris', at or above the threshold 0.8");
	CHECK_INT(pops_assert_similar_result(&res, 1, 0.8, "Paris", 0.1), 0);
	CHECK(res.pass && res.score == 1);
	pops_buf_dispose(&res.reason);
}

TEST(judge_scope_conversation_compiles_and_turn_is_the_default)
{
	pops_assert *a = compiled("{\"type\":\"judge\",\"model\":\"j\",\"rubric\":\"r\",\"scope\":\"conversation\"}");

	CHECK(a && a->conversation);
	pops_assert_free(a);
	a = compiled("{\"type\":\"judge\",\"model\":\"j\",\"rubric\":\"r\",\"scope\":\"turn\"}");
	CHECK(a && !a->conversation);
	pops_assert_free(a);
	CHECK(!compiled("{\"type\":\"judge\",\"model\":\"j\",\"rubric\":\"r\",\"scope\":\"all\"}"));
}

TEST(rag_presets_compile_into_judges_with_the_shipped_rubric)
{
	pops_assert *a = compiled("{\"type\":\"context-faithfulness\",\"model\":\"j\"}");

	CHECK(a && a->type == POPS_ASSERT_JUDGE && a->preset == POPS_PRESET_FAITHFULNESS);
	CHECK(a && pops_assert_needs_model(a) && !strcmp(a->name, "context-faithfulness"));
	CHECK(a && !strcmp(a->rubric, pops_judge_preset_rubric(POPS_PRESET_FAITHFULNESS)));
	pops_assert_free(a);
	a = compiled("{\"type\":\"context-recall\",\"model\":\"j\",\"rubric\":\"mine\","
	             "\"scale\":\"1-5\",\"threshold\":4}");
	CHECK(a && a->preset == POPS_PRESET_RECALL && !strcmp(a->rubric, "mine") && a->pass_score == 4);
	pops_assert_free(a);
	CHECK(!compiled("{\"type\":\"context-recall\"}"));
	CHECK_ERR_HAS("'context-recall' needs 'model'");
	CHECK(!compiled("{\"type\":\"not-context-recall\",\"model\":\"j\"}"));
}

TEST(judge_jury_and_rubric_keys_compile)
{
	cJSON *n = cJSON_Parse("{\"type\":\"judge\",\"models\":[\"a\",\"b\",\"c\"],\"aggregate\":\"mean\","
	                       "\"rubric\":\"R\",\"scale\":\"1-10\",\"threshold\":7,"
	                       "\"criteria\":{\"10\":\"top\",\"1\":\"bottom\"},\"steps\":[\"one\",\"two\"],"
	                       "\"self_consistency\":2}");
	pops_assert *a = NULL;

	CHECK(pops_assert_compile(&a, n, "s.yaml", 3) == 0);
	CHECK(a->nmodels == 3 && !strcmp(a->model, "a") && !strcmp(a->models[2], "c"));
	CHECK(a->aggregate == POPS_JURY_MEAN && a->scale_max == 10 && a->pass_score == 7);
	CHECK(a->self_consistency == 2);
	/* criteria in level order, then the steps numbered */
	CHECK(strstr(a->rubric, "R\n\nWhat each score means:\n1: bottom\n10: top") != NULL);
	CHECK(strstr(a->rubric, "\n1. one\n2. two") != NULL);
	pops_assert_free(a);
	cJSON_Delete(n);
	CHECK(run("{\"type\":\"judge\",\"model\":\"a\",\"models\":[\"a\",\"b\"],\"rubric\":\"r\"}", "x", NULL,
	          NULL) == POPS_EINVALID);
	CHECK(strstr(pops_error_last(), "s.yaml:7: give 'model' (one judge) or 'models'") != NULL);
	CHECK(run("{\"type\":\"judge\",\"model\":\"a\",\"scale\":\"1-7\",\"threshold\":3,\"rubric\":\"r\"}",
	          "x", NULL, NULL) == POPS_EINVALID);
	CHECK(run("{\"type\":\"judge\",\"model\":\"a\",\"scale\":\"1-5\",\"threshold\":3,\"rubric\":\"r\","
	          "\"criteria\":{\"6\":\"x\"}}", "x", NULL, NULL) == POPS_EINVALID);
	CHECK(strstr(pops_error_last(), "'criteria' key '6' is not a level of the scale 1-5") != NULL);
	CHECK(run("{\"type\":\"judge\",\"model\":\"a\",\"threshold\":3,\"rubric\":\"r\"}", "x", NULL, NULL) ==
	      POPS_EINVALID);
	CHECK(run("{\"type\":\"judge\",\"model\":\"a\",\"self_consistency\":3,\"rubric\":\"r\"}", "x", NULL,
	          NULL) == POPS_EINVALID);
	CHECK(run("{\"type\":\"pairwise\",\"model\":\"a\",\"models\":[\"a\",\"b\"]}", "x", NULL, NULL) ==
	      POPS_EINVALID);
	CHECK(run("{\"type\":\"judge\",\"model\":\"a\",\"aggregate\":\"all\",\"rubric\":\"r\"}", "x", NULL,
	          NULL) == POPS_EINVALID);
}

TEST(assert_set_scores_as_one_group)
{
	pops_buf why = POPS_BUF_INIT;
	const char *set2of3 = "{\"type\":\"assert-set\",\"threshold\":0.6,\"assert\":["
	                      "{\"type\":\"contains\",\"value\":\"fox\"},"
	                      "{\"type\":\"contains\",\"value\":\"{{animal}}\"},"
	                      "{\"type\":\"contains\",\"value\":\"cat\",\"weight\":2}]}";

	/* fox (1) + dog (1) of weight 4: 0.5 < 0.6 */
	CHECK(run(set2of3, "a fox and a dog", "{\"animal\":\"dog\"}", &why) == 0);
	CHECK_STR(why.ptr, "set score 0.50 < 0.60: contains: output does not contain 'cat'");
	/* cat (2) + fox (1): 0.75 */
	CHECK(run(set2of3, "a fox and a cat", "{\"animal\":\"dog\"}", &why) == 1);
	/* no threshold: every weighted member must pass */
	CHECK(run("{\"type\":\"assert-set\",\"assert\":[{\"type\":\"contains\",\"value\":\"a\"},"
	          "{\"type\":\"contains\",\"value\":\"zz\",\"weight\":0}]}", "abc", NULL, &why) == 1);
	CHECK(run("{\"type\":\"assert-set\",\"assert\":[{\"type\":\"contains\",\"value\":\"a\"},"
	          "{\"type\":\"contains\",\"value\":\"zz\"}]}", "abc", NULL, &why) == 0);
	CHECK(strstr(why.ptr, "contains: output does not contain 'zz'") != NULL);
	CHECK(run("{\"type\":\"assert-set\",\"assert\":[{\"type\":\"judge\",\"model\":\"j\",\"rubric\":\"r\"}]}",
	          "x", NULL, NULL) == POPS_EINVALID);
	CHECK(strstr(pops_error_last(), "'judge' cannot be inside an 'assert-set'") != NULL);
	CHECK(run("{\"type\":\"assert-set\",\"assert\":[]}", "x", NULL, NULL) == POPS_EINVALID);
	CHECK(run("{\"type\":\"assert-set\",\"threshold\":2,\"assert\":[{\"type\":\"is-json\"}]}", "x", NULL,
	          NULL) == POPS_EINVALID);
	CHECK(run("{\"type\":\"contains\",\"value\":\"x\",\"assert\":[]}", "x", NULL, NULL) == POPS_EINVALID);
	pops_buf_dispose(&why);
}

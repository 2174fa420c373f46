#include "unit.h"
#include "assertion.h"

/* compile `json` (at s.yaml:7) and check it against row scope `scope_json` */
static int check_scope(const char *json, const char *scope_json)
{
	cJSON *node = cJSON_Parse(json), *scope = cJSON_Parse(scope_json);
	pops_assert *a = NULL;
	int r;

	if ((r = pops_assert_compile(&a, node, "s.yaml", 7)) == 0)
		r = pops_assert_check_scope(a, scope);
	pops_assert_free(a);
	cJSON_Delete(node);
	cJSON_Delete(scope);
	return r;
}

TEST(a_value_reading_a_variable_the_row_lacks_is_invalid)
{
	CHECK_INT(check_scope("{\"type\":\"icontains\",\"value\":\"{{expected}}\"}", "{\"expected\":\"x\"}"), 0);
	CHECK_INT(check_scope("{\"type\":\"icontains\",\"value\":\"{{expected}}\"}", "{\"q\":\"x\"}"),
	          POPS_EINVALID);
	CHECK_ERR_HAS("'icontains' value '{{expected}}' (s.yaml:7) reads 'expected', which the row lacks");
	CHECK_INT(check_scope("{\"type\":\"contains\",\"value\":\"{{ a.b }}\"}", "{\"a\":{\"c\":1}}"),
	          POPS_EINVALID);
	CHECK_ERR_HAS("reads 'a.b'");
	/* null is a value the row gave on purpose */
	CHECK_INT(check_scope("{\"type\":\"not-contains\",\"value\":\"{{n}}\"}", "{\"n\":null}"), 0);
}

TEST(a_templated_regex_must_compile_for_the_row)
{
	CHECK_INT(check_scope("{\"type\":\"regex\",\"value\":\"^{{w}}$\"}", "{\"w\":\"c.t\"}"), 0);
	CHECK_INT(check_scope("{\"type\":\"regex\",\"value\":\"^{{w}}$\"}", "{\"w\":\"(a\"}"),
	          POPS_EINVALID);
	CHECK_ERR_HAS("regex '^{{w}}$' (s.yaml:7) becomes '^(a$', which is invalid: missing closing parenthesis");
}

TEST(values_without_templates_need_nothing)
{
	CHECK_INT(check_scope("{\"type\":\"contains\",\"value\":\"{ not a tag }\"}", "{}"), 0);
	CHECK_INT(check_scope("{\"type\":\"is-json\"}", "{}"), 0);
}

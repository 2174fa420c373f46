#include "unit.h"
#include "picoschema.h"
#include "strutil.h"

static int resolve(void *payload, const char *name, cJSON **out)
{
	(void)payload;
	if (strcmp(name, "Foo"))
		return POPS_ENOTFOUND;
	*out = cJSON_Parse("{\"type\":\"number\",\"description\":\"a foo\"}");
	return POPS_OK;
}

static char *convert(const char *yamlish_json, cJSON *unres)
{
	cJSON *in = cJSON_Parse(yamlish_json), *out = NULL;
	char *s = NULL;

	if (pops_picoschema(&out, in, resolve, NULL, unres) == 0)
		s = out ? cJSON_PrintUnformatted(out) : pops_strdup("null");
	cJSON_Delete(in);
	cJSON_Delete(out);
	return s;
}

TEST(named_schemas_resolve_and_take_the_new_description)
{
	char *s = convert("{\"foo?\":\"Foo, optional\"}", NULL);

	CHECK_STR(s, "{\"type\":\"object\",\"properties\":{\"foo\":{\"type\":[\"number\",\"null\"],"
	             "\"description\":\"optional\"}},\"additionalProperties\":false}");
	free(s);
}

TEST(unknown_names_are_collected_and_become_any)
{
	cJSON *unres = cJSON_CreateArray();
	char *s = convert("{\"a\":\"Bar\",\"(*)\":\"string\"}", unres);

	CHECK_STR(s, "{\"type\":\"object\",\"properties\":{\"a\":{}},\"required\":[\"a\"],"
	             "\"additionalProperties\":{\"type\":\"string\"}}");
	CHECK_INT(cJSON_GetArraySize(unres), 1);
	CHECK_STR(cJSON_GetArrayItem(unres, 0)->valuestring, "Bar");
	free(s);
	cJSON_Delete(unres);
}

TEST(json_schema_passes_through)
{
	char *s = convert("{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}}}", NULL);

	CHECK_STR(s, "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}}}");
	free(s);
}

TEST(rejects_bad_parenthetical_type)
{
	cJSON *in = cJSON_Parse("{\"a(string)\":\"x\"}"), *out = NULL;

	CHECK_INT(pops_picoschema(&out, in, NULL, NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("parenthetical types must be 'object', 'array' or 'enum'");
	cJSON_Delete(in);
}

TEST(validation_names_the_path_of_the_bad_value)
{
	cJSON *s = cJSON_Parse("{\"type\":\"object\",\"properties\":{\"xs\":{\"type\":\"array\","
	                       "\"items\":{\"enum\":[\"a\",\"b\"]}}}}");
	cJSON *v = cJSON_Parse("{\"xs\":[\"a\",\"c\"]}");

	CHECK_INT(pops_schema_validate(s, v, "input"), POPS_EINVALID);
	CHECK_ERR_HAS("input.xs[1]: must be one of [\"a\",\"b\"]");
	cJSON_Delete(v);
	v = cJSON_Parse("{\"xs\":[\"b\"]}");
	CHECK_INT(pops_schema_validate(s, v, "input"), 0);
	cJSON_Delete(v);
	cJSON_Delete(s);
}

#include "unit.h"
#include "template.h"

static int map_loader(void *payload, const char *name, pops_buf *out)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive((const cJSON *)payload, name);

	if (!cJSON_IsString(p))
		return POPS_ENOTFOUND;
	return pops_buf_sets(out, p->valuestring);
}

/* the required paths of `tmpl` (with JSON map `partials`) as compact JSON; NULL on error */
static char *required(const char *tmpl, const char *partials)
{
	pops_template_options o = POPS_TEMPLATE_OPTIONS_INIT;
	pops_template *t = NULL;
	cJSON *p = partials ? cJSON_Parse(partials) : NULL, *vars = NULL;
	char *r = NULL;

	o.filename = "t.prompt";
	o.load_partial = map_loader;
	o.payload = p;
	if (pops_template_compile(&t, tmpl, strlen(tmpl), &o) == 0 &&
	    pops_template_required_vars(&vars, t) == 0)
		r = cJSON_PrintUnformatted(vars);
	cJSON_Delete(vars);
	pops_template_free(t);
	cJSON_Delete(p);
	return r;
}

#define CHECK_REQUIRED(tmpl, partials, expected) do { \
	char *r_ = required(tmpl, partials); \
	if (!r_) { unit_fail(__FILE__, __LINE__, "failed: %s", pops_error_last()); return; } \
	if (strcmp(r_, expected)) { unit_fail(__FILE__, __LINE__, "got %s, expected %s", r_, expected); \
		free(r_); return; } \
	free(r_); } while (0)

TEST(top_level_lookups_are_required_once_in_first_use_order)
{
	CHECK_REQUIRED("Q: {{question}} ({{lang}}) again {{question}}", NULL,
	               "[[\"question\"],[\"lang\"]]");
	CHECK_REQUIRED("{{user.name}} {{this.topic}} {{{raw}}}", NULL,
	               "[[\"user\",\"name\"],[\"topic\"],[\"raw\"]]");
}

TEST(variables_inside_blocks_and_their_guards_are_optional)
{
	CHECK_REQUIRED("{{#if ctx}}Context: {{ctx}}{{else}}{{fallback}}{{/if}}"
	               "{{#each items}}{{name}}{{/each}}{{#with u}}{{id}}{{/with}}"
	               "{{#unless quiet}}{{noise}}{{/unless}}{{#sec}}{{x}}{{/sec}}{{^inv}}{{y}}{{/inv}}"
	               "{{#ifEquals a b}}{{c}}{{/ifEquals}}{{after}}", NULL, "[[\"after\"]]");
}

TEST(helpers_count_only_json_arguments)
{
	CHECK_REQUIRED("{{role \"system\"}}{{json data}}{{media url=img}}{{lookup m k}}{{section s}}",
	               NULL, "[[\"data\"]]");
}

TEST(parent_root_and_data_lookups_are_left_out)
{
	CHECK_REQUIRED("{{../up}}{{@root.r}}{{@index}}{{this}}{{.}}", NULL, "[]");
}

TEST(partials_without_arguments_are_walked_once)
{
	CHECK_REQUIRED("{{> a}}{{> a}}{{> b ctx}}{{> c k=v}}{{own}}",
	               "{\"a\":\"{{fromA}}{{#if z}}{{> b}}{{/if}}\",\"b\":\"{{fromB}}\",\"c\":\"{{fromC}}\"}",
	               "[[\"fromA\"],[\"own\"]]");
}

TEST(recursive_partials_end)
{
	CHECK_REQUIRED("{{> node}}", "{\"node\":\"{{v}}{{> node}}\"}", "[[\"v\"]]");
}

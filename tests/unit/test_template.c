#include "unit.h"
#include "template.h"

static int map_loader(void *payload, const char *name, pops_buf *out)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive((const cJSON *)payload, name);

	if (!cJSON_IsString(p))
		return POPS_ENOTFOUND;
	return pops_buf_sets(out, p->valuestring);
}

/* render `tmpl` with JSON `data` and JSON map `partials`; NULL on error */
static char *render(const char *tmpl, const char *data, const char *partials, int dialect)
{
	pops_template_options o = POPS_TEMPLATE_OPTIONS_INIT;
	pops_template *t = NULL;
	pops_buf out = POPS_BUF_INIT;
	cJSON *d = data ? cJSON_Parse(data) : NULL, *p = partials ? cJSON_Parse(partials) : NULL;
	char *r = NULL;

	o.dialect = dialect;
	o.filename = "t.prompt";
	o.load_partial = map_loader;
	o.payload = p;
	if (pops_template_compile(&t, tmpl, strlen(tmpl), &o) == 0 &&
	    pops_template_render(t, d, NULL, &out) == 0)
		r = pops_buf_detach(&out);
	pops_template_free(t);
	pops_buf_dispose(&out);
	cJSON_Delete(d);
	cJSON_Delete(p);
	return r;
}

#define HB POPS_TEMPLATE_HANDLEBARS
#define CHECK_RENDER(tmpl, data, partials, expected) do { \
	char *r_ = render(tmpl, data, partials, HB); \
	if (!r_) { unit_fail(__FILE__, __LINE__, "render failed: %s", pops_error_last()); return; } \
	if (strcmp(r_, expected)) { unit_fail(__FILE__, __LINE__, "got \"%s\", expected \"%s\"", r_, expected); \
		free(r_); return; } \
	free(r_); } while (0)
#define CHECK_COMPILE_ERR(tmpl, partials, needle) do { \
	char *r_ = render(tmpl, "{}", partials, HB); \
	if (r_) { unit_fail(__FILE__, __LINE__, "rendered \"%s\", expected an error", r_); free(r_); return; } \
	CHECK_ERR_HAS(needle); } while (0)

TEST(prompt_text_is_not_html_escaped)
{
	CHECK_RENDER("Hi {{name}} & {{{name}}}", "{\"name\":\"<b>&\"}", NULL, "Hi <b>& & <b>&");
}

TEST(mustache_mode_escapes_html)
{
	char *r = render("{{x}}|{{{x}}}|{{&x}}", "{\"x\":\"<a href=\\\"'\\\">&\"}", NULL,
	                 POPS_TEMPLATE_MUSTACHE);

	CHECK(r);
	CHECK_STR(r, "&lt;a href=&quot;&#39;&quot;&gt;&amp;|<a href=\"'\">&|<a href=\"'\">&");
	free(r);
}

TEST(dotted_paths_this_and_parent_lookups)
{
	CHECK_RENDER("{{a.b.c}} {{#with a}}{{b.c}}/{{../top}}/{{this.b.c}}{{/with}}",
	             "{\"a\":{\"b\":{\"c\":1}},\"top\":\"T\"}", NULL, "1 1/T/1");
}

TEST(each_over_array_sets_index_first_last_and_root)
{
	CHECK_RENDER("{{#each xs}}{{@index}}:{{this}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}}"
	             "{{@root.sep}}{{/each}}",
	             "{\"xs\":[\"a\",\"b\",\"c\"],\"sep\":\",\"}", NULL, "0:aF,1:b,2:cL,");
}

TEST(each_over_object_sets_key)
{
	CHECK_RENDER("{{#each o}}{{@key}}={{.}};{{/each}}", "{\"o\":{\"x\":1,\"y\":true}}", NULL,
	             "x=1;y=true;");
}

TEST(each_else_renders_for_empty_lists)
{
	CHECK_RENDER("{{#each xs}}x{{else}}none{{/each}}", "{\"xs\":[]}", NULL, "none");
}

TEST(if_else_if_chains)
{
	const char *t = "{{#if a}}A{{else if b}}B{{else}}C{{/if}}";

	CHECK_RENDER(t, "{\"a\":1}", NULL, "A");
	CHECK_RENDER(t, "{\"b\":\"x\"}", NULL, "B");
	CHECK_RENDER(t, "{\"a\":0,\"b\":\"\"}", NULL, "C");
}

TEST(unless_and_handlebars_falsy_values)
{
	CHECK_RENDER("{{#unless a}}no{{/unless}}{{#if b}}yes{{/if}}{{#if c}}c{{/if}}",
	             "{\"a\":[],\"b\":{},\"c\":0}", NULL, "noyes");
}

TEST(sections_iterate_lists_and_push_objects)
{
	CHECK_RENDER("{{#xs}}<{{n}}>{{/xs}}{{^none}}!{{/none}}{{#o}}{{k}}{{/o}}",
	             "{\"xs\":[{\"n\":1},{\"n\":2}],\"o\":{\"k\":\"K\"}}", NULL, "<1><2>!K");
}

TEST(ifequals_uses_strict_equality)
{
	const char *t = "{{#ifEquals a b}}eq{{else}}ne{{/ifEquals}}{{#unlessEquals a b}}!{{/unlessEquals}}";

	CHECK_RENDER(t, "{\"a\":5,\"b\":5}", NULL, "eq");
	CHECK_RENDER(t, "{\"a\":5,\"b\":\"5\"}", NULL, "ne!");
	CHECK_RENDER("{{#ifEquals a \"x\"}}lit{{/ifEquals}}", "{\"a\":\"x\"}", NULL, "lit");
}

TEST(dotprompt_helpers_emit_markers)
{
	CHECK_RENDER("{{role \"system\"}}{{history}}{{section \"s\"}}{{media url=u contentType=\"image/png\"}}",
	             "{\"u\":\"http://x/y.png\"}", NULL,
	             "<<<dotprompt:role:system>>><<<dotprompt:history>>><<<dotprompt:section s>>>"
	             "<<<dotprompt:media:url http://x/y.png image/png>>>");
}

TEST(json_helper_matches_json_stringify)
{
	CHECK_RENDER("{{json this}}", "{\"a\":[1,2.5,\"q\\\"\"],\"b\":null}", NULL,
	             "{\"a\":[1,2.5,\"q\\\"\"],\"b\":null}");
	CHECK_RENDER("{{json o indent=2}}", "{\"o\":{\"t\":true,\"e\":[]}}", NULL,
	             "{\n  \"t\": true,\n  \"e\": []\n}");
	/* indent is clamped to 10 like JSON.stringify, and a huge one is no UB */
	CHECK_RENDER("{{json o indent=33333333333333333333333333333333}}", "{\"o\":[1]}", NULL,
	             "[\n          1\n]");
	CHECK_RENDER("{{json o indent=0.5}}", "{\"o\":[1]}", NULL, "[1]");
}

TEST(numbers_print_like_javascript)
{
	CHECK_RENDER("{{a}} {{b}} {{c}} {{d}} {{e}}", "{\"a\":1.0,\"b\":0.1,\"c\":1e21,\"d\":1e-7,\"e\":-3.25}",
	             NULL, "1 0.1 1e+21 1e-7 -3.25");
}

TEST(arrays_and_objects_print_like_javascript)
{
	CHECK_RENDER("{{a}}|{{o}}", "{\"a\":[1,\"x\",null,[2,3]],\"o\":{}}", NULL, "1,x,,2,3|[object Object]");
}

TEST(tilde_strips_adjacent_whitespace)
{
	CHECK_RENDER("a  {{~x~}}  b\n{{#if t~}}\n  c\n{{~/if}}", "{\"x\":\"X\",\"t\":1}", NULL, "aXb\nc");
}

TEST(standalone_block_lines_leave_no_blank_lines)
{
	CHECK_RENDER("x\n  {{#if t}}\n  y\n  {{/if}}\nz\n", "{\"t\":true}", NULL, "x\n  y\nz\n");
}

TEST(partials_take_hash_arguments_and_context)
{
	CHECK_RENDER("{{> p tone=t}}|{{> q who}}", "{\"t\":\"calm\",\"n\":\"N\",\"who\":{\"n\":\"W\"}}",
	             "{\"p\":\"{{tone}}-{{n}}\",\"q\":\"{{n}}\"}", "calm-N|W");
}

TEST(standalone_partials_are_indented)
{
	CHECK_RENDER("a\n  {{> p}}\nb", "{}", "{\"p\":\"1\\n2\\n\"}", "a\n  1\n  2\nb");
}

TEST(escaped_mustache_is_literal)
{
	CHECK_RENDER("\\{{x}} {{x}}", "{\"x\":1}", NULL, "{{x}} 1");
}

TEST(data_variables_come_from_the_data_object)
{
	pops_template *t = NULL;
	pops_buf out = POPS_BUF_INIT;
	cJSON *data = cJSON_Parse("{\"state\":{\"n\":3}}");
	const char *s = "{{@state.n}}/{{@missing.x}}/";

	CHECK_INT(pops_template_compile(&t, s, strlen(s), NULL), 0);
	CHECK_INT(pops_template_render(t, NULL, data, &out), 0);
	CHECK_STR(out.ptr, "3//");
	pops_template_free(t);
	pops_buf_dispose(&out);
	cJSON_Delete(data);
}

TEST(rejects_unclosed_tag_with_position)
{
	CHECK_COMPILE_ERR("line1\nab {{name", NULL, "t.prompt:2:4: unclosed tag '{{'");
}

TEST(rejects_unclosed_section_naming_the_opener)
{
	CHECK_COMPILE_ERR("x\n{{#each items}}\n", NULL, "t.prompt:2:1: '{{#each items}}' is never closed");
}

TEST(rejects_mismatched_close)
{
	CHECK_COMPILE_ERR("{{#if a}}\n{{/each}}", NULL, "t.prompt:2:1: '{{/each}}' does not match '{{#if a}}' opened at 1:1");
}

TEST(rejects_unknown_helper_with_suggestion)
{
	CHECK_COMPILE_ERR("{{#ifEqual a b}}x{{/ifEqual}}", NULL, "unknown helper 'ifEqual' (did you mean 'ifEquals'?)");
}

TEST(application_helpers_warn_at_compile_and_fail_when_rendered)
{
	pops_template *t = NULL;
	pops_buf out = POPS_BUF_INIT;
	cJSON *d = cJSON_Parse("{\"xs\":[1]}");
	const char *s = "{{#if xs}}\n  {{list xs}}{{/if}}";

	CHECK_INT(pops_template_compile(&t, s, strlen(s), NULL), 0);
	CHECK_INT(pops_template_warning_count(t), 1);
	CHECK(strstr(pops_template_warning(t, 0), "template:2:3: helper 'list' is not built in"));
	CHECK_INT(pops_template_render(t, NULL, NULL, &out), 0);
	CHECK_INT(pops_template_render(t, d, NULL, &out), POPS_EINVALID);
	CHECK_ERR_HAS("template:2:3: helper 'list' is not built in");
	pops_template_free(t);
	pops_buf_dispose(&out);
	cJSON_Delete(d);
}

TEST(rejects_missing_partial)
{
	CHECK_COMPILE_ERR("\n {{> nope}}", NULL, "t.prompt:2:2: partial 'nope' not found");
}

TEST(mustache_mode_renders_missing_partial_as_nothing)
{
	char *r = render("[{{>nope}}]", "{}", NULL, POPS_TEMPLATE_MUSTACHE);

	CHECK(r);
	CHECK_STR(r, "[]");
	free(r);
}

TEST(partial_recursion_is_an_error_not_a_crash)
{
	char *r = render("{{> a}}", "{}", "{\"a\":\"x{{> b}}\",\"b\":\"y{{> a}}\"}", HB);

	CHECK(!r);
	CHECK_ERR_HAS("partials nested deeper than");
}

TEST(conditional_recursion_terminates)
{
	CHECK_RENDER("{{> node}}", "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3}]}]}",
	             "{\"node\":\"{{v}}({{#each kids}}{{> node}}{{/each}})\"}", "1(2(3()))");
}

TEST(rejects_invalid_utf8_with_position)
{
	CHECK_COMPILE_ERR("ok\nab\xff", NULL, "t.prompt:2:3: invalid UTF-8");
}

/*
 * 200,000 tags on one line: columns are counted incrementally (rescanning
 * the line per tag made this take minutes); the error after them still
 * names the right column, counted in characters, not bytes.
 */
TEST(many_tags_on_one_line_compile_with_exact_columns)
{
	pops_buf s = POPS_BUF_INIT;
	pops_template *t = NULL;

	pops_buf_puts(&s, "x\n\xc3\xa9");
	for (int i = 0; i < 200000; i++)
		pops_buf_puts(&s, "{{a}}");
	pops_buf_puts(&s, "{{#if}}\n{{a}}");
	CHECK(!pops_buf_oom(&s));
	CHECK(pops_template_compile(&t, s.ptr, s.size, NULL) == POPS_EINVALID);
	CHECK_ERR_HAS(":2:1000002: #if takes 1 argument");
	pops_buf_dispose(&s);
	CHECK_COMPILE_ERR("\xc3\xa9{{a}}\xe2\x82\xac{{b}}{{#if}}", NULL, "t.prompt:1:13: #if takes");
	CHECK_COMPILE_ERR("{{a}}\n{{b}} {{#if}}\n", NULL, "t.prompt:2:7: #if takes");
}

TEST(rejects_else_outside_block_and_double_else)
{
	CHECK_COMPILE_ERR("{{else}}", NULL, "outside a block");
	CHECK_COMPILE_ERR("{{#if a}}{{else}}{{else}}{{/if}}", NULL, "second '{{else}}'");
}

TEST(deep_nesting_is_an_error)
{
	pops_buf s = POPS_BUF_INIT;
	pops_template *t = NULL;

	for (int i = 0; i < 300; i++)
		pops_buf_puts(&s, "{{#if a}}");
	CHECK(pops_template_compile(&t, s.ptr, s.size, NULL) == POPS_EINVALID);
	CHECK_ERR_HAS("nested deeper than");
	pops_buf_dispose(&s);
}

TEST(lists_partial_names_for_fingerprints)
{
	pops_template_options o = POPS_TEMPLATE_OPTIONS_INIT;
	pops_template *t = NULL;
	cJSON *p = cJSON_Parse("{\"a\":\"{{> b}}\",\"b\":\"B\"}");
	const char *s = "{{> a}}{{> b}}";

	o.load_partial = map_loader;
	o.payload = p;
	CHECK_INT(pops_template_compile(&t, s, strlen(s), &o), 0);
	CHECK_INT(pops_template_partial_count(t), 2);
	CHECK_STR(pops_template_partial_name(t, 0), "a");
	CHECK_STR(pops_template_partial_name(t, 1), "b");
	pops_template_free(t);
	cJSON_Delete(p);
}

TEST(exponential_templates_stop_with_an_error)
{
	pops_template_options o = POPS_TEMPLATE_OPTIONS_INIT;
	pops_template *t = NULL;
	pops_buf out = POPS_BUF_INIT;
	cJSON *p = cJSON_Parse("{\"a\":\"{{> b}}{{> b}}{{> b}}{{> b}}\",\"b\":\"{{> c}}{{> c}}{{> c}}{{> c}}\","
	                       "\"c\":\"{{#each @root.xs}}{{#each @root.xs}}{{#each @root.xs}}{{#each @root.xs}}{{/each}}{{/each}}{{/each}}{{/each}}\"}");
	cJSON *d = cJSON_CreateObject(), *xs = cJSON_AddArrayToObject(d, "xs");
	const char *s = "{{> a}}";

	for (int i = 0; i < 100; i++)
		cJSON_AddItemToArray(xs, cJSON_CreateNumber(i));
	o.load_partial = map_loader;
	o.payload = p;
	CHECK_INT(pops_template_compile(&t, s, strlen(s), &o), 0);
	CHECK_INT(pops_template_render(t, d, NULL, &out), POPS_EINVALID);
	CHECK_ERR_HAS("too much work");
	pops_buf_clear(&out);
	out.limit = 500;
	cJSON_Delete(p);
	pops_template_free(t);
	t = NULL;
	p = cJSON_Parse("{\"a\":\"{{#each xs}}0123456789{{/each}}\"}");
	o.payload = p;
	CHECK_INT(pops_template_compile(&t, s, strlen(s), &o), 0);
	CHECK_INT(pops_template_render(t, d, NULL, &out), POPS_EINVALID);
	CHECK_ERR_HAS("rendered output exceeds 500 bytes");
	pops_template_free(t);
	pops_buf_dispose(&out);
	cJSON_Delete(p);
	cJSON_Delete(d);
}

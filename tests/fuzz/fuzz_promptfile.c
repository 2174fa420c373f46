#include "common.h"
#include "fuzz.h"
#include "promptfile.h"

/*
 * .prompt files: frontmatter (YAML, Picoschema) + body. Parse, read
 * every accessor, then render with no variables and with the input
 * defaults, as `pops render` and `pops prompt lint` do.
 */

static int no_partials(void *payload, const char *name, pops_buf *out)
{
	(void)payload;
	if (!strcmp(name, "style"))
		return pops_buf_sets(out, "Be {{tone}}.{{#if x}}{{> style}}{{/if}}");
	(void)out;
	return POPS_ENOTFOUND;
}

POPS_FUZZ_TARGET(promptfile)
{
	char *copy = fuzz_copy(data, size);
	pops_prompt_options o = POPS_PROMPT_OPTIONS_INIT;
	pops_prompt *p = NULL;
	size_t i;

	o.load_partial = no_partials;
	o.partial_dir = "prompts";
	if (pops_prompt_parse(&p, copy, size, "prompts/fuzz.variant.prompt", &o) == 0) {
		cJSON *msgs = NULL, *vars = cJSON_Parse("{\"tone\":\"brief\",\"x\":false,\"items\":[1,2]}");
		pops_render_options ro = POPS_RENDER_OPTIONS_INIT;

		(void)pops_prompt_model(p);
		assert(cJSON_IsObject(pops_prompt_config(p)));
		(void)pops_prompt_input_schema(p);
		(void)pops_prompt_output_schema(p);
		(void)pops_prompt_metadata(p);
		assert(pops_prompt_body(p));
		for (i = 0; i < pops_prompt_warning_count(p); i++)
			assert(pops_prompt_warning(p, i));
		if (pops_prompt_render(&msgs, p, NULL, NULL) == 0)
			assert(cJSON_IsArray(msgs));
		cJSON_Delete(msgs);
		msgs = NULL;
		ro.no_validate = size & 1;
		if (pops_prompt_render_result(&msgs, p, vars, &ro) == 0)
			assert(cJSON_IsObject(msgs));
		cJSON_Delete(msgs);
		cJSON_Delete(vars);
		pops_prompt_free(p);
	}
	free(copy);
	return 0;
}

/*
 * dotprompt's own spec (every .yaml under $SHARED/spec/dotprompt), run as-is through
 * the code path of `pops render`: pops_prompt_parse + pops_prompt_render_result.
 * Prints the score and each failing case with its reason; at least 95% must pass.
 */
#include "unit.h"
#include "fileio.h"
#include "promptfile.h"
#include "strutil.h"
#include "yamldoc.h"

#include <dirent.h>

typedef struct suite_ctx {
	const cJSON *partials, *resolver_partials, *schemas;
} suite_ctx;

static int loader(void *payload, const char *name, pops_buf *out)
{
	suite_ctx *s = payload;
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(s->partials, name);

	if (!cJSON_IsString(p))
		p = cJSON_GetObjectItemCaseSensitive(s->resolver_partials, name);
	if (!cJSON_IsString(p))
		return POPS_ENOTFOUND;
	return pops_buf_sets(out, p->valuestring);
}

static int resolver(void *payload, const char *name, cJSON **out)
{
	suite_ctx *s = payload;
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(s->schemas, name);

	if (!p)
		return POPS_ENOTFOUND;
	*out = cJSON_Duplicate(p, 1);
	return POPS_OK;
}

/* shallow {...a, ...b} */
static cJSON *merged(const cJSON *a, const cJSON *b)
{
	cJSON *m = cJSON_CreateObject();
	const cJSON *c;

	cJSON_ArrayForEach(c, a)
		if (!cJSON_GetObjectItemCaseSensitive(b, c->string))
			cJSON_AddItemToObject(m, c->string, cJSON_Duplicate(c, 1));
	cJSON_ArrayForEach(c, b)
		cJSON_AddItemToObject(m, c->string, cJSON_Duplicate(c, 1));
	return m;
}

/* 1 on pass; else 0 with `why` */
static int run_case(const cJSON *suite, const cJSON *tc, pops_buf *why)
{
	suite_ctx sc;
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	pops_render_options ro = POPS_RENDER_OPTIONS_INIT;
	pops_prompt *p = NULL;
	cJSON *data = merged(cJSON_GetObjectItemCaseSensitive(suite, "data"),
	                     cJSON_GetObjectItemCaseSensitive(tc, "data"));
	const cJSON *expect = cJSON_GetObjectItemCaseSensitive(tc, "expect");
	const cJSON *options = cJSON_GetObjectItemCaseSensitive(tc, "options");
	const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(suite, "template"), *k;
	cJSON *result = NULL, *meta = NULL;
	int ok = 0;

	sc.partials = cJSON_GetObjectItemCaseSensitive(suite, "partials");
	sc.resolver_partials = cJSON_GetObjectItemCaseSensitive(suite, "resolverPartials");
	sc.schemas = cJSON_GetObjectItemCaseSensitive(suite, "schemas");
	po.load_partial = loader;
	po.partial_payload = &sc;
	po.resolve_schema = resolver;
	po.schema_payload = &sc;
	ro.context = cJSON_GetObjectItemCaseSensitive(data, "context");
	ro.history = cJSON_GetObjectItemCaseSensitive(data, "messages");
	ro.defaults = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(options, "input"), "default");
	if (pops_prompt_parse(&p, tmpl->valuestring, strlen(tmpl->valuestring), "spec", &po) < 0 ||
	    pops_prompt_render_result(&result, p, cJSON_GetObjectItemCaseSensitive(data, "input"), &ro) < 0) {
		pops_buf_printf(why, "error: %s", pops_error_last());
		goto done;
	}
	meta = merged(pops_prompt_metadata(p), options);
	cJSON_ArrayForEach(k, expect) {
		const cJSON *got = !strcmp(k->string, "messages")
			? cJSON_GetObjectItemCaseSensitive(result, "messages")
			: cJSON_GetObjectItemCaseSensitive(meta, k->string);

		if (!got || !cJSON_Compare(got, k, 1)) {
			char *g = got ? cJSON_PrintUnformatted(got) : NULL, *e = cJSON_PrintUnformatted(k);

			pops_buf_printf(why, "%s: got %s, expected %s", k->string, g ? g : "(nothing)", e);
			free(g);
			free(e);
			goto done;
		}
	}
	ok = 1;
done:
	cJSON_Delete(meta);
	cJSON_Delete(result);
	cJSON_Delete(data);
	pops_prompt_free(p);
	return ok;
}

static void run_file(const char *path, const char *rel, int *passed, int *total)
{
	pops_buf src = POPS_BUF_INIT, why = POPS_BUF_INIT;
	pops_yaml_doc *doc = NULL;
	const cJSON *suite, *tc;

	if (pops_file_read(&src, path, 0) < 0 ||
	    pops_yaml_parse(&doc, src.ptr, src.size, path, 0, NULL) < 0) {
		printf("#   %s: %s\n", rel, pops_error_last());
		(*total)++;
		goto done;
	}
	cJSON_ArrayForEach(suite, pops_yaml_root(doc)) {
		cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(suite, "tests")) {
			const cJSON *desc = cJSON_GetObjectItemCaseSensitive(tc, "desc");

			(*total)++;
			pops_buf_clear(&why);
			if (run_case(suite, tc, &why)) {
				(*passed)++;
			} else {
				printf("#   FAIL %s: %s: %s: %s\n", rel,
				       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(suite, "name")),
				       cJSON_IsString(desc) ? desc->valuestring : "-", why.ptr);
			}
		}
	}
done:
	pops_yaml_free(doc);
	pops_buf_dispose(&why);
	pops_buf_dispose(&src);
}

static void run_dir(const char *dir, const char *rel, int *passed, int *total, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[64];
	size_t n = 0;

	if (!d)
		return;
	while ((e = readdir(d)) && n < POPS_ARRAY_SIZE(names))
		if (e->d_name[0] != '.')
			names[n++] = pops_strdup(e->d_name);
	closedir(d);
	for (size_t i = 0; i < n; i++)      /* sorted, so the output is stable */
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char *t = names[i];

				names[i] = names[j];
				names[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		pops_buf path = POPS_BUF_INIT, r = POPS_BUF_INIT;

		pops_buf_printf(&path, "%s/%s", dir, names[i]);
		pops_buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (depth < 3 && pops_path_isdir(path.ptr))
			run_dir(path.ptr, r.ptr, passed, total, depth + 1);
		else if (pops_ends_with(names[i], ".yaml"))
			run_file(path.ptr, r.ptr, passed, total);
		pops_buf_dispose(&r);
		pops_buf_dispose(&path);
		free(names[i]);
	}
}

TEST(dotprompt_spec_passes_at_least_95_percent_through_the_render_path)
{
	pops_buf dir = POPS_BUF_INIT;
	int passed = 0, total = 0;

	CHECK(unit_require_shared("spec/dotprompt"));
	pops_buf_printf(&dir, "%s/spec/dotprompt", unit_shared_dir());
	run_dir(dir.ptr, "", &passed, &total, 0);
	pops_buf_dispose(&dir);
	printf("#   dotprompt spec: %d/%d cases pass (%.1f%%)\n", passed, total,
	       total ? 100.0 * passed / total : 0.0);
	CHECK(total > 100);
	CHECK(passed * 100 >= total * 95);
}

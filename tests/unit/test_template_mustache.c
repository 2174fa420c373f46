/*
 * The official Mustache spec, run as-is from $SHARED/spec/mustache in
 * HTML mode. Core modules must pass entirely; optional (~) modules print
 * their score.
 */
#include "unit.h"
#include "fileio.h"
#include "template.h"

static int map_loader(void *payload, const char *name, pops_buf *out)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive((const cJSON *)payload, name);

	if (!cJSON_IsString(p))
		return POPS_ENOTFOUND;
	return pops_buf_sets(out, p->valuestring);
}

/* run one spec file; returns failures, prints each */
static int run_module(const char *name, int *total, int verbose)
{
	pops_buf path = POPS_BUF_INIT, src = POPS_BUF_INIT, out = POPS_BUF_INIT;
	cJSON *doc = NULL, *t;
	int failed = 0;

	*total = 0;
	pops_buf_printf(&path, "%s/spec/mustache/%s.json", unit_shared_dir(), name);
	if (pops_file_read(&src, path.ptr, 0) < 0) {
		printf("#   cannot read %s: %s (the shared conformance suites: set SHARED=/path/to/shared)\n",
		       path.ptr, pops_error_last());
		failed = 1;
		goto done;
	}
	doc = cJSON_Parse(src.ptr);
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(doc, "tests")) {
		pops_template_options o = POPS_TEMPLATE_OPTIONS_INIT;
		pops_template *tpl = NULL;
		const char *tmpl = cJSON_GetObjectItemCaseSensitive(t, "template")->valuestring;
		const char *exp = cJSON_GetObjectItemCaseSensitive(t, "expected")->valuestring;
		int ok;

		(*total)++;
		o.dialect = POPS_TEMPLATE_MUSTACHE;
		o.filename = "spec";
		o.load_partial = map_loader;
		o.payload = cJSON_GetObjectItemCaseSensitive(t, "partials");
		pops_buf_clear(&out);
		ok = pops_template_compile(&tpl, tmpl, strlen(tmpl), &o) == 0 &&
		     pops_template_render(tpl, cJSON_GetObjectItemCaseSensitive(t, "data"), NULL, &out) == 0;
		if (!ok || strcmp(out.ptr, exp)) {
			failed++;
			printf("#   %s: '%s': %s\n", name, cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring,
			       ok ? "wrong output" : pops_error_last());
			if (verbose)
				printf("#     got      \"%s\"\n#     expected \"%s\"\n", out.ptr, exp);
		}
		pops_template_free(tpl);
	}
done:
	cJSON_Delete(doc);
	pops_buf_dispose(&out);
	pops_buf_dispose(&src);
	pops_buf_dispose(&path);
	return failed;
}

TEST(mustache_spec_core_modules_pass_in_html_mode)
{
	static const char *const core[] = {
		"comments", "delimiters", "interpolation", "inverted", "partials", "sections"
	};
	int failed = 0, total = 0, n;

	for (size_t i = 0; i < POPS_ARRAY_SIZE(core); i++) {
		int f = run_module(core[i], &n, 1);

		printf("#   mustache %-14s %d/%d\n", core[i], n - f, n);
		failed += f;
		total += n;
	}
	CHECK(total > 100);
	CHECK_INT(failed, 0);
}

TEST(mustache_spec_optional_modules_report_a_score)
{
	static const char *const opt[] = { "~dynamic-names", "~inheritance" };
	int n;

	for (size_t i = 0; i < POPS_ARRAY_SIZE(opt); i++) {
		int f = run_module(opt[i], &n, 0);

		printf("#   mustache %-14s %d/%d (optional; failures listed above)\n", opt[i], n - f, n);
	}
}

#include "common.h"
#include "fuzz.h"
#include "export_int.h"
#include "release.h"
#include "strutil.h"

#include <cjson/cJSON.h>

/*
 * The manifest.json of a directory `pops export` is about to replace: it
 * comes from the user's disk, and what it lists is what export deletes.
 * Whatever the check accepts must name only safe relative .prompt files
 * (no "..", no absolute path, no dot segment), so no listed name can
 * reach outside the directory.
 */
static void check_listed(const cJSON *arr)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr) {
		const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "file"));

		if (!f)
			continue;
		assert(pops_release_name_ok(f));
		assert(pops_ends_with(f, ".prompt"));
		assert(!strstr(f, ".."));
	}
}

/* a schema 3 rollout's files: under @canary/, and as safe as any other listed name */
static void check_canary(const cJSON *arr)
{
	const cJSON *it, *p;

	cJSON_ArrayForEach(it, arr) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(it, "rollout"), "canary");
		const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "file"));

		if (f) {
			assert(!strncmp(f, "@canary/", 8) && pops_release_name_ok(f + 8));
			assert(!strstr(f, ".."));
		}
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c, "partials")) {
			const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "path"));

			if (path) {
				assert(!strncmp(path, "@canary/", 8) && strstr(path, "@partials/"));
				assert(!strstr(path, "..") && !strstr(path, "//"));
			}
		}
	}
}

POPS_FUZZ_TARGET(export_manifest)
{
	char *copy = fuzz_copy(data, size);
	cJSON *doc = cJSON_ParseWithLength(copy, size);
	pops_buf why = POPS_BUF_INIT;

	if (doc && pops_export__manifest_ok(doc, &why)) {
		check_listed(cJSON_GetObjectItemCaseSensitive(doc, "prompts"));
		check_listed(cJSON_GetObjectItemCaseSensitive(doc, "partials"));
		if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "schema_version")) == 3 &&
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "format")), "json"))
			check_canary(cJSON_GetObjectItemCaseSensitive(doc, "prompts"));
	}
	pops_buf_dispose(&why);
	cJSON_Delete(doc);
	free(copy);
	return 0;
}

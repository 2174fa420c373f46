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

POPS_FUZZ_TARGET(export_manifest)
{
	char *copy = fuzz_copy(data, size);
	cJSON *doc = cJSON_ParseWithLength(copy, size);
	pops_buf why = POPS_BUF_INIT;

	if (doc && pops_export__manifest_ok(doc, &why)) {
		check_listed(cJSON_GetObjectItemCaseSensitive(doc, "prompts"));
		check_listed(cJSON_GetObjectItemCaseSensitive(doc, "partials"));
	}
	pops_buf_dispose(&why);
	cJSON_Delete(doc);
	free(copy);
	return 0;
}

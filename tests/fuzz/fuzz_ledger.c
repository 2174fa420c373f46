#include "common.h"
#include "fuzz.h"
#include "release.h"

/*
 * The ledger reader: a ledger pulled from a remote is untrusted. The
 * input is "<dir>\n<name>\n<mode>\n<entry json>": the tree-name check
 * takes the first three lines, the entry parser the rest; whatever
 * parses must be consistent (safe partial files, closure fields agree).
 */
POPS_FUZZ_TARGET(ledger)
{
	char *copy = fuzz_copy(data, size), *dir, *name, *mode, *json;
	pops_release_entry *e = NULL;
	pops_buf what = POPS_BUF_INIT;
	size_t i;

	dir = copy;
	name = strchr(dir, '\n');
	mode = name ? strchr(name + 1, '\n') : NULL;
	json = mode ? strchr(mode + 1, '\n') : NULL;
	if (json) {
		*name++ = '\0';
		*mode++ = '\0';
		*json++ = '\0';
		if (pops_release_tree_name_ok(dir, name, (unsigned)strtoul(mode, NULL, 8))) {
			assert(!strchr(name, '/') && strcmp(name, "..") && strcmp(name, "."));
			assert(name[0] != '.');
		}
		if (pops_release_parse_entry(&e, json, size - (size_t)(json - copy), "dev", "x",
		                             &what) == 0) {
			assert(e->closure_known == (e->closure.model_config != NULL));
			for (i = 0; i < e->closure.npartials; i++) {
				assert(e->closure.partials[i].name && e->closure.partials[i].file);
				assert(!strstr(e->closure.partials[i].file, ".."));
				assert(e->closure.partials[i].file[0] != '/');
			}
			assert(git_oid_equal(&e->blob, &e->closure.blob));
		}
	}
	pops_release_entry_free(e);
	pops_buf_dispose(&what);
	free(copy);
	return 0;
}

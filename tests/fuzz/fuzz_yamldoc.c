#include "common.h"
#include "fuzz.h"
#include "yamldoc.h"

/*
 * The YAML -> JSON loader, under the default limits and under tight ones
 * (the first byte picks), so the depth/alias/size refusals themselves
 * are exercised. Every node's position is looked up and the tree is
 * printed, as the commands that consume it would. The same bytes then go
 * through the .json loader (cJSON plus its position pass).
 */

static void walk(const pops_yaml_doc *doc, const cJSON *n, unsigned depth)
{
	const cJSON *c;

	(void)pops_yaml_line(doc, n);
	(void)pops_yaml_col(doc, n);
	if (depth > 100000)
		abort(); /* the depth limit did not hold */
	for (c = n->child; c; c = c->next)
		walk(doc, c, depth + 1);
}

POPS_FUZZ_TARGET(yamldoc)
{
	static const pops_yaml_limits defaults = POPS_YAML_LIMITS_INIT;
	pops_yaml_limits tight = { 8, 64, 4096 };
	const pops_yaml_limits *lim = &defaults;
	pops_yaml_doc *doc = NULL;
	char *copy;

	if (size && data[0] == '#' && size > 1 && data[1] == '!')
		lim = &tight; /* "#!" prefix: a comment to YAML, a switch to us */
	copy = fuzz_copy(data, size);
	if (pops_yaml_parse(&doc, copy, size, "fuzz.yaml", 3, lim) == 0) {
		cJSON *root = pops_yaml_root(doc);
		char *json = cJSON_PrintUnformatted(root);

		walk(doc, root, 0);
		/*
		 * Bounded output: each input byte prints as at most 8 (escapes,
		 * quotes), and aliases add at most the limits. More means a
		 * bomb got through.
		 */
		if (json && strlen(json) > 8 * size + 8 * lim->max_bytes +
		                           16 * lim->max_alias_nodes + 16)
			abort();
		free(json);
		root = pops_yaml_detach(doc);
		pops_yaml_free(doc);
		cJSON_Delete(root);
	} else {
		assert(doc == NULL);
		assert(*pops_error_last());
	}
	doc = NULL;
	if (pops_yaml_parse_json(&doc, copy, size, "fuzz.json", lim) == 0) {
		walk(doc, pops_yaml_root(doc), 0);
		pops_yaml_free(doc);
	} else {
		assert(doc == NULL);
		assert(*pops_error_last());
	}
	free(copy);
	return 0;
}

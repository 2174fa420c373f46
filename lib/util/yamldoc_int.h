#ifndef POPS_YAMLDOC_INT_H
#define POPS_YAMLDOC_INT_H
/*
 * Internals shared by lib/yamldoc.c (YAML) and lib/yamldoc_json.c (JSON), so
 * that a document from either parser answers pops_yaml_line() the same
 * way. Not part of the public API.
 */
#include <cjson/cJSON.h>
#include "yamldoc.h"

struct pops_yaml_pos {
	const cJSON *node;
	unsigned line, col;
};

struct pops_yaml_doc {
	cJSON *root;
	char *filename;
	struct pops_yaml_pos *pos;  /* open-addressing table keyed by node pointer */
	size_t pos_cap, pos_len;
};

/* Remember where `node` came from (1-based). 0 or POPS_ERROR (memory). */
int pops_yaml__pos_put(pops_yaml_doc *doc, const cJSON *node, unsigned line,
                       unsigned col);

#endif

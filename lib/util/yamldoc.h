#ifndef POPS_YAMLDOC_H
#define POPS_YAMLDOC_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "defaults.h"

/*
 * YAML to JSON: every YAML file pops reads (pops.yaml, suites, datasets,
 * frontmatter), and every .json data file, becomes a cJSON tree, and
 * each node remembers where it came from so that errors can name
 * file:line:col.
 *
 * Plain scalars follow the YAML 1.2 core schema (null, true/false,
 * integers incl. 0x/0o, floats incl. .inf/.nan); quoted scalars and
 * `!!str` stay strings. Anchors, aliases and `<<` merge keys work.
 * Duplicate keys and non-scalar keys are errors. Hard limits (depth,
 * alias expansion, size) turn a YAML bomb into an error.
 */

typedef struct pops_yaml_limits {
	unsigned max_depth;
	size_t max_alias_nodes;
	size_t max_bytes;
} pops_yaml_limits;

#define POPS_YAML_LIMITS_INIT \
	{ POPS_YAML_MAX_DEPTH, POPS_YAML_MAX_ALIAS_NODES, POPS_YAML_MAX_BYTES }

typedef struct pops_yaml_doc pops_yaml_doc;

/*
 * Parse `len` bytes of YAML. `filename` is used in messages only ("-" or
 * NULL for none); `line_offset` is added to every reported line (for
 * YAML embedded in a larger file, such as frontmatter). `limits` may be
 * NULL for the defaults. An empty input gives a JSON null root.
 * Returns 0 and a document the caller frees with pops_yaml_free(), or
 * POPS_EINVALID with "file:line:col: problem" in the message.
 */
int pops_yaml_parse(pops_yaml_doc **out, const char *data, size_t len,
                    const char *filename, unsigned line_offset,
                    const pops_yaml_limits *limits);

/*
 * Parse `len` bytes of JSON with cJSON into the same kind of document:
 * lines and columns of keys and items are recorded, duplicate keys,
 * raw control characters, "\u0000" and bad UTF-8 are refused, an empty
 * input gives a null root, a UTF-8 BOM is skipped. `limits` as above
 * (depth and size). Returns 0, or POPS_EINVALID "file:line:col: problem".
 */
int pops_yaml_parse_json(pops_yaml_doc **out, const char *data, size_t len,
                         const char *filename, const pops_yaml_limits *limits);

/*
 * A data file by its name: JSON (pops_yaml_parse_json) when `filename`
 * ends in ".json" (any case), else YAML. What users hand pops as .json
 * was written by a JSON library, whose escapes YAML's reader refuses.
 */
int pops_yaml_parse_file(pops_yaml_doc **out, const char *data, size_t len,
                         const char *filename, const pops_yaml_limits *limits);

/* 1 if `filename` ends in ".json", in any case (NULL: 0). */
int pops_yaml_name_is_json(const char *filename);

/* The root node, borrowed from the document. */
cJSON *pops_yaml_root(const pops_yaml_doc *doc);

/*
 * Take ownership of the root; the document keeps its position table
 * (so lines still resolve) but no longer frees the tree.
 */
cJSON *pops_yaml_detach(pops_yaml_doc *doc);

/* The file name given to pops_yaml_parse (borrowed, never NULL). */
const char *pops_yaml_filename(const pops_yaml_doc *doc);

/*
 * Where `node` came from: for a mapping member, the position of its key;
 * otherwise of the value. 1-based; 0 when unknown (e.g. alias copies).
 */
unsigned pops_yaml_line(const pops_yaml_doc *doc, const cJSON *node);
unsigned pops_yaml_col(const pops_yaml_doc *doc, const cJSON *node);

void pops_yaml_free(pops_yaml_doc *doc);

#endif

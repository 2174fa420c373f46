#ifndef POPS_SHAPE_H
#define POPS_SHAPE_H

#include <cjson/cJSON.h>
#include "yamldoc.h"

/*
 * Declarative checks for YAML documents (pops.yaml, suites, frontmatter):
 * a table of fields with types drives validation, so every file format
 * reports unknown keys, wrong types and missing keys the same way, with
 * file:line, and suggests the key that was probably meant.
 */

typedef enum {
	POPS_SHAPE_ANY = 0,
	POPS_SHAPE_STRING,
	POPS_SHAPE_INT,
	POPS_SHAPE_NUMBER,
	POPS_SHAPE_BOOL,
	POPS_SHAPE_OBJECT,         /* fixed keys: `fields` lists them */
	POPS_SHAPE_MAP,            /* any keys; `fields[0]` is the value shape */
	POPS_SHAPE_LIST,           /* `fields[0]` is the item shape */
	POPS_SHAPE_STRING_OR_LIST  /* a string, or a list of strings */
} pops_shape_type;

enum {
	POPS_SHAPE_REQUIRED = 1 << 0,
	POPS_SHAPE_RANGE = 1 << 1,       /* numbers: min <= v <= max */
	POPS_SHAPE_OPEN = 1 << 2,        /* OBJECT: unknown keys are allowed */
	POPS_SHAPE_PREFIX = 1 << 3,      /* field row: `key` is a prefix ("ext.") */
	POPS_SHAPE_NOT_EMPTY = 1 << 4    /* strings and lists must not be empty */
};

typedef struct pops_shape {
	const char *key;                 /* field name; NULL ends a field table */
	pops_shape_type type;
	const struct pops_shape *fields; /* see pops_shape_type */
	unsigned flags;
	const char *const *choices;      /* STRING: allowed values, NULL-terminated */
	double min, max;
} pops_shape;

/*
 * Check `node` (from `doc`) against `shape`. `what` names the node in
 * messages (e.g. "environments[1]"); NULL for the document root.
 * Returns 0 or POPS_EINVALID with "file:line: problem" as the message;
 * stops at the first problem.
 */
int pops_shape_check(const pops_yaml_doc *doc, const cJSON *node,
                     const pops_shape *shape, const char *what);

/*
 * Format "file:line: " for `node` into the error prefix and return
 * POPS_EINVALID: for callers that do checks a table cannot express.
 */
int pops_shape_error(const pops_yaml_doc *doc, const cJSON *node,
                     const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

#endif

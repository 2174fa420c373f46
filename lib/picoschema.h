#ifndef POPS_PICOSCHEMA_H
#define POPS_PICOSCHEMA_H

#include <cjson/cJSON.h>
#include "buf.h"

/*
 * Picoschema (dotprompt's compact schema notation) to JSON Schema, and a
 * small JSON Schema validator for prompt inputs.
 *
 * Picoschema as dotprompt defines it: `field: type, description`,
 * `field?:` optional (and nullable), `field(array): item`,
 * `field(object): {...}`, `field(enum): [a, b]`, `(*): type` for
 * additional properties, scalar types any/boolean/integer/null/number/
 * string; any other type name is a named schema looked up through the
 * resolver. A value that already looks like JSON Schema (a `type` of a
 * JSON Schema type, or `properties`) passes through.
 */

/*
 * Look a named schema up. Returns 0 with a new tree in *out (the caller
 * frees it), POPS_ENOTFOUND when the name is unknown, or another code.
 */
typedef int (*pops_schema_resolver)(void *payload, const char *name, cJSON **out);

/*
 * Convert `schema` into a new JSON Schema tree in *out (NULL when `schema`
 * is NULL or a name that cannot be resolved). Names that the resolver
 * (which may be NULL) does not know are appended to `unresolved` (a cJSON
 * array of strings; may be NULL) and become `{}` (any value) so that the
 * rest still converts. Returns 0, POPS_EINVALID for malformed Picoschema
 * ("picoschema: ..." message), or POPS_ERROR (out of memory).
 */
int pops_picoschema(cJSON **out, const cJSON *schema, pops_schema_resolver resolve,
                    void *payload, cJSON *unresolved);

/*
 * Check `value` against the JSON Schema subset pops uses (type, enum,
 * const, properties, required, additionalProperties, items, anyOf).
 * `what` names the root in messages (e.g. "input"). Returns 0 or
 * POPS_EINVALID with "input.items[2]: expected a string, got a number".
 */
int pops_schema_validate(const cJSON *schema, const cJSON *value, const char *what);

#endif

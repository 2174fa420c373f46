#ifndef POPS_JSONSCHEMA_H
#define POPS_JSONSCHEMA_H
#include <cjson/cJSON.h>
#include "buf.h"
/*
 * JSON Schema (draft 2020-12) core validation keywords, enough for
 * structured-output checks: type, properties, required, items, enum,
 * const, minimum/maximum, exclusiveMinimum/exclusiveMaximum,
 * minLength/maxLength, minItems/maxItems, pattern (PCRE2),
 * additionalProperties, anyOf/oneOf/allOf/not. Unknown keywords are
 * ignored, as the specification says. $ref is not followed.
 */

/*
 * Validate `instance` against `schema`. Returns 1 when valid, 0 when not
 * (with the first problem, e.g. "$.items[2].name: expected string", in
 * `why`), or POPS_EINVALID when the schema itself is malformed (a bad
 * pattern, a non-object schema).
 */
int pops_jsonschema_validate(const cJSON *schema, const cJSON *instance,
                             pops_buf *why);
#endif

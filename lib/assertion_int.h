#ifndef POPS_ASSERTION_INT_H
#define POPS_ASSERTION_INT_H
/*
 * Internals shared by lib/assertion.c (the type table: compile, checks)
 * and lib/assertion_text.c (text searching, JSON in output, list checks,
 * json-path lookup, one-line reasons).
 * Not part of the public API.
 */
#include <stddef.h>
#include <cjson/cJSON.h>
#include "assertion.h"

/* memmem ignoring ASCII case; NULL when `n` is not in `h` */
const char *pops_assert__memcasemem(const char *h, size_t hl, const char *n, size_t nl);

/*
 * The output parsed as JSON (one markdown code fence around the whole
 * output is accepted: models wrap JSON in them). NULL when it is not.
 */
cJSON *pops_assert__parse_output_json(const char *s, size_t len);

/*
 * The list of an *-any / *-all assertion from its `value`: an array of
 * strings (numbers and booleans as text), or a string split at commas,
 * as promptfoo reads it. Returns a new array of strings or NULL with
 * POPS_EINVALID set ("file:line: ...").
 */
cJSON *pops_assert__list_value(const pops_assert *a, const cJSON *value);

/*
 * The node at a json-path ("$.a.b[0]", "a.b[-1]", "$['k']") in `root`,
 * borrowed from it; NULL when there is none or the path is malformed.
 */
const cJSON *pops_assert__json_path(const cJSON *root, const char *path);

/*
 * Check contains-any/-all, icontains-any/-all and contains-json (before
 * negation): sets *pass and, on failure, the reason. 0 or POPS_ERROR.
 */
int pops_assert__check_text(pops_assert_result *res, const pops_assert *a,
                            const pops_assert_input *in, int *pass);

#endif

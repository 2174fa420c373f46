#ifndef POPS_CLOSURE_INT_H
#define POPS_CLOSURE_INT_H

/*
 * lib/closure internals shared by closure.c (compute, copy) and
 * closure_json.c (from_json).
 */

/*
 * `*out` gets a copy of `s`, or NULL when `s` is NULL. Returns 0 or
 * POPS_ENOMEM (the message set).
 */
int pops_closure__dup_or_null(char **out, const char *s);

#endif

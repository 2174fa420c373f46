#ifndef POPS_JSONGET_H
#define POPS_JSONGET_H
#include <cjson/cJSON.h>
/*
 * Typed member lookups on cJSON objects, for reading documents pops wrote
 * or already validated (summaries, evidence, ledger entries, config).
 * A missing member, a member of another type, or a NULL `obj` gives
 * `dflt`. The returned string is borrowed from `obj`. No allocation, no
 * errors.
 */
const char *pops_json_str(const cJSON *obj, const char *key, const char *dflt);
double pops_json_num(const cJSON *obj, const char *key, double dflt);

/*
 * For when absent and any default differ (schema bounds): 1 with *out set
 * if `key` is a number member of `obj`, else 0 with *out left alone.
 * `obj` may be NULL.
 */
int pops_json_num_get(double *out, const cJSON *obj, const char *key);

/*
 * A count from a document pops did not write (provider usage): the
 * member truncated to a long if it is a number in [0, 9e18), else -1, so
 * a reply claiming a negative or huge count cannot overflow a long.
 * `obj` may be NULL.
 */
long pops_json_count(const cJSON *obj, const char *key);

/*
 * `v` printed compactly with every object's keys in byte order (ties keep
 * their order): equal values, equal bytes, whatever order they were
 * written in. For hashing (fingerprints, closure digests). The caller
 * frees it with cJSON_free; NULL on out of memory.
 */
char *pops_json_canonical(const cJSON *v);

/* A deep copy of `v` whose objects have their keys in that order; NULL on OOM. */
cJSON *pops_json_sorted_copy(const cJSON *v);
#endif

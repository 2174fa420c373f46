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
 * `v` printed compactly with every object's keys in byte order (ties keep
 * their order): equal values, equal bytes, whatever order they were
 * written in. For hashing (fingerprints, closure digests). The caller
 * frees it with cJSON_free; NULL on out of memory.
 */
char *pops_json_canonical(const cJSON *v);

/* A deep copy of `v` whose objects have their keys in that order; NULL on OOM. */
cJSON *pops_json_sorted_copy(const cJSON *v);
#endif

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
#endif

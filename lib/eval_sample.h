#ifndef POPS_EVAL_SAMPLE_H
#define POPS_EVAL_SAMPLE_H

/*
 * `pops eval run --sample N [--seed S] [--stratify FIELD]`: a
 * reproducible, stratified subset of a suite's cases for quick checks.
 *
 * Every candidate case is added with its id and its stratum (the value
 * of FIELD in the row, "" without --stratify). The choice depends only
 * on the set of (id, stratum) pairs, the seed and N, never on the order
 * rows come in: the same seed picks the same cases from the same data,
 * and a row added to the dataset moves few others in or out.
 *
 * Allocation: each stratum gets N x its share of the cases, rounded down;
 * when N is at least the number of strata, every stratum gets at least
 * one; the rest go to the largest remainders (ties: the stratum that
 * sorts first). Within a stratum, the cases with the smallest keyed
 * hash of (seed, id) are taken. N at or above the number of cases takes
 * every case.
 */

#include <stddef.h>
#include <cjson/cJSON.h>

typedef struct pops_sample pops_sample;

/* A sampler for `n` (>= 1) cases with `seed`. NULL out of memory. */
pops_sample *pops_sample_new(size_t n, long seed);

/* Add a candidate. `stratum` NULL is "". Ids are copied. 0 or POPS_ERROR (memory). */
int pops_sample_add(pops_sample *s, const char *id, const char *stratum);

/* Choose (after the last add; once). 0 or POPS_ERROR (memory). */
int pops_sample_choose(pops_sample *s);

/* After pops_sample_choose: 1 when case `id` is in the sample, else 0. */
int pops_sample_has(const pops_sample *s, const char *id);

/* After pops_sample_choose: how many cases were added, chosen, and how many strata. */
size_t pops_sample_total(const pops_sample *s);
size_t pops_sample_chosen(const pops_sample *s);
size_t pops_sample_nstrata(const pops_sample *s);

/*
 * The stratum of a dataset row for --stratify `field`: the row's
 * vars.FIELD, else metadata.FIELD, else meta.FIELD; a string as it is,
 * another value as compact JSON, into `buf` (at most `size` bytes with
 * the NUL, cut short beyond). "" when absent. Returns buf.
 */
char *pops_sample_stratum(char *buf, size_t size, const cJSON *vars, const cJSON *metadata,
                          const cJSON *meta, const char *field);

void pops_sample_free(pops_sample *s);

#endif

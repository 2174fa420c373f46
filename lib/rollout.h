#ifndef POPS_ROLLOUT_H
#define POPS_ROLLOUT_H
#include <stddef.h>
/*
 * Sticky assignment of a request key to one side of a canary rollout,
 * specified so that any language can reproduce it (pops-release(7) has
 * test vectors): the bucket of key K under a rollout's salt is the first
 * 8 bytes of SHA-256(salt ":" K) read as a big-endian integer, modulo
 * 10,000; a canary at PCT percent serves the buckets below PCT * 100.
 * Raising the share only moves keys into the canary, never out.
 */

#define POPS_ROLLOUT_BUCKETS 10000u

/* The bucket (0..9999) of `key` (`key_len` bytes, may hold NULs). */
unsigned pops_rollout_bucket(const char *salt, const char *key, size_t key_len);

/* 1 when a canary at `percent` (0..100) serves `key`, else 0. */
int pops_rollout_is_canary(const char *salt, const char *key, size_t key_len,
                           unsigned percent);
#endif

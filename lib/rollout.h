#ifndef POPS_ROLLOUT_H
#define POPS_ROLLOUT_H
#include <stddef.h>
/*
 * Sticky assignment of a request key to one side of a canary rollout,
 * specified so that any language can reproduce it (pops-rollout(1) has
 * test vectors): the bucket of key K under a rollout's salt is the first
 * 8 bytes of SHA-256(salt ":" K) read as a big-endian integer, modulo
 * 10,000; a canary at PCT percent serves the buckets below PCT * 100.
 * Raising the share only moves keys into the canary, never out.
 */

#define POPS_ROLLOUT_BUCKETS 10000u

/* a rollout's canary share, in percent: both sides always serve someone */
#define POPS_ROLLOUT_MIN_PERCENT 1u
#define POPS_ROLLOUT_MAX_PERCENT 99u

/* a salt: 16 lowercase hex digits (8 random bytes) */
#define POPS_ROLLOUT_SALT_LEN 16

/* The bucket (0..9999) of `key` (`key_len` bytes, may hold NULs). */
unsigned pops_rollout_bucket(const char *salt, const char *key, size_t key_len);

/* 1 when a canary at `percent` (0..100) serves `key`, else 0. */
int pops_rollout_is_canary(const char *salt, const char *key, size_t key_len,
                           unsigned percent);

/* 1 when `percent` is a share a rollout may have (1..99), else 0. */
int pops_rollout_percent_ok(long percent);

/* 1 when `salt` is exactly 16 lowercase hex digits, else 0. */
int pops_rollout_salt_ok(const char *salt);

/*
 * A fresh salt in `out` (16 hex digits + NUL) from 8 bytes of
 * /dev/urandom. 0, or POPS_ERROR when the system gives no randomness.
 */
int pops_rollout_salt_new(char out[POPS_ROLLOUT_SALT_LEN + 1]);

/* `t` (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SSZ" in `out`. */
void pops_rollout_format_time(char out[21], long long t);

/*
 * Parse exactly "YYYY-MM-DDTHH:MM:SSZ" (UTC, what
 * pops_rollout_format_time writes) into `out`. 0, or POPS_EINVALID
 * (nothing else is accepted: no offsets, no fractions).
 */
int pops_rollout_parse_time(long long *out, const char *s);
#endif

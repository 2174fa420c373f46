#ifndef POPS_STRUTIL_H
#define POPS_STRUTIL_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

/*
 * Edit distance (insert, delete, substitute, and adjacent transposition)
 * between two byte strings. Stops counting once the distance exceeds
 * `max` and returns max + 1, so a bound keeps it cheap on long inputs;
 * pass SIZE_MAX for the exact distance. Returns SIZE_MAX on out of memory.
 */
size_t pops_levenshtein(const char *a, size_t alen, const char *b, size_t blen,
                        size_t max);

/*
 * The entry of `names` (NULL-terminated) closest to `word`, if it is
 * within `max` edits or `word` is a prefix of it; NULL otherwise.
 * Borrowed from `names`.
 */
const char *pops_suggest(const char *word, const char *const *names, size_t max);

/*
 * Append `s` to `out` with control characters (except tab and newline
 * when `keep_newlines`) replaced by '?', so text from files and models
 * cannot drive the terminal.
 */
int pops_buf_put_sanitized(pops_buf *out, const char *s, size_t len,
                           int keep_newlines);

/*
 * Append the fraction `frac` as a percentage: one decimal ("90.0%",
 * "37.5%"), and more only when the value has them, so a threshold
 * prints as it was written (0.9995 is "99.95%", not a rounded "100.0%").
 */
int pops_buf_put_percent(pops_buf *out, double frac);

/* 1 if `s` starts with / ends with `fix`. */
int pops_starts_with(const char *s, const char *prefix);
int pops_ends_with(const char *s, const char *suffix);

/*
 * Parse a whole string as a base-10 long within [min, max]. Returns 0 or
 * POPS_EINVALID (no number, trailing junk, out of range).
 */
int pops_parse_long(long *out, const char *s, long min, long max);

/*
 * Parse a shard "i/n" (as `eval run --shard` takes and a shard report
 * records): two unsigned decimal numbers, digits only (no sign, space
 * or empty side), with 1 <= i <= n <= POPS_SHARD_MAX. Returns 0 with
 * *i and *n set, or POPS_EINVALID with a message (outputs untouched).
 * `s` may be NULL (invalid).
 */
#define POPS_SHARD_MAX 100000u
int pops_shard_parse(unsigned *i, unsigned *n, const char *s);

/*
 * `n` bytes at `in` as 2n lowercase hex digits and a NUL in `out`
 * (which holds 2n + 1 bytes): digests, salts.
 */
void pops_hex_encode(char *out, const unsigned char *in, size_t n);

/* Parse a whole string as a finite double. 0 or POPS_EINVALID. */
int pops_parse_double(double *out, const char *s);

/* 1 if the `len` bytes at `s` are valid UTF-8 (no overlongs, no surrogates). */
int pops_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/*
 * Decode the code point at `s` (`len` > 0 bytes): returns how many bytes
 * it takes and sets *cp. A byte that does not start a valid sequence
 * (overlong, surrogate, truncated, > U+10FFFF) is one byte with *cp
 * POPS_UTF8_INVALID, so a caller can always step on.
 */
#define POPS_UTF8_INVALID 0xffffffffu
size_t pops_utf8_decode(const char *s, size_t len, unsigned *cp);

/*
 * The columns `len` bytes of text take on a terminal, for aligning
 * tables whatever the locale: combining marks and other zero-width code
 * points count 0, East Asian wide and fullwidth characters and emoji 2
 * (the common ranges, as wcwidth() has them), everything else 1,
 * including an invalid byte or a control character (each prints as one
 * '?' after pops_buf_put_sanitized).
 */
size_t pops_utf8_width(const char *s, size_t len);

/*
 * 64-bit FNV-1a of the NUL-terminated `s`, for hash tables and for the
 * values that must not change between releases: derived dataset row ids
 * and the shard a case falls in. The offset basis is 1469598103934665603
 * (not the published 14695981039346656037): ids and shards already
 * written depend on it, so it stays.
 */
uint64_t pops_fnv1a(const char *s);

/* strdup that returns NULL only for NULL input or out of memory. */
char *pops_strdup(const char *s);
char *pops_strndup(const char *s, size_t n);

/*
 * Format into a new string that replaces *dst (the old one is freed):
 * for error fields set in several places. On out of memory *dst becomes
 * NULL.
 */
void pops_str_vset(char **dst, const char *fmt, va_list ap);

#endif

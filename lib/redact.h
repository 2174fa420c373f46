#ifndef POPS_REDACT_H
#define POPS_REDACT_H
#include <stddef.h>
#include <cjson/cJSON.h>
/*
 * Redaction of personal data before production records reach a dataset:
 * named PCRE2 patterns whose matches become "[REDACTED:<name>]".
 *
 * Built in: email; phone (7 to 15 digits with the usual separators, an
 * optional +country code and (area) code; not an ISO date); card (13 to 19 digits, spaces
 * or dashes allowed, kept only when the Luhn check passes, so order
 * numbers and timestamps survive). Custom: "name=REGEX" (PCRE2, UTF).
 * Card numbers are replaced before phone numbers, whatever the order
 * given; the other patterns run in the order they were added.
 */

typedef struct pops_redactor pops_redactor;

/* An empty redactor (nothing replaced). 0 or POPS_ERROR (out of memory). */
int pops_redactor_new(pops_redactor **out);

/*
 * Add a pattern: "email", "phone", "card", or "name=REGEX" with a name of
 * letters, digits, '-' and '_'. Returns 0 or POPS_EINVALID (unknown
 * name, bad name, the regex's error with its offset).
 */
int pops_redactor_add(pops_redactor *rd, const char *spec);

/* How many patterns are set. */
size_t pops_redactor_count(const pops_redactor *rd);

/*
 * `s` with every match replaced, into *out (caller frees); *hits (may be
 * NULL) grows by the number of replacements. 0 or POPS_ERROR.
 */
int pops_redact_text(const pops_redactor *rd, const char *s, char **out, size_t *hits);

/*
 * Redact every string inside `v` in place (object keys are kept).
 * 0 or POPS_ERROR.
 */
int pops_redact_json(const pops_redactor *rd, cJSON *v, size_t *hits);

void pops_redactor_free(pops_redactor *rd);

/* The Luhn check on the digits of `s` (other characters skipped): 1 or 0. */
int pops_luhn_valid(const char *s, size_t len);
#endif

#ifndef POPS_SHA1_H
#define POPS_SHA1_H
#include <stddef.h>
#include <stdint.h>
/*
 * SHA-1 (FIPS 180-4), only to compute git object ids: a bundle's
 * manifest.json names each file by its git blob id, and the runtime
 * library (which does not link libgit2) checks the files against them.
 * Not for anything that needs collision resistance (use sha256.h).
 */
typedef struct pops_sha1 {
	uint32_t h[5];
	uint64_t len;
	unsigned char block[64];
	size_t fill;
} pops_sha1;

void pops_sha1_init(pops_sha1 *c);
void pops_sha1_update(pops_sha1 *c, const void *data, size_t len);
/* Finish and write the 20-byte digest to `out`. */
void pops_sha1_final(pops_sha1 *c, unsigned char out[20]);
/* Finish and write 40 lower-case hex digits and a NUL to `hex`. */
void pops_sha1_hex(pops_sha1 *c, char hex[41]);

/*
 * The git blob id of `len` bytes (what `git hash-object` prints): the
 * SHA-1 of "blob <len>\0" followed by the bytes, as 40 hex digits + NUL.
 */
void pops_sha1_git_blob(char hex[41], const void *data, size_t len);
#endif

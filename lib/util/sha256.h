#ifndef POPS_SHA256_H
#define POPS_SHA256_H
#include <stddef.h>
#include <stdint.h>
/*
 * SHA-256 (FIPS 180-4), for content fingerprints: eval evidence keys must
 * be collision-resistant and the same on every machine.
 */
typedef struct pops_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char block[64];
	size_t fill;
} pops_sha256;

void pops_sha256_init(pops_sha256 *c);
void pops_sha256_update(pops_sha256 *c, const void *data, size_t len);
/* Finish and write the 32-byte digest to `out`. */
void pops_sha256_final(pops_sha256 *c, unsigned char out[32]);
/* Finish and write 64 lower-case hex digits and a NUL to `hex`. */
void pops_sha256_hex(pops_sha256 *c, char hex[65]);
#endif

#include "common.h"
#include "sha1.h"
#include "strutil.h"

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void compress(pops_sha1 *c, const unsigned char *p)
{
	uint32_t w[80], a, b, d, e, f, k, t, cc;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & cc) | (~b & d), k = 0x5a827999u;
		else if (i < 40)
			f = b ^ cc ^ d, k = 0x6ed9eba1u;
		else if (i < 60)
			f = (b & cc) | (b & d) | (cc & d), k = 0x8f1bbcdcu;
		else
			f = b ^ cc ^ d, k = 0xca62c1d6u;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = cc, cc = rol(b, 30), b = a, a = t;
	}
	c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d, c->h[4] += e;
}

void pops_sha1_init(pops_sha1 *c)
{
	static const uint32_t iv[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
	                                0xc3d2e1f0u };

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->fill = 0;
}

void pops_sha1_update(pops_sha1 *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	c->len += len;
	while (len) {
		size_t n = 64 - c->fill < len ? 64 - c->fill : len;

		if (!c->fill && len >= 64) {
			compress(c, p);
			p += 64;
			len -= 64;
			continue;
		}
		memcpy(c->block + c->fill, p, n);
		c->fill += n;
		p += n;
		len -= n;
		if (c->fill == 64) {
			compress(c, c->block);
			c->fill = 0;
		}
	}
}

void pops_sha1_final(pops_sha1 *c, unsigned char out[20])
{
	uint64_t bits = c->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t n = c->fill < 56 ? 56 - c->fill : 120 - c->fill;
	unsigned i;

	for (i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
	pops_sha1_update(c, pad, n + 8);
	for (i = 0; i < 20; i++)
		out[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

void pops_sha1_hex(pops_sha1 *c, char hex[41])
{
	unsigned char d[20];

	pops_sha1_final(c, d);
	pops_hex_encode(hex, d, sizeof(d));
}

void pops_sha1_git_blob(char hex[41], const void *data, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "blob %zu", len);
	pops_sha1 c;

	pops_sha1_init(&c);
	pops_sha1_update(&c, head, (size_t)n + 1);
	pops_sha1_update(&c, data, len);
	pops_sha1_hex(&c, hex);
}

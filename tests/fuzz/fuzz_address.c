#include "common.h"
#include "fuzz.h"
#include "repo.h"

/*
 * Addresses (name, name@N, @latest, @-N, name:env, name#rev) and prompt
 * names. Whatever is accepted must be safe to turn into a path: no
 * empty, "." or ".." segment, not absolute, no control characters, no
 * backslash, none of the address characters.
 */
static void check_safe_name(const char *name)
{
	const char *p = name;

	assert(*name && *name != '/');
	while (*p) {
		size_t n = strcspn(p, "/");

		assert(n > 0);
		assert(!(n == 1 && p[0] == '.'));
		assert(!(n == 2 && p[0] == '.' && p[1] == '.'));
		p += n;
		if (*p == '/') {
			p++;
			assert(*p); /* no trailing '/' */
		}
	}
	for (p = name; *p; p++) {
		assert((unsigned char)*p >= 0x20 && *p != 0x7f);
		assert(!strchr("@:#\\", *p));
	}
}

POPS_FUZZ_TARGET(address)
{
	char *copy = fuzz_copy(data, size);
	pops_address a;

	memset(&a, 0, sizeof(a));
	if (pops_address_parse(&a, copy) == 0) {
		assert(a.name);
		check_safe_name(a.name);
		assert(pops_repo_check_name(a.name) == 0);
		if (a.kind == POPS_ADDR_VERSION)
			assert(a.number >= 1);
		if (a.kind == POPS_ADDR_ENV) {
			/* env names become ledger tree paths: one safe segment */
			assert(a.env && *a.env && strcmp(a.env, ".") && strcmp(a.env, ".."));
			/* (its alphabet is checked against pops.yaml when resolved) */
			assert(!strchr(a.env, '/'));
		}
	}
	pops_address_dispose(&a);
	if (pops_repo_check_name(copy) == 0 && strlen(copy) == size)
		check_safe_name(copy);
	free(copy);
	return 0;
}

#ifndef POPS_FUZZ_H
#define POPS_FUZZ_H

/*
 * One fuzz target per parser. A target file says
 *
 *     POPS_FUZZ_TARGET(yamldoc)
 *     {
 *         ... copy the bytes, call the parser, free, return 0 ...
 *     }
 *
 * which defines `int fuzz_yamldoc(const uint8_t *data, size_t size)`.
 * Built by tests/fuzz/run.sh with -DPOPS_LIBFUZZER (clang, one target
 * per binary), the macro also defines LLVMFuzzerTestOneInput; built for
 * `make check`, it registers the target by name so that the plain
 * driver (replay.c) can run tests/fuzz/corpus/<name>/ through it with no
 * table to keep in sync.
 */

#include "common.h"

struct fuzz_target {
	const char *name;
	int (*fn)(const uint8_t *data, size_t size);
	struct fuzz_target *next;
};

void fuzz_register(struct fuzz_target *t);

/*
 * A malloc'd copy of the input with a NUL after it, so that a parser
 * reading past `size` is caught by ASan. Aborts on out of memory (a
 * fuzzer cannot do anything better).
 */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	assert(p);
	if (size)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

#ifdef POPS_LIBFUZZER
# define POPS_FUZZ_ENTRY(id) \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
	{ return fuzz_##id(data, size); }
#else
# define POPS_FUZZ_ENTRY(id) \
	static struct fuzz_target fuzz_reg_##id = { #id, fuzz_##id, NULL }; \
	__attribute__((constructor)) static void fuzz_reg_fn_##id(void) \
	{ fuzz_register(&fuzz_reg_##id); }
#endif

#define POPS_FUZZ_TARGET(id) \
	int fuzz_##id(const uint8_t *data, size_t size); \
	POPS_FUZZ_ENTRY(id) \
	int fuzz_##id(const uint8_t *data, size_t size)

#endif

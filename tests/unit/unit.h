#ifndef POPS_UNIT_H
#define POPS_UNIT_H

/*
 * A small test framework. TEST(name) defines a case and registers it
 * before main runs; CHECK* record a failure with file:line and end the
 * case. Case names state a claim: TEST(rejects_unknown_key).
 */

#include "common.h"

struct unit_test {
	const char *file;
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
void unit_fail(const char *file, int line, const char *fmt, ...) POPS_PRINTF(3, 4);

#define TEST(id) \
	static void test_##id(void); \
	static struct unit_test unit_##id = { __FILE__, #id, test_##id, NULL }; \
	__attribute__((constructor)) static void unit_reg_##id(void) \
	{ unit_register(&unit_##id); } \
	static void test_##id(void)

#define CHECK(cond) do { if (!(cond)) { \
	unit_fail(__FILE__, __LINE__, "%s", #cond); return; } } while (0)

#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { unit_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", \
	                          #a, a_, b_); return; } } while (0)

#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_)) { unit_fail(__FILE__, __LINE__, \
	  "%s is \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	  return; } } while (0)

/* the message set by the last failing lib call contains `needle` */
#define CHECK_ERR_HAS(needle) do { if (!strstr(pops_error_last(), (needle))) { \
	unit_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"", \
	          pops_error_last(), (needle)); return; } } while (0)

/* path of the shared/ directory (specs, corpus), from $SHARED or ../shared */
const char *unit_shared_dir(void);
/* 1 when SHARED/<sub> exists; else prints where it looked (the case then fails) */
int unit_require_shared(const char *sub);

#endif

#ifndef POPS_COMMON_H
#define POPS_COMMON_H

/*
 * Included first by every lib/ and cmd/ source file: the system headers
 * everyone needs, the project's tunables, and banned.h last so that it
 * overrides anything the system headers defined.
 */

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "error.h"
#include "buf.h"

#define POPS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
# define POPS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
# define POPS_PRINTF(f, a)
#endif

#include "banned.h"

#endif

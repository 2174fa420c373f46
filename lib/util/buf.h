#ifndef POPS_BUF_H
#define POPS_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer that is always NUL-terminated.
 *
 * After POPS_BUF_INIT, `ptr` is never NULL: it points at a shared empty
 * string until the first write. An allocation failure puts the buffer in
 * an out-of-memory state: later writes are ignored and pops_buf_oom()
 * reports it, so a sequence of writes can be checked once at the end.
 * A non-zero `limit` caps the size (for network bodies); exceeding it is
 * reported like out-of-memory, with pops_buf_over_limit() telling which.
 */
typedef struct pops_buf {
	char *ptr;
	size_t size;   /* bytes in use, not counting the terminating NUL */
	size_t asize;  /* bytes allocated; 0 while ptr is the shared empty string */
	size_t limit;  /* 0 = unlimited */
	int failed;    /* 1 = out of memory, 2 = over limit */
} pops_buf;

extern char pops_buf__initbuf[];
extern char pops_buf__oombuf[];

#define POPS_BUF_INIT { pops_buf__initbuf, 0, 0, 0, 0 }

/* Make sure `extra` more bytes (plus the NUL) fit. 0 or POPS_ERROR. */
int pops_buf_grow(pops_buf *b, size_t extra);

/* Append bytes / a C string / one byte / formatted text. 0 or POPS_ERROR. */
int pops_buf_put(pops_buf *b, const void *data, size_t len);
int pops_buf_puts(pops_buf *b, const char *s);
int pops_buf_putc(pops_buf *b, int c);
int pops_buf_printf(pops_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
int pops_buf_vprintf(pops_buf *b, const char *fmt, va_list ap);

/* Replace the contents. 0 or POPS_ERROR. */
int pops_buf_set(pops_buf *b, const void *data, size_t len);
int pops_buf_sets(pops_buf *b, const char *s);

/* Keep the first `len` bytes (no-op if already shorter). */
void pops_buf_truncate(pops_buf *b, size_t len);

/* Empty the buffer but keep its memory. */
void pops_buf_clear(pops_buf *b);

/* Free the memory and return the buffer to POPS_BUF_INIT (keeps limit). */
void pops_buf_dispose(pops_buf *b);

/*
 * Hand the contents to the caller as a malloc'd NUL-terminated string
 * (never NULL unless out of memory) and reset the buffer.
 */
char *pops_buf_detach(pops_buf *b);

/* Non-zero if a write failed (out of memory or over limit). */
int pops_buf_oom(const pops_buf *b);
int pops_buf_over_limit(const pops_buf *b);

#endif

#include "common.h"

char pops_buf__initbuf[1];
char pops_buf__oombuf[1];

int pops_buf_oom(const pops_buf *b)
{
	return b->failed != 0;
}

int pops_buf_over_limit(const pops_buf *b)
{
	return b->failed == 2;
}

static int fail(pops_buf *b, int why)
{
	if (b->asize)
		free(b->ptr);
	b->ptr = pops_buf__oombuf;
	b->ptr[0] = '\0';
	b->size = 0;
	b->asize = 0;
	b->failed = why;
	return POPS_ERROR;
}

int pops_buf_grow(pops_buf *b, size_t extra)
{
	size_t need, alloc;
	char *p;

	if (b->failed)
		return POPS_ERROR;
	if (extra > SIZE_MAX - b->size - 1)
		return fail(b, 1);
	need = b->size + extra + 1;
	if (b->limit && need - 1 > b->limit)
		return fail(b, 2);
	if (need <= b->asize)
		return POPS_OK;

	alloc = b->asize ? b->asize : 64;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc + alloc / 2 + 16;

	p = realloc(b->asize ? b->ptr : NULL, alloc);
	if (!p)
		return fail(b, 1);
	if (!b->asize)
		p[0] = '\0';
	b->ptr = p;
	b->asize = alloc;
	return POPS_OK;
}

int pops_buf_put(pops_buf *b, const void *data, size_t len)
{
	const char *d = data;
	int inside = b->asize && d >= b->ptr && d < b->ptr + b->asize;
	size_t off = inside ? (size_t)(d - b->ptr) : 0;

	/* growing may move the memory that `data` points into */
	if (pops_buf_grow(b, len) < 0)
		return POPS_ERROR;
	if (inside)
		d = b->ptr + off;
	if (len)
		memmove(b->ptr + b->size, d, len);
	b->size += len;
	b->ptr[b->size] = '\0';
	return POPS_OK;
}

int pops_buf_puts(pops_buf *b, const char *s)
{
	return pops_buf_put(b, s, strlen(s));
}

int pops_buf_putc(pops_buf *b, int c)
{
	if (pops_buf_grow(b, 1) < 0)
		return POPS_ERROR;
	b->ptr[b->size++] = (char)c;
	b->ptr[b->size] = '\0';
	return POPS_OK;
}

int pops_buf_vprintf(pops_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return fail(b, 1);
	if (pops_buf_grow(b, (size_t)n) < 0)
		return POPS_ERROR;
	vsnprintf(b->ptr + b->size, (size_t)n + 1, fmt, ap);
	b->size += (size_t)n;
	return POPS_OK;
}

int pops_buf_printf(pops_buf *b, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = pops_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return error;
}

int pops_buf_set(pops_buf *b, const void *data, size_t len)
{
	/* data may point into b itself */
	if (b->asize && data >= (const void *)b->ptr &&
	    data < (const void *)(b->ptr + b->asize)) {
		memmove(b->ptr, data, len);
		b->size = len;
		b->ptr[len] = '\0';
		return POPS_OK;
	}
	pops_buf_clear(b);
	return pops_buf_put(b, data, len);
}

int pops_buf_sets(pops_buf *b, const char *s)
{
	return pops_buf_set(b, s, strlen(s));
}

void pops_buf_truncate(pops_buf *b, size_t len)
{
	if (len < b->size) {
		b->size = len;
		b->ptr[len] = '\0';
	}
}

void pops_buf_clear(pops_buf *b)
{
	b->size = 0;
	if (b->asize)
		b->ptr[0] = '\0';
}

void pops_buf_dispose(pops_buf *b)
{
	size_t limit = b->limit;

	if (b->asize)
		free(b->ptr);
	b->ptr = pops_buf__initbuf;
	b->size = 0;
	b->asize = 0;
	b->limit = limit;
	b->failed = 0;
}

char *pops_buf_detach(pops_buf *b)
{
	char *p;

	if (b->failed) {
		pops_buf_dispose(b);
		return NULL;
	}
	if (b->asize) {
		p = b->ptr;
	} else {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	}
	b->ptr = pops_buf__initbuf;
	b->size = 0;
	b->asize = 0;
	return p;
}

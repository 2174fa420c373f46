#include "common.h"

/*
 * The message lives in thread-local heap memory so that any length of
 * file name fits and worker threads do not overwrite each other.
 */
static _Thread_local char *last_msg;
static _Thread_local int last_code = POPS_ERROR;
/* the last failure was out of memory: its message needs no allocation */
static _Thread_local int last_oom;

static void set_owned(int code, char *msg)
{
	free(last_msg);
	last_msg = msg;
	last_code = code;
	last_oom = 0;
}

static char *vformat(const char *fmt, va_list ap)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_vprintf(&b, fmt, ap);
	if (pops_buf_oom(&b))
		return NULL;
	return pops_buf_detach(&b);
}

int (pops_error_set)(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_owned(code, vformat(fmt, ap));
	va_end(ap);
	if (!last_msg)
		last_oom = 1;
	return code;
}

int (pops_error_oom)(void)
{
	set_owned(POPS_ERROR, NULL);
	last_oom = 1;
	return POPS_ERROR;
}

int (pops_error_prefix)(int code, const char *fmt, ...)
{
	pops_buf b = POPS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pops_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	pops_buf_puts(&b, pops_error_last());
	set_owned(code, pops_buf_oom(&b) ? NULL : pops_buf_detach(&b));
	pops_buf_dispose(&b);
	return code;
}

int (pops_error_os)(const char *what)
{
	int e = errno;

	return pops_error_set(POPS_ERROR, "%s: %s", what, strerror(e));
}

const char *pops_error_last(void)
{
	if (last_msg)
		return last_msg;
	return last_oom ? "out of memory" : "unknown error";
}

int pops_error_code(void)
{
	return last_code;
}

void pops_error_clear(void)
{
	set_owned(POPS_ERROR, NULL);
}

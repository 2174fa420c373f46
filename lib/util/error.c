#include "common.h"

/*
 * The message lives in thread-local heap memory so that any length of
 * file name fits and worker threads do not overwrite each other.
 */
static _Thread_local char *last_msg;
static _Thread_local int last_code = POPS_ERROR;

static void set_owned(int code, char *msg)
{
	free(last_msg);
	last_msg = msg;
	last_code = code;
}

static char *vformat(const char *fmt, va_list ap)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_vprintf(&b, fmt, ap);
	if (pops_buf_oom(&b))
		return NULL;
	return pops_buf_detach(&b);
}

int pops_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_owned(code, vformat(fmt, ap));
	va_end(ap);
	return code;
}

int pops_error_prefix(int code, const char *fmt, ...)
{
	pops_buf b = POPS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pops_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	pops_buf_puts(&b, last_msg ? last_msg : "unknown error");
	set_owned(code, pops_buf_oom(&b) ? NULL : pops_buf_detach(&b));
	pops_buf_dispose(&b);
	return code;
}

int pops_error_os(const char *what)
{
	int e = errno;

	return pops_error_set(POPS_ERROR, "%s: %s", what, strerror(e));
}

const char *pops_error_last(void)
{
	return last_msg ? last_msg : "unknown error";
}

int pops_error_code(void)
{
	return last_code;
}

void pops_error_clear(void)
{
	set_owned(POPS_ERROR, NULL);
}

#include "common.h"
#include "cmd.h"
#include "strutil.h"

int pops_exit_code(int error)
{
	switch (error) {
	case POPS_OK: return POPS_EXIT_OK;
	case POPS_EREFUSED: return POPS_EXIT_NEGATIVE;
	case POPS_EINVALID:
	case POPS_ENOTFOUND:
	case POPS_EAMBIGUOUS:
	case POPS_EEXISTS: return POPS_EXIT_USAGE;
	case POPS_EPROVIDER: return POPS_EXIT_PROVIDER;
	case POPS_EINTR: return POPS_EXIT_INTERRUPTED;
	default: return POPS_EXIT_RUNTIME;
	}
}

/*
 * Build the whole line first and write it once, with control characters
 * from file names or model output turned into '?'.
 */
static void emit(const char *prefix, const char *fmt, va_list ap)
{
	pops_buf raw = POPS_BUF_INIT, line = POPS_BUF_INIT;

	pops_buf_vprintf(&raw, fmt, ap);
	pops_buf_puts(&line, prefix);
	pops_buf_put_sanitized(&line, raw.ptr, raw.size, 0);
	pops_buf_putc(&line, '\n');
	fwrite(line.ptr, 1, line.size, stderr);
	pops_buf_dispose(&line);
	pops_buf_dispose(&raw);
}

int cmd_fail(int error)
{
	pops_buf line = POPS_BUF_INIT;
	const char *msg = pops_error_last();

	pops_buf_puts(&line, "error: ");
	pops_buf_put_sanitized(&line, msg, strlen(msg), 0);
	pops_buf_putc(&line, '\n');
	fwrite(line.ptr, 1, line.size, stderr);
	pops_buf_dispose(&line);
	return pops_exit_code(error);
}

int cmd_error(int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error: ", fmt, ap);
	va_end(ap);
	return exit_code;
}

void cmd_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning: ", fmt, ap);
	va_end(ap);
}

void cmd_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("hint: ", fmt, ap);
	va_end(ap);
}

void cmd_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("pops: ", fmt, ap);
	va_end(ap);
}

const char *cmd_color(const pops_ctx *ctx, int on_stdout, const char *which)
{
	static const struct { const char *name, *seq; } colors[] = {
		{ "reset", "\033[m" }, { "bold", "\033[1m" }, { "red", "\033[31m" },
		{ "green", "\033[32m" }, { "yellow", "\033[33m" }, { "cyan", "\033[36m" },
		{ "dim", "\033[2m" },
	};
	size_t i;

	if (!(on_stdout ? ctx->color_out : ctx->color_err))
		return "";
	for (i = 0; i < POPS_ARRAY_SIZE(colors); i++)
		if (!strcmp(colors[i].name, which))
			return colors[i].seq;
	return "";
}

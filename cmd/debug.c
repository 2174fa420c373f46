#include "common.h"
#include "cmd.h"
#include "http_trace.h"

#include <strings.h>

/*
 * POPS_DEBUG, in the spirit of GIT_TRACE and curl -v: a comma-separated
 * list of what to trace on standard error.
 *   http       provider HTTP traffic: method, URL, request and response
 *              headers, status, retries with their reasons and delays,
 *              timings (secrets redacted by lib/http_trace)
 *   http-body  the same plus request and response bodies, truncated
 */

static void to_stderr(void *payload, const char *line)
{
	(void)payload;
	fprintf(stderr, "http%s\n", line);
}

void cmd_debug_init(void)
{
	const char *v = getenv("POPS_DEBUG");
	unsigned on = 0, flags = 0;

	if (!v || !*v)
		return;
	while (*v) {
		size_t n = strcspn(v, ", ");

		if (n == 4 && !strncasecmp(v, "http", 4)) {
			on = 1;
		} else if (n == 9 && !strncasecmp(v, "http-body", 9)) {
			on = 1;
			flags |= POPS_HTTP_TRACE_BODIES;
		} else if (n) {
			cmd_warning("POPS_DEBUG: unknown value '%.*s' (known: http, http-body)",
			            (int)n, v);
		}
		v += n;
		v += strspn(v, ", ");
	}
	if (on)
		pops_http_trace_set(to_stderr, NULL, flags);
}

#include "common.h"
#include "fuzz.h"
#include "provider.h"
#include "wire.h"

/*
 * Provider replies: the body of an HTTP response, as OpenAI, Anthropic
 * or Ollama would send it (the first byte picks the wire format and the
 * HTTP status). Whatever arrives, the result is either OK with text and
 * a finish reason, or an error with a one-line message.
 */
POPS_FUZZ_TARGET(wire)
{
	static const char *const types[] = { "openai", "anthropic", "ollama" };
	static const long statuses[] = { 200, 200, 200, 400, 429, 500, 529, 201 };
	unsigned sel = size ? data[0] : 0;
	const char *type = types[sel % 3];
	long status = statuses[(sel / 3) % 8];
	char *copy = fuzz_copy(size ? data + 1 : data, size ? size - 1 : 0);
	size_t len = size ? size - 1 : 0;
	pops_provider_result res;
	int r;

	memset(&res, 0, sizeof(res));
	r = pops_wire_parse(&res, type, status, copy, len);
	assert(r == res.status);
	if (r == 0) {
		assert(res.text && res.finish_reason);
		assert(!strcmp(res.finish_reason, POPS_FINISH_STOP) ||
		       !strcmp(res.finish_reason, POPS_FINISH_LENGTH) ||
		       !strcmp(res.finish_reason, POPS_FINISH_FILTER) ||
		       !strcmp(res.finish_reason, POPS_FINISH_TOOLS) ||
		       !strcmp(res.finish_reason, POPS_FINISH_OTHER));
	} else {
		assert(res.error && !strchr(res.error, '\n'));
	}
	(void)pops_wire_quota_exhausted(copy);
	pops_provider_result_dispose(&res);
	free(copy);
	return 0;
}

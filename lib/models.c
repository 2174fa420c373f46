#include "common.h"
#include "models.h"
#include "configedit.h"
#include "strutil.h"

/*
 * Families whose provider publishes dated snapshots: an id without a
 * date suffix is an alias that moves to new weights.
 */
static const struct {
	const char *type;
	const char *prefix;
	const char *reason;
} dated_families[] = {
	{ "openai", "gpt-", "OpenAI publishes dated snapshots (like gpt-4o-2024-08-06); the undated name moves to new ones" },
	{ "openai", "o1", "OpenAI publishes dated snapshots (like o1-2024-12-17); the undated name moves to new ones" },
	{ "openai", "o3", "OpenAI publishes dated snapshots (like o3-mini-2025-01-31); the undated name moves to new ones" },
	{ "openai", "o4", "OpenAI publishes dated snapshots (like o4-mini-2025-04-16); the undated name moves to new ones" },
	{ "anthropic", "claude-", "Anthropic publishes dated snapshots (like claude-sonnet-4-5-20250929); the undated alias moves to new ones" },
};

/* retired ids, from the providers' deprecation pages */
static const struct {
	const char *id;
	const char *date;
	const char *replacement;
} retired[] = {
	{ "text-davinci-003", "2024-01-04", "gpt-4o-mini-2024-07-18" },
	{ "code-davinci-002", "2024-01-04", "gpt-4o-mini-2024-07-18" },
	{ "gpt-4-0314", "2024-06-13", "gpt-4o-2024-08-06" },
	{ "gpt-4-32k-0314", "2024-06-13", "gpt-4o-2024-08-06" },
	{ "gpt-3.5-turbo-0301", "2024-06-13", "gpt-4o-mini-2024-07-18" },
	{ "gpt-3.5-turbo-0613", "2024-09-13", "gpt-4o-mini-2024-07-18" },
	{ "gpt-3.5-turbo-16k-0613", "2024-09-13", "gpt-4o-mini-2024-07-18" },
	{ "claude-instant-1.2", "2024-11-06", "claude-3-5-haiku-20241022" },
	{ "claude-2.0", "2025-07-21", "claude-sonnet-4-5-20250929" },
	{ "claude-2.1", "2025-07-21", "claude-sonnet-4-5-20250929" },
	{ "claude-3-sonnet-20240229", "2025-07-21", "claude-sonnet-4-5-20250929" },
	{ "claude-3-5-sonnet-20240620", "2025-10-22", "claude-sonnet-4-5-20250929" },
	{ "claude-3-5-sonnet-20241022", "2025-10-22", "claude-sonnet-4-5-20250929" },
};

/*
 * The dated snapshot a floating name pointed to when this table was
 * written, offered when such a name is refused. A suggestion only: the
 * user pins it knowingly (pops model check still reports retirements).
 */
static const struct {
	const char *floating;
	const char *snapshot;
} snapshots[] = {
	{ "gpt-4o", "gpt-4o-2024-08-06" },
	{ "gpt-4o-mini", "gpt-4o-mini-2024-07-18" },
	{ "gpt-4.1", "gpt-4.1-2025-04-14" },
	{ "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14" },
	{ "gpt-4.1-nano", "gpt-4.1-nano-2025-04-14" },
	{ "gpt-4-turbo", "gpt-4-turbo-2024-04-09" },
	{ "gpt-4", "gpt-4-0613" },
	{ "gpt-3.5-turbo", "gpt-3.5-turbo-0125" },
	{ "gpt-5", "gpt-5-2025-08-07" },
	{ "gpt-5-mini", "gpt-5-mini-2025-08-07" },
	{ "gpt-5-nano", "gpt-5-nano-2025-08-07" },
	{ "o1", "o1-2024-12-17" },
	{ "o1-mini", "o1-mini-2024-09-12" },
	{ "o3", "o3-2025-04-16" },
	{ "o3-mini", "o3-mini-2025-01-31" },
	{ "o4-mini", "o4-mini-2025-04-16" },
	{ "claude-3-haiku", "claude-3-haiku-20240307" },
	{ "claude-3-opus-latest", "claude-3-opus-20240229" },
	{ "claude-3-5-haiku-latest", "claude-3-5-haiku-20241022" },
	{ "claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219" },
	{ "claude-sonnet-4", "claude-sonnet-4-20250514" },
	{ "claude-sonnet-4-0", "claude-sonnet-4-20250514" },
	{ "claude-opus-4", "claude-opus-4-20250514" },
	{ "claude-opus-4-0", "claude-opus-4-20250514" },
	{ "claude-opus-4-1", "claude-opus-4-1-20250805" },
	{ "claude-sonnet-4-5", "claude-sonnet-4-5-20250929" },
	{ "claude-haiku-4-5", "claude-haiku-4-5-20251001" },
};

const char *pops_model_snapshot(const char *id)
{
	size_t i;

	for (i = 0; i < POPS_ARRAY_SIZE(snapshots); i++)
		if (!strcmp(snapshots[i].floating, id))
			return snapshots[i].snapshot;
	return NULL;
}

static int digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* ends in -YYYY-MM-DD, -YYYYMMDD or -MMDD (OpenAI's older snapshots) */
static int dated(const char *id)
{
	size_t n = strlen(id);

	if (n > 11 && id[n - 11] == '-' && digits(id + n - 10, 4) && id[n - 6] == '-' &&
	    digits(id + n - 5, 2) && id[n - 3] == '-' && digits(id + n - 2, 2))
		return 1;
	if (n > 9 && id[n - 9] == '-' && digits(id + n - 8, 8))
		return 1;
	if (n > 5 && id[n - 5] == '-' && digits(id + n - 4, 4))
		return 1;
	return 0;
}

int pops_model_floating(const char *type, const char *id, const char **reason)
{
	size_t i;

	*reason = NULL;
	if (!strcmp(type, "exec") || !strcmp(type, "replay"))
		return 0;
	if (!strcmp(id, "latest") || pops_ends_with(id, "-latest") || strstr(id, "-latest-") ||
	    pops_ends_with(id, ":latest")) {
		*reason = "'latest' names move to new weights without notice";
		return 1;
	}
	if (!strcmp(type, "ollama")) {
		const char *colon = strrchr(id, ':');

		if (strstr(id, "@sha256:"))
			return 0;
		if (!colon || !strcmp(colon, ":latest")) {
			*reason = "Ollama's (implicit) :latest tag changes when the model is pulled again; pin a size/quantisation tag or a digest";
			return 1;
		}
		return 0;
	}
	for (i = 0; i < POPS_ARRAY_SIZE(dated_families); i++) {
		if (strcmp(type, dated_families[i].type) || !pops_starts_with(id, dated_families[i].prefix))
			continue;
		if (!dated(id)) {
			*reason = dated_families[i].reason;
			return 1;
		}
		return 0;
	}
	return 0;
}

int pops_model_retired(const char *id, const char *today, const char **date,
                       const char **replacement)
{
	size_t i;

	for (i = 0; i < POPS_ARRAY_SIZE(retired); i++) {
		if (strcmp(id, retired[i].id))
			continue;
		*date = retired[i].date;
		*replacement = retired[i].replacement;
		return strcmp(retired[i].date, today) <= 0 ? 1 : 2;
	}
	*date = *replacement = NULL;
	return 0;
}

/* ---- editing pops.yaml ---- */

int pops_model_pin_text(pops_buf *out, const char *yaml, size_t len, const char *alias,
                        const char *provider, const char *id, int allow_floating)
{
	pops_buf entry = POPS_BUF_INIT;
	const char *c;
	int error;

	pops_buf_printf(&entry, "{ provider: %s, id: \"", provider);
	for (c = id; *c; c++) {
		if (*c == '"' || *c == '\\')
			pops_buf_putc(&entry, '\\');
		pops_buf_putc(&entry, *c);
	}
	pops_buf_puts(&entry, allow_floating ? "\", allow_floating: true }" : "\" }");
	error = pops_buf_oom(&entry) ? pops_error_oom() :
	        pops_configedit_set(out, yaml, len, "models", alias, entry.ptr);
	pops_buf_dispose(&entry);
	return error;
}

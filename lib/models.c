#include "common.h"
#include "models.h"
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

typedef struct line {
	const char *p;
	size_t len;      /* without the newline */
	size_t indent;
	int blank;       /* empty or comment only */
} line;

static size_t split_lines(line **out, const char *s, size_t len)
{
	size_t n = 0, cap = 64, i;
	const char *p = s, *end = s + len;
	line *v = malloc(cap * sizeof(*v));

	while (v && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line *l;

		if (n == cap) {
			line *nv = realloc(v, (cap *= 2) * sizeof(*v));

			if (!nv) {
				free(v);
				return (size_t)-1;
			}
			v = nv;
		}
		l = &v[n++];
		l->p = p;
		l->len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		for (i = 0; i < l->len && l->p[i] == ' '; i++)
			;
		l->indent = i;
		l->blank = i == l->len || l->p[i] == '#' || (l->p[i] == '\r' && i + 1 == l->len);
		p += l->len + 1;
	}
	*out = v;
	return v ? n : (size_t)-1;
}

/* the line is `<key>:` followed by a space, end, or comment */
static int key_line(const line *l, const char *key)
{
	size_t k = strlen(key), i = l->indent;

	if (l->len < i + k + 1 || memcmp(l->p + i, key, k) || l->p[i + k] != ':')
		return 0;
	return i + k + 1 == l->len || l->p[i + k + 1] == ' ' || l->p[i + k + 1] == '\r';
}

static void put_entry(pops_buf *out, size_t indent, const char *alias, const char *provider,
                      const char *id, int allow_floating)
{
	const char *c;

	pops_buf_printf(out, "%*s%s: { provider: %s, id: \"", (int)indent, "", alias, provider);
	for (c = id; *c; c++) {
		if (*c == '"' || *c == '\\')
			pops_buf_putc(out, '\\');
		pops_buf_putc(out, *c);
	}
	pops_buf_puts(out, allow_floating ? "\", allow_floating: true }\n" : "\" }\n");
}

static void put_line(pops_buf *out, const line *l)
{
	pops_buf_put(out, l->p, l->len);
	pops_buf_putc(out, '\n');
}

int pops_model_pin_text(pops_buf *out, const char *yaml, size_t len, const char *alias,
                        const char *provider, const char *id, int allow_floating)
{
	line *v = NULL;
	size_t n = split_lines(&v, yaml, len), i, start = (size_t)-1, end, child = 0, found = (size_t)-1;
	size_t found_end = 0, last_entry_end;
	int error = POPS_OK;

	pops_buf_clear(out);
	if (n == (size_t)-1)
		return pops_error_set(POPS_ERROR, "out of memory");
	for (i = 0; i < n; i++)
		if (v[i].indent == 0 && !v[i].blank && key_line(&v[i], "models")) {
			start = i;
			break;
		}
	if (start == (size_t)-1) {
		/* no models section: add one at the end */
		for (i = 0; i < n; i++)
			put_line(out, &v[i]);
		pops_buf_puts(out, "models:\n");
		put_entry(out, 2, alias, provider, id, allow_floating);
		goto done;
	}
	{
		/* `models:` must be followed by nothing but a comment */
		const line *l = &v[start];
		size_t k = 7;

		while (k < l->len && l->p[k] == ' ')
			k++;
		if (k < l->len && l->p[k] != '#' && l->p[k] != '\r') {
			if (l->len - k >= 2 && l->p[k] == '{' && l->p[k + 1] == '}') {
				/* `models: {}`: becomes a block */
				for (i = 0; i < n; i++) {
					if (i == start) {
						pops_buf_puts(out, "models:\n");
						put_entry(out, 2, alias, provider, id, allow_floating);
					} else {
						put_line(out, &v[i]);
					}
				}
				goto done;
			}
			error = pops_error_set(POPS_EINVALID, "pops.yaml:%zu: 'models' is written in flow style; pops model pin can only edit a block mapping (one alias per line)",
			                       start + 1);
			goto done;
		}
	}
	/* the block: following lines indented more than 0, blank lines included */
	for (end = start + 1; end < n; end++)
		if (!v[end].blank && v[end].indent == 0)
			break;
	for (i = start + 1; i < end; i++)
		if (!v[i].blank) {
			child = v[i].indent;
			break;
		}
	if (!child)
		child = 2;
	last_entry_end = start + 1;
	for (i = start + 1; i < end; i++) {
		if (v[i].blank)
			continue;
		last_entry_end = i + 1;
		if (v[i].indent == child && found == (size_t)-1 && key_line(&v[i], alias)) {
			found = i;
			for (found_end = i + 1; found_end < end; found_end++)
				if (!v[found_end].blank && v[found_end].indent <= child)
					break;
			/* trailing blank lines belong to what follows */
			while (found_end > i + 1 && v[found_end - 1].blank)
				found_end--;
		}
	}
	for (i = 0; i < n; i++) {
		if (found != (size_t)-1 && i == found) {
			put_entry(out, child, alias, provider, id, allow_floating);
			i = found_end - 1;
			continue;
		}
		put_line(out, &v[i]);
		if (found == (size_t)-1 && i + 1 == last_entry_end)
			put_entry(out, child, alias, provider, id, allow_floating);
	}
done:
	free(v);
	if (!error && pops_buf_oom(out))
		error = pops_error_set(POPS_ERROR, "out of memory");
	return error;
}

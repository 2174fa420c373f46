#include "common.h"
#include "configedit.h"
#include "strutil.h"

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

static void put_line(pops_buf *out, const line *l)
{
	pops_buf_put(out, l->p, l->len);
	pops_buf_putc(out, '\n');
}

static void put_entry(pops_buf *out, size_t indent, const char *key, const char *value)
{
	pops_buf_printf(out, "%*s%s: %s\n", (int)indent, "", key, value);
}

/* index of the top-level `section:` line, or n */
static size_t find_section(const line *v, size_t n, const char *section)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].indent == 0 && !v[i].blank && key_line(&v[i], section))
			return i;
	return n;
}

/*
 * What follows `section:` on its line: 0 nothing (or a comment), 1 `{}`
 * or `[]`, -1 anything else (flow style, which is not edited).
 */
static int section_rest(const line *l, const char *section)
{
	size_t k = strlen(section) + 1;

	while (k < l->len && l->p[k] == ' ')
		k++;
	if (k >= l->len || l->p[k] == '#' || l->p[k] == '\r')
		return 0;
	if (l->len - k >= 2 && (l->p[k] == '{' || l->p[k] == '[') && l->p[k + 1] == l->p[k] + 2)
		return 1;
	return -1;
}

/* the end of the block that starts at line `start` (the section line) */
static size_t block_end(const line *v, size_t n, size_t start)
{
	size_t end;

	for (end = start + 1; end < n; end++)
		if (!v[end].blank && v[end].indent == 0)
			break;
	return end;
}

int pops_configedit_set(pops_buf *out, const char *yaml, size_t len, const char *section,
                        const char *key, const char *value)
{
	line *v = NULL;
	size_t n = split_lines(&v, yaml, len), i, start, end, child = 0, found = (size_t)-1;
	size_t found_end = 0, last_entry_end;
	int error = POPS_OK, rest;

	pops_buf_clear(out);
	if (n == (size_t)-1)
		return pops_error_oom();
	start = find_section(v, n, section);
	if (start == n) {
		for (i = 0; i < n; i++)
			put_line(out, &v[i]);
		pops_buf_printf(out, "%s:\n", section);
		put_entry(out, 2, key, value);
		goto done;
	}
	if ((rest = section_rest(&v[start], section)) != 0) {
		if (rest < 0) {
			error = pops_error_set(POPS_EINVALID, "pops.yaml:%zu: '%s' is written in flow style; "
			                       "pops can only edit a block mapping (one entry per line)",
			                       start + 1, section);
			goto done;
		}
		/* `section: {}` becomes a block */
		for (i = 0; i < n; i++) {
			if (i == start) {
				pops_buf_printf(out, "%s:\n", section);
				put_entry(out, 2, key, value);
			} else {
				put_line(out, &v[i]);
			}
		}
		goto done;
	}
	end = block_end(v, n, start);
	for (i = start + 1; i < end; i++)
		if (!v[i].blank) {
			child = v[i].indent;
			break;
		}
	if (!child)
		child = 2;
	last_entry_end = start + 1;
	for (i = start + 1; i < end; i++) {
		/* a comment indented under an entry is part of it (a commented-out key) */
		if (v[i].blank && v[i].indent > child && v[i].indent < v[i].len &&
		    last_entry_end > start + 1)
			last_entry_end = i + 1;
		if (v[i].blank)
			continue;
		last_entry_end = i + 1;
		if (v[i].indent == child && found == (size_t)-1 && key_line(&v[i], key)) {
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
			put_entry(out, child, key, value);
			i = found_end - 1;
			continue;
		}
		put_line(out, &v[i]);
		if (found == (size_t)-1 && i + 1 == last_entry_end)
			put_entry(out, child, key, value);
	}
done:
	free(v);
	if (!error && pops_buf_oom(out))
		error = pops_error_oom();
	return error;
}

int pops_configedit_add_env(pops_buf *out, const char *yaml, size_t len, const char *env)
{
	static const char *const defaults[] = { "dev", "staging", "prod" };
	line *v = NULL;
	size_t n = split_lines(&v, yaml, len), i, start, end, last = 0, indent = 2;
	int error = POPS_OK, rest, is_default = 0;

	pops_buf_clear(out);
	if (n == (size_t)-1)
		return pops_error_oom();
	start = find_section(v, n, "environments");
	if (start == n) {
		for (i = 0; i < n; i++)
			put_line(out, &v[i]);
		/* an absent list means these three: keep them, in order */
		pops_buf_puts(out, "environments:\n");
		for (i = 0; i < POPS_ARRAY_SIZE(defaults); i++) {
			pops_buf_printf(out, "  - name: %s\n", defaults[i]);
			is_default |= !strcmp(defaults[i], env);
		}
		if (!is_default)
			pops_buf_printf(out, "  - name: %s\n", env);
		goto done;
	}
	if ((rest = section_rest(&v[start], "environments")) != 0) {
		if (rest < 0) {
			error = pops_error_set(POPS_EINVALID, "pops.yaml:%zu: 'environments' is written in "
			                       "flow style; pops can only edit a block list (one '- name:' "
			                       "per line)", start + 1);
			goto done;
		}
		for (i = 0; i < n; i++) {
			if (i == start)
				pops_buf_printf(out, "environments:\n  - name: %s\n", env);
			else
				put_line(out, &v[i]);
		}
		goto done;
	}
	end = block_end(v, n, start);
	last = start + 1;
	for (i = start + 1; i < end; i++) {
		/* a comment indented under an item is part of it (pops init writes some) */
		if (v[i].blank && last > start + 1 && v[i].indent > indent && v[i].indent < v[i].len)
			last = i + 1;
		if (v[i].blank)
			continue;
		if (last == start + 1 && v[i].p[v[i].indent] == '-')
			indent = v[i].indent;
		last = i + 1;
	}
	for (i = 0; i < n; i++) {
		put_line(out, &v[i]);
		if (i + 1 == last)
			pops_buf_printf(out, "%*s- name: %s\n", (int)indent, "", env);
	}
done:
	free(v);
	if (!error && pops_buf_oom(out))
		error = pops_error_oom();
	return error;
}

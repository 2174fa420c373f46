#include "common.h"
#include "http_trace.h"

#include <strings.h>

/*
 * Redaction works on names, not values: whatever a sensitive header or
 * query parameter holds is replaced whole, so no prefix or suffix of a key
 * (which identify it) ever reaches the sink.
 */

static pops_http_trace_fn sink;
static void *sink_payload;
static unsigned sink_flags;

void pops_http_trace_set(pops_http_trace_fn fn, void *payload, unsigned flags)
{
	sink = fn;
	sink_payload = payload;
	sink_flags = flags;
}

int pops_http_trace_on(void) { return sink != NULL; }

static int check_buf(pops_buf *b)
{
	return pops_buf_oom(b) ? pops_error_oom() : POPS_OK;
}

/* case-insensitive: does n bytes of s contain word? */
static int has_word(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++)
		if (!strncasecmp(s + i, word, w))
			return 1;
	return 0;
}

static int secret_header(const char *name, size_t n)
{
	static const char *const words[] = {
		"auth", "key", "secret", "password", "cookie", "session", NULL
	};

	for (int i = 0; words[i]; i++)
		if (has_word(name, n, words[i]))
			return 1;
	/* x-auth-token, but not the rate-limit counters (x-ratelimit-remaining-tokens) */
	return has_word(name, n, "token") && !has_word(name, n, "tokens");
}

int pops_http_redact_header(pops_buf *out, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);

	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (colon && secret_header(line, (size_t)(colon - line))) {
		pops_buf_put(out, line, (size_t)(colon - line));
		pops_buf_puts(out, ": [redacted]");
	} else {
		pops_buf_put(out, line, len);
	}
	return check_buf(out);
}

static int secret_param(const char *name, size_t n)
{
	static const char *const names[] = {
		"key", "api_key", "apikey", "api-key", "access_token", "token", NULL
	};

	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !strncasecmp(name, names[i], n))
			return 1;
	return 0;
}

/* the query (after '?'): each name=value with a secret name loses its value */
static void redact_query(pops_buf *out, const char *q)
{
	while (*q) {
		size_t n = strcspn(q, "&#"), k = strcspn(q, "=&#");

		if (k < n && secret_param(q, k)) {
			pops_buf_put(out, q, k);
			pops_buf_puts(out, "=[redacted]");
		} else {
			pops_buf_put(out, q, n);
		}
		q += n;
		if (*q == '#') {
			pops_buf_puts(out, q);
			return;
		}
		if (*q)
			pops_buf_putc(out, *q++);
	}
}

int pops_http_redact_url(pops_buf *out, const char *url)
{
	const char *scheme = strstr(url, "://"), *auth = scheme ? scheme + 3 : url;
	size_t hostlen = strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', hostlen), *q;

	pops_buf_put(out, url, (size_t)(auth - url));
	if (at) {
		pops_buf_puts(out, "[redacted]@");
		auth = at + 1;
	}
	q = strchr(auth, '?');
	if (!q)
		pops_buf_puts(out, auth);
	else {
		pops_buf_put(out, auth, (size_t)(q - auth) + 1);
		redact_query(out, q + 1);
	}
	return check_buf(out);
}

static int key_char(int c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '*' || c == '.';
}

/* length of a key-shaped token at p ("sk-" then 8+ key characters), or 0 */
static size_t key_token(const char *p, const char *end)
{
	size_t n;

	if (end - p < 11 || strncmp(p, "sk-", 3))
		return 0;
	for (n = 3; p + n < end && key_char(p[n]); n++)
		;
	return n >= 11 ? n : 0;
}

/* the secret value of header line h ("Name: [Bearer ]value"), or NULL */
static const char *secret_value(const char *h, size_t *len)
{
	const char *colon = strchr(h, ':');

	if (!colon || !secret_header(h, (size_t)(colon - h)))
		return NULL;
	for (h = colon + 1; *h == ' ' || *h == '\t'; h++)
		;
	if (!strncasecmp(h, "Bearer ", 7) || !strncasecmp(h, "Basic ", 6))
		h = strchr(h, ' ') + 1;
	*len = strlen(h);
	return *len >= 8 ? h : NULL;   /* short values are not worth matching */
}

/* length of a secret header value starting at p, or 0 */
static size_t header_secret(const char *p, const char *end, char *const *headers)
{
	for (size_t i = 0; headers && headers[i]; i++) {
		size_t n;
		const char *v = secret_value(headers[i], &n);

		if (v && (size_t)(end - p) >= n && !memcmp(p, v, n))
			return n;
	}
	return 0;
}

int pops_http_redact_body(pops_buf *out, const char *p, size_t n, size_t max,
                          char *const *headers)
{
	const char *end = p + (n < max ? n : max), *s;

	for (s = p; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		size_t k;

		if ((k = header_secret(s, p + n, headers)) ||
		    ((s == p || !key_char(s[-1])) && (k = key_token(s, p + n)))) {
			pops_buf_puts(out, "[redacted]");
			s += k - 1;
		} else if (c == '\n') {
			pops_buf_puts(out, "\\n");
		} else if (c == '\\') {
			pops_buf_puts(out, "\\\\");
		} else if (c < 0x20 || c == 0x7f) {
			pops_buf_printf(out, "\\x%02x", c);
		} else {
			pops_buf_putc(out, (char)c);
		}
	}
	if (s < p + n)
		pops_buf_printf(out, "... (%zu more bytes)", (size_t)(p + n - s));
	return check_buf(out);
}

/* hand "[conn] <text>" to the sink */
static void emit(unsigned conn, pops_buf *line)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_printf(&b, "[%u] %s", conn, line->ptr ? line->ptr : "");
	if (!pops_buf_oom(&b))
		sink(sink_payload, b.ptr);
	pops_buf_dispose(&b);
	pops_buf_clear(line);
}

static void trace_body(unsigned conn, const char *what, const char *p, size_t n,
                       char *const *headers)
{
	pops_buf b = POPS_BUF_INIT;

	if (!(sink_flags & POPS_HTTP_TRACE_BODIES) || !p)
		return;
	pops_buf_printf(&b, "%s %zu bytes: ", what, n);
	pops_http_redact_body(&b, p, n, POPS_HTTP_TRACE_BODY_MAX, headers);
	emit(conn, &b);
	pops_buf_dispose(&b);
}

void pops_http__trace_request(unsigned conn, const pops_http_job *job)
{
	pops_buf b = POPS_BUF_INIT;

	if (!sink)
		return;
	pops_buf_printf(&b, "* %s ", job->body ? "POST" : "GET");
	pops_http_redact_url(&b, job->url);
	pops_buf_printf(&b, " (attempt %u)", job->attempts);
	emit(conn, &b);
	for (size_t i = 0; job->headers && job->headers[i]; i++) {
		pops_buf_puts(&b, "> ");
		pops_http_redact_header(&b, job->headers[i], strlen(job->headers[i]));
		emit(conn, &b);
	}
	pops_buf_dispose(&b);
	trace_body(conn, "> body", job->body, job->body_len, job->headers);
}

void pops_http__trace_header(unsigned conn, const char *line, size_t len)
{
	pops_buf b = POPS_BUF_INIT;

	if (!sink || !len || line[0] == '\r' || line[0] == '\n')
		return;
	pops_buf_puts(&b, "< ");
	pops_http_redact_header(&b, line, len);
	emit(conn, &b);
	pops_buf_dispose(&b);
}

void pops_http__trace_end(unsigned conn, const pops_http_job *job, const char *error,
                          long retry_ms)
{
	pops_buf b = POPS_BUF_INIT;

	if (!sink)
		return;
	trace_body(conn, "< body", job->response.ptr, job->response.size, job->headers);
	if (error)
		pops_buf_printf(&b, "* failed: %s", *error ? error : "transfer error");
	else
		pops_buf_printf(&b, "* HTTP %ld", job->http_status);
	pops_buf_printf(&b, " after %.1f ms, %zu body bytes", job->latency_ms, job->bytes);
	if (retry_ms >= 0)
		pops_buf_printf(&b, "; retrying in %ld ms", retry_ms);
	else
		pops_buf_printf(&b, "; done after %u attempt%s", job->attempts,
		                job->attempts == 1 ? "" : "s");
	emit(conn, &b);
	pops_buf_dispose(&b);
}

#include "common.h"
#include "curlapi.h"
#include "http.h"
#include "http_trace.h"
#include "strutil.h"

#include <poll.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef struct slot {
	pops_http_job *job;
	CURL *easy;
	struct curl_slist *hdrs;
	int active;            /* in the multi handle */
	int local;             /* a local job, started (job->local) */
	int64_t local_due_us;  /* when a local job times out; 0 = never */
	int waiting;           /* backing off until due_us */
	int64_t start_us, due_us;
	char retry_after[64], retry_after_ms[64];
	char rl_requests[32], rl_tokens[32];   /* rate-limit headers: what remains */
	int should_retry;      /* x-should-retry: 1, 0, or -1 absent */
	char errbuf[CURL_ERROR_SIZE];
	unsigned id;           /* index, for the debug trace */
} slot;

typedef struct engine {
	const pops_http_options *opts;
	const pops_curl_api *cu;  /* libcurl, loaded on first use */
	CURLM *multi;
	slot *slots;
	unsigned nslots;
	unsigned busy;         /* active + waiting */
	unsigned limit;        /* how many may be in flight now: nslots unless paced down */
	unsigned cap;          /* what the rate-limit headers allow; limit grows back to it */
	int64_t hold_us;       /* retry-after: no new request starts before this */
	unsigned seed;
	int64_t deadline_us;
	struct curl_waitfd *wfds;  /* local jobs' fds, POPS_HTTP_LOCAL_FDS per slot */
} engine;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

pops_http_job *pops_http_job_new(void)
{
	pops_http_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->response = (pops_buf)POPS_BUF_INIT;
	job->conn_retries = -1;
	return job;
}

int pops_http_job_header(pops_http_job *job, const char *name, const char *value)
{
	pops_buf line = POPS_BUF_INIT;
	size_t n = 0;
	char **nh;

	while (job->headers && job->headers[n])
		n++;
	nh = realloc(job->headers, (n + 2) * sizeof(*nh));
	POPS_CHECK_ALLOC(nh);
	job->headers = nh;
	pops_buf_printf(&line, "%s: %s", name, value);
	if (pops_buf_oom(&line)) {
		nh[n] = NULL;
		return pops_error_oom();
	}
	nh[n] = pops_buf_detach(&line);
	nh[n + 1] = NULL;
	return POPS_OK;
}

void pops_http_job_free(pops_http_job *job)
{
	size_t i;

	if (!job)
		return;
	if (job->local && job->local->release)
		job->local->release(job);
	free(job->url);
	for (i = 0; job->headers && job->headers[i]; i++) {
		/* header lines may carry keys: wipe before freeing */
		memset(job->headers[i], 0, strlen(job->headers[i]));
		free(job->headers[i]);
	}
	free(job->headers);
	free(job->body);
	free(job->error);
	pops_buf_dispose(&job->response);
	free(job);
}

int pops_http_retryable(long status, const char *body, int should_retry)
{
	if (status == 400 || status == 401 || status == 403 || status == 404)
		return 0;
	if (status == 429 && body &&
	    (strstr(body, "insufficient_quota") || strstr(body, "billing_hard_limit") ||
	     strstr(body, "credit balance")))
		return 0;
	if (should_retry == 0)
		return 0;
	if (should_retry == 1 && status >= 400)
		return 1;
	return status == 408 || status == 409 || status == 429 || status >= 500;
}

static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* days since 1970-01-01 of a proleptic Gregorian date */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* "Wed, 21 Oct 2015 07:28:00 GMT" -> Unix seconds, or -1 */
static long long http_date(const char *s)
{
	char mon[4];
	unsigned d, y, hh, mm, ss, m;

	s = strchr(s, ',');
	if (!s || sscanf(s + 1, " %u %3s %u %u:%u:%u", &d, mon, &y, &hh, &mm, &ss) != 6)
		return -1;
	for (m = 0; m < 12; m++)
		if (!strcmp(mon, months[m]))
			break;
	if (m == 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	return days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

long pops_http_retry_after_ms(const char *ms, const char *sec, long long now)
{
	double v;

	if (ms && *ms && pops_parse_double(&v, ms) == 0 && v >= 0 && v < 1e9)
		return (long)v;
	if (sec && *sec) {
		long long t;

		if (pops_parse_double(&v, sec) == 0 && v >= 0 && v < 1e6)
			return (long)(v * 1000);
		if ((t = http_date(sec)) >= 0)
			return t > now ? (long)((t - now) * 1000) : 0;
	}
	return -1;
}

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	slot *s = data;

	if (pops_buf_put(&s->job->response, p, size * n) < 0)
		return 0;   /* over the limit (or out of memory): abort the transfer */
	if (s->job->on_data)
		s->job->on_data(s->job, p, size * n);
	return size * n;
}

static void header_value(char *dst, size_t cap, const char *v, size_t len)
{
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *data)
{
	slot *s = data;
	size_t len = size * n;

	pops_http__trace_header(s->id, p, len);
	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue or a retry): forget the old */
		s->retry_after[0] = s->retry_after_ms[0] = '\0';
		s->rl_requests[0] = s->rl_tokens[0] = '\0';
		s->should_retry = -1;
	} else if (len > 31 && !strncasecmp(p, "x-ratelimit-remaining-requests:", 31)) {
		header_value(s->rl_requests, sizeof(s->rl_requests), p + 31, len - 31);
	} else if (len > 29 && !strncasecmp(p, "x-ratelimit-remaining-tokens:", 29)) {
		header_value(s->rl_tokens, sizeof(s->rl_tokens), p + 29, len - 29);
	} else if (len > 39 && !strncasecmp(p, "anthropic-ratelimit-requests-remaining:", 39)) {
		header_value(s->rl_requests, sizeof(s->rl_requests), p + 39, len - 39);
	} else if (len > 37 && !strncasecmp(p, "anthropic-ratelimit-tokens-remaining:", 37)) {
		header_value(s->rl_tokens, sizeof(s->rl_tokens), p + 37, len - 37);
	} else if (len > 15 && !strncasecmp(p, "retry-after-ms:", 15)) {
		header_value(s->retry_after_ms, sizeof(s->retry_after_ms), p + 15, len - 15);
	} else if (len > 12 && !strncasecmp(p, "retry-after:", 12)) {
		header_value(s->retry_after, sizeof(s->retry_after), p + 12, len - 12);
	} else if (len > 15 && !strncasecmp(p, "x-should-retry:", 15)) {
		char v[16];

		header_value(v, sizeof(v), p + 15, len - 15);
		s->should_retry = !strcasecmp(v, "true") ? 1 : !strcasecmp(v, "false") ? 0 : -1;
	}
	return len;
}

/* the job's timeout, or the engine's, cut to what is left before the deadline; 0 = none */
static long attempt_timeout_ms(const engine *e, const pops_http_job *job)
{
	long timeout = job->timeout_ms > 0 ? job->timeout_ms : e->opts->timeout_ms;

	if (e->deadline_us) {
		long left = (long)((e->deadline_us - now_us()) / 1000);

		if (left < 1)
			left = 1;
		if (timeout <= 0 || left < timeout)
			timeout = left;
	}
	return timeout > 0 ? timeout : 0;
}

static int start_attempt(engine *e, slot *s)
{
	pops_http_job *job = s->job;
	long timeout = attempt_timeout_ms(e, job);
	e->cu->easy_reset(s->easy);
	pops_buf_clear(&job->response);
	job->response.limit = e->opts->max_body + 1;
	job->response.failed = 0;
	s->retry_after[0] = s->retry_after_ms[0] = '\0';
	s->rl_requests[0] = s->rl_tokens[0] = '\0';
	s->should_retry = -1;
	s->errbuf[0] = '\0';
	e->cu->easy_setopt(s->easy, CURLOPT_URL, job->url);
	e->cu->easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	if (job->body) {
		e->cu->easy_setopt(s->easy, CURLOPT_POSTFIELDS, job->body);
		e->cu->easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->body_len);
	} else {
		e->cu->easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
	}
	e->cu->easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
	e->cu->easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	e->cu->easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
	e->cu->easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
	e->cu->easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	e->cu->easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
	e->cu->easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	e->cu->easy_setopt(s->easy, CURLOPT_TCP_NODELAY, 1L);
	e->cu->easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	e->cu->easy_setopt(s->easy, CURLOPT_USERAGENT, "pops/0.1");
	e->cu->easy_setopt(s->easy, CURLOPT_ACCEPT_ENCODING, "");
	if (timeout > 0) {
		e->cu->easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, timeout);
		e->cu->easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	}
	job->attempts++;
	pops_http__trace_request(s->id, job);
	if (job->on_data)
		job->on_data(job, NULL, 0);
	s->start_us = now_us();
	s->waiting = 0;
	if (e->cu->multi_add_handle(e->multi, s->easy) != CURLM_OK)
		return pops_error_set(POPS_ERROR, "curl: cannot add a transfer");
	s->active = 1;
	return POPS_OK;
}

/* a local job takes its slot and starts; its timeout runs from now */
static int start_local(engine *e, slot *s)
{
	pops_http_job *job = s->job;
	long timeout = attempt_timeout_ms(e, job);

	job->attempts = 1;
	s->start_us = now_us();
	s->local_due_us = timeout ? s->start_us + (int64_t)timeout * 1000 : 0;
	if (job->local->start(job) < 0)
		return job->status < 0 ? job->status : POPS_ERROR;
	s->local = 1;
	return POPS_OK;
}

static int start_job(engine *e, slot *s, pops_http_job *job)
{
	size_t i;

	s->job = job;
	s->id = (unsigned)(s - e->slots);
	s->hdrs = NULL;
	/* counted as soon as the slot holds it: finish() gives it back on
	 * every path, including the out-of-memory ones below */
	e->busy++;
	if (job->local)
		return start_local(e, s);
	for (i = 0; job->headers && job->headers[i]; i++) {
		struct curl_slist *n = e->cu->slist_append(s->hdrs, job->headers[i]);

		POPS_CHECK_ALLOC(n);
		s->hdrs = n;
	}
	/* no 100-continue round trip for large bodies */
	s->hdrs = e->cu->slist_append(s->hdrs, "Expect:");
	POPS_CHECK_ALLOC(s->hdrs);
	return start_attempt(e, s);
}

static void set_error(pops_http_job *job, const char *fmt, ...) POPS_PRINTF(2, 3);

static void set_error(pops_http_job *job, const char *fmt, ...)
{
	pops_buf b = POPS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pops_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(job->error);
	job->error = pops_buf_detach(&b);
}

/* give the job back; the slot becomes free */
static int finish(engine *e, slot *s, pops_http_done_fn done, void *payload)
{
	pops_http_job *job = s->job;

	if (s->active)
		e->cu->multi_remove_handle(e->multi, s->easy);
	if (s->local) {
		job->local->stop(job);   /* nothing left to stop when it finished */
		job->latency_ms = (double)(now_us() - s->start_us) / 1000.0;
	}
	s->active = s->waiting = s->local = 0;
	e->cu->slist_free_all(s->hdrs);
	s->hdrs = NULL;
	s->job = NULL;
	e->busy--;
	return done(payload, job);
}

static long backoff_ms(engine *e, slot *s)
{
	long ra = pops_http_retry_after_ms(s->retry_after_ms, s->retry_after,
	                                   (long long)time(NULL));
	long max = e->opts->retry_max_ms > 0 ? e->opts->retry_max_ms : 60000;
	long d = e->opts->retry_base_ms > 0 ? e->opts->retry_base_ms : 1;
	unsigned k;

	if (ra >= 0)
		return ra < max ? ra : max;
	for (k = 1; k < s->job->attempts && d < max; k++)
		d *= 2;
	if (d > max)
		d = max;
	/* jitter: anywhere in [d/2, d], so a burst of 429s does not retry in lockstep */
	return d / 2 + (long)(rand_r(&e->seed) % (unsigned)(d / 2 + 1));
}

static int is_tls_error(CURLcode rc)
{
	return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
	       rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER ||
	       rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ENGINE_NOTFOUND ||
	       rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
	       rc == CURLE_SSL_INVALIDCERTSTATUS || rc == CURLE_SSL_CRL_BADFILE ||
	       rc == CURLE_SSL_SHUTDOWN_FAILED || rc == CURLE_UNSUPPORTED_PROTOCOL ||
	       rc == CURLE_URL_MALFORMAT;
}

/* requests started and not finished: busy slots that are not backing off */
static unsigned in_flight(const engine *e)
{
	unsigned i, n = 0;

	for (i = 0; i < e->nslots; i++)
		n += e->slots[i].job && !e->slots[i].waiting;
	return n;
}

/* a rate-limit header's number, or -1 */
static long remaining(const char *v)
{
	long n;

	return v[0] && pops_parse_long(&n, v, 0, LONG_MAX) == 0 ? n : -1;
}

/* POPS_HTTP_CONN_* for a failure to connect, 0 for any other */
static int conn_error(CURLcode rc)
{
	if (rc == CURLE_COULDNT_CONNECT)
		return POPS_HTTP_CONN_REFUSED;
	if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY)
		return POPS_HTTP_CONN_DNS;
	return is_tls_error(rc) ? POPS_HTTP_CONN_TLS : 0;
}

/*
 * An answer came: start fewer requests when the provider says little is
 * left (see http.h), halve on a 429, grow back one per success.
 */
static void pace(engine *e, slot *s)
{
	long status = s->job->http_status, rr = remaining(s->rl_requests);
	long rt = remaining(s->rl_tokens), ra;

	if (rr >= 0 || rt >= 0) {
		unsigned long cap = e->nslots;
		unsigned long per = s->job->body_len / 4 + POPS_HTTP_OUTPUT_TOKENS_GUESS;

		if (rr >= 0 && (unsigned long)rr < cap)
			cap = (unsigned long)rr;
		if (rt >= 0 && (unsigned long)rt / per < cap)
			cap = (unsigned long)rt / per;
		e->cap = cap ? (unsigned)cap : 1;
	}
	if (status == 429) {
		s->job->rate_limited++;
		e->limit = e->limit > 1 ? e->limit / 2 : 1;
	} else if (status < 400 && e->limit < e->cap) {
		e->limit++;
	}
	if (e->limit > e->cap)
		e->limit = e->cap;
	if (status == 429 || status == 503 || status == 529) {
		ra = pops_http_retry_after_ms(s->retry_after_ms, s->retry_after, (long long)time(NULL));
		if (ra > 0) {
			long max = e->opts->retry_max_ms > 0 ? e->opts->retry_max_ms : 60000;
			int64_t until = now_us() + (int64_t)(ra < max ? ra : max) * 1000;

			if (until > e->hold_us)
				e->hold_us = until;
		}
	}
}

/* one attempt ended: retry it or hand the job back */
static int attempt_done(engine *e, slot *s, CURLcode rc, pops_http_done_fn done,
                        void *payload)
{
	pops_http_job *job = s->job;
	int retry;

	e->cu->multi_remove_handle(e->multi, s->easy);
	s->active = 0;
	job->latency_ms = (double)(now_us() - s->start_us) / 1000.0;
	job->bytes = job->response.size;
	job->http_status = 0;
	job->conn_failed = 0;
	if (rc == CURLE_OK) {
		e->cu->easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &job->http_status);
		pace(e, s);
		retry = job->http_status >= 400 &&
		        pops_http_retryable(job->http_status, job->response.ptr, s->should_retry);
	} else if (rc == CURLE_WRITE_ERROR && pops_buf_over_limit(&job->response)) {
		job->status = POPS_EPROVIDER;
		set_error(job, "response body exceeds the limit of %zu bytes", e->opts->max_body);
		pops_http__trace_end(s->id, job, job->error, -1);
		return finish(e, s, done, payload);
	} else {
		retry = !is_tls_error(rc);
		job->conn_failed = conn_error(rc);
	}
	if (retry && job->conn_failed && job->conn_retries >= 0 &&
	    job->attempts > (unsigned long)job->conn_retries)
		retry = 0;
	if (retry && job->attempts <= e->opts->max_retries) {
		long d = backoff_ms(e, s);
		int64_t due = now_us() + (int64_t)d * 1000;

		if (!e->deadline_us || due < e->deadline_us) {
			pops_http__trace_end(s->id, job, rc == CURLE_OK ? NULL : s->errbuf, d);
			s->waiting = 1;
			s->due_us = due;
			return POPS_OK;
		}
	}
	if (rc != CURLE_OK) {
		job->status = POPS_EPROVIDER;
		if (is_tls_error(rc))
			set_error(job, "TLS or URL error: %s", s->errbuf[0] ? s->errbuf : e->cu->easy_strerror(rc));
		else
			set_error(job, "%s (after %u attempt%s)",
			          s->errbuf[0] ? s->errbuf : e->cu->easy_strerror(rc),
			          job->attempts, job->attempts == 1 ? "" : "s");
	} else {
		job->status = POPS_OK;
		if (job->http_status >= 400)
			set_error(job, "HTTP %ld (after %u attempt%s)", job->http_status,
			          job->attempts, job->attempts == 1 ? "" : "s");
	}
	pops_http__trace_end(s->id, job, rc == CURLE_OK ? NULL : job->error, -1);
	return finish(e, s, done, payload);
}

/* local jobs: make progress, enforce their timeouts, give back the finished */
static int local_turns(engine *e, int64_t now, pops_http_done_fn done, void *payload,
                       int *freed)
{
	unsigned i;
	int r;

	for (i = 0; i < e->nslots; i++) {
		slot *s = &e->slots[i];
		pops_http_job *job = s->job;

		if (!s->local)
			continue;
		if (!job->local->step(job)) {
			if (!s->local_due_us || now < s->local_due_us)
				continue;
			job->local->stop(job);
			job->status = POPS_EPROVIDER;
			set_error(job, "timed out after %ld ms",
			          (long)((s->local_due_us - s->start_us) / 1000));
		}
		(*freed)++;
		if ((r = finish(e, s, done, payload)) < 0)
			return r;
	}
	return POPS_OK;
}

/*
 * What local jobs wait for, into e->wfds (curl_multi_poll waits on them
 * with curl's sockets); *soon when one has nothing pollable; their
 * timeouts lower *next_due. Returns the number of fds.
 */
static unsigned local_wait(engine *e, int *soon, int64_t *next_due)
{
	unsigned i, n = 0;

	for (i = 0; i < e->nslots; i++) {
		slot *s = &e->slots[i];
		int fds[POPS_HTTP_LOCAL_FDS];
		short ev[POPS_HTTP_LOCAL_FDS];
		size_t k, j;

		if (!s->local)
			continue;
		k = s->job->local->wait_fds(s->job, fds, ev, POPS_HTTP_LOCAL_FDS);
		if (!k)
			*soon = 1;
		for (j = 0; j < k; j++, n++) {
			e->wfds[n].fd = fds[j];
			e->wfds[n].events = (short)(((ev[j] & POLLIN) ? CURL_WAIT_POLLIN : 0) |
			                            ((ev[j] & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
			e->wfds[n].revents = 0;
		}
		if (s->local_due_us && (*next_due < 0 || s->local_due_us < *next_due))
			*next_due = s->local_due_us;
	}
	return n;
}

static int cancel_all(engine *e, pops_http_done_fn done, void *payload, const char *why)
{
	unsigned i;
	int error = POPS_OK, r;

	for (i = 0; i < e->nslots; i++) {
		slot *s = &e->slots[i];

		if (!s->job)
			continue;
		s->job->status = POPS_EINTR;
		set_error(s->job, "%s", why);
		if ((r = finish(e, s, done, payload)) < 0 && !error)
			error = r;
	}
	return error;
}

/* 0 while the run may go on; on *cancel or past the overall deadline, cancels every job
 * (each reported to done) and returns POPS_EINTR, or done's own error */
static int interrupted(engine *e, int64_t now, pops_http_done_fn done, void *payload)
{
	const pops_http_options *opts = e->opts;
	int r;

	if (opts->cancel && *opts->cancel) {
		r = cancel_all(e, done, payload, "interrupted");
		return r < 0 ? r : pops_error_set(POPS_EINTR, "interrupted");
	}
	if (e->deadline_us && now >= e->deadline_us) {
		r = cancel_all(e, done, payload, "overall deadline exceeded");
		return r < 0 ? r : pops_error_set(POPS_EINTR, "overall deadline of %ld ms exceeded",
		                                  opts->deadline_ms);
	}
	return 0;
}

/* fill free slots with new jobs from next, as far as pacing allows; sets *no_more when
 * next has none left: 0, or <0 when next or done aborts (the caller stops) */
static int fill_slots(engine *e, int64_t now, pops_http_next_fn next, pops_http_done_fn done,
                      void *payload, int *no_more)
{
	unsigned i;
	int r;

	for (i = 0; !*no_more && now >= e->hold_us && i < e->nslots && e->busy < e->nslots &&
	            in_flight(e) < e->limit; i++) {
		pops_http_job *job = NULL;

		if (e->slots[i].job)
			continue;
		r = next(payload, &job);
		if (r < 0) {
			int r2 = cancel_all(e, done, payload, "aborted");

			(void)r2;
			return r;
		}
		/* more will come once something in flight finishes */
		if (r == POPS_HTTP_LATER && e->busy)
			break;
		if (r == 0 || !job) {
			*no_more = 1;
			break;
		}
		if (start_job(e, &e->slots[i], job) < 0) {
			job->status = POPS_ERROR;
			set_error(job, "%s", pops_error_last());
			e->slots[i].active = 0;
			if ((r = finish(e, &e->slots[i], done, payload)) < 0)
				return r;
		}
	}
	return 0;
}

/* start the retries whose backoff is over, as far as pacing allows, and lower *next_due
 * to when the next one (or the end of a hold) is due: 0 or <0 */
static int start_due_retries(engine *e, int64_t now, int64_t *next_due)
{
	unsigned i;
	int r;

	for (i = 0; i < e->nslots; i++) {
		slot *s = &e->slots[i];

		if (!s->waiting)
			continue;
		/* a retry is a request in flight like any other: paced too */
		if (s->due_us <= now && (now < e->hold_us || in_flight(e) >= e->limit)) {
			if (now < e->hold_us && (*next_due < 0 || e->hold_us < *next_due))
				*next_due = e->hold_us;
		} else if (s->due_us <= now) {
			if ((r = start_attempt(e, s)) < 0)
				return r;
		} else if (*next_due < 0 || s->due_us < *next_due) {
			*next_due = s->due_us;
		}
	}
	return 0;
}

/* hand each transfer curl finished to attempt_done, counting them in *freed: 0, or <0
 * after cancelling the rest when done aborts */
static int collect_transfers(engine *e, pops_http_done_fn done, void *payload, int *freed)
{
	CURLMsg *msg;
	int left, r;

	while ((msg = e->cu->multi_info_read(e->multi, &left))) {
		slot *s = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		(*freed)++;
		e->cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if ((r = attempt_done(e, s, msg->data.result, done, payload)) < 0) {
			cancel_all(e, done, payload, "aborted");
			return r;
		}
	}
	return 0;
}

/* sleep until there is work: local jobs, the next retry or timeout, the end of a hold,
 * the deadline; never more than 100 ms, so *cancel is seen */
static void wait_for_work(engine *e, int64_t now, int64_t next_due, int running, int no_more)
{
	unsigned nw;
	int timeout, soon = 0;

	/* held by a retry-after: wake when it is over */
	if (!no_more && e->hold_us > now && e->busy < e->nslots &&
	    (next_due < 0 || e->hold_us < next_due))
		next_due = e->hold_us;
	nw = local_wait(e, &soon, &next_due);
	timeout = soon ? 5 : 100;
	if (next_due >= 0 && (next_due - now) / 1000 < timeout)
		timeout = (int)((next_due - now) / 1000);
	if (timeout < 0)
		timeout = 0;
	if (running || next_due >= 0 || nw || soon)
		e->cu->multi_poll(e->multi, e->wfds, nw, timeout, NULL);
}

int pops_http_run(const pops_http_options *opts, pops_http_next_fn next,
                  pops_http_done_fn done, void *payload)
{
	engine e;
	unsigned i;
	int error = POPS_OK, no_more = 0;

	memset(&e, 0, sizeof(e));
	e.opts = opts;
	e.nslots = opts->concurrency ? opts->concurrency : 1;
	e.limit = e.cap = e.nslots;
	e.seed = (unsigned)now_us() ^ (unsigned)getpid();
	if (opts->deadline_ms > 0)
		e.deadline_us = now_us() + (int64_t)opts->deadline_ms * 1000;
	if (!(e.cu = pops_curl()))
		return POPS_ERROR;
	if (e.cu->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return pops_error_set(POPS_ERROR, "curl: global init failed");
	if (!(e.multi = e.cu->multi_init()) ||
	    !(e.slots = calloc(e.nslots, sizeof(*e.slots))) ||
	    !(e.wfds = calloc((size_t)e.nslots * POPS_HTTP_LOCAL_FDS, sizeof(*e.wfds)))) {
		error = pops_error_oom();
		goto done;
	}
	e.cu->multi_setopt(e.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)e.nslots);
	e.cu->multi_setopt(e.multi, CURLMOPT_MAXCONNECTS, (long)e.nslots);
	for (i = 0; i < e.nslots; i++)
		if (!(e.slots[i].easy = e.cu->easy_init())) {
			error = pops_error_oom();
			goto done;
		}

	for (;;) {
		int64_t now = now_us(), next_due = -1;
		int running = 0, freed = 0;

		if ((error = interrupted(&e, now, done, payload)) < 0 ||
		    (error = fill_slots(&e, now, next, done, payload, &no_more)) < 0)
			goto done;
		if (!e.busy && no_more)
			break;
		if ((error = start_due_retries(&e, now, &next_due)) < 0)
			goto done;
		if ((error = local_turns(&e, now, done, payload, &freed)) < 0) {
			cancel_all(&e, done, payload, "aborted");
			goto done;
		}
		if (e.cu->multi_perform(e.multi, &running) != CURLM_OK) {
			error = pops_error_set(POPS_ERROR, "curl: multi perform failed");
			goto done;
		}
		if ((error = collect_transfers(&e, done, payload, &freed)) < 0)
			goto done;
		if (!e.busy && no_more)
			break;
		/* a slot came free: fill it now rather than after the next wake-up */
		if (freed && !no_more && e.busy < e.nslots && in_flight(&e) < e.limit &&
		    now_us() >= e.hold_us)
			continue;
		wait_for_work(&e, now, next_due, running, no_more);
	}

done:
	if (e.slots) {
		for (i = 0; i < e.nslots; i++) {
			if (e.slots[i].job) {
				/* only reached on out-of-memory paths */
				e.slots[i].job->status = POPS_EINTR;
				finish(&e, &e.slots[i], done, payload);
			}
			if (e.slots[i].easy)
				e.cu->easy_cleanup(e.slots[i].easy);
		}
		free(e.slots);
	}
	free(e.wfds);
	if (e.multi)
		e.cu->multi_cleanup(e.multi);
	e.cu->global_cleanup();
	return error;
}

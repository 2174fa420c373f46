/*
 * fakellm: event loop and HTTP/1.1 framing. One thread, epoll, keep-alive,
 * non-blocking sockets; latency and trickle are timers, never sleeps, so
 * hundreds of connections are served at once.
 *
 *   fakellm [--port N] [--latency MS] [--fault F] [--fail-times N]
 *           [--retry-after S] [--retry-after-ms MS] [--trickle-ms MS]
 *           [--judge] [--verdict V] [--reply TEXT] [--cached-tokens N]
 *           [--api-key K] [--models a,b] [--huge-size BYTES] [--log FILE]
 *           [--no-usage] [--stream-chunks N] [--chunk-ms MS]
 *           [--stream-drop N] [--stream-end N] [--cache-write-tokens N]
 *
 * Streamed replies (OpenAI/Anthropic `stream: true`, Ollama unless
 * `stream: false`) leave in chunks: the first after the latency, the
 * rest --chunk-ms apart (x-fakellm-chunk-ms), the text cut into
 * --stream-chunks pieces (x-fakellm-stream-chunks); --stream-drop N
 * closes the connection after N chunks, --stream-end N ends the body
 * cleanly there without the final event.
 *
 * Prints "port=N" as its first stdout line once it listens on 127.0.0.1.
 */
#define _GNU_SOURCE
#include "fakellm.h"
#include "strutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FK_MAX_HEADERS 64
#define FK_MAX_HEAD (64 * 1024)
#define FK_MAX_BODY (64u * 1024 * 1024)

enum { C_READ, C_WAIT, C_WRITE, C_TRICKLE };

typedef struct conn {
	int fd;
	int state;
	pops_buf in;
	pops_buf out;
	size_t out_off;
	int64_t due_us;
	long trickle_ms;
	int close_after;
	size_t drop_at;       /* close once out_off reaches it (0 = never) */
	size_t huge_left;     /* filler bytes still to generate */
	size_t marks[FK_MAX_CHUNKS];  /* streamed: where each chunk ends in `out` */
	size_t nmarks, mark;  /* chunks, and the one being sent */
	long chunk_ms;
	int sent_continue;
	fk_reply rep;
	int has_rep;
} conn;

static conn **conns;
static size_t nconns_alloc;
static int epfd;
static fk_config cfg;
static FILE *log_file;
static volatile sig_atomic_t stop_flag;
unsigned long fk_waiting;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void set_events(conn *c, uint32_t ev)
{
	struct epoll_event e = { 0 };

	e.events = ev;
	e.data.fd = c->fd;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e);
}

static void conn_close(conn *c)
{
	if (c->state == C_WAIT)
		fk_waiting--;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	pops_buf_dispose(&c->in);
	pops_buf_dispose(&c->out);
	if (c->has_rep) {
		pops_buf_dispose(&c->rep.headers);
		pops_buf_dispose(&c->rep.body);
	}
	free(c);
}

static const char *reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 529: return "Overloaded";
	default: return "Status";
	}
}

/* serialise c->rep into c->out and start sending */
static void start_reply(conn *c);

static void finish_write(conn *c)
{
	if (c->close_after) {
		conn_close(c);
		return;
	}
	pops_buf_clear(&c->out);
	c->out_off = 0;
	c->state = C_READ;
	c->drop_at = 0;
	c->huge_left = 0;
	c->nmarks = c->mark = 0;
	set_events(c, EPOLLIN);
}

static void process_input(conn *c);

/* write as much as the socket takes; returns 0 if the conn is gone */
static int flush_out(conn *c)
{
	for (;;) {
		size_t end = c->out.size;
		ssize_t n;

		if (c->out_off == end && c->huge_left) {
			size_t k = c->huge_left > 65536 ? 65536 : c->huge_left;

			pops_buf_clear(&c->out);
			c->out_off = 0;
			if (pops_buf_grow(&c->out, k) < 0) {
				conn_close(c);
				return 0;
			}
			memset(c->out.ptr, 'a', k);
			c->out.size = k;
			c->out.ptr[k] = '\0';
			c->huge_left -= k;
			if (!c->huge_left)
				pops_buf_puts(&c->out, "\"}");
			end = c->out.size;
		}
		if (c->drop_at && end > c->drop_at)
			end = c->drop_at;
		if (c->out_off >= end) {
			if (c->drop_at) {
				conn_close(c);
				return 0;
			}
			finish_write(c);
			return c == conns[c->fd] ? 1 : 0;
		}
		if (c->state == C_TRICKLE && c->nmarks)
			end = c->marks[c->mark] < end ? c->marks[c->mark] : end;
		else if (c->state == C_TRICKLE)
			end = c->out_off + 1;
		n = send(c->fd, c->out.ptr + c->out_off, end - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				set_events(c, EPOLLOUT);
				return 1;
			}
			conn_close(c);
			return 0;
		}
		c->out_off += (size_t)n;
		if (c->state == C_TRICKLE && c->nmarks) {
			/* a chunk has left: the next one after chunk_ms */
			if (c->out_off < c->marks[c->mark] || c->mark + 1 >= c->nmarks)
				continue;
			c->mark++;
			c->due_us = now_us() + c->chunk_ms * 1000;
			set_events(c, 0);
			return 1;
		}
		if (c->state == C_TRICKLE && c->out_off < c->out.size) {
			c->due_us = now_us() + c->trickle_ms * 1000;
			set_events(c, 0);
			return 1;
		}
	}
}

static void start_reply(conn *c)
{
	fk_reply *r = &c->rep;
	size_t head_len;

	pops_buf_clear(&c->out);
	c->out_off = 0;
	if (r->send == FK_SEND_RESET) {
		conn_close(c);
		return;
	}
	pops_buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s",
	                r->status, reason(r->status), r->content_type,
	                r->send == FK_SEND_HUGE ? r->huge_size : r->body.size,
	                r->headers.ptr);
	if (c->close_after)
		pops_buf_puts(&c->out, "Connection: close\r\n");
	pops_buf_puts(&c->out, "\r\n");
	head_len = c->out.size;
	if (r->send == FK_SEND_HUGE) {
		/* `{"x":"` + filler + `"}` adds up to huge_size */
		size_t min = 8;

		if (r->huge_size < min)
			r->huge_size = min;
		pops_buf_puts(&c->out, "{\"x\":\"");
		c->huge_left = r->huge_size - 8;
	} else {
		pops_buf_put(&c->out, r->body.ptr, r->body.size);
	}
	if (r->send == FK_SEND_DROP) {
		c->drop_at = head_len + r->body.size / 2;
		c->close_after = 1;
	}
	c->nmarks = c->mark = 0;
	if (r->nmarks) {
		for (size_t i = 0; i < r->nmarks; i++)
			c->marks[i] = head_len + r->marks[i];
		c->nmarks = r->nmarks;
		c->chunk_ms = r->chunk_ms;
		if (r->drop_after > 0 && (size_t)r->drop_after < r->nmarks) {
			c->drop_at = c->marks[r->drop_after - 1];
			c->close_after = 1;
		}
	}
	pops_buf_dispose(&r->headers);
	pops_buf_dispose(&r->body);
	c->has_rep = 0;
	if (r->send == FK_SEND_TRICKLE) {
		c->state = C_TRICKLE;
		c->trickle_ms = r->trickle_ms > 0 ? r->trickle_ms : 50;
	} else if (c->nmarks > 1 && c->chunk_ms > 0) {
		c->state = C_TRICKLE;   /* paced by the chunk marks */
	} else {
		c->state = C_WRITE;
	}
	if (flush_out(c) && conns[c->fd] == c && c->state == C_READ)
		process_input(c);
}

static char *find_head_end(pops_buf *b)
{
	return memmem(b->ptr, b->size, "\r\n\r\n", 4);
}

static void send_simple(conn *c, int status, const char *msg)
{
	memset(&c->rep, 0, sizeof(c->rep));
	c->rep.headers = (pops_buf)POPS_BUF_INIT;
	c->rep.body = (pops_buf)POPS_BUF_INIT;
	c->has_rep = 1;
	c->rep.status = status;
	c->rep.content_type = "application/json";
	pops_buf_printf(&c->rep.body, "{\"error\":{\"message\":\"%s\",\"type\":\"invalid_request_error\"}}", msg);
	c->close_after = 1;
	fk_stats_g.by_status[status]++;
	start_reply(c);
}

/*
 * The value of header `name` (lower case) in the raw head, without
 * modifying it; NULL when absent. *len gets its length.
 */
static const char *head_value(const char *head, const char *end, const char *name,
                              size_t *len)
{
	size_t nl = strlen(name);
	const char *p = memchr(head, '\n', (size_t)(end - head));

	while (p && p < end) {
		const char *line = p + 1, *eol = memchr(line, '\r', (size_t)(end - line));

		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > nl && line[nl] == ':' && !strncasecmp(line, name, nl)) {
			const char *v = line + nl + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*len = (size_t)(eol - v);
			return v;
		}
		p = memchr(line, '\n', (size_t)(end - line));
	}
	return NULL;
}

/* one complete request in c->in? handle it */
static void process_input(conn *c)
{
	fk_header headers[FK_MAX_HEADERS];
	fk_request req;
	char *end, *p, *line_end, *q;
	size_t head_len, body_len = 0, total, vlen;
	const char *v;

	if (c->state != C_READ)
		return;
	/* not HTTP (a TLS ClientHello, say): answer like a plain server does */
	if (c->in.size && (c->in.ptr[0] < 'A' || c->in.ptr[0] > 'Z')) {
		send_simple(c, 400, "not an HTTP request");
		return;
	}
	if (!(end = find_head_end(&c->in))) {
		if (c->in.size > FK_MAX_HEAD)
			send_simple(c, 413, "request head too large");
		return;
	}
	head_len = (size_t)(end - c->in.ptr) + 4;
	if (head_value(c->in.ptr, end, "transfer-encoding", &vlen)) {
		send_simple(c, 411, "chunked request bodies are not supported");
		return;
	}
	if ((v = head_value(c->in.ptr, end, "content-length", &vlen))) {
		char num[32];
		long n;

		if (vlen >= sizeof(num)) {
			send_simple(c, 413, "bad content-length");
			return;
		}
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (pops_parse_long(&n, num, 0, FK_MAX_BODY) < 0) {
			send_simple(c, 413, "bad or too large content-length");
			return;
		}
		body_len = (size_t)n;
	}
	total = head_len + body_len;
	if (c->in.size < total) {
		v = head_value(c->in.ptr, end, "expect", &vlen);
		if (v && vlen == 12 && !strncasecmp(v, "100-continue", 12) && !c->sent_continue) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			c->sent_continue = 1;
			if (send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL) < 0)
				conn_close(c);
		}
		return;
	}
	memset(&req, 0, sizeof(req));
	req.headers = headers;
	/* request line */
	p = c->in.ptr;
	line_end = memchr(p, '\r', head_len);
	*line_end = '\0';
	req.method = p;
	if (!(q = strchr(p, ' '))) {
		send_simple(c, 400, "bad request line");
		return;
	}
	*q++ = '\0';
	req.path = q;
	if (!(q = strchr(q, ' '))) {
		send_simple(c, 400, "bad request line");
		return;
	}
	*q = '\0';
	if ((q = strchr(req.path, '?'))) {
		*q = '\0';
		req.query = q + 1;
	} else {
		req.query = "";
	}
	p = line_end + 2;
	while (p < end) {
		char *colon;

		line_end = memchr(p, '\r', (size_t)(end + 2 - p));
		*line_end = '\0';
		if (!(colon = strchr(p, ':')) || req.nheaders == FK_MAX_HEADERS) {
			send_simple(c, 400, "bad header");
			return;
		}
		*colon = '\0';
		for (q = p; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		for (colon++; *colon == ' ' || *colon == '\t'; colon++)
			;
		headers[req.nheaders].name = p;
		headers[req.nheaders++].value = colon;
		p = line_end + 2;
	}
	req.body = c->in.ptr + head_len;
	req.body_len = body_len;
	c->sent_continue = 0;
	v = fk_header_get(&req, "connection");
	c->close_after = v && !strcasecmp(v, "close");

	/* the control endpoints do not count as traffic */
	if (strncmp(req.path, "/__", 3)) {
		fk_stats_g.requests++;
		fk_remember(&req);
	}
	if (log_file) {
		pops_buf line = POPS_BUF_INIT;

		fk_request_json(&line, &req);
		fputs(line.ptr, log_file);
		fputc('\n', log_file);
		fflush(log_file);
		pops_buf_dispose(&line);
	}
	memset(&c->rep, 0, sizeof(c->rep));
	c->rep.headers = (pops_buf)POPS_BUF_INIT;
	c->rep.body = (pops_buf)POPS_BUF_INIT;
	c->has_rep = 1;
	if (!fk_batch_handle(&cfg, &req, &c->rep) &&
	    !fk_embed_handle(&cfg, &req, &c->rep))
		fk_handle(&cfg, &req, &c->rep);
	if (c->rep.status > 0 && c->rep.status < 600 && strncmp(req.path, "/__", 3))
		fk_stats_g.by_status[c->rep.status]++;
	if (c->rep.is_fault)
		fk_stats_g.faults++;
	/* consume the request */
	memmove(c->in.ptr, c->in.ptr + total, c->in.size - total);
	pops_buf_truncate(&c->in, c->in.size - total);
	if (c->rep.latency_ms > 0) {
		c->state = C_WAIT;
		fk_waiting++;
		c->due_us = now_us() + c->rep.latency_ms * 1000;
		set_events(c, 0);
		return;
	}
	start_reply(c);
}

static void on_readable(conn *c)
{
	for (;;) {
		ssize_t n;

		if (pops_buf_grow(&c->in, 16384) < 0) {
			conn_close(c);
			return;
		}
		n = recv(c->fd, c->in.ptr + c->in.size, c->in.asize - c->in.size - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_close(c);
			return;
		}
		if (n == 0) {
			conn_close(c);
			return;
		}
		c->in.size += (size_t)n;
		c->in.ptr[c->in.size] = '\0';
		if ((size_t)n < c->in.asize - c->in.size)
			break;
	}
	process_input(c);
}

static void on_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
		struct epoll_event e = { 0 };
		conn *c;

		if (fd < 0)
			return;
		if ((size_t)fd >= nconns_alloc) {
			size_t n = (size_t)fd * 2 + 64;
			conn **nc = realloc(conns, n * sizeof(*nc));

			if (!nc) {
				close(fd);
				return;
			}
			memset(nc + nconns_alloc, 0, (n - nconns_alloc) * sizeof(*nc));
			conns = nc;
			nconns_alloc = n;
		}
		if (!(c = calloc(1, sizeof(*c)))) {
			close(fd);
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->in = (pops_buf)POPS_BUF_INIT;
		c->out = (pops_buf)POPS_BUF_INIT;
		c->state = C_READ;
		conns[fd] = c;
		e.events = EPOLLIN;
		e.data.fd = fd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
		fk_stats_g.connections++;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int usage(void)
{
	fputs("usage: fakellm [--port N] [--latency MS] [--fault F] [--fail-times N]\n"
	      "               [--retry-after S] [--retry-after-ms MS] [--trickle-ms MS]\n"
	      "               [--judge] [--verdict V] [--reply TEXT] [--cached-tokens N]\n"
	      "               [--api-key K] [--models a,b] [--huge-size BYTES] [--log FILE]\n"
	      "               [--no-usage] [--stream-chunks N] [--chunk-ms MS]\n"
	      "               [--stream-drop N] [--stream-end N] [--cache-write-tokens N] [--batch-ms MS]\n"
	      "faults: 408 409 429 quota 400 401 403 404 500 502 503 529 drop reset\n"
	      "        malformed trickle error200 huge empty notjson badcontent badchoices\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	struct epoll_event e = { 0 }, events[256];
	long port = 0;
	int lfd, one = 1, i;
	const char *logpath = NULL;

	cfg.huge_size = 100u * 1024 * 1024;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n;

		if (!strcmp(a, "--judge")) {
			cfg.judge = 1;
			continue;
		}
		if (!strcmp(a, "--no-usage")) {
			cfg.no_usage = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			return 0;
		}
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--fault")) cfg.fault = v;
		else if (!strcmp(a, "--retry-after")) cfg.retry_after = v;
		else if (!strcmp(a, "--retry-after-ms")) cfg.retry_after_ms = v;
		else if (!strcmp(a, "--verdict")) cfg.verdict = v;
		else if (!strcmp(a, "--reply")) cfg.reply = v;
		else if (!strcmp(a, "--api-key")) cfg.api_key = v;
		else if (!strcmp(a, "--models")) cfg.models = v;
		else if (!strcmp(a, "--log")) logpath = v;
		else if (pops_parse_long(&n, v, 0, LONG_MAX) < 0) {
			fprintf(stderr, "fakellm: bad number '%s' for %s\n", v, a);
			return 2;
		} else if (!strcmp(a, "--port")) port = n;
		else if (!strcmp(a, "--latency")) cfg.latency_ms = n;
		else if (!strcmp(a, "--fail-times")) cfg.fail_times = n;
		else if (!strcmp(a, "--trickle-ms")) cfg.trickle_ms = n;
		else if (!strcmp(a, "--cached-tokens")) cfg.cached_tokens = n;
		else if (!strcmp(a, "--huge-size")) cfg.huge_size = (size_t)n;
		else if (!strcmp(a, "--stream-chunks")) cfg.stream_chunks = n;
		else if (!strcmp(a, "--chunk-ms")) cfg.chunk_ms = n;
		else if (!strcmp(a, "--stream-drop")) cfg.stream_drop = n;
		else if (!strcmp(a, "--stream-end")) cfg.stream_end = n;
		else if (!strcmp(a, "--cache-write-tokens")) cfg.cache_write_tokens = n;
		else if (!strcmp(a, "--batch-ms")) cfg.batch_ms = n;
		else
			return usage();
	}
	if (port > 65535)
		return usage();
	if (logpath && !(log_file = fopen(logpath, "a"))) {
		fprintf(stderr, "fakellm: cannot open %s: %s\n", logpath, strerror(errno));
		return 3;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)port);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) {
		fprintf(stderr, "fakellm: cannot listen: %s\n", strerror(errno));
		return 3;
	}
	printf("port=%u\n", ntohs(addr.sin_port));
	fflush(stdout);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	e.events = EPOLLIN;
	e.data.fd = lfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &e);

	while (!stop_flag) {
		int64_t now = now_us(), next_due = -1;
		int timeout = -1, n;
		size_t k;

		/* timers: latency and trickle */
		for (k = 0; k < nconns_alloc; k++) {
			conn *c = conns[k];

			if (!c || (c->state != C_WAIT && !(c->state == C_TRICKLE && c->due_us)))
				continue;
			if (c->due_us <= now) {
				if (c->state == C_WAIT) {
					fk_waiting--;
					c->state = C_WRITE;
					start_reply(c);
				} else {
					c->due_us = 0;
					flush_out(c);
				}
				/* it may have closed, finished, or set a new timer */
				c = conns[k];
				if (!c || (c->state != C_WAIT && !(c->state == C_TRICKLE && c->due_us)))
					continue;
			}
			if (next_due < 0 || c->due_us < next_due)
				next_due = c->due_us;
		}
		if (next_due >= 0) {
			/* microsecond timers: a ms-rounded wait would add up to 1 ms per request */
			struct timespec ts;
			int64_t d = next_due - now;

			ts.tv_sec = (time_t)(d / 1000000);
			ts.tv_nsec = (long)(d % 1000000) * 1000;
			n = epoll_pwait2(epfd, events, (int)POPS_ARRAY_SIZE(events), &ts, NULL);
		} else {
			n = epoll_wait(epfd, events, (int)POPS_ARRAY_SIZE(events), timeout);
		}
		for (i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			conn *c;

			if (fd == lfd) {
				on_accept(lfd);
				continue;
			}
			if ((size_t)fd >= nconns_alloc || !(c = conns[fd]))
				continue;
			if (events[i].events & (EPOLLERR | EPOLLHUP) &&
			    !(events[i].events & EPOLLIN)) {
				conn_close(c);
				continue;
			}
			if (c->state == C_READ)
				on_readable(c);
			else if (c->state == C_WRITE || c->state == C_TRICKLE)
				flush_out(c);
		}
	}
	for (size_t k = 0; k < nconns_alloc; k++)
		if (conns[k])
			conn_close(conns[k]);
	free(conns);
	close(lfd);
	close(epfd);
	if (log_file)
		fclose(log_file);
	fk_stats_reset();
	return 0;
}

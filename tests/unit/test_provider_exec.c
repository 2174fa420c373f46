#include "unit.h"
#include "provider.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Exec providers run inside the HTTP loop: side by side with each other
 * and with HTTP requests, bounded by their timeout, stopped by cancel,
 * and never leaving a child behind. The assertions use the order in
 * which results come back, not the wall clock.
 */

#define MAXR 8

typedef struct batch {
	const pops_provider_cfg *prov[MAXR];
	unsigned n, given, got;
	int status[MAXR];
	char text[MAXR][64];
	double latency[MAXR];
	unsigned order[MAXR];      /* order[k]: which request came back k-th */
} batch;

static int b_next(void *payload, pops_provider_request *req)
{
	static cJSON *msgs;
	batch *b = payload;

	if (b->given >= b->n)
		return 0;
	if (!msgs)
		msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]");
	req->provider = b->prov[b->given];
	req->model_id = "m";
	req->messages = msgs;
	req->repeat = b->given;
	req->user = (void *)(uintptr_t)b->given;
	b->given++;
	return 1;
}

static int b_done(void *payload, pops_provider_result *res)
{
	batch *b = payload;
	unsigned i = (unsigned)(uintptr_t)res->user;

	b->status[i] = res->status;
	snprintf(b->text[i], sizeof(b->text[i]), "%s",
	         res->status == POPS_OK ? res->text : res->error ? res->error : "");
	b->latency[i] = res->latency_ms;
	b->order[b->got++] = i;
	return 0;
}

static int no_children(void)
{
	int st;

	return waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD;
}

/*
 * A one-shot HTTP server in a child process: answers one request with an
 * OpenAI chat completion saying "fast", then exits (at most 10 s).
 */
static pid_t serve_once(int *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	if ((pid = fork()) == 0) {
		static const char body[] =
			"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"fast\"},"
			"\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}";
		char req[65536], head[256];
		size_t got = 0;
		int c, hl;
		char *end;

		alarm(10);
		if ((c = accept(s, NULL, NULL)) < 0)
			_exit(1);
		/* the headers, then as much body as Content-Length says */
		for (;;) {
			ssize_t n = read(c, req + got, sizeof(req) - 1 - got);
			const char *cl;

			if (n <= 0)
				_exit(1);
			got += (size_t)n;
			req[got] = '\0';
			if (!(end = strstr(req, "\r\n\r\n")))
				continue;
			cl = strstr(req, "Content-Length:");
			if (!cl || got >= (size_t)(end + 4 - req) + strtoul(cl + 15, NULL, 10))
				break;
		}
		hl = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		              "Content-Length: %zu\r\nConnection: close\r\n\r\n", sizeof(body) - 1);
		if (write(c, head, (size_t)hl) < 0 || write(c, body, sizeof(body) - 1) < 0)
			_exit(1);
		close(c);
		_exit(0);
	}
	close(s);
	return pid;
}

static pops_config *config(const char *providers)
{
	pops_config *cfg = NULL;
	pops_buf y = POPS_BUF_INIT;

	pops_buf_printf(&y, "version: 1\nproviders:\n%s", providers);
	if (pops_config_parse(&cfg, y.ptr, y.size, "pops.yaml") < 0)
		cfg = NULL;
	pops_buf_dispose(&y);
	return cfg;
}

TEST(exec_commands_run_side_by_side_and_alongside_http)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	pops_config *cfg;
	pops_buf prov = POPS_BUF_INIT;
	batch b;
	int port = 0, st;
	pid_t server = serve_once(&port);

	CHECK(server > 0);
	setenv("POPS_TEST_EXEC_KEY", "sk-test-exec-0000", 1);
	pops_buf_printf(&prov,
	                "  slow: { type: exec, command: [sh, -c, 'cat >/dev/null; sleep 1.5; echo \"{\\\"text\\\":\\\"slow\\\"}\"'] }\n"
	                "  quick: { type: exec, command: [sh, -c, 'cat >/dev/null; echo \"{\\\"text\\\":\\\"quick\\\"}\"'] }\n"
	                "  web: { type: openai, base_url: \"http://127.0.0.1:%d/v1\", api_key_env: POPS_TEST_EXEC_KEY }\n",
	                port);
	cfg = config(prov.ptr);
	CHECK(cfg != NULL);
	if (!cfg)
		goto done;
	memset(&b, 0, sizeof(b));
	/* the slow command is handed out first; a synchronous engine would finish it first */
	b.prov[0] = pops_config_provider(cfg, "slow");
	b.prov[1] = pops_config_provider(cfg, "web");
	b.prov[2] = pops_config_provider(cfg, "quick");
	b.prov[3] = pops_config_provider(cfg, "quick");
	b.n = 4;
	o.cache = POPS_CACHE_OFF;
	o.max_retries = 0;
	o.concurrency = 4;
	CHECK_INT(pops_provider_run(&o, b_next, b_done, &b), 0);
	CHECK_INT(b.got, 4);
	CHECK_INT(b.status[0], POPS_OK);
	CHECK_STR(b.text[0], "slow");
	CHECK_INT(b.status[1], POPS_OK);
	CHECK_STR(b.text[1], "fast");
	CHECK_STR(b.text[2], "quick");
	CHECK_INT(b.order[3], 0);                 /* the slow one came back last */
	CHECK(b.latency[1] < b.latency[0]);       /* HTTP was not held up by it */
	CHECK(b.latency[2] < b.latency[0]);
	/* with one slot they queue: the slow one, handed out first, is first back */
	memset(&b.given, 0, sizeof(b) - offsetof(batch, given));
	b.prov[1] = pops_config_provider(cfg, "quick");
	o.concurrency = 1;
	CHECK_INT(pops_provider_run(&o, b_next, b_done, &b), 0);
	CHECK_INT(b.order[0], 0);
done:
	CHECK(waitpid(server, &st, 0) == server);
	CHECK(no_children());
	unsetenv("POPS_TEST_EXEC_KEY");
	pops_config_free(cfg);
	pops_buf_dispose(&prov);
}

TEST(exec_timeout_is_a_per_request_error_and_kills_the_command)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	pops_config *cfg = config("  hang: { type: exec, command: [sleep, '30'], timeout: 0.3 }\n"
	                          "  ok: { type: exec, command: [sh, -c, 'echo \"{\\\"text\\\":\\\"ok\\\"}\"'] }\n");
	batch b;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	memset(&b, 0, sizeof(b));
	b.prov[0] = pops_config_provider(cfg, "hang");
	b.prov[1] = pops_config_provider(cfg, "ok");
	b.n = 2;
	o.cache = POPS_CACHE_OFF;
	CHECK_INT(pops_provider_run(&o, b_next, b_done, &b), 0);
	CHECK_INT(b.status[0], POPS_EPROVIDER);
	CHECK_STR(b.text[0], "provider 'hang': timed out after 300 ms");
	CHECK(b.latency[0] < 5000);
	CHECK_INT(b.status[1], POPS_OK);
	CHECK_INT(b.order[0], 1);
	CHECK(no_children());
	pops_config_free(cfg);
}

static volatile sig_atomic_t cancel_flag;

static void on_alarm(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

TEST(exec_cancel_kills_running_commands)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	pops_config *cfg = config("  hang: { type: exec, command: [sleep, '30'] }\n");
	struct itimerval t = { { 0, 0 }, { 0, 300000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa, old;
	batch b;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	memset(&b, 0, sizeof(b));
	b.prov[0] = b.prov[1] = b.prov[2] = pops_config_provider(cfg, "hang");
	b.n = 3;
	o.cache = POPS_CACHE_OFF;
	o.cancel = &cancel_flag;
	cancel_flag = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &t, NULL);
	CHECK_INT(pops_provider_run(&o, b_next, b_done, &b), POPS_EINTR);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CHECK_INT(b.got, 3);
	CHECK_INT(b.status[0], POPS_EINTR);
	CHECK_INT(b.status[2], POPS_EINTR);
	CHECK(b.latency[0] < 5000);
	CHECK(no_children());
	pops_config_free(cfg);
}

TEST(exec_commands_end_by_the_run_deadline)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	pops_config *cfg = config("  hang: { type: exec, command: [sleep, '30'] }\n");
	batch b;
	int r;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	memset(&b, 0, sizeof(b));
	b.prov[0] = b.prov[1] = pops_config_provider(cfg, "hang");
	b.n = 2;
	o.cache = POPS_CACHE_OFF;
	o.deadline_ms = 300;
	/*
	 * Like an HTTP attempt, a command's timeout is cut to what is left of
	 * the run, so it usually ends as timed out a moment before the
	 * deadline; a loop that wakes late finds the deadline passed instead.
	 */
	r = pops_provider_run(&o, b_next, b_done, &b);
	CHECK(r == 0 || r == POPS_EINTR);
	CHECK_INT(b.got, 2);
	/* each command either timed out or was stopped at the deadline (on a
	 * loaded machine the two can end differently in one run) */
	CHECK(b.status[0] == POPS_EPROVIDER || b.status[0] == POPS_EINTR);
	CHECK(b.status[1] == POPS_EPROVIDER || b.status[1] == POPS_EINTR);
	/* a run that did not report the deadline ended every command itself */
	CHECK(r || (b.status[0] == POPS_EPROVIDER && b.status[1] == POPS_EPROVIDER));
	CHECK(b.status[0] != POPS_EPROVIDER || strstr(b.text[0], "timed out after") != NULL);
	CHECK(b.latency[0] < 5000);
	CHECK(no_children());
	pops_config_free(cfg);
}

#include "common.h"
#include <poll.h>
#include <time.h>
#include "eval_run_int.h"
#include "report.h"
#include "jsonget.h"
#include "strutil.h"

/*
 * The exec pass: the exec assertions of every answered case, after the
 * requests (so a command that takes a second never holds up the provider
 * loop, nor counts in any request's latency), at most -j at once.
 */

struct xholder {
	cJSON *rec;
	cJSON *next;            /* the next entry of rec's asserts to look at */
	int pending;            /* exec entries not settled */
	struct xholder *link;
};

struct xjob {
	struct xholder *h;
	cJSON *entry;
	pops_assert_exec *ax;
	int64_t due_ms;
};

struct xpass {
	struct runner *r;
	struct xjob *jobs;
	size_t njobs, running;
	struct xholder *first, *last;
	int eof;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void holder_free(struct xholder *h)
{
	if (h) {
		cJSON_Delete(h->rec);
		free(h);
	}
}

/* every exec entry settled: on to the judges, or scored */
static int route(struct xpass *x, struct xholder *h)
{
	const cJSON *e;
	int judges = 0, error;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(h->rec, "asserts"))
		judges |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending"));
	error = judges ? pops_eval__write_record(x->r->spool1, h->rec) : pops_eval__finalize(x->r, h->rec);
	return error;
}

static void unlink_holder(struct xpass *x, struct xholder *h)
{
	struct xholder **p = &x->first, *prev = NULL;

	while (*p && *p != h) {
		prev = *p;
		p = &(*p)->link;
	}
	if (*p)
		*p = h->link;
	if (x->last == h)
		x->last = prev;
}

/* the vars a record's templates and commands see: vars, plus expected */
static cJSON *record_scope(const cJSON *rec)
{
	const cJSON *vars = cJSON_GetObjectItemCaseSensitive(rec, "vars");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(rec, "expected");
	cJSON *s = cJSON_IsObject(vars) ? cJSON_Duplicate(vars, 1) : cJSON_CreateObject();

	if (s && exp && !cJSON_GetObjectItemCaseSensitive(s, "expected"))
		cJSON_AddItemToObject(s, "expected", cJSON_Duplicate(exp, 1));
	return s;
}

/* start the command of `e` of `h` in job slot `j` */
static int start(struct xpass *x, struct xjob *j, struct xholder *h, cJSON *e)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(e, "command"), *it;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(h->rec, "id");
	const char *out = pops_json_str(h->rec, "output", "");
	pops_assert a;
	pops_assert_input in;
	cJSON *scope = record_scope(h->rec);
	size_t n = 0;
	int error;

	memset(&a, 0, sizeof(a));
	a.type = POPS_ASSERT_EXEC;
	a.timeout_ms = (long)pops_json_num(e, "timeout_ms", 10000);
	if (!scope || !(a.argv = calloc((size_t)cJSON_GetArraySize(cmd) + 1, sizeof(*a.argv)))) {
		cJSON_Delete(scope);
		return pops_error_oom();
	}
	cJSON_ArrayForEach(it, cmd)
		if (cJSON_IsString(it))
			a.argv[n++] = it->valuestring;   /* borrowed: spawned at once */
	if (!n) {
		free(a.argv);
		cJSON_Delete(scope);
		return pops_error_set(POPS_ERROR, "damaged result spool");
	}
	memset(&in, 0, sizeof(in));
	in.output = out;
	in.len = strlen(out);
	in.scope = scope;
	in.case_id = cJSON_IsString(id) ? id->valuestring : "";
	in.cwd = x->r->o->root;
	error = pops_assert_exec_start(&j->ax, &a, &in);
	free(a.argv);
	cJSON_Delete(scope);
	if (error < 0)
		return error;
	j->h = h;
	j->entry = e;
	j->due_ms = now_ms() + a.timeout_ms;
	x->running++;
	return 0;
}

/* the next exec entry to start, reading records as needed; 1, 0 none, or an error */
static int next_entry(struct xpass *x, struct xholder **hout, cJSON **eout)
{
	struct xholder *h;
	cJSON *rec = NULL, *e;
	int got, error;

	for (;;) {
		for (h = x->first; h; h = h->link)
			for (; h->next; h->next = h->next->next)
				if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h->next, "pending_exec"))) {
					*hout = h;
					*eout = h->next;
					h->next = h->next->next;
					return 1;
				}
		if (x->eof)
			return 0;
		if ((got = pops_report_spool_next(x->r->spool_x, &rec, &x->r->line)) <= 0) {
			x->eof = 1;
			if (got < 0)
				return got;
			continue;
		}
		if (!(h = calloc(1, sizeof(*h)))) {
			cJSON_Delete(rec);
			return pops_error_oom();
		}
		h->rec = rec;
		rec = NULL;
		h->next = cJSON_GetObjectItemCaseSensitive(h->rec, "asserts") ?
		          cJSON_GetObjectItemCaseSensitive(h->rec, "asserts")->child : NULL;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(h->rec, "asserts"))
			h->pending += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending_exec"));
		if (!h->pending) {
			/* nothing to run after all */
			error = route(x, h);
			holder_free(h);
			if (error < 0)
				return error;
			continue;
		}
		if (x->last)
			x->last->link = h;
		else
			x->first = h;
		x->last = h;
	}
}

/* a command ended (or timed out): settle its entry, and its record when it was the last */
static int settle(struct xpass *x, struct xjob *j, int timed_out)
{
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	struct xholder *h = j->h;
	cJSON *e = j->entry;
	int error;

	error = pops_assert_exec_finish(&res, j->ax, timed_out);
	pops_assert_exec_free(j->ax);
	memset(j, 0, sizeof(*j));
	x->running--;
	if (error == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(e, "pending_exec");
		cJSON_DeleteItemFromObjectCaseSensitive(e, "command");
		cJSON_DeleteItemFromObjectCaseSensitive(e, "timeout_ms");
		cJSON_AddBoolToObject(e, "pass", res.pass);
		if (res.error)
			cJSON_AddBoolToObject(e, "error", 1);
		cJSON_AddNumberToObject(e, "score", res.score);
		if (res.reason.size)
			cJSON_AddStringToObject(e, "reason", res.reason.ptr);
		if (--h->pending == 0) {
			unlink_holder(x, h);
			error = route(x, h);
			holder_free(h);
		}
	}
	pops_buf_dispose(&res.reason);
	return error;
}

/* wait for the running commands: their fds, their timeouts, at most 100 ms */
static int wait_some(struct xpass *x)
{
	struct pollfd *p = calloc(x->njobs * 3 + 1, sizeof(*p));
	int64_t now = now_ms(), wait = 100;
	size_t i, n = 0;
	int soon = 0;

	POPS_CHECK_ALLOC(p);
	for (i = 0; i < x->njobs; i++) {
		int fds[3];
		short ev[3];
		size_t k, m;

		if (!x->jobs[i].ax)
			continue;
		if (!(m = pops_assert_exec_wait_fds(x->jobs[i].ax, fds, ev, 3)))
			soon = 1;
		for (k = 0; k < m; k++) {
			p[n].fd = fds[k];
			p[n++].events = ev[k];
		}
		if (x->jobs[i].due_ms - now < wait)
			wait = x->jobs[i].due_ms - now;
	}
	if (soon && wait > 5)
		wait = 5;
	if (wait < 0)
		wait = 0;
	if (poll(p, (nfds_t)n, (int)wait) < 0 && errno != EINTR) {
		free(p);
		return pops_error_os("poll");
	}
	free(p);
	return 0;
}

int pops_eval__exec_pass(struct runner *r)
{
	struct xpass x;
	struct xholder *h = NULL, *next;
	size_t i;
	int error = 0, got;

	memset(&x, 0, sizeof(x));
	x.r = r;
	x.njobs = r->o->popts.concurrency ? r->o->popts.concurrency : POPS_PROVIDER_CONCURRENCY;
	if (fflush(r->spool_x) != 0)
		return pops_error_os("result spool");
	rewind(r->spool_x);
	x.jobs = calloc(x.njobs, sizeof(*x.jobs));
	POPS_CHECK_ALLOC(x.jobs);
	for (;;) {
		if (r->o->popts.cancel && *r->o->popts.cancel) {
			/* Ctrl-C: the commands are killed, their cases not counted */
			r->interrupted = 1;
			break;
		}
		for (i = 0; i < x.njobs && !error; i++) {
			cJSON *e = NULL;

			if (x.jobs[i].ax)
				continue;
			if ((got = next_entry(&x, &h, &e)) <= 0) {
				error = got;
				break;
			}
			error = start(&x, &x.jobs[i], h, e);
		}
		if (error < 0 || (!x.running && x.eof && !x.first))
			break;
		if ((error = wait_some(&x)) < 0)
			break;
		for (i = 0; i < x.njobs && !error; i++) {
			int ended;

			if (!x.jobs[i].ax)
				continue;
			ended = pops_assert_exec_step(x.jobs[i].ax);
			if (ended || now_ms() >= x.jobs[i].due_ms)
				error = settle(&x, &x.jobs[i], !ended);
		}
	}
	for (i = 0; i < x.njobs; i++)
		pops_assert_exec_free(x.jobs[i].ax);
	free(x.jobs);
	for (h = x.first; h; h = next) {
		next = h->link;
		holder_free(h);
	}
	return error;
}

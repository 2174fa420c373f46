#include "common.h"
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include "assertion.h"
#include "exec.h"
#include "fileio.h"
#include "strutil.h"

/*
 * exec assertions: the command gets the output on stdin and the case in
 * its environment (POPS_CASE_ID, POPS_VARS_FILE, POPS_VARS when small);
 * exit 0 passes. Started, stepped and finished apart, so that the runner
 * runs many at once and none of them holds up the provider requests.
 */

#define EXEC_OUTPUT_LIMIT (64u * 1024)

struct pops_assert_exec {
	pops_exec *x;
	char *argv0;
	long timeout_ms;
	pops_buf vpath;          /* the vars file, removed when done */
	int failed_start;        /* could not start: `why` says so */
	pops_buf why;
};

/*
 * The case's vars as JSON in a private temporary file (mode 0600: vars
 * may be sensitive), for POPS_VARS_FILE. 0 with the path in `path`, or
 * POPS_ERROR.
 */
static int vars_file(pops_buf *path, const char *json)
{
	const char *dir = getenv("TMPDIR");
	int fd, error;

	pops_buf_printf(path, "%s/pops-vars-XXXXXX", dir && *dir ? dir : "/tmp");
	if (pops_buf_oom(path))
		return pops_error_oom();
	if ((fd = mkstemp(path->ptr)) < 0) {
		error = pops_error_os(path->ptr);
		pops_buf_clear(path);
		return error;
	}
	error = pops_write_all(fd, json, strlen(json), path->ptr);
	if (close(fd) < 0 && !error)
		error = pops_error_os(path->ptr);
	if (error < 0) {
		unlink(path->ptr);
		pops_buf_clear(path);
	}
	return error;
}

int pops_assert_exec_start(pops_assert_exec **out, const pops_assert *a,
                           const pops_assert_input *in)
{
	pops_buf e1 = POPS_BUF_INIT, e2 = POPS_BUF_INIT, e3 = POPS_BUF_INIT;
	extern char **environ;
	char **envp = NULL, *vars = NULL;
	pops_assert_exec *ax;
	size_t n = 0, i, k;
	int error = 0;

	*out = NULL;
	if (!(ax = calloc(1, sizeof(*ax))) || !(ax->argv0 = pops_strdup(a->argv[0]))) {
		free(ax);
		return pops_error_oom();
	}
	ax->vpath = (pops_buf)POPS_BUF_INIT;
	ax->why = (pops_buf)POPS_BUF_INIT;
	ax->timeout_ms = a->timeout_ms;
	while (environ[n])
		n++;
	if (!(envp = calloc(n + 4, sizeof(*envp)))) {
		error = pops_error_oom();
		goto done;
	}
	/* ours replace inherited ones: a stale POPS_VARS must not reach the script */
	for (i = 0, k = 0; i < n; i++)
		if (strncmp(environ[i], "POPS_VARS=", 10) && strncmp(environ[i], "POPS_VARS_FILE=", 15) &&
		    strncmp(environ[i], "POPS_CASE_ID=", 13))
			envp[k++] = environ[i];
	vars = in->scope ? cJSON_PrintUnformatted(in->scope) : NULL;
	if (vars_file(&ax->vpath, vars ? vars : "{}") < 0) {
		ax->failed_start = 1;
		pops_buf_puts(&ax->why, pops_error_last());
		goto done;
	}
	pops_buf_printf(&e1, "POPS_CASE_ID=%s", in->case_id ? in->case_id : "");
	pops_buf_printf(&e3, "POPS_VARS_FILE=%s", ax->vpath.ptr);
	envp[k++] = e1.ptr;
	envp[k++] = e3.ptr;
	if (!vars || strlen(vars) <= POPS_EXEC_VARS_ENV_MAX) {
		pops_buf_printf(&e2, "POPS_VARS=%s", vars ? vars : "{}");
		envp[k++] = e2.ptr;
	}
	if (pops_buf_oom(&e1) || pops_buf_oom(&e2) || pops_buf_oom(&e3)) {
		error = pops_error_oom();
		goto done;
	}
	/* a program that cannot start fails this assertion, not the run */
	if (pops_exec_start_in(&ax->x, in->cwd, a->argv, in->output, in->len, EXEC_OUTPUT_LIMIT,
	                       envp) < 0) {
		ax->failed_start = 1;
		pops_buf_puts(&ax->why, pops_error_last());
	}
done:
	free(vars);
	free(envp);
	pops_buf_dispose(&e1);
	pops_buf_dispose(&e2);
	pops_buf_dispose(&e3);
	if (error < 0)
		pops_assert_exec_free(ax);
	else
		*out = ax;
	return error;
}

size_t pops_assert_exec_wait_fds(const pops_assert_exec *ax, int *fds, short *events, size_t max)
{
	return ax->x ? pops_exec_wait_fds(ax->x, fds, events, max) : 0;
}

int pops_assert_exec_step(pops_assert_exec *ax)
{
	int r;

	if (!ax->x)
		return 1;
	if ((r = pops_exec_step(ax->x)) < 0) {
		ax->failed_start = 1;
		pops_buf_sets(&ax->why, pops_error_last());
		return 1;
	}
	return r;
}

long pops_assert_exec_timeout_ms(const pops_assert_exec *ax)
{
	return ax->timeout_ms;
}

int pops_assert_exec_finish(pops_assert_result *res, pops_assert_exec *ax, int timed_out)
{
	res->pass = res->error = 0;
	res->score = 0;
	pops_buf_clear(&res->reason);
	if (timed_out) {
		pops_exec_kill(ax->x);
		res->error = 1;
		pops_buf_printf(&res->reason, "'%s' timed out after %ld ms", ax->argv0, ax->timeout_ms);
	} else if (ax->failed_start) {
		res->error = 1;
		pops_buf_puts(&res->reason, ax->why.ptr);
	} else {
		const pops_buf *out = pops_exec_output(ax->x);
		int status = pops_exec_status(ax->x);
		size_t l = strcspn(out->ptr, "\n");

		res->pass = status == 0;
		if (!res->pass) {
			pops_buf_printf(&res->reason, "command '%s' exited with %d", ax->argv0, status);
			if (l) {
				pops_buf_puts(&res->reason, ": ");
				pops_buf_put_sanitized(&res->reason, out->ptr, l > 200 ? 200 : l, 0);
			}
		}
	}
	res->score = res->pass ? 1.0 : 0.0;
	if (pops_buf_oom(&res->reason))
		return pops_error_oom();
	return pops_assert_one_line(&res->reason);
}

void pops_assert_exec_free(pops_assert_exec *ax)
{
	if (!ax)
		return;
	pops_exec_free(ax->x);
	if (ax->vpath.size)
		unlink(ax->vpath.ptr);
	pops_buf_dispose(&ax->vpath);
	pops_buf_dispose(&ax->why);
	free(ax->argv0);
	free(ax);
}

int pops_assert_exec_run(pops_assert_result *res, const pops_assert *a,
                         const pops_assert_input *in)
{
	pops_assert_exec *ax = NULL;
	int64_t deadline;
	int error, timed_out = 0;
	struct timespec ts;

	if ((error = pops_assert_exec_start(&ax, a, in)) < 0)
		return error;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + a->timeout_ms;
	while (!pops_assert_exec_step(ax)) {
		struct pollfd p[3];
		int fds[3];
		short ev[3];
		size_t n = pops_assert_exec_wait_fds(ax, fds, ev, 3), i;
		int64_t left;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((left = deadline - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000)) <= 0) {
			timed_out = 1;
			break;
		}
		for (i = 0; i < n; i++) {
			p[i].fd = fds[i];
			p[i].events = ev[i];
		}
		if (poll(p, (nfds_t)n, n ? (int)(left < 1000 ? left : 1000) : 5) < 0 && errno != EINTR) {
			error = pops_error_os("poll");
			break;
		}
	}
	if (!error)
		error = pops_assert_exec_finish(res, ax, timed_out);
	pops_assert_exec_free(ax);
	return error;
}

/* posix_spawn_file_actions_addchdir_np: the command's own directory
 * without a chdir of pops itself (glibc 2.29+) */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "exec.h"

extern char **environ;

struct pops_exec {
	pid_t pid;          /* also the process group; -1 once reaped */
	int in_fd, out_fd;  /* our ends of its stdin and stdout+stderr; -1 closed */
	char *input;
	size_t input_len, written, out_limit;
	pops_buf out;
	int status;
};

/*
 * Find the program the way execvp would, but here: a spawn that fails
 * after fork (valgrind, old libcs) looks like exit 127, not an error.
 */
static int find_program(pops_buf *out, const char *name, const char *cwd)
{
	const char *path = getenv("PATH"), *p, *e;

	pops_buf_clear(out);
	if (strchr(name, '/')) {
		/* "./check.sh" is relative to the directory the command runs in */
		if (cwd && name[0] != '/')
			pops_buf_printf(out, "%s/", cwd);
		pops_buf_puts(out, name);
		return !pops_buf_oom(out) && access(out->ptr, X_OK) == 0 ? 0 : -1;
	}
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (!e)
			e = p + strlen(p);
		pops_buf_clear(out);
		pops_buf_put(out, p, (size_t)(e - p));
		pops_buf_printf(out, "%s%s", e > p ? "/" : "", name);
		if (!pops_buf_oom(out) && access(out->ptr, X_OK) == 0)
			return 0;
	}
	return -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Write without dying of SIGPIPE when the command has closed its stdin:
 * block the signal around the write and swallow the one it raised,
 * without touching the process-wide disposition.
 */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	int was_pending, saved;
	ssize_t w;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	w = write(fd, p, n);
	saved = errno;
	if (w < 0 && errno == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return w;
}

static int spawn(pops_exec *x, const char *cwd, char *const argv[], char *const envp[])
{
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, error = POPS_OK;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	pops_buf prog = POPS_BUF_INIT;
	int fa_init = 0, at_init = 0, rc;

	if (find_program(&prog, argv[0], cwd) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot run '%s': not found or not executable",
		                       argv[0]);
		goto done;
	}
	if (pipe(in_pipe) < 0 || pipe(out_pipe) < 0) {
		error = pops_error_os("pipe");
		goto done;
	}
	/* close-on-exec: commands spawned side by side must not hold each other's pipes */
	for (rc = 0; rc < 2; rc++) {
		fcntl(in_pipe[rc], F_SETFD, FD_CLOEXEC);
		fcntl(out_pipe[rc], F_SETFD, FD_CLOEXEC);
	}
	if (posix_spawn_file_actions_init(&fa) != 0 || !(fa_init = 1) ||
	    posix_spawnattr_init(&at) != 0 || !(at_init = 1)) {
		error = pops_error_oom();
		goto done;
	}
	posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
	if (cwd && posix_spawn_file_actions_addchdir_np(&fa, cwd) != 0) {
		error = pops_error_oom();
		goto done;
	}
	/* a group of its own (killed as one); default signals, nothing blocked */
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                              POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&x->pid, prog.ptr, &fa, &at, argv, envp ? envp : environ);
	if (rc != 0) {
		x->pid = -1;
		error = pops_error_set(POPS_ERROR, "cannot run '%s': %s", argv[0], strerror(rc));
		goto done;
	}
	x->in_fd = in_pipe[1];
	x->out_fd = out_pipe[0];
	in_pipe[1] = out_pipe[0] = -1;
	fcntl(x->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(x->out_fd, F_SETFL, O_NONBLOCK);
done:
	if (at_init)
		posix_spawnattr_destroy(&at);
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	close_fd(&in_pipe[0]);
	close_fd(&in_pipe[1]);
	close_fd(&out_pipe[0]);
	close_fd(&out_pipe[1]);
	pops_buf_dispose(&prog);
	return error;
}

int pops_exec_start(pops_exec **out, char *const argv[], const char *input,
                    size_t input_len, size_t out_limit, char *const envp[])
{
	return pops_exec_start_in(out, NULL, argv, input, input_len, out_limit, envp);
}

int pops_exec_start_in(pops_exec **out, const char *cwd, char *const argv[], const char *input,
                       size_t input_len, size_t out_limit, char *const envp[])
{
	pops_exec *x = calloc(1, sizeof(*x));
	int error;

	*out = NULL;
	if (!x || (input_len && !(x->input = malloc(input_len)))) {
		free(x);
		return pops_error_oom();
	}
	x->pid = -1;
	x->in_fd = x->out_fd = -1;
	x->status = -1;
	x->out_limit = out_limit;
	x->out = (pops_buf)POPS_BUF_INIT;
	if (input_len)
		memcpy(x->input, input, input_len);
	x->input_len = input_len;
	if ((error = spawn(x, cwd, argv, envp)) < 0) {
		pops_exec_free(x);
		return error;
	}
	if (input_len == 0)
		close_fd(&x->in_fd);
	*out = x;
	return POPS_OK;
}

size_t pops_exec_wait_fds(const pops_exec *x, int *fds, short *events, size_t max)
{
	size_t n = 0;

	if (x->in_fd >= 0 && n < max) {
		fds[n] = x->in_fd;
		events[n++] = POLLOUT;
	}
	if (x->out_fd >= 0 && n < max) {
		fds[n] = x->out_fd;
		events[n++] = POLLIN;
	}
	return n;
}

static void feed(pops_exec *x)
{
	while (x->in_fd >= 0 && x->written < x->input_len) {
		ssize_t n = write_nosigpipe(x->in_fd, x->input + x->written,
		                            x->input_len - x->written);

		if (n > 0) {
			x->written += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break;   /* EPIPE: the command does not read its input; that is its business */
	}
	close_fd(&x->in_fd);
}

/* read what is there (a bounded amount per call, so a chatty command cannot hog the loop) */
static int drain(pops_exec *x)
{
	char chunk[16384];
	unsigned rounds;

	for (rounds = 0; x->out_fd >= 0 && rounds < 16; rounds++) {
		ssize_t n = read(x->out_fd, chunk, sizeof(chunk));

		if (n > 0) {
			size_t room = x->out.size < x->out_limit ? x->out_limit - x->out.size : 0;

			pops_buf_put(&x->out, chunk, (size_t)n < room ? (size_t)n : room);
			continue;
		}
		if (n == 0) {
			close_fd(&x->out_fd);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		return pops_error_os("command output");
	}
	return pops_buf_oom(&x->out) ? pops_error_oom() : POPS_OK;
}

static void reaped(pops_exec *x, int st)
{
	x->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
	x->pid = -1;
}

int pops_exec_step(pops_exec *x)
{
	pid_t pgid = x->pid;
	int st = 0, error;
	pid_t w;

	if (x->pid < 0)
		return 1;
	feed(x);
	if ((error = drain(x)) < 0)
		return error;
	while ((w = waitpid(x->pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (w == 0)
		return 0;
	if (w < 0) {
		/* ECHILD: reaped elsewhere; status unknown */
		x->pid = -1;
		x->status = -1;
	} else {
		reaped(x, st);
	}
	/*
	 * What it wrote before it exited is in the pipe now, and a pipe holds
	 * less than one drain reads (16 x 16 KB).
	 */
	if ((error = drain(x)) < 0)
		return error;
	if (x->out_fd >= 0) {
		/* something it started still holds the output: end the group */
		kill(-pgid, SIGKILL);
		close_fd(&x->out_fd);
	}
	close_fd(&x->in_fd);
	return 1;
}

void pops_exec_kill(pops_exec *x)
{
	int st;

	if (x->pid > 0) {
		kill(-x->pid, SIGKILL);
		kill(x->pid, SIGKILL);   /* in case it left its group */
		while (waitpid(x->pid, &st, 0) < 0 && errno == EINTR)
			;
		x->pid = -1;
		x->status = -1;
	}
	close_fd(&x->in_fd);
	close_fd(&x->out_fd);
}

int pops_exec_status(const pops_exec *x)
{
	return x->status;
}

const pops_buf *pops_exec_output(const pops_exec *x)
{
	return &x->out;
}

int pops_exec_pid(const pops_exec *x)
{
	return (int)x->pid;
}

void pops_exec_free(pops_exec *x)
{
	if (!x)
		return;
	pops_exec_kill(x);
	free(x->input);
	pops_buf_dispose(&x->out);
	free(x);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pops_exec_run(int *status_out, pops_buf *out, char *const argv[],
                  const char *input, size_t input_len, long timeout_ms,
                  size_t out_limit, char *const envp[])
{
	return pops_exec_run_in(status_out, out, NULL, argv, input, input_len, timeout_ms,
	                        out_limit, envp);
}

int pops_exec_run_in(int *status_out, pops_buf *out, const char *cwd, char *const argv[],
                     const char *input, size_t input_len, long timeout_ms,
                     size_t out_limit, char *const envp[])
{
	pops_exec *x = NULL;
	long deadline = now_ms() + timeout_ms;
	int error, r;

	*status_out = -1;
	pops_buf_clear(out);
	if ((error = pops_exec_start_in(&x, cwd, argv, input, input_len, out_limit, envp)) < 0)
		return error;
	while ((r = pops_exec_step(x)) == 0) {
		struct pollfd p[3];
		int fds[3];
		short ev[3];
		size_t n = pops_exec_wait_fds(x, fds, ev, 3), i;
		long left = deadline - now_ms();

		if (left <= 0) {
			pops_exec_kill(x);
			error = pops_error_set(POPS_EINVALID, "'%s' timed out after %ld ms", argv[0],
			                       timeout_ms);
			goto done;
		}
		for (i = 0; i < n; i++) {
			p[i].fd = fds[i];
			p[i].events = ev[i];
		}
		if (poll(p, (nfds_t)n, n ? (int)(left < 1000 ? left : 1000) : 5) < 0 && errno != EINTR) {
			error = pops_error_os("poll");
			goto done;
		}
	}
	if (r < 0) {
		error = r;
		goto done;
	}
	*status_out = pops_exec_status(x);
	if (pops_buf_put(out, pops_exec_output(x)->ptr, pops_exec_output(x)->size) < 0)
		error = pops_error_oom();
done:
	pops_exec_free(x);
	return error;
}

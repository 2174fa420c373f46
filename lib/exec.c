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

/*
 * Find the program the way execvp would, but here: a spawn that fails
 * after fork (valgrind, old libcs) looks like exit 127, not an error.
 */
static int find_program(pops_buf *out, const char *name)
{
	const char *path = getenv("PATH"), *p, *e;

	pops_buf_clear(out);
	if (strchr(name, '/')) {
		pops_buf_puts(out, name);
		return access(name, X_OK) == 0 ? 0 : -1;
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
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	int fa_init = 0, error = 0, status = 0, timed_out = 0;
	pid_t pid = -1;
	size_t written = 0;
	long deadline = now_ms() + timeout_ms;
	char chunk[4096];
	struct sigaction ign, old_pipe;
	int restore_pipe = 0;
	pops_buf prog = POPS_BUF_INIT;

	*status_out = -1;
	/* a command that exits without reading its input must not kill us */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &ign, &old_pipe) == 0)
		restore_pipe = 1;
	pops_buf_clear(out);
	if (pipe(in_pipe) < 0 || pipe(out_pipe) < 0) {
		error = pops_error_os("pipe");
		goto done;
	}
	fcntl(in_pipe[1], F_SETFD, FD_CLOEXEC);
	fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
	if (posix_spawn_file_actions_init(&fa) != 0) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	fa_init = 1;
	posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
	posix_spawn_file_actions_addclose(&fa, in_pipe[0]);
	posix_spawn_file_actions_addclose(&fa, out_pipe[1]);
	if (find_program(&prog, argv[0]) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot run '%s': not found or not executable",
		                       argv[0]);
		goto done;
	}
	errno = posix_spawn(&pid, prog.ptr, &fa, NULL, argv, envp ? envp : environ);
	if (errno != 0) {
		pid = -1;
		error = pops_error_set(POPS_ERROR, "cannot run '%s': %s", argv[0], strerror(errno));
		goto done;
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	in_pipe[0] = out_pipe[1] = -1;
	if (input_len == 0) {
		close(in_pipe[1]);
		in_pipe[1] = -1;
	}
	for (;;) {
		struct pollfd p[2];
		int np = 0, left = (int)(deadline - now_ms());
		ssize_t n;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		p[np].fd = out_pipe[0];
		p[np++].events = POLLIN;
		if (in_pipe[1] >= 0) {
			p[np].fd = in_pipe[1];
			p[np++].events = POLLOUT;
		}
		if (poll(p, (nfds_t)np, left) < 0) {
			if (errno == EINTR)
				continue;
			error = pops_error_os("poll");
			goto done;
		}
		if (np > 1 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(in_pipe[1], input + written, input_len - written);
			if (n > 0)
				written += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input_len) {
				/* EPIPE: the command does not read its input; that is its business */
				close(in_pipe[1]);
				in_pipe[1] = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(out_pipe[0], chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (out->size < out_limit)
				pops_buf_put(out, chunk, (size_t)n < out_limit - out->size ?
				             (size_t)n : out_limit - out->size);
		}
	}
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (timed_out) {
		error = pops_error_set(POPS_EINVALID, "'%s' timed out after %ld ms", argv[0], timeout_ms);
		goto done;
	}
	*status_out = WIFEXITED(status) ? WEXITSTATUS(status) :
	              WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (restore_pipe)
		sigaction(SIGPIPE, &old_pipe, NULL);
	pops_buf_dispose(&prog);
	if (in_pipe[0] >= 0) close(in_pipe[0]);
	if (in_pipe[1] >= 0) close(in_pipe[1]);
	if (out_pipe[0] >= 0) close(out_pipe[0]);
	if (out_pipe[1] >= 0) close(out_pipe[1]);
	return error;
}

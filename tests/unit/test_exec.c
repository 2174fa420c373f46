#include "unit.h"
#include "exec.h"
#include "fileio.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* 1 when `pid` is gone or a zombie someone else must reap; waits up to 2 s */
static int process_gone(long pid)
{
	char path[64], buf[256];
	int i;

	for (i = 0; i < 200; i++) {
		FILE *f;
		char *rp;

		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (!(f = fopen(path, "r")))
			return 1;
		buf[0] = '\0';
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		rp = strrchr(buf, ')');
		if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* no child of ours is left, alive or zombie */
static int no_children(void)
{
	int st;

	return waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD;
}

TEST(exec_run_feeds_stdin_and_collects_output)
{
	char *argv[] = { "sh", "-c", "cat; echo done >&2", NULL };
	pops_buf out = POPS_BUF_INIT;
	int status = -1;

	CHECK_INT(pops_exec_run(&status, &out, argv, "abc\n", 4, 5000, 1 << 20, NULL), 0);
	CHECK_INT(status, 0);
	CHECK_STR(out.ptr, "abc\ndone\n");
	CHECK(no_children());
	pops_buf_dispose(&out);
}

TEST(exec_run_in_starts_the_command_in_its_directory)
{
	char tmpl[] = "/tmp/pops-exec-XXXXXX";
	char *dir = mkdtemp(tmpl), *pwd[] = { "sh", "-c", "pwd", NULL }, *rel[] = { "./x.sh", NULL };
	pops_buf out = POPS_BUF_INIT, script = POPS_BUF_INIT, want = POPS_BUF_INIT;
	char here[4096], after[4096];
	int status = -1;

	CHECK(dir && getcwd(here, sizeof(here)));
	pops_buf_printf(&script, "%s/x.sh", dir);
	CHECK_INT(pops_file_write_atomic(script.ptr, "#!/bin/sh\necho ran\n", 19, 0755), 0);
	CHECK_INT(pops_exec_run_in(&status, &out, dir, pwd, NULL, 0, 5000, 4096, NULL), 0);
	pops_buf_printf(&want, "%s\n", dir);
	CHECK_STR(out.ptr, want.ptr);
	/* a relative program is found in that directory, not in ours */
	CHECK_INT(pops_exec_run_in(&status, &out, dir, rel, NULL, 0, 5000, 4096, NULL), 0);
	CHECK_STR(out.ptr, "ran\n");
	CHECK_INT(pops_exec_run(&status, &out, rel, NULL, 0, 5000, 4096, NULL), POPS_ERROR);
	CHECK(getcwd(after, sizeof(after)) && !strcmp(here, after));
	CHECK(no_children());
	unlink(script.ptr);
	rmdir(dir);
	pops_buf_dispose(&out);
	pops_buf_dispose(&script);
	pops_buf_dispose(&want);
}

TEST(exec_output_is_capped_and_unread_input_does_not_kill_us)
{
	char *head[] = { "head", "-c", "100000", "/dev/zero", NULL };
	char *exit3[] = { "sh", "-c", "exit 3", NULL };
	pops_buf out = POPS_BUF_INIT;
	size_t big = 4u << 20;
	char *input = calloc(1, big);
	int status = -1;

	CHECK(input != NULL);
	CHECK_INT(pops_exec_run(&status, &out, head, NULL, 0, 5000, 1000, NULL), 0);
	CHECK_INT(out.size, 1000);
	/* 4 MB to a command that never reads: EPIPE, not SIGPIPE */
	CHECK_INT(pops_exec_run(&status, &out, exit3, input, big, 5000, 1000, NULL), 0);
	CHECK_INT(status, 3);
	CHECK(no_children());
	free(input);
	pops_buf_dispose(&out);
}

TEST(exec_timeout_kills_the_whole_group)
{
	char tmpl[] = "/tmp/pops-exec-XXXXXX", cmd[256];
	char *argv[] = { "sh", "-c", cmd, NULL };
	char *dir = mkdtemp(tmpl);
	pops_buf out = POPS_BUF_INIT, pidfile = POPS_BUF_INIT;
	long grandchild = 0;
	int status = -1;
	FILE *f;

	CHECK(dir != NULL);
	pops_buf_printf(&pidfile, "%s/pid", dir);
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! >%s; wait", pidfile.ptr);
	CHECK_INT(pops_exec_run(&status, &out, argv, NULL, 0, 300, 1000, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("timed out after 300 ms");
	CHECK((f = fopen(pidfile.ptr, "r")) != NULL);
	if (f) {
		CHECK_INT(fscanf(f, "%ld", &grandchild), 1);
		fclose(f);
	}
	/* the background sleep was in the command's group: killed too */
	CHECK(grandchild > 0 && process_gone(grandchild));
	CHECK(no_children());
	unlink(pidfile.ptr);
	rmdir(dir);
	pops_buf_dispose(&pidfile);
	pops_buf_dispose(&out);
}

TEST(exec_async_steps_without_blocking_and_kill_reaps)
{
	char *argv[] = { "sleep", "30", NULL };
	char *echo[] = { "echo", "hi", NULL };
	pops_exec *x = NULL;
	int fds[3];
	short ev[3];
	long pid;
	int i, r = 0;

	CHECK_INT(pops_exec_start(&x, argv, "ignored", 7, 100, NULL), 0);
	pid = pops_exec_pid(x);
	CHECK(pid > 0);
	CHECK_INT(pops_exec_step(x), 0);           /* still running; returns at once */
	CHECK(pops_exec_wait_fds(x, fds, ev, 3) >= 1);
	pops_exec_kill(x);
	CHECK_INT(pops_exec_pid(x), -1);
	CHECK_INT(pops_exec_status(x), -1);
	CHECK_INT(pops_exec_wait_fds(x, fds, ev, 3), 0);
	CHECK(process_gone(pid));
	pops_exec_free(x);

	CHECK_INT(pops_exec_start(&x, echo, NULL, 0, 100, NULL), 0);
	for (i = 0; i < 500 && (r = pops_exec_step(x)) == 0; i++) {
		struct pollfd p[3];
		size_t n = pops_exec_wait_fds(x, fds, ev, 3), k;

		for (k = 0; k < n; k++) {
			p[k].fd = fds[k];
			p[k].events = ev[k];
		}
		poll(p, (nfds_t)n, n ? 1000 : 5);
	}
	CHECK_INT(r, 1);
	CHECK_INT(pops_exec_status(x), 0);
	CHECK_STR(pops_exec_output(x)->ptr, "hi\n");
	pops_exec_free(x);
	CHECK(no_children());

	CHECK_INT(pops_exec_start(&x, (char *[]){ "/nonexistent/cmd", NULL }, NULL, 0, 100, NULL),
	          POPS_ERROR);
	CHECK_ERR_HAS("cannot run '/nonexistent/cmd'");
	CHECK(x == NULL);
}

#ifndef POPS_EXEC_H
#define POPS_EXEC_H
#include <stddef.h>
#include "buf.h"
/*
 * Running commands (exec assertions, exec providers): an argv, never a
 * shell string, with `input` on stdin and stdout and stderr collected
 * together, capped at `out_limit` bytes (the rest is read and dropped).
 * The command runs in a process group of its own, so that a timeout or
 * a cancel kills everything it started, and Ctrl-C on the terminal
 * reaches pops, which decides. SIGPIPE from a command that does not read
 * its input never reaches pops (it is blocked around each write).
 * Exit status: the exit code, or 128 + signal number when killed by a
 * signal.
 */

/*
 * Synchronously: run to the end or until `timeout_ms` has passed (then
 * the group is killed). `envp` may be NULL (inherit). Returns 0 with the
 * exit status in `*status_out`, POPS_ERROR when the program cannot be
 * started (the message names argv[0]), or POPS_EINVALID ("'<argv0>'
 * timed out after N ms").
 */
int pops_exec_run(int *status_out, pops_buf *out, char *const argv[],
                  const char *input, size_t input_len, long timeout_ms,
                  size_t out_limit, char *const envp[]);

/*
 * pops_exec_run with the command started in directory `cwd` (NULL: the
 * current one); a program named by a relative path ("./check.sh") is
 * found there too. pops's own directory does not change.
 */
int pops_exec_run_in(int *status_out, pops_buf *out, const char *cwd, char *const argv[],
                     const char *input, size_t input_len, long timeout_ms,
                     size_t out_limit, char *const envp[]);

/*
 * Asynchronously, for an event loop that waits on many things at once:
 * pops_exec_start spawns, pops_exec_wait_fds says what to wait for,
 * pops_exec_step makes progress without blocking, pops_exec_free ends
 * it (killing and reaping the group when it still runs). No zombie is
 * left on any path.
 */
typedef struct pops_exec pops_exec;

/*
 * Spawn `argv` with a copy of `input` to feed to its stdin. 0 with *out
 * set, or POPS_ERROR (cannot be started: message names argv[0]; or out
 * of memory). The caller frees *out with pops_exec_free.
 */
int pops_exec_start(pops_exec **out, char *const argv[], const char *input,
                    size_t input_len, size_t out_limit, char *const envp[]);
/* pops_exec_start in directory `cwd` (NULL: the current one), as pops_exec_run_in */
int pops_exec_start_in(pops_exec **out, const char *cwd, char *const argv[], const char *input,
                       size_t input_len, size_t out_limit, char *const envp[]);

/*
 * The file descriptors to wait on: up to `max` of them into fds[] with
 * the poll(2) events (POLLIN/POLLOUT) wanted in events[]. Returns how
 * many. 0 while not finished means its output is closed but it has not
 * exited yet (usually a moment): step again within a few milliseconds.
 * (A pidfd would make the exit pollable, but valgrind does not know the
 * call.)
 */
size_t pops_exec_wait_fds(const pops_exec *x, int *fds, short *events, size_t max);

/*
 * Feed stdin, read output and reap, as far as possible without blocking.
 * Returns 1 when the command has exited and its output is collected (a
 * command that exits while something it started still holds its output
 * open: what is there is collected and the rest of the group killed),
 * 0 when not yet, POPS_ERROR on a broken pipe read.
 */
int pops_exec_step(pops_exec *x);

/* Kill the whole process group and reap the command. Idempotent. */
void pops_exec_kill(pops_exec *x);

/* After step() returned 1: the exit status; -1 before, or when killed by pops_exec_kill. */
int pops_exec_status(const pops_exec *x);

/* The output collected so far (borrowed; stays valid until pops_exec_free). */
const pops_buf *pops_exec_output(const pops_exec *x);

/* The command's process id (its group id too); -1 once reaped. */
int pops_exec_pid(const pops_exec *x);

/* Kill and reap if still running, close everything, free. Accepts NULL. */
void pops_exec_free(pops_exec *x);
#endif

#ifndef POPS_EXEC_H
#define POPS_EXEC_H
#include <stddef.h>
#include "buf.h"
/*
 * Run a command (an argv, never a shell string) with `input` on its
 * stdin, collecting stdout and stderr together into `out` (capped at
 * `out_limit` bytes; the rest is read and dropped). The child is killed
 * when it runs past `timeout_ms`. `envp` may be NULL (inherit).
 *
 * Returns 0 with the exit status in `*status_out` (the exit code, or 128 +
 * signal number when killed by a signal), POPS_ERROR when the program
 * cannot be started (the message names argv[0]), or POPS_EINVALID
 * ("... timed out after N ms") when it was killed for the timeout.
 * SIGPIPE is ignored while the command runs.
 */
int pops_exec_run(int *status_out, pops_buf *out, char *const argv[],
                  const char *input, size_t input_len, long timeout_ms,
                  size_t out_limit, char *const envp[]);
#endif

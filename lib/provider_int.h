#ifndef POPS_PROVIDER_INT_H
#define POPS_PROVIDER_INT_H
#include "http.h"
#include "provider.h"
/*
 * Inside the provider engine: exec providers (lib/provider_exec.c) run as
 * local jobs of the HTTP loop, so a command shares -j, the deadline, the
 * per-request timeout and cancellation with HTTP requests in flight.
 */

/*
 * Build the job for an exec provider's request: the command (a list is
 * the argv; a string is split on blanks, no shell) and the request JSON
 * for its stdin. 0 with *out set (the caller sets timeout_ms and user),
 * or POPS_EINVALID (empty command) / POPS_ERROR (out of memory).
 */
int pops_provider__exec_job(pops_http_job **out, const pops_provider_request *req);

/*
 * Turn a finished exec job into a result: the command's stdout must be a
 * JSON object {"text", "finish_reason"?, "usage"?} or {"error"}; a
 * non-zero exit, a timeout or a failed start are POPS_EPROVIDER errors
 * naming the provider; a cancel is POPS_EINTR.
 */
void pops_provider__exec_result(pops_provider_result *res, const pops_http_job *job);
#endif

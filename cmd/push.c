/* pops push / pops pull: the ledger and evidence notes to and from a remote. */
#include "common.h"
#include "cmd.h"
#include "sync.h"

#include <git2.h>

struct sync_opts {
	const char *remote;
};

POPS_CMD_OPTS_SIZE(push, struct sync_opts);
#define O struct sync_opts
const pops_opt cmd_push_opts[] = {
	OPT_ARG(O, remote, "remote", "a configured remote, a URL or a path (default: origin)"),
	OPT_END
};
#undef O

POPS_CMD_OPTS_SIZE(pull, struct sync_opts);
#define O struct sync_opts
const pops_opt cmd_pull_opts[] = {
	OPT_ARG(O, remote, "remote", "a configured remote, a URL or a path (default: origin)"),
	OPT_END
};
#undef O

static const char *status_word(pops_sync_status st)
{
	switch (st) {
	case POPS_SYNC_UP_TO_DATE: return "up to date";
	case POPS_SYNC_CREATED: return "new";
	case POPS_SYNC_FAST_FORWARD: return "fast-forward";
	case POPS_SYNC_MERGED: return "merged (both histories kept)";
	case POPS_SYNC_LOCAL_AHEAD: return "this clone is ahead (pops push publishes it)";
	case POPS_SYNC_PUSHED: return "pushed";
	}
	return "?";
}

static int report(const pops_sync_result *r, int error, int pull)
{
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	size_t i;

	if (error < 0) {
		int ret = cmd_fail(error);

		if (error == POPS_EREFUSED && pull)
			cmd_hint("the same prompt was released differently in both places; see 'pops release log' here and in the other clone, then roll back or re-promote so they agree");
		else if (error == POPS_EREFUSED && !pull && strstr(pops_error_last(), "pull"))
			cmd_hint("pops pull merges the remote's releases with yours, then push again");
		return ret;
	}
	for (i = 0; i < r->n; i++) {
		const pops_sync_ref *s = &r->v[i];

		if (s->status == POPS_SYNC_FAST_FORWARD || s->status == POPS_SYNC_MERGED)
			printf("%s: %.12s..%.12s %s\n", s->ref, git_oid_tostr(a, sizeof(a), &s->old_id),
			       git_oid_tostr(b, sizeof(b), &s->new_id), status_word(s->status));
		else
			printf("%s: %s\n", s->ref, status_word(s->status));
	}
	if (!r->n)
		cmd_note("'%s' has no releases or eval evidence", r->remote);
	return POPS_EXIT_OK;
}

int cmd_push(pops_ctx *ctx, void *o)
{
	struct sync_opts *opts = o;
	pops_sync_result r;
	int ret = report(&r, pops_sync_push(&r, ctx->repo, opts->remote), 0);

	pops_sync_result_dispose(&r);
	return ret;
}

int cmd_pull(pops_ctx *ctx, void *o)
{
	struct sync_opts *opts = o;
	pops_sync_result r;
	int ret = report(&r, pops_sync_pull(&r, ctx->repo, opts->remote), 1);

	pops_sync_result_dispose(&r);
	return ret;
}

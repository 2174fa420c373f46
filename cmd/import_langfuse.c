#include "common.h"
#include "cmd.h"
#include "config.h"
#include "fileio.h"
#include "git.h"
#include "import.h"
#include "importcmd.h"
#include "promote.h"
#include "repo.h"
#include "strutil.h"

#include <git2.h>

/*
 * `pops import langfuse EXPORT.json`: a Langfuse user's migration. Each
 * prompt version becomes a commit (lib/import_langfuse.c), then each
 * label a release of that version in the environment of the same name,
 * through pops_promote --from <commit>, the code `pops promote` runs: the
 * ledger records the import like any release, and `NAME:production`
 * renders what Langfuse's production label served.
 */

POPS_CMD_OPTS_SIZE(import_langfuse, struct import_opts);
#define O struct import_opts
const pops_opt cmd_import_langfuse_opts[] = {
	IMPORT_COMMON_OPTS,
	OPT_ARG(O, source, "export",
	        "Langfuse prompt export (bulk JSON export or API prompt objects)",
	        .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_FILE),
	OPT_END
};
#undef O

/* a prompt file already there (work tree or HEAD) would get versions on top */
static int conflicts(const pops_ctx *ctx, const pops_langfuse *lf)
{
	pops_buf path = POPS_BUF_INIT;
	git_object *obj = NULL;
	size_t i, j, n = 0;

	for (i = 0; i < lf->n; i++) {
		for (j = 0; j < i && strcmp(lf->v[j].path, lf->v[i].path); j++)
			;
		if (j < i)
			continue;
		pops_buf_clear(&path);
		pops_path_join(&path, git_repository_workdir(ctx->repo), lf->v[i].path);
		{
			pops_buf spec = POPS_BUF_INIT;
			int in_head;

			pops_buf_printf(&spec, "HEAD:%s", lf->v[i].path);
			in_head = git_revparse_single(&obj, ctx->repo, spec.ptr) == 0;
			git_object_free(obj);
			obj = NULL;
			git_error_clear();
			pops_buf_dispose(&spec);
			if (!in_head && !pops_path_exists(path.ptr))
				continue;
		}
		if (!n++)
			cmd_error(POPS_EXIT_USAGE, "the import would add versions to existing prompts:");
		fprintf(stderr, "    %s\n", lf->v[i].path);
	}
	pops_buf_dispose(&path);
	if (n)
		cmd_hint("use --force to add the Langfuse versions on top of their history");
	return n ? POPS_EXIT_USAGE : POPS_EXIT_OK;
}

/*
 * pops.yaml's path in the repository, when it is inside the work tree
 * and has no edits of the user's: then it is committed with the import.
 */
static int config_clean(pops_buf *relpath, const pops_ctx *ctx)
{
	const char *wd = git_repository_workdir(ctx->repo);
	/* the config path is relative to where the user is; the work tree's is not */
	char *abs = realpath(ctx->config->path, NULL), *top = wd ? realpath(wd, NULL) : NULL;
	unsigned int st = 0;
	int clean = 0;

	if (!abs || !top || strncmp(abs, top, strlen(top)) || abs[strlen(top)] != '/')
		goto done;
	pops_buf_sets(relpath, abs + strlen(top) + 1);
	if (git_status_file(&st, ctx->repo, relpath->ptr) < 0)
		git_error_clear();
	else
		clean = st == GIT_STATUS_CURRENT;
done:
	free(top);
	free(abs);
	return clean;
}

static void print_plan(const pops_langfuse *lf)
{
	size_t i, j;

	for (i = 0; i < lf->n; i++) {
		const pops_langfuse_version *v = &lf->v[i];
		pops_buf line = POPS_BUF_INIT;

		pops_buf_printf(&line, "would commit %s (Langfuse version %ld)", v->name, v->version);
		for (j = 0; j < v->nlabels; j++)
			pops_buf_printf(&line, "%s%s", j ? ", " : "; release to ", v->labels[j]);
		cmd_import_put_line("", line.ptr);
		pops_buf_dispose(&line);
	}
}

/* pops version numbers of the commits just made, by prompt */
static long version_of(pops_repo *project, const char *name, const git_oid *commit)
{
	pops_versions *vs = NULL;
	long n = 0;
	size_t i;

	if (pops_repo_versions(&vs, project, name, 0) == 0)
		for (i = 0; i < vs->n; i++)
			if (!git_oid_cmp(&vs->v[i].commit, commit))
				n = vs->v[i].number;
	pops_versions_free(vs);
	pops_error_clear();
	return n;
}

/*
 * Release v's commit of v->name in `env`. Langfuse had it there, so a
 * gate pops.yaml sets for env (suites, approvals) is recorded as passed
 * by force, with the reason saying why, rather than refused.
 */
static int release(const pops_ctx *ctx, const pops_config *cfg, const pops_langfuse_version *v,
                   const char *env, long number)
{
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_buf reason = POPS_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	const char *names[1];
	int error, forced = 0;
	size_t j;

	names[0] = v->name;
	git_oid_tostr(hex, sizeof(hex), &v->commit);
	po.env = env;
	po.prompts = names;
	po.nprompts = 1;
	po.from = hex;
	error = pops_promote(&r, ctx->repo, cfg, &po);
	if (error == POPS_EREFUSED && r.n) {
		pops_buf_printf(&reason, "imported from Langfuse: label '%s' was on version %ld",
		                env, v->version);
		pops_promote_result_dispose(&r);
		po.force = 1;
		po.reason = reason.ptr;
		forced = 1;
		error = pops_promote(&r, ctx->repo, cfg, &po);
	}
	if (error < 0) {
		pops_error_prefix(error, "%s@%ld -> %s: ", v->name, number, env);
		goto done;
	}
	printf("released %s@%ld to %s (Langfuse label %s)%s\n", v->name, number, env, env,
	       forced ? " by force" : "");
	for (j = 0; forced && r.n && j < r.v[0].nunmet; j++)
		cmd_warning("%s: forced past: %s", env, r.v[0].unmet[j].what);
done:
	pops_promote_result_dispose(&r);
	pops_buf_dispose(&reason);
	return error;
}

int cmd_import_langfuse(pops_ctx *ctx, void *o)
{
	struct import_opts all;
	struct import_opts *opts = cmd_import_whole_opts(&all, o,
	                                                 offsetof(struct import_opts, allow_floating));
	pops_import_options io = POPS_IMPORT_OPTIONS_INIT;
	pops_langfuse *lf = NULL;
	pops_config *newcfg = NULL;
	pops_buf text = POPS_BUF_INIT, report = POPS_BUF_INIT, cfgpath = POPS_BUF_INIT;
	pops_import_file first;
	git_signature *who = NULL;
	const pops_config *cfg = ctx->config;
	int error, ret = POPS_EXIT_OK, commit_config = 0;
	size_t i, j;
	char hex[GIT_OID_HEXSZ + 1];

	memset(&first, 0, sizeof(first));
	cmd_import_options(&io, ctx->config);
	/* commits name files from the top of the work tree */
	io.prompts_dir = pops_repo_prompts_prefix(ctx->project);
	if ((error = pops_import_langfuse(&lf, opts->source, &io)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if (!opts->force && !opts->dry_run && (ret = conflicts(ctx, lf)) != POPS_EXIT_OK)
		goto done;
	if ((error = cmd_import_config(&text, &report, ctx->config, lf->imp, opts)) < 0) {
		ret = cmd_fail(error);
		cmd_hint("nothing was written");
		goto done;
	}
	if (opts->dry_run) {
		print_plan(lf);
		printf("would import %zu version%s of %zu prompt%s from %s\n", lf->n,
		       lf->n == 1 ? "" : "s", lf->imp->nprompts, lf->imp->nprompts == 1 ? "" : "s",
		       opts->source);
		if (report.size) {
			putchar('\n');
			cmd_import_put_lines("would update pops.yaml:", report.ptr);
		}
		cmd_import_print_notes(lf->imp);
		goto done;
	}
	if ((error = cmd_signature(&who, ctx->repo, "COMMITTER")) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	/* pops.yaml with the label environments: its own commit, before the versions */
	if (text.size) {
		commit_config = config_clean(&cfgpath, ctx);
		if (!commit_config) {
			if (pops_file_write_atomic(cfg->path, text.ptr, text.size, 0666) < 0) {
				ret = cmd_fail(POPS_ERROR);
				goto done;
			}
			cmd_warning("%s has uncommitted changes: the new environments are written to it "
			            "but not committed", cfg->path);
		}
		first.path = cfgpath.ptr;
		first.data = text;
		if ((error = pops_config_parse(&newcfg, text.ptr, text.size, cfg->path)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		cfg = newcfg;
	}
	error = pops_import_langfuse_commit(lf, ctx->repo, git_repository_workdir(ctx->repo), who,
	                                    commit_config ? &first : NULL,
	                                    "pops.yaml: environments for the Langfuse labels\n");
	if (error < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	for (i = 0; i < lf->n; i++) {
		const pops_langfuse_version *v = &lf->v[i];
		long n = version_of(ctx->project, v->name, &v->commit);

		git_oid_tostr(hex, sizeof(hex), &v->commit);
		printf("committed %s@%ld %.7s (Langfuse version %ld)\n", v->name, n, hex, v->version);
	}
	if (report.size) {
		putchar('\n');
		cmd_import_put_lines(commit_config ? "updated and committed pops.yaml:" :
		                     "updated pops.yaml:", report.ptr);
		putchar('\n');
	}
	for (i = 0; i < lf->n; i++) {
		const pops_langfuse_version *v = &lf->v[i];
		long n = v->nlabels ? version_of(ctx->project, v->name, &v->commit) : 0;

		for (j = 0; j < v->nlabels; j++)
			if ((error = release(ctx, cfg, v, v->labels[j], n)) < 0) {
				ret = cmd_fail(error);
				cmd_hint("the versions are committed; release the rest with pops promote "
				         "<env> <prompt> --from <commit>");
				goto done;
			}
	}
	printf("imported %zu version%s of %zu prompt%s from %s\n", lf->n, lf->n == 1 ? "" : "s",
	       lf->imp->nprompts, lf->imp->nprompts == 1 ? "" : "s", opts->source);
	cmd_import_print_notes(lf->imp);
done:
	git_signature_free(who);
	pops_config_free(newcfg);
	pops_buf_dispose(&cfgpath);
	pops_buf_dispose(&report);
	pops_buf_dispose(&text);
	pops_langfuse_free(lf);
	return ret;
}

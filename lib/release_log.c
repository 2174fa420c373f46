/* Reading the ledger's history: pops release log, rollback targets. */
#include "common.h"
#include "release.h"
#include "git.h"
#include "strutil.h"

static void event_dispose(pops_release_event *ev)
{
	size_t i;

	free(ev->action);
	free(ev->subject);
	free(ev->env);
	free(ev->prompt);
	free(ev->blob);
	free(ev->source);
	free(ev->model);
	free(ev->reason);
	for (i = 0; i < ev->nevidence; i++)
		free(ev->evidence[i]);
	free(ev->evidence);
	for (i = 0; i < ev->napprovers; i++)
		free(ev->approvers[i]);
	free(ev->approvers);
	for (i = 0; i < ev->npartials; i++)
		free(ev->partials[i]);
	free(ev->partials);
	free(ev->provider);
	free(ev->closure);
	free(ev->changes);
	free(ev->rollout);
	free(ev->salt);
	free(ev->author_name);
	free(ev->author_email);
	memset(ev, 0, sizeof(*ev));
}

void pops_release_events_dispose(pops_release_events *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		event_dispose(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = pops_strdup(s)))
		return -1;
	(*n)++;
	return 0;
}

static int parse_event(pops_release_event *ev, git_commit *c)
{
	git_message_trailer_array trailers = { 0 };
	const char *msg = git_commit_message(c), *summary = git_commit_summary(c), *sp;
	const git_signature *author = git_commit_author(c);
	size_t i;
	int oom = 0;

	memset(ev, 0, sizeof(*ev));
	git_oid_cpy(&ev->commit, git_commit_id(c));
	ev->subject = pops_strdup(summary ? summary : "");
	sp = summary ? strchr(summary, ' ') : NULL;
	ev->action = summary ? pops_strndup(summary, sp ? (size_t)(sp - summary) : strlen(summary))
	                     : pops_strdup("");
	if (git_commit_parentcount(c) > 1 && summary && !strncmp(summary, "merge", 5)) {
		free(ev->action);
		ev->action = pops_strdup("merge");
	}
	ev->author_name = pops_strdup(author ? author->name : "");
	ev->author_email = pops_strdup(author ? author->email : "");
	ev->time = (long long)git_commit_time(c);
	ev->tz_offset = git_commit_time_offset(c);
	if (msg && git_message_trailers(&trailers, msg) == 0) {
		for (i = 0; i < trailers.count; i++) {
			const char *k = trailers.trailers[i].key, *v = trailers.trailers[i].value;
			char **slot = NULL;

			if (!strcmp(k, "Pops-Env")) slot = &ev->env;
			else if (!strcmp(k, "Pops-Prompt")) slot = &ev->prompt;
			else if (!strcmp(k, "Pops-Blob")) slot = &ev->blob;
			else if (!strcmp(k, "Pops-Source")) slot = &ev->source;
			else if (!strcmp(k, "Pops-Model")) slot = &ev->model;
			else if (!strcmp(k, "Pops-Reason")) slot = &ev->reason;
			else if (!strcmp(k, "Pops-Provider")) slot = &ev->provider;
			else if (!strcmp(k, "Pops-Closure")) slot = &ev->closure;
			else if (!strcmp(k, "Pops-Rollout")) slot = &ev->rollout;
			else if (!strcmp(k, "Pops-Salt")) slot = &ev->salt;
			else if (!strcmp(k, "Pops-Partial"))
				oom |= strv_push(&ev->partials, &ev->npartials, v);
			else if (!strcmp(k, "Pops-Version")) {
				if (pops_parse_long(&ev->version, v, 0, LONG_MAX) < 0)
					ev->version = 0;
			} else if (!strcmp(k, "Pops-Canary")) {
				long pct;

				ev->canary_percent = pops_parse_long(&pct, v, 1, 99) < 0 ? 0 : (int)pct;
			} else if (!strcmp(k, "Pops-Forced")) {
				ev->forced = !strcmp(v, "yes");
			} else if (!strcmp(k, "Pops-Evidence")) {
				oom |= strv_push(&ev->evidence, &ev->nevidence, v);
			} else if (!strcmp(k, "Approved-by")) {
				oom |= strv_push(&ev->approvers, &ev->napprovers, v);
			}
			if (slot) {
				free(*slot);
				oom |= !(*slot = pops_strdup(v));
			}
		}
	}
	git_message_trailer_array_free(&trailers);
	{
		/* promote writes "what changed" as the body's first paragraph, before the trailers */
		const char *body = git_commit_body(c), *end;

		if (body && *body && strncmp(body, "Pops-", 5) && strncmp(body, "Approved-by", 11)) {
			end = strstr(body, "\n\n");
			oom |= !(ev->changes = pops_strndup(body, end ? (size_t)(end - body) : strlen(body)));
		}
	}
	if (oom || !ev->subject || !ev->action || !ev->author_name || !ev->author_email) {
		event_dispose(ev);
		return pops_error_oom();
	}
	return POPS_OK;
}

int pops_release_log(pops_release_events *out, git_repository *repo,
                     const char *env, const char *prompt, int first_parent)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	git_oid tip, id;
	pops_release_event ev;
	int error;

	if ((error = pops_release_tip(&tip, repo)) < 0)
		return error == POPS_ENOTFOUND ? POPS_OK : error;
	if ((error = git_revwalk_new(&walk, repo)) < 0 ||
	    (error = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME)) < 0 ||
	    (first_parent && (error = git_revwalk_simplify_first_parent(walk)) < 0) ||
	    (error = git_revwalk_push(walk, &tip)) < 0) {
		error = pops_git_error(error, "cannot walk the release ledger");
		goto done;
	}
	while ((error = git_revwalk_next(&id, walk)) == 0) {
		pops_release_event *v;

		git_commit_free(c);
		c = NULL;
		if ((error = git_commit_lookup(&c, repo, &id)) < 0) {
			error = pops_git_error(error, "cannot read the release ledger");
			goto done;
		}
		if ((error = parse_event(&ev, c)) < 0)
			goto done;
		if ((env && (!ev.env || strcmp(ev.env, env))) ||
		    (prompt && (!ev.prompt || strcmp(ev.prompt, prompt)))) {
			event_dispose(&ev);
			continue;
		}
		if (!(v = realloc(out->v, (out->n + 1) * sizeof(*v)))) {
			event_dispose(&ev);
			error = pops_error_oom();
			goto done;
		}
		out->v = v;
		out->v[out->n++] = ev;
	}
	if (error == GIT_ITEROVER)
		error = POPS_OK;
	else
		error = pops_git_error(error, "cannot walk the release ledger");
done:
	git_commit_free(c);
	git_revwalk_free(walk);
	return error;
}

int pops_release_resolve_rev(git_oid *out, git_repository *repo, const char *rev)
{
	git_object *obj = NULL, *peeled = NULL;
	git_oid tip;
	int error;

	if ((error = pops_release_tip(&tip, repo)) < 0)
		return error;
	error = git_revparse_single(&obj, repo, rev);
	if (error == GIT_ENOTFOUND || error == GIT_EINVALIDSPEC || error == GIT_EAMBIGUOUS) {
		error = pops_error_set(error == GIT_EAMBIGUOUS ? POPS_EAMBIGUOUS : POPS_ENOTFOUND,
		                       "unknown ledger revision '%s'", rev);
		goto done;
	} else if (error < 0) {
		error = pops_git_error(error, rev);
		goto done;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		error = pops_error_set(POPS_EINVALID, "'%s' is not a commit", rev);
		goto done;
	}
	git_oid_cpy(out, git_object_id(peeled));
	if (!git_oid_equal(out, &tip) &&
	    git_graph_descendant_of(repo, &tip, out) != 1) {
		error = pops_error_set(POPS_EINVALID, "'%s' is not part of the release ledger (%s)",
		                       rev, POPS_RELEASE_REF);
		goto done;
	}
	error = POPS_OK;
done:
	git_object_free(peeled);
	git_object_free(obj);
	return error;
}

int pops_release_event_approves(const pops_release_event *ev, const pops_release_entry *e)
{
	char hex[GIT_OID_HEXSZ + 1], digest[65];

	if (strcmp(ev->action, "approve"))
		return 0;
	if (ev->closure)
		return e->closure_known && pops_closure_digest(digest, &e->closure) == 0 &&
		       !strcmp(ev->closure, digest);
	/* an approval from before closures named the prompt file only */
	return ev->blob && !strcmp(ev->blob, git_oid_tostr(hex, sizeof(hex), &e->blob));
}

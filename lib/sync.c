#include "common.h"
#include "sync.h"
#include "sync_int.h"
#include "casref.h"
#include "evidence.h"
#include "fileio.h"
#include "git.h"
#include "release.h"
#include "strutil.h"

#include <cjson/cJSON.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void pops_sync_result_dispose(pops_sync_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].ref);
	free(r->v);
	free(r->remote);
	memset(r, 0, sizeof(*r));
}

static int add_ref(pops_sync_result *r, const char *ref, pops_sync_status st,
                   const git_oid *old_id, const git_oid *new_id)
{
	pops_sync_ref *v = realloc(r->v, (r->n + 1) * sizeof(*v));

	POPS_CHECK_ALLOC(v);
	r->v = v;
	memset(&v[r->n], 0, sizeof(*v));
	v[r->n].ref = pops_strdup(ref);
	POPS_CHECK_ALLOC(v[r->n].ref);
	v[r->n].status = st;
	if (old_id)
		git_oid_cpy(&v[r->n].old_id, old_id);
	if (new_id)
		git_oid_cpy(&v[r->n].new_id, new_id);
	r->n++;
	return POPS_OK;
}

/* ---- credentials: ssh-agent, libgit2 defaults, `git credential fill` ---- */

/* the payload of every remote callback */
struct cred_state {
	unsigned tries;        /* credential attempts */
	pops_buf rejected;     /* push: refs the remote refused, with reasons */
};

/* run `git credential fill` for `url`; username/password into the bufs */
static int credential_fill(pops_buf *user, pops_buf *pass, const char *url)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status, error = -1;
	pops_buf req = POPS_BUF_INIT, resp = POPS_BUF_INIT;
	char chunk[4096];
	ssize_t got;
	pid_t pid;
	char *line, *save;
	char *argv[] = { "git", "credential", "fill", NULL };
	posix_spawn_file_actions_t fa;
	int spawned;

	if (pipe(in) < 0 || pipe(out) < 0)
		goto done;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	/* a helper must never prompt on the terminal from inside pops */
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	spawned = posix_spawnp(&pid, "git", &fa, NULL, argv, environ) == 0;
	posix_spawn_file_actions_destroy(&fa);
	if (!spawned)
		goto done;
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	pops_buf_printf(&req, "url=%s\n\n", url);
	if (pops_write_all(in[1], req.ptr, req.size, "git credential") < 0)
		pops_error_clear();
	close(in[1]);
	in[1] = -1;
	while ((got = read(out[0], chunk, sizeof(chunk))) > 0 && resp.size < 65536)
		pops_buf_put(&resp, chunk, (size_t)got);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		goto done;
	for (line = resp.ptr; line && *line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		if (!strncmp(line, "username=", 9))
			pops_buf_sets(user, line + 9);
		else if (!strncmp(line, "password=", 9))
			pops_buf_sets(pass, line + 9);
	}
	error = user->size && pass->size ? 0 : -1;
done:
	if (in[0] >= 0) close(in[0]);
	if (in[1] >= 0) close(in[1]);
	if (out[0] >= 0) close(out[0]);
	if (out[1] >= 0) close(out[1]);
	/* the response held a secret: wipe it before freeing */
	if (resp.ptr && resp.size)
		memset(resp.ptr, 0, resp.size);
	pops_buf_dispose(&resp);
	pops_buf_dispose(&req);
	return error;
}

static int cred_cb(git_credential **out, const char *url, const char *user_from_url,
                   unsigned int allowed, void *payload)
{
	struct cred_state *st = payload;
	pops_buf user = POPS_BUF_INIT, pass = POPS_BUF_INIT;
	int error = GIT_PASSTHROUGH;

	/* one attempt per method: libgit2 calls again after a rejection */
	if (st->tries++ >= 3)
		return GIT_EAUTH;
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && st->tries == 1)
		return git_credential_ssh_key_from_agent(out, user_from_url ? user_from_url : "git");
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && credential_fill(&user, &pass, url) == 0)
		error = git_credential_userpass_plaintext_new(out, user.ptr, pass.ptr);
	else if (allowed & GIT_CREDENTIAL_DEFAULT)
		error = git_credential_default_new(out);
	if (pass.asize)
		memset(pass.ptr, 0, pass.size);
	pops_buf_dispose(&pass);
	pops_buf_dispose(&user);
	return error;
}

/* ---- remotes ---- */

/*
 * Look the remote up in the repository's config ourselves and create an
 * in-memory remote with SKIP_INSTEADOF: libgit2 1.5's url.*.insteadOf
 * scan leaks PCRE2 match data for every config entry it tests (fixed
 * upstream in libgit2 PR 6382), which the sanitizers rightly report.
 */
static int open_remote(git_remote **out, git_repository *repo, const char *name)
{
	git_remote_create_options opts = GIT_REMOTE_CREATE_OPTIONS_INIT;
	git_config *cfg = NULL;
	git_buf url = GIT_BUF_INIT;
	pops_buf key = POPS_BUF_INIT;
	const char *use = name;
	int error;

	pops_buf_printf(&key, "remote.%s.url", name);
	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&url, cfg, key.ptr) == 0)
		use = url.ptr;
	else if (!strchr(name, '/') && !strchr(name, ':') && strcmp(name, ".")) {
		error = pops_error_set(POPS_EINVALID,
		                       "no remote named '%s' (add one with 'git remote add %s <url>', or pass a URL)",
		                       name, name);
		goto done;
	}
	pops_error_clear();
	if ((error = pops_git_load_certificates()) < 0)
		goto done;
	opts.repository = repo;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((error = git_remote_create_with_opts(out, use, &opts)) < 0)
		error = pops_git_error(error, name);
done:
	git_buf_dispose(&url);
	git_config_free(cfg);
	pops_buf_dispose(&key);
	return error;
}

/* the name used under refs/pops-remote/ for this remote */
static void remote_key(pops_buf *out, const char *name)
{
	const char *p;

	for (p = name; *p; p++)
		pops_buf_putc(out, isalnum((unsigned char)*p) || *p == '-' || *p == '_' ? *p : '_');
}

static int net_error(int error, const char *what, const char *remote)
{
	const git_error *e = git_error_last();

	return pops_error_set(POPS_ERROR, "cannot %s '%s': %s", what, remote,
	                      e && e->message ? e->message : "unknown error");
	(void)error;
}

static int push_update_cb(const char *refname, const char *status, void *payload)
{
	struct cred_state *st = payload;

	if (status)
		pops_buf_printf(&st->rejected, "%s%s (%s)", st->rejected.size ? ", " : "", refname,
		                status);
	return 0;
}

static int collect_refs(git_strarray *out, git_repository *repo, pops_sync_result *r)
{
	static const char *const globs[] = { "refs/pops/*", "refs/notes/pops*" };
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	size_t g;
	int error = POPS_OK;

	memset(out, 0, sizeof(*out));
	for (g = 0; g < POPS_ARRAY_SIZE(globs); g++) {
		if ((error = git_reference_iterator_glob_new(&it, repo, globs[g])) < 0)
			return pops_git_error(error, "cannot list refs");
		while (git_reference_next(&ref, it) == 0) {
			pops_buf spec = POPS_BUF_INIT;
			const char *name = git_reference_name(ref);
			char **v;

			/* a symbolic ref (refs/pops/alias -> refs/pops/releases) has no
			 * object to push; its target, under the glob too, goes itself */
			if (git_reference_type(ref) != GIT_REFERENCE_DIRECT) {
				git_reference_free(ref);
				continue;
			}
			if (!(v = realloc(out->strings, (out->count + 1) * sizeof(*v)))) {
				error = pops_error_oom();
				git_reference_free(ref);
				break;
			}
			out->strings = v;
			pops_buf_printf(&spec, "%s:%s", name, name);
			if (!(out->strings[out->count] = pops_buf_detach(&spec))) {
				error = pops_error_oom();
				git_reference_free(ref);
				break;
			}
			out->count++;
			error = add_ref(r, name, POPS_SYNC_PUSHED, NULL, git_reference_target(ref));
			git_reference_free(ref);
			if (error < 0)
				break;
		}
		git_reference_iterator_free(it);
		it = NULL;
		if (error < 0)
			return error;
	}
	return POPS_OK;
}

/*
 * The common start of push and pull: clear `out`, default the remote to
 * origin (`*name` is updated), record its name and open it.
 */
static int sync_start(pops_sync_result *out, git_remote **remote,
                      git_repository *repo, const char **name)
{
	memset(out, 0, sizeof(*out));
	if (!*name)
		*name = "origin";
	out->remote = pops_strdup(*name);
	POPS_CHECK_ALLOC(out->remote);
	return open_remote(remote, repo, *name);
}

int pops_sync_push(pops_sync_result *out, git_repository *repo, const char *remote_name)
{
	git_remote *remote = NULL;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_strarray specs = { NULL, 0 };
	struct cred_state cs = { 0, POPS_BUF_INIT };
	int error;
	size_t i;

	if ((error = sync_start(out, &remote, repo, &remote_name)) < 0)
		goto done;
	if ((error = collect_refs(&specs, repo, out)) < 0)
		goto done;
	if (!specs.count) {
		error = pops_error_set(POPS_EREFUSED, "nothing to push: no releases or eval evidence yet");
		goto done;
	}
	po.callbacks.credentials = cred_cb;
	po.callbacks.push_update_reference = push_update_cb;
	po.callbacks.payload = &cs;
	error = git_remote_push(remote, &specs, &po);
	if (error == GIT_ENONFASTFORWARD || cs.rejected.size) {
		error = pops_error_set(POPS_EREFUSED,
		                       "'%s' has releases or evidence this clone does not have%s%s; run 'pops pull %s' first",
		                       remote_name, cs.rejected.size ? ": " : "", cs.rejected.ptr, remote_name);
		goto done;
	}
	if (error < 0) {
		error = net_error(error, "push to", remote_name);
		goto done;
	}
	error = POPS_OK;
done:
	for (i = 0; i < specs.count; i++)
		free(specs.strings[i]);
	free(specs.strings);
	pops_buf_dispose(&cs.rejected);
	git_remote_free(remote);
	return error;
}

static int integrate(pops_sync_result *r, git_repository *repo, const char *ref,
                     const git_oid *theirs, const char *remote_name)
{
	git_oid ours, base, tree_id, merged;
	git_commit *oc = NULL, *tc = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	pops_buf conflicts = POPS_BUF_INIT, msg = POPS_BUF_INIT;
	enum pops_sync__merge_kind kind =
		pops_starts_with(ref, "refs/notes/") ? POPS_SYNC__NOTES : POPS_SYNC__LEDGER;
	unsigned attempt;
	int error, have_base;

	for (attempt = 0; attempt < POPS_CAS_MAX_ATTEMPTS; attempt++) {
		git_commit_free(oc);
		git_commit_free(tc);
		git_tree_free(tree);
		oc = tc = NULL;
		tree = NULL;
		error = pops_casref_read(&ours, repo, ref);
		if (error == POPS_ENOTFOUND) {
			error = pops_casref_update(repo, ref, theirs, NULL, "pops pull: create");
			if (error == 0)
				error = add_ref(r, ref, POPS_SYNC_CREATED, NULL, theirs);
			if (error != POPS_EMODIFIED)
				goto done;
			continue;
		} else if (error < 0) {
			goto done;
		}
		if (git_oid_equal(&ours, theirs)) {
			error = add_ref(r, ref, POPS_SYNC_UP_TO_DATE, &ours, theirs);
			goto done;
		}
		if (git_graph_descendant_of(repo, theirs, &ours) == 1) {
			error = pops_casref_update(repo, ref, theirs, &ours, "pops pull: fast-forward");
			if (error == 0)
				error = add_ref(r, ref, POPS_SYNC_FAST_FORWARD, &ours, theirs);
			if (error != POPS_EMODIFIED)
				goto done;
			continue;
		}
		if (git_graph_descendant_of(repo, &ours, theirs) == 1) {
			error = add_ref(r, ref, POPS_SYNC_LOCAL_AHEAD, &ours, &ours);
			goto done;
		}
		have_base = git_merge_base(&base, repo, &ours, theirs) == 0;
		pops_buf_clear(&conflicts);
		error = pops_sync__merge_trees(&tree_id, &conflicts, repo, have_base ? &base : NULL,
		                               &ours, theirs, kind);
		if (error == POPS_EREFUSED) {
			error = pops_error_set(POPS_EREFUSED,
			                       "%s diverged from '%s' and both changed %s; nothing was changed",
			                       ref, remote_name, conflicts.ptr);
			goto done;
		}
		if (error < 0)
			goto done;
		if ((error = git_commit_lookup(&oc, repo, &ours)) < 0 ||
		    (error = git_commit_lookup(&tc, repo, theirs)) < 0 ||
		    (error = git_tree_lookup(&tree, repo, &tree_id)) < 0) {
			error = pops_git_error(error, "cannot merge");
			goto done;
		}
		if (!sig && (error = pops_casref_signature(&sig, repo)) < 0)
			goto done;
		pops_buf_clear(&msg);
		pops_buf_printf(&msg, "merge %s from %s\n\nBoth histories are kept: this clone's first, then '%s'.\n",
		                kind == POPS_SYNC__NOTES ? "eval evidence" : "ledger", remote_name,
		                remote_name);
		{
			const git_commit *parents[2] = { oc, tc };

			if ((error = git_commit_create(&merged, repo, NULL, sig, sig, NULL, msg.ptr, tree,
			                               2, parents)) < 0) {
				error = pops_git_error(error, "cannot write the merge commit");
				goto done;
			}
		}
		error = pops_casref_update(repo, ref, &merged, &ours, "pops pull: merge");
		if (error == 0)
			error = add_ref(r, ref, POPS_SYNC_MERGED, &ours, &merged);
		if (error != POPS_EMODIFIED)
			goto done;
		pops_casref_backoff(attempt);
	}
	error = pops_error_set(POPS_EMODIFIED, "%s kept changing; try again", ref);
done:
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(tc);
	git_commit_free(oc);
	pops_buf_dispose(&msg);
	pops_buf_dispose(&conflicts);
	return error;
}

struct notes_check {
	git_repository *repo;
	int bad;
	pops_buf what;
};

/* a notes tree holds hex-named blobs (maybe in two-hex fan-out directories) of pops JSON */
static int notes_cb(const char *root, const git_tree_entry *te, void *payload)
{
	struct notes_check *nc = payload;
	const char *name = git_tree_entry_name(te);
	git_blob *blob = NULL;
	cJSON *doc = NULL;
	size_t i, len = strlen(name);

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)name[i]))
			break;
	if (i < len || !len || len > GIT_OID_HEXSZ)
		goto bad;
	if (git_tree_entry_filemode(te) == GIT_FILEMODE_TREE)
		return len == 2 ? 0 : (nc->bad = 1, pops_buf_printf(&nc->what, "%s%s", root, name), -1);
	{
		/* the fan-out directories and the name spell one object id */
		size_t hex = len;
		const char *p;

		for (p = root; *p; p++)
			hex += *p != '/';
		if (hex != GIT_OID_HEXSZ)
			goto bad;
	}
	if (git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB ||
	    git_blob_lookup(&blob, nc->repo, git_tree_entry_id(te)) < 0)
		goto bad;
	doc = (size_t)git_blob_rawsize(blob) <= POPS_NOTE_MAX_BYTES ?
	      cJSON_ParseWithLength(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) : NULL;
	git_blob_free(blob);
	if (!cJSON_IsObject(doc) ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "results"))) {
		cJSON_Delete(doc);
		goto bad;
	}
	cJSON_Delete(doc);
	return 0;
bad:
	git_error_clear();
	nc->bad = 1;
	pops_buf_printf(&nc->what, "%s%s", root, name);
	return -1;
}

/*
 * What a remote sends is untrusted: a ledger must read as pops wrote it
 * (every entry validated by lib/release), and evidence notes must be pops
 * JSON, before any local ref moves.
 */
static int check_incoming(git_repository *repo, const char *ref, const git_oid *id,
                          const char *remote_name)
{
	pops_release_list l = { NULL, 0 };
	struct notes_check nc = { repo, 0, POPS_BUF_INIT };
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int error = POPS_OK;

	if (!strcmp(ref, POPS_RELEASE_REF)) {
		if ((error = pops_release_list_entries(&l, repo, id, NULL)) < 0)
			error = pops_error_prefix(POPS_ERROR, "'%s' sent a bad %s, nothing was changed: ",
			                          remote_name, ref);
		pops_release_list_dispose(&l);
		return error;
	}
	if (strcmp(ref, POPS_EVIDENCE_REF))
		return POPS_OK;
	if (git_commit_lookup(&c, repo, id) < 0 || git_commit_tree(&tree, c) < 0) {
		error = pops_error_set(POPS_ERROR, "'%s' sent a bad %s (not a notes commit), nothing "
		                       "was changed", remote_name, ref);
		goto done;
	}
	git_tree_walk(tree, GIT_TREEWALK_PRE, notes_cb, &nc);
	if (nc.bad)
		error = pops_error_set(POPS_ERROR, "'%s' sent a bad %s: entry '%s' is not a pops note; "
		                       "nothing was changed", remote_name, ref, nc.what.ptr);
done:
	pops_buf_dispose(&nc.what);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

int pops_sync_pull(pops_sync_result *out, git_repository *repo, const char *remote_name)
{
	git_remote *remote = NULL;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	struct cred_state cs = { 0, POPS_BUF_INIT };
	pops_buf key = POPS_BUF_INIT, s1 = POPS_BUF_INIT, s2 = POPS_BUF_INIT, glob = POPS_BUF_INIT,
	         local = POPS_BUF_INIT;
	char *specv[2];
	git_strarray specs = { specv, 2 };
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	size_t prefix_len;
	int error;

	if ((error = sync_start(out, &remote, repo, &remote_name)) < 0)
		goto done;
	remote_key(&key, remote_name);
	pops_buf_printf(&s1, "+refs/pops/*:refs/pops-remote/%s/pops/*", key.ptr);
	pops_buf_printf(&s2, "+refs/notes/pops*:refs/pops-remote/%s/notes/pops*", key.ptr);
	pops_buf_printf(&glob, "refs/pops-remote/%s/*", key.ptr);
	if (pops_buf_oom(&s1) || pops_buf_oom(&s2) || pops_buf_oom(&glob)) {
		error = pops_error_oom();
		goto done;
	}
	specv[0] = s1.ptr;
	specv[1] = s2.ptr;
	fo.callbacks.credentials = cred_cb;
	fo.callbacks.payload = &cs;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	if ((error = git_remote_fetch(remote, &specs, &fo, "pops pull")) < 0) {
		error = net_error(error, "fetch from", remote_name);
		goto done;
	}
	prefix_len = glob.size - 1;
	/* first check everything that came, then move refs: all or nothing */
	if ((error = git_reference_iterator_glob_new(&it, repo, glob.ptr)) < 0) {
		error = pops_git_error(error, "cannot list fetched refs");
		goto done;
	}
	while ((error = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref);

		pops_buf_clear(&local);
		pops_buf_printf(&local, "refs/%s", git_reference_name(ref) + prefix_len);
		if (id && (error = check_incoming(repo, local.ptr, id, remote_name)) < 0) {
			git_reference_free(ref);
			goto done;
		}
		git_reference_free(ref);
	}
	if (error != GIT_ITEROVER) {
		error = pops_git_error(error, "cannot list fetched refs");
		goto done;
	}
	git_reference_iterator_free(it);
	it = NULL;
	if ((error = git_reference_iterator_glob_new(&it, repo, glob.ptr)) < 0) {
		error = pops_git_error(error, "cannot list fetched refs");
		goto done;
	}
	while ((error = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *id = git_reference_target(ref);

		pops_buf_clear(&local);
		pops_buf_printf(&local, "refs/%s", name + prefix_len);
		if (id && (error = integrate(out, repo, local.ptr, id, remote_name)) < 0) {
			git_reference_free(ref);
			goto done;
		}
		git_reference_free(ref);
	}
	error = error == GIT_ITEROVER ? POPS_OK : pops_git_error(error, "cannot list fetched refs");
done:
	git_reference_iterator_free(it);
	pops_buf_dispose(&local);
	pops_buf_dispose(&glob);
	pops_buf_dispose(&s2);
	pops_buf_dispose(&s1);
	pops_buf_dispose(&key);
	pops_buf_dispose(&cs.rejected);
	git_remote_free(remote);
	return error;
}

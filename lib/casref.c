#include "common.h"
#include "casref.h"
#include "git.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int pops_casref_update(git_repository *repo, const char *refname,
                       const git_oid *id, const git_oid *expected,
                       const char *log_message)
{
	git_reference *ref = NULL;
	int error;

	git_oid zero;

	/*
	 * libgit2 checks current_id under the ref's lock. "Must not exist" is
	 * the zero id: force=0 alone is checked before the lock is taken, so
	 * two creators could both pass it and the second would overwrite the
	 * first. A held lock means another writer is mid-update: same answer.
	 */
	memset(&zero, 0, sizeof(zero));
	error = git_reference_create_matching(&ref, repo, refname, id, 1,
	                                      expected ? expected : &zero, log_message);
	git_reference_free(ref);
	if (error == GIT_EMODIFIED || error == GIT_ELOCKED || error == GIT_EEXISTS ||
	    (error == GIT_ENOTFOUND && expected))
		return pops_error_set(POPS_EMODIFIED, "'%s' was updated concurrently", refname);
	if (error < 0)
		return pops_git_error(error, refname);
	return POPS_OK;
}

int pops_casref_read(git_oid *out, git_repository *repo, const char *refname)
{
	int error = git_reference_name_to_id(out, repo, refname);

	if (error == GIT_ENOTFOUND)
		return pops_error_set(POPS_ENOTFOUND, "no ref '%s'", refname);
	if (error < 0)
		return pops_git_error(error, refname);
	return POPS_OK;
}

/* GIT_<who>_DATE in git's internal format: "@<epoch> <+hhmm>" or "<epoch> <+hhmm>" */
static int parse_date(git_time_t *t_out, int *tz_out, const char *who, const char *date)
{
	const char *p = date + (*date == '@');
	long long t;
	char *end;
	int sign;

	errno = 0;
	t = strtoll(p, &end, 10);
	if (end == p || errno)
		return pops_error_set(POPS_EINVALID, "GIT_%s_DATE: use '@<seconds> <+hhmm>' "
		                      "('%s' is not supported)", who, date);
	while (*end == ' ')
		end++;
	*tz_out = 0;
	if (*end == '+' || *end == '-') {
		long hhmm;

		sign = *end == '-' ? -1 : 1;
		hhmm = strtol(end + 1, NULL, 10);
		*tz_out = sign * (int)((hhmm / 100) * 60 + hhmm % 100);
	}
	*t_out = (git_time_t)t;
	return POPS_OK;
}

int pops_git_signature(git_signature **out, git_repository *repo, const char *who)
{
	git_signature *def = NULL;
	pops_buf var = POPS_BUF_INIT;
	const char *name, *email, *date;
	git_time_t t = 0;
	int tz = 0, error = 0;

	*out = NULL;
	pops_buf_printf(&var, "GIT_%s_NAME", who);
	name = getenv(var.ptr);
	pops_buf_clear(&var);
	pops_buf_printf(&var, "GIT_%s_EMAIL", who);
	email = getenv(var.ptr);
	pops_buf_clear(&var);
	pops_buf_printf(&var, "GIT_%s_DATE", who);
	date = getenv(var.ptr);
	if (pops_buf_oom(&var)) {
		error = pops_error_oom();
		goto done;
	}
	if (!name || !*name || !email || !*email) {
		/* no identity in config (CI) must not stop pops recording a release */
		if (repo && git_signature_default(&def, repo) == 0) {
			if (!name || !*name)
				name = def->name;
			if (!email || !*email)
				email = def->email;
		}
		if (!name || !*name)
			name = "pops";
		if (!email || !*email)
			email = "pops@localhost";
	}
	if (date && *date) {
		if ((error = parse_date(&t, &tz, who, date)) < 0)
			goto done;
		error = git_signature_new(out, name, email, t, tz);
	} else {
		error = git_signature_now(out, name, email);
	}
	if (error < 0)
		error = pops_git_error(error, "invalid author or committer");
done:
	git_signature_free(def);
	pops_buf_dispose(&var);
	return error;
}

int pops_casref_signature(git_signature **out, git_repository *repo)
{
	return pops_git_signature(out, repo, "AUTHOR");
}

void pops_casref_backoff(unsigned attempt)
{
	struct timespec ts;
	long ms = (long)(POPS_CAS_BACKOFF_MS << (attempt < 6 ? attempt : 6));

	/* jitter from the pid and the clock: no shared random state needed */
	ms += (long)((unsigned)getpid() * 7919u + (unsigned)clock()) % (ms + 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pops_casref_retry_init(pops_casref_retry *r)
{
	struct timespec ts;

	memset(r, 0, sizeof(*r));
	r->start_ms = now_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	/* differs between processes started at the same moment */
	r->seed = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec;
}

int pops_casref_retry_again(pops_casref_retry *r, git_repository *repo, const char *refname)
{
	struct timespec ts;
	git_oid now;
	long cap, ms;

	r->attempts++;
	if (git_reference_name_to_id(&now, repo, refname) == 0 &&
	    (!r->have_last || !git_oid_equal(&now, &r->last))) {
		r->last = now;
		r->have_last = 1;
		r->stalled = 0;   /* someone got through: contention, not a stuck ref */
	} else if (++r->stalled >= POPS_CAS_MAX_ATTEMPTS) {
		return 0;
	}
	if (now_ms() - r->start_ms > POPS_CAS_RETRY_MS)
		return 0;
	cap = (long)POPS_CAS_BACKOFF_MS << (r->attempts < 6 ? r->attempts : 6);
	if (cap > POPS_CAS_RETRY_MAX_SLEEP_MS)
		cap = POPS_CAS_RETRY_MAX_SLEEP_MS;
	ms = 1 + (long)(rand_r(&r->seed) % (unsigned)cap);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	return 1;
}
/* the lock file held for `refname` (its own, or packed-refs'), if any */
static int find_lock(pops_buf *out, struct stat *st, git_repository *repo, const char *refname)
{
	const char *dir = git_repository_commondir(repo);

	pops_buf_clear(out);
	pops_buf_printf(out, "%s%s.lock", dir, refname);
	if (!pops_buf_oom(out) && stat(out->ptr, st) == 0)
		return 1;
	pops_buf_clear(out);
	pops_buf_printf(out, "%spacked-refs.lock", dir);
	return !pops_buf_oom(out) && stat(out->ptr, st) == 0;
}

int pops_casref_wait(git_repository *repo, const char *refname, unsigned attempt)
{
	pops_buf lock = POPS_BUF_INIT;
	struct stat st;
	int stale;

	/* a live writer holds a ref lock for milliseconds */
	stale = find_lock(&lock, &st, repo, refname) &&
	        time(NULL) - st.st_mtime > POPS_CAS_STALE_LOCK_S;
	pops_buf_dispose(&lock);
	if (stale)
		return 0;
	pops_casref_backoff(attempt);
	return 1;
}

int pops_casref_gave_up(git_repository *repo, const char *refname, int attempts)
{
	pops_buf lock = POPS_BUF_INIT;
	struct stat st;
	int error;

	if (find_lock(&lock, &st, repo, refname))
		error = pops_error_set(POPS_EMODIFIED, "%s is locked by %s (left by a killed "
		                       "process?); if no other pops or git command is running, "
		                       "remove that file and try again", refname, lock.ptr);
	else
		error = pops_error_set(POPS_EMODIFIED, "gave up after %d concurrent updates of %s; "
		                       "try again", attempts, refname);
	pops_buf_dispose(&lock);
	return error;
}

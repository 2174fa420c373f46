#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "batch_state.h"
#include "fileio.h"
#include "jsonget.h"
#include "strutil.h"

/* the state file is small (one entry per batch); anything bigger is not ours */
#define STATE_MAX (64u * 1024 * 1024)

/* how long a change waits for another pops holding the lock (POPS_BATCH_LOCK_MS overrides) */
#define LOCK_WAIT_MS 30000

char *pops_batch_state_path(const char *root)
{
	pops_buf b = POPS_BUF_INIT;

	pops_path_join(&b, root, ".pops/batches.json");
	return pops_buf_detach(&b);
}

static int bad_state(const char *path)
{
	return pops_error_set(POPS_EINVALID,
	                      "%s: not a pops batch state file (remove it to forget the batches it lists)",
	                      path);
}

static int make_parent(const char *path)
{
	pops_buf dir = POPS_BUF_INIT;
	char *slash;
	int error = 0;

	pops_buf_puts(&dir, path);
	POPS_CHECK_ALLOC(dir.ptr);
	if ((slash = strrchr(dir.ptr, '/')) && slash != dir.ptr) {
		*slash = '\0';
		error = pops_mkdir_p(dir.ptr, 0777);
	}
	pops_buf_dispose(&dir);
	return error;
}

static long lock_wait_ms(void)
{
	const char *v = getenv("POPS_BATCH_LOCK_MS");
	char *end;
	long ms;

	if (!v || !*v)
		return LOCK_WAIT_MS;
	ms = strtol(v, &end, 10);
	return *end || ms < 0 ? LOCK_WAIT_MS : ms;
}

/* the lock is held too long: name the file and, when it says, the holder's pid */
static int lock_busy(int fd, const char *lock, long ms)
{
	char pid[32];
	ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

	while (n > 0 && (pid[n - 1] == '\n' || pid[n - 1] == ' '))
		n--;
	pid[n > 0 ? n : 0] = '\0';
	close(fd);
	return pops_error_set(POPS_ERROR,
	                      "%s: held by %s%s for over %ld ms (another `pops eval run --batch` "
	                      "in this repository?); wait for it to finish, or remove the file if "
	                      "no pops is running", lock, *pid ? "pid " : "another process",
	                      pid, ms);
}

/*
 * Take the advisory lock of the state file (flock on <path>.lock, which
 * then holds our pid): every read-modify-write of the state is done
 * under it, so that parallel runs in one repository lose no entry.
 * Waits up to lock_wait_ms(). The fd (>= 0, closing it unlocks),
 * POPS_ERROR naming the lock file and its holder, POPS_ERROR.
 */
static int state_lock(const char *path)
{
	pops_buf lock = POPS_BUF_INIT;
	long waited = 0, limit = lock_wait_ms();
	char pid[32];
	int fd, error, n;

	if ((error = make_parent(path)) < 0)
		return error;
	pops_buf_printf(&lock, "%s.lock", path);
	POPS_CHECK_ALLOC(lock.ptr);
	if ((fd = open(lock.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		error = pops_error_set(POPS_ERROR, "%s: %s", lock.ptr, strerror(errno));
		pops_buf_dispose(&lock);
		return error;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= limit) {
			error = errno == EWOULDBLOCK ? lock_busy(fd, lock.ptr, limit) :
			        (close(fd), pops_error_set(POPS_ERROR, "%s: %s", lock.ptr, strerror(errno)));
			pops_buf_dispose(&lock);
			return error;
		}
		nanosleep(&ts, NULL);
		waited += 20;
	}
	pops_buf_dispose(&lock);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* the pid is only for the message of a waiter: failing to write it is harmless */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) != n)
		(void)0;
	return fd;
}

static void state_unlock(int fd)
{
	if (fd >= 0 && ftruncate(fd, 0) == 0)
		(void)0;
	if (fd >= 0)
		close(fd);
}

int pops_batch_state_load(cJSON **out, const char *path)
{
	pops_buf text = POPS_BUF_INIT;
	cJSON *doc;
	int error;

	*out = NULL;
	error = pops_file_read_regular(&text, path, STATE_MAX);
	if (error == POPS_ENOTFOUND) {
		pops_error_clear();
		pops_buf_dispose(&text);
		if (!(doc = cJSON_CreateObject()) || !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
		    !cJSON_AddArrayToObject(doc, "batches")) {
			cJSON_Delete(doc);
			return pops_error_oom();
		}
		*out = doc;
		return 0;
	}
	if (error < 0) {
		pops_buf_dispose(&text);
		return error;
	}
	doc = cJSON_ParseWithLength(text.ptr, text.size);
	pops_buf_dispose(&text);
	if (!cJSON_IsObject(doc) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "batches"))) {
		cJSON_Delete(doc);
		return bad_state(path);
	}
	*out = doc;
	return 0;
}

int pops_batch_state_save(const char *path, const cJSON *state)
{
	char *text = cJSON_Print(state);
	int error;

	POPS_CHECK_ALLOC(text);
	if ((error = make_parent(path)) < 0) {
		cJSON_free(text);
		return error;
	}
	error = pops_file_write_atomic(path, text, strlen(text), 0600);
	cJSON_free(text);
	return error;
}

/* the entry could not be recorded: say which batch, the provider has it */
static int not_recorded(int error, const cJSON *entry)
{
	char *why = pops_strdup(pops_error_last());

	POPS_CHECK_ALLOC(why);
	error = pops_error_set(error, "%s; batch '%s' of provider '%s' is submitted but not recorded "
	                       "(a rerun would submit it again: cancel it with the provider)", why,
	                       pops_json_str(entry, "id", ""), pops_json_str(entry, "provider", ""));
	free(why);
	return error;
}

int pops_batch_state_add(const char *path, const cJSON *entry)
{
	cJSON *state = NULL, *copy;
	int error, fd;

	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(entry, "id")) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(entry, "provider")))
		return pops_error_set(POPS_EINVALID, "a batch entry needs an id and a provider");
	if ((fd = state_lock(path)) < 0)
		return not_recorded(fd, entry);
	if ((error = pops_batch_state_load(&state, path)) < 0) {
		state_unlock(fd);
		return error;
	}
	if (!(copy = cJSON_Duplicate(entry, 1)) ||
	    !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(state, "batches"), copy)) {
		cJSON_Delete(copy);
		error = pops_error_oom();
	} else {
		error = pops_batch_state_save(path, state);
	}
	cJSON_Delete(state);
	state_unlock(fd);
	return error;
}

const cJSON *pops_batch_state_find(const cJSON *state, const char *id)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(state, "batches"))
		if (!strcmp(pops_json_str(e, "id", ""), id))
			return e;
	return NULL;
}

static int set_field(cJSON *e, const char *key, cJSON *v)
{
	if (!v)
		return pops_error_oom();
	if (cJSON_GetObjectItemCaseSensitive(e, key))
		cJSON_ReplaceItemInObjectCaseSensitive(e, key, v);
	else
		cJSON_AddItemToObject(e, key, v);
	return 0;
}

int pops_batch_state_update(const char *path, const char *provider, const char *id,
                            const char *status, int collected)
{
	cJSON *state = NULL, *e;
	int error, found = 0, fd;

	if ((fd = state_lock(path)) < 0)
		return fd;
	if ((error = pops_batch_state_load(&state, path)) < 0) {
		state_unlock(fd);
		return error;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(state, "batches")) {
		if (strcmp(pops_json_str(e, "id", ""), id) ||
		    strcmp(pops_json_str(e, "provider", ""), provider))
			continue;
		found = 1;
		if (status && (error = set_field(e, "status", cJSON_CreateString(status))) < 0)
			break;
		if (collected && (error = set_field(e, "collected", cJSON_CreateTrue())) < 0)
			break;
	}
	if (!error && !found)
		error = pops_error_set(POPS_ENOTFOUND, "%s: no batch '%s' of provider '%s'", path, id,
		                       provider);
	if (!error)
		error = pops_batch_state_save(path, state);
	cJSON_Delete(state);
	state_unlock(fd);
	return error;
}

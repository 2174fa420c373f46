#include "common.h"
#include "git.h"

#include <dlfcn.h>
#include <git2.h>
#include <pthread.h>

/*
 * Deferred CA certificates.
 *
 * Debian's libgit2 1.5 uses mbedTLS, and its git_libgit2_init() parses
 * the whole system CA bundle (/etc/ssl/certs/ca-certificates.crt, ~140
 * certificates): about 6 ms of base64 and X.509 decoding in every pops
 * process, twice what `pops prompt show` needs for everything else. Only
 * push and pull over https ever use those certificates.
 *
 * So pops defines the two mbedTLS loaders libgit2 calls. The dynamic
 * linker binds libgit2's references to the executable's definitions
 * first (symbol interposition, the mechanism LD_PRELOAD uses). While
 * loading is deferred they only record the locations; the first remote
 * operation calls pops_git_load_certificates(), which hands the same
 * locations to libgit2 (GIT_OPT_SET_SSL_CERT_LOCATIONS) with deferral
 * off, so the real loaders run. A libgit2 built with OpenSSL never calls
 * these and behaves as before.
 */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_path(void *chain, const char *path);

typedef int (*crt_loader)(void *chain, const char *path);

typedef struct cert_state {
	pthread_mutex_t lock;
	int deferring;      /* record instead of loading */
	char *file, *dir;   /* locations libgit2 asked for */
} cert_state;

static cert_state certs = { PTHREAD_MUTEX_INITIALIZER, 1, NULL, NULL };

static void remember(char **slot, const char *path)
{
	pthread_mutex_lock(&certs.lock);
	free(*slot);
	*slot = path ? strdup(path) : NULL;
	pthread_mutex_unlock(&certs.lock);
}

/* the definition this one interposes: the next in the linker's order */
static int forward(const char *name, void *chain, const char *path)
{
	void *sym = dlsym(RTLD_NEXT, name);
	crt_loader real;

	if (!sym)
		return -1;
	memcpy(&real, &sym, sizeof(real));
	return real(chain, path);
}

int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	if (__atomic_load_n(&certs.deferring, __ATOMIC_ACQUIRE)) {
		remember(&certs.file, path);
		return 0;
	}
	return forward("mbedtls_x509_crt_parse_file", chain, path);
}

int mbedtls_x509_crt_parse_path(void *chain, const char *path)
{
	if (__atomic_load_n(&certs.deferring, __ATOMIC_ACQUIRE)) {
		remember(&certs.dir, path);
		return 0;
	}
	return forward("mbedtls_x509_crt_parse_path", chain, path);
}

int pops_git_init(void)
{
	if (git_libgit2_init() < 0)
		return pops_git_error(-1, "cannot initialise libgit2");
	return POPS_OK;
}

void pops_git_shutdown(void)
{
	git_libgit2_shutdown();
}

int pops_git_certificates_pending(void)
{
	int pending;

	pthread_mutex_lock(&certs.lock);
	pending = certs.file || certs.dir;
	pthread_mutex_unlock(&certs.lock);
	return pending;
}

int pops_git_load_certificates(void)
{
	char *file, *dir;
	int error = POPS_OK;

	pthread_mutex_lock(&certs.lock);
	__atomic_store_n(&certs.deferring, 0, __ATOMIC_RELEASE);
	file = certs.file;
	dir = certs.dir;
	certs.file = certs.dir = NULL;
	pthread_mutex_unlock(&certs.lock);
	if ((file || dir) &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir) < 0)
		error = pops_git_error(-1, "cannot load the CA certificates");
	free(file);
	free(dir);
	return error;
}

int (pops_git_error)(int git_code, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown error";
	int code;

	switch (git_code) {
	case GIT_ENOTFOUND: code = POPS_ENOTFOUND; break;
	case GIT_EAMBIGUOUS: code = POPS_EAMBIGUOUS; break;
	case GIT_EMODIFIED:
	case GIT_ELOCKED: code = POPS_EMODIFIED; break;
	case GIT_EEXISTS: code = POPS_EEXISTS; break;
	case GIT_EINVALIDSPEC: code = POPS_EINVALID; break;
	default: code = POPS_ERROR; break;
	}
	return pops_error_set(code, "%s: %s", what, msg);
}

int pops_git_open(git_repository **out, const char *dir)
{
	const char *ceiling = getenv("GIT_CEILING_DIRECTORIES");

	return git_repository_open_ext(out, dir, 0, ceiling && *ceiling ? ceiling : NULL);
}

#include "unit.h"
#include "git.h"

#include <dlfcn.h>
#include <git2.h>

/* libgit2 on this system uses mbedTLS (the deferred loaders apply) */
static int uses_mbedtls(void)
{
	return (git_libgit2_features() & GIT_FEATURE_HTTPS) &&
	       dlsym(RTLD_DEFAULT, "mbedtls_ssl_init") != NULL;
}

TEST(git_certificates_are_loaded_on_demand_then_for_real)
{
	CHECK_INT(pops_git_init(), 0);
	/* whatever ran before, loading settles the state */
	CHECK_INT(pops_git_load_certificates(), 0);
	CHECK_INT(pops_git_certificates_pending(), 0);
	if (uses_mbedtls()) {
		/* no longer deferred: libgit2's location option now reaches
		 * mbedTLS, which refuses a file that does not exist */
		CHECK(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
		                       "/nonexistent/pops-ca.pem", NULL) < 0);
	}
	/* loading again is harmless */
	CHECK_INT(pops_git_load_certificates(), 0);
	pops_git_shutdown();
}

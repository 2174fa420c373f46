#include "common.h"
#include "curlapi.h"

#include <dlfcn.h>
#include <pthread.h>

#define POPS_CURL_SONAME "libcurl.so.4"

/* the loaded table: process-wide, like libcurl's own global state */
static pops_curl_api api;
static pthread_once_t api_once = PTHREAD_ONCE_INIT;
static int api_loaded;
static char api_error[512];

typedef struct entry {
	const char *name;
	size_t offset;  /* of the pointer in pops_curl_api */
} entry;

#define E(field) { "curl_" #field, offsetof(pops_curl_api, field) }
static const entry entries[] = {
	E(global_init), E(global_cleanup),
	E(easy_init), E(easy_cleanup), E(easy_reset), E(easy_setopt), E(easy_getinfo),
	E(easy_strerror),
	E(slist_append), E(slist_free_all),
	E(multi_init), E(multi_cleanup), E(multi_setopt), E(multi_add_handle),
	E(multi_remove_handle), E(multi_perform), E(multi_info_read), E(multi_poll),
	E(multi_wait),
};
#undef E

static void load(void)
{
	void *lib = dlopen(POPS_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!lib) {
		const char *why = dlerror();

		snprintf(api_error, sizeof(api_error), "cannot load %s (%s); install libcurl "
		         "(Debian: apt-get install libcurl4)", POPS_CURL_SONAME, why ? why : "unknown");
		return;
	}
	for (i = 0; i < POPS_ARRAY_SIZE(entries); i++) {
		void *sym = dlsym(lib, entries[i].name);

		if (!sym) {
			snprintf(api_error, sizeof(api_error), "%s has no %s; pops needs libcurl "
			         ">= 7.66", POPS_CURL_SONAME, entries[i].name);
			dlclose(lib);
			return;
		}
		/* POSIX guarantees object and function pointers convert */
		memcpy((char *)&api + entries[i].offset, &sym, sizeof(sym));
	}
	api_loaded = 1;
	/* the library stays loaded until exit: its handles may outlive any caller */
}

const pops_curl_api *pops_curl(void)
{
	pthread_once(&api_once, load);
	if (!api_loaded) {
		pops_error_set(POPS_ERROR, "%s", api_error);
		return NULL;
	}
	return &api;
}

#ifndef POPS_CURLAPI_H
#define POPS_CURLAPI_H

#include <curl/curl.h>

/*
 * libcurl, loaded with dlopen() the first time a command talks to a
 * model. Linking it directly made every pops process resolve libcurl and
 * the ~30 libraries behind it (OpenSSL, Kerberos, LDAP, nghttp2, ...):
 * about 4 ms of dynamic linking per process on the project machine, more
 * than `pops prompt show` needs for its whole job. Only eval, judge and
 * model commands use HTTP, so only they pay for it (git keeps curl out of
 * its main binary, in git-remote-https, for the same reason).
 *
 * The table holds the entry points lib/http uses, with libcurl's own
 * signatures; headers still come from <curl/curl.h> at build time, and
 * the library is the stable ABI soname libcurl.so.4.
 */
typedef struct pops_curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *easy);
	void (*easy_reset)(CURL *easy);
	CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *multi);
	CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
	CURLMcode (*multi_perform)(CURLM *multi, int *running);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
	CURLMcode (*multi_poll)(CURLM *multi, struct curl_waitfd extra[], unsigned n,
	                        int timeout_ms, int *numfds);
	CURLMcode (*multi_wait)(CURLM *multi, struct curl_waitfd extra[], unsigned n,
	                        int timeout_ms, int *numfds);
} pops_curl_api;

/*
 * Load libcurl (once per process; thread-safe) and return its entry
 * points. NULL when it cannot be loaded or lacks an entry point, with a
 * message naming the library, the loader's reason and the package to
 * install. The table stays valid until the process exits.
 */
const pops_curl_api *pops_curl(void);

#endif

/*
 * The floor for bench/http.sh: a bare libcurl multi client (no request
 * building, no parsing, no retries) sending the same N requests at
 * concurrency J, so the engine's overhead can be read side by side with
 * the machine's, in the same run. Prints "wall_s=X".
 *
 *   httpfloor <url> <N> <J> [body]
 *
 * (bench/stream.sh gives a streaming request body.)
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t sink(char *p, size_t s, size_t n, void *d)
{
	(void)p;
	(void)d;
	return s * n;
}

int main(int argc, char **argv)
{
	static const char dflt[] = "{\"model\":\"fake-model-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
	const char *body = argc > 4 ? argv[4] : dflt;
	long n, j, started = 0, finished = 0, i;
	CURLM *m;
	CURL **h;
	struct curl_slist *hd = NULL;
	struct timespec t0, t1;

	if (argc < 4)
		return 2;
	n = strtol(argv[2], NULL, 10);
	j = strtol(argv[3], NULL, 10);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, j);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	h = calloc((size_t)j, sizeof(*h));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < j && started < n; i++, started++) {
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_URL, argv[1]);
		curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, sink);
		curl_multi_add_handle(m, h[i]);
	}
	while (finished < n) {
		int running, left;
		CURLMsg *msg;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			finished++;
			curl_multi_remove_handle(m, msg->easy_handle);
			if (started < n) {
				started++;
				curl_multi_add_handle(m, msg->easy_handle);
			}
		}
		if (finished < n)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("wall_s=%.3f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < j; i++)
		if (h[i])
			curl_easy_cleanup(h[i]);
	free(h);
	curl_slist_free_all(hd);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return 0;
}

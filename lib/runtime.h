#ifndef POPS_RUNTIME_INT_H
#define POPS_RUNTIME_INT_H

/*
 * The runtime library's insides (the public API is include/pops/runtime.h,
 * pops-runtime(3)). A bundle (`pops export` directory) is loaded whole
 * into a pops_rt_bundle: every prompt of its manifest, each side of a
 * rollout parsed and compiled once with the same promptfile/template
 * code the CLI uses. A bundle is immutable once loaded and reference
 * counted: the runtime holds one reference to its current bundle, every
 * variant handed out holds one more, so a reload swaps the pointer and
 * the old bundle goes when its last variant is released.
 *
 * lib/runtime_load.c reads a bundle (manifest, files, blob ids, parse);
 * lib/runtime.c is the API: open, reload, get, render.
 */

#include <stdatomic.h>
#include <stddef.h>
#include "../include/pops/runtime.h"
#include <cjson/cJSON.h>
#include "promptfile.h"

typedef struct pops_rt_bundle pops_rt_bundle;

/* one side (stable or canary) of one prompt; owned by its bundle */
struct pops_variant {
	pops_rt_bundle *bundle;
	char *name;        /* "support/summarize" */
	long version;      /* 0: unknown */
	const char *side;  /* "stable" or "canary" (static strings) */
	char *model_id;    /* or NULL */
	char *model_json;  /* the manifest's model object, unformatted */
	char *served;      /* "NAME@N:ENV" ... (include/pops/runtime.h) */
	pops_prompt *prompt;
	/*
	 * The render JSON around "messages", printed once at load: what
	 * pops_prompt_result_head gives, formatted as cJSON_Print formats
	 * the whole result, so a render prints only its messages.
	 */
	char *head;
	size_t head_len;
	char *tail;
};

typedef struct pops_rt_prompt {
	struct pops_variant stable;
	struct pops_variant *canary;  /* NULL: no rollout */
	unsigned percent;             /* 1..99 with a canary */
	char salt[17];
} pops_rt_prompt;

struct pops_rt_bundle {
	atomic_long refs;
	char *env;
	pops_rt_prompt *v;  /* sorted by name */
	size_t n;
};

/*
 * Load the bundle in `dir` (one reference, the caller's). Returns 0,
 * POPS_ENOTFOUND (no manifest.json), POPS_EINVALID (a manifest or file
 * that does not load: the message names it), POPS_ERROR.
 */
int pops_rt_bundle_load(pops_rt_bundle **out, const char *dir);

/* Take / drop a reference; the last drop frees the bundle. NULL is fine. */
void pops_rt_bundle_ref(pops_rt_bundle *b);
void pops_rt_bundle_unref(pops_rt_bundle *b);

/* The prompt called `name`, or NULL. */
const pops_rt_prompt *pops_rt_bundle_find(const pops_rt_bundle *b, const char *name);

/*
 * cJSON_ParseWithLength, one thread at a time (cJSON keeps a global error
 * position). On failure *bad (may be NULL) is the byte offset where it
 * stopped.
 */
cJSON *pops_rt_json_parse(const char *data, size_t len, size_t *bad);

#endif

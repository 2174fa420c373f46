#ifndef POPS_RUNTIME_H
#define POPS_RUNTIME_H

/*
 * libpops runtime: serve the prompts a `pops export --env ENV DIR`
 * bundle holds, from an application (pops-runtime(3)).
 *
 *   pops_runtime *rt;
 *   pops_variant *v;
 *   char *json;
 *
 *   if (pops_runtime_open(&rt, "prompts-prod") < 0)
 *           die(pops_runtime_last_error());
 *   if (pops_runtime_get(&v, rt, "support/summarize", user_id) == 0) {
 *           if (pops_variant_render(&json, v, "{\"ticket\":\"...\"}") == 0) {
 *                   send(pops_variant_model_id(v), json);
 *                   log_served(pops_variant_served(v));
 *                   pops_runtime_free(json);
 *           }
 *           pops_variant_release(v);
 *   }
 *   pops_runtime_close(rt);
 *
 * A bundle is loaded whole when it is opened and on every reload: every
 * prompt and partial is parsed and compiled then, so get and render never
 * touch the disk and a bundle that loads serves every prompt it lists.
 *
 * Threads: every function may be called from any thread at once, except
 * that pops_runtime_close must come after every other call on that
 * runtime has returned. A variant is a reference to the bundle it came
 * from: it stays valid (and renders what it rendered before) across a
 * reload, until pops_variant_release.
 *
 * Errors: functions return 0 or a negative code below; the message of
 * the last failure in the calling thread is pops_runtime_last_error().
 * Strings this library returns through an out parameter are freed with
 * pops_runtime_free; const char * results are borrowed from their
 * variant or runtime.
 *
 * The API is stable within a major version (libpops.so.0): functions are
 * only added, never changed or removed.
 */

#ifdef __cplusplus
extern "C" {
#endif

#define POPS_RUNTIME_VERSION_MAJOR 0
#define POPS_RUNTIME_VERSION_MINOR 1

enum {
	POPS_RUNTIME_OK = 0,
	POPS_RUNTIME_ERROR = -1,     /* I/O, out of memory */
	POPS_RUNTIME_ENOTFOUND = -2, /* no such prompt in the bundle, or no bundle */
	POPS_RUNTIME_EINVALID = -6   /* a bundle that does not load, bad variables */
};

typedef struct pops_runtime pops_runtime;
typedef struct pops_variant pops_variant;

/* "0.1.0": the library's version. */
const char *pops_runtime_version(void);

/*
 * Load the bundle in directory `dir` (its manifest.json, every prompt and
 * partial it lists, and any rollout). 0, POPS_RUNTIME_ENOTFOUND (no
 * manifest.json there), POPS_RUNTIME_EINVALID (a file is missing, changed
 * since export, or does not parse: the message names it),
 * POPS_RUNTIME_ERROR.
 */
int pops_runtime_open(pops_runtime **out, const char *dir);

/*
 * Load the bundle's directory again and, only when all of it loads,
 * switch to it atomically: gets already running finish on the old
 * bundle, later ones see the new one. When it fails, the previous bundle
 * stays in service and the error is returned (and kept for
 * pops_runtime_reload_error). Same codes as pops_runtime_open.
 */
int pops_runtime_reload(pops_runtime *rt);

/*
 * The message of the last reload that failed and was not followed by a
 * successful one, or NULL. Borrowed until the next reload.
 */
const char *pops_runtime_reload_error(pops_runtime *rt);

/* Free the runtime. Variants still held stay valid. Accepts NULL. */
void pops_runtime_close(pops_runtime *rt);

/*
 * What to serve for prompt `name` ("support/summarize") to the caller
 * identified by `key` (a user or session id; sticky: the same key gets
 * the same side for as long as the rollout's salt and share stay). With
 * `key` NULL, or when the prompt has no rollout, the stable release.
 * 0 or POPS_RUNTIME_ENOTFOUND.
 */
int pops_runtime_get(pops_variant **out, pops_runtime *rt, const char *name, const char *key);

/* Drop a reference from pops_runtime_get. Accepts NULL. */
void pops_variant_release(pops_variant *v);

const char *pops_variant_name(const pops_variant *v);
long pops_variant_version(const pops_variant *v);      /* 0 when the bundle does not know it */
/* "stable" or "canary" */
const char *pops_variant_side(const pops_variant *v);
/* the provider's model id, or NULL when the prompt names no model */
const char *pops_variant_model_id(const pops_variant *v);
/*
 * The resolved model as JSON text:
 * {"alias","provider","type","id","config":{...}} (fields null when
 * unknown); the config is what pops sends to the provider.
 */
const char *pops_variant_model_json(const pops_variant *v);
/*
 * What to log with each request so production scoring can attribute it:
 * "NAME@N:ENV", or "NAME@N:ENV~canary" / "NAME@N:ENV~stable" while a
 * rollout runs ("NAME:ENV" when the version is unknown).
 */
const char *pops_variant_served(const pops_variant *v);

/*
 * Render the variant with `vars_json` (a JSON object; NULL or "" for
 * none) into `*out`: the JSON text `pops render --json` prints for the
 * same prompt and variables ({"schema_version":1,"name","model",
 * "config","output"?,"messages"}), byte for byte, without the newline
 * the command ends its output with. 0, POPS_RUNTIME_EINVALID (not JSON,
 * not an object, variables that fail the input schema), POPS_RUNTIME_ERROR.
 */
int pops_variant_render(char **out, const pops_variant *v, const char *vars_json);

/*
 * The rollout bucket of `key` for `salt`: the first 8 bytes of
 * SHA-256(salt ":" key) as a big-endian integer, modulo 10000. A key
 * gets the canary when its bucket is below percent * 100.
 */
unsigned pops_runtime_bucket(const char *salt, const char *key);

/* The message of the last failure in this thread ("" when none). */
const char *pops_runtime_last_error(void);

/* Free a string this library returned. Accepts NULL. */
void pops_runtime_free(void *p);

#ifdef __cplusplus
}
#endif

#endif

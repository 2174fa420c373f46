#ifndef POPS_IMPORT_INT_H
#define POPS_IMPORT_INT_H

/* Shared by lib/import*.c; not part of the public interface. */

#include <cjson/cJSON.h>
#include "common.h"
#include "import.h"
#include "yamldoc.h"

/* (re)initialise a buffer inside a calloc'ed struct */
#define POPS_IMPORT_BUF_RESET(b) do { pops_buf init_ = POPS_BUF_INIT; *(b) = init_; } while (0)

/* A new, empty import, or NULL on OOM. */
pops_import *pops_import__new(void);

/* Add a file to the import; its buffer, to fill, or NULL on OOM. */
pops_buf *pops_import__add_file(pops_import *imp, const char *path);

/*
 * Record that pops.yaml needs provider `name` (one pops knows how to
 * reach: openai, anthropic, ollama, github), model alias `alias`
 * (`where` names its source for messages; `fallback`: only if pops.yaml
 * lacks the alias) or environment `env`. Repeats are ignored (the first
 * model of an alias wins). 0 or POPS_ERROR.
 */
int pops_import__need_provider(pops_import *imp, const char *name);
int pops_import__need_model(pops_import *imp, const char *alias, const char *provider,
                            const char *id, const cJSON *config, const char *where,
                            int fallback);
int pops_import__need_env(pops_import *imp, const char *env);

/* Append one line to `unmapped`. 0 or POPS_ERROR. */
int pops_import__note(pops_import *imp, const char *fmt, ...) POPS_PRINTF(2, 3);

/* Append `s` as a JSON string (also a valid YAML double-quoted scalar). */
void pops_import__json_str(pops_buf *out, const char *s);

/* Append `v` as compact JSON (also valid YAML flow). */
void pops_import__json(pops_buf *out, const cJSON *v);

/* ---- promptfoo ---- */

struct pops_import_pf {
	pops_import *imp;
	const pops_import_options *opts;
	pops_yaml_doc *doc;
	const char *cfg;       /* the config path as given, for notes */
	pops_buf dir;          /* its directory */
	pops_buf stem;         /* its file name without extension */
	cJSON *prompts;        /* [{name, body, where}] */
	cJSON *aliases;        /* [{alias, provider, id, config}] */
	const char *judge;     /* alias that grades model-graded assertions */
	cJSON *suite_asserts;  /* from defaultTest */
	cJSON *suite_vars;
	cJSON *rows;           /* dataset rows */
	int used_judge;        /* some assertion became a `judge` */
	int mapping_judge;     /* map_provider is mapping the grader: alias `judge` */
};

/* A note "cfg:line: ..." for `node` (NULL: no line). 0 or POPS_ERROR. */
int pops_import__pf_note(struct pops_import_pf *pf, const cJSON *node,
                         const char *fmt, ...) POPS_PRINTF(3, 4);
#define NOTE(pf, node, ...) pops_import__pf_note(pf, node, __VA_ARGS__)

/* Lower-case [a-z0-9._-] name from `s` into `out`; 0 when nothing is left. */
int pops_import__sanitize(pops_buf *out, const char *s);

/* `s` without a leading "file://". */
const char *pops_import__strip_file(const char *s);

/* Read a file named relative to the config's directory (file:// allowed). */
int pops_import__read_rel(pops_buf *out, struct pops_import_pf *pf, const char *name);

/* tests, defaultTest and assertions -> pf->rows, suite_asserts, suite_vars */
int pops_import__pf_tests(struct pops_import_pf *pf, const cJSON *root);

/* the dataset and one suite per prompt, into pf->imp's files */
int pops_import__pf_write_suites(struct pops_import_pf *pf);

#endif

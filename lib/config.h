#ifndef POPS_CONFIG_H
#define POPS_CONFIG_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "yamldoc.h"

/*
 * pops.yaml: the project file. Loading validates every key (unknown keys
 * and wrong types are errors that name file:line) and cross-references
 * (a model's provider exists, `require.from` names an earlier
 * environment). All strings below are borrowed from the loaded document
 * and live as long as the config.
 */

#define POPS_CONFIG_FILE "pops.yaml"

typedef struct pops_provider_cfg {
	const char *name;
	const char *type;        /* openai, anthropic, ollama, exec, replay */
	const char *base_url;    /* with the type's default filled in; NULL for exec/replay */
	const char *api_key_env; /* name of the variable, never its value; may be NULL */
	const cJSON *node;       /* the whole entry, for type-specific keys */
} pops_provider_cfg;

typedef struct pops_model_cfg {
	const char *alias;
	const char *provider;
	const char *id;
	const cJSON *config;     /* optional default request config, or NULL */
	int allow_floating;
	const cJSON *node;
} pops_model_cfg;

typedef struct pops_price_cfg {
	const char *model_id;
	double input, output;    /* USD per million tokens */
	double cached_input;     /* < 0 when not given: cached tokens cost `input` */
	double cache_write;      /* < 0 when not given: cache writes cost `input` */
	double batch_input;      /* Batch API price; < 0 when not given: half of `input` */
	double batch_output;     /* < 0 when not given: half of `output` */
} pops_price_cfg;

typedef struct pops_env_cfg {
	const char *name;
	const char *from;        /* require.from, or NULL */
	const char **suites;     /* require.suites */
	size_t nsuites;
	double min_pass_rate;    /* < 0 when not given */
	int no_regression;
	int approvals;
	int calibrated_judges;   /* require.calibrated_judges is given */
	double min_kappa;        /* its min_kappa */
	const cJSON *node;
} pops_env_cfg;

typedef struct pops_config {
	char *path;              /* the pops.yaml file */
	char *root;              /* its directory: paths in the file are relative to it */
	const char *prompts_dir; /* relative to root */
	const char *evals_dir;
	const char *embeddings;  /* the default embeddings model alias (`embeddings:`), or NULL */
	pops_provider_cfg *providers;
	size_t nproviders;
	pops_model_cfg *models;
	size_t nmodels;
	pops_price_cfg *prices;
	size_t nprices;
	pops_env_cfg *envs;
	size_t nenvs;
	pops_yaml_doc *doc;      /* owns the tree the strings above point into */
} pops_config;

/*
 * Parse and validate pops.yaml text. `path` is the file's path (used in
 * messages and to set `root`). Returns 0 and a config to free with
 * pops_config_free(), or POPS_EINVALID ("pops.yaml:12: ...").
 */
int pops_config_parse(pops_config **out, const char *data, size_t len,
                      const char *path);

/*
 * Read and parse the file at `path`. POPS_ENOTFOUND when it is missing,
 * POPS_EINVALID when it is invalid, POPS_ERROR when it cannot be read.
 */
int pops_config_load(pops_config **out, const char *path);

/*
 * Find pops.yaml: look in `start` and its parents, but not above `stop`
 * (a repository's work tree; NULL = up to /). On success `out` holds the
 * file's path. POPS_ENOTFOUND when there is none.
 */
int pops_config_find(pops_buf *out, const char *start, const char *stop);

/* Look-ups; NULL when absent. Borrowed from the config. */
const pops_model_cfg *pops_config_model(const pops_config *cfg, const char *alias);
const pops_provider_cfg *pops_config_provider(const pops_config *cfg,
                                              const char *name);
const pops_price_cfg *pops_config_price(const pops_config *cfg,
                                        const char *model_id);

/* The environment named `name` and its position in the order, or NULL. */
const pops_env_cfg *pops_config_env(const pops_config *cfg, const char *name,
                                    size_t *index_out);

/* The default pops.yaml that `pops init` writes, with comments. */
const char *pops_config_template(void);

void pops_config_free(pops_config *cfg);

#endif

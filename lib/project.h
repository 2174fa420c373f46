#ifndef POPS_PROJECT_H
#define POPS_PROJECT_H

/*
 * Creating a pops project (`pops init`).
 */

typedef struct pops_init_options {
	const char *dir;   /* where pops.yaml goes; created if missing */
	int force;         /* overwrite an existing pops.yaml */
} pops_init_options;

#define POPS_INIT_OPTIONS_INIT { ".", 0 }

typedef struct pops_init_result {
	int created_repo;      /* a new git repository was created in dir */
	int replaced_config;   /* an existing pops.yaml was overwritten (force) */
	int updated_gitignore; /* .gitignore was created or gained the cache line */
	int nested;            /* set with POPS_EEXISTS: a project encloses dir */
} pops_init_result;

/*
 * Make `opts->dir` a pops project: a git repository (created when `dir`
 * is not inside one), pops.yaml with commented defaults, the prompts/,
 * evals/ and datasets/ directories, and a .gitignore line for
 * .pops/cache/. Refuses with POPS_EEXISTS, before writing anything, when
 * `force` is off and pops.yaml exists, or a directory above `dir` in the
 * same repository has one (`nested` is then set: `dir` is inside that
 * project). Returns 0, POPS_EEXISTS or POPS_ERROR. Side effects: files and directories under `dir`, possibly
 * a new .git directory.
 */
int pops_project_init(pops_init_result *out, const pops_init_options *opts);

#endif

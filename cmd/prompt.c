#include "common.h"
#include "cmd.h"

/*
 * The `pops prompt` group: subcommands that work on prompt files and
 * their versions. Sorted by name; each team adds its rows here.
 */
const pops_cmd cmd_prompt_subcommands[] = {
	POPS_CMD_ROW("lint", prompt_lint, 0,
	             "Check prompt files: frontmatter, schemas, template syntax, partials"),
	POPS_CMD_END
};

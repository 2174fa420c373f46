#ifndef POPS_PARTIALFILE_H
#define POPS_PARTIALFILE_H

#include <stddef.h>
#include "template.h"

/*
 * Partial files (`_name.prompt`) checked on their own, as `pops prompt
 * lint` does. A partial is its whole file as template text: dotprompt's
 * definePartial takes a string, and Genkit registers every `_x.prompt`
 * of a prompts folder verbatim as partial `x`, frontmatter lines and
 * all. pops renders partials the same way (lib/template compiles the
 * loader's bytes as they are), so a partial is checked as a template,
 * never as a prompt file with frontmatter.
 */

/* 1 when the last component of `path` is a partial file name (`_*.prompt`), else 0 */
int pops_partial_is_file(const char *path);

/*
 * Read the partial file at `path` and compile the whole file as a
 * Handlebars template, with the partials it includes read as
 * pops_prompt_load_file reads a prompt's: from the file's directory,
 * then `prompts_root` (may be NULL). With `confine` (a file found by
 * walking the prompts directory) the file is read with
 * pops_confine_read inside `prompts_root`. `fm_line_out` (may be NULL)
 * gets the line of a `---` that would open frontmatter in a prompt file
 * (pops_prompt_frontmatter_line), 0 when there is none: dotprompt
 * includes those lines as text.
 *
 * Returns 0 and a template freed with pops_template_free();
 * POPS_ENOTFOUND (no such file); POPS_EINVALID "file:line:col: problem"
 * (invalid UTF-8, too large, template syntax, missing partial, a symlink
 * out of the prompts directory); POPS_ERROR. Reads only.
 */
int pops_partial_load_file(pops_template **out, unsigned *fm_line_out, const char *path,
                           const char *prompts_root, int confine);

#endif

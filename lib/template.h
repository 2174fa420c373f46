#ifndef POPS_TEMPLATE_H
#define POPS_TEMPLATE_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "buf.h"

/*
 * The template engine: the Handlebars dialect that dotprompt uses, and
 * Mustache (the official spec) in HTML mode.
 *
 * A template is compiled once into a flat instruction list (text, lookups
 * with pre-split paths, blocks with jump targets, partial calls resolved
 * to compiled units) and rendered many times. Rendering allocates nothing
 * but the growth of the output buffer: the context stack lives in a fixed
 * array and partial hash arguments are evaluated lazily in their caller's
 * frame.
 *
 * Two dialects:
 *  - POPS_TEMPLATE_HANDLEBARS (prompts): no escaping, lookups in the
 *    current context only (`../` to go up), the helpers if, unless, each,
 *    with, lookup and dotprompt's role, json, history, media, section,
 *    ifEquals and unlessEquals. A helper pops does not have is a compile
 *    error when it looks like a misspelling of one of these; otherwise it
 *    is taken to be registered by the application (Genkit apps define
 *    their own): a compile warning, and a render error if it is reached.
 *    A missing partial is a compile error.
 *  - POPS_TEMPLATE_MUSTACHE: HTML-escaping of {{x}}, lookups walk the
 *    context stack, no helpers, a missing partial renders as nothing.
 * Both have sections, inverted sections, comments, partials with
 * standalone-line indentation, `~` whitespace control, delimiter changes
 * and the standalone-line rules.
 */

typedef struct pops_template pops_template;

enum {
	POPS_TEMPLATE_HANDLEBARS = 0,
	POPS_TEMPLATE_MUSTACHE = 1
};

/*
 * Reads the source of partial `name` into `out` (replacing its contents).
 * Returns 0, POPS_ENOTFOUND when there is no such partial, or another
 * POPS_E* code with a message (which compilation propagates).
 */
typedef int (*pops_partial_loader)(void *payload, const char *name, pops_buf *out);

typedef struct pops_template_options {
	int dialect;                /* POPS_TEMPLATE_HANDLEBARS or _MUSTACHE */
	const char *filename;       /* for messages; NULL = "template" */
	unsigned first_line;        /* line (1-based) of the source's first byte */
	unsigned first_col;         /* column of the source's first byte */
	pops_partial_loader load_partial;  /* NULL: no partials exist */
	void *payload;
	const char *partial_dir;    /* messages name partials "<dir>/_<name>.prompt"; NULL: "partial '<name>'" */
} pops_template_options;

#define POPS_TEMPLATE_OPTIONS_INIT { POPS_TEMPLATE_HANDLEBARS, NULL, 1, 1, NULL, NULL, NULL }

/*
 * Compile `len` bytes of template source. Every partial the template
 * (transitively) names is loaded through the loader and compiled now, once
 * per name and indentation. Returns 0 and a template the caller frees with
 * pops_template_free(), or POPS_EINVALID with
 * "file:line:col: problem" (unclosed tag or section, mismatched close,
 * unknown helper, missing partial, too many partials), or the loader's
 * error. `opts` may be NULL for the defaults.
 */
int pops_template_compile(pops_template **out, const char *src, size_t len,
                          const pops_template_options *opts);

/*
 * Render with `input` as the root context (any JSON value; NULL = empty)
 * and `data` as the source of @-variables other than @index, @key,
 * @first, @last and @root (`{{@state.x}}` reads data.state.x; NULL =
 * none). Appends to `out`. Returns 0, or POPS_EINVALID when partial
 * recursion or block nesting exceeds its limit, an application helper
 * (see above) is reached or a {{role}} names no message role (message
 * with file:line:col),
 * or POPS_ERROR when the buffer ran out of memory.
 * Thread-safe: a compiled template is read-only while rendering.
 */
int pops_template_render(const pops_template *t, const cJSON *input,
                         const cJSON *data, pops_buf *out);

/*
 * Where the helpers role, history, section and media put dotprompt's
 * <<<dotprompt:...>>> markers in the output. The marker strings are the
 * reference library's, but only a marker listed here makes message
 * structure: the reference splits the rendered text on the strings, so a
 * variable's value could add a system message or an image. Recording
 * the helpers' output out of band means text from a variable, a {{json}}
 * value, a partial's hash argument or the template's own text is never
 * read as structure, and is passed on unchanged.
 */
enum { POPS_MARK_ROLE, POPS_MARK_HISTORY, POPS_MARK_SECTION, POPS_MARK_MEDIA };

typedef struct pops_template_mark {
	size_t off, len;   /* the marker's bytes in the output buffer */
	int kind;          /* POPS_MARK_* */
} pops_template_mark;

typedef struct pops_template_marks {
	pops_template_mark *v;   /* in output order; they never overlap */
	size_t n, alloc;
} pops_template_marks;

#define POPS_TEMPLATE_MARKS_INIT { NULL, 0, 0 }

void pops_template_marks_dispose(pops_template_marks *m);

/*
 * pops_template_render() that also appends to `marks` (may be NULL) the
 * markers the helpers emit, with offsets into `out`. A {{role}} whose
 * value is not a message role (system, user, model, assistant, tool) is
 * POPS_EINVALID with file:line:col: its marker would otherwise be text
 * that looks like structure.
 */
int pops_template_render_marked(const pops_template *t, const cJSON *input,
                                const cJSON *data, pops_buf *out, pops_template_marks *marks);

/* Compile warnings ("file:line:col: ..."), borrowed from the template. */
size_t pops_template_warning_count(const pops_template *t);
const char *pops_template_warning(const pops_template *t, size_t i);

/*
 * Names of the partials the template uses, in first-use order; a name
 * appears once per distinct standalone indentation. Borrowed.
 */
size_t pops_template_partial_count(const pops_template *t);
const char *pops_template_partial_name(const pops_template *t, size_t i);

/*
 * The variables every render reads: the paths looked up in the input
 * (the root context) outside any block, in the template and in the
 * partials it includes without a context or hash arguments. Inside
 * {{#if}}, {{#unless}}, {{#each}}, {{#with}} or a section a variable may
 * be meant to be absent; outside, a missing one leaves a hole in the
 * prompt. Conservative: lookups through ../ or @root, helper arguments
 * (except {{json x}}) and partials given a context are left out.
 * *out: a new array, one entry per distinct path in first-use order,
 * each an array of segment names (["user","name"] for {{user.name}}).
 * Returns 0 or POPS_ERROR (out of memory).
 */
int pops_template_required_vars(cJSON **out, const pops_template *t);

void pops_template_free(pops_template *t);

/*
 * Append `v` as text the way JavaScript would print it in a template:
 * strings as is, numbers in shortest round-trip form, true/false, null as
 * nothing, arrays joined with ",", objects as "[object Object]".
 */
int pops_template_put_value(pops_buf *out, const cJSON *v);

/*
 * Append JSON.stringify(v, null, indent) (indent 0 = compact). Returns 0
 * or POPS_ERROR (out of memory). Nesting deeper than the YAML depth limit
 * is cut (never deeper than what pops parses).
 */
int pops_json_put(pops_buf *out, const cJSON *v, int indent);

#endif

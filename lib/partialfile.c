#include "common.h"
#include "partialfile.h"
#include "promptfile.h"
#include "confine.h"
#include "fileio.h"
#include "strutil.h"

int pops_partial_is_file(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;

	return base[0] == '_' && strlen(base) > strlen("_.prompt") &&
	       pops_ends_with(base, ".prompt");
}

/* "file:line:col" of byte `bad`, for the UTF-8 error prompt files give too */
static int utf8_error(const char *path, const char *data, size_t bad)
{
	unsigned line = 1;
	size_t ls = 0;

	for (size_t i = 0; i < bad; i++)
		if (data[i] == '\n')
			line++, ls = i + 1;
	return pops_error_set(POPS_EINVALID, "%s:%u:%zu: invalid UTF-8 (byte 0x%02x); save the "
	                      "file as UTF-8", path, line, bad - ls + 1, (unsigned char)data[bad]);
}

int pops_partial_load_file(pops_template **out, unsigned *fm_line_out, const char *path,
                           const char *prompts_root, int confine)
{
	pops_template_options to = POPS_TEMPLATE_OPTIONS_INIT;
	pops_buf data = POPS_BUF_INIT;
	const char *slash = strrchr(path, '/');
	const char *dirs[3];
	pops_prompt_dirs pd;
	char *dir = NULL;
	size_t bad;
	int error;

	*out = NULL;
	if (fm_line_out)
		*fm_line_out = 0;
	/* the directories pops_prompt_load_file searches, so nested partials
	 * resolve as they do when a prompt includes this one */
	if (!(dir = slash ? pops_strndup(path, (size_t)(slash - path)) : pops_strdup("."))) {
		error = pops_error_oom();
		goto done;
	}
	if (!*dir) {
		free(dir);
		if (!(dir = pops_strdup("/"))) {
			error = pops_error_oom();
			goto done;
		}
	}
	dirs[0] = dir;
	dirs[1] = prompts_root && strcmp(prompts_root, dir) ? prompts_root : NULL;
	dirs[2] = NULL;
	pd.dirs = dirs;
	pd.root = prompts_root;
	if (confine && prompts_root)
		error = pops_confine_read(&data, path, prompts_root, path, prompts_root,
		                          POPS_PROMPT_MAX_BYTES);
	else
		error = pops_file_read(&data, path, POPS_PROMPT_MAX_BYTES);
	if (error < 0)
		goto done;
	if (!pops_utf8_valid(data.ptr, data.size, &bad)) {
		error = utf8_error(path, data.ptr, bad);
		goto done;
	}
	if (fm_line_out)
		*fm_line_out = pops_prompt_frontmatter_line(data.ptr, data.size);
	to.filename = path;
	to.load_partial = pops_prompt_dir_loader;
	to.payload = &pd;
	to.partial_dir = slash ? dir : "";
	error = pops_template_compile(out, data.ptr, data.size, &to);
done:
	pops_buf_dispose(&data);
	free(dir);
	return error;
}

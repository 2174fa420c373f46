#include "unit.h"
#include "partialfile.h"
#include "promptfile.h"
#include "fileio.h"

#include <unistd.h>

/* a scratch prompts dir with `name` holding `text`; returns the dir */
static char *scratch_with(char *tmpl, const char *name, const char *text)
{
	char *t = mkdtemp(tmpl);
	pops_buf b = POPS_BUF_INIT;
	int ok;

	if (!t)
		return NULL;
	pops_buf_printf(&b, "%s/%s", t, name);
	ok = pops_file_write_atomic(b.ptr, text, strlen(text), 0644) == 0;
	pops_buf_dispose(&b);
	return ok ? t : NULL;
}

static void rm_scratch(const char *dir, const char *const *names)
{
	pops_buf b = POPS_BUF_INIT;

	for (; *names; names++) {
		pops_buf_clear(&b);
		pops_buf_printf(&b, "%s/%s", dir, *names);
		unlink(b.ptr);
	}
	rmdir(dir);
	pops_buf_dispose(&b);
}

TEST(partial_file_names_start_with_an_underscore)
{
	CHECK_INT(pops_partial_is_file("prompts/_style.prompt"), 1);
	CHECK_INT(pops_partial_is_file("_style.prompt"), 1);
	CHECK_INT(pops_partial_is_file("prompts/team/_x.prompt"), 1);
	CHECK_INT(pops_partial_is_file("prompts/style.prompt"), 0);
	CHECK_INT(pops_partial_is_file("prompts/_dir/style.prompt"), 0);
	CHECK_INT(pops_partial_is_file("prompts/_style.txt"), 0);
	CHECK_INT(pops_partial_is_file("prompts/_.prompt"), 0);
}

TEST(frontmatter_line_follows_the_prompt_file_rule)
{
	CHECK_INT(pops_prompt_frontmatter_line("---\na: 1\n---\nbody", 16), 1);
	CHECK_INT(pops_prompt_frontmatter_line("# c\n\n---\na: 1\n---\n", 19), 3);
	CHECK_INT(pops_prompt_frontmatter_line("--- \r\n---\r\n", 11), 1);
	/* no closing line, or not at the start: text */
	CHECK_INT(pops_prompt_frontmatter_line("---\nno end\n", 11), 0);
	CHECK_INT(pops_prompt_frontmatter_line("text\n---\na: 1\n---\n", 18), 0);
	CHECK_INT(pops_prompt_frontmatter_line("", 0), 0);
}

TEST(partial_with_frontmatter_compiles_whole_and_renders_it_as_text)
{
	char tmpl[] = "/tmp/pops-partialfile-XXXXXX";
	static const char *const names[] = { "_s.prompt", NULL };
	const char *src = "---\nkey: [unclosed\n---\nHi {{who}}\n";
	char *dir = scratch_with(tmpl, "_s.prompt", src);
	pops_template *t = NULL;
	pops_buf path = POPS_BUF_INIT, out = POPS_BUF_INIT;
	cJSON *in = cJSON_Parse("{\"who\":\"Ada\"}");
	unsigned fm = 9;
	int error;

	CHECK(dir && in);
	pops_buf_printf(&path, "%s/_s.prompt", dir);
	error = pops_partial_load_file(&t, &fm, path.ptr, dir, 1);
	if (!error)
		error = pops_template_render(t, in, NULL, &out);
	rm_scratch(dir, names);
	pops_buf_dispose(&path);
	cJSON_Delete(in);
	pops_template_free(t);
	CHECK_INT(error, 0);
	CHECK_INT(fm, 1);
	CHECK_STR(out.ptr, "---\nkey: [unclosed\n---\nHi Ada\n");
	pops_buf_dispose(&out);
}

TEST(partial_including_a_missing_partial_names_file_line_col)
{
	char tmpl[] = "/tmp/pops-partialfile-XXXXXX";
	static const char *const names[] = { "_s.prompt", NULL };
	char *dir = scratch_with(tmpl, "_s.prompt", "one\nand {{> gone}}\n");
	pops_template *t = NULL;
	pops_buf path = POPS_BUF_INIT;
	int error;

	CHECK(dir);
	pops_buf_printf(&path, "%s/_s.prompt", dir);
	error = pops_partial_load_file(&t, NULL, path.ptr, dir, 0);
	rm_scratch(dir, names);
	pops_buf_dispose(&path);
	pops_template_free(t);
	CHECK_INT(error, POPS_EINVALID);
	CHECK_ERR_HAS("_s.prompt:2:5: partial 'gone' not found");
}

TEST(partial_with_invalid_utf8_is_refused_with_its_position)
{
	char tmpl[] = "/tmp/pops-partialfile-XXXXXX";
	static const char *const names[] = { "_s.prompt", NULL };
	char *dir = scratch_with(tmpl, "_s.prompt", "ok\nab\xff\n");
	pops_template *t = NULL;
	pops_buf path = POPS_BUF_INIT;
	int error;

	CHECK(dir);
	pops_buf_printf(&path, "%s/_s.prompt", dir);
	error = pops_partial_load_file(&t, NULL, path.ptr, dir, 0);
	rm_scratch(dir, names);
	pops_buf_dispose(&path);
	CHECK_INT(error, POPS_EINVALID);
	CHECK(t == NULL);
	CHECK_ERR_HAS("_s.prompt:2:3: invalid UTF-8 (byte 0xff)");
}

TEST(missing_partial_file_is_not_found)
{
	pops_template *t = NULL;

	CHECK_INT(pops_partial_load_file(&t, NULL, "/nonexistent-pops/_x.prompt", NULL, 0),
	          POPS_ENOTFOUND);
	CHECK(t == NULL);
}

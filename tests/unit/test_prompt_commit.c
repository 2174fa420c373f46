#include "unit.h"
#include "relfix.h"
#include "prompt_commit.h"
#include "error.h"
#include "strutil.h"
#include "fileio.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void file_at(pops_commit_file *f, const char *name, const char *path, const char *data,
                    int partial)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->path = path;
	f->data = data;
	f->size = strlen(data);
	f->partial = partial;
}

/* the bytes HEAD has at `path`, NULL when there is no such file (caller frees) */
static char *head_file(git_repository *repo, const char *path)
{
	git_object *obj = NULL;
	char spec[256], *out = NULL;

	snprintf(spec, sizeof(spec), "HEAD:%s", path);
	if (git_revparse_single(&obj, repo, spec) == 0 && git_object_type(obj) == GIT_OBJECT_BLOB) {
		const git_blob *b = (const git_blob *)obj;
		size_t n = (size_t)git_blob_rawsize(b);

		out = malloc(n + 1);
		memcpy(out, git_blob_rawcontent(b), n);
		out[n] = '\0';
	}
	git_object_free(obj);
	git_error_clear();
	return out;
}

static void check_head_is(git_repository *repo, const git_oid *id, const char *message,
                          unsigned parents)
{
	git_commit *c = NULL;

	CHECK_INT(git_commit_lookup(&c, repo, id), 0);
	CHECK_STR(git_commit_message(c), message);
	CHECK_INT(git_commit_parentcount(c), parents);
	git_commit_free(c);
	{
		git_oid head;

		CHECK_INT(git_reference_name_to_id(&head, repo, "HEAD"), 0);
		CHECK(!git_oid_cmp(&head, id));
	}
}

TEST(prompt_commit_on_an_unborn_branch_makes_a_root_commit_of_just_those_files)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_commit_file files[2];
	git_index *index = NULL;
	char *index_error = (char *)"unset", *s;
	git_oid id;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	file_at(&files[0], "b", "prompts/b.prompt", "Hello b\n", 0);
	file_at(&files[1], "a", "prompts/a.prompt", "Hello a\n", 0);
	CHECK_INT(pops_prompt_commit(&id, &index_error, repo, files, 2, NULL), 0);
	CHECK(!index_error);
	check_head_is(f.repo, &id, "prompt: add b, a\n", 0);
	CHECK(files[0].is_new && files[1].is_new && files[0].committed);
	CHECK(!files[0].unchanged);
	s = head_file(f.repo, "prompts/a.prompt");
	CHECK_STR(s, "Hello a\n");
	free(s);
	/* the index follows, so git status agrees */
	CHECK_INT(git_repository_index(&index, f.repo), 0);
	CHECK(git_index_get_bypath(index, "prompts/b.prompt", 0) != NULL);
	git_index_free(index);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

TEST(prompt_commit_puts_in_the_files_only_and_partials_only_when_changed)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_commit_file files[4];
	git_index *index = NULL;
	git_oid base, id;
	char *index_error = NULL, *s;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_same.prompt", "same", "p"), 0);
	CHECK_INT(relfix_commit(&f, &base, "prompts/a.prompt", "A1 {{> same}}", "p"), 0);
	/* staged, but not one of the files: it stays staged, out of the commit */
	CHECK_INT(git_repository_index(&index, f.repo), 0);
	CHECK_INT(git_index_add_from_buffer(index, &(git_index_entry){ .mode = GIT_FILEMODE_BLOB,
	                                    .path = "staged.txt" }, "x", 1), 0);
	CHECK_INT(git_index_write(index), 0);
	git_index_free(index);
	file_at(&files[0], "a", "prompts/a.prompt", "A2 {{> same}} {{> style}}", 0);
	file_at(&files[1], "_same", "prompts/_same.prompt", "same", 1);
	file_at(&files[2], "_style", "prompts/_style.prompt", "---\nx: 1\n---\nstyle", 1);
	/* a partial also given as a prompt is committed as that prompt only */
	file_at(&files[3], "_a", "prompts/a.prompt", "not these bytes", 1);
	CHECK_INT(pops_prompt_commit(&id, &index_error, repo, files, 4, NULL), 0);
	CHECK(!index_error);
	check_head_is(f.repo, &id, "prompt: update a, _style\n", 1);
	CHECK(!files[0].is_new && !files[0].unchanged && files[0].committed);
	CHECK(!files[1].committed && !files[1].is_new);
	CHECK(files[2].committed && files[2].is_new);
	CHECK_INT(files[2].frontmatter_line, 1);
	CHECK(!files[3].committed);
	s = head_file(f.repo, "prompts/a.prompt");
	CHECK_STR(s, "A2 {{> same}} {{> style}}");
	free(s);
	CHECK(!head_file(f.repo, "staged.txt"));
	/* the same bytes again: nothing to commit, HEAD stays */
	CHECK_INT(pops_prompt_commit(&base, &index_error, repo, files, 1, NULL), POPS_EREFUSED);
	CHECK_STR(pops_error_last(), "nothing to commit: a is unchanged since the last version");
	CHECK(files[0].unchanged);
	check_head_is(f.repo, &id, "prompt: update a, _style\n", 1);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

TEST(prompt_commit_takes_the_message_and_leaves_a_symlinked_partial_to_git)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_commit_file files[2];
	pops_buf link = POPS_BUF_INIT;
	git_oid id;
	char *index_error = NULL, *s;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "A1", "p"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "shared/tone.prompt", "calm", "p"), 0);
	pops_path_join(&link, f.dir.ptr, "prompts/_tone.prompt");
	CHECK_INT(symlink("../shared/tone.prompt", link.ptr), 0);
	file_at(&files[0], "a", "prompts/a.prompt", "A2 {{> tone}}", 0);
	file_at(&files[1], "_tone", "prompts/_tone.prompt", "calm", 1);
	CHECK_INT(pops_prompt_commit(&id, &index_error, repo, files, 2, "tone it"), 0);
	check_head_is(f.repo, &id, "tone it\n", 1);
	CHECK(files[1].symlink && files[1].symlink_dirty && !files[1].committed);
	CHECK(!head_file(f.repo, "prompts/_tone.prompt"));
	s = head_file(f.repo, "prompts/a.prompt");
	CHECK_STR(s, "A2 {{> tone}}");
	free(s);
	pops_buf_dispose(&link);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

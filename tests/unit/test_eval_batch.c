#define _XOPEN_SOURCE 700
#include "unit.h"
#include "eval_batch.h"
#include "fake_engine.h"
#include "relfix.h"
#include "fileio.h"
#include "strutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

TEST(eval_default_suites_are_the_regular_yaml_files_of_the_evals_dir_sorted)
{
	char dir[] = "/tmp/pops-batch-XXXXXX";
	pops_buf p = POPS_BUF_INIT, want = POPS_BUF_INIT;
	pops_config *cfg = NULL;
	char **v = NULL, **skipped = NULL;
	size_t n = 0, ns = 0;
	static const char yaml[] = "version: 1\nproviders: {}\nmodels: {}\n";

	CHECK(mkdtemp(dir) != NULL);
	pops_path_join(&p, dir, "pops.yaml");
	CHECK_INT(pops_config_parse(&cfg, yaml, strlen(yaml), p.ptr), 0);
	/* no evals directory */
	CHECK_INT(pops_eval_default_suites(&v, &n, &skipped, &ns, cfg), POPS_ENOTFOUND);
	CHECK_STR(pops_error_last(), "no suites: the evals directory 'evals' does not exist");
	CHECK(!v && !n && !skipped && !ns);
	pops_buf_clear(&p);
	pops_path_join(&p, dir, "evals");
	CHECK_INT(mkdir(p.ptr, 0755), 0);
	CHECK_INT(pops_eval_default_suites(&v, &n, &skipped, &ns, cfg), POPS_ENOTFOUND);
	CHECK_STR(pops_error_last(), "no suites in 'evals'");
	free_list(v, n);
	free_list(skipped, ns);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/evals/b.yaml", dir);
	CHECK_INT(pops_file_write_atomic(p.ptr, "x", 1, 0644), 0);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/evals/a.yml", dir);
	CHECK_INT(pops_file_write_atomic(p.ptr, "x", 1, 0644), 0);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/evals/notes.txt", dir);
	CHECK_INT(pops_file_write_atomic(p.ptr, "x", 1, 0644), 0);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/evals/.hidden.yaml", dir);
	CHECK_INT(pops_file_write_atomic(p.ptr, "x", 1, 0644), 0);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/evals/fifo.yaml", dir);
	CHECK_INT(mkfifo(p.ptr, 0644), 0);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/evals/sub.yaml", dir);
	CHECK_INT(mkdir(p.ptr, 0755), 0);
	CHECK_INT(pops_eval_default_suites(&v, &n, &skipped, &ns, cfg), 0);
	CHECK_INT(n, 2);
	pops_buf_printf(&want, "%s/evals/a.yml", dir);
	CHECK_STR(v[0], want.ptr);
	pops_buf_clear(&want);
	pops_buf_printf(&want, "%s/evals/b.yaml", dir);
	CHECK_STR(v[1], want.ptr);
	/* a FIFO would block the run on its first read: named, not taken */
	CHECK_INT(ns, 2);
	CHECK(has(skipped, ns, "evals/fifo.yaml"));
	CHECK(has(skipped, ns, "evals/sub.yaml"));
	free_list(v, n);
	free_list(skipped, ns);
	pops_config_free(cfg);
	CHECK_INT(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	pops_buf_dispose(&p);
	pops_buf_dispose(&want);
}

TEST(eval_cassette_path_sits_beside_the_suite)
{
	char *c;

	CHECK_STR((c = pops_eval_cassette_path("evals/x.yaml")), "evals/x.cassette.jsonl");
	free(c);
	CHECK_STR((c = pops_eval_cassette_path("x.yml")), "x.cassette.jsonl");
	free(c);
	CHECK_STR((c = pops_eval_cassette_path("x")), "x.cassette.jsonl");
	free(c);
}

struct seen {
	size_t starting, ran, group, planned;
};

static void count_event(void *payload, const pops_eval_event *ev)
{
	struct seen *s = payload;

	switch (ev->kind) {
	case POPS_EVAL_STARTING: s->starting++; break;
	case POPS_EVAL_RAN: s->ran += ev->group != NULL; break;
	case POPS_EVAL_GROUP: s->group++; break;
	case POPS_EVAL_PLANNED: s->planned += ev->plan->cases == 4; break;
	case POPS_EVAL_NOTE: break;
	}
}

static void two_suites(const char *second_dataset)
{
	char *y = fe_suite_text("threshold: 0\nassert:\n  - {type: contains, value: echo}\n");
	pops_buf b = POPS_BUF_INIT;

	fe_put("s1.yaml", y);
	pops_buf_printf(&b, "prompt: \"%s/p.prompt\"\ndataset: %s\nthreshold: 0\n", fe_dir,
	                second_dataset);
	fe_put("s2.yaml", b.ptr);
	pops_buf_dispose(&b);
	free(y);
}

static void batch_of_two(pops_eval_batch_options *bo, const char **suites, pops_buf *p1,
                         pops_buf *p2, struct seen *seen)
{
	memset(bo, 0, sizeof(*bo));
	memset(seen, 0, sizeof(*seen));
	bo->eo = fe_opts();
	pops_path_join(p1, fe_dir, "s1.yaml");
	pops_path_join(p2, fe_dir, "s2.yaml");
	suites[0] = p1->ptr;
	suites[1] = p2->ptr;
	bo->suites = suites;
	bo->nsuites = 2;
	bo->version = "test";
	bo->on_event = count_event;
	bo->payload = seen;
}

TEST(eval_batch_runs_every_suite_and_tells_each_group)
{
	pops_eval_batch_options bo;
	pops_eval_batch b = POPS_EVAL_BATCH_INIT;
	pops_buf p1 = POPS_BUF_INIT, p2 = POPS_BUF_INIT;
	const char *suites[2];
	struct seen seen;

	fe_setup();
	two_suites("d.jsonl");
	batch_of_two(&bo, suites, &p1, &p2, &seen);
	CHECK_INT(pops_eval_batch_run(&b, &bo), 0);
	CHECK_INT(b.n, 2);
	CHECK_INT(seen.starting, 2);
	CHECK_INT(seen.ran, 2);
	CHECK_INT(seen.group, 2);
	CHECK(b.groups[0].summary && b.groups[1].spool && b.evidence[1]);
	/* suites are named relative to the project root */
	CHECK_STR(cJSON_GetObjectItem(b.groups[1].summary, "suite")->valuestring, "s2.yaml");
	CHECK(b.spent > 0);
	CHECK(!b.interrupted && !b.over_budget);
	CHECK(b.budget < 0);
	pops_eval_batch_dispose(&b);
	/* --dry-run: plans, and nothing sent */
	fe_calls = 0;
	bo.dry_run = 1;
	CHECK_INT(pops_eval_batch_run(&b, &bo), 0);
	CHECK_INT(fe_calls, 0);
	CHECK_INT(b.nplans, 2);
	CHECK_INT(seen.planned, 2);
	CHECK_INT(b.total.runs, 2);
	CHECK_INT(b.total.requests, 8);
	CHECK(b.total.cost_usd_est > 0);
	pops_eval_batch_dispose(&b);
	pops_buf_dispose(&p1);
	pops_buf_dispose(&p2);
}

TEST(eval_batch_checks_every_suite_before_the_first_request)
{
	pops_eval_batch_options bo;
	pops_eval_batch b = POPS_EVAL_BATCH_INIT;
	pops_buf p1 = POPS_BUF_INIT, p2 = POPS_BUF_INIT;
	const char *suites[2];
	struct seen seen;

	fe_setup();
	two_suites("missing.jsonl");
	batch_of_two(&bo, suites, &p1, &p2, &seen);
	fe_calls = 0;
	CHECK(pops_eval_batch_run(&b, &bo) < 0);
	CHECK(strstr(pops_error_last(), "missing.jsonl") != NULL);
	CHECK_INT(fe_calls, 0);
	CHECK_INT(b.n, 0);
	CHECK_INT(seen.starting, 0);
	pops_eval_batch_dispose(&b);
	/* a budget over the whole batch: what the first run spent is gone for the second */
	two_suites("d.jsonl");
	bo.eo.max_cost = 0;
	CHECK_INT(pops_eval_batch_run(&b, &bo), 0);
	CHECK(b.over_budget);
	CHECK(b.budget == 0);
	pops_eval_batch_dispose(&b);
	pops_buf_dispose(&p1);
	pops_buf_dispose(&p2);
}

TEST(eval_shard_evidence_names_the_commit_and_every_complete_group)
{
	pops_eval_batch_options bo;
	pops_eval_batch b = POPS_EVAL_BATCH_INIT;
	pops_buf p1 = POPS_BUF_INIT, p2 = POPS_BUF_INIT;
	const char *suites[2];
	struct seen seen;
	relfix f;
	git_oid head;
	char hex[GIT_OID_HEXSZ + 1];
	cJSON *extra = cJSON_CreateObject();

	fe_setup();
	two_suites("d.jsonl");
	batch_of_two(&bo, suites, &p1, &p2, &seen);
	CHECK_INT(pops_eval_batch_run(&b, &bo), 0);
	CHECK_INT(relfix_init(&f), 0);
	/* before the first commit there is nothing a merge could record on */
	CHECK_INT(pops_eval_shard_evidence(extra, f.repo, &b), 0);
	CHECK_INT(cJSON_GetArraySize(extra), 0);
	CHECK_INT(relfix_commit(&f, &head, "a.txt", "a", "one"), 0);
	CHECK_INT(pops_eval_shard_evidence(extra, f.repo, &b), 0);
	git_oid_tostr(hex, sizeof(hex), &head);
	CHECK_STR(cJSON_GetObjectItem(extra, "commit")->valuestring, hex);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(extra, "evidence")), 2);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(extra, "evidence"), 1),
	                              "suite")->valuestring, "s2.yaml");
	cJSON_Delete(extra);
	relfix_dispose(&f);
	pops_eval_batch_dispose(&b);
	pops_buf_dispose(&p1);
	pops_buf_dispose(&p2);
}

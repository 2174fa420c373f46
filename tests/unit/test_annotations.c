#include "unit.h"
#include <unistd.h>
#include "annotations.h"
#include "fileio.h"

/* a group from a summary and spool lines (each a JSON record) */
static void group(pops_report_group *g, const char *summary, const char *const *recs)
{
	g->summary = cJSON_Parse(summary);
	g->spool = tmpfile();
	for (; *recs; recs++)
		fprintf(g->spool, "%s\n", *recs);
}

static void ungroup(pops_report_group *g)
{
	fclose(g->spool);
	cJSON_Delete(g->summary);
}

static const char *const recs[] = {
	"{\"id\":\"ok\",\"repeat\":0,\"status\":\"pass\",\"line\":1,\"asserts\":[]}",
	"{\"id\":\"a,b:c\",\"repeat\":0,\"status\":\"fail\",\"line\":2,\"asserts\":[{\"type\":\"contains\","
	"\"pass\":false,\"reason\":\"100% wrong\\nsecond line\\r\"}]}",
	"{\"id\":\"down\",\"repeat\":0,\"status\":\"error\",\"line\":3,\"error\":\"HTTP 500\",\"asserts\":[]}",
	"{\"id\":\"inl\",\"repeat\":0,\"status\":\"fail\",\"line\":9,\"file\":\"./evals/t.yaml\","
	"\"asserts\":[{\"type\":\"equals\",\"pass\":false,\"reason\":\"no\"}]}",
	NULL
};

TEST(github_escapes_data_and_properties_as_the_actions_toolkit_does)
{
	pops_buf b = POPS_BUF_INIT;

	pops_annotations_github_escape(&b, "a%b\r\nc:d,e", 11, 0);
	CHECK_STR(b.ptr, "a%25b%0D%0Ac:d,e");
	pops_buf_clear(&b);
	pops_annotations_github_escape(&b, "a%b\r\nc:d,e", 11, 1);
	CHECK_STR(b.ptr, "a%25b%0D%0Ac%3Ad%2Ce");
	pops_buf_clear(&b);
	pops_annotations_github_escape(&b, "x\xff", 2, 0);
	CHECK_STR(b.ptr, "x\xef\xbf\xbd");
	pops_buf_dispose(&b);
}

TEST(github_errors_for_failures_first_then_warnings_for_errors_at_the_dataset_line)
{
	pops_report_group g;
	pops_buf b = POPS_BUF_INIT;
	pops_annotations_paths p = { NULL, NULL };

	group(&g, "{\"suite\":\"evals/s.yaml\",\"model\":\"fast\",\"dataset\":\"data/s.jsonl\","
	          "\"repeat\":1}", recs);
	CHECK_INT(pops_annotations_github(&b, &g, 1, &p, 0), 3);
	CHECK_STR(b.ptr,
	          "::error file=data/s.jsonl,line=2,title=evals/s.yaml a%2Cb%3Ac::100%25 wrong%0Asecond line%0D\n"
	          "::error file=evals/t.yaml,line=9,title=evals/s.yaml inl::no\n"
	          "::warning file=data/s.jsonl,line=3,title=evals/s.yaml down::HTTP 500\n");
	ungroup(&g);
	pops_buf_dispose(&b);
}

TEST(github_stops_at_the_limit_with_one_notice_counting_the_rest)
{
	pops_report_group g;
	pops_buf b = POPS_BUF_INIT;
	const char *nl;

	group(&g, "{\"suite\":\"s.yaml\",\"model\":\"m\",\"dataset\":\"d.jsonl\"}", recs);
	CHECK_INT(pops_annotations_github(&b, &g, 1, NULL, 1), 1);
	CHECK(!strncmp(b.ptr, "::error file=d.jsonl,line=2,", 28));
	nl = strchr(b.ptr, '\n');
	CHECK(nl && !strncmp(nl + 1, "::notice title=pops eval::2 more failing or errored cases "
	                     "(1 errored) not annotated", 82));
	CHECK(!strchr(nl + 1, '\n')[1]);
	ungroup(&g);
	pops_buf_dispose(&b);
}

TEST(github_names_the_model_when_two_groups_share_a_suite_and_the_repeat_when_repeated)
{
	pops_report_group g[2];
	pops_buf b = POPS_BUF_INIT;
	static const char *const one[] = {
		"{\"id\":\"c\",\"repeat\":2,\"status\":\"fail\",\"asserts\":[]}", NULL
	};

	group(&g[0], "{\"suite\":\"s.yaml\",\"model\":\"a\",\"dataset\":\"d.csv\",\"repeat\":3}", one);
	group(&g[1], "{\"suite\":\"s.yaml\",\"model\":\"b\",\"dataset\":\"d.csv\",\"repeat\":3}", one);
	CHECK_INT(pops_annotations_github(&b, g, 2, NULL, 0), 2);
	CHECK(strstr(b.ptr, "::error file=d.csv,title=s.yaml c#2::failed [a]\n"));
	CHECK(strstr(b.ptr, "::error file=d.csv,title=s.yaml c#2::failed [b]\n"));
	ungroup(&g[0]);
	ungroup(&g[1]);
	pops_buf_dispose(&b);
}

TEST(location_is_relative_to_the_top_when_the_file_lies_inside)
{
	char dir[] = "/tmp/pops-annot-XXXXXX", *real;
	pops_buf b = POPS_BUF_INIT, path = POPS_BUF_INIT;
	cJSON *s, *rec = cJSON_Parse("{\"line\":7}");
	pops_annotations_paths p;
	unsigned line;

	CHECK(mkdtemp(dir));
	real = realpath(dir, NULL);
	pops_buf_printf(&path, "%s/proj/data", dir);
	CHECK(pops_mkdir_p(path.ptr, 0777) == 0);
	pops_buf_puts(&path, "/x.jsonl");
	CHECK(pops_file_write_atomic(path.ptr, "{}\n", 3, 0666) == 0);
	s = cJSON_Parse("{\"suite\":\"evals/x.yaml\",\"dataset\":\"data/x.jsonl\"}");
	pops_buf_clear(&path);
	pops_buf_printf(&path, "%s/proj", dir);
	p.root = path.ptr;
	p.top = real;
	pops_annotations_location(&b, &line, rec, s, &p);
	CHECK_STR(b.ptr, "proj/data/x.jsonl");
	CHECK_INT(line, 7);
	p.top = "/nowhere";
	pops_annotations_location(&b, &line, rec, s, &p);
	CHECK(strstr(b.ptr, "/proj/data/x.jsonl") && b.ptr[0] == '/');
	pops_buf_clear(&path);
	pops_buf_printf(&path, "%s/proj/data/x.jsonl", dir);
	CHECK(unlink(path.ptr) == 0);
	pops_buf_clear(&path);
	pops_buf_printf(&path, "%s/proj/data", dir);
	CHECK(rmdir(path.ptr) == 0);
	pops_buf_truncate(&path, path.size - 5);
	CHECK(rmdir(path.ptr) == 0 && rmdir(dir) == 0);
	free(real);
	cJSON_Delete(s);
	cJSON_Delete(rec);
	pops_buf_dispose(&b);
	pops_buf_dispose(&path);
}

TEST(gitlab_writes_a_code_quality_array_with_stable_distinct_fingerprints)
{
	pops_report_group g;
	pops_buf doc = POPS_BUF_INIT;
	char path[] = "/tmp/pops-glcq-XXXXXX";
	int fd = mkstemp(path);
	cJSON *arr, *it;
	const char *fp0;

	CHECK(fd >= 0);
	close(fd);
	group(&g, "{\"suite\":\"s.yaml\",\"model\":\"m\",\"dataset\":\"d.jsonl\"}", recs);
	CHECK_INT(pops_annotations_gitlab(path, &g, 1, NULL), 0);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	arr = cJSON_Parse(doc.ptr);
	CHECK(cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == 3);
	it = cJSON_GetArrayItem(arr, 0);
	CHECK_STR(cJSON_GetObjectItem(it, "severity")->valuestring, "major");
	CHECK_STR(cJSON_GetObjectItem(it, "check_name")->valuestring, "pops-eval-fail");
	CHECK(strstr(cJSON_GetObjectItem(it, "description")->valuestring, "100% wrong"));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(it, "location"), "path")->valuestring, "d.jsonl");
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(it, "location"), "lines"),
	                              "begin")->valueint, 2);
	fp0 = cJSON_GetObjectItem(it, "fingerprint")->valuestring;
	CHECK_INT(strlen(fp0), 32);
	CHECK(strcmp(fp0, cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "fingerprint")->valuestring));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "severity")->valuestring, "minor");
	cJSON_Delete(arr);
	/* the same run again: the same fingerprints */
	CHECK_INT(pops_annotations_gitlab(path, &g, 1, NULL), 0);
	pops_buf_clear(&doc);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	arr = cJSON_Parse(doc.ptr);
	CHECK(arr && strlen(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "fingerprint")->valuestring) == 32);
	cJSON_Delete(arr);
	ungroup(&g);
	unlink(path);
	pops_buf_dispose(&doc);
}

TEST(gitlab_with_nothing_failing_writes_an_empty_array_and_refuses_a_bad_path)
{
	pops_report_group g;
	pops_buf doc = POPS_BUF_INIT;
	char path[] = "/tmp/pops-glcq-XXXXXX";
	int fd = mkstemp(path);
	static const char *const none[] = { NULL };

	CHECK(fd >= 0);
	close(fd);
	group(&g, "{\"suite\":\"s.yaml\"}", none);
	CHECK_INT(pops_annotations_gitlab(path, &g, 1, NULL), 0);
	CHECK_INT(pops_file_read(&doc, path, 0), 0);
	CHECK_STR(doc.ptr, "[]\n");
	CHECK(pops_annotations_gitlab("/nonexistent-dir/x.json", &g, 1, NULL) < 0);
	CHECK_ERR_HAS("/nonexistent-dir/x.json");
	ungroup(&g);
	unlink(path);
	pops_buf_dispose(&doc);
}

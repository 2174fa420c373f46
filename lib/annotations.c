#include "common.h"
#include <limits.h>
#include <stdlib.h>
#include "annotations.h"
#include "fileio.h"
#include "jsonget.h"
#include "sha256.h"
#include "strutil.h"

/* a message past this is cut (on a character boundary): GitHub shows a few lines anyway */
#define MSG_MAX 2000

void pops_annotations_github_escape(pops_buf *out, const char *s, size_t len, int property)
{
	pops_buf t = POPS_BUF_INIT;
	size_t i;

	pops_report_utf8_put(&t, s, len);
	for (i = 0; i < t.size; i++) {
		unsigned char c = (unsigned char)t.ptr[i];

		if (c == '%')
			pops_buf_puts(out, "%25");
		else if (c == '\r')
			pops_buf_puts(out, "%0D");
		else if (c == '\n')
			pops_buf_puts(out, "%0A");
		else if (property && c == ':')
			pops_buf_puts(out, "%3A");
		else if (property && c == ',')
			pops_buf_puts(out, "%2C");
		else
			pops_buf_putc(out, c);
	}
	pops_buf_dispose(&t);
}

void pops_annotations_location(pops_buf *out, unsigned *line, const cJSON *rec,
                               const cJSON *summary, const pops_annotations_paths *paths)
{
	const char *file = pops_json_str(rec, "file", NULL);
	const char *dataset = pops_json_str(summary, "dataset", NULL);
	double l = pops_json_num(rec, "line", 0.0);
	pops_buf p = POPS_BUF_INIT;
	char *real = NULL;
	const char *top = paths ? paths->top : NULL;
	size_t toplen = top ? strlen(top) : 0;

	*line = l >= 1 && l <= UINT_MAX ? (unsigned)l : 0;
	if (file) {
		pops_buf_puts(&p, file);
	} else if (dataset) {
		if (dataset[0] != '/' && paths && paths->root && paths->root[0] &&
		    strcmp(paths->root, "."))
			pops_path_join(&p, paths->root, dataset);
		else
			pops_buf_puts(&p, dataset);
	} else {
		/* no dataset: the suite's inline tests */
		pops_buf_puts(&p, pops_json_str(summary, "suite", ""));
	}
	while (toplen > 1 && top[toplen - 1] == '/')
		toplen--;
	pops_buf_clear(out);
	if (top && p.ptr && (real = realpath(p.ptr, NULL)) && !strncmp(real, top, toplen) &&
	    real[toplen] == '/') {
		pops_buf_puts(out, real + toplen + 1);
	} else {
		const char *s = p.ptr ? p.ptr : "";

		while (s[0] == '.' && s[1] == '/')
			s += 2;
		pops_buf_puts(out, s);
	}
	free(real);
	pops_buf_dispose(&p);
}

/* more than one group on this group's suite: the model has to be said */
static int suite_shared(const pops_report_group *g, size_t n, size_t i)
{
	const char *suite = pops_json_str(g[i].summary, "suite", "");

	for (size_t j = 0; j < n; j++)
		if (j != i && !strcmp(pops_json_str(g[j].summary, "suite", ""), suite))
			return 1;
	return 0;
}

/* the case's name in titles: its id, and #repeat when the suite repeats */
static void case_name(pops_buf *b, const cJSON *rec, const cJSON *summary)
{
	pops_buf_puts(b, pops_json_str(rec, "id", ""));
	if (pops_json_num(summary, "repeat", 1.0) > 1)
		pops_buf_printf(b, "#%.0f", pops_json_num(rec, "repeat", 0.0));
}

/* the one-line why, cut at MSG_MAX bytes on a character boundary */
static void why_line(pops_buf *b, const cJSON *rec, const char *model)
{
	size_t more, cut;

	pops_report_why(b, rec, 3, &more);
	if (more)
		pops_buf_printf(b, " (+%zu more)", more);
	if (b->size > MSG_MAX) {
		cut = MSG_MAX;
		while (cut > 0 && ((unsigned char)b->ptr[cut] & 0xc0) == 0x80)
			cut--;
		pops_buf_truncate(b, cut);
		pops_buf_puts(b, "...");
	}
	if (!b->size)
		pops_buf_puts(b, "failed");
	if (model)
		pops_buf_printf(b, " [%s]", model);
}

static void github_one(pops_buf *out, const char *kind, const cJSON *rec, const cJSON *s,
                       const pops_annotations_paths *paths, const char *model)
{
	pops_buf t = POPS_BUF_INIT;
	unsigned line;

	pops_annotations_location(&t, &line, rec, s, paths);
	pops_buf_printf(out, "::%s file=", kind);
	pops_annotations_github_escape(out, t.ptr ? t.ptr : "", t.size, 1);
	if (line)
		pops_buf_printf(out, ",line=%u", line);
	pops_buf_clear(&t);
	pops_buf_printf(&t, "%s ", pops_json_str(s, "suite", ""));
	case_name(&t, rec, s);
	pops_buf_puts(out, ",title=");
	pops_annotations_github_escape(out, t.ptr, t.size, 1);
	pops_buf_puts(out, "::");
	pops_buf_clear(&t);
	why_line(&t, rec, model);
	pops_annotations_github_escape(out, t.ptr, t.size, 0);
	pops_buf_putc(out, '\n');
	pops_buf_dispose(&t);
}

int pops_annotations_github(pops_buf *out, const pops_report_group *g, size_t n,
                            const pops_annotations_paths *paths, size_t max)
{
	static const char *const status[2] = { "fail", "error" }, *const kind[2] = { "error", "warning" };
	pops_buf line = POPS_BUF_INIT;
	cJSON *rec = NULL;
	size_t shown = 0, left = 0, left_err = 0;
	int r = 0;

	if (!max)
		max = POPS_ANNOTATIONS_MAX;
	for (int pass = 0; pass < 2 && r >= 0; pass++)
		for (size_t i = 0; i < n && r >= 0; i++) {
			const char *model = suite_shared(g, n, i) ? pops_json_str(g[i].summary, "model", "") : NULL;

			if (!g[i].spool)
				continue;
			rewind(g[i].spool);
			while ((r = pops_report_spool_next(g[i].spool, &rec, &line)) == 1) {
				if (strcmp(pops_json_str(rec, "status", ""), status[pass]))
					continue;
				if (shown == max) {
					left++;
					left_err += pass;
					continue;
				}
				github_one(out, kind[pass], rec, g[i].summary, paths, model);
				shown++;
			}
		}
	if (r >= 0 && left)
		pops_buf_printf(out, "::notice title=pops eval::%zu more failing or errored cases "
		                "(%zu errored) not annotated: at most %zu are; the job summary and "
		                "reports have every case\n", left, left_err, max);
	cJSON_Delete(rec);
	pops_buf_dispose(&line);
	if (r < 0)
		return r;
	if (pops_buf_oom(out))
		return pops_error_oom();
	return shown > INT_MAX ? INT_MAX : (int)shown;
}

/* one Code Quality issue, or NULL when out of memory */
static cJSON *gitlab_issue(const cJSON *rec, const cJSON *s, const pops_annotations_paths *paths,
                           int error)
{
	pops_buf t = POPS_BUF_INIT;
	pops_sha256 h;
	char hex[65];
	unsigned line;
	cJSON *o = cJSON_CreateObject(), *loc, *lines;
	const char *parts[4];
	int ok;

	parts[0] = pops_json_str(s, "suite", "");
	parts[1] = pops_json_str(s, "model", "");
	parts[2] = pops_json_str(rec, "id", "");
	pops_buf_printf(&t, "%.0f", pops_json_num(rec, "repeat", 0.0));
	parts[3] = t.ptr ? t.ptr : "";
	pops_sha256_init(&h);
	pops_sha256_update(&h, "pops-eval", 10);
	for (int k = 0; k < 4; k++)
		pops_sha256_update(&h, parts[k], strlen(parts[k]) + 1);
	pops_sha256_hex(&h, hex);
	hex[32] = '\0';
	pops_buf_clear(&t);
	pops_buf_printf(&t, "%s %s: %s ", parts[0], error ? "error" : "fail", parts[1]);
	case_name(&t, rec, s);
	pops_buf_puts(&t, ": ");
	why_line(&t, rec, NULL);
	ok = o && cJSON_AddStringToObject(o, "description", t.ptr ? t.ptr : "") &&
	     cJSON_AddStringToObject(o, "check_name", error ? "pops-eval-error" : "pops-eval-fail") &&
	     cJSON_AddStringToObject(o, "fingerprint", hex) &&
	     cJSON_AddStringToObject(o, "severity", error ? "minor" : "major");
	pops_annotations_location(&t, &line, rec, s, paths);
	ok = ok && (loc = cJSON_AddObjectToObject(o, "location")) &&
	     cJSON_AddStringToObject(loc, "path", t.ptr ? t.ptr : "") &&
	     (lines = cJSON_AddObjectToObject(loc, "lines")) &&
	     cJSON_AddNumberToObject(lines, "begin", line ? line : 1) &&
	     !pops_buf_oom(&t) && pops_report_utf8_fix(o) == 0;
	pops_buf_dispose(&t);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int pops_annotations_gitlab(const char *path, const pops_report_group *g, size_t n,
                            const pops_annotations_paths *paths)
{
	pops_report_file rf;
	pops_buf b = POPS_BUF_INIT, line = POPS_BUF_INIT;
	cJSON *rec = NULL;
	size_t count = 0;
	int error, r = 0;

	if ((error = pops_report_file_open(&rf, path)) < 0)
		return error;
	pops_buf_puts(&b, "[");
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (!g[i].spool)
			continue;
		rewind(g[i].spool);
		while ((r = pops_report_spool_next(g[i].spool, &rec, &line)) == 1) {
			const char *st = pops_json_str(rec, "status", "");
			cJSON *issue;
			char *text;

			if (strcmp(st, "fail") && strcmp(st, "error"))
				continue;
			if (!(issue = gitlab_issue(rec, g[i].summary, paths, !strcmp(st, "error"))) ||
			    !(text = cJSON_PrintUnformatted(issue))) {
				cJSON_Delete(issue);
				r = pops_error_oom();
				break;
			}
			pops_buf_puts(&b, count++ ? ",\n  " : "\n  ");
			pops_buf_puts(&b, text);
			cJSON_free(text);
			cJSON_Delete(issue);
			if (b.size > 65536) {
				fwrite(b.ptr, 1, b.size, rf.f);
				pops_buf_clear(&b);
			}
		}
	}
	pops_buf_puts(&b, count ? "\n]\n" : "]\n");
	error = r < 0 ? r : pops_report_file_finish(&rf, &b);
	if (error < 0)
		pops_report_file_abort(&rf);
	cJSON_Delete(rec);
	pops_buf_dispose(&b);
	pops_buf_dispose(&line);
	return error < 0 ? error : 0;
}

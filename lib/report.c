#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fileio.h"
#include "report.h"
#include "tools.h"
#include "strutil.h"

int pops_report_file_open(pops_report_file *rf, const char *path)
{
	pops_buf t = POPS_BUF_INIT;
	int fd, in_place;

	memset(rf, 0, sizeof(*rf));
	if (!strcmp(path, "-")) {
		/* the caller's standard output: a dup, so closing it leaves fd 1 open */
		rf->path = pops_strdup("standard output");
		POPS_CHECK_ALLOC(rf->path);
		if ((fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0 || !(rf->f = fdopen(fd, "w"))) {
			int e = pops_error_os("standard output");

			if (fd >= 0)
				close(fd);
			pops_report_file_abort(rf);
			return e;
		}
		return 0;
	}
	if ((in_place = pops_file_in_place(path)) < 0)
		return in_place;
	if (in_place) {
		rf->path = pops_strdup(path);
		POPS_CHECK_ALLOC(rf->path);
		if (!(rf->f = fopen(path, "w"))) {
			int e = pops_error_os(path);

			pops_report_file_abort(rf);
			return e;
		}
		return 0;
	}
	pops_buf_printf(&t, "%s.tmp-XXXXXX", path);
	if (pops_buf_oom(&t) || !(rf->path = pops_strdup(path))) {
		pops_buf_dispose(&t);
		return pops_error_oom();
	}
	if ((fd = mkstemp(t.ptr)) < 0) {
		pops_buf_dispose(&t);
		free(rf->path);
		rf->path = NULL;
		return pops_error_os(path);
	}
	/* as a plain `> file` would: the umask's mode, or the replaced file's */
	if (fchmod(fd, pops_file_mode_for(path, 0666)) < 0) {
		int e = pops_error_os(path);

		close(fd);
		unlink(t.ptr);
		pops_buf_dispose(&t);
		free(rf->path);
		rf->path = NULL;
		return e;
	}
	rf->tmp = pops_buf_detach(&t);
	if (!(rf->f = fdopen(fd, "w"))) {
		close(fd);
		pops_report_file_abort(rf);
		return pops_error_os(path);
	}
	return 0;
}

int pops_report_file_commit(pops_report_file *rf)
{
	int bad = ferror(rf->f) != 0;

	/* no fsync for a device or pipe written in place (rf->tmp NULL) */
	if (fflush(rf->f) != 0 || (rf->tmp && fsync(fileno(rf->f)) != 0))
		bad = 1;
	if (fclose(rf->f) != 0)
		bad = 1;
	rf->f = NULL;
	if (bad || (rf->tmp && rename(rf->tmp, rf->path) != 0)) {
		int e = pops_error_os(rf->path);

		pops_report_file_abort(rf);
		return e;
	}
	free(rf->tmp);
	free(rf->path);
	rf->tmp = rf->path = NULL;
	return 0;
}

int pops_report_file_finish(pops_report_file *rf, const pops_buf *tail)
{
	if (tail && pops_buf_oom(tail)) {
		pops_report_file_abort(rf);
		return pops_error_oom();
	}
	if (tail)
		fwrite(tail->ptr, 1, tail->size, rf->f);
	return pops_report_file_commit(rf);
}

void pops_report_file_abort(pops_report_file *rf)
{
	if (rf->f)
		fclose(rf->f);
	if (rf->tmp)
		unlink(rf->tmp);
	free(rf->tmp);
	free(rf->path);
	memset(rf, 0, sizeof(*rf));
}

int pops_report_spool_next(FILE *spool, cJSON **out, pops_buf *line)
{
	int c;

	cJSON_Delete(*out);
	*out = NULL;
	pops_buf_clear(line);
	while ((c = getc_unlocked(spool)) != EOF && c != '\n')
		pops_buf_putc(line, c);
	if (pops_buf_oom(line))
		return pops_error_oom();
	if (c == EOF && line->size == 0)
		return ferror(spool) ? pops_error_os("spool") : 0;
	if (!(*out = cJSON_ParseWithLength(line->ptr, line->size)))
		return pops_error_set(POPS_ERROR, "damaged result spool");
	return 1;
}

int pops_report_spool_write(FILE *spool, const cJSON *rec)
{
	char *s = cJSON_PrintUnformatted(rec);

	POPS_CHECK_ALLOC(s);
	if (fputs(s, spool) == EOF || putc('\n', spool) == EOF) {
		free(s);
		return pops_error_os("result spool");
	}
	free(s);
	return 0;
}

/* decode one UTF-8 sequence; returns its length, or 0 when invalid */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
	size_t n, i;
	unsigned c = s[0], min;

	if (c < 0x80) { *cp = c; return 1; }
	if ((c & 0xe0) == 0xc0) { n = 2; c &= 0x1f; min = 0x80; }
	else if ((c & 0xf0) == 0xe0) { n = 3; c &= 0x0f; min = 0x800; }
	else if ((c & 0xf8) == 0xf0) { n = 4; c &= 0x07; min = 0x10000; }
	else return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

void pops_report_xml_escape(pops_buf *out, const char *s, size_t len, int attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	unsigned cp;

	while (i < len) {
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			pops_buf_puts(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		switch (cp) {
		case '&': pops_buf_puts(out, "&amp;"); break;
		case '<': pops_buf_puts(out, "&lt;"); break;
		case '>': pops_buf_puts(out, "&gt;"); break;
		case '"': pops_buf_puts(out, attr ? "&quot;" : "\""); break;
		case '\t': pops_buf_puts(out, attr ? "&#9;" : "\t"); break;
		case '\n': pops_buf_puts(out, attr ? "&#10;" : "\n"); break;
		case '\r': pops_buf_puts(out, "&#13;"); break;
		default:
			if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
				break;   /* not allowed in XML 1.0, not even escaped */
			pops_buf_put(out, p + i, n);
		}
		i += n;
	}
}

void pops_report_utf8_put(pops_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	unsigned cp;

	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			pops_buf_puts(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		pops_buf_put(out, p + i, n);
		i += n;
	}
}

static int utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	unsigned cp;

	while (i < len) {
		if (p[i] < 0x80) {   /* the common case, without a call */
			i++;
			continue;
		}
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* a valid copy of s (malloc'd, as cJSON allocates: pops sets no hooks), or NULL */
static char *utf8_fixed(const char *s)
{
	pops_buf b = POPS_BUF_INIT;

	pops_report_utf8_put(&b, s, strlen(s));
	if (pops_buf_oom(&b)) {
		pops_buf_dispose(&b);
		return NULL;
	}
	return pops_buf_detach(&b);
}

static int fix_one(cJSON *item)
{
	char *f;

	if (item->string && !(item->type & cJSON_StringIsConst) && !utf8_valid(item->string)) {
		f = utf8_fixed(item->string);
		POPS_CHECK_ALLOC(f);
		cJSON_free(item->string);
		item->string = f;
	}
	if (cJSON_IsString(item) && !(item->type & cJSON_IsReference) &&
	    !utf8_valid(item->valuestring)) {
		f = utf8_fixed(item->valuestring);
		POPS_CHECK_ALLOC(f);
		cJSON_free(item->valuestring);
		item->valuestring = f;
	}
	for (cJSON *c = item->child; c; c = c->next)
		if (fix_one(c) < 0)
			return POPS_ERROR;
	return POPS_OK;
}

int pops_report_utf8_fix(cJSON *item)
{
	return item ? fix_one(item) : POPS_OK;
}

void pops_report_tool_calls(pops_buf *out, const cJSON *rec, const char *prefix, int xml)
{
	const cJSON *calls = cJSON_GetObjectItemCaseSensitive(rec, "tool_calls");
	pops_buf line = POPS_BUF_INIT;

	if (!cJSON_IsArray(calls) || !cJSON_GetArraySize(calls))
		return;
	pops_buf_puts(&line, prefix);
	pops_tools_calls_line(&line, calls);
	if (xml)
		pops_report_xml_escape(out, line.ptr ? line.ptr : "", line.size, 0);
	else
		pops_report_utf8_put(out, line.ptr ? line.ptr : "", line.size);
	pops_buf_dispose(&line);
}

void pops_report_why(pops_buf *out, const cJSON *rec, size_t max, size_t *more)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "error"), *it, *why;
	size_t shown = 0;
	int weighted = 0;

	*more = 0;
	if (cJSON_IsString(err) && err->valuestring[0]) {
		pops_buf_puts(out, err->valuestring);
		return;
	}
	/* weighted scoring: the case score is what decided, say it first */
	why = cJSON_GetObjectItemCaseSensitive(rec, "case_threshold");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "asserts"))
		if (cJSON_GetObjectItemCaseSensitive(it, "weight"))
			weighted = 1;
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "score")) &&
	    (weighted || (cJSON_IsNumber(why) && why->valuedouble < 1))) {
		pops_buf_printf(out, "score %.2f",
		                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "score")));
		if (cJSON_IsNumber(why) && why->valuedouble < 1)
			pops_buf_printf(out, " < %.2f", why->valuedouble);
		pops_buf_puts(out, ": ");
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "asserts")) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "pass")))
			continue;
		if (max && shown == max) {
			(*more)++;
			continue;
		}
		why = cJSON_GetObjectItemCaseSensitive(it, "reason");
		if (shown++)
			pops_buf_puts(out, "; ");
		if (cJSON_IsString(why) && why->valuestring[0])
			pops_buf_puts(out, why->valuestring);
		else
			pops_buf_printf(out, "'%s' failed", cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "type")) ?
			                cJSON_GetObjectItemCaseSensitive(it, "type")->valuestring : "assertion");
	}
}

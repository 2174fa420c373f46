#ifndef POPS_ANNOTATIONS_H
#define POPS_ANNOTATIONS_H
/*
 * CI-native output of an eval run: each failing or errored case pointed
 * at the line of its dataset (the case record's "line", in the summary's
 * "dataset", or in the record's own "file" for a suite's inline tests),
 * as GitHub Actions workflow commands or a GitLab Code Quality report.
 * Both read groups (summary + spool) like the other report writers and
 * tolerate records without "line" (the annotation then names the file
 * only, GitLab gets line 1).
 */
#include <stddef.h>
#include "buf.h"
#include "report.h"

/* GitHub shows at most this many annotations of a kind per step */
#define POPS_ANNOTATIONS_MAX 50

/* where the files of the run are, to name them from the top of the repository */
typedef struct pops_annotations_paths {
	/*
	 * The project root as this process reaches it (the directory of
	 * pops.yaml; relative to the working directory or absolute), which
	 * the summary's "dataset" is relative to. NULL: the working directory.
	 */
	const char *root;
	/*
	 * The top of the repository (the git work tree), absolute; a path
	 * is made relative to it when its real path lies inside. NULL:
	 * paths are given as the run names them.
	 */
	const char *top;
} pops_annotations_paths;

/*
 * Append `s[0..len)` to `out` as GitHub workflow command data (the
 * message): '%', CR and LF percent-encoded; or, with `property`, as a
 * property value (file=, title=), where ':' and ',' are encoded too.
 * Invalid UTF-8 becomes U+FFFD.
 */
void pops_annotations_github_escape(pops_buf *out, const char *s, size_t len, int property);

/*
 * Append to `out` one `::error file=F,line=N,title=SUITE CASE::WHY` per
 * failing case record and one `::warning ...` per errored one (failures
 * first, in spool order), at most `max` (0 = POPS_ANNOTATIONS_MAX) in
 * all, then one `::notice::` saying how many more were left out. WHY is
 * pops_report_why's line; with several groups on one suite (--model
 * a,b) it ends with " [model]". Returns the number of annotations
 * written (notice not counted), or POPS_ERROR (damaged spool, out of
 * memory).
 */
int pops_annotations_github(pops_buf *out, const pops_report_group *g, size_t n,
                            const pops_annotations_paths *paths, size_t max);

/*
 * Write a GitLab Code Quality report (a JSON array of {description,
 * check_name, fingerprint, severity, location: {path, lines: {begin}}})
 * to `path`, atomically like every report ("-" = standard output): one
 * issue per failing case (severity "major") and per errored case
 * ("minor"). The fingerprint is a hash of suite, model, case id and
 * repeat, so the merge request widget follows a case across runs.
 * 0 or POPS_ERROR (message names the file).
 */
int pops_annotations_gitlab(const char *path, const pops_report_group *g, size_t n,
                            const pops_annotations_paths *paths);

/* The default file of --annotations gitlab (GitLab's usual name). */
#define POPS_ANNOTATIONS_GITLAB_FILE "gl-code-quality-report.json"

/*
 * The file a record points at, from the top of the repository (see
 * pops_annotations_paths), into `out` (replacing it); *line gets the
 * record's 1-based line or 0.
 */
void pops_annotations_location(pops_buf *out, unsigned *line, const cJSON *rec,
                               const cJSON *summary, const pops_annotations_paths *paths);
#endif

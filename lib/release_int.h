#ifndef POPS_RELEASE_INT_H
#define POPS_RELEASE_INT_H

/*
 * lib-internal helpers shared by the ledger reader (lib/release.c) and
 * writer (lib/release_write.c). Not a public API.
 */

/* 1 if `file` is a partial's file as the ledger keeps it: "_x.prompt" or "dir/_x.prompt" */
int pops_release__partial_file_ok(const char *file);

#endif

#ifndef POPS_FILEIO_H
#define POPS_FILEIO_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

/*
 * Read the whole file at `path` into `out` (replacing its contents).
 * Refuses files larger than `max` bytes (0 = no limit) without reading
 * them. Returns 0, POPS_ENOTFOUND (no such file), POPS_EINVALID (too
 * large, or a directory) or POPS_ERROR; the message names the path.
 */
int pops_file_read(pops_buf *out, const char *path, size_t max);

/*
 * pops_file_read for files that must be regular: a FIFO, socket or
 * device is POPS_EINVALID "'<path>' must be a regular file", found
 * without blocking (a FIFO in evals/ hung the run). Both readers return
 * POPS_EINTR when a signal interrupts a blocking open or read: pops
 * handles only SIGINT and SIGTERM, so that is the user stopping it.
 */
int pops_file_read_regular(pops_buf *out, const char *path, size_t max);

/*
 * Open a regular file for reading, with the same checks: a file
 * descriptor (>= 0, close-on-exec, blocking) or POPS_ENOTFOUND,
 * POPS_EINVALID (not a regular file), POPS_EINTR, POPS_ERROR.
 */
int pops_file_open_regular(const char *path);

/*
 * Write `len` bytes to `path` atomically: they go to a temporary file in
 * the same directory, which is flushed to disk and renamed over `path`.
 * Readers see the old file or the new one, never a mix, and a failure
 * (full disk, killed process) leaves `path` as it was. `mode` applies to
 * a newly created file. When `path` is a device or FIFO (/dev/stdout,
 * /dev/full) the bytes are written to it in place instead, with every
 * write error reported. Returns 0 or POPS_ERROR.
 */
int pops_file_write_atomic(const char *path, const void *data, size_t len,
                           mode_t mode);

/*
 * Like pops_file_write_atomic, without the fsync: readers still see the
 * old file or the new one, but a crash may lose the new one. For files
 * whose loss is harmless and whose readers check them (cache entries),
 * where an fsync per write would dominate the run.
 */
int pops_file_write_replace(const char *path, const void *data, size_t len,
                            mode_t mode);

/*
 * How a writer that replaces files by temp-and-rename must treat `path`:
 * 1 when it is a device, FIFO, socket or terminal (/dev/stdout, /dev/full,
 * a pipe), which must be opened and written in place because renaming
 * over it would replace the device itself (as root, /dev/full would
 * become a regular file); 0 when it is a regular file or does not exist
 * (use temp + rename); POPS_ERROR when it is a directory (message
 * "cannot write '<path>': is a directory"). Follows symlinks.
 */
int pops_file_in_place(const char *path);

/*
 * Write all of `data` to `fd`, retrying short writes and EINTR.
 * Returns 0 or POPS_ERROR with `what` in the message.
 */
int pops_write_all(int fd, const void *data, size_t len, const char *what);

/*
 * The mode a writer gives the file it puts at `path`: the mode of the
 * file it replaces (a report someone made private stays private), else
 * `mode` minus the umask, as open(2) would.
 */
mode_t pops_file_mode_for(const char *path, mode_t mode);

/*
 * 1 when `a` and `b` name one file: both exist with one device and inode
 * (a symlink, a hard link, another spelling), or neither exists and both
 * name the same entry of one real directory; else 0. For refusing to
 * write an output over an input.
 */
int pops_path_same(const char *a, const char *b);

/* Create `path` and its missing parents. 0 or POPS_ERROR. */
int pops_mkdir_p(const char *path, mode_t mode);

/* 1 if `path` exists (any type), 0 if not. */
int pops_path_exists(const char *path);

/* 1 if `path` is a directory. */
int pops_path_isdir(const char *path);

/* Append `a/b` to `out`, avoiding a doubled slash. 0 or POPS_ERROR. */
int pops_path_join(pops_buf *out, const char *a, const char *b);

#endif

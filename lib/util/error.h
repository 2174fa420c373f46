#ifndef POPS_ERROR_H
#define POPS_ERROR_H

/*
 * Error codes and the last-error message.
 *
 * Every fallible lib function returns POPS_OK (0) or one of the negative
 * codes below and, on failure, leaves a one-line, lower-case message that
 * pops_error_last() returns. Specific codes exist only where a caller
 * branches on them; everything else is POPS_ERROR.
 */

enum {
	POPS_OK = 0,
	POPS_ERROR = -1,      /* runtime failure: I/O, git, out of memory */
	POPS_ENOTFOUND = -2,  /* the named thing does not exist */
	POPS_EEXISTS = -3,    /* refusing to overwrite something */
	POPS_EAMBIGUOUS = -4, /* a short name matches more than one thing */
	POPS_EMODIFIED = -5,  /* a ref moved under us (compare-and-swap lost) */
	POPS_EINVALID = -6,   /* invalid input, config or usage */
	POPS_EPROVIDER = -7,  /* provider or network failure after retries */
	POPS_EINTR = -8,      /* interrupted by a signal */
	POPS_EREFUSED = -9    /* a negative answer: gate refused, below threshold */
};

/*
 * Set the last error message and return `code`, so call sites can write
 * `return pops_error_set(POPS_EINVALID, "...")`. The message is formatted
 * once; a previous message is replaced.
 */
int pops_error_set(int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/*
 * Prefix the current message with more context (for example "file:line: ")
 * and return `code`. Use it where a callee's message lacks what the caller
 * knows; never to reword.
 */
int pops_error_prefix(int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/*
 * Record that memory ran out and return POPS_ERROR. It allocates
 * nothing, so the message ("out of memory") survives the condition it
 * reports. POPS_CHECK_ALLOC is the short form for functions that have
 * nothing to clean up.
 */
int pops_error_oom(void);

#define POPS_CHECK_ALLOC(p) do { if (!(p)) return pops_error_oom(); } while (0)

/* Set the message from errno: "<what>: <strerror>". Returns POPS_ERROR. */
int pops_error_os(const char *what);

/*
 * The last message set in this thread, or "unknown error" when none was.
 * Borrowed: valid until the next pops_error_set/prefix/clear.
 */
const char *pops_error_last(void);

/* The code passed with the last message (POPS_ERROR if none). */
int pops_error_code(void);

/* Forget the last message and free its memory. */
void pops_error_clear(void);

/*
 * The analyser looks at one file at a time and cannot see that these
 * return their code: without this, every `if (f() < 0) return;` after a
 * failure path that set an error reads as a possible success.
 */
/* (The definitions in error.c parenthesise their names to escape these.) */
#ifdef __clang_analyzer__
#define pops_error_set(code, ...) (pops_error_set(code, __VA_ARGS__), (code))
#define pops_error_prefix(code, ...) (pops_error_prefix(code, __VA_ARGS__), (code))
#define pops_error_oom() (pops_error_oom(), POPS_ERROR)
#define pops_error_os(what) (pops_error_os(what), POPS_ERROR)
#endif

#endif

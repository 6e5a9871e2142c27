/*
 * pattern.h — the kernel's core_pattern line for gzcoredump: building it,
 * and parsing the arguments the kernel then starts us with.
 *
 *   |/usr/sbin/gzcoredump --kernel [-S STORE] [-C CONF] [-F%F] %P %I %u %g %s %t %c %d %h %e
 *
 * The kernel splits the pattern at spaces before expanding specifiers
 * (Linux 5.3+), so %e (the comm, which may hold spaces) stays one argument;
 * on older kernels any extra arguments are joined back with spaces. %F (the
 * pidfd, Linux 6.16+) is glued to its flag so that its absence on an older
 * kernel cannot shift the positions. A pattern is at most
 * GZC_PATTERN_MAX bytes (CORENAME_MAX_SIZE - 1).
 */
#ifndef GZC_PATTERN_H
#define GZC_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_PATTERN_MAX 127
#define GZC_KERNEL_FLAG "--kernel"
#define GZC_KARGS_COMM_MAX 64
#define GZC_KARGS_HOST_MAX 64

struct gzc_kargs {
	pid_t pid;            /* %P, in the initial pid namespace */
	pid_t tid;            /* %I */
	int64_t uid, gid;     /* %u %g */
	int signal;           /* %s */
	uint64_t time_s;      /* %t */
	uint64_t rlimit_core; /* %c; UINT64_MAX = unlimited */
	int dump_mode;        /* %d */
	char hostname[GZC_KARGS_HOST_MAX + 1]; /* %h */
	char comm[GZC_KARGS_COMM_MAX + 1];     /* %e (comm, at most 15 bytes from the kernel) */
	int pidfd;            /* -F%F, -1 if absent */
	const char *store;    /* -S, NULL if absent (points into argv) */
	const char *config;   /* -C, NULL if absent (points into argv) */
};

/* Parses argv[0..argc) as the arguments after GZC_KERNEL_FLAG.
 * Errors: -EINVAL (unknown option, missing or malformed number, too few
 * arguments). *ret untouched on failure. */
GZC_MUST_CHECK int gzc_kargs_parse(int argc, char *const *argv, struct gzc_kargs *ret);

/* Builds the pattern line for the binary at exe (absolute path) into buf.
 * store and config may be NULL (defaults). with_pidfd adds -F%F.
 * Returns the length. Errors: -EINVAL (exe not absolute, or a path holding
 * a space, '%' or a control byte: the kernel would split or expand it),
 * -ENAMETOOLONG (longer than GZC_PATTERN_MAX), -ENOBUFS (cap too small). */
GZC_MUST_CHECK int gzc_pattern_build(const char *exe, const char *store, const char *config, bool with_pidfd,
				     char *buf, size_t cap);

/* True if the pattern runs gzcoredump's kernel mode (a pipe whose first
 * argument after the program is GZC_KERNEL_FLAG). */
bool gzc_pattern_is_ours(const char *pattern);

/* True if a kernel release string ("6.18.4-foo") is 6.16 or later, where
 * %F (the pidfd) exists. */
bool gzc_kernel_has_pidfd(const char *release);

#endif

/*
 * procinfo.h — what the crashed process's /proc directory tells, read safely.
 *
 * The handler runs as root on behalf of a process that may be hostile. So:
 * /proc/<pid> is opened once as a directory fd and every later read is
 * relative to it (a recycled pid cannot swap the process under us); when the
 * kernel passes a pidfd (%F) the directory is checked against it and a
 * mismatch is an error (fail closed); every read is bounded
 * (GZC_PROC_READ_MAX), opens with O_NOFOLLOW and accepts regular files only.
 * The parsers take bytes and never trust them: fixed-size fields, strict
 * numbers, no allocation beyond the input's size.
 */
#ifndef GZC_PROCINFO_H
#define GZC_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_PROC_READ_MAX (1u << 20) /* bytes read from one /proc file at most */
#define GZC_PROC_FDS_MAX 4096        /* open fds listed at most */

/* Opens procfs_root/<pid> (procfs_root is usually "/proc") as a directory
 * fd. When pidfd >= 0, checks that the pidfd names the same pid (from
 * /proc/self/fdinfo/<pidfd>, "Pid:") both before and after the open, so the
 * directory is that process's. Caller owns *ret_dirfd.
 * Errors: -EINVAL (pid <= 0), -ESRCH (the pidfd names another pid or a
 * process that is gone: fail closed), -EBADF (pidfd is not a pidfd),
 * -errno of open. */
GZC_MUST_CHECK int gzc_proc_open(const char *procfs_root, pid_t pid, int pidfd, int *ret_dirfd);

/* Reads at most max bytes (capped at GZC_PROC_READ_MAX) of the file name (any
 * small file, not only below /proc; dirfd may be AT_FDCWD)
 * inside dirfd into a new NUL-terminated buffer (NULs inside are kept;
 * *ret_len is the byte count). Only a regular file, no symlink followed.
 * Caller frees *ret. Errors: -ELOOP (a symlink), -EINVAL (not a regular
 * file), -ENOMEM, -errno of open/read. */
GZC_MUST_CHECK int gzc_proc_read(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len);

/* Reads a symlink's target (e.g. "exe", "cwd") without following it: a new
 * NUL-terminated string (at most PATH_MAX bytes, cut if longer).
 * Caller frees *ret. Errors: -ENOMEM, -errno of readlinkat. */
GZC_MUST_CHECK int gzc_proc_readlink(int dirfd, const char *name, char **ret);

/* Parses a /proc/<pid>/status text's "Uid:" and "Gid:" lines: ret_uid[0..3]
 * and ret_gid[0..3] get real, effective, saved and fs ids.
 * Errors: -EBADMSG (a line missing, not four decimal numbers, or given
 * twice). Outputs untouched on failure. */
GZC_MUST_CHECK int gzc_proc_parse_ids(const char *status, size_t len, int64_t ret_uid[4], int64_t ret_gid[4]);

/* Parses a /proc/<pid>/stat text: *ret_state gets the state letter (field
 * 3, e.g. 'R', 'S', 'Z') and *ret_start the start time in clock ticks after
 * boot (field 22). The comm in parentheses may hold any byte, ')' and
 * spaces too: fields are counted after its last ')'.
 * Errors: -EBADMSG (no "(comm)", too few fields, a start time that is not a
 * decimal number). Outputs untouched on failure. */
GZC_MUST_CHECK int gzc_proc_parse_stat(const char *stat, size_t len, char *ret_state, uint64_t *ret_start);

/* The process's control group path from a /proc/<pid>/cgroup text: the
 * "name=systemd" hierarchy's where there is one (cgroup v1 or hybrid),
 * else the unified one's ("0::PATH"). A new string; caller frees *ret.
 * Errors: -ENOENT (neither line), -EBADMSG (a path that is not absolute,
 * or over PATH_MAX), -ENOMEM. */
GZC_MUST_CHECK int gzc_proc_parse_cgroup(const char *text, size_t len, char **ret);

#define GZC_UNIT_NAME_MAX 256 /* systemd's UNIT_NAME_MAX, NUL included */

/* What systemd units a control group path names, as coredumpctl shows
 * them: *unit the system unit ("foo.service", or "user@1000.service" for
 * a user's manager), *user_unit the unit inside a user's manager, *slice
 * the slice holding the unit ("system.slice", "user-1000.slice"). Each is
 * "" when the path names none. Components that are no valid unit names
 * (letters, digits and ":-_.\@", a known type suffix) are skipped. */
void gzc_cgroup_units(const char *path, char unit[GZC_UNIT_NAME_MAX], char user_unit[GZC_UNIT_NAME_MAX],
		      char slice[GZC_UNIT_NAME_MAX]);

/* Parses an auxv (native word size pairs, as /proc/<pid>/auxv gives it) and
 * returns AT_SECURE's value in *ret (0 or 1; anything non-zero gives 1).
 * Errors: -EBADMSG (size not a whole number of pairs, no AT_NULL end) and
 * -ENOENT (no AT_SECURE entry). *ret untouched on failure. */
GZC_MUST_CHECK int gzc_proc_auxv_secure(const void *auxv, size_t len, int *ret);

/* Lists the open fds as lines "N:TARGET\npos:...\nflags:...\n" (systemd's
 * open_fds format: each fd's link target, then its fdinfo), at most
 * GZC_PROC_FDS_MAX fds and GZC_PROC_READ_MAX bytes in all.
 * Caller frees *ret. Errors: -ENOMEM, -errno of opening "fd". */
GZC_MUST_CHECK int gzc_proc_fds(int dirfd, char **ret);

/* Turns a cmdline (NUL-separated) into one line with spaces, in place;
 * drops trailing NULs. Returns the new length. */
size_t gzc_proc_cmdline_join(char *buf, size_t len);

/* Who may read the core. The crashing user may (owner_uid = uid) only when
 * dump_mode is 1, the process was not set-id (uid == euid, gid == egid) and
 * AT_SECURE is 0 (at_secure < 0, unknown, counts as set); otherwise root
 * only (owner_uid = -1). *ret_reason gets a static string saying why. */
void gzc_access_decide(int64_t dump_mode, int64_t uid, int64_t euid, int64_t gid, int64_t egid, int at_secure,
		       int64_t *ret_owner_uid, bool *ret_user_readable, const char **ret_reason);

#endif

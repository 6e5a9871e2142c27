/*
 * modules.h — the ELF files a crashed process had mapped (its executable
 * and shared libraries), each with the build it was: GNU build-id and
 * package note, as systemd-coredump lists "modules".
 *
 * The list comes from /proc/<pid>/maps (one module per file mapped from
 * offset 0, deduplicated by device and inode); each module's identity is
 * read through /proc/<pid>/map_files/<start>-<end>, the file that was
 * mapped even if its path was since replaced or removed. Everything is
 * bounded: at most GZC_MODULES_MAX modules, elfid.h's caps per file, and a
 * time budget for all of them. A file that is not regular, or lives on a
 * file system whose every operation could hang the reader (FUSE, network
 * file systems: the crashed process may be the server, stopped until the
 * handler is done), is listed but not read: which file system a module is
 * on comes from the process's mountinfo, without asking the file system.
 * That cannot see everything (a FUSE file under an overlayfs, or mounted
 * outside the process's chroot, shows another device or none), so a caller
 * that must not block runs gzc_modules_identify() where it can give up on
 * it (the handler: a thread it waits for until a deadline).
 */
#ifndef GZC_MODULES_H
#define GZC_MODULES_H

#include <stddef.h>
#include <stdint.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_MODULES_MAX 1024              /* modules listed at most (the rest are dropped) */
#define GZC_MODULES_PATHS_MAX (256u << 10) /* bytes of their paths, in all */
#define GZC_MODULES_NOTES_MAX (256u << 10) /* bytes of package notes kept, in all */
#define GZC_MODULES_FDS_MAX 256            /* files kept open by gzc_modules_identify(), at most */

/* One mapped ELF file. Every string is NUL-terminated and owned by the
 * array (gzc_modules_free); NULL means absent. */
struct gzc_module {
	uint64_t start, end; /* its first mapping (file offset 0) */
	uint64_t dev_major, dev_minor; /* its device, as maps gives it (not in the sidecar) */
	char *path;          /* as maps shows it (" (deleted)" kept) */
	char *build_id;      /* GNU build-id, lowercase hex */
	char *package_json;  /* its .note.package JSON object, compact */
	char *error;         /* why its identity is missing, e.g. "not an ELF file" */
};

/* Parses a /proc/<pid>/maps text (untrusted bytes: only complete lines of
 * the exact maps format count, others are skipped) into a new array of
 * modules with start, end and path set: each file mapped from offset 0,
 * the first mapping of each device and inode, at most GZC_MODULES_MAX and
 * GZC_MODULES_PATHS_MAX bytes of paths (the sidecar stays small whatever
 * names the process gave its files).
 * *ret is NULL when there are none. Caller frees with gzc_modules_free().
 * Errors: -ENOMEM. */
GZC_MUST_CHECK int gzc_modules_from_maps(const char *maps, size_t len, struct gzc_module **ret, size_t *ret_n);

/* Reads each module's build-id and package note through
 * procfd/map_files/<start>-<end> (procfd: the process's /proc directory),
 * setting error instead where it cannot: a file on FUSE or a network file
 * system (by procfd/mountinfo's device numbers) is not touched at all, one
 * that is not regular is not opened for reading, one that is not ELF says
 * so; without a readable, whole mountinfo, nothing is read. It can still
 * block on a file whose file system mountinfo does not show (see above). Package notes are
 * kept up to GZC_MODULES_NOTES_MAX bytes in all. Stops reading, marking
 * the rest, once budget_ms milliseconds have passed. Never fails: what is
 * missing is in error. With fds (n entries, the caller's, each set to
 * -1), each ELF file read (the first GZC_MODULES_FDS_MAX) is kept open there (read-only, close-on-exec;
 * the caller closes them): the very file, for later reads. */
void gzc_modules_identify(int procfd, struct gzc_module *mods, size_t n, unsigned budget_ms, int *fds);

/* Frees an array from gzc_modules_from_maps() (or built by hand with
 * malloc'ed strings). Accepts NULL. */
void gzc_modules_free(struct gzc_module *mods, size_t n);

#endif

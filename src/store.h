/*
 * store.h — the on-disk layout of the core store, shared with gzcorefs.
 *
 *   <root>/                    root-owned, 0700 (or 0750)
 *     .lock                    flock(2) guards shared state (retention, links)
 *     .gzc-tmp.*               cores being written (hidden, skipped)
 *     <group>/                 gzc_group_name(app, version), 0700
 *       core.<pid>.<ts_us>.gz      the core (.zz for zlib), root-owned 0600
 *       core.<pid>.<ts_us>.gz.gzx  its span index (a cache)
 *       core.<pid>.<ts_us>.json    its metadata (meta.h)
 *
 * A core's name appears last: its index and sidecar are linked first, so a
 * visible core always has its sidecar. Names beginning with '.' are never
 * listed. Everything below the root is opened relative to a dirfd with
 * O_NOFOLLOW, so a planted symlink is refused, never followed.
 */
#ifndef GZC_STORE_H
#define GZC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "meta.h"
#include "names.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_STORE_LOCK ".lock"
#define GZC_STORE_BASE_MAX 64   /* "core.<pid>.<ts_us>[.<n>]" */
#define GZC_STORE_FILE_MAX (GZC_STORE_BASE_MAX + 16)
#ifndef GZC_STORE_MAX_ENTRIES /* a test may build store.c with a smaller one */
#define GZC_STORE_MAX_ENTRIES 100000
#endif
#define GZC_STORE_ORPHAN_AGE_S 600 /* a sidecar without core older than this is debris */

struct gzc_store_entry {
	char group[GZC_NAME_MAX + 1];       /* "" for a foreign file at the root */
	char base[GZC_STORE_BASE_MAX];      /* "core.1234.1700000000123456"; "" if foreign */
	char core[NAME_MAX + 1];            /* base + ".gz"/".zz", "" if no core (yet);
					     * a foreign file's own name */
	char json[GZC_STORE_FILE_MAX];      /* base + ".json"; "" if foreign */
	struct gzc_meta meta;               /* the parsed sidecar; a foreign file's notes */
	bool meta_ok;                       /* the sidecar parsed */
	bool foreign;                       /* a compressed file the handler did not store
					     * (`gzcoredump -c`, gzip, ...): no sidecar; meta
					     * has its mtime as crash time and its size on disk
					     * as compressed_size until gzc_store_identify() */
	bool identified;                    /* foreign: meta holds what its notes say */
	int identify_rc;                    /* foreign: the last gzc_store_identify() result */
	uint64_t bytes;                     /* disk use of core + index + sidecar */
	int64_t json_mtime;                 /* seconds */
};

/* Opens (and with create, makes: mode 0700, parents 0755) the store root.
 * Refuses a root that is a symlink, not a directory, not owned by the
 * caller's euid, or writable by group or others (a store others can write
 * to is not safe to link into). Caller owns *ret_fd.
 * Errors: -ENOTDIR, -ELOOP, -EPERM (owner or mode), -errno of mkdir/open. */
GZC_MUST_CHECK int gzc_store_open(const char *path, bool create, int *ret_fd);

/* Takes the store's exclusive lock (blocking). Caller closes *ret_fd to
 * release. Errors: -errno of open/flock, -EINVAL (.lock not a regular file). */
GZC_MUST_CHECK int gzc_store_lock(int rootfd, int *ret_fd);

/* Opens the group directory, creating it (0700) when create is set.
 * Errors: -EINVAL (not a safe name: empty, starting with '.', holding '/'),
 * -ELOOP/-ENOTDIR (something else is there), -EPERM (a directory not owned
 * by this user, or writable by others: planted), -errno. */
GZC_MUST_CHECK int gzc_store_group_open(int rootfd, const char *group, bool create, int *ret_fd);

/* Writes "core.<pid>.<ts_us>" (n == 0) or "core.<pid>.<ts_us>.<n>" into buf.
 * Errors: -ENOBUFS. */
GZC_MUST_CHECK int gzc_store_base_name(int64_t pid, uint64_t ts_us, unsigned n, char *buf, size_t cap);

/* True if name is a base name this module could have made. */
bool gzc_store_is_base(const char *name);

/* True if name ends with suffix. */
bool gzc_store_has_suffix(const char *name, const char *suffix);
/* True if name is an index (.gzx) or a sidecar (.json): never a core. */
bool gzc_store_is_aux(const char *name);

/* Lists every sidecar in every group (newest first by crash time), with
 * its core if linked, and every foreign file (gzip or zlib data without a
 * sidecar, in a group or at the root: foreign set, see above); of a store
 * with more than GZC_STORE_MAX_ENTRIES, the newest that many. Caller
 * frees with gzc_store_list_free().
 * Each entry's meta is its sidecar's summary (gzc_meta_load_summary: no
 * snapshots or modules; gzc_meta_load the one that needs them).
 * Errors: -ENOMEM, -errno of reading the root; unreadable groups are
 * skipped, and a sidecar that does not parse gives an entry with meta_ok
 * false whose pid and crash time come from its name. */
GZC_MUST_CHECK int gzc_store_list(int rootfd, struct gzc_store_entry **ret, size_t *ret_n);

/* The same without reading any sidecar (meta_ok false) and without
 * foreign files (retention never removes what the handler did not store):
 * pid and crash time come from the base name, sizes from stat. What retention needs, in one
 * directory walk whatever the sidecars hold: a crash storm must not parse
 * megabytes of JSON per crash. Of a store with more than
 * GZC_STORE_MAX_ENTRIES, the oldest that many (retention removes the oldest
 * first), and *ret_unlisted (may be NULL) gets the disk use of the others. */
GZC_MUST_CHECK int gzc_store_list_names(int rootfd, struct gzc_store_entry **ret, size_t *ret_n,
					uint64_t *ret_unlisted);
void gzc_store_list_free(struct gzc_store_entry *e, size_t n);
/* Opens the directory an entry lives in (its group, or the root for a
 * foreign file there). Caller owns *ret_fd.
 * Errors: those of gzc_store_group_open(), -errno. */
GZC_MUST_CHECK int gzc_store_entry_dir(int rootfd, const struct gzc_store_entry *e, int *ret_fd);
/* Reads a foreign entry's notes (corenote.h) through a reader into its
 * meta (gzc_meta_from_coreinfo(): pid, signal, comm, exe, cmdline,
 * build-id) with its uncompressed size and format; sets identified and
 * identify_rc. The file's first bytes must be an ELF core's (checked
 * without a scan). The reader uses the file's index beside it
 * ("<name>.gzx"): with scan false, no matching index gives -ENODATA (no
 * scan, nothing written); with scan true, the whole file is read to build
 * one, saved beside it if the directory is writable.
 * Errors: -EINVAL (not foreign, or no longer a regular file), -ENODATA,
 * -ENOEXEC (not an ELF core), -EBADMSG (not gzip/zlib, or corrupt), those
 * of gzc_reader_open() and gzc_corenote_read(), -ENOMEM, -errno. */
GZC_MUST_CHECK int gzc_store_identify(int rootfd, struct gzc_store_entry *e, bool scan);

/* Opens a reader on e's core (its file re-checked: a regular ELF core;
 * its index beside it; without scan only a matching index is used, with
 * it a new one is built and saved where the caller may write). Caller
 * owns *ret (gzc_reader_close). Errors: -ENOENT (no core), -ENOEXEC (not
 * an ELF core), -EINVAL (no longer a regular file), those of
 * gzc_reader_open(), -errno. */
struct gzc_reader;
GZC_MUST_CHECK int gzc_store_open_core(int rootfd, const struct gzc_store_entry *e, bool scan, struct gzc_reader **ret);

/* Finds an entry by ID: all digits = the newest core of that pid; else the
 * base, core or sidecar name, optionally as "<group>/<name>". Entries
 * without a core are not matched. Returns its position.
 * Errors: -ENOENT, -EINVAL (empty id). */
GZC_MUST_CHECK int gzc_store_find(const struct gzc_store_entry *e, size_t n, const char *id);

/* Removes a core, its index and its sidecar (core first, so no visible core
 * is ever without its sidecar), then the group directory if now empty.
 * Errors: -errno of the first failed unlink other than -ENOENT. */
GZC_MUST_CHECK int gzc_store_remove(int rootfd, const struct gzc_store_entry *e);

/* Bytes available to unprivileged writers on the store's file system. */
GZC_MUST_CHECK int gzc_store_fs_free(int rootfd, uint64_t *ret);

/* Applies the retention rules (retention.h) to the store: lists it, plans,
 * removes what the plan marks, oldest first. The entry whose base is
 * `protect` (a core just stored; may be NULL) is never removed and counts
 * as kept (retention.h's keep: its group's survivor, its bytes in use), so
 * an app may keep one core over max_per_app until the next vacuum when
 * that core crashed before others stored meanwhile. incoming (may be NULL)
 * describes a core being written, to make room for. The store is listed
 * by names and sizes; with max_per_signature set, each sidecar's summary is
 * read too, for its crash signature (one not as we write them is none).
 * Also removes sidecars
 * left without a core for over GZC_STORE_ORPHAN_AGE_S (a handler that
 * died), and the temporary files a killed writer leaves as old, at the root
 * and in groups (".gzc-tmp.<pid>.*" of no running process, "*.gzx.tmp.*"). The caller holds the store lock. Returns the number of cores
 * removed; *ret_used (may be NULL) gets the store's disk use after the
 * removals, as gzc_store_used() of a new listing would (set only on
 * success); *ret_fs_free (may be NULL) the file system's free bytes as the
 * plan saw them plus what the removals gave back.
 * Errors: those of gzc_store_list(), gzc_store_fs_free(),
 * gzc_retention_plan(); a failed removal is skipped (the next vacuum retries). */
struct gzc_ret_limits;
struct gzc_ret_incoming;
GZC_MUST_CHECK int gzc_store_vacuum(int rootfd, const struct gzc_ret_limits *lim, uint64_t now_us,
				    const struct gzc_ret_incoming *incoming, const char *protect, uint64_t *ret_used,
				    uint64_t *ret_fs_free);

/* gzc_store_vacuum()'s dry run (no incoming core, none protected):
 * removes nothing, not even a killed writer's debris. *ret lists the cores
 * it would remove, oldest first (NULL if none; caller frees with
 * gzc_store_list_free()); *ret_used and *ret_fs_free (may be NULL) are as
 * they would be after. Returns how many, or the errors of
 * gzc_store_vacuum(). */
GZC_MUST_CHECK int gzc_store_vacuum_plan(int rootfd, const struct gzc_ret_limits *lim, uint64_t now_us,
					 uint64_t *ret_used, uint64_t *ret_fs_free, struct gzc_store_entry **ret,
					 size_t *ret_n);

/* The size of the store's file system in bytes (f_blocks * f_frsize), for
 * limits given as a share of it (gzc_config_resolve). Errors: -errno of
 * fstatvfs. */
GZC_MUST_CHECK int gzc_store_fs_size(int rootfd, uint64_t *ret);

/* Sum of the disk use of every entry. */
uint64_t gzc_store_used(const struct gzc_store_entry *e, size_t n);

#endif

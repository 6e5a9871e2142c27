/*
 * view.h — the store as gzcorefs shows it: /<group>/core.<pid>[.<n>] plus
 * core.<pid>[.<n>].json, built from an untrusted store directory.
 *
 * Design: a scan walks the store root and its group directories (one level,
 * no symlinks, regular files only, hidden names skipped) and turns every
 * gzip/zlib file into a core record. Records are cached between scans keyed
 * by the file's (dev, ino, mtime, size), so a rescan of an unchanged store
 * only stats files. A scan produces an immutable, refcounted snapshot
 * (groups and files sorted by name, found by binary search); readers keep
 * using the snapshot they hold while a newer one is built.
 *
 * A core with a parseable sidecar ("<core minus .gz/.zz>.json") takes its
 * group, pid, crash time and access decision from it. Any other gzip/zlib
 * file is "foreign": its index is built (and kept, in the store when it is
 * writable, else in cache_dir) and its ELF notes name its group as the
 * handler names a core without package metadata: "<comm>-bid-<12 hex of
 * the exe's build-id>" or "<comm>-unknown" (comm from NT_PRPSINFO, else the
 * NT_FILE exe's base name), or just "unknown" when the notes name nothing;
 * it is named "core.<pid>" after the notes' pid (its file's base name, less
 * .gz/.zz, when they give none); it is root-only, its mtime is the file's,
 * and its .json is made up from what the notes say.
 *
 * Names in a group are given in order of (base name, crash time, store
 * path): the first of a base gets it, later ones "<base>.1", "<base>.2", ...
 * skipping any name (or name.json) already taken, so a reused pid never
 * hides a core and the oldest keeps the plain name. A name stays with its
 * store file for the life of the view: a file keeps the name it was first
 * given, and a name once given is never given to another file (a removed
 * core's name stays unused), so a cache kept under a name (the kernel's
 * page cache in gzcorefs) never holds another user's core.
 *
 * Thread safety: every function may be called from many threads at once.
 * Lock order: view->scan_lock, then view->lock; a record's open_lock is
 * never held together with either.
 */
#ifndef GZC_VIEW_H
#define GZC_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cache.h"
#include "reader.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_VIEW_TTL_DEFAULT_MS 500     /* store dirs are re-checked at most this often */
#define GZC_VIEW_MAX_DIR_ENTRIES 100000 /* cores and subdirectories per directory (sidecars,
					 * indexes and hidden files not counted); more are ignored */
#define GZC_VIEW_SHORT_BUILD_ID 12      /* hex digits of a build-id in a group name */
#define GZC_VIEW_NAME_MAX 255
/* The extended attribute gzcorefs gives every core and metadata file: the
 * store file it shows, relative to the store root (gzc_view_core_path()). */
#define GZC_VIEW_XATTR_STORE_PATH "user.gzcore.store_path"

enum gzc_view_kind {
	GZC_VIEW_CORE = 0, /* decompressed core */
	GZC_VIEW_META,     /* its metadata JSON */
};

struct gzc_view_core; /* one core record (private) */

struct gzc_view_file {
	char *name;                 /* name in its group */
	enum gzc_view_kind kind;
	uint64_t size;              /* uncompressed core size / JSON length */
	struct timespec mtime;      /* crash time */
	uid_t uid;                  /* owner per the access decision (0: root only) */
	mode_t mode;                /* permission bits (0400) */
	struct gzc_view_core *core; /* the record, pinned by the snapshot */
};

struct gzc_view_group {
	char *name;
	struct timespec mtime;      /* newest crash time in it */
	size_t nfiles;
	struct gzc_view_file *files; /* sorted by name (strcmp) */
};

struct gzc_view_snap {
	size_t ngroups;
	struct gzc_view_group *groups; /* sorted by name (strcmp) */
	struct timespec mtime;         /* newest crash time in the store, or the root's mtime if later */
	/* private */
	int refs;
	struct gzc_view_core **cores;
	size_t ncores;
};

struct gzc_view_opts {
	const char *cache_dir;    /* absolute; indexes of cores in a read-only store; NULL: none */
	struct gzc_cache *cache;  /* shared span cache for readers (NULL: each reader its own) */
	unsigned ttl_ms;          /* 0: GZC_VIEW_TTL_DEFAULT_MS */
	const char *only;         /* one store file to show, "GROUP/NAME" or "NAME" at the
				   * root (its sidecar and index come with it); NULL: all */
};

struct gzc_view;

/* Opens the store root (a directory, not a symlink) for viewing. Nothing is
 * scanned until the first gzc_view_get(). opts may be NULL; its strings are
 * copied. Errors: -ENOTDIR, -ELOOP, -errno of open, -ENOMEM, -EINVAL
 * (cache_dir not absolute; only not one or two names, or a hidden one).
 * Caller owns *ret (gzc_view_free). */
GZC_MUST_CHECK int gzc_view_new(const char *root, const struct gzc_view_opts *opts, struct gzc_view **ret);

/* Whether dir can serve as cache_dir: 0 if it is missing (it is made when
 * first needed) or is a directory, not a symlink, owned by the caller's
 * euid and not writable by group or others; else -ELOOP, -ENOTDIR, -EPERM
 * or -errno. A view never uses a cache_dir that fails this (indexes found
 * there are believed as the store's are). */
GZC_MUST_CHECK int gzc_view_cache_dir_ok(const char *dir);

/* Frees the view. Every snapshot must have been put and every reader from
 * gzc_view_open_reader() released. Accepts NULL. */
void gzc_view_free(struct gzc_view *v);

/* Returns the current snapshot, rescanning first when the TTL has passed
 * and a store directory changed (or force is set). While another thread
 * scans, returns the current snapshot at once (unless force is set, or
 * there is none yet) instead of waiting. Never fails once a first scan
 * succeeded: a failed rescan keeps the old snapshot.
 * Errors: -ENOMEM, -errno of reading the root (first scan only).
 * Caller owns a reference on *ret (gzc_view_put). */
GZC_MUST_CHECK int gzc_view_get(struct gzc_view *v, int force, struct gzc_view_snap **ret);

/* Drops a snapshot reference. Accepts NULL. */
void gzc_view_put(struct gzc_view *v, struct gzc_view_snap *s);

/* Looks up a group / a file by name in a snapshot. NULL if absent. */
const struct gzc_view_group *gzc_view_find_group(const struct gzc_view_snap *s, const char *name);
const struct gzc_view_file *gzc_view_find_file(const struct gzc_view_group *g, const char *name);

/* Returns a reader on the file's core, shared by every caller (opened on
 * first use, closed when the last user releases it). The reader's size is
 * checked against the view's, and at every call the store file against the
 * record (size, inode, mtime, ctime: a file rewritten in place does not
 * touch its directory). Errors: -ESTALE (the store file was replaced or
 * rewritten: the next gzc_view_get() rescans, so a caller may look the
 * name up again in a new snapshot), -ENOENT, -EBADMSG, -ENOMEM, -errno,
 * those of gzc_reader_open(). On success call gzc_view_release_reader(f) once. */
GZC_MUST_CHECK int gzc_view_open_reader(struct gzc_view *v, const struct gzc_view_file *f, struct gzc_reader **ret);
void gzc_view_release_reader(struct gzc_view *v, const struct gzc_view_file *f);

/* Reads the metadata JSON of a GZC_VIEW_META file into a new buffer
 * (the sidecar's bytes, or the made-up JSON of a foreign core), at most
 * GZC_META_MAX_FILE bytes. Errors: -ESTALE, -EFBIG, -ENOMEM, -errno.
 * Caller owns *ret_buf (free()). */
GZC_MUST_CHECK int gzc_view_read_meta(struct gzc_view *v, const struct gzc_view_file *f, char **ret_buf,
				      size_t *ret_len);

/* The store path of a file's core (relative to the root), for messages. */
const char *gzc_view_core_path(const struct gzc_view_file *f);

/* What a core file's bytes are: two opens with equal ids read the same
 * bytes. Unique for the life of the view: a name that comes to stand for
 * other bytes (a store file rewritten in place, a changed sidecar) gives a
 * new id. */
uint64_t gzc_view_file_id(const struct gzc_view_file *f);

/* Counts since gzc_view_new(), for tests and messages. */
struct gzc_view_stats {
	uint64_t scans;        /* full rescans */
	uint64_t identified;   /* records built (sidecars parsed, foreign files identified) */
	uint64_t skipped;      /* files that are not cores (garbage, corrupt) */
	uint64_t index_built;  /* indexes built by a scan of the compressed file */
};
void gzc_view_get_stats(struct gzc_view *v, struct gzc_view_stats *ret);

#endif

/*
 * meta.h — the JSON sidecar stored beside each core ("<base>.json").
 *
 * Written by the handler, read by gzcorefs and `gzcoredump list/info`. Built
 * and parsed with json-c; the parser treats the file as untrusted (size
 * bound, types checked, strings bounded). Schema (version 1):
 *
 * {
 *   "gzcore_meta": 1,
 *   "process":  { "pid", "tid", "uid", "gid", "euid", "egid", "signal",
 *                 "signal_name", "timestamp_us", "rlimit_core", "dump_mode",
 *                 "hostname", "comm", "exe", "cmdline", "cwd", "cgroup",
 *                 "unit", "user_unit", "slice" },
 *   "machine":  { "boot_id", "kernel_release", "machine_id" },
 *   "identity": { "app", "app_version", "group", "source",
 *                 "package" (object, the .note.package JSON), "build_id",
 *                 "section_name", "section" },
 *   "file":     { "name", "index", "format" ("gzip"|"zlib"), "size",
 *                 "compressed_size", "span", "truncated", "truncated_reason" },
 *   "access":   { "owner_uid", "user_readable", "reason" },
 *   "crash":    { "signature" },  (gzc_stack_signature of "stack")
 *   "snapshots":{ "status", "maps", "limits", "fds" },  (strings)
 *   "modules":  [ { "path", "start", "end", "build_id", "package" (object),
 *                   "error" }, ... ]  (at most GZC_MODULES_MAX; modules.h)
 *   "stack":    { "error", "threads": [ { "tid", "error", "frames": [
 *                   { "pc", "symbol", "symbol_offset", "module",
 *                     "module_offset" }, ... ] }, ... ] }
 *               (at most GZC_STACK_THREADS_MAX threads of
 *               GZC_STACK_FRAMES_MAX frames; stack.h)
 * }
 * gzc_meta_to_json() writes the keys in this order, pretty-printed (two
 * spaces per level), so the bulky "snapshots", "modules" and "stack" come
 * last: gzc_meta_load_summary() reads the text before them alone.
 * Unknown keys are ignored; missing optional keys and null read as 0 / NULL;
 * a number out of its field's range, or a "package" that is neither an
 * object nor a string, is -EBADMSG.
 */
#ifndef GZC_META_H
#define GZC_META_H

#include <stddef.h>
#include <stdint.h>

#include "modules.h"
#include "stack.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_META_VERSION   1
#define GZC_META_SUFFIX    ".json"
#define GZC_META_MAX_FILE  (8u << 20)   /* larger sidecars are refused */
#define GZC_META_MAX_STR   (4u << 20)   /* longest string kept (snapshots) */

/* Every string is owned by the struct (NULL when absent). */
struct gzc_meta {
	/* process */
	int64_t pid, tid, uid, gid, euid, egid, signal;
	char *signal_name;
	uint64_t timestamp_us;
	uint64_t rlimit_core;     /* UINT64_MAX = unlimited */
	int64_t dump_mode;        /* -1 = unknown */
	char *hostname, *comm, *exe, *cmdline, *cwd;
	char *cgroup;             /* control group path (/proc/<pid>/cgroup) */
	char *unit, *user_unit, *slice; /* the systemd units it names (gzc_cgroup_units) */
	/* machine */
	char *boot_id, *kernel_release, *machine_id;
	/* identity */
	char *app, *app_version, *group, *source;
	char *package_json;       /* the note's JSON object, compact text */
	char *build_id, *section_name, *section;
	/* file */
	char *file_name, *index_name, *format;
	uint64_t size, compressed_size;
	uint32_t span;
	int truncated;
	char *truncated_reason;
	/* access */
	int64_t owner_uid;        /* -1: root only */
	int user_readable;
	char *access_reason;
	/* crash: its signature, GZC_STACK_SIGNATURE_LEN hex digits in a sidecar
	 * written by us (stack.h); untrusted text in one read */
	char *signature;
	/* snapshots */
	char *status, *maps, *limits, *fds;
	/* the mapped ELF files (owned: freed by gzc_meta_clear) */
	struct gzc_module *modules;
	size_t nmodules;
	/* the threads' stack traces, taken when the core was stored (owned) */
	struct gzc_stack stack;
};

/* Initialises every field to "absent" (pid etc. -1, strings NULL). */
void gzc_meta_init(struct gzc_meta *m);
/* Frees the strings and re-initialises. Accepts NULL. */
void gzc_meta_clear(struct gzc_meta *m);

/* Sets *field to a copy of s (bounded to GZC_META_MAX_STR; bytes that are
 * not UTF-8 are kept as they are: see gzc_meta_json_text()).
 * Errors: -ENOMEM. */
GZC_MUST_CHECK int gzc_meta_set(char **field, const char *s);

/* s as a new json-c value, as the sidecar writes every string: a JSON
 * string when s is UTF-8; else, since JSON wants UTF-8, the array of its
 * byte values (as systemd's journal exports such fields), written on one
 * line. The parser reads both forms back. Caller owns the value
 * (json_object_put). Returns NULL for s NULL or when out of memory. */
struct json_object;
struct json_object *gzc_meta_json_text(const char *s);

/* The text of a byte array that gzc_meta_json_text() wrote (arr: a json-c
 * array), into *field (the old value freed; caller owns the new). Errors:
 * -EBADMSG (an element that is not an integer from 1 to 255, or more than
 * GZC_META_MAX_STR of them: *field untouched), -ENOMEM. */
GZC_MUST_CHECK int gzc_meta_bytes_text(struct json_object *arr, char **field);

/* Sets the signal and its name ("SIGSEGV"; no name for a number that has
 * none). Errors: -ENOMEM. */
GZC_MUST_CHECK int gzc_meta_set_signal(struct gzc_meta *m, int64_t sig);

/* Copies what a core's own notes say (corenote.h) into m: pid (if known),
 * signal, comm, exe, cmdline (pr_psargs), build-id. What the notes lack
 * is left as it was. Errors: -ENOMEM. */
struct gzc_coreinfo;
GZC_MUST_CHECK int gzc_meta_from_coreinfo(struct gzc_meta *m, const struct gzc_coreinfo *info);

/* Serialises m as pretty JSON. Caller owns *ret (free()). Errors: -ENOMEM. */
GZC_MUST_CHECK int gzc_meta_to_json(const struct gzc_meta *m, char **ret);

/* Parses a sidecar (untrusted). Fills *ret (initialised by the call).
 * Errors: -EBADMSG (not JSON, not an object, wrong types, wrong version),
 * -E2BIG (over GZC_META_MAX_FILE), -ENOMEM. *ret untouched on failure. */
GZC_MUST_CHECK int gzc_meta_parse(const char *text, size_t len, struct gzc_meta *ret);

/* Writes m atomically as name in dirfd (tmpfile + fsync + link, mode 0600
 * or as given). Errors: -errno, -ENOMEM, -EEXIST (name taken), -EFBIG (its
 * JSON would pass GZC_META_MAX_FILE, which gzc_meta_load() refuses:
 * nothing written). */
GZC_MUST_CHECK int gzc_meta_save(const struct gzc_meta *m, int dirfd, const char *name, unsigned mode);

/* As gzc_meta_save(), replacing the sidecar name if it exists (rename).
 * Errors: as gzc_meta_save(), never -EEXIST. */
GZC_MUST_CHECK int gzc_meta_replace(const struct gzc_meta *m, int dirfd, const char *name, unsigned mode);

/* Reads and parses name in dirfd (regular file only, no symlinks, bounded).
 * Errors: as gzc_meta_parse, plus -errno of open/read. */
GZC_MUST_CHECK int gzc_meta_load(int dirfd, const char *name, struct gzc_meta *ret);

/* As gzc_meta_load(), for readers that need only the core's own facts
 * (process, machine, identity, file, access: listing a store of
 * thousands): the "snapshots", "modules" and "stack" that gzc_meta_to_json()
 * writes last, and that make most of a real sidecar (tens of KB), are left
 * unparsed. A text not laid out as that writer lays it out is parsed
 * whole. What is returned is what the text says before those keys;
 * the snapshot and module fields are absent. Errors: as gzc_meta_load(). */
GZC_MUST_CHECK int gzc_meta_load_summary(int dirfd, const char *name, struct gzc_meta *ret);

/* As gzc_meta_load_summary(), from the file's first 16 KiB alone, at a
 * bounded cost per sidecar for passes over a whole store: a summary that
 * does not end there (a text laid out otherwise, or not ours) is -EBADMSG,
 * never read whole. Errors: as gzc_meta_load(). */
GZC_MUST_CHECK int gzc_meta_load_head(int dirfd, const char *name, struct gzc_meta *ret);

#endif

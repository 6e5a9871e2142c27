/*
 * config.h — /etc/gzcoredump.conf, the handler's settings.
 *
 * A plain "key = value" file: one setting a line, '#' starts a comment
 * (whole lines only, so values may hold '#'), blank lines are ignored, every
 * key is optional and a later line wins. Unknown keys and bad values are
 * errors (the caller decides whether to go on with the defaults): a typo in
 * a limit must not silently lift it. Keys and value forms:
 *
 *   store          absolute path of the store root        (/var/core)
 *   level          1..9                                    (GZC_LEVEL_DEFAULT)
 *   format         gzip | zlib                             (gzip)
 *   span           size, 64K..64M                          (1M)
 *   threads        0..64, 0 = online CPUs                  (0)
 *   max_core_size  size, cap on uncompressed bytes, 0 = none      (0)
 *   max_use        size or N% of the store's file system, cap on the
 *                  store's disk use, 0 = none           (10%, at most 4G)
 *   keep_free      size or N%, free space to leave on the store's file
 *                  system, 0 = none                      (15%, at most 4G)
 *   max_per_app    cores kept per group, 0 = no limit     (0; 1 = keep the latest)
 *   max_per_signature cores kept per crash signature (stack.h: likely one
 *                  bug), 0 = no limit                    (0; 1 = keep the latest)
 *   max_age        duration ("30d", "12h", "90m", "3600"), 0 = none (0)
 *   rate_limit     "N/UNIT" (UNIT: s|sec|min|hour|day or a duration),
 *                  cores kept per executable in that window, 0 = none
 *   section        custom ELF section with the app's name   (.uuid)
 *   pre_hook       shell command run before storing         (none)
 *   post_hook      shell command run after storing          (none)
 *   hook_timeout   duration, per hook                       (5s)
 *   stack_trace    yes | no: unwind the threads when storing (yes)
 *
 * Sizes take K/M/G/T suffixes (powers of 1024). No global state.
 */
#ifndef GZC_CONFIG_H
#define GZC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_CONFIG_PATH "/etc/gzcoredump.conf"
#define GZC_CONFIG_MAX_FILE (64u * 1024)   /* larger files are refused */
#define GZC_CONFIG_MAX_VALUE 1024          /* longest value (a hook command) */
#define GZC_CONFIG_HOOK_TIMEOUT_DEFAULT 5  /* seconds */

struct gzc_config {
	char store[GZC_CONFIG_MAX_VALUE + 1];
	int level;                  /* 0 = library default */
	enum gzc_container container;
	uint32_t span;              /* 0 = library default */
	int threads;                /* 0 = online CPUs */
	uint64_t max_core_size;     /* 0 = none */
	uint64_t max_use;           /* 0 = none (when max_use_pct is 0) */
	uint64_t keep_free;         /* 0 = none (when keep_free_pct is 0) */
	/* a share of the store's file system instead, in percent (1..100),
	 * at most *_cap bytes (0: no cap); gzc_config_resolve() turns it into
	 * bytes once the store is known */
	uint32_t max_use_pct, keep_free_pct;
	uint64_t max_use_cap, keep_free_cap;
	uint32_t max_per_app;       /* 0 = none */
	uint32_t max_per_signature; /* 0 = none */
	uint64_t max_age_s;         /* 0 = none */
	uint32_t rate_count;        /* 0 = no rate limit */
	uint64_t rate_window_s;
	char section[65];
	char pre_hook[GZC_CONFIG_MAX_VALUE + 1];   /* "" = none */
	char post_hook[GZC_CONFIG_MAX_VALUE + 1];
	uint64_t hook_timeout_s;
	int stack_trace;            /* 1: take the threads' stack traces (stack.h) */
};

/* The defaults of max_use and keep_free, as systemd-coredump's: shares of
 * the store's file system, each at most GZC_CONFIG_SHARE_CAP. */
#define GZC_CONFIG_MAX_USE_PCT 10
#define GZC_CONFIG_KEEP_FREE_PCT 15
#define GZC_CONFIG_SHARE_CAP (4ull << 30)

/* Fills c with the defaults. */
void gzc_config_init(struct gzc_config *c);

/* Turns a max_use or keep_free given as a share (N%, or the defaults)
 * into bytes of a file system of fs_size bytes (the store's: f_blocks *
 * f_frsize), capped where the share has a cap; sizes given in bytes stay. */
void gzc_config_resolve(struct gzc_config *c, uint64_t fs_size);

/* Parses a plain decimal number (digits only: no sign, space or suffix)
 * of at most max. Errors: -EINVAL (not such a number), -ERANGE (over max). */
GZC_MUST_CHECK int gzc_config_parse_number(const char *s, uint64_t max, uint64_t *ret);

/* Parses "12", "64K", "1M", "2G", "1T" (optional "iB"/"B") into bytes.
 * Errors: -EINVAL (not a size), -ERANGE (overflow). */
GZC_MUST_CHECK int gzc_config_parse_size(const char *s, uint64_t *ret);

/* Parses a duration: a number with an optional unit s, m, h, d, w (or
 * sec/min/hour/day/week, plural allowed) into seconds.
 * Errors: -EINVAL, -ERANGE. */
GZC_MUST_CHECK int gzc_config_parse_duration(const char *s, uint64_t *ret);

/* Parses a rate "N/UNIT" ("5/hour", "10/day", "3/30m"); "0" alone means
 * none. Errors: -EINVAL, -ERANGE. */
GZC_MUST_CHECK int gzc_config_parse_rate(const char *s, uint32_t *ret_count, uint64_t *ret_window_s);

/* What was wrong with a config file: its first bad line. */
struct gzc_config_error {
	unsigned line;     /* 1-based; 0: the file as a whole (too large, unreadable) */
	const char *what;  /* static text: "unknown setting", "bad value", ... */
	char key[32];      /* the setting that line names ("" if none), cut to fit */
	unsigned count;    /* bad lines in all */
};

/* Applies the text of a config file on top of *c (call gzc_config_init
 * first): every valid line, in order, skipping bad ones, so one typo
 * leaves the rest (the store above all) as written. err (may be NULL)
 * describes the first bad line.
 * Errors: -EINVAL (a line with bad syntax, an unknown key or a bad value:
 * the others are applied), -E2BIG (a line over GZC_CONFIG_MAX_VALUE, which
 * is skipped; or a file over GZC_CONFIG_MAX_FILE: nothing applied). */
GZC_MUST_CHECK int gzc_config_parse(struct gzc_config *c, const char *text, size_t len,
				    struct gzc_config_error *err);

/* Reads and applies the file at path: a regular file (symlinks followed)
 * of root or of the caller (effective uid) that no one else may write, as
 * its hooks run as root. Errors: -ENOENT (no file: the caller usually
 * keeps the defaults), -EPERM (another owner, or writable by group or
 * others), -errno of open/read (nothing applied, err->line 0), and those
 * of gzc_config_parse(). */
GZC_MUST_CHECK int gzc_config_load(struct gzc_config *c, const char *path, struct gzc_config_error *err);

#endif

/*
 * retention.h — which stored cores to delete, and whether to keep a new one.
 *
 * Pure decisions over a list of what is in the store (no disk access, no
 * clock): the store module lists, the caller passes the time and the file
 * system's numbers, these functions decide, the caller deletes. That keeps
 * every rule unit-testable. Rules, applied in this order:
 *
 *   1. max_age:     a core older than this goes;
 *   2. max_per_app: per group, only the newest N stay (with a reserved slot
 *                   for an incoming core, one being written, in its group);
 *      max_per_signature: then per crash signature (stack.h: likely one
 *                   bug), only the newest N stay (an incoming core has no
 *                   signature yet: its traces are taken once it is stored);
 *   3. max_use / keep_free: then the oldest cores go, one by one, until the
 *                   store uses at most max_use bytes (counting what an
 *                   incoming core wrote so far) and the file system keeps
 *                   keep_free free beyond the room the incoming core wants.
 *
 * max_use is a bound on what is stored, applied again once a new core is in
 * (a core may pass it while it is written, as systemd-coredump's MaxUse);
 * keep_free guards the file system, so room is made before it is used.
 *
 * "Oldest" is by crash time, ties broken by position (stable). A limit of 0
 * is no limit.
 */
#ifndef GZC_RETENTION_H
#define GZC_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

struct gzc_ret_item {
	uint64_t time_us;   /* crash time */
	uint64_t bytes;     /* disk use of the core, its index and sidecar */
	const char *group;  /* the app's group (compared with strcmp) */
	bool keep;          /* never deleted (the core just stored), yet counted
			     * by every rule: a survivor of its group, bytes in use */
	const char *signature; /* the crash's signature (strcmp), or NULL: none known */
};

struct gzc_ret_limits {
	uint64_t max_use;       /* bytes, 0 = none */
	uint64_t keep_free;     /* bytes, 0 = none */
	uint32_t max_per_app;   /* 0 = none */
	uint32_t max_per_signature; /* 0 = none */
	uint64_t max_age_s;     /* 0 = none */
};

/* A core being written while the store is vacuumed (not listed yet). */
struct gzc_ret_incoming {
	const char *group;  /* its group (max_per_app keeps a slot there), or NULL */
	uint64_t written;   /* bytes of it on disk already: counted in max_use, already out of fs_free */
	uint64_t reserve;   /* bytes it may still write: room to make under keep_free */
	uint64_t time_us;   /* its crash time: room is made only from older cores (0: any) */
};

struct gzc_ret_state {
	uint64_t now_us;
	uint64_t fs_free;          /* bytes available on the store's file system */
	uint64_t unlisted_bytes;   /* disk use of cores newer than every item, not
				    * listed (a store too large to list whole):
				    * counted in max_use, never removed */
	struct gzc_ret_incoming in; /* all zero: none */
};

/* Marks in ret_delete[i] (n entries, set to true or false) every item to
 * delete: the rules in the order above. Room for an incoming core (its
 * reserve above keep_free, and its max_per_app slot) is made only from
 * cores older than it, and only if that room can be reached: a core that
 * cannot be stored anyway costs no other core. Returns how many were marked. Errors: -EINVAL (NULL arrays with
 * n > 0, or NULL limits/state), -ENOMEM. */
GZC_MUST_CHECK int gzc_retention_plan(const struct gzc_ret_item *items, size_t n, const struct gzc_ret_limits *lim,
				      const struct gzc_ret_state *st, bool *ret_delete);

/* The rate limit: given the crash times of the cores already kept for one
 * executable, may one more crash at now_us be kept? True when fewer than
 * count of them fall in the window (now_us - window_s, now_us]. count 0 is
 * no limit. Times in the future (a clock step) count as inside. */
bool gzc_rate_allows(const uint64_t *times_us, size_t n, uint64_t now_us, uint32_t count, uint64_t window_s);

/* How big an incoming core may grow, with `written` bytes of it on disk
 * and fs_free bytes free on the file system: up to max_use (what is
 * stored is brought back within max_use once it is in), up to keep_free
 * short of filling the file system, and never past filling it (a full
 * disk holds nothing, even with no limits set). Never less than written
 * unless a limit says so (max_use below it). */
uint64_t gzc_retention_core_budget(const struct gzc_ret_limits *lim, uint64_t written, uint64_t fs_free);

#endif

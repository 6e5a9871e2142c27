/*
 * cache.h — a bounded LRU cache of decoded spans, shared by many readers.
 *
 * Contract: thread safe. Entries are keyed by (file, span). A lookup that
 * misses calls the loader outside the cache lock; any other thread asking for
 * the same key meanwhile waits for that one load instead of decoding again.
 * A returned reference pins its bytes until gzc_cache_release(): eviction
 * never frees pinned bytes, so the cache may briefly exceed its budget by the
 * size of pinned entries. It may also hold one entry larger than the whole
 * budget, the most recently used (unless the budget is 0), until another
 * entry is used. A failed load is not cached; its waiters get the same error
 * and a later lookup tries again.
 */
#ifndef GZC_CACHE_H
#define GZC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

struct gzc_cache;
struct gzc_cache_entry;

/* Fills buf (exactly len bytes) with the bytes for (file, span).
 * Returns 0 or a negative errno (e.g. -EBADMSG for a corrupt span). */
typedef int (*gzc_cache_load_fn)(void *ctx, uint64_t file, uint64_t span, void *buf, size_t len);

/* Loads a prefix: fills buf[0..v) with the first v bytes of (file, span),
 * need <= v <= len, and returns v; or a negative errno. While it runs, other
 * threads may ask for more of the same span: a loader that decodes in steps
 * calls gzc_cache_wanted(c, entry) between steps and goes on as far as that
 * says, so one decode serves them all. */
typedef long (*gzc_cache_load_range_fn)(void *ctx, uint64_t file, uint64_t span, void *buf, size_t len,
					size_t need, struct gzc_cache_entry *entry);

/* From inside a load: the largest need any thread has asked of entry. */
size_t gzc_cache_wanted(struct gzc_cache *c, struct gzc_cache_entry *entry);

/* From inside a load that stops short of the whole span: leaves state with
 * the entry so that a later, longer need continues from where this load
 * stopped (the loader is then called again on the same buffer and must
 * write only at and after the bytes already valid). The cache frees state
 * with free_fn when the entry goes or is complete; bytes count in the budget. */
void gzc_cache_keep_resume(struct gzc_cache *c, struct gzc_cache_entry *entry, void *state,
			   void (*free_fn)(void *), size_t bytes);

/* From inside a load: takes back the state left by the previous load of
 * entry (NULL if none: then this is a first load). The caller owns it. */
void *gzc_cache_take_resume(struct gzc_cache *c, struct gzc_cache_entry *entry);

/* A pinned entry: data is valid, read-only, until gzc_cache_release(). */
struct gzc_cache_ref {
	const unsigned char *data;
	size_t len;   /* bytes valid at data: all of the span, or a prefix of it */
	struct gzc_cache_entry *entry; /* private */
};

struct gzc_cache_stats {
	uint64_t hits, misses, waits, evictions;
	uint64_t extends; /* prefix entries grown in place (not counted in misses) */
	size_t bytes, entries;
};

/* Creates a cache holding at most max_bytes of span data (0 disables caching:
 * every lookup loads, but concurrent loads of one key are still shared).
 * Errors: -ENOMEM. The caller owns *ret and frees it with gzc_cache_free(). */
GZC_MUST_CHECK int gzc_cache_new(size_t max_bytes, struct gzc_cache **ret);

/* Frees the cache. Every reference must have been released. Accepts NULL. */
void gzc_cache_free(struct gzc_cache *c);

/* Looks up (file, span); on a miss allocates len bytes and calls load(ctx, ...).
 * On success fills *ret with a pinned reference (release it!) and returns 0.
 * Errors: -ENOMEM, -EINVAL (len 0), or whatever load returned; *ret untouched. */
GZC_MUST_CHECK int gzc_cache_get(struct gzc_cache *c, uint64_t file, uint64_t span, size_t len,
				 gzc_cache_load_fn load, void *ctx, struct gzc_cache_ref *ret);

/* As gzc_cache_get(), but only the first need bytes (1..len) must be
 * there: a miss loads a prefix (load decides how much, at least need). An
 * entry whose prefix is too short is extended in place when its load left
 * a resume state (gzc_cache_keep_resume: the loader writes only past the
 * valid bytes, so pinned bytes never change; stats.extends counts it),
 * else replaced by a load of the whole span.
 * ref->len is the number of valid bytes (>= need). Errors: as gzc_cache_get,
 * -EIO if load returns a count outside [need, len]. */
GZC_MUST_CHECK int gzc_cache_get_range(struct gzc_cache *c, uint64_t file, uint64_t span, size_t len,
				       size_t need, gzc_cache_load_range_fn load, void *ctx,
				       struct gzc_cache_ref *ret);

/* Unpins a reference from gzc_cache_get(). Accepts a zeroed ref. */
void gzc_cache_release(struct gzc_cache *c, struct gzc_cache_ref *ref);

/* Drops every unpinned entry of one file (a reader closing). */
void gzc_cache_drop_file(struct gzc_cache *c, uint64_t file);

/* Returns a new file id, unique for the life of the cache (never 0). */
uint64_t gzc_cache_file_id(struct gzc_cache *c);

void gzc_cache_get_stats(struct gzc_cache *c, struct gzc_cache_stats *ret);

#endif

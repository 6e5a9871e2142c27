/*
 * cache.c — a bounded LRU cache of decoded spans, shared by many readers.
 *
 * Design: a chained hash table keyed by (file, span) holds every entry that
 * is loading or loaded; a doubly linked LRU list holds only the entries that
 * are loaded AND unpinned, so eviction just pops the list tail and can never
 * touch pinned bytes. An entry is created in the LOADING state by the first
 * thread that misses; that thread allocates and fills the buffer outside the
 * lock, then publishes READY (or unlinks the entry and publishes FAILED) and
 * broadcasts. Other threads that find a LOADING entry pin it and wait.
 *
 * Lock contract:
 *  - c->lock (one mutex) guards everything in struct gzc_cache and every
 *    field of every entry EXCEPT entry->data's contents.
 *  - entry->data's contents are written only by the loading thread, without
 *    the lock, while state == LOADING; everyone else reads them only after
 *    observing state == READY under the lock (the mutex orders the writes).
 *    Once READY the bytes never change until the entry is freed.
 *  - The loader callback is always called WITHOUT the lock held, so it may
 *    block, and may even call back into this cache for other keys (asking
 *    for its own key again would deadlock, as it would wait on itself).
 *  - c->cond (one condvar, shared by all entries) is broadcast whenever a
 *    load finishes; waiters re-check their own entry's state.
 *  - An entry is freed when it is out of the table and unpinned (refs == 0).
 *    refs counts the loader, waiters and handed-out references.
 *
 * Asking for a key already present with a different len returns -EINVAL
 * (a programmer error: a span has one size).
 *
 * Prefixes: an entry may hold only the first `valid` bytes of its span
 * (gzc_cache_get_range). A lookup that needs more extends it in place when
 * the loader left a resume state (gzc_cache_keep_resume): the entry goes
 * back to LOADING, the loader writes only bytes at and after `valid` (which
 * no pinned reader reads), and `valid` grows under the lock when it is done;
 * meanwhile lookups within the old prefix are still hits. Without a resume
 * state the entry is unlinked (its pinned readers keep it alive) and the
 * whole span loads into a new one. A resume state counts in the budget.
 */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define GZC_CACHE_MIN_BUCKETS 64u /* power of two */

enum entry_state {
	ENTRY_LOADING,
	ENTRY_READY,
	ENTRY_FAILED,
};

struct gzc_cache_entry {
	uint64_t file, span;
	unsigned char *data;
	size_t len;
	size_t valid;	 /* bytes loaded from the start (published under the lock) */
	size_t wanted;	 /* while LOADING: the largest need asked of it */
	void *resume;	 /* the loader's state to go on from valid, or NULL */
	void (*resume_free)(void *);
	size_t resume_bytes;
	size_t counted;	 /* what this entry adds to stats.bytes now */
	enum entry_state state;
	int err;	 /* when FAILED: the loader's negative errno */
	unsigned refs;	 /* loader + waiters + handed-out references */
	bool in_table;
	struct gzc_cache_entry *hnext;		/* hash chain */
	struct gzc_cache_entry *lru_prev, *lru_next; /* only when in the LRU */
	bool in_lru;
};

struct gzc_cache {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t max_bytes;
	struct gzc_cache_entry **buckets;
	size_t nbuckets; /* power of two */
	size_t nentries; /* in the table, any state */
	struct gzc_cache_entry *lru_head, *lru_tail; /* head = most recent */
	uint64_t next_file_id;
	struct gzc_cache_stats stats; /* bytes/entries: READY entries in the table */
};

static uint64_t hash_key(uint64_t file, uint64_t span)
{
	/* splitmix64 finaliser over a mix of both halves of the key */
	uint64_t x = file * 0x9e3779b97f4a7c15ULL ^ span;
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static struct gzc_cache_entry **bucket_of(struct gzc_cache *c, uint64_t file, uint64_t span)
{
	return &c->buckets[hash_key(file, span) & (c->nbuckets - 1)];
}

static struct gzc_cache_entry *table_find(struct gzc_cache *c, uint64_t file, uint64_t span)
{
	for (struct gzc_cache_entry *e = *bucket_of(c, file, span); e; e = e->hnext)
		if (e->file == file && e->span == span)
			return e;
	return NULL;
}

/* Doubles the table when it gets dense. Failing to grow is harmless (chains
 * just get longer), so an allocation failure is ignored. */
static void table_maybe_grow(struct gzc_cache *c)
{
	if (c->nentries <= c->nbuckets)
		return;
	size_t n = c->nbuckets * 2;
	struct gzc_cache_entry **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct gzc_cache_entry *e = c->buckets[i];
		while (e) {
			struct gzc_cache_entry *next = e->hnext;
			size_t b = hash_key(e->file, e->span) & (n - 1);
			e->hnext = nb[b];
			nb[b] = e;
			e = next;
		}
	}
	free(c->buckets);
	c->buckets = nb;
	c->nbuckets = n;
}

static void table_insert(struct gzc_cache *c, struct gzc_cache_entry *e)
{
	struct gzc_cache_entry **b = bucket_of(c, e->file, e->span);
	e->hnext = *b;
	*b = e;
	e->in_table = true;
	c->nentries++;
	table_maybe_grow(c);
}

static void table_remove(struct gzc_cache *c, struct gzc_cache_entry *e)
{
	struct gzc_cache_entry **p = bucket_of(c, e->file, e->span);
	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	e->hnext = NULL;
	e->in_table = false;
	c->nentries--;
	if (e->counted) {
		c->stats.bytes -= e->counted;
		c->stats.entries--;
		e->counted = 0;
	}
}

static void lru_unlink(struct gzc_cache *c, struct gzc_cache_entry *e)
{
	if (!e->in_lru)
		return;
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
	e->in_lru = false;
}

static void lru_push_head(struct gzc_cache *c, struct gzc_cache_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = c->lru_head;
	if (c->lru_head)
		c->lru_head->lru_prev = e;
	else
		c->lru_tail = e;
	c->lru_head = e;
	e->in_lru = true;
}

static void drop_resume(struct gzc_cache_entry *e)
{
	if (e->resume && e->resume_free)
		e->resume_free(e->resume);
	e->resume = NULL;
	e->resume_bytes = 0;
}

/* Brings stats.bytes in line with what e holds now (lock held). */
static void recount(struct gzc_cache *c, struct gzc_cache_entry *e)
{
	if (!e->in_table || !e->data)
		return;
	if (!e->counted)
		c->stats.entries++;
	c->stats.bytes = c->stats.bytes - e->counted + e->len + e->resume_bytes;
	e->counted = e->len + e->resume_bytes;
}

static void entry_free(struct gzc_cache_entry *e)
{
	drop_resume(e);
	free(e->data);
	free(e);
}

/* Evicts least recently used unpinned entries until within budget. Pinned
 * entries are never in the LRU, so they cannot be evicted. The most recently
 * used entry stays even when it alone is over the budget (a span larger than
 * the cache): else every read in it would decode it again from its start,
 * and reading it through would take time quadratic in its size. A budget of
 * 0 keeps nothing. */
static void evict_to_budget(struct gzc_cache *c)
{
	while (c->stats.bytes > c->max_bytes && c->lru_tail &&
	       (c->max_bytes == 0 || c->lru_tail != c->lru_head)) {
		struct gzc_cache_entry *e = c->lru_tail;
		lru_unlink(c, e);
		table_remove(c, e);
		c->stats.evictions++;
		entry_free(e);
	}
}

/* Drops one pin; called with the lock held. */
static void entry_unpin(struct gzc_cache *c, struct gzc_cache_entry *e)
{
	if (--e->refs > 0)
		return;
	if (!e->in_table) {
		entry_free(e);
		return;
	}
	/* Only READY entries are in the table with no pins: a LOADING entry
	 * is pinned by its loader, a FAILED one is already unlinked. */
	lru_push_head(c, e);
	evict_to_budget(c);
}

int gzc_cache_new(size_t max_bytes, struct gzc_cache **ret)
{
	struct gzc_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->buckets = calloc(GZC_CACHE_MIN_BUCKETS, sizeof(*c->buckets));
	if (!c->buckets)
		goto fail;
	c->nbuckets = GZC_CACHE_MIN_BUCKETS;
	c->max_bytes = max_bytes;
	c->next_file_id = 1;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&c->cond, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	free(c->buckets);
	free(c);
	return -ENOMEM;
}

void gzc_cache_free(struct gzc_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct gzc_cache_entry *e = c->buckets[i];
		while (e) {
			struct gzc_cache_entry *next = e->hnext;
			entry_free(e);
			e = next;
		}
	}
	free(c->buckets);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Runs the load for e, which the caller created and pinned; called and
 * returns with the lock held, drops it around the allocation and the load. */
static int entry_load(struct gzc_cache *c, struct gzc_cache_entry *e, size_t need,
		      gzc_cache_load_range_fn load, void *ctx)
{
	pthread_mutex_unlock(&c->lock);
	unsigned char *buf = malloc(e->len);
	long v = buf ? load(ctx, e->file, e->span, buf, e->len, need, e) : -ENOMEM;
	int r = v < 0 ? (int)v : 0;
	if (v >= 0 && ((size_t)v < need || (size_t)v > e->len)) /* the loader broke its contract */
		r = -EIO;
	pthread_mutex_lock(&c->lock);

	if (r == 0) {
		e->valid = (size_t)v;
		e->data = buf;
		e->state = ENTRY_READY;
		if (e->valid == e->len)
			drop_resume(e);
		recount(c, e);
		/* e is pinned, so this only evicts others; it keeps the budget
		 * honest even when no release happens for a while. */
		evict_to_budget(c);
	} else {
		free(buf);
		drop_resume(e);
		e->state = ENTRY_FAILED;
		e->err = r;
		table_remove(c, e);
	}
	pthread_cond_broadcast(&c->cond);
	return r;
}

/* Extends the READY prefix entry e in place (it has a resume state); called
 * and returns with the lock held, e pinned by the caller. */
static int entry_extend(struct gzc_cache *c, struct gzc_cache_entry *e, size_t need,
			gzc_cache_load_range_fn load, void *ctx)
{
	e->state = ENTRY_LOADING;
	e->wanted = need;
	pthread_mutex_unlock(&c->lock);
	long v = load(ctx, e->file, e->span, e->data, e->len, need, e);
	int r = v < 0 ? (int)v : 0;
	if (v >= 0 && ((size_t)v < need || (size_t)v > e->len))
		r = -EIO;
	pthread_mutex_lock(&c->lock);
	/* a failed extension leaves the prefix as it was: still good */
	if (r == 0)
		e->valid = (size_t)v;
	if (r < 0 || e->valid == e->len)
		drop_resume(e);
	e->state = ENTRY_READY;
	recount(c, e);
	evict_to_budget(c);
	pthread_cond_broadcast(&c->cond);
	return r;
}

void gzc_cache_keep_resume(struct gzc_cache *c, struct gzc_cache_entry *e, void *state, void (*free_fn)(void *),
			   size_t bytes)
{
	pthread_mutex_lock(&c->lock);
	drop_resume(e);
	e->resume = state;
	e->resume_free = free_fn;
	e->resume_bytes = bytes;
	pthread_mutex_unlock(&c->lock);
}

void *gzc_cache_take_resume(struct gzc_cache *c, struct gzc_cache_entry *e)
{
	pthread_mutex_lock(&c->lock);
	void *state = e->resume;
	e->resume = NULL;
	e->resume_bytes = 0;
	recount(c, e);
	pthread_mutex_unlock(&c->lock);
	return state;
}

/* Adapts a whole-span loader to the prefix interface. */
struct whole_load {
	gzc_cache_load_fn load;
	void *ctx;
};

static long load_whole(void *ctx, uint64_t file, uint64_t span, void *buf, size_t len, size_t need,
		       struct gzc_cache_entry *entry)
{
	struct whole_load *w = ctx;
	(void)need;
	(void)entry;
	int r = w->load(w->ctx, file, span, buf, len);
	if (r > 0) /* the loader broke its contract; do not cache garbage */
		return -EIO;
	return r < 0 ? r : (long)len;
}

int gzc_cache_get(struct gzc_cache *c, uint64_t file, uint64_t span, size_t len,
		  gzc_cache_load_fn load, void *ctx, struct gzc_cache_ref *ret)
{
	struct whole_load w = { load, ctx };
	if (!load)
		return -EINVAL;
	return gzc_cache_get_range(c, file, span, len, len, load_whole, &w, ret);
}

int gzc_cache_get_range(struct gzc_cache *c, uint64_t file, uint64_t span, size_t len, size_t need,
			gzc_cache_load_range_fn load, void *ctx, struct gzc_cache_ref *ret)
{
	struct gzc_cache_entry *e;
	int r;

	if (len == 0 || need == 0 || need > len || !load)
		return -EINVAL;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		e = table_find(c, file, span);
		if (!e)
			break;
		if (e->len != len) {
			r = -EINVAL;
			goto out;
		}
		if (e->refs++ == 0)
			lru_unlink(c, e);
		/* published bytes never change: a hit even while it is extended */
		if (e->data && e->state != ENTRY_FAILED && e->valid >= need) {
			c->stats.hits++;
			goto found;
		}
		if (e->state == ENTRY_LOADING) {
			c->stats.waits++;
			if (need > e->wanted)
				e->wanted = need; /* the loader may go on for us */
			while (e->state == ENTRY_LOADING)
				pthread_cond_wait(&c->cond, &c->lock);
			if (e->state == ENTRY_FAILED)
				goto found; /* reports the loader's error */
			if (e->valid >= need)
				goto found;
			entry_unpin(c, e);
			continue; /* a prefix too short: look again */
		}
		if (e->resume) {
			/* READY but too short, and resumable: go on from valid */
			c->stats.extends++;
			r = entry_extend(c, e, need, load, ctx);
			if (r < 0) {
				entry_unpin(c, e);
				goto out;
			}
			if (e->valid >= need)
				goto found;
			entry_unpin(c, e);
			continue;
		}
		/* READY but too short: retire it (pinned readers keep it), load all */
		table_remove(c, e);
		entry_unpin(c, e);
		need = len;
		break;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		r = -ENOMEM;
		goto out;
	}
	e->file = file;
	e->span = span;
	e->len = len;
	e->state = ENTRY_LOADING;
	e->refs = 1;
	e->wanted = need;
	table_insert(c, e);
	c->stats.misses++;
	entry_load(c, e, need, load, ctx);
found:
	if (e->state == ENTRY_FAILED) {
		r = e->err;
		entry_unpin(c, e);
		goto out;
	}
	ret->data = e->data;
	ret->len = e->valid;
	ret->entry = e;
	r = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return r;
}

size_t gzc_cache_wanted(struct gzc_cache *c, struct gzc_cache_entry *e)
{
	pthread_mutex_lock(&c->lock);
	size_t w = e->wanted;
	pthread_mutex_unlock(&c->lock);
	return w;
}

void gzc_cache_release(struct gzc_cache *c, struct gzc_cache_ref *ref)
{
	if (!ref || !ref->entry)
		return;
	pthread_mutex_lock(&c->lock);
	entry_unpin(c, ref->entry);
	pthread_mutex_unlock(&c->lock);
	ref->data = NULL;
	ref->len = 0;
	ref->entry = NULL;
}

void gzc_cache_drop_file(struct gzc_cache *c, uint64_t file)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct gzc_cache_entry *e = c->buckets[i];
		while (e) {
			struct gzc_cache_entry *next = e->hnext;
			/* unpinned entries in the table are exactly those in the LRU */
			if (e->file == file && e->in_lru) {
				lru_unlink(c, e);
				table_remove(c, e);
				entry_free(e);
			}
			e = next;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

uint64_t gzc_cache_file_id(struct gzc_cache *c)
{
	pthread_mutex_lock(&c->lock);
	uint64_t id = c->next_file_id++;
	pthread_mutex_unlock(&c->lock);
	return id;
}

void gzc_cache_get_stats(struct gzc_cache *c, struct gzc_cache_stats *ret)
{
	pthread_mutex_lock(&c->lock);
	*ret = c->stats;
	pthread_mutex_unlock(&c->lock);
}

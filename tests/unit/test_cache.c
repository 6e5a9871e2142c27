/*
 * test_cache.c — unit tests of the span cache (src/cache.c).
 *
 * Every loader here fills a span with bytes derived from (file, span), so a
 * reader can check it got the right bytes and not merely some bytes. Worker
 * threads never call cr_assert (Criterion's assertions are not meant for
 * other threads); they record what they saw and the test thread asserts.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"

static unsigned char pattern_byte(uint64_t file, uint64_t span, size_t i)
{
	uint64_t x = file * 1000003u + span * 7919u + i * 31u;
	x ^= x >> 13;
	return (unsigned char)(x * 0x9du);
}

static void fill_pattern(unsigned char *buf, uint64_t file, uint64_t span, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(file, span, i);
}

static bool check_pattern(const unsigned char *buf, uint64_t file, uint64_t span, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern_byte(file, span, i))
			return false;
	return true;
}

/* A loader that counts its calls, can sleep, and can fail on demand. */
struct loader {
	atomic_uint calls;
	atomic_int fail_next; /* fail this many more calls with fail_err */
	int fail_err;
	useconds_t delay_us;
	unsigned fail_mod; /* stress: fail when (file+span+call) % fail_mod == 0 */
	/* with want_entered: the load waits (up to 10 s) until that many
	 * threads have entered gzc_cache_get(), then delay_us more, so the
	 * others are asking while it loads, not by the luck of a sleep */
	atomic_uint entered;
	unsigned want_entered;
};

static int load(void *ctx, uint64_t file, uint64_t span, void *buf, size_t len)
{
	struct loader *l = ctx;
	unsigned n = atomic_fetch_add(&l->calls, 1);
	for (int i = 0; l->want_entered && atomic_load(&l->entered) < l->want_entered && i < 10000; i++)
		usleep(1000);
	if (l->delay_us)
		usleep(l->delay_us);
	if (atomic_load(&l->fail_next) > 0) {
		atomic_fetch_sub(&l->fail_next, 1);
		memset(buf, 0xee, len); /* junk that must never be served */
		return l->fail_err;
	}
	if (l->fail_mod && (file + span + n) % l->fail_mod == 0)
		return -EIO;
	fill_pattern(buf, file, span, len);
	return 0;
}

static struct gzc_cache *new_cache(size_t max_bytes)
{
	struct gzc_cache *c = NULL;
	cr_assert_eq(gzc_cache_new(max_bytes, &c), 0);
	cr_assert_not_null(c);
	return c;
}

/* Gets and immediately releases (file, span), asserting the bytes. */
static void touch(struct gzc_cache *c, struct loader *l, uint64_t file, uint64_t span, size_t len)
{
	struct gzc_cache_ref ref;
	cr_assert_eq(gzc_cache_get(c, file, span, len, load, l, &ref), 0);
	cr_assert_eq(ref.len, len);
	cr_assert(check_pattern(ref.data, file, span, len), "wrong bytes for %llu/%llu",
		  (unsigned long long)file, (unsigned long long)span);
	gzc_cache_release(c, &ref);
	cr_assert_null(ref.entry);
}

/* The loader's calls and the cache's counts, with no waits and no evictions. */
static void assert_counts(struct gzc_cache *c, struct loader *l, unsigned calls, uint64_t misses, uint64_t hits,
			  size_t entries, size_t bytes)
{
	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(atomic_load(&l->calls), calls);
	cr_assert_eq(s.misses, misses);
	cr_assert_eq(s.hits, hits);
	cr_assert_eq(s.waits, 0);
	cr_assert_eq(s.evictions, 0);
	cr_assert_eq(s.entries, entries);
	cr_assert_eq(s.bytes, bytes);
}

Test(cache, hit_miss_counting)
{
	struct gzc_cache *c = new_cache(1 << 20);
	struct loader l = { 0 };
	uint64_t f = gzc_cache_file_id(c);
	cr_assert_neq(f, 0);

	touch(c, &l, f, 0, 100);
	touch(c, &l, f, 0, 100);
	touch(c, &l, f, 1, 100);
	touch(c, &l, f, 0, 100);

	assert_counts(c, &l, 2, 2, 2, 2, 200);
	gzc_cache_free(c);
}

Test(cache, bad_arguments)
{
	struct gzc_cache *c = new_cache(1 << 20);
	struct loader l = { 0 };
	struct gzc_cache_ref ref = { .data = (void *)&l, .len = 42 };

	cr_assert_eq(gzc_cache_get(c, 1, 0, 0, load, &l, &ref), -EINVAL);
	cr_assert_eq(ref.len, 42, "ref touched on failure");
	touch(c, &l, 1, 0, 100);
	/* same key, another size: a caller bug, refused rather than served */
	cr_assert_eq(gzc_cache_get(c, 1, 0, 50, load, &l, &ref), -EINVAL);
	cr_assert_eq(ref.len, 42);
	cr_assert_eq(atomic_load(&l.calls), 1);

	struct gzc_cache_ref zero = { 0 };
	gzc_cache_release(c, &zero); /* must be a no-op */
	gzc_cache_free(c);
	gzc_cache_free(NULL);
}

Test(cache, file_ids_unique)
{
	struct gzc_cache *c = new_cache(0);
	uint64_t a = gzc_cache_file_id(c), b = gzc_cache_file_id(c);
	cr_assert_neq(a, 0);
	cr_assert_neq(b, 0);
	cr_assert_neq(a, b);
	gzc_cache_free(c);
}

Test(cache, lru_eviction_order)
{
	/* room for exactly three 100-byte spans */
	struct gzc_cache *c = new_cache(300);
	struct loader l = { 0 };

	touch(c, &l, 1, 1, 100);
	touch(c, &l, 1, 2, 100);
	touch(c, &l, 1, 3, 100);
	touch(c, &l, 1, 1, 100); /* 1 is now the most recent; 2 the least */
	cr_assert_eq(atomic_load(&l.calls), 3);

	touch(c, &l, 1, 4, 100); /* must evict 2 */
	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(s.evictions, 1);
	cr_assert_eq(s.entries, 3);
	cr_assert_eq(s.bytes, 300);
	cr_assert_eq(atomic_load(&l.calls), 4);

	/* 1, 3, 4 still cached: no loads. Order of use now 1 < 3 < 4. */
	touch(c, &l, 1, 1, 100);
	touch(c, &l, 1, 3, 100);
	touch(c, &l, 1, 4, 100);
	cr_assert_eq(atomic_load(&l.calls), 4);

	touch(c, &l, 1, 2, 100); /* reloaded, evicts 1 */
	cr_assert_eq(atomic_load(&l.calls), 5);
	touch(c, &l, 1, 3, 100);
	touch(c, &l, 1, 4, 100);
	cr_assert_eq(atomic_load(&l.calls), 5);
	touch(c, &l, 1, 1, 100);
	cr_assert_eq(atomic_load(&l.calls), 6);

	/* a big span pushes out as many as it needs */
	touch(c, &l, 1, 9, 250);
	gzc_cache_get_stats(c, &s);
	cr_assert_leq(s.bytes, 300);
	cr_assert_eq(s.entries, 1);
	gzc_cache_free(c);
}

/* A span larger than the whole budget stays while it is the most recently
 * used (found by libFuzzer's reader runs: reading a 103 MB span through a
 * 64 MB cache decoded it again from its start on every read), and goes as
 * soon as another span is used. */
Test(cache, oversize_entry_stays_while_most_recent)
{
	struct gzc_cache *c = new_cache(300);
	struct loader l = { 0 };
	struct gzc_cache_stats s;

	touch(c, &l, 1, 1, 100);
	touch(c, &l, 1, 9, 1000);
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(s.entries, 1, "the older span must go");
	cr_assert_eq(s.bytes, 1000);
	for (int k = 0; k < 5; k++)
		touch(c, &l, 1, 9, 1000);
	cr_assert_eq(atomic_load(&l.calls), 2, "the big span was loaded again");
	touch(c, &l, 1, 2, 100);
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(s.entries, 1);
	cr_assert_eq(s.bytes, 100, "the big span outlived the next use");
	gzc_cache_free(c);
}

Test(cache, pinned_entries_survive_eviction)
{
	struct gzc_cache *c = new_cache(200);
	struct loader l = { 0 };
	struct gzc_cache_ref a, b;

	cr_assert_eq(gzc_cache_get(c, 1, 0, 100, load, &l, &a), 0);
	cr_assert_eq(gzc_cache_get(c, 1, 1, 100, load, &l, &b), 0);
	for (uint64_t s = 10; s < 50; s++)
		touch(c, &l, 1, s, 100);

	/* the pinned bytes are still intact (ASan would catch a free) */
	cr_assert(check_pattern(a.data, 1, 0, 100));
	cr_assert(check_pattern(b.data, 1, 1, 100));

	/* and still findable without a load */
	unsigned calls = atomic_load(&l.calls);
	struct gzc_cache_ref a2;
	cr_assert_eq(gzc_cache_get(c, 1, 0, 100, load, &l, &a2), 0);
	cr_assert_eq(a2.data, a.data, "a pinned entry was reloaded");
	cr_assert_eq(atomic_load(&l.calls), calls);

	/* budget is exceeded only by pinned bytes */
	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_leq(s.bytes, 200 + 100);

	gzc_cache_release(c, &a2);
	gzc_cache_release(c, &a);
	gzc_cache_release(c, &b);
	gzc_cache_get_stats(c, &s);
	cr_assert_leq(s.bytes, 200);
	gzc_cache_free(c);
}

Test(cache, zero_budget_caches_nothing)
{
	struct gzc_cache *c = new_cache(0);
	struct loader l = { 0 };

	touch(c, &l, 1, 0, 64);
	touch(c, &l, 1, 0, 64);
	cr_assert_eq(atomic_load(&l.calls), 2);

	/* but a pinned reference is shared while held */
	struct gzc_cache_ref r1, r2;
	cr_assert_eq(gzc_cache_get(c, 1, 0, 64, load, &l, &r1), 0);
	cr_assert_eq(gzc_cache_get(c, 1, 0, 64, load, &l, &r2), 0);
	cr_assert_eq(atomic_load(&l.calls), 3);
	cr_assert_eq(r1.data, r2.data);
	gzc_cache_release(c, &r1);
	gzc_cache_release(c, &r2);

	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(s.bytes, 0);
	cr_assert_eq(s.entries, 0);
	gzc_cache_free(c);
}

Test(cache, load_error_not_cached_then_retry)
{
	struct gzc_cache *c = new_cache(1 << 20);
	struct loader l = { .fail_next = 1, .fail_err = -EBADMSG };
	struct gzc_cache_ref ref = { .len = 7 };

	cr_assert_eq(gzc_cache_get(c, 1, 5, 100, load, &l, &ref), -EBADMSG);
	cr_assert_eq(ref.len, 7, "ref touched on failure");
	cr_assert_null(ref.entry);

	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(s.entries, 0);
	cr_assert_eq(s.bytes, 0);

	touch(c, &l, 1, 5, 100); /* retries, and now succeeds */
	cr_assert_eq(atomic_load(&l.calls), 2);
	touch(c, &l, 1, 5, 100); /* and is cached */
	cr_assert_eq(atomic_load(&l.calls), 2);
	gzc_cache_free(c);
}

/* More keys than the table's first 64 buckets: it grows (rehashing every
 * entry), and each of 200 keys over three files is still found, once. */
Test(cache, many_keys_grow_the_table)
{
	struct gzc_cache *c = new_cache(1u << 30);
	struct loader l = { 0 };
	uint64_t files[3] = { gzc_cache_file_id(c), gzc_cache_file_id(c), gzc_cache_file_id(c) };
	size_t total = 0;
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t k = 0; k < 200; k++) {
			touch(c, &l, files[k % 3], k, 100 + k);
			total += pass ? 0 : 100 + k;
		}
	assert_counts(c, &l, 200, 200, 200, 200, total);
	/* the grown table still drops one file's entries, and only those */
	gzc_cache_drop_file(c, files[1]);
	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(s.entries, 200 - 67);
	for (uint64_t k = 0; k < 200; k++)
		touch(c, &l, files[k % 3], k, 100 + k);
	cr_assert_eq(atomic_load(&l.calls), 200 + 67, "only the dropped file's spans load again");
	gzc_cache_free(c);
}

/* A prefix loader (as the reader's): loads need rounded up to STEP bytes,
 * going on from the resume state the previous load of the entry left, and
 * fails an extension on demand. */
#define STEP 100u
struct prefix_loader {
	struct gzc_cache *c;
	unsigned calls, fail_extend, states_freed;
	size_t last_from, last_need;
};

struct prefix_state {
	struct prefix_loader *l;
	size_t done;
};

static void prefix_state_free(void *p)
{
	struct prefix_state *st = p;
	st->l->states_freed++;
	free(st);
}

static long load_prefix(void *ctx, uint64_t file, uint64_t span, void *buf, size_t len, size_t need,
			struct gzc_cache_entry *entry)
{
	struct prefix_loader *l = ctx;
	struct prefix_state *st = gzc_cache_take_resume(l->c, entry);
	size_t from = st ? st->done : 0;
	l->calls++;
	l->last_from = from;
	l->last_need = need;
	if (st && l->fail_extend) {
		l->fail_extend--;
		memset((unsigned char *)buf + from, 0xee, len - from); /* never to be served */
		prefix_state_free(st);
		return -EBADMSG;
	}
	size_t v = (need + STEP - 1) / STEP * STEP;
	if (v > len)
		v = len;
	for (size_t i = from; i < v; i++) /* only at and after what is valid */
		((unsigned char *)buf)[i] = pattern_byte(file, span, i);
	if (v < len) {
		if (!st && !(st = malloc(sizeof(*st))))
			return -ENOMEM;
		*st = (struct prefix_state){ l, v };
		gzc_cache_keep_resume(l->c, entry, st, prefix_state_free, sizeof(*st));
	} else if (st) {
		prefix_state_free(st);
	}
	return (long)v;
}

/* Gets need bytes of (1, 0) through load_prefix: ref.len valid bytes, all right. */
static size_t get_prefix(struct prefix_loader *l, size_t len, size_t need)
{
	struct gzc_cache_ref ref;
	cr_assert_eq(gzc_cache_get_range(l->c, 1, 0, len, need, load_prefix, l, &ref), 0, "need %zu", need);
	size_t got = ref.len;
	cr_assert_geq(got, need);
	cr_assert(check_pattern(ref.data, 1, 0, got), "need %zu: wrong bytes", need);
	gzc_cache_release(l->c, &ref);
	return got;
}

/* A prefix grows in place from its resume state; an extension that fails
 * reports the loader's error and leaves the prefix as it was (still served,
 * no junk), its resume state freed; a longer need then loads the whole
 * span anew. */
Test(cache, failed_extension_keeps_the_prefix)
{
	const size_t len = 1000;
	struct prefix_loader l = { .c = new_cache(1u << 20) };
	struct gzc_cache_stats s;

	cr_assert_eq(get_prefix(&l, len, 50), 100);
	gzc_cache_get_stats(l.c, &s);
	cr_assert_eq(s.bytes, len + sizeof(struct prefix_state), "the resume state counts");
	cr_assert_eq(get_prefix(&l, len, 150), 200);
	cr_assert_eq(l.last_from, 100, "the extension did not go on from the prefix");

	l.fail_extend = 1;
	struct gzc_cache_ref ref = { .len = 7 };
	cr_assert_eq(gzc_cache_get_range(l.c, 1, 0, len, 450, load_prefix, &l, &ref), -EBADMSG);
	cr_assert_eq(ref.len, 7, "ref touched on failure");
	cr_assert_eq(l.last_from, 200);
	cr_assert_eq(l.states_freed, 1u);
	gzc_cache_get_stats(l.c, &s);
	cr_assert_eq(s.extends, 2);
	cr_assert_eq(s.misses, 1);
	cr_assert_eq(s.entries, 1);
	cr_assert_eq(s.bytes, len, "the failed extension's state still counts");

	unsigned calls = l.calls;
	cr_assert_eq(get_prefix(&l, len, 180), 200, "the prefix is not served after the failure");
	cr_assert_eq(l.calls, calls, "a need inside the prefix loaded");
	/* past it, with no resume state: a new load of the whole span */
	cr_assert_eq(get_prefix(&l, len, 450), len);
	cr_assert_eq(l.last_from, 0);
	cr_assert_eq(l.last_need, len);
	gzc_cache_get_stats(l.c, &s);
	cr_assert_eq(s.misses, 2);
	cr_assert_eq(s.extends, 2);
	cr_assert_eq(s.bytes, len);
	gzc_cache_free(l.c);
	cr_assert_eq(l.states_freed, 1u, "a state was freed twice, or the complete load kept one");
}

Test(cache, drop_file)
{
	struct gzc_cache *c = new_cache(1 << 20);
	struct loader l = { 0 };
	uint64_t f1 = gzc_cache_file_id(c), f2 = gzc_cache_file_id(c);

	for (uint64_t s = 0; s < 10; s++) {
		touch(c, &l, f1, s, 50);
		touch(c, &l, f2, s, 50);
	}
	struct gzc_cache_ref pinned;
	cr_assert_eq(gzc_cache_get(c, f1, 3, 50, load, &l, &pinned), 0);
	cr_assert_eq(atomic_load(&l.calls), 20);

	gzc_cache_drop_file(c, f1);
	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(s.entries, 11, "expected f2's 10 + f1's pinned one, got %zu", s.entries);
	cr_assert_eq(s.bytes, 11 * 50);
	cr_assert(check_pattern(pinned.data, f1, 3, 50));

	for (uint64_t s2 = 0; s2 < 10; s2++)
		touch(c, &l, f2, s2, 50);
	cr_assert_eq(atomic_load(&l.calls), 20, "f2 must be untouched");
	touch(c, &l, f1, 3, 50);
	cr_assert_eq(atomic_load(&l.calls), 20, "pinned entry must survive drop_file");
	touch(c, &l, f1, 4, 50);
	cr_assert_eq(atomic_load(&l.calls), 21, "f1's unpinned entry must be gone");

	gzc_cache_release(c, &pinned);
	gzc_cache_free(c);
}

/* ---- concurrency ---- */

#define NSAME 16
#define SPAN_LEN 4096

struct same_arg {
	struct gzc_cache *c;
	struct loader *l;
	pthread_barrier_t *start, *got;
	int rc;
	struct gzc_cache_ref ref;
	unsigned char copy[SPAN_LEN];
};

static void *same_worker(void *p)
{
	struct same_arg *a = p;
	pthread_barrier_wait(a->start);
	atomic_fetch_add(&a->l->entered, 1);
	a->rc = gzc_cache_get(a->c, 7, 42, SPAN_LEN, load, a->l, &a->ref);
	if (a->rc == 0)
		memcpy(a->copy, a->ref.data, SPAN_LEN);
	/* hold the pin until everyone has asked, so a late thread cannot
	 * legitimately cause a second load even with a zero budget */
	pthread_barrier_wait(a->got);
	gzc_cache_release(a->c, &a->ref);
	return NULL;
}

static void run_same_span(size_t max_bytes, int fail_err)
{
	struct gzc_cache *c = new_cache(max_bytes);
	struct loader l = { .delay_us = 50000, .fail_err = fail_err, .fail_next = fail_err ? 1 : 0,
			    .want_entered = NSAME };
	pthread_barrier_t start, got;
	pthread_barrier_init(&start, NULL, NSAME);
	pthread_barrier_init(&got, NULL, NSAME);
	static struct same_arg args[NSAME];
	pthread_t th[NSAME];

	for (int i = 0; i < NSAME; i++) {
		args[i] = (struct same_arg){ .c = c, .l = &l, .start = &start, .got = &got, .rc = 1 };
		cr_assert_eq(pthread_create(&th[i], NULL, same_worker, &args[i]), 0);
	}
	for (int i = 0; i < NSAME; i++)
		pthread_join(th[i], NULL);

	cr_assert_eq(atomic_load(&l.calls), 1, "loader called %u times", atomic_load(&l.calls));
	unsigned char want[SPAN_LEN];
	fill_pattern(want, 7, 42, SPAN_LEN);
	for (int i = 0; i < NSAME; i++) {
		cr_assert_eq(args[i].rc, fail_err, "thread %d got %d", i, args[i].rc);
		if (!fail_err)
			cr_assert_arr_eq(args[i].copy, want, SPAN_LEN, "thread %d got other bytes", i);
	}
	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_eq(s.misses, 1);
	cr_assert_eq(s.hits + s.waits, NSAME - 1);
	cr_assert_gt(s.waits, 0, "the slow load should have made someone wait");

	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&got);
	gzc_cache_free(c);
}

Test(cache, concurrent_same_span_one_load, .timeout = 30)
{
	run_same_span(1 << 20, 0);
}

Test(cache, concurrent_same_span_one_load_zero_budget, .timeout = 30)
{
	run_same_span(0, 0);
}

Test(cache, concurrent_waiters_share_error, .timeout = 30)
{
	run_same_span(1 << 20, -EBADMSG);
}

#define NSTRESS 16
#define STRESS_OPS 3000
#define STRESS_FILES 4
#define STRESS_SPANS 64

static size_t stress_len(uint64_t file, uint64_t span)
{
	return 64 + (size_t)((file * 13 + span * 7) % 16) * 32;
}

struct stress_arg {
	struct gzc_cache *c;
	struct loader *l;
	unsigned seed;
	unsigned bad_bytes, bad_rc, ok, failed;
};

static void *stress_worker(void *p)
{
	struct stress_arg *a = p;
	struct gzc_cache_ref held[3] = { 0 };
	uint64_t hf[3] = { 0 }, hs[3] = { 0 };

	for (int i = 0; i < STRESS_OPS; i++) {
		uint64_t f = 1 + rand_r(&a->seed) % STRESS_FILES;
		uint64_t s = rand_r(&a->seed) % STRESS_SPANS;
		size_t len = stress_len(f, s);
		int slot = i % 3;

		/* drop one of up to three held pins, then take a new one */
		if (held[slot].entry) {
			if (!check_pattern(held[slot].data, hf[slot], hs[slot], held[slot].len))
				a->bad_bytes++;
			gzc_cache_release(a->c, &held[slot]);
		}
		int r = gzc_cache_get(a->c, f, s, len, load, a->l, &held[slot]);
		if (r == -EIO) {
			a->failed++;
			continue;
		}
		if (r != 0 || held[slot].len != len) {
			a->bad_rc++;
			continue;
		}
		if (!check_pattern(held[slot].data, f, s, len))
			a->bad_bytes++;
		hf[slot] = f;
		hs[slot] = s;
		a->ok++;
		if (rand_r(&a->seed) % 500 == 0)
			gzc_cache_drop_file(a->c, f);
	}
	for (int k = 0; k < 3; k++) {
		if (held[k].entry && !check_pattern(held[k].data, hf[k], hs[k], held[k].len))
			a->bad_bytes++;
		gzc_cache_release(a->c, &held[k]);
	}
	return NULL;
}

Test(cache, stress_random_keys_small_budget, .timeout = 120)
{
	const size_t budget = 8 * 1024; /* far smaller than the working set */
	struct gzc_cache *c = new_cache(budget);
	struct loader l = { .fail_mod = 97 };
	static struct stress_arg args[NSTRESS];
	pthread_t th[NSTRESS];

	for (int i = 0; i < NSTRESS; i++) {
		args[i] = (struct stress_arg){ .c = c, .l = &l, .seed = 12345u + (unsigned)i * 7919u };
		cr_assert_eq(pthread_create(&th[i], NULL, stress_worker, &args[i]), 0);
	}
	unsigned ok = 0, failed = 0;
	for (int i = 0; i < NSTRESS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(args[i].bad_bytes, 0, "thread %d saw wrong bytes", i);
		cr_assert_eq(args[i].bad_rc, 0, "thread %d saw an unexpected result", i);
		ok += args[i].ok;
		failed += args[i].failed;
	}
	cr_assert_eq(ok + failed, NSTRESS * STRESS_OPS);
	cr_assert_gt(failed, 0, "the failure path was not exercised");

	struct gzc_cache_stats s;
	gzc_cache_get_stats(c, &s);
	cr_assert_leq(s.bytes, budget, "nothing pinned, yet %zu bytes cached", s.bytes);
	cr_assert_eq(s.misses, atomic_load(&l.calls), "a load that was not a miss");
	cr_assert_gt(s.evictions, 0);
	cr_assert_eq(s.hits + s.misses + s.waits, (uint64_t)NSTRESS * STRESS_OPS);
	gzc_cache_free(c);
}

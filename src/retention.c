/*
 * retention.c — the retention rules of retention.h, over an index array
 * sorted newest first (so "keep the newest N" is a counting pass and
 * "delete the oldest" walks it backwards).
 */
#include "retention.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_idx_newest(const void *a, const void *b, void *ctx)
{
	const struct gzc_ret_item *items = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (items[i].time_us != items[j].time_us)
		return items[i].time_us > items[j].time_us ? -1 : 1;
	return i < j ? 1 : (i > j ? -1 : 0);
}

/* The key a per-key rule counts by: the group (max_per_app) or the
 * crash's signature (max_per_signature). */
typedef const char *(*key_fn)(const struct gzc_ret_item *it);
static const char *key_group(const struct gzc_ret_item *it) { return it->group; }
static const char *key_signature(const struct gzc_ret_item *it) { return it->signature; }

struct key_sort {
	const struct gzc_ret_item *items;
	key_fn key;
};

/* By key (NULL last), newest first within one. */
static int cmp_idx_key(const void *a, const void *b, void *ctx)
{
	const struct key_sort *k = ctx;
	const char *g = k->key(&k->items[*(const size_t *)a]), *h = k->key(&k->items[*(const size_t *)b]);
	if (g != h) {
		if (!g || !h)
			return g ? -1 : 1;
		int c = strcmp(g, h);
		if (c)
			return c;
	}
	return cmp_idx_newest(a, b, (void *)k->items);
}

static int same_key(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Deletable for the incoming core's room: older than it. */
static bool older(const struct gzc_ret_item *it, const struct gzc_ret_state *st)
{
	return !st->in.time_us || it->time_us < st->in.time_us;
}

static int plan(const struct gzc_ret_item *items, size_t n, const struct gzc_ret_limits *lim,
		const struct gzc_ret_state *st, bool *ret_delete);

int gzc_retention_plan(const struct gzc_ret_item *items, size_t n, const struct gzc_ret_limits *lim,
		       const struct gzc_ret_state *st, bool *ret_delete)
{
	if (!lim || !st || (n && (!items || !ret_delete)))
		return -EINVAL;
	int r = plan(items, n, lim, st, ret_delete);
	if (r != -ENOSPC)
		return r;
	/* the incoming core's room cannot be made: the standing rules alone */
	struct gzc_ret_state alone = *st;
	alone.in = (struct gzc_ret_incoming){ .written = st->in.written };
	return plan(items, n, lim, &alone, ret_delete);
}

/* 1. age: a core older than max_age goes (unless kept). */
static void mark_age(const struct gzc_ret_item *items, size_t n, const struct gzc_ret_limits *lim,
		     const struct gzc_ret_state *st, bool *ret_delete)
{
	if (!lim->max_age_s)
		return;
	uint64_t age_us = lim->max_age_s > UINT64_MAX / 1000000 ? UINT64_MAX : lim->max_age_s * 1000000;
	for (size_t i = 0; i < n; i++)
		if (!items[i].keep && st->now_us > items[i].time_us && st->now_us - items[i].time_us > age_us)
			ret_delete[i] = true;
}

/* 2. per key: one key after another, newest first, counting its
 * survivors; the incoming core (whose key is in_key) holds a slot from its
 * own time on (its room comes from older cores only). Sorted by key: a
 * store of 100,000 cores costs a sort, not a scan of every newer core per
 * core. Items without a key are alone, never over the limit. */
static void mark_per_key(const struct gzc_ret_item *items, size_t n, key_fn key, uint32_t limit, const char *in_key,
			 const struct gzc_ret_state *st, size_t *ord, bool *ret_delete)
{
	if (!limit)
		return;
	struct key_sort ks = { items, key };
	qsort_r(ord, n, sizeof(*ord), cmp_idx_key, &ks);
	for (size_t a = 0, b; a < n; a = b) {
		const char *g = key(&items[ord[a]]);
		for (b = a + 1; g && b < n && same_key(g, key(&items[ord[b]])); b++)
			;
		if (!g)
			continue;
		uint64_t kept = 0;
		bool slot = same_key(g, in_key);
		for (size_t k = a; k < b; k++) {
			size_t i = ord[k];
			if (slot && older(&items[i], st)) {
				kept++;
				slot = false;
			}
			if (ret_delete[i])
				continue;
			if (kept >= limit && !items[i].keep)
				ret_delete[i] = true;
			else
				kept++;
		}
	}
}

/* The plan, or -ENOSPC when the incoming core's room cannot be reached. */
static int plan(const struct gzc_ret_item *items, size_t n, const struct gzc_ret_limits *lim,
		const struct gzc_ret_state *st, bool *ret_delete)
{
	size_t *ord = malloc((n ? n : 1) * sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ord[i] = i;
		ret_delete[i] = false;
	}

	mark_age(items, n, lim, st, ret_delete);

	/* 2. per app, then per signature */
	mark_per_key(items, n, key_group, lim->max_per_app, st->in.group, st, ord, ret_delete);
	mark_per_key(items, n, key_signature, lim->max_per_signature, NULL, st, ord, ret_delete);
	qsort_r(ord, n, sizeof(*ord), cmp_idx_newest, (void *)items);

	/* 3. space: oldest first; beyond keep_free itself, the incoming core's
	 * reserve only from cores older than it */
	uint64_t used = 0, fs_free = st->fs_free;
	for (size_t i = 0; i < n; i++)
		if (!ret_delete[i])
			used += items[i].bytes;
		else if (fs_free <= UINT64_MAX - items[i].bytes)
			fs_free += items[i].bytes; /* what the rules above free counts */
	for (size_t a = n; a-- > 0;) {
		size_t i = ord[a];
		if (ret_delete[i] || items[i].keep)
			continue;
		bool over_use = lim->max_use && used + st->unlisted_bytes + st->in.written > lim->max_use;
		bool under_free = lim->keep_free && fs_free < lim->keep_free;
		bool for_room = lim->keep_free && fs_free < lim->keep_free + st->in.reserve && older(&items[i], st);
		if (!over_use && !under_free && !for_room)
			continue; /* newer than the incoming core: an older one may still go */
		ret_delete[i] = true;
		used -= items[i].bytes;
		fs_free += items[i].bytes;
	}
	if (lim->keep_free && st->in.reserve && fs_free < lim->keep_free + st->in.reserve) {
		free(ord);
		return -ENOSPC;
	}

	int count = 0;
	for (size_t i = 0; i < n; i++)
		count += ret_delete[i];
	free(ord);
	return count;
}

bool gzc_rate_allows(const uint64_t *times_us, size_t n, uint64_t now_us, uint32_t count, uint64_t window_s)
{
	if (!count)
		return true;
	uint64_t win_us = window_s > UINT64_MAX / 1000000 ? UINT64_MAX : window_s * 1000000;
	size_t inside = 0;
	for (size_t i = 0; i < n; i++)
		if (now_us < win_us || times_us[i] > now_us - win_us)
			inside++;
	return inside < count;
}

uint64_t gzc_retention_core_budget(const struct gzc_ret_limits *lim, uint64_t written, uint64_t fs_free)
{
	uint64_t room = lim->keep_free ? (fs_free > lim->keep_free ? fs_free - lim->keep_free : 0) : fs_free;
	uint64_t b = room > UINT64_MAX - written ? UINT64_MAX : written + room;
	return lim->max_use && lim->max_use < b ? lim->max_use : b;
}

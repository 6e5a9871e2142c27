/* Unit tests for retention.c: each rule alone, their order, the rate limit, the budget. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "retention.h"

#define S 1000000ull /* one second in us */

static const struct gzc_ret_item items[] = {
	{ 100 * S, 10, "a-1", false, "s1" }, /* 0 oldest */
	{ 200 * S, 20, "b-1", false, "s1" }, /* 1 */
	{ 300 * S, 30, "a-1", false, "s2" }, /* 2 */
	{ 400 * S, 40, "a-1", false, "s1" }, /* 3 newest of a */
	{ 500 * S, 50, "b-1", false, NULL }, /* 4 newest (no signature known) */
};
#define N 5

static int plan(const struct gzc_ret_limits *lim, const struct gzc_ret_state *st, bool del[N])
{
	return gzc_retention_plan(items, N, lim, st, del);
}

Test(retention, no_limits_keep_everything)
{
	bool del[N];
	struct gzc_ret_limits lim = { 0 };
	struct gzc_ret_state st = { .now_us = 1000 * S, .fs_free = 1 };
	cr_assert_eq(plan(&lim, &st, del), 0);
	for (int i = 0; i < N; i++)
		cr_assert(!del[i]);
}

Test(retention, max_age)
{
	bool del[N];
	struct gzc_ret_limits lim = { .max_age_s = 250 };
	struct gzc_ret_state st = { .now_us = 500 * S };
	cr_assert_eq(plan(&lim, &st, del), 2);
	cr_assert(del[0] && del[1] && !del[2] && !del[3] && !del[4]);
}

Test(retention, max_per_app_keeps_newest)
{
	bool del[N];
	struct gzc_ret_limits lim = { .max_per_app = 1 };
	struct gzc_ret_state st = { .now_us = 500 * S };
	cr_assert_eq(plan(&lim, &st, del), 3);
	cr_assert(del[0] && del[1] && del[2] && !del[3] && !del[4]);
	/* one slot reserved for an incoming core of a-1: all of a-1 goes */
	st.in.group = "a-1";
	cr_assert_eq(plan(&lim, &st, del), 4);
	cr_assert(del[3] && !del[4]);
	lim.max_per_app = 2;
	st.in.group = NULL;
	cr_assert_eq(plan(&lim, &st, del), 1);
	cr_assert(del[0]);
}

Test(retention, max_use_counts_unlisted_cores)
{
	/* 150 listed + 45 of newer cores not listed: down to 100 takes the
	 * four oldest listed ones (only listed cores can go) */
	bool del[N];
	struct gzc_ret_limits lim = { .max_use = 100 };
	struct gzc_ret_state st = { .now_us = 500 * S, .fs_free = 1 << 30, .unlisted_bytes = 45 };
	cr_assert_eq(plan(&lim, &st, del), 4);
	cr_assert(del[0] && del[1] && del[2] && del[3] && !del[4]);
	st.unlisted_bytes = 1000;
	cr_assert_eq(plan(&lim, &st, del), 5, "all listed go, the unlisted alone are over");
}

Test(retention, max_use_oldest_first)
{
	bool del[N];
	struct gzc_ret_limits lim = { .max_use = 100 };
	struct gzc_ret_state st = { .now_us = 500 * S, .fs_free = 1 << 30 };
	/* 150 used: drop 10, 20, 30 -> 90 */
	cr_assert_eq(plan(&lim, &st, del), 3);
	cr_assert(del[0] && del[1] && del[2] && !del[3]);
	/* an incoming core with 50 on disk: 40 + 50 + 50 > 100, the 40 goes
	 * too; the room it still wants is not counted (max_use is applied
	 * again once it is stored) */
	st.in = (struct gzc_ret_incoming){ .written = 50, .reserve = 1000 };
	cr_assert_eq(plan(&lim, &st, del), 4);
	cr_assert(del[3] && !del[4]);
}

Test(retention, keep_free)
{
	bool del[N];
	struct gzc_ret_limits lim = { .keep_free = 1000 };
	struct gzc_ret_state st = { .now_us = 500 * S, .fs_free = 975 };
	cr_assert_eq(plan(&lim, &st, del), 2); /* +10 +20 reach 1005 */
	cr_assert(del[0] && del[1] && !del[2]);
	/* what an incoming core wrote is already out of fs_free: only the room
	 * it still wants counts (+10 +20 +30 reach 1035 >= 1000 + 30) */
	st.in = (struct gzc_ret_incoming){ .written = 500, .reserve = 30 };
	cr_assert_eq(plan(&lim, &st, del), 3);
	cr_assert(del[2] && !del[3]);
}

/* Room for an incoming core comes only from older cores, and only when it
 * can be reached: a core that cannot be stored costs no other core. */
Test(retention, incoming_room_only_from_older_and_only_if_enough)
{
	bool del[N];
	struct gzc_ret_limits lim = { .keep_free = 1000, .max_per_app = 3 };
	/* crashed at 350 s: the cores of 100, 200 and 300 s may make room */
	struct gzc_ret_state st = { .now_us = 600 * S, .fs_free = 1000,
				    .in = { .group = "a-1", .reserve = 60, .time_us = 350 * S } };
	cr_assert_eq(plan(&lim, &st, del), 3, "+10 +20 +30 reach 1060");
	cr_assert(del[0] && del[1] && del[2] && !del[3] && !del[4]);
	/* 61 more cannot be had from older cores (60 in all): nothing goes for
	 * it, not even a-1's max_per_app slot (a-1 holds 3 cores) */
	st.in.reserve = 61;
	cr_assert_eq(plan(&lim, &st, del), 0);
	/* keep_free itself is a standing rule: below it, the oldest go whatever
	 * the incoming core's time */
	st.fs_free = 990;
	cr_assert_eq(plan(&lim, &st, del), 1, "+10 reaches keep_free; the room is out of reach");
	cr_assert(del[0]);
	/* no crash time: any core may make room, newest last */
	st.fs_free = 1000;
	st.in.time_us = 0;
	cr_assert_eq(plan(&lim, &st, del), 4, "+10 +20 +30 +40 reach 1100 >= 1061; the slot in a-1 is taken by then");
	cr_assert(!del[4]);
}

Test(retention, rules_compose)
{
	bool del[N];
	struct gzc_ret_limits lim = { .max_age_s = 450, .max_per_app = 1, .max_use = 60 };
	struct gzc_ret_state st = { .now_us = 600 * S, .fs_free = 1 << 30 };
	/* age drops 0, 1 (older than 450 s); per app drops 2; 40+50 > 60 drops 3 */
	cr_assert_eq(plan(&lim, &st, del), 4);
	cr_assert(!del[4]);
}

Test(retention, bad_arguments)
{
	bool del[1];
	struct gzc_ret_limits lim = { 0 };
	struct gzc_ret_state st = { 0 };
	cr_assert_eq(gzc_retention_plan(NULL, 1, &lim, &st, del), -EINVAL);
	cr_assert_eq(gzc_retention_plan(items, 1, NULL, &st, del), -EINVAL);
	cr_assert_eq(gzc_retention_plan(NULL, 0, &lim, &st, NULL), 0);
}

Test(retention, rate_limit)
{
	uint64_t t[] = { 1000 * S, 2000 * S, 3500 * S };
	cr_assert(gzc_rate_allows(t, 3, 4000 * S, 0, 3600), "0 = no limit");
	cr_assert(!gzc_rate_allows(t, 3, 4000 * S, 3, 3600), "three in the last hour");
	cr_assert(gzc_rate_allows(t, 3, 4000 * S, 4, 3600));
	cr_assert(gzc_rate_allows(t, 3, 6000 * S, 2, 3600), "only 2000 and 3500 are inside");
	cr_assert(!gzc_rate_allows(t, 3, 5500 * S, 2, 3600));
	cr_assert(!gzc_rate_allows(t, 3, 10 * S, 1, 60), "times in the future count");
	cr_assert(gzc_rate_allows(NULL, 0, 10 * S, 1, 60));
}

Test(retention, core_budget)
{
	struct gzc_ret_limits lim = { 0 };
	cr_assert_eq(gzc_retention_core_budget(&lim, 5, 1000), 1005, "no limits: what is written and the free space");
	cr_assert_eq(gzc_retention_core_budget(&lim, 5, 0), 5, "a full disk");
	lim.max_use = 100;
	cr_assert_eq(gzc_retention_core_budget(&lim, 30, 1000), 100, "max_use bounds the core itself");
	cr_assert_eq(gzc_retention_core_budget(&lim, 130, 1000), 100);
	lim.keep_free = 950;
	cr_assert_eq(gzc_retention_core_budget(&lim, 30, 1000), 80, "50 more above keep_free");
	cr_assert_eq(gzc_retention_core_budget(&lim, 30, 900), 30, "none more");
	lim.max_use = 0;
	cr_assert_eq(gzc_retention_core_budget(&lim, UINT64_MAX - 10, 1000), UINT64_MAX, "no overflow");
}

/* A kept item (the core just stored) is never marked, yet counts: its
 * group's survivor, its bytes in use. */
Test(retention, kept_item_counts_and_stays)
{
	struct gzc_ret_item it[] = {
		{ 100 * S, 10, "a-1", false, NULL },
		{ 200 * S, 20, "a-1", true, NULL }, /* stored last, crashed before 300 s */
		{ 300 * S, 30, "a-1", false, NULL },
	};
	bool del[3];
	struct gzc_ret_limits lim = { .max_per_app = 1 };
	struct gzc_ret_state st = { .now_us = 400 * S };
	cr_assert_eq(gzc_retention_plan(it, 3, &lim, &st, del), 1);
	cr_assert(del[0] && !del[1] && !del[2], "the newest and the kept one stay, the oldest goes");
	/* max_age does not take it either */
	lim = (struct gzc_ret_limits){ .max_age_s = 1 };
	cr_assert_eq(gzc_retention_plan(it, 3, &lim, &st, del), 2);
	cr_assert(del[0] && !del[1] && del[2]);
	/* max_use: its 20 bytes stay in use, so both others must go to reach 20 */
	lim = (struct gzc_ret_limits){ .max_use = 25 };
	st.fs_free = 1 << 30;
	cr_assert_eq(gzc_retention_plan(it, 3, &lim, &st, del), 2);
	cr_assert(del[0] && !del[1] && del[2]);
}

/* The incoming core's max_per_app slot comes from cores older than it only. */
Test(retention, incoming_slot_only_from_older)
{
	bool del[N];
	struct gzc_ret_limits lim = { .max_per_app = 1 };
	/* a-1 crashed at 350 s: the core of 400 s is newer and stays; the
	 * slot takes 300 s's place, and 100 s goes as before */
	struct gzc_ret_state st = { .now_us = 600 * S, .in = { .group = "a-1", .time_us = 350 * S } };
	cr_assert_eq(plan(&lim, &st, del), 3);
	cr_assert(del[0] && del[1] && del[2] && !del[3] && !del[4]);
}

/* Many groups, interleaved in time: each keeps exactly its newest N (and
 * cores without a group are never counted together). */
Test(retention, max_per_app_many_groups)
{
	enum { G = 1000, PER = 50, NI = G * PER + 10 };
	static struct gzc_ret_item it[NI];
	static bool del[NI];
	static char names[G][16];
	for (int g = 0; g < G; g++)
		snprintf(names[g], sizeof(names[g]), "app%d-1", g);
	for (int i = 0; i < G * PER; i++) /* group i % G, time i: interleaved */
		it[i] = (struct gzc_ret_item){ (uint64_t)(i + 1) * S, 1, names[i % G], false, NULL };
	for (int i = G * PER; i < NI; i++)
		it[i] = (struct gzc_ret_item){ (uint64_t)(i + 1) * S, 1, NULL, false, NULL };
	struct gzc_ret_limits lim = { .max_per_app = 7 };
	struct gzc_ret_state st = { .now_us = (uint64_t)(NI + 1) * S };
	cr_assert_eq(gzc_retention_plan(it, NI, &lim, &st, del), G * (PER - 7));
	for (int i = 0; i < G * PER; i++)
		cr_assert_eq(del[i], i < G * (PER - 7), "item %d (group %d)", i, i % G);
	for (int i = G * PER; i < NI; i++)
		cr_assert(!del[i], "a core without a group");
}

/* max_per_signature: per crash signature, the newest N stay; it counts the
 * survivors of max_per_app; a core with no signature is alone. */
Test(retention, max_per_signature)
{
	bool del[N];
	struct gzc_ret_limits lim = { .max_per_signature = 1 };
	struct gzc_ret_state st = { .now_us = 1000 * S };
	cr_assert_eq(plan(&lim, &st, del), 2);
	cr_assert(del[0] && del[1] && !del[2] && !del[3] && !del[4], "s1 keeps its newest (3) across groups");
	lim.max_per_signature = 2;
	cr_assert_eq(plan(&lim, &st, del), 1);
	cr_assert(del[0] && !del[1]);
	/* after max_per_app 2 took 0 (a-1's oldest), s1 has 1 and 3: both stay at 2 */
	lim.max_per_app = 2;
	cr_assert_eq(plan(&lim, &st, del), 1);
	cr_assert(del[0] && !del[1] && !del[2] && !del[3] && !del[4]);
	/* at 1: 0 gone already (not counted twice), 1 goes for 3 */
	lim.max_per_signature = 1;
	cr_assert_eq(plan(&lim, &st, del), 2);
	cr_assert(del[0] && del[1] && !del[2] && !del[3] && !del[4]);
	/* the core just stored (kept) is never taken, yet holds its slot */
	struct gzc_ret_item it[] = {
		{ 100 * S, 10, "a-1", false, "s" },
		{ 300 * S, 10, "a-1", false, "s" },
		{ 200 * S, 10, "b-1", true, "s" },
	};
	bool d3[3];
	lim = (struct gzc_ret_limits){ .max_per_signature = 1 };
	cr_assert_eq(gzc_retention_plan(it, 3, &lim, &st, d3), 1);
	cr_assert(d3[0] && !d3[1] && !d3[2], "the newest stays, the kept one stays, the oldest goes");
}

/* store.c built with a small entry cap (1,000, the library's is 100,000),
 * so listing a store larger than the cap is tested on a few thousand files
 * in milliseconds, also under the sanitizers: the same source, compiled
 * here; its symbols stand in for the library's store.o. */
#define GZC_STORE_MAX_ENTRIES 1000
#include "store.c"

#include <stdbool.h>

#include "dir_fixture.h"

TestSuite(store_cap, .init = dir_setup, .fini = dir_teardown);

/* A store over GZC_STORE_MAX_ENTRIES: retention's listing keeps the oldest
 * (it removes the oldest first) and reports the others' disk use; the
 * listing shown keeps the newest. Directory order decides nothing. Most
 * entries are bare sidecars (cheap to make); the 10 oldest and the 10
 * newest have cores. */
Test(store_cap, more_entries_than_listed)
{
	const size_t extra = 10, total = GZC_STORE_MAX_ENTRIES + extra;
	int gfd;
	cr_assert_eq(gzc_store_group_open(rootfd, "big-1", true, &gfd), 0);
	uint64_t newest_use = 0, core_use = 0;
	for (size_t i = 0; i < total; i++) {
		/* timestamps scattered over the names, so no listing order matches them */
		uint64_t k = (i * 7919) % total, ts = 1000000 + k;
		char base[GZC_STORE_BASE_MAX], name[GZC_STORE_FILE_MAX];
		cr_assert(gzc_store_base_name((int64_t)(k + 1), ts, 0, base, sizeof(base)) > 0);
		snprintf(name, sizeof(name), "%s.json", base);
		int fd = openat(gfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		cr_assert(fd >= 0);
		close(fd);
		if (k >= extra && k < total - extra)
			continue;
		snprintf(name, sizeof(name), "%s.gz", base);
		fd = openat(gfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		cr_assert(fd >= 0);
		cr_assert_eq(write(fd, "x", 1), 1);
		cr_assert_eq(fsync(fd), 0);
		struct stat st;
		cr_assert_eq(fstat(fd, &st), 0);
		close(fd);
		core_use = (uint64_t)st.st_blocks * 512;
		if (k >= total - extra)
			newest_use += core_use;
	}
	close(gfd);
	cr_assert_gt(newest_use, 0);

	struct gzc_store_entry *e;
	size_t n;
	uint64_t unlisted = 0;
	cr_assert_eq(gzc_store_list_names(rootfd, &e, &n, &unlisted), 0);
	cr_assert_eq(n, GZC_STORE_MAX_ENTRIES);
	cr_assert_eq(unlisted, newest_use);
	cr_assert_eq(e[0].meta.timestamp_us, 1000000 + total - extra - 1, "the newest listed");
	cr_assert_eq(e[n - 1].meta.timestamp_us, 1000000, "the oldest listed");
	for (size_t i = 1; i < n; i++)
		cr_assert_eq(e[i - 1].meta.timestamp_us, e[i].meta.timestamp_us + 1);
	gzc_store_list_free(e, n);

	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, GZC_STORE_MAX_ENTRIES);
	cr_assert_eq(e[0].meta.timestamp_us, 1000000 + total - 1, "the newest shown");
	cr_assert_eq(e[n - 1].meta.timestamp_us, 1000000 + extra, "the oldest shown");
	gzc_store_list_free(e, n);

	/* max_use that the unlisted newest cores and 5 of the oldest fit in:
	 * the 5 oldest go, never a newer one */
	struct gzc_ret_limits lim = { .max_use = newest_use + 5 * core_use };
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, 2000000, NULL, NULL, NULL, NULL), 5);
	for (uint64_t k = 0; k < total; k = k == extra - 1 ? total - extra : k + 1) {
		char base[GZC_STORE_BASE_MAX], name[GZC_STORE_FILE_MAX + 8];
		cr_assert(gzc_store_base_name((int64_t)(k + 1), 1000000 + k, 0, base, sizeof(base)) > 0);
		snprintf(name, sizeof(name), "big-1/%s.gz", base);
		bool kept = faccessat(rootfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
		cr_assert_eq(kept, k >= 5, "core %llu %s", (unsigned long long)k, kept ? "kept" : "removed");
	}
}

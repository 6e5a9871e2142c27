/* Unit tests for store.c: layout, names, listing (skipping temporaries,
 * symlinks and strangers), lookup by pid or name, removal, vacuum. */
#include <criterion/criterion.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt_helpers.h"
#include "retention.h"
#include "store.h"

static char root[64];
static int rootfd = -1;

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/gzc-store-XXXXXX");
	cr_assert(mkdtemp(root));
	cr_assert_eq(rmdir(root), 0);
	cr_assert_eq(gzc_store_open(root, true, &rootfd), 0);
}

static void teardown(void)
{
	char cmd[128];
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

static void put_signed(const char *group, int64_t pid, uint64_t ts, bool with_core, const char *signature);

/* a fake stored core: sidecar + core (+ optional index) */
static void put(const char *group, int64_t pid, uint64_t ts, bool with_core)
{
	put_signed(group, pid, ts, with_core, NULL);
}

static int64_t put_uid = -1; /* the uid put_signed() records */

/* ... with a crash signature in its sidecar */
static void put_signed(const char *group, int64_t pid, uint64_t ts, bool with_core, const char *signature)
{
	int gfd;
	char base[GZC_STORE_BASE_MAX], name[GZC_STORE_FILE_MAX];
	struct gzc_meta m;
	cr_assert_eq(gzc_store_group_open(rootfd, group, true, &gfd), 0);
	cr_assert(gzc_store_base_name(pid, ts, 0, base, sizeof(base)) > 0);
	gzc_meta_init(&m);
	m.pid = pid;
	m.timestamp_us = ts;
	cr_assert_eq(gzc_meta_set(&m.signature, signature), 0);
	m.uid = put_uid;
	cr_assert_eq(gzc_meta_set(&m.maps, "55d0-55d1 r-xp 00000000 fd:01 1 /usr/bin/app\n"), 0);
	snprintf(name, sizeof(name), "%s.json", base);
	cr_assert_eq(gzc_meta_save(&m, gfd, name, 0600), 0);
	gzc_meta_clear(&m);
	if (with_core) {
		snprintf(name, sizeof(name), "%s.gz", base);
		int fd = openat(gfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
		cr_assert(fd >= 0);
		cr_assert_eq(write(fd, "x", 1), 1);
		close(fd);
	}
	close(gfd);
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, root_checks)
{
	struct stat st;
	cr_assert_eq(fstat(rootfd, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	int fd;
	char link[80];
	snprintf(link, sizeof(link), "%s.lnk", root);
	cr_assert_eq(symlink(root, link), 0);
	int r = gzc_store_open(link, false, &fd);
	cr_assert(r == -ELOOP || r == -ENOTDIR, "a symlinked root is refused (%d)", r);
	unlink(link);
	chmod(root, 0777);
	cr_assert_eq(gzc_store_open(root, false, &fd), -EPERM, "a world-writable root is refused");
	chmod(root, 0700);
	cr_assert_eq(gzc_store_open("/nonexistent/gzc", false, &fd), -ENOENT);
}

Test(store, names)
{
	char b[GZC_STORE_BASE_MAX];
	cr_assert_eq(gzc_store_base_name(42, 1700000000123456ull, 0, b, sizeof(b)), 24);
	cr_assert_str_eq(b, "core.42.1700000000123456");
	cr_assert(gzc_store_is_base(b));
	cr_assert(gzc_store_base_name(42, 7, 3, b, sizeof(b)) > 0);
	cr_assert_str_eq(b, "core.42.7.3");
	cr_assert(gzc_store_is_base(b));
	cr_assert_eq(gzc_store_base_name(42, 7, 0, b, 5), -ENOBUFS);
	static const char *const bad[] = { "core.1", "core..1", "core.1.2.", "core.a.2", "Core.1.2", "core.1.2.3.4", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!gzc_store_is_base(bad[i]), "%s", bad[i]);
	int fd;
	cr_assert_eq(gzc_store_group_open(rootfd, "..", true, &fd), -EINVAL);
	cr_assert_eq(gzc_store_group_open(rootfd, "a/b", true, &fd), -EINVAL);
	cr_assert_eq(gzc_store_group_open(rootfd, ".hidden", true, &fd), -EINVAL);
	cr_assert_eq(gzc_store_group_open(rootfd, "", true, &fd), -EINVAL);
}

Test(store, list_find_remove)
{
	put("app-1", 10, 1000, true);
	put("app-1", 11, 3000, true);
	put("other-2", 10, 2000, true);
	put("other-2", 12, 4000, false); /* being written: sidecar only */
	/* strangers: a temporary, a symlinked group, a file at the root */
	cr_assert_eq(symlinkat("/etc", rootfd, "evil-1"), 0);
	int fd = openat(rootfd, ".gzc-tmp.1", O_WRONLY | O_CREAT, 0600);
	close(fd);
	fd = openat(rootfd, "loose.json", O_WRONLY | O_CREAT, 0600);
	close(fd);

	struct gzc_store_entry *e;
	size_t n;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(e[0].meta.timestamp_us, 4000, "newest first");
	cr_assert_null(e[0].meta.maps, "the listing read more than the sidecars' summaries");
	cr_assert_str_eq(e[0].core, "", "a sidecar without its core has no core");
	cr_assert_str_eq(e[1].core, "core.11.3000.gz");
	cr_assert(e[1].bytes > 0);
	cr_assert_eq(gzc_store_find(e, n, "10"), 2, "the newest core of pid 10");
	cr_assert_eq(gzc_store_find(e, n, "12"), -ENOENT, "no core yet");
	cr_assert_eq(gzc_store_find(e, n, "core.10.1000.gz"), 3);
	cr_assert_eq(gzc_store_find(e, n, "app-1/core.10.1000"), 3);
	cr_assert_eq(gzc_store_find(e, n, "other-2/core.10.1000"), -ENOENT);
	cr_assert_eq(gzc_store_find(e, n, "core.10.2000.json"), 2);
	cr_assert_eq(gzc_store_find(e, n, ""), -EINVAL);
	cr_assert_eq(gzc_store_remove(rootfd, &e[3]), 0);
	cr_assert_eq(gzc_store_remove(rootfd, &e[1]), 0);
	gzc_store_list_free(e, n);
	struct stat st;
	cr_assert_eq(fstatat(rootfd, "app-1", &st, 0), -1, "an emptied group goes");
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 2);
	gzc_store_list_free(e, n);
	int lk;
	cr_assert_eq(gzc_store_lock(rootfd, &lk), 0);
	close(lk);
}

Test(store, vacuum_keeps_protected)
{
	put("app-1", 1, 1000, true);
	put("app-1", 2, 2000, true);
	put("app-1", 3, 3000, true);
	struct gzc_ret_limits lim = { .max_per_app = 1 };
	uint64_t used = 0;
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, 5000, NULL, "core.1.1000", &used, NULL), 1,
		     "the protected one stays");
	struct gzc_store_entry *e;
	size_t n;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(used, gzc_store_used(e, n), "use after the vacuum, without listing again");
	cr_assert_gt(used, 0);
	cr_assert_eq(e[0].meta.pid, 3);
	cr_assert_eq(e[1].meta.pid, 1);
	gzc_store_list_free(e, n);
}

/* A group directory another user owns, or others may write (planted),
 * is not opened: nothing is stored into it, listed from it or removed. */
Test(store, planted_group_refused)
{
	put("app-1", 1, 1000, true);
	put("other-1", 2, 2000, true);
	char p[256];
	snprintf(p, sizeof(p), "%s/other-1", root);
	int gfd = -1;
	cr_assert_eq(chmod(p, 0777), 0);
	cr_assert_eq(gzc_store_group_open(rootfd, "other-1", false, &gfd), -EPERM);
	cr_assert_eq(chmod(p, 0700), 0);
	if (geteuid() == 0) {
		cr_assert_eq(chown(p, 65534, 65534), 0);
		cr_assert_eq(gzc_store_group_open(rootfd, "other-1", true, &gfd), -EPERM);
	} else {
		cr_assert_eq(chmod(p, 0720), 0);
		cr_assert_eq(gzc_store_group_open(rootfd, "other-1", true, &gfd), -EPERM);
	}
	struct gzc_store_entry *e;
	size_t n;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 1, "the planted group's core is listed");
	cr_assert_str_eq(e[0].group, "app-1");
	gzc_store_list_free(e, n);
	struct gzc_ret_limits lim = { .max_per_app = 1, .max_age_s = 1 };
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, 10000000000ull, NULL, NULL, NULL, NULL), 1);
	snprintf(p, sizeof(p), "%s/other-1/core.2.2000.gz", root);
	cr_assert_eq(access(p, F_OK), 0, "a vacuum removed a file from a planted directory");
}

/* max_per_signature: the sidecars' signatures are read (the listing is
 * by names); across groups; a signature not as we write them is none. */
Test(store, vacuum_by_signature)
{
	const char *sig = "0123456789abcdef";
	put_signed("app-1", 1, 1000, true, sig);
	put_signed("app-2", 2, 2000, true, sig);
	put_signed("app-1", 3, 3000, true, sig);
	put_signed("app-1", 4, 4000, true, "fedcba9876543210");
	put_signed("app-1", 5, 500, true, "bogus");
	put_signed("app-1", 6, 400, true, "bogus");
	put_signed("app-1", 7, 300, true, NULL);
	struct gzc_ret_limits lim = { .max_per_signature = 1 };
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, 5000, NULL, "core.1.1000", NULL, NULL), 1,
		     "of three with one signature, the newest and the protected one stay");
	struct gzc_store_entry *e;
	size_t n;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 6);
	for (size_t i = 0; i < n; i++)
		cr_assert_neq(e[i].meta.pid, 2, "core 2 went");
	gzc_store_list_free(e, n);
	/* without the limit, no sidecar counts */
	lim.max_per_signature = 0;
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, 5000, NULL, NULL, NULL, NULL), 0);
	lim.max_per_signature = 1;
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, 5000, NULL, NULL, NULL, NULL), 1, "now the protected one goes");
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 5);
	gzc_store_list_free(e, n);
	/* one signature, two users: each keeps theirs (a user crashing a
	 * copy of another's program the same way takes nothing of theirs) */
	put_uid = 1000;
	put_signed("app-3", 20, 6000, true, "00000000000000aa");
	put_uid = 1001;
	put_signed("app-3", 21, 7000, true, "00000000000000aa");
	put_uid = -1;
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, 8000, NULL, NULL, NULL, NULL), 0);
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 7);
	gzc_store_list_free(e, n);
}

/* The dry run lists what a vacuum would remove, oldest first, and the use
 * after; it removes nothing, not even an old orphan sidecar; then the
 * vacuum removes just those. */
Test(store, vacuum_plan_removes_nothing)
{
	put("app-1", 1, 1000, true);
	put("app-1", 2, 2000, true);
	put("app-1", 3, 3000, true);
	put("gone-1", 4, 500, false); /* an orphan sidecar, old by then */
	struct gzc_ret_limits lim = { .max_per_app = 1 };
	struct gzc_store_entry *e, *plan;
	size_t n, np;
	uint64_t used = 0, after = 0;
	uint64_t now_us = (uint64_t)(time(NULL) + 2 * GZC_STORE_ORPHAN_AGE_S) * 1000000;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 4);
	gzc_store_list_free(e, n);
	cr_assert_eq(gzc_store_vacuum_plan(rootfd, &lim, now_us, &used, NULL, &plan, &np), 2);
	cr_assert_eq(np, 2);
	cr_assert_eq(plan[0].meta.timestamp_us, 1000, "oldest first");
	cr_assert_eq(plan[1].meta.timestamp_us, 2000);
	cr_assert_str_eq(plan[0].group, "app-1");
	cr_assert_str_eq(plan[0].core, "core.1.1000.gz");
	gzc_store_list_free(plan, np);
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 4, "nothing removed");
	gzc_store_list_free(e, n);
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, now_us, NULL, NULL, &after, NULL), 2);
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(e[0].meta.pid, 3);
	gzc_store_list_free(e, n);
	/* the orphan went too (its bytes the plan counted), and nothing is left to plan */
	cr_assert_leq(after, used);
	cr_assert_eq(gzc_store_vacuum_plan(rootfd, &lim, now_us, NULL, NULL, &plan, &np), 0);
	cr_assert_null(plan);
	cr_assert_eq(np, 0);
}

/* Sets the mtime of the sidecar group/core.<pid>.<ts>.json to sec. */
static void age_sidecar(const char *group, int64_t pid, uint64_t ts, int64_t sec)
{
	char name[GZC_NAME_MAX + GZC_STORE_FILE_MAX + 2];
	snprintf(name, sizeof(name), "%s/core.%lld.%llu.json", group, (long long)pid, (unsigned long long)ts);
	struct timespec t[2] = { { .tv_sec = sec }, { .tv_sec = sec } };
	cr_assert_eq(utimensat(rootfd, name, t, 0), 0, "utimensat %s: %s", name, strerror(errno));
}

/* A sidecar whose core never came (a handler that died) is removed by a
 * vacuum once it is over GZC_STORE_ORPHAN_AGE_S old, and its group with it
 * when that empties it; a younger one, or one just that old, stays. The
 * use reported after the vacuum no longer counts it. No core is removed. */
Test(store, vacuum_removes_old_orphan_sidecars)
{
	const int64_t t0 = 1000000;
	put("gone-1", 1, 2, false);
	age_sidecar("gone-1", 1, 2, t0);
	put("app-1", 3, 4, false); /* an old orphan beside a core */
	age_sidecar("app-1", 3, 4, t0);
	put("app-1", 5, 6, true);
	age_sidecar("app-1", 5, 6, t0);
	put("young-1", 7, 8, false);
	age_sidecar("young-1", 7, 8, t0 + 500);
	put("edge-1", 9, 10, false); /* exactly the age: not over it */
	age_sidecar("edge-1", 9, 10, t0 + 1);

	struct gzc_store_entry *e;
	size_t n;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 5);
	uint64_t before = gzc_store_used(e, n);
	gzc_store_list_free(e, n);

	struct gzc_ret_limits lim = { 0 };
	uint64_t now_us = (uint64_t)(t0 + 1 + GZC_STORE_ORPHAN_AGE_S) * 1000000 + 999999;
	uint64_t used = 0;
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, now_us, NULL, NULL, &used, NULL), 0, "no core was to go");
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(used, gzc_store_used(e, n), "use after the vacuum, without listing again");
	cr_assert_lt(used, before);
	/* newest first by crash time: the edge orphan (10), the young one (8), the core (6) */
	cr_assert_str_eq(e[0].json, "core.9.10.json");
	cr_assert_str_eq(e[1].json, "core.7.8.json");
	cr_assert_str_eq(e[2].core, "core.5.6.gz");
	gzc_store_list_free(e, n);
	struct stat st;
	cr_assert_eq(fstatat(rootfd, "gone-1", &st, 0), -1, "the emptied group stayed");
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(fstatat(rootfd, "app-1/core.3.4.json", &st, 0), -1, "the orphan beside a core stayed");
	cr_assert_eq(fstatat(rootfd, "app-1/core.5.6.json", &st, 0), 0, "a core's sidecar went");
}

static void put_aged(const char *path, int64_t sec)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, "x", 1), 1);
	struct timespec t[2] = { { .tv_sec = sec }, { .tv_sec = sec } };
	cr_assert_eq(futimens(fd, t), 0);
	close(fd);
}

static bool exists(const char *path)
{
	struct stat st;
	return fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Temporary files a killed writer left (a hidden ".gzc-tmp.<pid>.<hex>"
 * without O_TMPFILE, an index's "<core>.gzx.tmp.<hex>") are removed by a
 * vacuum once older than GZC_STORE_ORPHAN_AGE_S and, when the name gives a
 * pid, no such process runs. Anything else, or younger, stays. */
Test(store, vacuum_removes_a_killed_writers_temporary_files)
{
	const int64_t t0 = 1000000;
	char live[64], dead_root[64], dead_group[64];
	put("app-1", 5, 6, true);
	/* a pid that runs (ours) and one that does not (past pid_max) */
	snprintf(live, sizeof(live), ".gzc-tmp.%d.0badcafe", (int)getpid());
	snprintf(dead_root, sizeof(dead_root), ".gzc-tmp.%d.12345678", 99999999);
	snprintf(dead_group, sizeof(dead_group), "app-1/.gzc-tmp.%d.abcdef01", 99999999);
	put_aged(live, t0);
	put_aged(dead_root, t0);
	put_aged(dead_group, t0);
	put_aged("app-1/core.5.6.gz.gzx.tmp.0123abcd", t0);
	put_aged("app-1/core.5.6.gz.gzx.tmp.0000beef", t0 + 500);
	put_aged("app-1/notes.tmp.01234567", t0);  /* not an index's temporary name */
	put_aged("app-1/core.5.6.gz.gzx.tmp.xyz", t0); /* not 8 hex digits */
	cr_assert_eq(mkdirat(rootfd, ".gzc-tmp.99999999.dir00000", 0700), 0);

	struct gzc_ret_limits lim = { 0 };
	uint64_t now_us = (uint64_t)(t0 + 1 + GZC_STORE_ORPHAN_AGE_S) * 1000000;
	cr_assert_eq(gzc_store_vacuum(rootfd, &lim, now_us, NULL, NULL, NULL, NULL), 0);
	cr_assert_not(exists(dead_root), "a dead writer's file at the root stayed");
	cr_assert_not(exists(dead_group), "a dead writer's file in a group stayed");
	cr_assert_not(exists("app-1/core.5.6.gz.gzx.tmp.0123abcd"), "an old index temporary stayed");
	cr_assert(exists(live), "a live writer's file went");
	cr_assert(exists("app-1/core.5.6.gz.gzx.tmp.0000beef"), "a young temporary went");
	cr_assert(exists("app-1/notes.tmp.01234567"));
	cr_assert(exists("app-1/core.5.6.gz.gzx.tmp.xyz"));
	cr_assert(exists(".gzc-tmp.99999999.dir00000"), "a directory went");
	cr_assert(exists("app-1/core.5.6.gz"), "the core went");
	/* listings never sweep */
	put_aged(dead_root, t0);
	struct gzc_store_entry *e;
	size_t n;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	gzc_store_list_free(e, n);
	cr_assert(exists(dead_root));
}

/* A group directory whose name is longer than any the handler makes is not
 * listed: an entry naming it cut short would act on another group. */
Test(store, overlong_group_is_not_listed)
{
	char longer[151], fits[GZC_NAME_MAX + 1];
	memset(longer, 'A', 150);
	longer[150] = 0;
	memset(fits, 'A', GZC_NAME_MAX);
	fits[GZC_NAME_MAX] = 0;
	put(longer, 1, 2, true);
	put(fits, 1, 2, true);
	struct gzc_store_entry *e;
	size_t n;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(e[0].group, fits);
	cr_assert_eq(gzc_store_remove(rootfd, &e[0]), 0);
	gzc_store_list_free(e, n);
	struct stat st;
	char core[GZC_STORE_FILE_MAX + 160];
	snprintf(core, sizeof(core), "%s/core.1.2.gz", longer);
	cr_assert_eq(fstatat(rootfd, core, &st, 0), 0, "the long group's core was removed");
}

/* A sidecar that does not parse still lists its core, with the pid and
 * crash time of its name (not -1 and the file's mtime), and finds by pid. */
Test(store, unparseable_sidecar_keeps_name_facts)
{
	put("app-1", 77, 5000000, true);
	put("app-1", 78, 6000000, true);
	int fd = openat(rootfd, "app-1/core.77.5000000.json", O_WRONLY | O_TRUNC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{bad", 4), 4);
	close(fd);
	struct gzc_store_entry *e;
	size_t n;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert(e[0].meta_ok && e[0].meta.pid == 78, "newest first");
	cr_assert(!e[1].meta_ok);
	cr_assert_eq(e[1].meta.pid, 77);
	cr_assert_eq(e[1].meta.timestamp_us, 5000000);
	cr_assert_str_eq(e[1].core, "core.77.5000000.gz");
	cr_assert_eq(gzc_store_find(e, n, "77"), 1);
	/* a whole path as info prints it, or as the handler logs it */
	cr_assert_eq(gzc_store_find(e, n, "/var/core/app-1/core.78.6000000.gz"), 0);
	cr_assert_eq(gzc_store_find(e, n, "app-1/core.78.6000000.json"), 0);
	cr_assert_eq(gzc_store_find(e, n, "/var/core/app-2/core.78.6000000.gz"), -ENOENT);
	gzc_store_list_free(e, n);
}

/* gzip of "hello\n": compressed data, but not a core */
static const unsigned char hello_gz[] = { 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd,
					  0xc9, 0xc9, 0xe7, 0x02, 0x00, 0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00 };

static void put_file(const char *path, const void *data, size_t len)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Compressed files the handler did not store (gzcoredump -c, gzip) are
 * listed as foreign, at the root and in groups; retention never sees them;
 * no index means no identification unless asked to scan. */
Test(store, foreign_files)
{
	put("app-1", 10, 1000, true);
	put_file("legacy.gz", hello_gz, sizeof(hello_gz));
	put_file("app-1/hand.gz", hello_gz, sizeof(hello_gz));
	put_file("app-1/core.5.500.gz", hello_gz, sizeof(hello_gz)); /* our name, but its sidecar is gone */
	put_file("app-1/notes.txt", "text", 4);                      /* not compressed */
	put_file("app-1/x.gz.gzx", hello_gz, sizeof(hello_gz));      /* an index name */
	cr_assert_eq(mkfifoat(rootfd, "app-1/fifo.gz", 0600), 0);
	cr_assert_eq(symlinkat("legacy.gz", rootfd, "evil.gz"), 0);

	struct gzc_store_entry *e;
	size_t n;
	uint64_t unlisted = 1;
	cr_assert_eq(gzc_store_list_names(rootfd, &e, &n, &unlisted), 0);
	cr_assert_eq(n, 1, "retention lists only the handler's cores");
	cr_assert_eq(unlisted, 0);
	gzc_store_list_free(e, n);

	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 4);
	int own = -1, legacy = -1, nameless = -1;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].foreign) {
			own = (int)i;
			continue;
		}
		cr_assert_str_eq(e[i].json, "");
		cr_assert_eq(e[i].meta.compressed_size, sizeof(hello_gz));
		cr_assert_gt(e[i].meta.timestamp_us, 1000, "the file's mtime");
		if (!strcmp(e[i].core, "legacy.gz")) {
			legacy = (int)i;
			cr_assert_str_eq(e[i].group, "", "at the root");
		} else if (!strcmp(e[i].core, "core.5.500.gz")) {
			nameless = (int)i;
			cr_assert_str_eq(e[i].group, "app-1");
		} else {
			cr_assert_str_eq(e[i].core, "hand.gz");
		}
	}
	cr_assert(own >= 0 && legacy >= 0 && nameless >= 0);
	cr_assert_eq(e[own].meta.pid, 10);
	cr_assert_eq(gzc_store_find(e, n, "legacy.gz"), legacy);
	cr_assert_eq(gzc_store_find(e, n, "app-1/core.5.500.gz"), nameless);
	cr_assert_eq(gzc_store_find(e, n, "5"), -ENOENT, "a foreign file's pid is not known from its name");

	cr_assert_eq(gzc_store_identify(rootfd, &e[own], true), -EINVAL, "not foreign");
	cr_assert_eq(gzc_store_identify(rootfd, &e[legacy], false), -ENOEXEC, "not a core: told from its head");
	cr_assert_eq(gzc_store_identify(rootfd, &e[legacy], true), -ENOEXEC, "not a core, and no scan for it");
	cr_assert(!e[legacy].identified);
	cr_assert_eq(e[legacy].identify_rc, -ENOEXEC);
	struct stat st;
	cr_assert_eq(fstatat(rootfd, "legacy.gz.gzx", &st, 0), -1, "no index made for a file that is not a core");
	int dfd;
	cr_assert_eq(gzc_store_entry_dir(rootfd, &e[legacy], &dfd), 0);
	cr_assert_eq(fstatat(dfd, "legacy.gz", &st, AT_SYMLINK_NOFOLLOW), 0);
	close(dfd);
	gzc_store_list_free(e, n);
}

/* A foreign ELF core: a plain identify (list) uses a matching index beside
 * it or nothing, and never scans or writes; info's identify scans once and
 * keeps the index. */
Test(store, foreign_core_identify)
{
	size_t len = 256 * 1024;
	unsigned char *core = calloc(1, len);
	cr_assert(core);
	static const unsigned char ehdr[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
	memcpy(core, ehdr, sizeof(ehdr));
	core[16] = 4;  /* ET_CORE */
	core[18] = 62; /* x86-64 */
	core[20] = 1;
	core[52] = 64; /* e_ehsize */
	core[54] = 56; /* e_phentsize; no program headers */
	for (size_t i = 4096; i < len; i++)
		core[i] = (unsigned char)(i * 7 / 13);
	char path[128];
	struct gzc_writer_opts o = { .span = 65536 };
	close(th_compress(root, "old.core.gz", core, len, &o, 0, NULL, path));
	free(core);

	struct gzc_store_entry *e;
	size_t n;
	struct stat st;
	cr_assert_eq(gzc_store_list(rootfd, &e, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert(e[0].foreign);
	cr_assert_eq(gzc_store_identify(rootfd, &e[0], false), -ENODATA, "no index: no scan");
	cr_assert_eq(fstatat(rootfd, "old.core.gz.gzx", &st, 0), -1, "and nothing written");
	cr_assert_eq(gzc_store_identify(rootfd, &e[0], true), 0);
	cr_assert(e[0].identified);
	cr_assert_eq(e[0].meta.size, len);
	cr_assert_str_eq(e[0].meta.format, "gzip");
	cr_assert_eq(fstatat(rootfd, "old.core.gz.gzx", &st, 0), 0, "the scan's index is kept");
	cr_assert_eq(gzc_store_identify(rootfd, &e[0], false), 0, "the index serves a plain list");
	/* a stale index (another file's, or damaged): a plain list neither
	 * scans nor rewrites it */
	char idx[160];
	snprintf(idx, sizeof(idx), "%s.gzx", path);
	cr_assert_eq(truncate(idx, 100), 0);
	cr_assert_eq(gzc_store_identify(rootfd, &e[0], false), -ENODATA);
	cr_assert_eq(stat(idx, &st), 0);
	cr_assert_eq(st.st_size, 100, "the damaged index is left alone");
	gzc_store_list_free(e, n);
}

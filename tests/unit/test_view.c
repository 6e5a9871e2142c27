/* Unit tests for src/view.c: the store as gzcorefs shows it. Each test
 * builds a small store in a temporary directory with the library's writer
 * and sidecars, and checks names, groups, sizes, owners, collisions, what is
 * hidden, rescans, and reads through the shared reader. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fmt_helpers.h"
#include "view.h"

#define DATA_LEN (700 * 1024 + 123)

static char root[64];
static unsigned char data[DATA_LEN];

static void mkdata(void)
{
	for (size_t i = 0; i < DATA_LEN; i++)
		data[i] = (i / 4096) % 3 == 0 ? 0 : (unsigned char)(i * 7 + i / 1000);
}

static void setup(void)
{
	strcpy(root, "/tmp/gzc-view.XXXXXX");
	cr_assert(mkdtemp(root));
	mkdata();
}

static void rm_rf(const char *p)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	cr_assert_eq(system(cmd), 0);
}

static void teardown(void) { rm_rf(root); }

static void put_file(const char *rel, const void *buf, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void mkdir_rel(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	cr_assert(mkdir(p, 0700) == 0 || errno == EEXIST);
}

/* A core as the handler stores it: sidecar, index, then the core. */
static void store_own(const char *group, const char *base, int64_t pid, uint64_t ts, int64_t owner, int readable)
{
	struct gzc_writer_opts wo = { .level = 1, .span = GZC_SPAN_MIN };
	struct gzc_writer *w;
	struct gzc_index *idx;
	struct gzc_meta m;
	char dir[256], name[128];
	mkdir_rel(group);
	snprintf(dir, sizeof(dir), "%s/%s", root, group);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert(dfd >= 0);
	snprintf(name, sizeof(name), "%s.gz", base);
	int fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(gzc_writer_new(fd, &wo, &w), 0);
	cr_assert_eq(gzc_writer_write(w, data, DATA_LEN), 0);
	cr_assert_eq(gzc_writer_finish(w, 0, &idx), 0);
	gzc_writer_free(w);
	close(fd);
	snprintf(name, sizeof(name), "%s.gz" GZC_IDX_SUFFIX, base);
	cr_assert_eq(gzc_index_save(idx, dfd, name), 0);
	gzc_index_free(idx);
	gzc_meta_init(&m);
	m.pid = pid;
	m.timestamp_us = ts;
	m.owner_uid = owner;
	m.user_readable = readable;
	cr_assert_eq(gzc_meta_set(&m.group, group), 0);
	snprintf(name, sizeof(name), "%s.json", base);
	cr_assert_eq(gzc_meta_save(&m, dfd, name, 0600), 0);
	gzc_meta_clear(&m);
	close(dfd);
}

/* A foreign gzip file made by zlib (no sidecar). */
static void store_foreign(const char *rel, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	gzFile g = gzopen(p, "wb6");
	cr_assert(g);
	if (len)
		cr_assert_eq(gzwrite(g, data, (unsigned)len), (int)len);
	gzclose(g);
}

static struct gzc_view *view_of(struct gzc_cache *cache)
{
	struct gzc_view_opts o = { .cache = cache, .ttl_ms = 1 };
	struct gzc_view *v;
	cr_assert_eq(gzc_view_new(root, &o, &v), 0);
	return v;
}

TestSuite(view, .init = setup, .fini = teardown);

Test(view, own_core_named_by_its_sidecar)
{
	store_own("app-1.2", "core.42.1700000000000001", 42, 1700000000000001ull, 1000, 1);
	store_own("app-1.2", "core.43.1700000000000002", 43, 1700000000000002ull, 1000, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	cr_assert_eq(s->ngroups, 1);
	const struct gzc_view_group *g = gzc_view_find_group(s, "app-1.2");
	cr_assert(g);
	cr_assert_eq(g->nfiles, 4);
	const struct gzc_view_file *f = gzc_view_find_file(g, "core.42");
	cr_assert(f);
	cr_assert_eq(f->kind, GZC_VIEW_CORE);
	cr_assert_eq(f->size, DATA_LEN);
	cr_assert_eq(f->uid, 1000);
	cr_assert_eq(f->mode, 0400);
	cr_assert_eq(f->mtime.tv_sec, 1700000000);
	cr_assert_eq(f->mtime.tv_nsec, 1000);
	const struct gzc_view_file *j = gzc_view_find_file(g, "core.42.json");
	cr_assert(j);
	cr_assert_eq(j->kind, GZC_VIEW_META);
	const struct gzc_view_file *r = gzc_view_find_file(g, "core.43");
	cr_assert(r);
	cr_assert_eq(r->uid, 0, "not user_readable: root only");
	char *meta;
	size_t len;
	cr_assert_eq(gzc_view_read_meta(v, j, &meta, &len), 0);
	cr_assert_eq(len, j->size);
	cr_assert(strstr(meta, "\"gzcore_meta\""));
	free(meta);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* A sidecar's access decision counts only when no one but us (or root)
 * could have written it: the sidecar, its core, their directory and the
 * store owned safely. Else the core is root's alone. */
Test(view, access_believed_only_from_safe_files)
{
	static const char *const groups[] = { "ok-1", "dirw-1", "sidew-1", "sideown-1", "corew-1" };
	for (int i = 0; i < 5; i++)
		store_own(groups[i], "core.42.1700000000000001", 42, 1700000000000001ull, 1000, 1);
	char p[256];
	snprintf(p, sizeof(p), "%s/dirw-1", root);
	cr_assert_eq(chmod(p, 0777), 0); /* anyone could have swapped the sidecar */
	snprintf(p, sizeof(p), "%s/sidew-1/core.42.1700000000000001.json", root);
	cr_assert_eq(chmod(p, 0622), 0);
	snprintf(p, sizeof(p), "%s/corew-1/core.42.1700000000000001.gz", root);
	cr_assert_eq(chmod(p, 0620), 0);
	snprintf(p, sizeof(p), "%s/sideown-1/core.42.1700000000000001.json", root);
	bool as_root = geteuid() == 0;
	if (as_root)
		cr_assert_eq(chown(p, 65534, 65534), 0); /* written by another user */
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	for (int i = 0; i < 5; i++) {
		const struct gzc_view_group *g = gzc_view_find_group(s, groups[i]);
		cr_assert(g, "%s", groups[i]);
		const struct gzc_view_file *f = gzc_view_find_file(g, "core.42");
		cr_assert(f, "%s", groups[i]);
		uid_t want = i == 0 || (i == 3 && !as_root) ? 1000 : 0;
		cr_assert_eq(f->uid, want, "%s: uid %u", groups[i], (unsigned)f->uid);
	}
	gzc_view_put(v, s);
	gzc_view_free(v);
	/* a store others may write: nothing in it is believed */
	cr_assert_eq(chmod(root, 0757), 0);
	v = view_of(NULL);
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_file *f = gzc_view_find_file(gzc_view_find_group(s, "ok-1"), "core.42");
	cr_assert(f);
	cr_assert_eq(f->uid, 0);
	gzc_view_put(v, s);
	gzc_view_free(v);
	cr_assert_eq(chmod(root, 0700), 0);
}

Test(view, reused_pid_oldest_keeps_the_name)
{
	store_own("app-1", "core.7.3000", 7, 3000, -1, 0);
	store_own("app-1", "core.7.1000", 7, 1000, -1, 0);
	store_own("app-1", "core.7.2000", 7, 2000, -1, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_group *g = gzc_view_find_group(s, "app-1");
	cr_assert(g);
	cr_assert_eq(g->nfiles, 6);
	cr_assert_eq(gzc_view_find_file(g, "core.7")->mtime.tv_nsec, 1000 * 1000);
	cr_assert_eq(gzc_view_find_file(g, "core.7.1")->mtime.tv_nsec, 2000 * 1000);
	cr_assert_eq(gzc_view_find_file(g, "core.7.2")->mtime.tv_nsec, 3000 * 1000);
	cr_assert(gzc_view_find_file(g, "core.7.2.json"));
	gzc_view_put(v, s);
	gzc_view_free(v);
}

Test(view, foreign_hidden_and_garbage)
{
	store_foreign("dropped.gz", DATA_LEN);      /* not an ELF core: group "unknown" */
	store_foreign("empty.gz", 0);               /* an empty stream: hidden */
	put_file("junk.gz", "\x1f\x8b\x08garbage", 10);
	put_file("notes.txt", "hello", 5);
	put_file(".hidden.gz", "x", 1);
	mkdir_rel("grp");
	put_file("grp/.gzc-tmp.123", "x", 1);
	char a[256], b[256];
	snprintf(a, sizeof(a), "%s/dropped.gz", root);
	snprintf(b, sizeof(b), "%s/grp/link.gz", root);
	cr_assert_eq(symlink(a, b), 0);
	snprintf(b, sizeof(b), "%s/grp/fifo.gz", root);
	cr_assert_eq(mkfifo(b, 0600), 0);

	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	cr_assert_eq(s->ngroups, 1, "groups: %zu", s->ngroups);
	const struct gzc_view_group *g = gzc_view_find_group(s, "unknown");
	cr_assert(g);
	cr_assert_eq(g->nfiles, 2);
	const struct gzc_view_file *f = gzc_view_find_file(g, "dropped");
	cr_assert(f);
	cr_assert_eq(f->size, DATA_LEN);
	cr_assert_eq(f->uid, 0);
	/* its index was built and kept in the store */
	snprintf(a, sizeof(a), "%s/dropped.gz" GZC_IDX_SUFFIX, root);
	cr_assert_eq(access(a, F_OK), 0);

	struct gzc_reader *r;
	cr_assert_eq(gzc_view_open_reader(v, f, &r), 0);
	unsigned char buf[5000];
	cr_assert_eq(gzc_reader_pread(r, buf, sizeof(buf), 300000), (ssize_t)sizeof(buf));
	cr_assert_eq(memcmp(buf, data + 300000, sizeof(buf)), 0);
	struct gzc_reader *r2;
	cr_assert_eq(gzc_view_open_reader(v, f, &r2), 0);
	cr_assert_eq(r, r2, "one shared reader per core");
	gzc_view_release_reader(v, f);
	gzc_view_release_reader(v, f);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

Test(view, rescan_sees_new_and_removed_cores)
{
	store_own("app-1", "core.1.1000", 1, 1000, -1, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s, *held;
	struct gzc_view_stats st;
	cr_assert_eq(gzc_view_get(v, 0, &held), 0);
	cr_assert_eq(held->ngroups, 1);
	store_own("app-2", "core.2.2000", 2, 2000, -1, 0);
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	cr_assert_eq(s->ngroups, 2);
	gzc_view_put(v, s);
	/* a store whose cores did not change is not re-identified by a
	 * rescan (a hidden file changes the directory: one runs) */
	gzc_view_get_stats(v, &st);
	uint64_t ident = st.identified, scans = st.scans;
	put_file("app-1/.unrelated", "x", 1);
	usleep(5000);
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	gzc_view_put(v, s);
	gzc_view_get_stats(v, &st);
	cr_assert_gt(st.scans, scans, "no rescan ran: the check below would prove nothing");
	cr_assert_eq(st.identified, ident);
	char p[256];
	snprintf(p, sizeof(p), "%s/app-1", root);
	rm_rf(p);
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	cr_assert_eq(s->ngroups, 1);
	cr_assert(gzc_view_find_group(s, "app-2"));
	gzc_view_put(v, s);
	/* an old snapshot stays usable while held */
	cr_assert(gzc_view_find_file(gzc_view_find_group(held, "app-1"), "core.1"));
	gzc_view_put(v, held);
	gzc_view_free(v);
}

Test(view, replaced_file_is_stale)
{
	store_own("app-1", "core.5.1000", 5, 1000, -1, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_file *f = gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.5");
	cr_assert(f);
	char p[256];
	snprintf(p, sizeof(p), "%s/app-1/core.5.1000.gz", root);
	cr_assert_eq(unlink(p), 0);
	put_file("app-1/core.5.1000.gz", "\x1f\x8b\x08", 3);
	struct gzc_reader *r;
	cr_assert_eq(gzc_view_open_reader(v, f, &r), -ESTALE);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

static void rm_core(const char *group, const char *base)
{
	char p[300];
	const char *sfx[] = { ".gz", ".gz" GZC_IDX_SUFFIX, ".json" };
	for (int k = 0; k < 3; k++) {
		snprintf(p, sizeof(p), "%s/%s/%s%s", root, group, base, sfx[k]);
		cr_assert_eq(unlink(p), 0, "%s", p);
	}
}

/* A core removed while still open, and another one stored under the same
 * store path (a restore, a second-resolution legacy name): the new file
 * does not inherit the removed one's name, whose page cache and open
 * descriptors belong to the old file. */
Test(view, new_file_at_a_reused_path_gets_a_new_name)
{
	store_own("app-1", "core.7.1000", 7, 1000, -1, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	cr_assert(gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.7"));
	gzc_view_put(v, s);
	/* still open somewhere (a reader, a mapping): the file lives on */
	char p[300];
	snprintf(p, sizeof(p), "%s/app-1/core.7.1000.gz", root);
	int held = open(p, O_RDONLY);
	cr_assert_geq(held, 0);
	rm_core("app-1", "core.7.1000");
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	cr_assert_eq(s->ngroups, 0);
	gzc_view_put(v, s);
	store_own("app-1", "core.7.1000", 7, 1000, -1, 0);
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	const struct gzc_view_group *g = gzc_view_find_group(s, "app-1");
	cr_assert(g);
	cr_assert_null(gzc_view_find_file(g, "core.7"), "the new file took the removed one's name");
	cr_assert(gzc_view_find_file(g, "core.7.1"));
	gzc_view_put(v, s);
	close(held);
	gzc_view_free(v);
}

/* A sidecar replaced after the core was identified: the new owner and size
 * show (the record used to be kept as long as the core file was the same). */
Test(view, changed_sidecar_is_read_again)
{
	store_own("app-1", "core.9.1000", 9, 1000, 1000, 1);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_file *f = gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.9");
	cr_assert_eq(f->uid, 1000);
	uint64_t id = gzc_view_file_id(f);
	gzc_view_put(v, s);

	struct gzc_meta m;
	gzc_meta_init(&m);
	m.pid = 9;
	m.timestamp_us = 1000;
	m.owner_uid = 1000;
	m.user_readable = 0; /* root only now */
	cr_assert_eq(gzc_meta_set(&m.group, "app-1"), 0);
	cr_assert_eq(gzc_meta_set(&m.cmdline, "a much longer command line than before, so the size moves"), 0);
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/app-1", root);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_eq(unlinkat(dfd, "core.9.1000.json", 0), 0);
	cr_assert_eq(gzc_meta_save(&m, dfd, "core.9.1000.json", 0600), 0);
	close(dfd);
	gzc_meta_clear(&m);

	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	const struct gzc_view_group *g = gzc_view_find_group(s, "app-1");
	f = gzc_view_find_file(g, "core.9");
	cr_assert_eq(f->uid, 0, "the old sidecar's access decision is still used");
	cr_assert_neq(gzc_view_file_id(f), id);
	const struct gzc_view_file *j = gzc_view_find_file(g, "core.9.json");
	char *meta;
	size_t len;
	cr_assert_eq(gzc_view_read_meta(v, j, &meta, &len), 0);
	cr_assert_eq(len, j->size, "the listed size is the old sidecar's");
	free(meta);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* A sidecar rewritten in place (no directory changes): reading it gives
 * -ESTALE and the next get rescans, TTL or not, into a new record. */
Test(view, sidecar_rewritten_in_place_is_seen)
{
	store_own("app-1", "core.8.1000", 8, 1000, 1000, 1);
	struct gzc_view_opts o = { .ttl_ms = 3600000 };
	struct gzc_view *v;
	cr_assert_eq(gzc_view_new(root, &o, &v), 0);
	struct gzc_view_snap *s, *s2;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_file *j = gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.8.json");
	cr_assert(j);
	char *meta;
	size_t len;
	cr_assert_eq(gzc_view_read_meta(v, j, &meta, &len), 0);
	free(meta);
	char p[300];
	snprintf(p, sizeof(p), "%s/app-1/core.8.1000.json", root);
	usleep(20000); /* past the file system's timestamp granularity */
	FILE *fp = fopen(p, "r+");
	cr_assert(fp);
	cr_assert_eq(fputc(' ', fp), ' '); /* the JSON's first byte '{' becomes a blank... */
	cr_assert_eq(fseek(fp, 0, SEEK_SET), 0);
	cr_assert_eq(fputc('{', fp), '{'); /* ...and back: same bytes, new ctime */
	fclose(fp);
	cr_assert_eq(gzc_view_read_meta(v, j, &meta, &len), -ESTALE);
	cr_assert_eq(gzc_view_get(v, 0, &s2), 0);
	cr_assert_neq(s2, s, "no rescan after the sidecar changed");
	const struct gzc_view_file *j2 = gzc_view_find_file(gzc_view_find_group(s2, "app-1"), "core.8.json");
	cr_assert(j2);
	cr_assert_eq(gzc_view_read_meta(v, j2, &meta, &len), 0);
	free(meta);
	gzc_view_put(v, s2);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* A listed size from an index the reader then refuses (a data span flagged
 * zero, a size 1000 bytes short, both behind a valid checksum and
 * fingerprint): the open fails once with -ESTALE, the next get identifies
 * the file again by a reader, and it opens with its true size. */
Test(view, refused_index_is_not_sized_from_again)
{
	store_own("app-1", "core.3.1000", 3, 1000, -1, 0);
	char ip[300];
	snprintf(ip, sizeof(ip), "%s/app-1/core.3.1000.gz" GZC_IDX_SUFFIX, root);
	struct gzc_index *idx, *bad;
	cr_assert_eq(gzc_index_load(AT_FDCWD, ip, &idx), 0);
	bad = th_index_zeroing(idx, 1);
	bad->usize -= 1000;
	cr_assert_eq(gzc_index_save(bad, AT_FDCWD, ip), 0);
	gzc_index_free(bad);
	gzc_index_free(idx);
	struct gzc_view_opts o = { .ttl_ms = 3600000 };
	struct gzc_view *v;
	cr_assert_eq(gzc_view_new(root, &o, &v), 0);
	struct gzc_view_snap *s, *s2;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_file *f = gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.3");
	cr_assert(f);
	cr_assert_eq(f->size, DATA_LEN - 1000, "listed from the index");
	struct gzc_reader *r;
	cr_assert_eq(gzc_view_open_reader(v, f, &r), -ESTALE);
	cr_assert_eq(gzc_view_get(v, 0, &s2), 0);
	const struct gzc_view_file *f2 = gzc_view_find_file(gzc_view_find_group(s2, "app-1"), "core.3");
	cr_assert(f2);
	cr_assert_eq(f2->size, DATA_LEN, "the size still comes from the refused index");
	cr_assert_eq(gzc_view_open_reader(v, f2, &r), 0);
	cr_assert_eq(gzc_reader_size(r), DATA_LEN);
	unsigned char buf[8192];
	cr_assert_eq(gzc_reader_pread(r, buf, sizeof(buf), 65536), (ssize_t)sizeof(buf));
	cr_assert_eq(memcmp(buf, data + 65536, sizeof(buf)), 0);
	gzc_view_release_reader(v, f2);
	gzc_view_put(v, s2);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* An index whose header claims another size is not believed: the size
 * shown is the core's real one (the header alone used to be trusted). */
Test(view, index_header_is_not_trusted_alone)
{
	store_own("app-1", "core.3.1000", 3, 1000, -1, 0);
	char p[300];
	snprintf(p, sizeof(p), "%s/app-1/core.3.1000.gz" GZC_IDX_SUFFIX, root);
	int fd = open(p, O_RDWR);
	cr_assert(fd >= 0);
	unsigned char big[8] = { 0, 0, 0, 0, 0, 1, 0, 0 }; /* 2^40, little-endian */
	cr_assert_eq(pwrite(fd, big, 8, 24), 8);
	close(fd);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_file *f = gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.3");
	cr_assert(f);
	cr_assert_eq(f->size, DATA_LEN);
	struct gzc_reader *r;
	cr_assert_eq(gzc_view_open_reader(v, f, &r), 0);
	gzc_view_release_reader(v, f);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* Many cores of one pid are named in time order; names stay for the life
 * of the view: a removed core's name is never given to another core (a
 * kernel page cache kept under the name could serve one user's core to
 * another), and a new core of that pid takes the next name never given. */
Test(view, many_pid_collisions_and_stable_names)
{
	char base[64];
	for (int i = 1; i <= 300; i++) {
		snprintf(base, sizeof(base), "core.42.%d", 1000 + i);
		store_own("app-1", base, 42, 1000 + (uint64_t)i, -1, 0);
	}
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_group *g = gzc_view_find_group(s, "app-1");
	cr_assert_eq(g->nfiles, 600);
	cr_assert_eq(gzc_view_find_file(g, "core.42")->mtime.tv_nsec, 1001 * 1000);
	cr_assert_eq(gzc_view_find_file(g, "core.42.1")->mtime.tv_nsec, 1002 * 1000);
	cr_assert_eq(gzc_view_find_file(g, "core.42.299")->mtime.tv_nsec, 1300 * 1000);
	uint64_t id0 = gzc_view_file_id(gzc_view_find_file(g, "core.42"));
	uint64_t id1 = gzc_view_file_id(gzc_view_find_file(g, "core.42.1"));
	cr_assert_neq(id0, id1);
	gzc_view_put(v, s);
	rm_core("app-1", "core.42.1001");
	store_own("app-1", "core.42.2000", 42, 2000, -1, 0);
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	g = gzc_view_find_group(s, "app-1");
	cr_assert_eq(g->nfiles, 600);
	cr_assert_null(gzc_view_find_file(g, "core.42"), "a removed core's name is not reused");
	const struct gzc_view_file *f = gzc_view_find_file(g, "core.42.1");
	cr_assert_eq(f->mtime.tv_nsec, 1002 * 1000, "not renumbered");
	cr_assert_eq(gzc_view_file_id(f), id1, "the same core keeps its id");
	cr_assert_eq(gzc_view_find_file(g, "core.42.299")->mtime.tv_nsec, 1300 * 1000);
	cr_assert_eq(gzc_view_find_file(g, "core.42.300")->mtime.tv_nsec, 2000 * 1000, "the new core");
	gzc_view_put(v, s);
	gzc_view_free(v);
	/* a new view (a remount) names afresh */
	v = view_of(NULL);
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	g = gzc_view_find_group(s, "app-1");
	cr_assert_eq(gzc_view_find_file(g, "core.42")->mtime.tv_nsec, 1002 * 1000);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* The store file gone_rel goes and a foreign new_rel comes: in group
 * "unknown" the new file is not called taken (a name given before) but
 * takes next. */
static void gone_and_new(struct gzc_view *v, const char *gone_rel, const char *new_rel, const char *taken,
			 const char *next, const char *why)
{
	char p[300];
	struct gzc_view_snap *s;
	snprintf(p, sizeof(p), "%s/%s", root, gone_rel);
	cr_assert_eq(unlink(p), 0, "%s", p);
	store_foreign(new_rel, DATA_LEN);
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	const struct gzc_view_group *g = gzc_view_find_group(s, "unknown");
	cr_assert(g);
	cr_assert_null(gzc_view_find_file(g, taken), "%s", why);
	cr_assert(gzc_view_find_file(g, next), "%s", next);
	gzc_view_put(v, s);
}

/* A file shown in one group and then in another (its sidecar went) keeps
 * both names reserved: once it is gone, neither goes to another file. */
Test(view, names_reserved_in_every_group_a_file_was_in)
{
	char p[300];
	store_own("app-1", "core.7.100", 7, 100, -1, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	cr_assert(gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.7"));
	gzc_view_put(v, s);
	/* the sidecar goes: a foreign file now, named by its file name */
	snprintf(p, sizeof(p), "%s/app-1/core.7.100.json", root);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	const struct gzc_view_group *g = gzc_view_find_group(s, "unknown");
	cr_assert(g && gzc_view_find_file(g, "core.7.100"), "shown in its second group");
	gzc_view_put(v, s);
	/* it goes, and another file that would have its second name comes */
	gone_and_new(v, "app-1/core.7.100.gz", "core.7.100.gz", "core.7.100", "core.7.100.1",
		     "the name it had in its second group is not reused");
	/* nor is the name its metadata had: a file that would be called
	 * core.7.100.1.json comes after core.7.100.1 went */
	gone_and_new(v, "core.7.100.gz", "core.7.100.1.json.gz", "core.7.100.1.json", "core.7.100.1.json.1",
		     "a metadata name is not given to a core");
	gzc_view_free(v);
}

/* A file that is no core, beside a sidecar, is looked at once, not at
 * every rescan (the sidecar's state is kept for every record). */
Test(view, garbage_with_a_sidecar_is_identified_once)
{
	put_file("junk.gz", "\x1f\x8b\x08garbage", 10);
	put_file("junk.json", "{}", 2);
	store_own("app-1", "core.1.1000", 1, 1000, -1, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	struct gzc_view_stats st;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	gzc_view_put(v, s);
	gzc_view_get_stats(v, &st);
	uint64_t ident = st.identified, scans = st.scans;
	for (int k = 0; k < 3; k++) {
		char hidden[16];
		snprintf(hidden, sizeof(hidden), ".x%d", k);
		put_file(hidden, "x", 1); /* the directory changes: a rescan runs */
		usleep(5000);
		cr_assert_eq(gzc_view_get(v, 1, &s), 0);
		gzc_view_put(v, s);
	}
	gzc_view_get_stats(v, &st);
	cr_assert_geq(st.scans, scans + 3, "rescans: %llu after %llu", (unsigned long long)st.scans,
		      (unsigned long long)scans);
	cr_assert_eq(st.identified, ident);
	gzc_view_free(v);
}

/* A core that could not be identified for a passing cause (no descriptor
 * left) is not kept out as "not a core": the next rescan, once the ttl is
 * over, tries it again though nothing in the store changed. */
Test(view, passing_failure_is_retried)
{
	store_own("app-1", "core.1.1000", 1, 1000, -1, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	struct rlimit old, low;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	int hidden = -1;
	/* the scan needs a descriptor or two for its directories: find a
	 * limit at which the directories open and the core file does not */
	for (int spare = 0; spare < 4 && hidden < 0; spare++) {
		int fds[4096], n = 0;
		low = old;
		low.rlim_cur = 256;
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
		while (n < (int)(sizeof(fds) / sizeof(fds[0])) && (fds[n] = dup(0)) >= 0)
			n++;
		for (int k = 0; k < spare && n > 0; k++)
			close(fds[--n]);
		int rc = gzc_view_get(v, 1, &s);
		for (int k = 0; k < n; k++)
			close(fds[k]);
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
		if (rc == 0) {
			if (s->ngroups == 0)
				hidden = spare;
			gzc_view_put(v, s);
		}
	}
	cr_assert_geq(hidden, 0, "no descriptor limit hid the core");
	usleep(30000); /* past 20 ttls of 1 ms; no store change */
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	cr_assert_eq(s->ngroups, 1, "the core stayed hidden after the cause passed");
	cr_assert(gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.1"));
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* A foreign core dropped in by another tool is first seen empty or cut
 * (cp, gzip > FILE), then its data arrives in the same inode, which changes
 * no directory: it must still show up once complete. */
Test(view, foreign_written_in_place_appears)
{
	put_file("dropped.gz", "", 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	cr_assert_eq(s->ngroups, 0);
	gzc_view_put(v, s);
	/* the directory settles (its mtime is trusted again) */
	for (int k = 0; k < 40; k++) {
		usleep(100000);
		cr_assert_eq(gzc_view_get(v, 0, &s), 0);
		gzc_view_put(v, s);
	}
	char p[300];
	snprintf(p, sizeof(p), "%s/dropped.gz", root);
	gzFile g = gzopen(p, "wb6"); /* the same inode, truncated and written */
	cr_assert(g);
	cr_assert_eq(gzwrite(g, data, DATA_LEN), DATA_LEN);
	gzclose(g);
	usleep(20000);
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	cr_assert_eq(s->ngroups, 1, "the complete foreign core is not shown");
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* A first scan of many new files identifies them on several threads
 * (one per CPU): foreign files, whose identification builds and saves an
 * index, and own cores mixed in one directory all come out whole. */
Test(view, many_new_files_identified_together)
{
	char name[64];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "f%02d.gz", i);
		store_foreign(name, DATA_LEN - (size_t)i * 1000);
		snprintf(name, sizeof(name), "core.%d.1000", 500 + i);
		store_own("app-1", name, 500 + i, 1000, -1, 0);
	}
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_group *g = gzc_view_find_group(s, "unknown");
	cr_assert(g);
	cr_assert_eq(g->nfiles, 80);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		const struct gzc_view_file *f = gzc_view_find_file(g, name);
		cr_assert(f, "%s missing", name);
		size_t len = DATA_LEN - (size_t)i * 1000;
		cr_assert_eq(f->size, len);
		struct gzc_reader *r;
		cr_assert_eq(gzc_view_open_reader(v, f, &r), 0);
		unsigned char buf[4096];
		cr_assert_eq(gzc_reader_pread(r, buf, sizeof(buf), len - sizeof(buf)), (ssize_t)sizeof(buf));
		cr_assert_eq(memcmp(buf, data + len - sizeof(buf), sizeof(buf)), 0, "%s", name);
		gzc_view_release_reader(v, f);
		char idx[320];
		snprintf(idx, sizeof(idx), "%s/f%02d.gz" GZC_IDX_SUFFIX, root, i);
		cr_assert_eq(access(idx, F_OK), 0, "no index kept for f%02d", i);
	}
	g = gzc_view_find_group(s, "app-1");
	cr_assert(g);
	cr_assert_eq(g->nfiles, 80);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "core.%d", 500 + i);
		const struct gzc_view_file *f = gzc_view_find_file(g, name);
		cr_assert(f, "%s missing", name);
		cr_assert_eq(f->size, DATA_LEN);
	}
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* Hard links: two store paths of one inode each keep their record, so an
 * unchanged store identifies neither again at a rescan. */
Test(view, hard_linked_core_is_identified_once)
{
	store_own("app-1", "core.1.1000", 1, 1000, -1, 0);
	char a[300], b[300];
	snprintf(a, sizeof(a), "%s/app-1/core.1.1000.gz", root);
	snprintf(b, sizeof(b), "%s/app-1/core.2.1000.gz", root);
	cr_assert_eq(link(a, b), 0);
	snprintf(a, sizeof(a), "%s/app-1/core.1.1000.json", root);
	snprintf(b, sizeof(b), "%s/app-1/core.2.1000.json", root);
	cr_assert_eq(link(a, b), 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	struct gzc_view_stats st;
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	gzc_view_put(v, s);
	gzc_view_get_stats(v, &st);
	uint64_t ident = st.identified, scans = st.scans;
	for (int k = 0; k < 3; k++) {
		char hidden[16];
		snprintf(hidden, sizeof(hidden), "app-1/.x%d", k);
		put_file(hidden, "x", 1); /* the directory changes: a rescan runs */
		usleep(5000);
		cr_assert_eq(gzc_view_get(v, 1, &s), 0);
		gzc_view_put(v, s);
	}
	gzc_view_get_stats(v, &st);
	cr_assert_geq(st.scans, scans + 3, "rescans: %llu after %llu", (unsigned long long)st.scans,
		      (unsigned long long)scans);
	cr_assert_eq(st.identified, ident, "hard-linked cores were identified again");
	gzc_view_free(v);
}

/* A store file rewritten in place (same inode, size and mtime, as ext4
 * can give a replaced file) is identified again: its ctime moved. */
Test(view, file_rewritten_in_place_is_a_new_record)
{
	store_own("app-1", "core.6.1000", 6, 1000, -1, 0);
	struct gzc_view *v = view_of(NULL);
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	uint64_t id = gzc_view_file_id(gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.6"));
	gzc_view_put(v, s);
	char p[300];
	snprintf(p, sizeof(p), "%s/app-1/core.6.1000.gz", root);
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	int fd = open(p, O_RDWR);
	cr_assert(fd >= 0);
	unsigned char b;
	cr_assert_eq(pread(fd, &b, 1, 0), 1);
	cr_assert_eq(pwrite(fd, &b, 1, 0), 1); /* same bytes: only the ctime moves */
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	cr_assert_eq(futimens(fd, ts), 0);
	close(fd);
	usleep(20000);
	put_file("app-1/x", "x", 1); /* the directory changes, so a rescan runs */
	cr_assert_eq(gzc_view_get(v, 1, &s), 0);
	const struct gzc_view_file *f = gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.6");
	cr_assert(f);
	cr_assert_neq(gzc_view_file_id(f), id, "a rewritten file kept its old record");
	gzc_view_put(v, s);
	gzc_view_free(v);
}

/* A store file rewritten in place touches no directory, so no rescan would
 * see it: the next open of it fails with -ESTALE (also while an earlier
 * open shares its reader) and makes the next get rescan, TTL or not. */
Test(view, rewrite_in_place_is_seen_at_the_next_open)
{
	store_own("app-1", "core.7.1000", 7, 1000, -1, 0);
	struct gzc_view_opts o = { .ttl_ms = 3600000 };
	struct gzc_view *v;
	cr_assert_eq(gzc_view_new(root, &o, &v), 0);
	struct gzc_view_snap *s, *s2;
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	const struct gzc_view_file *f = gzc_view_find_file(gzc_view_find_group(s, "app-1"), "core.7");
	cr_assert(f);
	struct gzc_reader *r, *r2;
	cr_assert_eq(gzc_view_open_reader(v, f, &r), 0);
	char p[300];
	snprintf(p, sizeof(p), "%s/app-1/core.7.1000.gz", root);
	usleep(20000); /* past the file system's timestamp granularity */
	int fd = open(p, O_RDWR);
	cr_assert(fd >= 0);
	unsigned char b;
	cr_assert_eq(pread(fd, &b, 1, 100), 1);
	cr_assert_eq(pwrite(fd, &b, 1, 100), 1);
	close(fd);
	cr_assert_eq(gzc_view_open_reader(v, f, &r2), -ESTALE, "a rewritten file was opened on its old record");
	cr_assert_eq(gzc_view_get(v, 0, &s2), 0);
	cr_assert_neq(s2, s, "no rescan after -ESTALE");
	const struct gzc_view_file *f2 = gzc_view_find_file(gzc_view_find_group(s2, "app-1"), "core.7");
	cr_assert(f2);
	cr_assert_neq(gzc_view_file_id(f2), gzc_view_file_id(f));
	cr_assert_eq(gzc_view_open_reader(v, f2, &r2), 0);
	unsigned char buf[4096];
	cr_assert_eq(gzc_reader_pread(r2, buf, sizeof(buf), 12345), (ssize_t)sizeof(buf));
	cr_assert_eq(memcmp(buf, data + 12345, sizeof(buf)), 0);
	gzc_view_release_reader(v, f2);
	gzc_view_release_reader(v, f);
	gzc_view_put(v, s2);
	gzc_view_put(v, s);
	gzc_view_free(v);
}

Test(view, bad_arguments)
{
	struct gzc_view *v;
	struct gzc_view_opts o = { .cache_dir = "relative" };
	cr_assert_eq(gzc_view_new(root, &o, &v), -EINVAL);
	char p[256];
	snprintf(p, sizeof(p), "%s/file", root);
	put_file("file", "x", 1);
	cr_assert_eq(gzc_view_new(p, NULL, &v), -ENOTDIR);
	snprintf(p, sizeof(p), "%s/missing", root);
	cr_assert_eq(gzc_view_new(p, NULL, &v), -ENOENT);
}

/* Only a cache_dir as safe as the store is believed. */
Test(view, cache_dir_must_be_safe)
{
	char p[256], l[256];
	snprintf(p, sizeof(p), "%s/cache", root);
	cr_assert_eq(gzc_view_cache_dir_ok(p), 0, "missing: made when needed");
	cr_assert_eq(mkdir(p, 0700), 0);
	cr_assert_eq(gzc_view_cache_dir_ok(p), 0);
	cr_assert_eq(chmod(p, 01777), 0);
	cr_assert_eq(gzc_view_cache_dir_ok(p), -EPERM, "writable by others");
	cr_assert_eq(chmod(p, 0700), 0);
	snprintf(l, sizeof(l), "%s/cachelink", root);
	cr_assert_eq(symlink(p, l), 0);
	cr_assert_eq(gzc_view_cache_dir_ok(l), -ELOOP);
	put_file("plain", "x", 1);
	snprintf(p, sizeof(p), "%s/plain", root);
	cr_assert_eq(gzc_view_cache_dir_ok(p), -ENOTDIR);
}

/* opts.only: one store file (in a group or at the root) and its sidecar;
 * no other group, file or foreign file is shown or read; a value that is
 * not one or two plain names is refused. */
Test(view, only_one_store_file)
{
	store_own("app-1.2", "core.42.1700000000000001", 42, 1700000000000001ull, 1000, 1);
	store_own("app-1.2", "core.43.1700000000000002", 43, 1700000000000002ull, 1000, 1);
	store_own("app-2", "core.44.1700000000000003", 44, 1700000000000003ull, 1000, 1);
	store_foreign("dropped.gz", DATA_LEN);
	struct gzc_view_opts o = { .ttl_ms = 1, .only = "app-1.2/core.43.1700000000000002.gz" };
	struct gzc_view *v;
	struct gzc_view_snap *s;
	cr_assert_eq(gzc_view_new(root, &o, &v), 0);
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	cr_assert_eq(s->ngroups, 1);
	const struct gzc_view_group *g = gzc_view_find_group(s, "app-1.2");
	cr_assert(g);
	cr_assert_eq(g->nfiles, 2, "the core and its json only: %zu files", g->nfiles);
	cr_assert(gzc_view_find_file(g, "core.43"));
	gzc_view_put(v, s);
	gzc_view_free(v);
	char idx[128];
	snprintf(idx, sizeof(idx), "%s/dropped.gz.gzx", root);
	cr_assert(access(idx, F_OK) != 0, "a foreign file outside only was indexed");

	o.only = "dropped.gz";
	cr_assert_eq(gzc_view_new(root, &o, &v), 0);
	cr_assert_eq(gzc_view_get(v, 0, &s), 0);
	size_t files = 0;
	for (size_t i = 0; i < s->ngroups; i++)
		files += s->groups[i].nfiles;
	cr_assert_eq(files, 2, "a root file and its json: %zu", files);
	gzc_view_put(v, s);
	gzc_view_free(v);

	static const char *const bad[] = { "/app-2/x", "../x", "a/b/c", ".x", "app-2/", "app-2/.x", "/x", "a//b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.only = bad[i];
		cr_assert_eq(gzc_view_new(root, &o, &v), -EINVAL, "accepted only=%s", bad[i]);
	}
}

/*
 * Threads take snapshots (one get in four forces a rescan), open the shared
 * readers of the cores they list, read and compare them, read metadata and
 * let go, all through one small cache, while the test thread adds, removes
 * and touches store files (own cores with their sidecars and indexes,
 * foreign files whose identification builds an index): no wrong byte, no
 * error but a file gone or replaced since the snapshot (-ENOENT, -ESTALE),
 * and under ThreadSanitizer (make tsan) no race between snapshots, records,
 * shared readers and rescans. The counts are fixed, not a time.
 */
#define VSTRESS_GETS  150 /* per worker thread */
#define VSTRESS_OPS   40  /* store changes by the test thread meanwhile */
#define VSTRESS_SLOTS 6   /* own cores core.<k>, foreign files f<k>.gz */
enum { VSTRESS_THREADS = 4 };

/* One worker's counts; workers never assert, the test thread does. */
struct vstress {
	struct gzc_view *v;
	uint64_t seed;
	int reads, stale, bad;
	char first[256];
};

static void vstress_bad(struct vstress *t, const char *what, const struct gzc_view_file *f, long rc)
{
	if (!t->bad++)
		snprintf(t->first, sizeof(t->first), "%s %s: %ld", what, f ? gzc_view_core_path(f) : "", rc);
}

static void vstress_file(struct vstress *t, const struct gzc_view_file *f, unsigned char *buf, uint64_t *s)
{
	if (f->kind == GZC_VIEW_META) {
		char *m;
		size_t ml;
		int rc = gzc_view_read_meta(t->v, f, &m, &ml);
		if (rc == -ESTALE || rc == -ENOENT) {
			t->stale++;
		} else if (rc < 0 || ml != f->size) {
			vstress_bad(t, "read_meta", f, rc < 0 ? rc : (long)ml);
		}
		if (rc == 0)
			free(m);
		return;
	}
	struct gzc_reader *r;
	int rc = gzc_view_open_reader(t->v, f, &r);
	if (rc == -ESTALE || rc == -ENOENT) {
		t->stale++;
		return;
	}
	if (rc < 0) {
		vstress_bad(t, "open_reader", f, rc);
		return;
	}
	if (f->size == 0 || f->size > DATA_LEN)
		vstress_bad(t, "size", f, (long)f->size);
	/* every core here holds the first f->size bytes of data; a file
	 * removed under an open reader still reads */
	for (int k = 0; !t->bad && k < 3; k++) {
		uint64_t off = th_rand(s) % f->size;
		size_t n = 1 + (size_t)(th_rand(s) % (128u << 10));
		size_t want = f->size - off < n ? (size_t)(f->size - off) : n;
		ssize_t got = gzc_reader_pread(r, buf, n, off);
		if (got != (ssize_t)want || memcmp(buf, data + off, want) != 0)
			vstress_bad(t, "pread", f, (long)got);
		t->reads++;
	}
	gzc_view_release_reader(t->v, f);
}

static void *vstress_worker(void *arg)
{
	struct vstress *t = arg;
	uint64_t s = t->seed;
	unsigned char *buf = malloc(128u << 10);
	if (!buf)
		vstress_bad(t, "malloc", NULL, 0);
	for (int k = 0; buf && k < VSTRESS_GETS; k++) {
		struct gzc_view_snap *sn;
		int rc = gzc_view_get(t->v, th_rand(&s) % 4 == 0, &sn);
		if (rc < 0) {
			vstress_bad(t, "get", NULL, rc);
			continue;
		}
		if (sn->ngroups) {
			const struct gzc_view_group *g = &sn->groups[th_rand(&s) % sn->ngroups];
			if (g->nfiles)
				vstress_file(t, &g->files[th_rand(&s) % g->nfiles], buf, &s);
		}
		gzc_view_put(t->v, sn);
	}
	free(buf);
	return NULL;
}

Test(view, snapshots_and_readers_under_store_changes)
{
	bool own[VSTRESS_SLOTS] = { 0 }, foreign[VSTRESS_SLOTS] = { 0 };
	char name[64], p[300];
	for (int k = 0; k < VSTRESS_SLOTS; k += 2) {
		snprintf(name, sizeof(name), "core.%d.1000", k);
		store_own("app-1", name, k, 1000, -1, 0);
		own[k] = true;
		snprintf(name, sizeof(name), "f%d.gz", k);
		store_foreign(name, DATA_LEN - (size_t)k * 1000);
		foreign[k] = true;
	}
	struct gzc_cache *c = NULL;
	cr_assert_eq(gzc_cache_new(1u << 20, &c), 0);
	struct gzc_view *v = view_of(c);

	struct vstress t[VSTRESS_THREADS];
	pthread_t tid[VSTRESS_THREADS];
	for (int i = 0; i < VSTRESS_THREADS; i++) {
		t[i] = (struct vstress){ .v = v, .seed = 77 + (uint64_t)i };
		cr_assert_eq(pthread_create(&tid[i], NULL, vstress_worker, &t[i]), 0);
	}
	uint64_t s = 5;
	for (int op = 0; op < VSTRESS_OPS; op++) {
		int k = (int)(th_rand(&s) % VSTRESS_SLOTS);
		switch (th_rand(&s) % 3) {
		case 0: /* an own core stored (sidecar, index, core) or removed */
			snprintf(name, sizeof(name), "core.%d.1000", k);
			if (own[k])
				rm_core("app-1", name);
			else
				store_own("app-1", name, k, 1000, -1, 0);
			own[k] = !own[k];
			break;
		case 1: /* a foreign file stored or removed, with the index a scan kept */
			snprintf(name, sizeof(name), "f%d.gz", k);
			if (foreign[k]) {
				snprintf(p, sizeof(p), "%s/%s", root, name);
				cr_assert_eq(unlink(p), 0, "%s", p);
				snprintf(p, sizeof(p), "%s/%s" GZC_IDX_SUFFIX, root, name);
				unlink(p); /* made by the view, if a scan got to it */
			} else {
				store_foreign(name, DATA_LEN - (size_t)k * 1000);
			}
			foreign[k] = !foreign[k];
			break;
		default: /* a core rewritten in place with its own bytes: only its
			  * ctime moves, and opens on its old record are stale */
			snprintf(p, sizeof(p), "%s/app-1/core.%d.1000.gz", root, k);
			if (own[k]) {
				int fd = open(p, O_RDWR);
				unsigned char b;
				cr_assert(fd >= 0, "%s", p);
				cr_assert_eq(pread(fd, &b, 1, 100), 1);
				cr_assert_eq(pwrite(fd, &b, 1, 100), 1);
				close(fd);
			}
			break;
		}
	}
	for (int i = 0; i < VSTRESS_THREADS; i++)
		pthread_join(tid[i], NULL);
	int reads = 0;
	for (int i = 0; i < VSTRESS_THREADS; i++) {
		cr_assert_eq(t[i].bad, 0, "thread %d: %d wrong, the first: %s", i, t[i].bad, t[i].first);
		reads += t[i].reads;
	}
	cr_assert_gt(reads, 0);

	/* and then the view agrees with the store: its cores, and only those,
	 * each read whole */
	struct gzc_view_snap *sn;
	cr_assert_eq(gzc_view_get(v, 1, &sn), 0);
	const char *groups[] = { "app-1", "unknown" };
	const bool *present[] = { own, foreign };
	unsigned char *all = malloc(DATA_LEN);
	cr_assert_not_null(all);
	for (int i = 0; i < 2; i++) {
		size_t want = 0, cores = 0;
		for (int k = 0; k < VSTRESS_SLOTS; k++)
			want += present[i][k];
		const struct gzc_view_group *g = gzc_view_find_group(sn, groups[i]);
		for (size_t j = 0; g && j < g->nfiles; j++) {
			const struct gzc_view_file *f = &g->files[j];
			if (f->kind != GZC_VIEW_CORE)
				continue;
			cores++;
			struct gzc_reader *r;
			cr_assert_eq(gzc_view_open_reader(v, f, &r), 0, "%s", gzc_view_core_path(f));
			cr_assert_leq(f->size, DATA_LEN);
			cr_assert_eq(gzc_reader_pread(r, all, DATA_LEN, 0), (ssize_t)f->size);
			th_assert_bytes(all, data, f->size);
			gzc_view_release_reader(v, f);
		}
		cr_assert_eq(cores, want, "%s: %zu cores shown, %zu stored", groups[i], cores, want);
	}
	free(all);
	gzc_view_put(v, sn);
	gzc_view_free(v);
	gzc_cache_free(c);
}

/*
 * fuzz_view.c — a store laid out as the input says, seen through the view
 * that gzcorefs serves.
 *
 * The input is a list of steps: our own cores with sidecars whose strings
 * (group, app, version, owner, pid) come from the input, our cores without
 * a sidecar, foreign gzip files at the root and in groups, sidecars of raw
 * input bytes, garbage files, and removals; then a rescan. Every group and
 * file name must be a safe path component, unique and sorted; every name
 * must be found; every metadata file must read as JSON of its stated size;
 * every core made from the known bytes must read back as them. Across the
 * rescan a name may never come to stand for another store file (the page
 * cache keeps a core's pages under its name).
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <zlib.h>

#include "fuzz_util.h"
#include "gzcore.h"
#include "view.h"

#define CORE_LEN (3 * GZC_SPAN_MIN + 321)
static unsigned char core[CORE_LEN], *own_gz, *own_gzx, *foreign_gz;
static size_t own_len, gzx_len, foreign_len;
static char root[64];

static void make_files(void)
{
	uint64_t s = 7;
	for (size_t i = 0; i < CORE_LEN; i++)
		core[i] = i % 4096 < 2048 ? (unsigned char)"core dump heap "[i % 15] : (unsigned char)fuzz_rand(&s);
	/* an ELF core's header (no program headers), so foreign copies count as cores */
	static const unsigned char ehdr[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, [16] = 4, 0, 62, 0, 1, 0, 0, 0,
						[52] = 64, 0, 56, 0 };
	memcpy(core, ehdr, sizeof(ehdr));
	int fd = memfd_create("own", MFD_CLOEXEC);
	struct gzc_writer_opts wo = { .span = GZC_SPAN_MIN, .threads = 1 };
	struct gzc_writer *w;
	struct gzc_index *idx;
	FUZZ_CHECK(fd >= 0 && gzc_writer_new(fd, &wo, &w) == 0 && gzc_writer_write(w, core, CORE_LEN) == 0 &&
			   gzc_writer_finish(w, 0, &idx) == 0,
		   "compress");
	gzc_writer_free(w);
	FUZZ_CHECK(gzc_index_encode(idx, &own_gzx, &gzx_len) == 0, "index");
	gzc_index_free(idx);
	struct stat st;
	FUZZ_CHECK(fstat(fd, &st) == 0, "fstat");
	own_len = (size_t)st.st_size;
	own_gz = malloc(own_len);
	FUZZ_CHECK(pread(fd, own_gz, own_len, 0) == (ssize_t)own_len, "read back");
	close(fd);
	/* another tool's gzip file: zlib, one member */
	z_stream zs = { 0 };
	foreign_gz = malloc(CORE_LEN + 1024);
	FUZZ_CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
	zs.next_in = core;
	zs.avail_in = CORE_LEN;
	zs.next_out = foreign_gz;
	zs.avail_out = CORE_LEN + 1024;
	FUZZ_CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END, "deflate");
	foreign_len = zs.total_out;
	deflateEnd(&zs);
}

static void empty_dir(int dfd, int depth);

static void remove_root(void)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		empty_dir(fd, 0);
		close(fd);
	}
	rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	make_files();
	strcpy(root, "/tmp/gzc-fuzz-view-XXXXXX");
	FUZZ_CHECK(mkdtemp(root) != NULL, "mkdtemp");
	atexit(remove_root);
	return 0;
}

/* The input, consumed a piece at a time. */
struct in {
	const uint8_t *d;
	size_t n;
};

static unsigned take(struct in *in, unsigned mod)
{
	if (!in->n)
		return 0;
	unsigned v = *in->d;
	in->d++, in->n--;
	return mod ? v % mod : v;
}

/* A string of up to max bytes from the input, NUL-free ("" allowed). */
static void take_str(struct in *in, char *buf, size_t max)
{
	size_t len = take(in, (unsigned)max + 1), i;
	for (i = 0; i < len && in->n; i++)
		buf[i] = (char)(take(in, 0) ?: 'x');
	buf[i] = 0;
}

/* A file name the file system takes: no '/', not "." or "..", not empty. */
static void take_name(struct in *in, char *buf, size_t max)
{
	take_str(in, buf, max);
	for (char *p = buf; *p; p++)
		if (*p == '/')
			*p = '_';
	if (!buf[0] || !strcmp(buf, ".") || !strcmp(buf, ".."))
		strcpy(buf, "n");
}

static void put(int dfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return; /* e.g. a name that is a directory already */
	FUZZ_CHECK(write(fd, data, len) == (ssize_t)len, "write %s", name);
	close(fd);
}

/* Store files made from the known core bytes: their readers must give them. */
static char known[64][600];
static int nknown;

static void add_known(const char *group, const char *name)
{
	if (nknown < 64)
		snprintf(known[nknown++], sizeof(known[0]), "%s%s%s", group, group[0] ? "/" : "", name);
}

static int is_known(const char *path)
{
	for (int i = 0; i < nknown; i++)
		if (!strcmp(known[i], path))
			return 1;
	return 0;
}

static void step(struct in *in, int rootfd)
{
	char group[80], name[80], s1[40], s2[40], base[96], file[128];
	unsigned op = take(in, 7);
	take_name(in, group, 40);
	int gfd = rootfd;
	if (op != 2) {
		mkdirat(rootfd, group, 0700);
		gfd = openat(rootfd, group, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (gfd < 0)
			return;
	}
	unsigned pid = 1 + take(in, 0) % 3, ts = 1000 + take(in, 4);
	snprintf(base, sizeof(base), "core.%u.%u", pid, ts);
	switch (op) {
	case 0: /* our core with a sidecar of fuzzed strings */
	case 1: { /* ... or with none */
		if (op == 0) {
			struct gzc_meta m;
			gzc_meta_init(&m);
			m.pid = pid;
			m.timestamp_us = ts;
			take_str(in, s1, 30);
			take_str(in, s2, 30);
			if (gzc_meta_set(&m.app, s1) < 0 || gzc_meta_set(&m.app_version, s2) < 0)
				abort();
			take_str(in, s1, 30);
			if (take(in, 2) && gzc_meta_set(&m.group, s1) < 0)
				abort();
			m.owner_uid = (int64_t)take(in, 0) - 1;
			m.user_readable = (int)take(in, 2);
			m.size = CORE_LEN;
			snprintf(file, sizeof(file), "%s.json", base);
			(void)gzc_meta_save(&m, gfd, file, 0600);
			gzc_meta_clear(&m);
		}
		snprintf(file, sizeof(file), "%s.gz.gzx", base);
		if (take(in, 2))
			put(gfd, file, own_gzx, gzx_len);
		snprintf(file, sizeof(file), "%s.gz", base);
		put(gfd, file, own_gz, own_len);
		add_known(group, file);
		break;
	}
	case 2: /* another tool's file at the root */
	case 3: /* ... or in a group */
		take_name(in, name, 40);
		put(gfd, name, foreign_gz, foreign_len);
		add_known(op == 2 ? "" : group, name);
		break;
	case 4: { /* a sidecar of raw bytes beside our core */
		size_t len = take(in, 0) * 4;
		len = len < in->n ? len : in->n;
		snprintf(file, sizeof(file), "%s.json", base);
		put(gfd, file, in->d, len);
		in->d += len, in->n -= len;
		snprintf(file, sizeof(file), "%s.gz", base);
		put(gfd, file, own_gz, own_len);
		add_known(group, file);
		break;
	}
	case 5: { /* garbage under any name */
		take_name(in, name, 40);
		size_t len = take(in, 0);
		len = len < in->n ? len : in->n;
		put(gfd, name, in->d, len);
		in->d += len, in->n -= len;
		break;
	}
	case 6: /* a removal */
		take_name(in, name, 40);
		unlinkat(gfd, name, 0);
		snprintf(file, sizeof(file), "%s.gz", base);
		unlinkat(gfd, file, 0);
		break;
	}
	if (gfd != rootfd)
		close(gfd);
}

static int safe_component(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= GZC_VIEW_NAME_MAX && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* Checks a snapshot; returns its (group/name, store path) pairs in names. */
static void check_snap(struct gzc_view *v, struct gzc_view_snap *s, char (*names)[2][700], size_t *nnames,
		       size_t cap)
{
	*nnames = 0;
	for (size_t g = 0; g < s->ngroups; g++) {
		const struct gzc_view_group *gr = &s->groups[g];
		FUZZ_CHECK(safe_component(gr->name), "group name '%s'", gr->name);
		FUZZ_CHECK(g == 0 || strcmp(s->groups[g - 1].name, gr->name) < 0, "groups not sorted or twice: %s",
			   gr->name);
		FUZZ_CHECK(gzc_view_find_group(s, gr->name) == gr, "group %s not found", gr->name);
		for (size_t i = 0; i < gr->nfiles; i++) {
			const struct gzc_view_file *f = &gr->files[i];
			FUZZ_CHECK(safe_component(f->name), "file name '%s'", f->name);
			FUZZ_CHECK(i == 0 || strcmp(gr->files[i - 1].name, f->name) < 0, "files not sorted or twice: %s",
				   f->name);
			FUZZ_CHECK(gzc_view_find_file(gr, f->name) == f, "file %s not found", f->name);
			const char *path = gzc_view_core_path(f);
			FUZZ_CHECK(path != NULL, "no store path");
			if (*nnames < cap) {
				snprintf(names[*nnames][0], sizeof(names[0][0]), "%s/%s", gr->name, f->name);
				snprintf(names[*nnames][1], sizeof(names[0][1]), "%s", path);
				(*nnames)++;
			}
			if (f->kind == GZC_VIEW_META) {
				char *buf = NULL;
				size_t len = 0;
				if (gzc_view_read_meta(v, f, &buf, &len) == 0) {
					FUZZ_CHECK(len == f->size, "%s: %zu bytes, stated %llu", f->name, len,
						   (unsigned long long)f->size);
					json_object *o = json_tokener_parse(buf);
					FUZZ_CHECK(o != NULL, "%s is not JSON", f->name);
					json_object_put(o);
					free(buf);
				}
				continue;
			}
			struct gzc_reader *r;
			if (!is_known(path) || gzc_view_open_reader(v, f, &r) < 0)
				continue;
			unsigned char buf[4096];
			uint64_t size = gzc_reader_size(r);
			FUZZ_CHECK(size == CORE_LEN && f->size == CORE_LEN, "%s: size %llu", path, (unsigned long long)size);
			ssize_t got = gzc_reader_pread(r, buf, sizeof(buf), CORE_LEN - 1000);
			FUZZ_CHECK(got < 0 || (got == 1000 && !memcmp(buf, core + CORE_LEN - 1000, 1000)), "%s: wrong bytes",
				   path);
			gzc_view_release_reader(v, f);
		}
	}
}

static char before[256][2][700], after[256][2][700];

/* Empties a directory two levels deep (the store's shape). */
static void empty_dir(int dfd, int depth)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *e;
	FUZZ_CHECK(d != NULL, "opendir");
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0 || errno != EISDIR || depth > 0)
			continue;
		int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			empty_dir(sub, depth + 1);
			close(sub);
		}
		unlinkat(dfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(rootfd >= 0, "open root");
	empty_dir(rootfd, 0);
	close(rootfd);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(rootfd >= 0, "open root");
	struct in in = { d, n };
	nknown = 0;
	for (int k = 0; k < 12 && in.n; k++)
		step(&in, rootfd);

	struct gzc_view_opts vo = { .ttl_ms = 1 };
	struct gzc_view *v;
	struct gzc_view_snap *s;
	size_t nb, na;
	FUZZ_CHECK(gzc_view_new(root, &vo, &v) == 0, "view");
	FUZZ_CHECK(gzc_view_get(v, 1, &s) == 0, "first scan");
	check_snap(v, s, before, &nb, 256);
	gzc_view_put(v, s);

	/* the store changes while mounted */
	for (int k = 0; k < 6 && in.n; k++)
		step(&in, rootfd);
	FUZZ_CHECK(gzc_view_get(v, 1, &s) == 0, "rescan");
	check_snap(v, s, after, &na, 256);
	gzc_view_put(v, s);
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (!strcmp(after[i][0], before[j][0]))
				FUZZ_CHECK(!strcmp(after[i][1], before[j][1]), "%s stood for %s, now for %s", after[i][0],
					   before[j][1], after[i][1]);
	gzc_view_free(v);
	close(rootfd);
	return 0;
}

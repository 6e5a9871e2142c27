/*
 * store.c — layout, listing, lookup and removal for the core store.
 *
 * Every path below the root is a single component opened relative to a
 * dirfd with O_NOFOLLOW; names come from readdir and are checked before use.
 */
#include "store.h"
#include "format.h"
#include "retention.h"
#include "corenote.h"
#include "io.h"
#include "reader.h"
#include "scan.h"
#include "tmpfile.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <inttypes.h>
#include <unistd.h>

static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	return 0;
}

/* A directory just opened (fd, or -1 with errno set), kept in *ret_fd
 * only if this user owns it and no one else may write it; else closed.
 * Errors: -errno of the open or fstat, -EPERM. */
static int take_if_ours(int fd, int *ret_fd)
{
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 0022)) {
		close(fd);
		return -EPERM;
	}
	*ret_fd = fd;
	return 0;
}

int gzc_store_open(const char *path, bool create, int *ret_fd)
{
	int r;
	if (create) {
		r = mkdir_parents(path);
		if (r < 0)
			return r;
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	return take_if_ours(open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret_fd);
}

int gzc_store_lock(int rootfd, int *ret_fd)
{
	struct stat st;
	int fd = openat(rootfd, GZC_STORE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;
			close(fd);
			return r;
		}
	}
	*ret_fd = fd;
	return 0;
}

static bool safe_component(const char *name)
{
	return name && name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) <= NAME_MAX;
}

int gzc_store_group_open(int rootfd, const char *group, bool create, int *ret_fd)
{
	if (!safe_component(group))
		return -EINVAL;
	if (create && mkdirat(rootfd, group, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* as the store itself: a group directory planted by another user, or
	 * that others may write, is not ours to store into or to believe */
	return take_if_ours(openat(rootfd, group, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret_fd);
}

int gzc_store_base_name(int64_t pid, uint64_t ts_us, unsigned n, char *buf, size_t cap)
{
	int len = n ? snprintf(buf, cap, "core.%lld.%llu.%u", (long long)pid, (unsigned long long)ts_us, n)
		    : snprintf(buf, cap, "core.%lld.%llu", (long long)pid, (unsigned long long)ts_us);
	if (len < 0 || (size_t)len >= cap)
		return -ENOBUFS;
	return len;
}

static const char *digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

bool gzc_store_is_base(const char *name)
{
	if (strncmp(name, "core.", 5) != 0 || strlen(name) >= GZC_STORE_BASE_MAX)
		return false;
	const char *p = digits(name + 5);
	if (!p || *p++ != '.' || !(p = digits(p)))
		return false;
	if (*p == '.' && !(p = digits(p + 1)))
		return false;
	return *p == 0;
}

static uint64_t disk_use(int dfd, const char *name, int64_t *ret_mtime)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (ret_mtime)
		*ret_mtime = st.st_mtime;
	return (uint64_t)st.st_blocks * 512;
}

static bool is_reg(int dfd, const char *name)
{
	struct stat st;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static int newest_first(const void *a, const void *b)
{
	const struct gzc_store_entry *x = a, *y = b;
	if (x->meta.timestamp_us != y->meta.timestamp_us)
		return x->meta.timestamp_us > y->meta.timestamp_us ? -1 : 1;
	int c = strcmp(x->group, y->group);
	return c ? c : strcmp(x->base, y->base);
}

/* pid and crash time from a base name "core.<pid>.<ts_us>[.<n>]" */
static void from_name(const char *base, struct gzc_meta *m)
{
	char *end;
	m->pid = strtoll(base + 5, &end, 10);
	if (*end == '.')
		m->timestamp_us = strtoull(end + 1, NULL, 10);
}

/* A listing under way. Past GZC_STORE_MAX_ENTRIES it keeps the entries it
 * wants most (the newest for showing, the oldest for retention) in a heap
 * whose top is the one it would give up first, and counts the rest. */
struct listing {
	struct gzc_store_entry *arr; /* cap + 1: arr[GZC_STORE_MAX_ENTRIES] is scratch once full */
	size_t n, cap;
	bool keep_oldest;
	uint64_t dropped_bytes;
	int64_t debris_before; /* > 0: remove a killed writer's temporary files older than this (s) */
};

/* A temporary file a writer leaves only when killed: ".gzc-tmp.<pid>.<hex>"
 * (tmpfile.c, without O_TMPFILE) or "<core>.gzx.tmp.<8 hex>" (an index
 * being saved). Removed once it is older than debris_before and, when its name
 * gives a pid, no such process runs: a live writer's file stays. */
static void sweep_debris(int dfd, const char *name, int64_t debris_before)
{
	size_t len = strlen(name), pl = strlen(GZC_TMP_PREFIX);
	const char *p;
	struct stat st;
	if (strncmp(name, GZC_TMP_PREFIX, pl) == 0) {
		char *end;
		long pid = strtol(name + pl, &end, 10);
		if (end == name + pl || *end != '.' || pid <= 0 || pid > INT_MAX || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			return;
	} else {
		size_t xl = strlen(GZC_IDX_SUFFIX);
		if (len < xl + 13 || memcmp(name + len - xl - 13, GZC_IDX_SUFFIX ".tmp.", xl + 5) != 0)
			return;
		for (p = name + len - 8; *p; p++)
			if (!isxdigit((unsigned char)*p))
				return;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_mtime < debris_before)
		unlinkat(dfd, name, 0); /* a failure is retried by the next vacuum */
}

/* > 0 when a is given up before b */
static int give_up_first(const struct listing *L, const struct gzc_store_entry *a, const struct gzc_store_entry *b)
{
	int c = newest_first(a, b);
	return L->keep_oldest ? -c : c;
}

static void swap_entries(struct gzc_store_entry *a, struct gzc_store_entry *b)
{
	struct gzc_store_entry t = *a;
	*a = *b;
	*b = t;
}

static void sift_down(struct listing *L, size_t i)
{
	for (;;) {
		size_t top = i, l = 2 * i + 1, r = l + 1;
		if (l < L->n && give_up_first(L, &L->arr[l], &L->arr[top]) > 0)
			top = l;
		if (r < L->n && give_up_first(L, &L->arr[r], &L->arr[top]) > 0)
			top = r;
		if (top == i)
			return;
		swap_entries(&L->arr[i], &L->arr[top]);
		i = top;
	}
}

/* Room for one more entry (zeroed, meta initialised): the caller fills it,
 * then calls keep_entry(). */
static struct gzc_store_entry *add_entry(struct listing *L)
{
	if (L->n == L->cap) {
		size_t nc = L->cap ? L->cap * 2 : 64;
		if (nc > GZC_STORE_MAX_ENTRIES)
			nc = GZC_STORE_MAX_ENTRIES;
		if (L->n < GZC_STORE_MAX_ENTRIES || !L->arr) {
			struct gzc_store_entry *q = realloc(L->arr, (nc + 1) * sizeof(*L->arr));
			if (!q)
				return NULL;
			L->arr = q;
			L->cap = nc;
		}
	}
	struct gzc_store_entry *e = &L->arr[L->n];
	memset(e, 0, sizeof(*e));
	gzc_meta_init(&e->meta);
	return e;
}

/* Takes the entry add_entry() gave: one more, or once full, in place of
 * the one given up first if this one is wanted more (the loser's bytes are
 * counted as dropped). */
static void keep_entry(struct listing *L)
{
	struct gzc_store_entry *e = &L->arr[L->n];
	if (L->n < GZC_STORE_MAX_ENTRIES) {
		if (++L->n == GZC_STORE_MAX_ENTRIES)
			for (size_t i = L->n / 2; i-- > 0;)
				sift_down(L, i);
		return;
	}
	if (give_up_first(L, &L->arr[0], e) > 0) {
		swap_entries(&L->arr[0], e);
		sift_down(L, 0);
	}
	L->dropped_bytes += e->bytes;
	gzc_meta_clear(&e->meta);
}

bool gzc_store_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);
	return n >= m && strcmp(name + n - m, suffix) == 0;
}

bool gzc_store_is_aux(const char *name)
{
	return gzc_store_has_suffix(name, GZC_IDX_SUFFIX) || gzc_store_has_suffix(name, GZC_META_SUFFIX);
}

/* A core the handler stored: "<base>.gz" or "<base>.zz" with its sidecar. */
static bool own_core(int dfd, const char *name, size_t len)
{
	char base[GZC_STORE_BASE_MAX], side[GZC_STORE_FILE_MAX];
	if (!(gzc_store_has_suffix(name, ".gz") || gzc_store_has_suffix(name, ".zz")) || len - 3 >= sizeof(base))
		return false;
	memcpy(base, name, len - 3);
	base[len - 3] = 0;
	snprintf(side, sizeof(side), "%s%s", base, GZC_META_SUFFIX);
	return gzc_store_is_base(base) && is_reg(dfd, side);
}

/* A foreign file: regular, not ours, not an index or a sidecar, starting
 * as gzip or zlib data does (the mount, view.c, also calls foreign a core
 * of ours whose sidecar does not parse; list shows that one as ours, with
 * "metadata unreadable"). */
static int add_foreign(int dfd, const char *group, const char *name, struct listing *L)
{
	size_t len = strlen(name);
	unsigned char h[3];
	struct stat st;
	if (gzc_store_is_aux(name) || !is_reg(dfd, name) || own_core(dfd, name, len))
		return 0;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	bool is = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && gzc_pread_all(fd, h, sizeof(h), 0) == sizeof(h) &&
		  gzc_scan_sniff(h, sizeof(h));
	close(fd);
	if (!is)
		return 0;
	struct gzc_store_entry *e = add_entry(L);
	if (!e)
		return -ENOMEM;
	e->foreign = true;
	snprintf(e->group, sizeof(e->group), "%s", group);
	snprintf(e->core, sizeof(e->core), "%s", name);
	e->meta.timestamp_us = (uint64_t)st.st_mtim.tv_sec * 1000000 + (uint64_t)st.st_mtim.tv_nsec / 1000;
	e->meta.compressed_size = (uint64_t)st.st_size;
	char idx[NAME_MAX + 8];
	snprintf(idx, sizeof(idx), "%s%s", name, GZC_IDX_SUFFIX);
	e->bytes = (uint64_t)st.st_blocks * 512 + disk_use(dfd, idx, NULL);
	keep_entry(L);
	return 0;
}

/* One directory: a group (group != "") or the root (foreign files only).
 * Sidecars give the handler's cores; with parse, their sidecars are read
 * and other compressed files are listed as foreign. */
static int list_dir(int rootfd, const char *group, bool parse, struct listing *L)
{
	int gfd, r;
	/* longer than any group we make: not ours (and an entry could not name it whole) */
	if (strlen(group) >= sizeof(L->arr->group))
		return 0;
	if (group[0])
		r = gzc_store_group_open(rootfd, group, false, &gfd);
	else
		r = (gfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ? -errno : 0;
	if (r < 0)
		return 0; /* not a directory, a symlink, or gone: not ours */
	DIR *d = fdopendir(gfd);
	if (!d) {
		close(gfd);
		return 0;
	}
	struct dirent *de;
	r = 0;
	while (r == 0 && (de = readdir(d))) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		if (L->debris_before > 0 && de->d_type != DT_DIR)
			sweep_debris(gfd, name, L->debris_before);
		if (name[0] == '.')
			continue;
		if (!group[0] || !gzc_store_has_suffix(name, GZC_META_SUFFIX)) {
			if (parse && de->d_type != DT_DIR)
				r = add_foreign(gfd, group, name, L);
			continue;
		}
		char base[GZC_STORE_BASE_MAX];
		if (len - 5 >= sizeof(base))
			continue;
		/* only a regular file is a sidecar (as own_core() and the mount
		 * see it): else its core is foreign, listed once and never removed */
		if (de->d_type != DT_REG && (de->d_type != DT_UNKNOWN || !is_reg(gfd, name)))
			continue;
		memcpy(base, name, len - 5);
		base[len - 5] = 0;
		if (!gzc_store_is_base(base))
			continue;
		struct gzc_store_entry *e = add_entry(L);
		if (!e) {
			r = -ENOMEM;
			break;
		}
		snprintf(e->group, sizeof(e->group), "%s", group);
		snprintf(e->base, sizeof(e->base), "%s", base);
		snprintf(e->json, sizeof(e->json), "%s", name);
		e->meta_ok = parse && gzc_meta_load_summary(gfd, name, &e->meta) == 0;
		if (!e->meta_ok) {
			/* not parsed, or not parseable: the name still gives pid and time */
			gzc_meta_clear(&e->meta);
			gzc_meta_init(&e->meta);
			from_name(base, &e->meta);
		}
		e->bytes = disk_use(gfd, name, &e->json_mtime);
		static const char *const exts[] = { ".gz", ".zz" };
		for (int i = 0; i < 2; i++) {
			char core[GZC_STORE_FILE_MAX], idx[GZC_STORE_FILE_MAX + 8];
			snprintf(core, sizeof(core), "%s%s", base, exts[i]);
			if (!is_reg(gfd, core))
				continue;
			snprintf(e->core, sizeof(e->core), "%s", core);
			snprintf(idx, sizeof(idx), "%s%s", core, GZC_IDX_SUFFIX);
			e->bytes += disk_use(gfd, core, NULL) + disk_use(gfd, idx, NULL);
			break;
		}
		keep_entry(L);
	}
	closedir(d);
	return r;
}

static int list(int rootfd, bool parse, int64_t debris_before, struct gzc_store_entry **ret, size_t *ret_n,
		uint64_t *ret_unlisted)
{
	struct listing L = { .keep_oldest = !parse, .debris_before = debris_before };
	int r = 0;
	int dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (debris_before > 0 && de->d_type != DT_DIR)
			sweep_debris(dfd, de->d_name, debris_before);
		if (de->d_name[0] != '.' && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN))
			r = list_dir(rootfd, de->d_name, parse, &L);
	}
	closedir(d);
	if (r == 0 && parse)
		r = list_dir(rootfd, "", parse, &L);
	if (r < 0) {
		gzc_store_list_free(L.arr, L.n);
		return r;
	}
	if (L.n)
		qsort(L.arr, L.n, sizeof(*L.arr), newest_first);
	*ret = L.arr;
	*ret_n = L.n;
	if (ret_unlisted)
		*ret_unlisted = L.dropped_bytes;
	return 0;
}

int gzc_store_list(int rootfd, struct gzc_store_entry **ret, size_t *ret_n)
{
	return list(rootfd, true, 0, ret, ret_n, NULL);
}

int gzc_store_list_names(int rootfd, struct gzc_store_entry **ret, size_t *ret_n, uint64_t *ret_unlisted)
{
	return list(rootfd, false, 0, ret, ret_n, ret_unlisted);
}

void gzc_store_list_free(struct gzc_store_entry *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++)
		gzc_meta_clear(&e[i].meta);
	free(e);
}

int gzc_store_entry_dir(int rootfd, const struct gzc_store_entry *e, int *ret_fd)
{
	if (e->group[0])
		return gzc_store_group_open(rootfd, e->group, false, ret_fd);
	int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* Is this compressed file an ELF core? Its first bytes say, without a scan. */
static int elf_core_head(int fd)
{
	unsigned char h[18];
	ssize_t n = gzc_scan_head(fd, h, sizeof(h));
	if (n < 0)
		return (int)n;
	if ((size_t)n < sizeof(h) || memcmp(h, "\177ELF", 4) != 0)
		return -ENOEXEC;
	unsigned type = h[5] == 2 ? (unsigned)h[16] << 8 | h[17] : (unsigned)h[17] << 8 | h[16];
	return type == 4 /* ET_CORE */ ? 0 : -ENOEXEC;
}

static int open_core(int dfd, const struct gzc_store_entry *e, bool scan, struct gzc_reader **ret)
{
	char idx[NAME_MAX + 8];
	struct stat st;
	int fd, rc;

	snprintf(idx, sizeof(idx), "%s%s", e->core, GZC_IDX_SUFFIX);
	if ((fd = openat(dfd, e->core, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL; /* swapped for something else since the listing */
	}
	if ((rc = elf_core_head(fd)) < 0) {
		close(fd);
		return rc;
	}
	/* without scan: a matching index or nothing (never a scan, never a
	 * write); with it, a new index is saved beside the file where we may
	 * write */
	unsigned flags = GZC_READER_NO_SAVE | GZC_READER_NO_SCAN;
	if (scan)
		flags = faccessat(dfd, ".", W_OK, AT_EACCESS) == 0 ? 0 : GZC_READER_NO_SAVE;
	struct gzc_reader_opts o = { .index_dirfd = dfd, .index_path = idx, .flags = flags };
	if ((rc = gzc_reader_open(fd, &o, ret, NULL)) < 0)
		close(fd);
	return rc;
}

int gzc_store_open_core(int rootfd, const struct gzc_store_entry *e, bool scan, struct gzc_reader **ret)
{
	int dfd, rc;
	if (!e->core[0])
		return -ENOENT;
	if ((rc = gzc_store_entry_dir(rootfd, e, &dfd)) == 0) {
		rc = open_core(dfd, e, scan, ret);
		close(dfd);
	}
	return rc;
}

static int identify(int dfd, struct gzc_store_entry *e, bool scan)
{
	struct gzc_reader *r = NULL;
	struct gzc_coreinfo *info = NULL;
	int rc = open_core(dfd, e, scan, &r);
	if (rc < 0)
		return rc;
	uint64_t size = gzc_reader_size(r);
	if ((rc = gzc_corenote_read(gzc_reader_read_cb, r, size, &info)) == 0 && (rc = gzc_meta_from_coreinfo(&e->meta, info)) == 0) {
		e->meta.size = size;
		rc = gzc_meta_set(&e->meta.format, (gzc_reader_index(r)->flags & GZC_IDX_F_ZLIB) ? "zlib" : "gzip");
	}
	gzc_coreinfo_free(info);
	gzc_reader_close(r);
	return rc;
}

int gzc_store_identify(int rootfd, struct gzc_store_entry *e, bool scan)
{
	int dfd, rc;

	if (!e->foreign)
		return -EINVAL;
	if ((rc = gzc_store_entry_dir(rootfd, e, &dfd)) == 0) {
		rc = identify(dfd, e, scan);
		close(dfd);
	}
	e->identified = rc == 0;
	e->identify_rc = rc;
	return rc;
}

int gzc_store_find(const struct gzc_store_entry *e, size_t n, const char *id)
{
	if (!id || !*id)
		return -EINVAL;
	const char *end = digits(id);
	if (end && !*end) {
		long long pid = strtoll(id, NULL, 10);
		for (size_t i = 0; i < n; i++) /* newest first */
			if (e[i].core[0] && e[i].meta.pid == pid)
				return (int)i;
		return -ENOENT;
	}
	/* "name", "group/name", or a whole path ending so (as info prints it) */
	const char *slash = strrchr(id, '/');
	const char *name = slash ? slash + 1 : id, *group = id;
	size_t glen = slash ? (size_t)(slash - id) : 0;
	for (const char *p = id; slash && p < slash; p++)
		if (*p == '/')
			group = p + 1;
	if (slash)
		glen = (size_t)(slash - group);
	if (!*name)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].core[0])
			continue;
		if (slash && (strlen(e[i].group) != glen || strncmp(e[i].group, group, glen) != 0))
			continue;
		if (!strcmp(name, e[i].base) || !strcmp(name, e[i].core) || !strcmp(name, e[i].json))
			return (int)i;
	}
	/* a foreign file at the root, by the whole path info prints */
	for (size_t i = 0; slash && i < n; i++)
		if (e[i].foreign && !e[i].group[0] && !strcmp(name, e[i].core))
			return (int)i;
	return -ENOENT;
}

static int unlink_one(int gfd, const char *name, int r)
{
	if (name[0] && unlinkat(gfd, name, 0) < 0 && errno != ENOENT && r == 0)
		return -errno;
	return r;
}

int gzc_store_remove(int rootfd, const struct gzc_store_entry *e)
{
	char idx[NAME_MAX + 8];
	int gfd, r = gzc_store_group_open(rootfd, e->group, false, &gfd);
	if (r < 0)
		return r;
	r = unlink_one(gfd, e->core, 0);
	if (e->core[0]) {
		snprintf(idx, sizeof(idx), "%s%s", e->core, GZC_IDX_SUFFIX);
		r = unlink_one(gfd, idx, r);
	}
	if (r == 0)
		r = unlink_one(gfd, e->json, r);
	close(gfd);
	unlinkat(rootfd, e->group, AT_REMOVEDIR); /* only succeeds when empty */
	return r;
}

int gzc_store_fs_free(int rootfd, uint64_t *ret)
{
	struct statvfs sv;
	if (fstatvfs(rootfd, &sv) < 0)
		return -errno;
	*ret = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

int gzc_store_fs_size(int rootfd, uint64_t *ret)
{
	struct statvfs sv;
	if (fstatvfs(rootfd, &sv) < 0)
		return -errno;
	*ret = (uint64_t)sv.f_blocks * sv.f_frsize;
	return 0;
}

uint64_t gzc_store_used(const struct gzc_store_entry *e, size_t n)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += e[i].bytes;
	return sum;
}

/* The keys max_per_signature counts by, for a names-only listing: each
 * core's crash signature and the uid that crashed, so that one user's
 * crashes never make room among another's (anyone can crash a copy of
 * another's program the same way). Each sidecar's summary is read from its
 * first 16 KiB alone: a bounded cost per core (a store of 100,000 costs
 * seconds, whatever its sidecars hold). A signature that is not as we
 * write them (GZC_STACK_SIGNATURE_LEN hex digits), or a sidecar that does
 * not read so, gives no key: that core is alone, never over the limit.
 * Returns an array of n keys (NULL entries for none; free with
 * free_keys), or NULL when out of memory. */
static char **signature_keys(int rootfd, const struct gzc_store_entry *e, size_t n)
{
	char **keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int gfd = -1;
		struct gzc_meta m;
		gzc_meta_init(&m);
		if (!e[i].core[0] || !e[i].json[0] || gzc_store_entry_dir(rootfd, &e[i], &gfd) < 0)
			continue;
		if (gzc_meta_load_head(gfd, e[i].json, &m) == 0 && gzc_stack_signature_valid(m.signature) &&
		    asprintf(&keys[i], "%s/%" PRId64, m.signature, m.uid) < 0)
			keys[i] = NULL;
		gzc_meta_clear(&m);
		close(gfd);
	}
	return keys;
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
}

/* gzc_store_vacuum(), or with plan set its dry run: nothing removed (no
 * debris swept either), *plan and *plan_n the cores it would remove. */
static int vacuum(int rootfd, const struct gzc_ret_limits *lim, uint64_t now_us,
		  const struct gzc_ret_incoming *incoming, const char *protect, uint64_t *ret_used,
		  uint64_t *ret_fs_free, struct gzc_store_entry **plan, size_t *plan_n)
{
	struct gzc_store_entry *e = NULL;
	struct gzc_ret_item *items = NULL;
	bool *del = NULL;
	size_t n = 0, m = 0;
	uint64_t unlisted = 0;
	/* names only, as gzc_store_list_names(), sweeping a killed writer's temporary files */
	int r = list(rootfd, false, plan ? 0 : (int64_t)(now_us / 1000000) - GZC_STORE_ORPHAN_AGE_S, &e, &n, &unlisted),
	    removed = 0;
	if (r < 0)
		return r;
	uint64_t used = gzc_store_used(e, n) + unlisted;
	char **keys = lim->max_per_signature ? signature_keys(rootfd, e, n) : NULL;
	items = calloc(n ? n : 1, sizeof(*items));
	del = calloc(n ? n : 1, sizeof(*del));
	size_t *map = calloc(n ? n : 1, sizeof(*map));
	if (!items || !del || !map || (lim->max_per_signature && !keys)) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!e[i].core[0]) {
			/* a sidecar whose core never came: debris after a while */
			if (!plan && e[i].json_mtime && now_us / 1000000 > (uint64_t)e[i].json_mtime + GZC_STORE_ORPHAN_AGE_S)
			{
				/* a failure is retried by the next vacuum */
				if (gzc_store_remove(rootfd, &e[i]) == 0)
					used -= e[i].bytes;
			}
			continue;
		}
		items[m] = (struct gzc_ret_item){ .time_us = e[i].meta.timestamp_us, .bytes = e[i].bytes,
						  .group = e[i].group, .signature = keys ? keys[i] : NULL,
						  .keep = protect && strcmp(e[i].base, protect) == 0 };
		map[m++] = i;
	}
	uint64_t fs_free = 0;
	r = gzc_store_fs_free(rootfd, &fs_free);
	if (r < 0)
		goto out;
	struct gzc_ret_state st = { .now_us = now_us, .fs_free = fs_free, .unlisted_bytes = unlisted };
	if (incoming)
		st.in = *incoming;
	r = gzc_retention_plan(items, m, lim, &st, del);
	if (r < 0)
		goto out;
	/* oldest first: the list is newest first */
	for (size_t a = m; a-- > 0;) {
		struct gzc_store_entry *x = &e[map[a]];
		if (!del[a])
			continue;
		if (plan) { /* moved into the plan (the listing keeps an empty entry) */
			if (!*plan && !(*plan = calloc(m, sizeof(**plan)))) {
				r = -ENOMEM;
				goto out;
			}
			removed++;
			used -= x->bytes;
			fs_free += x->bytes;
			(*plan)[(*plan_n)++] = *x;
			memset(x, 0, sizeof(*x));
			continue;
		}
		if (gzc_store_remove(rootfd, x) == 0) {
			removed++;
			used -= x->bytes;
			fs_free += x->bytes;
		}
	}
	r = removed;
	if (plan && !*plan_n) {
		free(*plan);
		*plan = NULL;
	}
	if (ret_used)
		*ret_used = used;
	if (ret_fs_free)
		*ret_fs_free = fs_free;
out:
	free(map);
	free(items);
	free(del);
	free_keys(keys, n);
	gzc_store_list_free(e, n);
	if (r < 0 && plan) {
		gzc_store_list_free(*plan, *plan_n);
		*plan = NULL;
		*plan_n = 0;
	}
	return r;
}

int gzc_store_vacuum(int rootfd, const struct gzc_ret_limits *lim, uint64_t now_us,
		     const struct gzc_ret_incoming *incoming, const char *protect, uint64_t *ret_used,
		     uint64_t *ret_fs_free)
{
	return vacuum(rootfd, lim, now_us, incoming, protect, ret_used, ret_fs_free, NULL, NULL);
}

int gzc_store_vacuum_plan(int rootfd, const struct gzc_ret_limits *lim, uint64_t now_us, uint64_t *ret_used,
			  uint64_t *ret_fs_free, struct gzc_store_entry **ret, size_t *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	return vacuum(rootfd, lim, now_us, NULL, NULL, ret_used, ret_fs_free, ret, ret_n);
}

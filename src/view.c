/*
 * view.c — turns an untrusted store directory into gzcorefs's tree.
 *
 * See view.h for the contract. The store is read through one directory fd:
 * every name is looked up with fstatat(AT_SYMLINK_NOFOLLOW) and opened with
 * O_NOFOLLOW|O_NONBLOCK, then fstat'ed again, so a symlink, FIFO or device
 * planted in the store is skipped instead of followed or blocked on. File
 * reads are bounded (an index up to GZC_IDX_MAX_FILE, a sidecar up to GZC_META_MAX_FILE,
 * ELF notes through corenote.c's bounds).
 */
#include "view.h"

#include "corenote.h"
#include "format.h"
#include "hex.h"
#include "io.h"
#include "meta.h"
#include "names.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gzc_view_core {
	int refs; /* atomic */
	/* the key: a record is reused while the file keeps all of these */
	dev_t dev;
	ino_t ino;
	struct timespec fmtime;
	struct timespec fctime; /* a file replaced in place may reuse the inode, size and mtime, never the ctime */
	off_t fsize;
	char *path;      /* relative to the root: "file" or "dir/file" */
	size_t dirlen;   /* bytes of path before the file name ("" = root: 0) */
	int bad;         /* not a core we can show */
	int retry;       /* bad for a passing cause (EMFILE, EIO...): identified
			  * again at the next rescan, not kept as a verdict */
	int young;       /* bad, and changed within 2 s of being identified:
			  * perhaps still being written in place (cp, gzip >),
			  * which changes no directory: watched by dirs_changed() */
	int foreign;
	char *group;
	char *base;      /* wanted name in the group */
	uint64_t time_us;
	uint64_t usize;
	uid_t uid;
	uint64_t serial; /* unique for the life of the view: see gzc_view_file_id() */
	int redo;        /* the index on disk gave a size its reader did not
			  * confirm: identify again, sized by a reader (atomic) */
	struct stat side_st; /* the sidecar when identified (st_ino 0: none); a
			      * changed sidecar makes a new record */
	char *sidecar;   /* relative path of the sidecar, NULL for foreign */
	uint64_t meta_size;
	char *json;      /* made-up JSON of a foreign core */
	/* shared reader: guarded by open_lock */
	pthread_mutex_t open_lock;
	struct gzc_reader *reader;
	unsigned nopen;
};

struct dirstamp {
	char *name; /* "" for the root */
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
};

struct gzc_view {
	int rootfd;
	bool root_trusted;         /* the store is owned safely (owned_safely): access decisions may count */
	char *cache_dir;
	char *only;                /* gzc_view_opts.only, or NULL */
	struct gzc_cache *cache;
	unsigned ttl_ms;
	pthread_mutex_t scan_lock; /* one scan at a time; guards dirs, recs, last_check, unstable */
	pthread_mutex_t lock;      /* guards snap and snapshot refcounts */
	struct gzc_view_snap *snap;
	struct timespec last_check;
	int unstable;              /* a directory changed too recently to trust its mtime */
	int stale;                 /* a file changed behind its record: rescan (atomic) */
	int retry;                 /* a record failed for a passing cause: rescan
				    * RETRY_TTLS ttls after the last scan (atomic) */
	struct timespec last_scan; /* guarded by scan_lock */
	struct dirstamp *dirs;
	size_t ndirs;
	struct gzc_view_core **recs; /* records of the last scan, sorted by (dev, ino) */
	size_t nrecs;
	size_t nyoung;               /* records with young set (scan_lock) */
	uint64_t next_serial;        /* atomic */
	struct gzc_view_stats stats; /* atomics */
	/* every name given since the view opened (scan_lock): a name never
	 * comes to stand for another store file, so no page cache kept under
	 * it can serve one user's core to another (a rescan that makes a new
	 * record of the same file keeps its name) */
	void *names_by_key;          /* tsearch of struct given_name by key */
	void *names_by_path;         /* tsearch of struct given_name by path, then group */
};

/* A name given to a store file: key "group/name" (group names hold no
 * '/'), path the file's identity: "<dev>:<ino>:<path in the store>", so a
 * new file at a path a removed one had is another file (see file_id()). */
struct given_name {
	char *path;
	char key[];
};

#define RETRY_TTLS 20 /* a passing failure is retried after this many ttls (10 s by default) */
#define STAT_INC(v, f) __atomic_add_fetch(&(v)->stats.f, 1, __ATOMIC_RELAXED)

/* ---- records ---- */

static void core_unref(struct gzc_view_core *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	gzc_reader_close(c->reader);
	pthread_mutex_destroy(&c->open_lock);
	free(c->path);
	free(c->group);
	free(c->base);
	free(c->sidecar);
	free(c->json);
	free(c);
}

static void core_ref(struct gzc_view_core *c) { __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED); }

static int cmp_key(dev_t d1, ino_t i1, dev_t d2, ino_t i2)
{
	if (d1 != d2)
		return d1 < d2 ? -1 : 1;
	if (i1 != i2)
		return i1 < i2 ? -1 : 1;
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct gzc_view_core *x = *(struct gzc_view_core *const *)a, *y = *(struct gzc_view_core *const *)b;
	return cmp_key(x->dev, x->ino, y->dev, y->ino);
}

/* Does st (a stat of c's path) still show the file of record c? The key:
 * the inode, size, mtime and ctime (a file replaced in place may reuse the
 * inode, size and mtime, never the ctime). */
static int core_key_is(const struct gzc_view_core *c, const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_dev == c->dev && st->st_ino == c->ino && st->st_size == c->fsize &&
	       st->st_mtim.tv_sec == c->fmtime.tv_sec && st->st_mtim.tv_nsec == c->fmtime.tv_nsec &&
	       st->st_ctim.tv_sec == c->fctime.tv_sec && st->st_ctim.tv_nsec == c->fctime.tv_nsec;
}

static struct gzc_view_core *find_rec(struct gzc_view *v, const struct stat *st, const char *path)
{
	size_t lo = 0, hi = v->nrecs;
	/* the first record of (dev, ino): hard links share it, one record per path */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct gzc_view_core *c = v->recs[mid];
		if (cmp_key(st->st_dev, st->st_ino, c->dev, c->ino) <= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (; lo < v->nrecs && cmp_key(st->st_dev, st->st_ino, v->recs[lo]->dev, v->recs[lo]->ino) == 0; lo++)
		if (strcmp(v->recs[lo]->path, path) == 0)
			return core_key_is(v->recs[lo], st) ? v->recs[lo] : NULL;
	return NULL;
}

static char *strip_suffix(const char *name);

/* The sidecar's name of the core file `name` (malloc'ed), or NULL: -ENOMEM. */
static char *side_name(const char *name)
{
	char *stripped = strip_suffix(name), *side = NULL;
	if (stripped && asprintf(&side, "%s%s", stripped, GZC_META_SUFFIX) < 0)
		side = NULL;
	free(stripped);
	return side;
}

/* The sidecar `side` in dirfd as it is now (all zeros: none). */
static void side_stat(int dirfd, const char *side, struct stat *ret)
{
	if (fstatat(dirfd, side, ret, AT_SYMLINK_NOFOLLOW) < 0)
		memset(ret, 0, sizeof(*ret));
}

static int same_file_state(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mode == b->st_mode && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* ---- small helpers ---- */

static char *join(const char *dir, const char *name)
{
	char *s;
	if (!dir[0])
		return strdup(name);
	if (asprintf(&s, "%s/%s", dir, name) < 0)
		return NULL;
	return s;
}

/* The name without its compression suffix: what the sidecar and a
 * pid-less view name are made of. */
static char *strip_suffix(const char *name)
{
	static const char *const sufs[] = { ".gz", ".zz", ".zlib", ".z", ".gzip" };
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++)
		if (gzc_store_has_suffix(name, sufs[i]) && n > strlen(sufs[i]))
			return strndup(name, n - strlen(sufs[i]));
	return strdup(name);
}

/* A group name from a sidecar is used as is only if it is one names.c
 * could have made; anything else is escaped. */
static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > GZC_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-%", s[i]))
			return 0;
	return 1;
}

static char *escaped(const char *s)
{
	char buf[GZC_NAME_MAX + 1];
	if (gzc_name_escape(s, GZC_NAME_MAX * 4, buf, sizeof(buf)) < 0)
		return NULL;
	return strdup(buf);
}

static char *group_of(const char *name, const char *version)
{
	char buf[GZC_NAME_MAX + 1];
	if (gzc_group_name(name, version, buf, sizeof(buf)) < 0)
		return NULL;
	return strdup(buf);
}

/* The name of a core's index in cache_dir: a hash of path, size, mtime. */
#define CACHE_NAME_MAX (16 + sizeof(GZC_IDX_SUFFIX))
static void cache_name(const struct gzc_view_core *c, char buf[CACHE_NAME_MAX])
{
	uint64_t h = GZC_FNV1A_INIT, t[3] = { (uint64_t)c->fsize, (uint64_t)c->fmtime.tv_sec,
						     (uint64_t)c->fmtime.tv_nsec };
	h = gzc_fnv1a(h, c->path, strlen(c->path) + 1);
	h = gzc_fnv1a(h, t, sizeof(t));
	snprintf(buf, CACHE_NAME_MAX, "%016" PRIx64 "%s", h, GZC_IDX_SUFFIX);
}

/* Is st still the file c describes? A file rewritten in place keeps its
 * directory's mtime, so rescans do not see it: every open checks. Not: the
 * view rescans at its next gzc_view_get(). */
static int core_same(struct gzc_view *v, const struct gzc_view_core *c, const struct stat *st)
{
	if (core_key_is(c, st))
		return 1;
	__atomic_store_n(&v->stale, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Opens the store file of c, checking it is still the file c describes. */
static int open_core_file(struct gzc_view *v, const struct gzc_view_core *c)
{
	struct stat st;
	int fd = openat(v->rootfd, c->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !core_same(v, c, &st)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* Opens a reader on fd (taken over on success) with the index kept in the
 * store if its directory is writable, else in cache_dir. */
static int reader_for(struct gzc_view *v, const struct gzc_view_core *c, int fd, struct gzc_reader **ret)
{
	struct gzc_reader_opts o = { .index_dirfd = -1, .cache = v->cache };
	char *store_idx = NULL, *dir = strndup(c->path, c->dirlen), cname[CACHE_NAME_MAX];
	struct gzc_reader *r = NULL;
	int rc = -ENOMEM, cfd = -1, gfd = -1;

	/* the index beside the core, through the core's own directory opened
	 * without following a link (one name under it: a group directory
	 * swapped for a symlink since the scan cannot send the write elsewhere) */
	if (!dir || asprintf(&store_idx, "%s%s", c->path + c->dirlen + (c->dirlen ? 1 : 0), GZC_IDX_SUFFIX) < 0) {
		store_idx = NULL;
		goto out;
	}
	gfd = openat(v->rootfd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (gfd < 0) {
		rc = -errno;
		goto out;
	}
	o.index_dirfd = gfd;
	if (faccessat(gfd, ".", W_OK, AT_EACCESS) == 0) {
		o.index_path = store_idx;
		rc = gzc_reader_open(fd, &o, &r, NULL);
	} else {
		/* the cache is trusted as the store is, so it must be as safe: a
		 * directory (made if missing) that is no symlink, ours, and not
		 * writable by others; else there is no cache (gzc_view_cache_dir_ok) */
		struct stat st;
		if (v->cache_dir && gzc_store_open(v->cache_dir, true, &cfd) < 0)
			cfd = -1;
		cache_name(c, cname);
		if (cfd >= 0 && fstatat(cfd, cname, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid()) {
			o.index_dirfd = cfd;
			o.index_path = cname;
			rc = gzc_reader_open(fd, &o, &r, NULL);
		} else {
			o.index_path = store_idx;
			o.flags = GZC_READER_NO_SAVE;
			rc = gzc_reader_open(fd, &o, &r, NULL);
			if (rc == 0 && cfd >= 0 && gzc_reader_index_origin(r) != GZC_INDEX_LOADED &&
			    gzc_index_save(gzc_reader_index(r), cfd, cname) < 0) {
				/* best effort: the index lives only as long as this reader */
			}
		}
	}
	if (rc == 0) {
		if (gzc_reader_index_origin(r) != GZC_INDEX_LOADED)
			STAT_INC(v, index_built);
		*ret = r;
	}
out:
	if (cfd >= 0)
		close(cfd);
	if (gfd >= 0)
		close(gfd);
	free(dir);
	free(store_idx);
	return rc;
}

int gzc_view_cache_dir_ok(const char *dir)
{
	struct stat st;
	int fd, r;
	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : -errno; /* made when first needed */
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if ((r = gzc_store_open(dir, false, &fd)) < 0)
		return r;
	close(fd);
	return 0;
}

/* usize from the core's index in the store, checked whole (its checksum)
 * and against the core file fd (its fingerprint): a header alone could
 * claim any size, and the record would show it until the core changed. */
static int index_size(struct gzc_view *v, const struct gzc_view_core *c, int fd, uint64_t *ret)
{
	struct gzc_index *idx;
	char *p;
	int rc;

	if (asprintf(&p, "%s%s", c->path, GZC_IDX_SUFFIX) < 0)
		return -ENOMEM;
	rc = gzc_index_load_for(v->rootfd, p, fd, &idx);
	free(p);
	if (rc < 0)
		return rc;
	*ret = idx->usize;
	gzc_index_free(idx);
	return 0;
}

/* A foreign core: its notes name it. Takes fd over in every case. */
static int identify_foreign(struct gzc_view *v, struct gzc_view_core *c, int fd, const char *stripped)
{
	struct gzc_reader *r = NULL;
	struct gzc_coreinfo *info = NULL;
	struct gzc_meta m;
	int rc = reader_for(v, c, fd, &r);

	if (rc < 0) {
		close(fd);
		return rc;
	}
	c->usize = gzc_reader_size(r);
	gzc_meta_init(&m);
	if (gzc_corenote_read(gzc_reader_read_cb, r, c->usize, &info) == 0) {
		/* named as the handler names a core without package metadata
		 * (elfid.c): comm, else the exe's base name, and "bid-" + the
		 * build-id's first hex digits, so one program's cores meet in one
		 * group however they reached the store */
		const char *name = info->comm[0] ? info->comm : NULL, *slash;
		if (!name && info->exe)
			name = (slash = strrchr(info->exe, '/')) && slash[1] ? slash + 1 : info->exe;
		if (name) {
			char ver[GZC_VIEW_SHORT_BUILD_ID + 8] = "unknown";
			if (info->build_id && info->build_id[0])
				snprintf(ver, sizeof(ver), "bid-%.*s", GZC_VIEW_SHORT_BUILD_ID, info->build_id);
			c->group = group_of(name, ver);
		}
		rc = gzc_meta_from_coreinfo(&m, info);
	}
	if (rc == 0 && !c->group)
		c->group = strdup("unknown");
	/* core.<pid> like the handler's cores when the notes give the pid */
	if (info && info->pid > 0) {
		if (asprintf(&c->base, "core.%d", info->pid) < 0)
			c->base = NULL;
	} else {
		c->base = escaped(stripped);
	}
	c->time_us = (uint64_t)c->fmtime.tv_sec * 1000000u + (uint64_t)c->fmtime.tv_nsec / 1000u;
	m.timestamp_us = c->time_us;
	m.size = c->usize;
	m.compressed_size = (uint64_t)c->fsize;
	m.owner_uid = -1;
	m.user_readable = 0;
	if (rc == 0 && (!c->group || !c->base || gzc_meta_set(&m.group, c->group) < 0 ||
			gzc_meta_set(&m.source, "core notes (foreign file, no sidecar)") < 0 ||
			gzc_meta_set(&m.file_name, c->path) < 0 ||
			gzc_meta_set(&m.format, (gzc_reader_index(r)->flags & GZC_IDX_F_ZLIB) ? "zlib" : "gzip") < 0 ||
			gzc_meta_set(&m.access_reason, "foreign file: root only") < 0 ||
			gzc_meta_to_json(&m, &c->json) < 0))
		rc = -ENOMEM;
	if (rc == 0) {
		c->meta_size = strlen(c->json);
		c->foreign = 1;
	}
	gzc_meta_clear(&m);
	gzc_coreinfo_free(info);
	gzc_reader_close(r);
	return rc;
}

/* Written by us or root, and no one else may change it (a file, or the
 * directory its name lives in). */
static bool owned_safely(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* A core with its sidecar: the handler's decisions name and guard it. Its
 * access decision (who besides root may read it) is believed only when
 * trusted: the sidecar, the core, their directory and the store are
 * owned safely; else the core is root's alone. */
static int identify_own(struct gzc_view *v, struct gzc_view_core *c, int fd, const struct gzc_meta *m,
			const char *stripped, uint64_t meta_size, int size_by_reader, bool trusted)
{
	int rc;

	if (m->group && valid_name(m->group))
		c->group = strdup(m->group);
	else if (m->group)
		c->group = escaped(m->group);
	else if (m->app)
		c->group = group_of(m->app, m->app_version ? m->app_version : "unknown");
	else
		c->group = strdup("unknown");
	if (m->pid >= 0) {
		if (asprintf(&c->base, "core.%" PRId64, m->pid) < 0)
			c->base = NULL;
	} else {
		c->base = escaped(stripped);
	}
	if (!c->group || !c->base)
		return -ENOMEM;
	c->time_us = m->timestamp_us ? m->timestamp_us
				     : (uint64_t)c->fmtime.tv_sec * 1000000u + (uint64_t)c->fmtime.tv_nsec / 1000u;
	c->uid = (trusted && m->owner_uid >= 0 && m->owner_uid <= (int64_t)UINT32_MAX - 1 && m->user_readable)
			 ? (uid_t)m->owner_uid : 0;
	c->meta_size = meta_size;
	if (!size_by_reader && index_size(v, c, fd, &c->usize) == 0)
		return 0;
	/* no usable index: build it now (st_size needs it) */
	struct gzc_reader *r;
	int dfd = dup(fd);
	if (dfd < 0)
		return -errno;
	rc = reader_for(v, c, dfd, &r);
	if (rc < 0) {
		close(dfd);
		return rc;
	}
	c->usize = gzc_reader_size(r);
	gzc_reader_close(r);
	return 0;
}

/* Errors that say nothing of the file: out of descriptors, I/O, a signal. */
static int passing(int rc)
{
	return rc == -EMFILE || rc == -ENFILE || rc == -EIO || rc == -EINTR || rc == -EAGAIN || rc == -ENOSPC ||
	       rc == -ENOBUFS || rc == -ETIMEDOUT;
}

/* Builds the record of one regular file. Returns NULL only on -ENOMEM;
 * files that are not cores get a record marked bad, so they are not
 * looked at again until they change. */
static struct gzc_view_core *identify(struct gzc_view *v, int dirfd, const char *dir, const char *name,
				      const struct stat *st, int size_by_reader)
{
	struct gzc_view_core *c = calloc(1, sizeof(*c));
	char *stripped = NULL, *side = NULL;
	unsigned char h[4];
	int fd = -1, rc;

	if (!c)
		return NULL;
	c->refs = 1;
	c->serial = __atomic_add_fetch(&v->next_serial, 1, __ATOMIC_RELAXED);
	c->dev = st->st_dev;
	c->ino = st->st_ino;
	c->fmtime = st->st_mtim;
	c->fctime = st->st_ctim;
	c->fsize = st->st_size;
	c->dirlen = strlen(dir);
	pthread_mutex_init(&c->open_lock, NULL);
	if (!(c->path = join(dir, name)) || !(stripped = strip_suffix(name)) || !(side = side_name(name)))
		goto nomem;
	/* taken first, for every record: a later rescan compares it */
	side_stat(dirfd, side, &c->side_st);
	STAT_INC(v, identified);
	c->bad = 1;
	fd = open_core_file(v, c);
	ssize_t got = fd < 0 ? fd : gzc_pread_all(fd, h, sizeof(h), 0);
	if (got != (ssize_t)sizeof(h) || !gzc_scan_sniff(h, sizeof(h))) {
		rc = got < 0 ? (int)got : -ENOEXEC;
		goto done;
	}

	struct gzc_meta m;
	const struct stat *sst = &c->side_st;
	gzc_meta_init(&m);
	if (sst->st_ino && S_ISREG(sst->st_mode) && gzc_meta_load_summary(dirfd, side, &m) == 0) {
		struct stat dst;
		bool trusted = v->root_trusted && fstat(dirfd, &dst) == 0 && owned_safely(&dst) && owned_safely(st) &&
			       owned_safely(sst);
		c->sidecar = join(dir, side);
		rc = c->sidecar ? identify_own(v, c, fd, &m, stripped, (uint64_t)sst->st_size, size_by_reader, trusted)
				: -ENOMEM;
		gzc_meta_clear(&m);
	} else {
		rc = identify_foreign(v, c, fd, stripped);
		fd = -1;
	}
	if (rc == -ENOMEM)
		goto nomem;
	if (rc == 0 && c->usize > 0)
		c->bad = 0; /* an empty stream is no core: not shown */
done:
	if (c->bad && passing(rc)) {
		c->retry = 1;
		__atomic_store_n(&v->retry, 1, __ATOMIC_RELEASE);
	}
	if (c->bad && !c->retry) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (st->st_mtim.tv_sec + 2 >= now.tv_sec)
			c->young = 1;
	}
	if (c->bad)
		STAT_INC(v, skipped);
	if (fd >= 0)
		close(fd);
	free(stripped);
	free(side);
	return c;
nomem:
	if (fd >= 0)
		close(fd);
	free(stripped);
	free(side);
	core_unref(c);
	return NULL;
}

/* ---- scanning ---- */

struct scan {
	struct gzc_view_core **recs;
	size_t n, cap;
	struct dirstamp *dirs;
	size_t ndirs, dcap;
};

static int push_rec(struct scan *s, struct gzc_view_core *c)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *p = realloc(s->recs, cap * sizeof(*s->recs));
		if (!p)
			return -ENOMEM;
		s->recs = p;
		s->cap = cap;
	}
	s->recs[s->n++] = c;
	return 0;
}

static int push_dir(struct scan *s, const char *name, const struct stat *st)
{
	if (s->ndirs == s->dcap) {
		size_t cap = s->dcap ? s->dcap * 2 : 16;
		void *p = realloc(s->dirs, cap * sizeof(*s->dirs));
		if (!p)
			return -ENOMEM;
		s->dirs = p;
		s->dcap = cap;
	}
	struct dirstamp *d = &s->dirs[s->ndirs];
	if (!(d->name = strdup(name)))
		return -ENOMEM;
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->mtime = st->st_mtim;
	s->ndirs++;
	return 0;
}

static void free_dirs(struct dirstamp *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].name);
	free(d);
}

/* Files of one directory still to identify (no record to reuse). */
struct pending {
	struct pend_file {
		char *name;
		struct stat st;
		int size_by_reader;
	} *f;
	size_t n, cap;
};

static int pend_add(struct pending *p, const char *name, const struct stat *st, int size_by_reader)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		void *q = realloc(p->f, cap * sizeof(*p->f));
		if (!q)
			return -ENOMEM;
		p->f = q;
		p->cap = cap;
	}
	if (!(p->f[p->n].name = strdup(name)))
		return -ENOMEM;
	p->f[p->n].st = *st;
	p->f[p->n].size_by_reader = size_by_reader;
	p->n++;
	return 0;
}

static void pend_free(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->f[i].name);
	free(p->f);
}

/* A first scan identifies every file (open, sniff, sidecar, index; for a
 * foreign file a whole decode): shared among threads, one per CPU (at most
 * IDENTIFY_THREADS), when there are IDENTIFY_PER_THREAD files each. */
#define IDENTIFY_THREADS 4
#define IDENTIFY_PER_THREAD 16

struct identify_job {
	struct gzc_view *v;
	int dirfd;
	const char *dir;
	const struct pending *p;
	struct gzc_view_core **out;
	size_t next; /* atomic */
};

static void *identify_worker(void *arg)
{
	struct identify_job *j = arg;
	for (size_t i; (i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->p->n;) {
		const struct pend_file *f = &j->p->f[i];
		j->out[i] = identify(j->v, j->dirfd, j->dir, f->name, &f->st, f->size_by_reader);
	}
	return NULL;
}

/* Identifies the pending files of dir and adds their records to s.
 * Returns 0 or -ENOMEM. */
static int identify_all(struct gzc_view *v, struct scan *s, int dirfd, const char *dir, const struct pending *p)
{
	struct identify_job j = { .v = v, .dirfd = dirfd, .dir = dir, .p = p, .out = calloc(p->n, sizeof(*j.out)) };
	pthread_t tids[IDENTIFY_THREADS - 1];
	size_t started = 0, want = p->n / IDENTIFY_PER_THREAD;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 0;

	if (!j.out)
		return -ENOMEM;
	if (want > (size_t)(cpus > 0 ? cpus : 1))
		want = (size_t)(cpus > 0 ? cpus : 1);
	if (want > IDENTIFY_THREADS)
		want = IDENTIFY_THREADS;
	/* this thread is one of them; a thread that cannot start leaves its
	 * share to the others */
	while (started + 1 < want && pthread_create(&tids[started], NULL, identify_worker, &j) == 0)
		started++;
	identify_worker(&j);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	for (size_t i = 0; i < p->n; i++) {
		struct gzc_view_core *c = j.out[i];
		if (!c) {
			rc = rc ? rc : -ENOMEM;
			continue;
		}
		if (rc == 0 && (rc = push_rec(s, c)) == 0)
			continue;
		core_unref(c);
	}
	free(j.out);
	return rc;
}

/* With only set: is dir/name (a directory: the group of only) part of it? */
static bool only_has(const char *only, const char *dir, const char *name, bool is_dir)
{
	size_t dl = strlen(dir), nl = strlen(name);
	if (is_dir)
		return !dir[0] && strncmp(only, name, nl) == 0 && only[nl] == '/';
	if (dl)
		return strncmp(only, dir, dl) == 0 && only[dl] == '/' && strcmp(only + dl + 1, name) == 0;
	return strcmp(only, name) == 0;
}

/* Lists one directory (fd taken over); subdirectories go to ret_subdirs
 * when asked (the root only). */
static int scan_dir(struct gzc_view *v, struct scan *s, int dfd, const char *dir, char ***ret_subdirs,
		    size_t *ret_nsub)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	size_t count = 0, nsub = 0;
	char **sub = NULL;
	struct pending pend = { 0 };
	int rc = 0;

	if (fstat(dfd, &st) < 0 || (rc = push_dir(s, dir, &st)) < 0) {
		rc = rc ? rc : -errno;
		close(dfd);
		return rc;
	}
	d = fdopendir(dfd);
	if (!d) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	/* the bound counts what a scan keeps (subdirectories, candidate
	 * cores), not the sidecars, indexes and hidden temporaries beside
	 * them: a directory of N cores holds 3N entries */
	while ((errno = 0, e = readdir(d))) {
		const char *n = e->d_name;
		if (n[0] == '.' || strlen(n) > GZC_VIEW_NAME_MAX)
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) ? !ret_subdirs : (!S_ISREG(st.st_mode) || gzc_store_is_aux(n)))
			continue;
		if (v->only && !only_has(v->only, dir, n, S_ISDIR(st.st_mode)))
			continue;
		if (count++ >= GZC_VIEW_MAX_DIR_ENTRIES)
			break;
		if (S_ISDIR(st.st_mode)) {
			void *p = realloc(sub, (nsub + 1) * sizeof(*sub));
			if (!p || !(((char **)p)[nsub] = strdup(n))) {
				sub = p ? p : sub;
				rc = -ENOMEM;
				break;
			}
			sub = p;
			nsub++;
			continue;
		}
		char *path = join(dir, n);
		if (!path) {
			rc = -ENOMEM;
			break;
		}
		struct gzc_view_core *c = find_rec(v, &st, path);
		int size_by_reader = 0;
		free(path);
		if (c && __atomic_load_n(&c->redo, __ATOMIC_ACQUIRE)) {
			size_by_reader = 1;
			c = NULL;
		}
		if (c) {
			/* a sidecar that appeared, went or changed: identify again */
			char *side = side_name(n);
			struct stat sst;
			if (!side) {
				rc = -ENOMEM;
				break;
			}
			side_stat(dirfd(d), side, &sst);
			free(side);
			if (!same_file_state(&sst, &c->side_st))
				c = NULL;
		}
		if (c && c->retry)
			c = NULL; /* it failed for a passing cause: try again */
		if (!c) {
			if ((rc = pend_add(&pend, n, &st, size_by_reader)) < 0)
				break;
			continue;
		}
		core_ref(c);
		if ((rc = push_rec(s, c)) < 0) {
			core_unref(c);
			break;
		}
	}
	if (!e && errno && rc == 0)
		rc = -errno; /* a listing cut short must not pass for the whole */
	if (rc == 0 && pend.n)
		rc = identify_all(v, s, dirfd(d), dir, &pend);
	pend_free(&pend);
	closedir(d);
	if (ret_subdirs) {
		*ret_subdirs = sub;
		*ret_nsub = nsub;
	} else {
		free(sub);
	}
	return rc;
}

/* ---- snapshots ---- */

static int cmp_core_order(const void *a, const void *b)
{
	const struct gzc_view_core *x = *(struct gzc_view_core *const *)a, *y = *(struct gzc_view_core *const *)b;
	int r = strcmp(x->group, y->group);
	if (r)
		return r;
	if ((r = strcmp(x->base, y->base)))
		return r;
	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct gzc_view_file *)a)->name, ((const struct gzc_view_file *)b)->name);
}

static int name_taken(struct hsearch_data *names, char *name)
{
	ENTRY e = { .key = name }, *found = NULL;
	return hsearch_r(e, FIND, &found, names) != 0 && found != NULL;
}

static int cmp_given_key(const void *a, const void *b)
{
	return strcmp(((const struct given_name *)a)->key, ((const struct given_name *)b)->key);
}

/* Orders by path, then by the group part of the key (up to its '/'). */
static int cmp_given_path(const void *a, const void *b)
{
	const struct given_name *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	size_t lx = strcspn(x->key, "/"), ly = strcspn(y->key, "/");
	c = memcmp(x->key, y->key, lx < ly ? lx : ly);
	return c ? c : (lx > ly) - (lx < ly);
}

/* The name the store file id (file_id()) was given in group (NULL: none there). */
static const char *given_name_of(struct gzc_view *v, const char *id, const char *group)
{
	char buf[sizeof(struct given_name) + GZC_VIEW_NAME_MAX + 2];
	struct given_name *key = (struct given_name *)buf;
	size_t cap = sizeof(buf) - sizeof(*key);
	key->path = (char *)id;
	if ((size_t)snprintf(key->key, cap, "%s/", group) >= cap)
		return NULL;
	void *found = tfind(key, &v->names_by_path, cmp_given_path);
	if (!found)
		return NULL;
	const struct given_name *g = *(struct given_name **)found;
	return g->key + strlen(group) + 1;
}

/* Was name in group ever given to a store file other than id? */
static int given_to_other(struct gzc_view *v, const char *group, const char *name, const char *id)
{
	char buf[sizeof(struct given_name) + 2 * GZC_VIEW_NAME_MAX + 2];
	struct given_name *key = (struct given_name *)buf;
	size_t cap = sizeof(buf) - sizeof(*key);
	if ((size_t)snprintf(key->key, cap, "%s/%s", group, name) >= cap)
		return 1;
	void *found = tfind(key, &v->names_by_key, cmp_given_key);
	return found && strcmp((*(struct given_name **)found)->path, id) != 0;
}

/* Remembers that the store file id is called name in group (and its
 * metadata name.json): in each group a file was shown in, its first name
 * there stays its name, and no name it had is given to another file (a file whose group changes, as its
 * sidecar comes, goes or changes, keeps every name it had reserved). */
static int give_name(struct gzc_view *v, const char *group, const char *name, const char *id)
{
	struct given_name *g;
	size_t n = strlen(group) + 1 + strlen(name) + 1;

	if (given_name_of(v, id, group))
		return 0;
	if (!(g = malloc(sizeof(*g) + n)))
		return -ENOMEM;
	snprintf(g->key, n, "%s/%s", group, name);
	if (!(g->path = strdup(id))) {
		free(g);
		return -ENOMEM;
	}
	void **a = tsearch(g, &v->names_by_key, cmp_given_key);
	if (!a || *a != g) { /* out of memory, or (never) given already */
		free(g->path);
		free(g);
		return a ? 0 : -ENOMEM;
	}
	if (!tsearch(g, &v->names_by_path, cmp_given_path)) {
		tdelete(g, &v->names_by_key, cmp_given_key);
		free(g->path);
		free(g);
		return -ENOMEM;
	}
	/* its metadata's name too (by key only: the core's name finds the file) */
	struct given_name *m;
	size_t mn = n + strlen(GZC_META_SUFFIX);
	if (!(m = malloc(sizeof(*m) + mn)) || !(m->path = strdup(id))) {
		free(m);
		return -ENOMEM;
	}
	snprintf(m->key, mn, "%s/%s%s", group, name, GZC_META_SUFFIX);
	a = tsearch(m, &v->names_by_key, cmp_given_key);
	if (!a || *a != m) {
		free(m->path);
		free(m);
		return a ? 0 : -ENOMEM;
	}
	return 0;
}

static void given_free(void *p)
{
	struct given_name *g = p;
	free(g->path);
	free(g);
}

static void snap_free(struct gzc_view_snap *s)
{
	if (!s)
		return;
	for (size_t g = 0; g < s->ngroups; g++) {
		for (size_t i = 0; i < s->groups[g].nfiles; i++)
			free(s->groups[g].files[i].name);
		free(s->groups[g].files);
		free(s->groups[g].name);
	}
	free(s->groups);
	for (size_t i = 0; i < s->ncores; i++)
		core_unref(s->cores[i]);
	free(s->cores);
	free(s);
}

static void ts_max(struct timespec *a, const struct timespec *b)
{
	if (b->tv_sec > a->tv_sec || (b->tv_sec == a->tv_sec && b->tv_nsec > a->tv_nsec))
		*a = *b;
}

/* The identity names are reserved for (malloc'ed; NULL: -ENOMEM): the
 * file, not only its path, so a core restored or replaced under a path
 * another one had never inherits that one's name (whose page cache, open
 * descriptors and mappings belong to the other). */
static char *file_id(const struct gzc_view_core *c)
{
	char *id;
	if (asprintf(&id, "%jx:%jx:%s", (uintmax_t)c->dev, (uintmax_t)c->ino, c->path) < 0)
		return NULL;
	return id;
}

/* Names core c in group g: the name it was given before, if any; else its
 * base, else base.1, base.2, ... the first that is free in this snapshot
 * (names holds the group's names so far; the new ones join it) and was
 * never given to another store file. The cores of one base come one after
 * another, and a name refused to one of them stays refused to the next
 * (names only grow, and a name given to another file stays given), so
 * *next_k, 0 for the first core of a base, says where to start looking:
 * naming n cores of one base costs n tries, not n²/2. */
static int add_files(struct gzc_view *v, struct gzc_view_group *g, struct gzc_view_core *c,
		     struct hsearch_data *names, size_t *nfiles, unsigned *next_k)
{
	struct gzc_view_file *f = g->files;
	char *name = NULL, *meta = NULL;
	struct timespec t = { .tv_sec = (time_t)(c->time_us / 1000000u), .tv_nsec = (long)(c->time_us % 1000000u) * 1000 };
	char *id = file_id(c);
	if (!id)
		return -ENOMEM;
	const char *given = given_name_of(v, id, g->name);
	unsigned k = given ? 0 : *next_k;

	for (; k < 1000000; k++) {
		int r = given ? asprintf(&name, "%s", given)
			: k   ? asprintf(&name, "%s.%u", c->base, k)
			      : asprintf(&name, "%s", c->base);
		if (r < 0) {
			free(id);
			return -ENOMEM;
		}
		if (asprintf(&meta, "%s%s", name, GZC_META_SUFFIX) < 0) {
			free(name);
			free(id);
			return -ENOMEM;
		}
		if (strlen(meta) <= GZC_VIEW_NAME_MAX && !name_taken(names, name) && !name_taken(names, meta) &&
		    !given_to_other(v, g->name, name, id) && !given_to_other(v, g->name, meta, id))
			break;
		free(name);
		free(meta);
		name = meta = NULL;
		given = NULL; /* (cannot happen: a given name is this file's alone) */
	}
	if (!name) {
		free(id);
		return 0; /* cannot happen with fewer than a million cores of one base */
	}
	if (!given)
		*next_k = k + 1;
	int gr = give_name(v, g->name, name, id);
	free(id);
	if (gr < 0) {
		free(name);
		free(meta);
		return -ENOMEM;
	}
	ENTRY e1 = { .key = name }, e2 = { .key = meta }, *ep;
	if (!hsearch_r(e1, ENTER, &ep, names) || !hsearch_r(e2, ENTER, &ep, names)) {
		free(name);
		free(meta);
		return -ENOMEM;
	}
	f[*nfiles] = (struct gzc_view_file){ .name = name, .kind = GZC_VIEW_CORE, .size = c->usize,
					     .mtime = t, .uid = c->uid, .mode = 0400, .core = c };
	f[*nfiles + 1] = (struct gzc_view_file){ .name = meta, .kind = GZC_VIEW_META, .size = c->meta_size,
						 .mtime = t, .uid = c->uid, .mode = 0400, .core = c };
	*nfiles += 2;
	ts_max(&g->mtime, &t);
	return 0;
}

/* Builds a snapshot from the records of a scan (takes a ref on each shown core). */
static int build_snap(struct gzc_view *v, struct gzc_view_core **recs, size_t n, struct gzc_view_snap **ret)
{
	struct gzc_view_snap *s = calloc(1, sizeof(*s));
	size_t nc = 0;

	if (!s)
		return -ENOMEM;
	s->refs = 1;
	struct stat rst; /* an empty store's root shows when the store last changed, not 1970 */
	if (fstat(v->rootfd, &rst) == 0)
		s->mtime = rst.st_mtim;
	if (n && !(s->cores = calloc(n, sizeof(*s->cores))))
		goto nomem;
	for (size_t i = 0; i < n; i++)
		if (!recs[i]->bad) {
			core_ref(recs[i]);
			s->cores[nc++] = recs[i];
		}
	s->ncores = nc;
	if (nc)
		qsort(s->cores, nc, sizeof(*s->cores), cmp_core_order);
	for (size_t i = 0; i < nc;) {
		size_t j = i;
		while (j < nc && strcmp(s->cores[j]->group, s->cores[i]->group) == 0)
			j++;
		void *p = realloc(s->groups, (s->ngroups + 1) * sizeof(*s->groups));
		if (!p)
			goto nomem;
		s->groups = p;
		struct gzc_view_group *g = &s->groups[s->ngroups];
		memset(g, 0, sizeof(*g));
		s->ngroups++;
		if (!(g->name = strdup(s->cores[i]->group)) || !(g->files = calloc(2 * (j - i), sizeof(*g->files))))
			goto nomem;
		struct hsearch_data names;
		memset(&names, 0, sizeof(names));
		if (!hcreate_r(4 * (j - i) + 16, &names))
			goto nomem;
		int rc = 0;
		unsigned next_k = 0;
		for (size_t k = i; k < j && rc == 0; k++) {
			if (k > i && strcmp(s->cores[k]->base, s->cores[k - 1]->base) != 0)
				next_k = 0; /* (the cores are in order of group, then base) */
			rc = add_files(v, g, s->cores[k], &names, &g->nfiles, &next_k);
		}
		hdestroy_r(&names); /* the keys are the files' names: not freed here */
		if (rc < 0)
			goto nomem;
		qsort(g->files, g->nfiles, sizeof(*g->files), cmp_file);
		ts_max(&s->mtime, &g->mtime);
		i = j;
	}
	*ret = s;
	return 0;
nomem:
	snap_free(s);
	return -ENOMEM;
}

/* Full rescan: called with scan_lock held. */
static int rescan(struct gzc_view *v)
{
	struct scan s = { 0 };
	struct gzc_view_snap *snap = NULL, *old;
	char **sub = NULL;
	size_t nsub = 0;
	struct timespec now;
	int rc, dfd;

	STAT_INC(v, scans);
	__atomic_store_n(&v->stale, 0, __ATOMIC_RELEASE); /* what changed before now is seen below */
	__atomic_store_n(&v->retry, 0, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_MONOTONIC, &v->last_scan);
	clock_gettime(CLOCK_REALTIME, &now);
	dfd = openat(v->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = dfd < 0 ? -errno : scan_dir(v, &s, dfd, "", &sub, &nsub);
	for (size_t i = 0; rc == 0 && i < nsub; i++) {
		dfd = openat(v->rootfd, sub[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0 && (passing(-errno) || errno == ENOMEM))
			rc = -errno; /* out of descriptors, say: its cores must not vanish */
		else if (dfd >= 0)
			rc = scan_dir(v, &s, dfd, sub[i], NULL, NULL);
		/* else gone, or not ours to read: show nothing from it */
	}
	for (size_t i = 0; i < nsub; i++)
		free(sub[i]);
	free(sub);
	if (rc == 0)
		rc = build_snap(v, s.recs, s.n, &snap);
	if (rc < 0) {
		/* the old snapshot stays, and the next look scans again (the
		 * directories' stamps are the old ones: what changed still shows) */
		__atomic_store_n(&v->stale, 1, __ATOMIC_RELEASE);
		for (size_t i = 0; i < s.n; i++)
			core_unref(s.recs[i]);
		free(s.recs);
		free_dirs(s.dirs, s.ndirs);
		return rc;
	}
	/* the new records replace the old ones (each kept one ref from the scan) */
	for (size_t i = 0; i < v->nrecs; i++)
		core_unref(v->recs[i]);
	free(v->recs);
	if (s.n)
		qsort(s.recs, s.n, sizeof(*s.recs), cmp_rec);
	v->recs = s.recs;
	v->nrecs = s.n;
	v->nyoung = 0;
	for (size_t i = 0; i < v->nrecs; i++)
		v->nyoung += v->recs[i]->young ? 1 : 0;
	free_dirs(v->dirs, v->ndirs);
	v->dirs = s.dirs;
	v->ndirs = s.ndirs;
	/* mtimes come from a coarse clock: a directory changed within the last
	 * two seconds may change again without its mtime moving */
	v->unstable = 0;
	for (size_t i = 0; i < v->ndirs; i++)
		if (v->dirs[i].mtime.tv_sec + 2 >= now.tv_sec && v->dirs[i].mtime.tv_sec <= now.tv_sec + 2)
			v->unstable = 1; /* (a future mtime is a skewed clock: any change moves it) */
	pthread_mutex_lock(&v->lock);
	old = v->snap;
	v->snap = snap;
	pthread_mutex_unlock(&v->lock);
	gzc_view_put(v, old);
	return 0;
}

/* Did any store directory change since the last scan? (scan_lock held) */
static int dirs_changed(struct gzc_view *v)
{
	struct stat st;
	if (v->unstable)
		return 1;
	for (size_t i = 0; i < v->ndirs; i++) {
		const struct dirstamp *d = &v->dirs[i];
		int r = d->name[0] ? fstatat(v->rootfd, d->name, &st, AT_SYMLINK_NOFOLLOW) : fstat(v->rootfd, &st);
		if (r < 0 || st.st_dev != d->dev || st.st_ino != d->ino || st.st_mtim.tv_sec != d->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != d->mtime.tv_nsec)
			return 1;
	}
	/* a file refused while it was new may have been written since, in place */
	for (size_t i = 0; v->nyoung && i < v->nrecs; i++) {
		const struct gzc_view_core *c = v->recs[i];
		if (c->young && (fstatat(v->rootfd, c->path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !core_key_is(c, &st)))
			return 1;
	}
	return 0;
}

static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

int gzc_view_get(struct gzc_view *v, int force, struct gzc_view_snap **ret)
{
	int rc = 0;

	if (__atomic_load_n(&v->stale, __ATOMIC_ACQUIRE))
		force = 1;
	pthread_mutex_lock(&v->lock);
	if (v->snap && !force && ms_since(&v->last_check) < (int64_t)v->ttl_ms) {
		v->snap->refs++;
		*ret = v->snap;
		pthread_mutex_unlock(&v->lock);
		return 0;
	}
	pthread_mutex_unlock(&v->lock);

	/* a scan is running (it may take long: a big foreign file is decoded
	 * whole to index it): answer from the current snapshot rather than
	 * wait; the scan publishes the new one when it is done */
	if (!force && pthread_mutex_trylock(&v->scan_lock) != 0) {
		pthread_mutex_lock(&v->lock);
		if (v->snap) {
			v->snap->refs++;
			*ret = v->snap;
			pthread_mutex_unlock(&v->lock);
			return 0;
		}
		pthread_mutex_unlock(&v->lock);
		pthread_mutex_lock(&v->scan_lock);
	} else if (force) {
		pthread_mutex_lock(&v->scan_lock);
	}
	/* another thread may have checked while we waited */
	pthread_mutex_lock(&v->lock);
	int fresh = v->snap && ms_since(&v->last_check) < (int64_t)v->ttl_ms && !force;
	pthread_mutex_unlock(&v->lock);
	/* a file that failed for a passing cause is tried again, but not at
	 * every ttl: an I/O error that stays would have it decoded again and
	 * again */
	int retry = __atomic_load_n(&v->retry, __ATOMIC_ACQUIRE) &&
		    ms_since(&v->last_scan) >= (int64_t)v->ttl_ms * RETRY_TTLS;
	if (!fresh && (!v->snap || __atomic_load_n(&v->stale, __ATOMIC_ACQUIRE) || retry || dirs_changed(v)))
		rc = rescan(v);
	pthread_mutex_lock(&v->lock);
	if (v->snap) {
		if (!fresh)
			clock_gettime(CLOCK_MONOTONIC, &v->last_check);
		v->snap->refs++;
		*ret = v->snap;
		rc = 0; /* a failed rescan keeps the old snapshot */
	}
	pthread_mutex_unlock(&v->lock);
	pthread_mutex_unlock(&v->scan_lock);
	return rc;
}

void gzc_view_put(struct gzc_view *v, struct gzc_view_snap *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&v->lock);
	int last = --s->refs == 0;
	pthread_mutex_unlock(&v->lock);
	if (last)
		snap_free(s);
}

static int cmp_group_key(const void *key, const void *g) { return strcmp(key, ((const struct gzc_view_group *)g)->name); }
static int cmp_file_key(const void *key, const void *f) { return strcmp(key, ((const struct gzc_view_file *)f)->name); }

const struct gzc_view_group *gzc_view_find_group(const struct gzc_view_snap *s, const char *name)
{
	return s->ngroups ? bsearch(name, s->groups, s->ngroups, sizeof(*s->groups), cmp_group_key) : NULL;
}

const struct gzc_view_file *gzc_view_find_file(const struct gzc_view_group *g, const char *name)
{
	return g->nfiles ? bsearch(name, g->files, g->nfiles, sizeof(*g->files), cmp_file_key) : NULL;
}

int gzc_view_open_reader(struct gzc_view *v, const struct gzc_view_file *f, struct gzc_reader **ret)
{
	struct gzc_view_core *c = f->core;
	int rc = 0;

	pthread_mutex_lock(&c->open_lock);
	if (c->reader) {
		/* shared with earlier opens: is the file still the one it reads? */
		struct stat st;
		if (fstatat(v->rootfd, c->path, &st, AT_SYMLINK_NOFOLLOW) < 0)
			st.st_mode = 0; /* gone: not the same either */
		if (!core_same(v, c, &st)) {
			rc = -ESTALE;
			goto out;
		}
	} else {
		int fd = open_core_file(v, c);
		struct gzc_reader *r = NULL;
		if (fd < 0) {
			rc = fd;
			goto out;
		}
		rc = reader_for(v, c, fd, &r);
		if (rc < 0) {
			close(fd);
			goto out;
		}
		if (gzc_reader_size(r) != c->usize) {
			/* the size listed came from an index the reader then
			 * refused (its zero spans did not check out) and rebuilt:
			 * identify the file again, sized by a reader this time */
			gzc_reader_close(r);
			__atomic_store_n(&c->redo, 1, __ATOMIC_RELEASE);
			__atomic_store_n(&v->stale, 1, __ATOMIC_RELEASE);
			rc = -ESTALE;
			goto out;
		}
		c->reader = r;
	}
	c->nopen++;
	*ret = c->reader;
out:
	pthread_mutex_unlock(&c->open_lock);
	return rc;
}

void gzc_view_release_reader(struct gzc_view *v, const struct gzc_view_file *f)
{
	struct gzc_view_core *c = f->core;
	struct gzc_reader *r = NULL;
	(void)v;
	pthread_mutex_lock(&c->open_lock);
	if (c->nopen && --c->nopen == 0) {
		r = c->reader;
		c->reader = NULL;
	}
	pthread_mutex_unlock(&c->open_lock);
	gzc_reader_close(r);
}

int gzc_view_read_meta(struct gzc_view *v, const struct gzc_view_file *f, char **ret_buf, size_t *ret_len)
{
	const struct gzc_view_core *c = f->core;
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	if (c->json) {
		if (!(buf = strdup(c->json)))
			return -ENOMEM;
		*ret_buf = buf;
		*ret_len = strlen(buf);
		return 0;
	}
	fd = openat(v->rootfd, c->sidecar, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (c->side_st.st_ino && !same_file_state(&st, &c->side_st))) {
		/* rewritten since the record was made (perhaps in place: no
		 * directory changed), so its names may be out of date: rescan */
		__atomic_store_n(&v->stale, 1, __ATOMIC_RELEASE);
		close(fd);
		return -ESTALE;
	}
	if (st.st_size > GZC_META_MAX_FILE) {
		close(fd);
		return -EFBIG;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	n = gzc_pread_all(fd, buf, (size_t)st.st_size, 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	buf[n] = 0;
	*ret_buf = buf;
	*ret_len = (size_t)n;
	return 0;
}

const char *gzc_view_core_path(const struct gzc_view_file *f) { return f->core->path; }
uint64_t gzc_view_file_id(const struct gzc_view_file *f) { return f->core->serial; }

void gzc_view_get_stats(struct gzc_view *v, struct gzc_view_stats *ret)
{
	ret->scans = __atomic_load_n(&v->stats.scans, __ATOMIC_RELAXED);
	ret->identified = __atomic_load_n(&v->stats.identified, __ATOMIC_RELAXED);
	ret->skipped = __atomic_load_n(&v->stats.skipped, __ATOMIC_RELAXED);
	ret->index_built = __atomic_load_n(&v->stats.index_built, __ATOMIC_RELAXED);
}

int gzc_view_new(const char *root, const struct gzc_view_opts *opts, struct gzc_view **ret)
{
	struct gzc_view *v;
	struct stat st;
	int fd;

	if (opts && opts->cache_dir && opts->cache_dir[0] != '/')
		return -EINVAL;
	if (opts && opts->only) {
		/* a store path as the store names it: one or two names */
		const char *o = opts->only, *sl = strchr(o, '/');
		if (o[0] == '.' || (sl && (sl == o || sl[1] == '.' || !sl[1] || strchr(sl + 1, '/'))) ||
		    strlen(o) > 2 * GZC_VIEW_NAME_MAX + 1)
			return -EINVAL;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? -ENOTDIR : -errno;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return -ENOTDIR;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	v->rootfd = fd;
	v->root_trusted = owned_safely(&st);
	v->ttl_ms = opts && opts->ttl_ms ? opts->ttl_ms : GZC_VIEW_TTL_DEFAULT_MS;
	v->cache = opts ? opts->cache : NULL;
	if ((opts && opts->cache_dir && !(v->cache_dir = strdup(opts->cache_dir))) ||
	    (opts && opts->only && !(v->only = strdup(opts->only)))) {
		free(v->cache_dir);
		close(fd);
		free(v);
		return -ENOMEM;
	}
	pthread_mutex_init(&v->scan_lock, NULL);
	pthread_mutex_init(&v->lock, NULL);
	*ret = v;
	return 0;
}

static void no_free(void *p) { (void)p; }

void gzc_view_free(struct gzc_view *v)
{
	if (!v)
		return;
	gzc_view_put(v, v->snap);
	for (size_t i = 0; i < v->nrecs; i++)
		core_unref(v->recs[i]);
	free(v->recs);
	free_dirs(v->dirs, v->ndirs);
	tdestroy(v->names_by_path, no_free);
	tdestroy(v->names_by_key, given_free);
	pthread_mutex_destroy(&v->scan_lock);
	pthread_mutex_destroy(&v->lock);
	free(v->cache_dir);
	free(v->only);
	close(v->rootfd);
	free(v);
}

/*
 * ops.c — gzcorefs's FUSE operations (high-level, path based, read-only).
 *
 * Every request takes a reference on the view's current snapshot, resolves
 * "/<group>/<file>" by binary search and answers from it; an open file keeps
 * its snapshot (and so its core record) until release, so a rescan never
 * pulls a file from under a reader. Core reads go to one shared reader per
 * core (src/view.c) over one span cache; a span that fails its CRC gives
 * EIO for that request only and a log line, never bytes.
 */
#include "gzcorefs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* An open file: what fi->fh points to. */
struct fs_handle {
	struct gzc_view_snap *snap;       /* pins file */
	const struct gzc_view_file *file;
	struct gzc_reader *reader;        /* cores */
	char *meta;                       /* metadata JSON */
	size_t meta_len;
	char *dirpath;                    /* directories: their path (file is NULL); snap
					   * is the listing's, taken at offset 0 */
};

static struct fs_ctx *ctx(void) { return fuse_get_context()->private_data; }

/* What a path names in a snapshot: the root, a group, or a file. */
struct fs_node {
	const struct gzc_view_group *group; /* NULL: the root */
	const struct gzc_view_file *file;   /* NULL: a directory */
};

static int fs_resolve(const struct gzc_view_snap *s, const char *path, struct fs_node *ret)
{
	char name[GZC_VIEW_NAME_MAX + 1];
	const char *p = path, *slash;
	size_t n;

	ret->group = NULL;
	ret->file = NULL;
	if (*p == '/')
		p++;
	if (!*p)
		return 0;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n > GZC_VIEW_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, p, n);
	name[n] = 0;
	if (!(ret->group = gzc_view_find_group(s, name)))
		return -ENOENT;
	if (!slash || !slash[1])
		return 0;
	p = slash + 1;
	if (strchr(p, '/'))
		return -ENOENT;
	if (strlen(p) > GZC_VIEW_NAME_MAX)
		return -ENAMETOOLONG;
	if (!(ret->file = gzc_view_find_file(ret->group, p)))
		return -ENOENT;
	return 0;
}

static void fs_dir_stat(struct stat *st, const struct timespec *mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	st->st_mtim = st->st_ctim = st->st_atim = *mtime;
}

static void fs_file_stat(struct stat *st, const struct gzc_view_file *f)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | f->mode;
	st->st_nlink = 1;
	st->st_uid = f->uid;
	st->st_gid = 0;
	st->st_size = (off_t)f->size;
	st->st_blksize = FS_MAX_READ;
	st->st_blocks = (blkcnt_t)((f->size + 511) / 512);
	st->st_mtim = st->st_ctim = st->st_atim = f->mtime;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct gzc_view_snap *s;
	struct fs_node n;
	int rc;

	if (fi && fi->fh) {
		struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
		if (h->file) {
			fs_file_stat(st, h->file);
			return 0;
		}
		path = h->dirpath;
	}
	if (!path)
		return -EBADF;
	if ((rc = gzc_view_get(ctx()->view, 0, &s)) < 0)
		return rc;
	if ((rc = fs_resolve(s, path, &n)) == 0) {
		if (n.file)
			fs_file_stat(st, n.file);
		else
			fs_dir_stat(st, n.group ? &n.group->mtime : &s->mtime);
	}
	gzc_view_put(ctx()->view, s);
	return rc;
}

/* Entries carry offsets (1 + their position) so libfuse hands the kernel
 * whole entries with READDIRPLUS and `ls -l` needs no LOOKUP per name. A
 * directory handle lists from the snapshot it took at offset 0, so a
 * listing read in several calls is consistent even if the store changes. */
static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	enum fuse_fill_dir_flags plus = (flags & FUSE_READDIR_PLUS) ? FUSE_FILL_DIR_PLUS : 0;
	struct fs_handle *h = fi && fi->fh ? (struct fs_handle *)(uintptr_t)fi->fh : NULL;
	struct fs_node n;
	struct stat st;
	int rc;
	(void)path;

	if (!h || !h->dirpath)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	if (off == 0 || !h->snap) {
		struct gzc_view_snap *s;
		if ((rc = gzc_view_get(ctx()->view, 0, &s)) < 0)
			return rc;
		if (h->snap)
			gzc_view_put(ctx()->view, h->snap);
		h->snap = s;
	}
	if ((rc = fs_resolve(h->snap, h->dirpath, &n)) < 0)
		return rc;
	if (n.file)
		return -ENOTDIR;
	size_t count = 2 + (n.group ? n.group->nfiles : h->snap->ngroups);
	for (size_t i = (size_t)off; i < count; i++) {
		const char *name;
		const struct stat *sp = &st;
		enum fuse_fill_dir_flags f = plus;
		if (i < 2) { /* no attributes: libfuse gives them an inode number */
			name = i == 0 ? "." : "..";
			sp = NULL;
			f = 0;
		} else if (!n.group) {
			name = h->snap->groups[i - 2].name;
			fs_dir_stat(&st, &h->snap->groups[i - 2].mtime);
		} else {
			name = n.group->files[i - 2].name;
			fs_file_stat(&st, &n.group->files[i - 2]);
		}
		if (fill(buf, name, sp, (off_t)i + 1, f))
			break;
	}
	return 0;
}

/* Root reads everything; a user only what the access decision gave them.
 * The kernel checks the same with default_permissions (always set); this is
 * the second lock on the door. */
static int fs_may_read(const struct gzc_view_file *f)
{
	uid_t uid = fuse_get_context()->uid;
	return uid == 0 || (f->uid == uid && (f->mode & 0400));
}

/* A path opened since mounting, and which core it showed. */
struct fs_opened {
	char *path;
	uint64_t file_id;
	int shared; /* it has shown more than one core */
};

static int opened_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fs_opened *)a)->path, ((const struct fs_opened *)b)->path);
}

/* How the kernel may cache what an open of a core reads. The kernel keeps
 * one page cache per name (this path-based API gives each name one inode),
 * and a descriptor still open on an old core goes on filling it. The view
 * never gives a name to another store file while mounted (a removed core's
 * name is not reused), but a store file rewritten in place (by root) is
 * another core under the same name. So a name that has only ever shown one
 * core is cached, and the cache is kept across opens; once it has shown a
 * second core, every later open of it reads past the page cache
 * (direct_io). (A private mapping still goes through the page cache: only
 * the view's rule keeps users apart.) */
static void fs_cache_mode(struct fs_ctx *c, const char *path, uint64_t file_id, struct fuse_file_info *fi)
{
	struct fs_opened key = { .path = (char *)path }, *e;
	void *found;

	pthread_mutex_lock(&c->opened_lock);
	if ((found = tfind(&key, &c->opened, opened_cmp))) {
		e = *(struct fs_opened **)found;
		if (e->file_id != file_id)
			e->shared = 1;
	} else if ((e = calloc(1, sizeof(*e))) && (e->path = strdup(path)) &&
		   tsearch(e, &c->opened, opened_cmp)) {
		e->file_id = file_id;
	} else {
		if (e)
			free(e->path);
		free(e);
		e = NULL; /* out of memory: the safe way */
	}
	if (e && !e->shared)
		fi->keep_cache = 1;
	else
		fi->direct_io = 1;
	pthread_mutex_unlock(&c->opened_lock);
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx();
	struct fs_handle *h;
	struct fs_node n;
	int rc;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		return -EROFS;
	if (!(h = calloc(1, sizeof(*h))))
		return -ENOMEM;
	if ((rc = gzc_view_get(c->view, 0, &h->snap)) < 0) {
		free(h);
		return rc;
	}
	for (int tries = 0;; tries++) {
		if ((rc = fs_resolve(h->snap, path, &n)) < 0)
			goto fail;
		if (!n.file) {
			rc = -EISDIR;
			goto fail;
		}
		if (!fs_may_read(n.file)) {
			rc = -EACCES;
			goto fail;
		}
		h->file = n.file;
		if (n.file->kind == GZC_VIEW_CORE)
			rc = gzc_view_open_reader(c->view, n.file, &h->reader);
		else
			rc = gzc_view_read_meta(c->view, n.file, &h->meta, &h->meta_len);
		if (rc != -ESTALE || tries)
			break;
		/* the store file changed behind the snapshot: look again in a fresh one */
		gzc_view_put(c->view, h->snap);
		h->snap = NULL;
		if ((rc = gzc_view_get(c->view, 1, &h->snap)) < 0) {
			free(h);
			return rc;
		}
	}
	if (rc < 0) {
		fs_log(LOG_ERR, "open %s (store file %s): %s", path, gzc_view_core_path(n.file), strerror(-rc));
		rc = rc == -EBADMSG ? -EIO : rc;
		goto fail;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	if (n.file->kind == GZC_VIEW_CORE)
		fs_cache_mode(c, path, gzc_view_file_id(n.file), fi);
	else
		fi->direct_io = 1; /* metadata: small, read from the sidecar at each open, never cached */
	fi->noflush = 1;
	return 0;
fail:
	gzc_view_put(c->view, h->snap);
	free(h);
	return rc;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	(void)path;

	if (off < 0)
		return -EINVAL;
	if (h->meta) {
		if ((uint64_t)off >= h->meta_len)
			return 0;
		size_t n = h->meta_len - (size_t)off < size ? h->meta_len - (size_t)off : size;
		memcpy(buf, h->meta + off, n);
		return (int)n;
	}
	ssize_t n = gzc_reader_pread(h->reader, buf, size, (uint64_t)off);
	if (n < 0) {
		fs_log(LOG_ERR, "read %s at %lld+%zu (store file %s): %s%s", path ? path : "?", (long long)off, size,
		       gzc_view_core_path(h->file), strerror((int)-n),
		       n == -EBADMSG ? " (corrupt span or CRC mismatch)" : "");
		return n == -EBADMSG ? -EIO : (int)n;
	}
	return (int)n;
}

static off_t fs_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	(void)path;

	if (!h || (whence != SEEK_DATA && whence != SEEK_HOLE))
		return -EINVAL;
	if (off < 0)
		return -ENXIO;
	if (h->meta) {
		if ((uint64_t)off >= h->meta_len)
			return -ENXIO;
		return whence == SEEK_DATA ? off : (off_t)h->meta_len;
	}
	return (off_t)gzc_reader_seek(h->reader, (uint64_t)off, whence);
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	(void)path;

	if (h->reader)
		gzc_view_release_reader(ctx()->view, h->file);
	free(h->meta);
	gzc_view_put(ctx()->view, h->snap);
	free(h);
	return 0;
}

/* With nullpath_ok, readdir may get no path: the handle keeps it. */
static int fs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct fs_handle *h;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	if (!(h = calloc(1, sizeof(*h))) || !(h->dirpath = strdup(path))) {
		free(h);
		return -ENOMEM;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

static int fs_releasedir(const char *path, struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	(void)path;
	if (h) {
		if (h->snap)
			gzc_view_put(ctx()->view, h->snap);
		free(h->dirpath);
	}
	free(h);
	return 0;
}

static int fs_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	memset(st, 0, sizeof(*st));
	st->f_bsize = st->f_frsize = 4096;
	st->f_namemax = GZC_VIEW_NAME_MAX;
	st->f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	return 0;
}

/* Read-only: everything that would change the tree or a file. */
static int fs_rofs_mode(const char *p, mode_t m) { (void)p; (void)m; return -EROFS; }
static int fs_rofs_mknod(const char *p, mode_t m, dev_t d) { (void)p; (void)m; (void)d; return -EROFS; }
static int fs_rofs_path(const char *p) { (void)p; return -EROFS; }
static int fs_rofs_2path(const char *a, const char *b) { (void)a; (void)b; return -EROFS; }
static int fs_rofs_rename(const char *a, const char *b, unsigned f) { (void)a; (void)b; (void)f; return -EROFS; }
static int fs_rofs_chmod(const char *p, mode_t m, struct fuse_file_info *fi) { (void)p; (void)m; (void)fi; return -EROFS; }
static int fs_rofs_chown(const char *p, uid_t u, gid_t g, struct fuse_file_info *fi)
{
	(void)p; (void)u; (void)g; (void)fi;
	return -EROFS;
}
static int fs_rofs_truncate(const char *p, off_t o, struct fuse_file_info *fi) { (void)p; (void)o; (void)fi; return -EROFS; }
static int fs_rofs_write(const char *p, const char *b, size_t n, off_t o, struct fuse_file_info *fi)
{
	(void)p; (void)b; (void)n; (void)o; (void)fi;
	return -EROFS;
}
static int fs_rofs_create(const char *p, mode_t m, struct fuse_file_info *fi) { (void)p; (void)m; (void)fi; return -EROFS; }
static int fs_rofs_utimens(const char *p, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)p; (void)tv; (void)fi;
	return -EROFS;
}
static int fs_rofs_setxattr(const char *p, const char *n, const char *v, size_t s, int f)
{
	(void)p; (void)n; (void)v; (void)s; (void)f;
	return -EROFS;
}
static int fs_rofs_removexattr(const char *p, const char *n) { (void)p; (void)n; return -EROFS; }
static int fs_rofs_fallocate(const char *p, int m, off_t o, off_t l, struct fuse_file_info *fi)
{
	(void)p; (void)m; (void)o; (void)l; (void)fi;
	return -EROFS;
}

/* One xattr on each core and metadata file: GZC_VIEW_XATTR_STORE_PATH, the
 * store file of the core it shows or describes (relative to the store
 * root), so tools can tie a mounted name back to the store (gzcoredump
 * debug). Readable by whoever may read the file. */
static int fs_xattr_file(const char *path, const struct gzc_view_file **ret, struct gzc_view_snap **ret_snap)
{
	struct fs_node n;
	int rc;

	if (!path)
		return -ENODATA;
	if ((rc = gzc_view_get(ctx()->view, 0, ret_snap)) < 0)
		return rc;
	if ((rc = fs_resolve(*ret_snap, path, &n)) == 0 && n.file && !fs_may_read(n.file))
		rc = -EACCES;
	if (rc < 0) {
		gzc_view_put(ctx()->view, *ret_snap);
		return rc;
	}
	*ret = n.file; /* NULL: a directory */
	return 0;
}

/* Copies a value out as getxattr/listxattr do: size 0 asks for the length. */
static int fs_xattr_value(const char *v, size_t len, char *buf, size_t size)
{
	if (len > INT_MAX)
		return -E2BIG;
	if (size == 0)
		return (int)len;
	if (size < len)
		return -ERANGE;
	memcpy(buf, v, len);
	return (int)len;
}

static int fs_getxattr(const char *path, const char *name, char *buf, size_t size)
{
	const struct gzc_view_file *f;
	struct gzc_view_snap *s;
	int rc;

	/* No namespace but user.: `ls -l` asks every file for its SELinux
	 * label and ACL, and stops asking on a file system that answers
	 * EOPNOTSUPP (a FUSE round trip each otherwise: 1,000 cores took
	 * 110 ms instead of 15) */
	if (strncmp(name, "user.", 5) != 0)
		return -EOPNOTSUPP;
	if ((rc = fs_xattr_file(path, &f, &s)) < 0)
		return rc;
	if (f && strcmp(name, GZC_VIEW_XATTR_STORE_PATH) == 0) {
		const char *v = gzc_view_core_path(f);
		rc = fs_xattr_value(v, strlen(v), buf, size);
	} else {
		rc = -ENODATA;
	}
	gzc_view_put(ctx()->view, s);
	return rc;
}

static int fs_listxattr(const char *path, char *buf, size_t size)
{
	const struct gzc_view_file *f;
	struct gzc_view_snap *s;
	int rc = fs_xattr_file(path, &f, &s);

	if (rc < 0)
		return rc;
	rc = f ? fs_xattr_value(GZC_VIEW_XATTR_STORE_PATH, sizeof(GZC_VIEW_XATTR_STORE_PATH), buf, size) : 0;
	gzc_view_put(ctx()->view, s);
	return rc;
}

/* Raises the mount's readahead (the kernel caps what init may ask for at
 * the bdi's default) once the mount is live. Best effort: needs root. */
static void *fs_readahead_thread(void *arg)
{
	struct fs_ctx *c = arg;
	struct stat st;
	char p[96], v[32];

	if (stat(c->mountpoint, &st) == 0) {
		snprintf(p, sizeof(p), "/sys/class/bdi/%u:%u/read_ahead_kb", major(st.st_dev), minor(st.st_dev));
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			int n = snprintf(v, sizeof(v), "%u\n", c->readahead_kb);
			if (write(fd, v, (size_t)n) != n)
				fs_log(LOG_DEBUG, "could not raise readahead in %s", p);
			close(fd);
		}
	}
	return NULL;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct fs_ctx *c = ctx();

	cfg->entry_timeout = FS_ATTR_TIMEOUT;
	cfg->attr_timeout = FS_ATTR_TIMEOUT;
	cfg->negative_timeout = 0; /* a core written after a miss must show up */
	cfg->nullpath_ok = 1;
	/* not kernel_cache, which would force keep_cache on every open:
	 * fs_open decides it (fs_cache_mode) */
	conn->max_read = FS_MAX_READ;
	conn->max_readahead = FS_MAX_READ;
	conn->want |= FUSE_CAP_ASYNC_READ;
	conn->want &= ~(unsigned)FUSE_CAP_ATOMIC_O_TRUNC;
	if (c->readahead_kb && c->mountpoint) {
		pthread_t t;
		if (pthread_create(&t, NULL, fs_readahead_thread, c) == 0)
			pthread_detach(t);
	}
	return c;
}

const struct fuse_operations fs_ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.opendir = fs_opendir,
	.releasedir = fs_releasedir,
	.open = fs_open,
	.read = fs_read,
	.lseek = fs_lseek,
	.release = fs_release,
	.statfs = fs_statfs,
	.mknod = fs_rofs_mknod,
	.mkdir = fs_rofs_mode,
	.unlink = fs_rofs_path,
	.rmdir = fs_rofs_path,
	.symlink = fs_rofs_2path,
	.rename = fs_rofs_rename,
	.link = fs_rofs_2path,
	.chmod = fs_rofs_chmod,
	.chown = fs_rofs_chown,
	.truncate = fs_rofs_truncate,
	.write = fs_rofs_write,
	.create = fs_rofs_create,
	.utimens = fs_rofs_utimens,
	.getxattr = fs_getxattr,
	.listxattr = fs_listxattr,
	.setxattr = fs_rofs_setxattr,
	.removexattr = fs_rofs_removexattr,
	.fallocate = fs_rofs_fallocate,
};

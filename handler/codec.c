/*
 * codec.c — the original gzCoredump's two jobs, on our format:
 *   gzcoredump -c [-p DIR] [-a ARG]   stdin -> DIR/Core_YYYYMMDD_HHMMSS[_ARG].gz
 *   gzcoredump -d -f INPUT -o OUTPUT  any gzip/zlib file -> OUTPUT (sparse, parallel)
 */
#include "cli.h"
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A name for a message: from the command line or the store, so escaped
 * (cli_printable) into the caller's buffer of SHOWN_MAX bytes. */
#define SHOWN_MAX (4 * PATH_MAX + 1)
static const char *shown(const char *name, char *buf)
{
	return cli_printable_or(name, "?", buf, SHOWN_MAX);
}

/* mkdir -p with mode for missing components. */
static int make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;
			*p = 0;
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int cmd_compress(const struct cli_codec *c)
{
	const char *dir = c->dir ? c->dir : GZC_DEFAULT_STORE;
	const char *ext = c->w.container == GZC_ZLIB ? ".zz" : ".gz";
	char name[PATH_MAX], final[PATH_MAX], idxname[PATH_MAX + 8], stamp[32], arg[GZC_NAME_MAX + 1];
	struct gzc_tmpfile t = { .fd = -1 };
	struct gzc_writer *w = NULL;
	struct gzc_index *idx = NULL;
	struct gzc_writer_opts wo = c->w;
	int dirfd = -1, r, status = 1;
	time_t now = time(NULL);
	struct tm tm;
	char sd[SHOWN_MAX], sn[SHOWN_MAX];

	shown(dir, sd);
	r = make_dirs(dir, 0700);
	if (r < 0) {
		cli_error("cannot create %s: %s", sd, strerror(-r));
		return 1;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		cli_error("cannot open %s: %s", sd, strerror(errno));
		return 1;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
	if (c->arg && *c->arg) {
		if (gzc_name_escape(c->arg, 256, arg, sizeof(arg)) < 0) {
			cli_error("bad -a argument");
			goto out;
		}
		snprintf(name, sizeof(name), "Core_%s_%s%s", stamp, arg, ext);
	} else {
		snprintf(name, sizeof(name), "Core_%s%s", stamp, ext);
	}

	r = gzc_tmpfile_open(dirfd, 0600, &t);
	if (r < 0) {
		cli_error("cannot write in %s: %s", sd, strerror(-r));
		goto out;
	}
	wo.mtime = (uint32_t)now;
	r = gzc_writer_new(t.fd, &wo, &w);
	if (r < 0) {
		cli_error("cannot start compressing into %s: %s", sd, strerror(-r));
		goto out;
	}
	/* from a pipe: a larger one halves the wake-ups (harmless otherwise) */
	fcntl(STDIN_FILENO, F_SETPIPE_SZ, CLI_PIPE_SIZE);
	int rd = gzc_writer_read_fd(w, STDIN_FILENO, 0, NULL);
	if ((rd == -EISDIR || rd == -EBADF || rd == -EINVAL) && gzc_writer_bytes_in(w) == 0) {
		/* not an input that ended early: one that cannot be read at all
		 * (a directory, a closed or write-only descriptor); no file */
		cli_error("cannot read standard input: %s", strerror(-rd));
		goto out;
	}
	int out_err = gzc_writer_output_error(w);
	uint64_t expected = 0;
	int cut = rd == 0 && cli_core_cut_short(w, &expected);
	/* the input failed or the output did: finish either way with what arrived */
	r = gzc_writer_finish(w, rd < 0 || cut ? GZC_IDX_F_TRUNCATED : 0, &idx);
	if (r < 0) {
		cli_error("cannot write %s/%s: %s", sd, shown(name, sn), strerror(-r));
		goto out;
	}
	if (out_err)
		cli_error("output failed (%s); kept the first %llu bytes as a valid file marked truncated",
			  strerror(-out_err), (unsigned long long)idx->usize);
	else if (rd < 0)
		cli_error("input ended early (%s); stored the %llu bytes that arrived, marked truncated",
			  strerror(-rd), (unsigned long long)idx->usize);
	else if (cut)
		cli_error("the core ended early: its headers promise %llu bytes, %llu arrived; stored, marked truncated",
			  (unsigned long long)expected, (unsigned long long)idx->usize);
	r = gzc_tmpfile_commit(&t, name, ext, final, sizeof(final));
	if (r < 0) {
		cli_error("cannot store %s/%s: %s", sd, shown(name, sn), strerror(-r));
		goto out;
	}
	snprintf(idxname, sizeof(idxname), "%s%s", final, GZC_IDX_SUFFIX);
	r = gzc_index_save(idx, dirfd, idxname);
	if (r < 0) /* only a cache: readers rebuild it */
		cli_error("warning: cannot write index %s/%s: %s", sd, shown(idxname, sn), strerror(-r));
	/* the result, not a message: the path as it is, for scripts (its name
	 * was made safe above; the directory is the caller's own -p) */
	if (!c->quiet)
		printf("%s/%s\n", dir, final);
	/* a full disk kept what fit (a valid, flagged file) but is still a failure */
	status = out_err ? 1 : 0;
out:
	gzc_writer_free(w);
	gzc_index_free(idx);
	gzc_tmpfile_discard(&t);
	if (dirfd >= 0)
		close(dirfd);
	return status;
}

void cli_note_onepass(const char *name)
{
	char sn[SHOWN_MAX];
	cli_error("note: %s has a deflate block too long to index (over %u MiB); decompressing it in one pass",
		  shown(name, sn), GZC_FOREIGN_SPAN_MAX >> 20);
}

/* Where the output goes: written into as it is (direct: a device, a pipe,
 * our stdout; fd), or a temporary file in dirfd renamed to base at the end. */
struct output {
	struct gzc_tmpfile t;
	int direct, to_stdout;
	int dirfd;
	char base[NAME_MAX + 1];
};

/* As many links as the kernel follows in one path (MAXSYMLINKS). */
#define LINK_HOPS_MAX 40

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether st is what our stdout already is, open for writing (out names it
 * as /dev/stdout, /dev/fd/1, /proc/self/fd/1, a link to one, ...). */
static int is_our_stdout(const struct stat *st)
{
	struct stat so;
	int fl = fcntl(STDOUT_FILENO, F_GETFL);
	return fl >= 0 && (fl & O_ACCMODE) != O_RDONLY && fstat(STDOUT_FILENO, &so) == 0 && same_file(st, &so);
}

/* Opens the directory path's last component is in (relative to at), and
 * copies that component to base ("." for a path ending in '/', which then
 * names the directory itself). Returns the fd or a negative errno. */
static int open_parent(int at, const char *path, char base[NAME_MAX + 1])
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *b = slash ? slash + 1 : path;
	size_t dlen = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);

	if (strlen(b) > NAME_MAX || dlen >= sizeof(dir))
		return -ENAMETOOLONG;
	snprintf(base, NAME_MAX + 1, "%s", *b ? b : ".");
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)dlen, path);
	int fd = openat(at, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Follows the symbolic links out names, one at a time (the kernel resolves
 * the directories on the way), each of which must be our own or root's
 * (/dev/stdout): another user's could aim us at a file or a device of
 * their choosing. Ends in *ret_dirfd
 * (the caller's) and base at what is not a link, *ret_st its lstat, or at
 * nothing (*ret_missing). Returns 0, -EPERM (another user's link), -ELOOP,
 * or a negative errno. */
static int follow_own_links(const char *out, int *ret_dirfd, char base[NAME_MAX + 1], struct stat *ret_st,
			    int *ret_missing)
{
	char link[PATH_MAX];
	struct stat st;
	int dirfd = open_parent(AT_FDCWD, out, base), r;

	for (int hops = 0; dirfd >= 0; hops++) {
		if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				r = -errno;
				break;
			}
			*ret_missing = 1;
			*ret_dirfd = dirfd;
			return 0;
		}
		if (!S_ISLNK(st.st_mode)) {
			*ret_missing = 0;
			*ret_st = st;
			*ret_dirfd = dirfd;
			return 0;
		}
		if (st.st_uid != geteuid() && st.st_uid != 0) {
			r = -EPERM;
			break;
		}
		if (hops == LINK_HOPS_MAX) {
			r = -ELOOP;
			break;
		}
		ssize_t n = readlinkat(dirfd, base, link, sizeof(link));
		if (n < 0 || (size_t)n >= sizeof(link)) {
			r = n < 0 ? -errno : -ENAMETOOLONG;
			break;
		}
		link[n] = 0;
		/* a /proc/<pid>/fd magic link (ours: checked above) to a pipe or a
		 * socket names no path ("pipe:[123]"): what the kernel reaches
		 * through it is the end */
		if (link[0] != '/' && strstr(link, ":[") && fstatat(dirfd, base, &st, 0) == 0 &&
		    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
			*ret_missing = 0;
			*ret_st = st;
			*ret_dirfd = dirfd;
			return 0;
		}
		int next = open_parent(dirfd, link, base); /* an absolute link ignores dirfd */
		close(dirfd);
		dirfd = next;
	}
	if (dirfd < 0)
		return dirfd;
	close(dirfd);
	return r;
}

/* Opens what out names (a device, a pipe: found to be *want) to write into
 * as it is: not truncated (a device has nothing to truncate), and only if
 * it is still *want once open. */
static int open_direct(const char *out, const char *so, const struct stat *want, struct output *o)
{
	struct stat st;
	int fd = open(out, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		cli_error("%s: %s", so, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !same_file(&st, want) || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		cli_error("%s changed while it was opened: not writing into it", so);
		close(fd);
		return -1;
	}
	if (isatty(fd)) {
		cli_error("%s is a terminal: not writing a core to it", so);
		close(fd);
		return -1;
	}
	o->t.fd = fd;
	o->direct = 1;
	return 0;
}

/* Decides where out's bytes go and opens it (struct output). A regular
 * file, a new name, and the file (or nothing) at the end of our own
 * symbolic links get a temporary file beside them, renamed over them when
 * complete, so no half-written file is ever left under that name (a link
 * stays a link). A device or a pipe, named or at the end of such links
 * (/dev/stdout is root's), is written into, and so is what is our stdout
 * already, as '-' is (never reopened: that would truncate a '>>' file).
 * Prints why not and returns -1, else 0; either way output_close() it. */
static int output_open(const char *out, mode_t mode, struct output *o)
{
	struct stat lst, tst, end = { 0 };
	char so[SHOWN_MAX];
	int dash = strcmp(out, "-") == 0, have_l = 0, have_t = 0, lerr = 0, terr = 0, missing = 0, r;

	*o = (struct output){ .t = { .fd = -1 }, .dirfd = -1 };
	if (!*out) { /* else it is a temporary file in ., decompressed in full, then renamed to "." */
		cli_error("the output file name is empty ('-' for standard output)");
		return -1;
	}
	if (!dash) {
		have_l = lstat(out, &lst) == 0;
		lerr = errno;
		have_t = stat(out, &tst) == 0;
		terr = errno;
	}
	if (dash || (have_t && is_our_stdout(&tst))) {
		if (isatty(STDOUT_FILENO)) { /* as coredumpctl dump: a core is no text */
			cli_error("not writing a core to a terminal: give -o FILE, or redirect the output");
			return -1;
		}
		o->t.fd = STDOUT_FILENO;
		o->direct = o->to_stdout = 1;
		return 0;
	}
	shown(out, so);
	if (!have_l && lerr != ENOENT) {
		cli_error("%s: %s", so, strerror(lerr));
		return -1;
	}
	if (have_t && S_ISDIR(tst.st_mode)) {
		cli_error("%s is a directory", so);
		return -1;
	}
	if (have_l && have_t && !S_ISREG(tst.st_mode) && !S_ISLNK(lst.st_mode))
		return open_direct(out, so, &tst, o); /* a device or a pipe, named */
	if (!have_l || S_ISREG(lst.st_mode)) {
		o->dirfd = open_parent(AT_FDCWD, out, o->base);
		if (o->dirfd < 0) {
			cli_error("cannot open the directory of %s: %s", so, strerror(-o->dirfd));
			return -1;
		}
	} else {
		/* a link: to a regular file, to nothing, or to a device or a pipe */
		if (!have_t && terr != ENOENT) {
			cli_error("%s: %s", so, strerror(terr));
			return -1;
		}
		r = follow_own_links(out, &o->dirfd, o->base, &end, &missing);
		if (r == -EPERM) {
			cli_error("%s is, or leads through, another user's symbolic link: refusing to write through "
				  "it (name the file itself)", so);
			return -1;
		}
		if (r < 0) {
			cli_error("cannot follow the symbolic link %s: %s", so, strerror(-r));
			return -1;
		}
		/* the links read as paths must lead where the kernel's lookup did
		 * (not so for /proc/self/fd/N of a deleted file, or when they changed) */
		if (missing == have_t || (have_t && !same_file(&end, &tst))) {
			cli_error("cannot tell which file the symbolic link %s stands for: not writing through it", so);
			return -1;
		}
		if (have_t && !S_ISREG(end.st_mode)) {
			close(o->dirfd);
			o->dirfd = -1;
			return open_direct(out, so, &tst, o);
		}
	}
	r = gzc_tmpfile_open(o->dirfd, mode, &o->t);
	if (r < 0) {
		cli_error("cannot write in the directory of %s: %s", so, strerror(-r));
		return -1;
	}
	return 0;
}

static void output_close(struct output *o)
{
	if (!o->direct)
		gzc_tmpfile_discard(&o->t);
	else if (!o->to_stdout && o->t.fd >= 0)
		close(o->t.fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
}

int cli_extract_to(struct gzc_reader *r, int onepass_fd, const char *name, const char *out, int threads,
		   mode_t mode)
{
	struct output o;
	struct cli_progress prog;
	char sn[SHOWN_MAX], so[SHOWN_MAX];
	int rc, status = 1;

	if (output_open(out, mode, &o) < 0) {
		output_close(&o);
		return 1;
	}
	shown(name, sn);
	shown(out, so);
	struct gzc_extract_stop stop = { 0 };
	struct stat ist;
	cli_progress_init(&prog, "extracting",
			  r ? gzc_reader_size(r) : fstat(onepass_fd, &ist) == 0 ? (uint64_t)ist.st_size : 0);
	struct gzc_extract_opts eo = { .threads = threads, .progress = cli_progress_cb, .progress_ctx = &prog };
	/* a file read past its start (stdin after a header) is read on from there */
	eo.sequential = !r && lseek(onepass_fd, 0, SEEK_CUR) > 0;
	rc = r ? gzc_extract(r, o.t.fd, &eo, &stop) : gzc_extract_onepass(onepass_fd, o.t.fd, &eo, &stop);
	cli_progress_end(&prog);
	if (rc == -EBADMSG) {
		cli_error("%s: corrupt data %s compressed offset %llu (uncompressed offset %llu)", sn,
			  r ? "in the span at" : "or truncated at", (unsigned long long)stop.coff,
			  (unsigned long long)stop.uoff);
		goto out;
	} else if (rc < 0 && stop.side == GZC_EXTRACT_INPUT) {
		cli_error("cannot read %s: %s (%s compressed offset %llu, uncompressed offset %llu)", sn,
			  strerror(-rc), r ? "in the span at" : "at", (unsigned long long)stop.coff,
			  (unsigned long long)stop.uoff);
		goto out;
	} else if (rc < 0 && stop.side == GZC_EXTRACT_OUTPUT) {
		cli_error("cannot write %s: %s", so, strerror(-rc));
		goto out;
	} else if (rc < 0) {
		cli_error("cannot extract %s to %s: %s", sn, so, strerror(-rc));
		goto out;
	}
	if (!o.direct) {
		rc = gzc_tmpfile_replace(&o.t, o.base);
		if (rc < 0) {
			cli_error("cannot store %s: %s", so, strerror(-rc));
			goto out;
		}
	}
	status = 0;
out:
	output_close(&o);
	return status;
}

int cli_extract_file(int fd, int index_dirfd, const char *index_path, unsigned flags, const char *name,
		     const char *out, int threads, mode_t mode, int *ret_truncated)
{
	struct gzc_reader *r = NULL;
	struct gzc_scan_error serr = { 0 };
	struct cli_progress prog;
	struct stat st;
	char sn[SHOWN_MAX];
	int rc, status;

	shown(name, sn);
	cli_progress_init(&prog, "indexing", fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0);
	struct gzc_reader_opts ro = {
		.index_dirfd = index_dirfd, .index_path = index_path, .flags = flags,
		.cache_bytes = 1, .progress = cli_progress_cb, .progress_ctx = &prog,
	};
	rc = gzc_reader_open(fd, &ro, &r, &serr);
	cli_progress_end(&prog);
	if (ret_truncated)
		*ret_truncated = 0;
	if (rc == -E2BIG) {
		cli_note_onepass(name);
		status = cli_extract_to(NULL, fd, name, out, threads, mode);
		close(fd);
		return status;
	}
	if (rc < 0) {
		close(fd);
		if (rc == -EBADMSG && serr.what)
			cli_error("%s: corrupt or truncated at compressed offset %llu (after %llu bytes of output): %s",
				  sn, (unsigned long long)serr.coff, (unsigned long long)serr.uoff, serr.what);
		else
			cli_error("%s: %s", sn, strerror(-rc));
		return 1;
	}
	status = cli_extract_to(r, -1, name, out, threads, mode);
	if (ret_truncated)
		*ret_truncated = !!(gzc_reader_index(r)->flags & GZC_IDX_F_TRUNCATED);
	gzc_reader_close(r);
	return status;
}

int cmd_decompress(const struct cli_codec *c)
{
	char idxpath[PATH_MAX];
	char si[SHOWN_MAX];
	int fd, truncated, status;
	struct stat st;

	if (!*c->in) {
		cli_error("the input file name is empty ('-' for standard input)");
		return 1;
	}
	int from_stdin = strcmp(c->in, "-") == 0;
	const char *name = from_stdin ? "stdin" : c->in;

	shown(name, si);
	fd = from_stdin ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : open(c->in, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		cli_error("%s: %s", si, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		cli_error("%s is a directory", si);
		close(fd);
		return 1;
	}
	/* stdin (a pipe, or a file read from where it stands) or a device: no
	 * index, no going back, so one pass in order; the output holds a
	 * process's memory, so only we may read it */
	if (!S_ISREG(st.st_mode) || (from_stdin && lseek(fd, 0, SEEK_CUR) != 0)) {
		status = cli_extract_to(NULL, fd, name, c->out, c->w.threads, 0600);
		close(fd);
		return status;
	}
	/* a file: indexed (with its index beside it, if any), in parallel */
	snprintf(idxpath, sizeof(idxpath), "%s%s", c->in, GZC_IDX_SUFFIX);
	status = cli_extract_file(fd, AT_FDCWD, from_stdin ? NULL : idxpath, GZC_READER_NO_SAVE, name, c->out,
				  c->w.threads, from_stdin ? 0600 : st.st_mode & 0666, &truncated);
	if (status == 0 && truncated)
		cli_error("note: %s holds a truncated core (cut short when it was stored: the input ended early, a size "
			  "limit, or a full disk)", si);
	return status;
}

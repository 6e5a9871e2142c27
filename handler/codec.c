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
	r = make_dirs(dir, 0750);
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

static void split_path(const char *path, char *dir, size_t dcap, const char **base)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(dir, dcap, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, dcap, "/");
		*base = slash + 1;
	} else {
		snprintf(dir, dcap, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
}

void cli_note_onepass(const char *name)
{
	char sn[SHOWN_MAX];
	cli_error("note: %s has a deflate block too long to index (over %u MiB); decompressing it in one pass",
		  shown(name, sn), GZC_FOREIGN_SPAN_MAX >> 20);
}

int cli_extract_to(struct gzc_reader *r, int onepass_fd, const char *name, const char *out, int threads,
		   mode_t mode)
{
	struct gzc_tmpfile t = { .fd = -1 };
	struct cli_progress prog;
	char outdir[PATH_MAX];
	const char *outbase;
	char sn[SHOWN_MAX], so[SHOWN_MAX], sd[SHOWN_MAX];
	int rc, status = 1, odir = -1, to_stdout = strcmp(out, "-") == 0, direct = 0;
	struct stat ost;

	shown(name, sn);
	shown(out, so);

	if (!to_stdout && lstat(out, &ost) == 0 && !S_ISREG(ost.st_mode)) {
		/* a device, a pipe or a symlink (/dev/null, /dev/stdout, a fifo):
		 * write into what it is; only a plain regular file (or a new name)
		 * is replaced atomically */
		struct stat tst;
		if (S_ISDIR(ost.st_mode)) {
			cli_error("%s is a directory", so);
			return 1;
		}
		/* someone else's symlink to a plain file (or to nothing) would have
		 * us overwrite, or create, a file of their choosing, keeping its
		 * mode: a root-only core in a world-readable file (the kernel's
		 * fs.protected_symlinks stops this only in sticky directories, and
		 * only when it is on). So only our own links are followed, and
		 * those into /dev/ and /proc/ (/dev/stdout). */
		if (S_ISLNK(ost.st_mode) && ost.st_uid != geteuid() && (stat(out, &tst) < 0 || S_ISREG(tst.st_mode)) &&
		    strncmp(out, "/dev/", 5) != 0 && strncmp(out, "/proc/", 6) != 0) {
			cli_error("%s is another user's symbolic link: refusing to write through it (name the file "
				  "itself)", so);
			return 1;
		}
		t.fd = open(out, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (t.fd < 0) {
			cli_error("%s: %s", so, strerror(errno));
			return 1;
		}
		direct = 1;
	} else if (to_stdout) {
		t.fd = STDOUT_FILENO;
		direct = 1;
	} else {
		split_path(out, outdir, sizeof(outdir), &outbase);
		odir = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (odir < 0) {
			cli_error("%s: %s", shown(outdir, sd), strerror(errno));
			return 1;
		}
		rc = gzc_tmpfile_open(odir, mode, &t);
		if (rc < 0) {
			cli_error("cannot write in %s: %s", shown(outdir, sd), strerror(-rc));
			goto out;
		}
	}
	struct gzc_extract_stop stop = { 0 };
	struct stat ist;
	cli_progress_init(&prog, "extracting",
			  r ? gzc_reader_size(r) : fstat(onepass_fd, &ist) == 0 ? (uint64_t)ist.st_size : 0);
	struct gzc_extract_opts eo = { .threads = threads, .progress = cli_progress_cb, .progress_ctx = &prog };
	rc = r ? gzc_extract(r, t.fd, &eo, &stop) : gzc_extract_onepass(onepass_fd, t.fd, &eo, &stop);
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
	if (!direct) {
		rc = gzc_tmpfile_replace(&t, outbase);
		if (rc < 0) {
			cli_error("cannot store %s: %s", so, strerror(-rc));
			goto out;
		}
	}
	status = 0;
out:
	if (!direct)
		gzc_tmpfile_discard(&t);
	else if (!to_stdout && t.fd >= 0)
		close(t.fd);
	if (odir >= 0)
		close(odir);
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

	shown(c->in, si);
	fd = open(c->in, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_error("%s: %s", si, strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cli_error("%s: not a regular file", si);
		close(fd);
		return 1;
	}
	snprintf(idxpath, sizeof(idxpath), "%s%s", c->in, GZC_IDX_SUFFIX);
	status = cli_extract_file(fd, AT_FDCWD, idxpath, GZC_READER_NO_SAVE, c->in, c->out, c->w.threads,
				  st.st_mode & 0666, &truncated);
	if (status == 0 && truncated)
		cli_error("note: %s holds a truncated core (the input ended early when it was stored)", si);
	return status;
}

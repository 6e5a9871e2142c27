/*
 * passfs.c — a read-only FUSE passthrough of one directory, for tests: a
 * file system whose server a test can stop (SIGSTOP) while a process runs
 * a program from it, as a FUSE server that crashed would be stopped.
 *
 *   passfs DIR MOUNTPOINT [FUSE OPTIONS...]   (runs in the foreground)
 */
#define FUSE_USE_VERSION 31
#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];

static int full(const char *path, char buf[PATH_MAX])
{
	return (size_t)snprintf(buf, PATH_MAX, "%s%s", root, path) < PATH_MAX ? 0 : -ENAMETOOLONG;
}

static int pass_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	char p[PATH_MAX];
	(void)fi;
	if (full(path, p) < 0)
		return -ENAMETOOLONG;
	return lstat(p, st) < 0 ? -errno : 0;
}

static int pass_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
			enum fuse_readdir_flags flags)
{
	char p[PATH_MAX];
	(void)off, (void)fi, (void)flags;
	if (full(path, p) < 0)
		return -ENAMETOOLONG;
	DIR *d = opendir(p);
	if (!d)
		return -errno;
	for (struct dirent *e; (e = readdir(d));)
		if (fill(buf, e->d_name, NULL, 0, 0))
			break;
	closedir(d);
	return 0;
}

static int pass_open(const char *path, struct fuse_file_info *fi)
{
	char p[PATH_MAX];
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	if (full(path, p) < 0)
		return -ENAMETOOLONG;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int pass_read(const char *path, char *buf, size_t len, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	ssize_t n = pread((int)fi->fh, buf, len, off);
	return n < 0 ? -errno : (int)n;
}

static int pass_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = pass_getattr,
	.readdir = pass_readdir,
	.open = pass_open,
	.read = pass_read,
	.release = pass_release,
};

int main(int argc, char **argv)
{
	if (argc < 3 || !realpath(argv[1], root)) {
		fprintf(stderr, "usage: passfs DIR MOUNTPOINT [FUSE OPTIONS...]\n");
		return 2;
	}
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		return 1;
	int n = 0;
	args[n++] = argv[0];
	args[n++] = argv[2];
	args[n++] = "-f";
	args[n++] = "-oro";
	for (int i = 3; i < argc; i++)
		args[n++] = argv[i];
	int r = fuse_main(n, args, &ops, NULL);
	free(args);
	return r;
}

/*
 * tmpfile.c — O_TMPFILE + linkat, or a hidden name + link + unlink.
 */
#include "tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 32 random bits for a temporary name: random, so that another thread's
 * file, or one a crash left (a pid comes back after a boot), never blocks
 * the name for good */
static uint32_t random32(void)
{
	static uint32_t counter;
	uint32_t rnd;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 2654435761u ^ (uint32_t)time(NULL) ^
		      (uint32_t)getpid();
	return rnd;
}

int gzc_tmpfile_create_random(int dirfd, const char *prefix, mode_t mode, char *ret_name, size_t cap)
{
	for (int tries = 0; tries < 100; tries++) {
		if ((size_t)snprintf(ret_name, cap, "%s%08" PRIx32, prefix, random32()) >= cap)
			return -ENAMETOOLONG;
		int fd = openat(dirfd, ret_name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int gzc_tmpfile_open(int dirfd, mode_t mode, struct gzc_tmpfile *ret)
{
	struct gzc_tmpfile t = { .fd = -1, .dirfd = dirfd };

	t.fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	if (t.fd < 0) {
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
			return -errno;
		/* no O_TMPFILE here: a hidden, random, exclusive name */
		char prefix[32];
		snprintf(prefix, sizeof(prefix), GZC_TMP_PREFIX "%d.", (int)getpid());
		t.fd = gzc_tmpfile_create_random(dirfd, prefix, mode, t.name, sizeof(t.name));
		if (t.fd < 0)
			return t.fd;
	}
	*ret = t;
	return 0;
}

static int link_unnamed(struct gzc_tmpfile *t, const char *final)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", t->fd);
	if (linkat(AT_FDCWD, path, t->dirfd, final, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	return -errno;
}

static int link_as(struct gzc_tmpfile *t, const char *final)
{
	if (t->name[0])
		return linkat(t->dirfd, t->name, t->dirfd, final, 0) < 0 ? -errno : 0;
	return link_unnamed(t, final);
}

int gzc_tmpfile_commit(struct gzc_tmpfile *t, const char *name, const char *suffix, char *ret_name, size_t cap)
{
	char final[512];
	size_t nlen = strlen(name), slen = suffix ? strlen(suffix) : 0;
	int r;

	if (fsync(t->fd) < 0)
		return -errno;
	if (slen > nlen || (slen && strcmp(name + nlen - slen, suffix) != 0))
		slen = 0;
	for (int i = 0; i < GZC_NAME_MAX_TRIES; i++) {
		int n = i == 0 ? snprintf(final, sizeof(final), "%s", name)
			       : snprintf(final, sizeof(final), "%.*s.%d%s", (int)(nlen - slen), name, i, name + nlen - slen);
		if (n < 0 || (size_t)n >= sizeof(final) || (size_t)n >= cap)
			return -ENAMETOOLONG;
		r = link_as(t, final);
		if (r == 0) {
			if (t->name[0]) {
				unlinkat(t->dirfd, t->name, 0);
				t->name[0] = 0;
			}
			fsync(t->dirfd);
			memcpy(ret_name, final, (size_t)n + 1);
			return 0;
		}
		if (r != -EEXIST)
			return r;
	}
	return -EEXIST;
}

int gzc_tmpfile_replace(struct gzc_tmpfile *t, const char *name)
{
	if (fsync(t->fd) < 0)
		return -errno;
	if (!t->name[0]) {
		/* an unnamed file cannot be renamed: give it a hidden name first */
		char tmp[sizeof(t->name)];
		int r = -EEXIST;
		for (int tries = 0; tries < 100 && r == -EEXIST; tries++) {
			snprintf(tmp, sizeof(tmp), GZC_TMP_PREFIX "%d.%08" PRIx32, (int)getpid(), random32());
			r = link_unnamed(t, tmp);
		}
		if (r < 0)
			return r;
		memcpy(t->name, tmp, sizeof(tmp));
	}
	if (renameat(t->dirfd, t->name, t->dirfd, name) < 0)
		return -errno;
	t->name[0] = 0;
	fsync(t->dirfd);
	return 0;
}

void gzc_tmpfile_discard(struct gzc_tmpfile *t)
{
	if (t->name[0]) {
		unlinkat(t->dirfd, t->name, 0);
		t->name[0] = 0;
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

void gzc_tmpfile_close(struct gzc_tmpfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

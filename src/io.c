/*
 * io.c — full-length read/write loops with EINTR retry.
 */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int gzc_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int gzc_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

ssize_t gzc_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

ssize_t gzc_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int gzc_open_regular(int dirfd, const char *name)
{
	char self[64];
	struct stat st;
	int pfd = openat(dirfd, name, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	int r = fstat(pfd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	if (r == 0) {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
		int fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		r = fd < 0 ? -errno : fd;
	}
	close(pfd);
	return r;
}

int gzc_read_file_at(int dirfd, const char *name, size_t max, unsigned flags, char **ret, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	int r, fd = flags & GZC_READ_ADMIN ? gzc_open_regular(dirfd, name)
					    : openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return flags & GZC_READ_ADMIN ? fd : -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((flags & GZC_READ_ADMIN) && ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022))) {
		r = -EPERM;
		goto out;
	}
	int cut = flags & GZC_READ_CUT;
	if ((uint64_t)st.st_size > max && !cut) {
		r = -EFBIG;
		goto out;
	}
	if ((flags & GZC_READ_DENSE) && st.st_size > 0) {
		off_t hole = lseek(fd, 0, SEEK_HOLE);
		if ((hole >= 0 && hole < st.st_size) || lseek(fd, 0, SEEK_SET) != 0) {
			r = -EFBIG;
			goto out;
		}
	}
	/* one byte more than allowed tells a file that grew meanwhile (/proc
	 * files say size 0: read them up to max) */
	size_t want = st.st_size && (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + (cut ? 0 : 1);
	buf = malloc(want + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	ssize_t n = gzc_read_all(fd, buf, want);
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	if ((size_t)n > max) {
		if (!cut) {
			r = -EFBIG;
			goto out;
		}
		n = (ssize_t)max;
	}
	buf[n] = 0;
	*ret = buf;
	*ret_len = (size_t)n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

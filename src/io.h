/*
 * io.h — I/O loops that retry short transfers and EINTR (as pigz's readn/writen).
 */
#ifndef GZC_IO_H
#define GZC_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

/* Writes all len bytes. Returns 0 or -errno (-EIO if write returns 0). */
GZC_MUST_CHECK int gzc_write_all(int fd, const void *buf, size_t len);
/* pwrite()s all len bytes at off. Returns 0 or -errno. */
GZC_MUST_CHECK int gzc_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
/* Reads until len bytes or EOF. Returns bytes read (< len only at EOF) or -errno. */
GZC_MUST_CHECK ssize_t gzc_read_all(int fd, void *buf, size_t len);
/* pread()s until len bytes or EOF. Returns bytes read or -errno. */
GZC_MUST_CHECK ssize_t gzc_pread_all(int fd, void *buf, size_t len, uint64_t off);

/* Reads the regular file name (relative to dirfd; no symlink followed, a
 * FIFO cannot block) into a new NUL-terminated buffer of *ret_len bytes.
 * A file longer than max bytes is an error, or with GZC_READ_CUT is cut at
 * max (for /proc files, whose size stat does not tell). With
 * GZC_READ_DENSE a file with a hole before its end (a sparse file, which
 * claims a size it does not hold) is refused unread, as -EFBIG. With
 * GZC_READ_ADMIN (a file that tells root what to run: the config) symlinks
 * are followed, as an administrator's tools make them (nothing but a
 * regular file is opened: gzc_open_regular), and the file must belong to
 * root or to the caller (effective uid) and be writable by no one else,
 * else -EPERM.
 * Caller frees *ret. Errors: -ELOOP (a symlink), -EINVAL (not a regular
 * file), -EFBIG (longer than max bytes), -EPERM, -ENOMEM, -errno of open/read. */
#define GZC_READ_CUT 0x1u
#define GZC_READ_DENSE 0x2u
#define GZC_READ_ADMIN 0x4u
GZC_MUST_CHECK int gzc_read_file_at(int dirfd, const char *name, size_t max, unsigned flags, char **ret,
				    size_t *ret_len);

/* Opens dirfd/name (symlinks followed) for reading, but only if it is a
 * regular file, and looks first (O_PATH), so that nothing else is ever
 * opened: opening a device can do something, a FIFO waits for a writer.
 * Returns the descriptor (O_RDONLY, close-on-exec; the caller owns it).
 * Errors: -EINVAL (not a regular file), -errno of open/fstat. Needs /proc. */
GZC_MUST_CHECK int gzc_open_regular(int dirfd, const char *name);

/* Little- and big-endian helpers for the on-disk formats. */
static inline void gzc_put_le16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static inline void gzc_put_le32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static inline void gzc_put_le64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static inline void gzc_put_be32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i)); }
static inline uint16_t gzc_get_le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t gzc_get_le32(const unsigned char *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static inline uint64_t gzc_get_le64(const unsigned char *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }
/* An unsigned field of size bytes (1..8) in either byte order (ELF's). */
static inline uint64_t gzc_get_uint(const unsigned char *p, int size, int big_endian)
{
	uint64_t v = 0;
	for (int i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (big_endian ? 8 * (size - 1 - i) : 8 * i);
	return v;
}
static inline uint32_t gzc_get_be32(const unsigned char *p) { uint32_t v = 0; for (int i = 0; i < 4; i++) v = v << 8 | p[i]; return v; }

#endif

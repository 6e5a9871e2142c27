/*
 * test_index.c — unit tests of the span index (src/index.c).
 *
 * The index file is untrusted input: every single-byte corruption and every
 * truncation of an encoded index must be refused with -EBADMSG (or
 * -EPROTONOSUPPORT for another version), never crash. Corruptions with a
 * recomputed CRC test the semantic checks behind the CRC; whatever they let
 * through must still be in bounds (ASan watches in the SAN=1 build).
 */
#include "fmt_helpers.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(index, .init = setup, .fini = teardown, .timeout = 60);

/* A foreign-style index: 6 spans, some with windows, bit offsets, a zero span. */
static struct gzc_index *sample(void)
{
	struct gzc_index *idx = NULL;
	cr_assert_eq(gzc_index_new(65536, GZC_IDX_F_FOREIGN | GZC_IDX_F_MULTIMEMBER, &idx), 0);
	unsigned char win[300];
	for (size_t i = 0; i < sizeof(win); i++)
		win[i] = (unsigned char)(i * 13);
	for (uint32_t i = 0; i < 6; i++) {
		struct gzc_span s = {
			.uoff = (uint64_t)i * 70000, .coff = 10 + (uint64_t)i * 30000, .crc = 0x1000u + i,
			.bits = (uint8_t)(i % 8), .flags = i == 3 ? GZC_SPAN_F_ZERO : i == 4 ? GZC_SPAN_F_MEMBER : 0,
		};
		cr_assert_eq(gzc_index_append(idx, &s, i % 2 ? win : NULL, i % 2 ? 100 + i * 10 : 0), 0);
	}
	idx->usize = 5 * 70000 + 1234;
	idx->csize = 200000;
	idx->head_crc = 0xdeadbeef;
	idx->tail_crc = 0xfeedf00d;
	idx->data_crc = 0x12345678;
	return idx;
}

static void assert_same(const struct gzc_index *a, const struct gzc_index *b)
{
	cr_assert_eq(a->flags, b->flags);
	cr_assert_eq(a->span_size, b->span_size);
	cr_assert_eq(a->nspans, b->nspans);
	cr_assert_eq(a->usize, b->usize);
	cr_assert_eq(a->csize, b->csize);
	cr_assert_eq(a->head_crc, b->head_crc);
	cr_assert_eq(a->tail_crc, b->tail_crc);
	cr_assert_eq(a->data_crc, b->data_crc);
	cr_assert_eq(a->wsize, b->wsize);
	for (uint32_t i = 0; i < a->nspans; i++) {
		const struct gzc_span *x = &a->spans[i], *y = &b->spans[i];
		cr_assert_eq(x->uoff, y->uoff);
		cr_assert_eq(x->coff, y->coff);
		cr_assert_eq(x->woff, y->woff);
		cr_assert_eq(x->wlen, y->wlen);
		cr_assert_eq(x->crc, y->crc);
		cr_assert_eq(x->bits, y->bits);
		cr_assert_eq(x->flags, y->flags);
	}
	if (a->wsize)
		cr_assert_eq(memcmp(a->windows, b->windows, a->wsize), 0);
}

Test(index, encode_decode_round_trip)
{
	struct gzc_index *idx = sample(), *back = NULL;
	unsigned char *buf, *buf2;
	size_t len, len2;
	cr_assert_eq(gzc_index_encode(idx, &buf, &len), 0);
	cr_assert_eq(len, GZC_IDX_HEADER_LEN + 6 * GZC_IDX_ENTRY_LEN + idx->wsize + GZC_IDX_TRAILER_LEN);
	cr_assert_eq(memcmp(buf, GZC_IDX_MAGIC, GZC_IDX_MAGIC_LEN), 0);
	cr_assert_eq(gzc_get_le32(buf + 8), GZC_IDX_VERSION);
	cr_assert_eq(gzc_get_le64(buf + 24), idx->usize);
	cr_assert_eq(gzc_index_decode(buf, len, &back), 0);
	assert_same(idx, back);
	cr_assert_eq(gzc_index_encode(back, &buf2, &len2), 0);
	cr_assert_eq(len2, len);
	cr_assert_eq(memcmp(buf, buf2, len), 0, "encode(decode(x)) != x");
	free(buf);
	free(buf2);
	gzc_index_free(back);
	gzc_index_free(idx);
}

Test(index, empty_and_64bit_sizes)
{
	/* empty index (an empty core) */
	struct gzc_index *idx = NULL, *back = NULL;
	cr_assert_eq(gzc_index_new(GZC_SPAN_DEFAULT, 0, &idx), 0);
	unsigned char *buf;
	size_t len;
	cr_assert_eq(gzc_index_encode(idx, &buf, &len), 0);
	cr_assert_eq(gzc_index_decode(buf, len, &back), 0);
	cr_assert_eq(back->nspans, 0u);
	cr_assert_eq(back->usize, 0u);
	free(buf);
	gzc_index_free(back);
	gzc_index_free(idx);

	/* 6 GiB in 64 MiB spans: offsets past 4 GiB survive */
	cr_assert_eq(gzc_index_new(GZC_SPAN_MAX, 0, &idx), 0);
	for (uint32_t i = 0; i < 96; i++) {
		struct gzc_span s = { .uoff = (uint64_t)i * GZC_SPAN_MAX, .coff = 24 + (uint64_t)i * 70000,
				      .flags = GZC_SPAN_F_ZERO };
		cr_assert_eq(gzc_index_append(idx, &s, NULL, 0), 0);
	}
	idx->usize = 6ull << 30;
	idx->csize = 24 + 96 * 70000 + 10; /* 64 MiB from 70,000 bytes: deflate's ratio allows it */
	cr_assert_eq(gzc_index_encode(idx, &buf, &len), 0);
	cr_assert_eq(gzc_index_decode(buf, len, &back), 0);
	cr_assert_eq(back->usize, 6ull << 30);
	cr_assert_eq(back->spans[95].uoff, 95ull * GZC_SPAN_MAX);
	cr_assert_eq(gzc_index_find(back, (5ull << 30) + 7), 80u);
	cr_assert_eq(gzc_index_span_len(back, 95), (uint64_t)GZC_SPAN_MAX);
	free(buf);
	gzc_index_free(back);
	gzc_index_free(idx);
}

Test(index, append_find_pop)
{
	struct gzc_index *idx = sample();
	struct gzc_span bad = { .uoff = 5 * 70000, .coff = 10 + 6 * 30000 };
	cr_assert_eq(gzc_index_append(idx, &bad, NULL, 0), -EINVAL, "uoff not increasing");
	bad.uoff = 6 * 70000;
	bad.coff = 5;
	cr_assert_eq(gzc_index_append(idx, &bad, NULL, 0), -EINVAL, "coff going back");
	bad.coff = idx->spans[idx->nspans - 1].coff;
	cr_assert_eq(gzc_index_append(idx, &bad, NULL, 0), -EINVAL, "coff standing still");
	cr_assert_eq(idx->nspans, 6u);
	for (uint64_t off = 0; off < idx->usize; off += 997)
		cr_assert_eq(gzc_index_find(idx, off), (uint32_t)(off / 70000 < 5 ? off / 70000 : 5));
	cr_assert_eq(gzc_index_span_len(idx, 5), 1234u);
	cr_assert_eq(gzc_index_span_len(idx, 0), 70000u);
	uint64_t wsize = idx->wsize;
	gzc_index_pop(idx); /* span 5 has a window: its bytes are given back */
	cr_assert_eq(idx->nspans, 5u);
	cr_assert_eq(idx->wsize, wsize - 150);
	gzc_index_free(idx);
	gzc_index_free(NULL);
}

Test(index, every_single_byte_corruption_refused)
{
	struct gzc_index *idx = sample(), *back;
	unsigned char *buf;
	size_t len;
	cr_assert_eq(gzc_index_encode(idx, &buf, &len), 0);
	static const unsigned char flips[] = { 0x01, 0x80, 0xff, 0x10 };
	for (size_t i = 0; i < len; i++)
		for (size_t f = 0; f < sizeof(flips); f++) {
			buf[i] ^= flips[f];
			back = (void *)0x1;
			int rc = gzc_index_decode(buf, len, &back);
			if (i >= 8 && i < 12)
				cr_assert(rc == -EBADMSG || rc == -EPROTONOSUPPORT, "byte %zu ^%02x: rc %d", i, flips[f], rc);
			else
				cr_assert_eq(rc, -EBADMSG, "byte %zu ^%02x: rc %d", i, flips[f], rc);
			cr_assert_eq(back, (void *)0x1, "ret touched on failure");
			buf[i] ^= flips[f];
		}
	free(buf);
	gzc_index_free(idx);
}

/* Corrupts byte i, then fixes the CRC so only the semantic checks stand guard. */
Test(index, corruption_behind_a_valid_crc_stays_in_bounds)
{
	struct gzc_index *idx = sample();
	unsigned char *buf;
	size_t len;
	cr_assert_eq(gzc_index_encode(idx, &buf, &len), 0);
	size_t body = len - GZC_IDX_TRAILER_LEN;
	static const unsigned char flips[] = { 0x01, 0x02, 0x80, 0xff };
	for (size_t i = 0; i < GZC_IDX_HEADER_LEN + 6 * GZC_IDX_ENTRY_LEN; i++)
		for (size_t f = 0; f < sizeof(flips); f++) {
			buf[i] ^= flips[f];
			gzc_put_le32(buf + body, gzc_crc32(0, buf, body));
			struct gzc_index *back = NULL;
			int rc = gzc_index_decode(buf, len, &back);
			if (i < 8)
				cr_assert_eq(rc, -EBADMSG, "magic byte %zu", i);
			else if (i >= 8 && i < 12)
				cr_assert_eq(rc, -EPROTONOSUPPORT, "version byte %zu", i);
			else
				cr_assert(rc == 0 || rc == -EBADMSG, "byte %zu ^%02x: rc %d", i, flips[f], rc);
			if (rc == 0) {
				/* accepted: it must still describe a sane layout */
				cr_assert_eq(back->spans[0].uoff, 0u);
				for (uint32_t k = 0; k < back->nspans; k++) {
					const struct gzc_span *s = &back->spans[k];
					cr_assert_leq(s->woff + s->wlen, back->wsize);
					cr_assert_lt(s->coff, back->csize);
					cr_assert_leq(s->bits, 7);
					cr_assert_lt(s->uoff, back->usize);
					if (k)
						cr_assert_gt(s->uoff, s[-1].uoff);
					if (k)
						cr_assert_gt(s->coff, s[-1].coff);
				}
				cr_assert_leq(back->usize, back->csize * GZC_DEFLATE_MAX_RATIO);
				gzc_index_free(back);
			}
			buf[i] ^= flips[f];
		}
	gzc_put_le32(buf + body, gzc_crc32(0, buf, body));
	free(buf);
	gzc_index_free(idx);
}

/* An index (with a valid CRC) that cannot describe any deflate stream:
 * two spans at one compressed offset (a crafted index pointed many at one
 * zero span, each decoded in full at load), or more bytes than deflate can
 * make of the file (1032 per compressed byte). */
Test(index, impossible_layouts_refused)
{
	for (int c = 0; c < 3; c++) {
		struct gzc_index *idx = sample(), *back = NULL;
		unsigned char *buf;
		size_t len;
		if (c == 0) {
			idx->spans[2].coff = idx->spans[1].coff; /* (append refuses this: set behind its back) */
		} else {
			/* one zero span of 64 KiB in a file of 63 or 64 bytes: 64 make it possible */
			gzc_index_free(idx);
			cr_assert_eq(gzc_index_new(65536, 0, &idx), 0);
			struct gzc_span s = { .coff = 10, .flags = GZC_SPAN_F_ZERO };
			cr_assert_eq(gzc_index_append(idx, &s, NULL, 0), 0);
			idx->usize = 65536;
			idx->csize = c == 1 ? 63 : 64;
		}
		cr_assert_eq(gzc_index_encode(idx, &buf, &len), 0);
		int rc = gzc_index_decode(buf, len, &back);
		cr_assert_eq(rc, c == 2 ? 0 : -EBADMSG, "case %d: %d", c, rc);
		gzc_index_free(back);
		free(buf);
		gzc_index_free(idx);
	}
}

Test(index, truncated_and_extended_buffers_refused)
{
	struct gzc_index *idx = sample(), *back = NULL;
	unsigned char *buf;
	size_t len;
	cr_assert_eq(gzc_index_encode(idx, &buf, &len), 0);
	for (size_t n = 0; n < len; n++)
		cr_assert_eq(gzc_index_decode(buf, n, &back), -EBADMSG, "length %zu of %zu", n, len);
	/* a longer buffer with a valid CRC at its new end still has the wrong size */
	unsigned char *big = calloc(1, len + 40);
	memcpy(big, buf, len - GZC_IDX_TRAILER_LEN);
	gzc_put_le32(big + len + 40 - 4, gzc_crc32(0, big, len + 36));
	cr_assert_eq(gzc_index_decode(big, len + 40, &back), -EBADMSG);
	free(big);
	free(buf);
	gzc_index_free(idx);
}

static int write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(gzc_write_all(fd, data, len), 0);
	return fd;
}

Test(index, fingerprint_detects_stale)
{
	size_t len = 20000;
	unsigned char *data = alloc_mixed(len, 1);
	int fd = write_file("core.gz", data, len);
	struct gzc_index *idx = sample();
	cr_assert_eq(gzc_index_fingerprint(fd, idx), 0);
	cr_assert_eq(idx->csize, len);
	cr_assert_eq(idx->head_crc, gzc_crc32(0, data, 4096));
	cr_assert_eq(idx->tail_crc, gzc_crc32(0, data + len - 4096, 4096));
	cr_assert_eq(gzc_index_matches(idx, fd), 0);

	size_t spots[] = { 0, 4095, len - 4096, len - 1 };
	for (size_t k = 0; k < 4; k++) {
		unsigned char b = data[spots[k]] ^ 0x20;
		cr_assert_eq(gzc_pwrite_all(fd, &b, 1, spots[k]), 0);
		cr_assert_eq(gzc_index_matches(idx, fd), -ESTALE, "changed byte %zu", spots[k]);
		cr_assert_eq(gzc_pwrite_all(fd, data + spots[k], 1, spots[k]), 0);
		cr_assert_eq(gzc_index_matches(idx, fd), 0);
	}
	cr_assert_eq(ftruncate(fd, (off_t)len - 1), 0);
	cr_assert_eq(gzc_index_matches(idx, fd), -ESTALE, "shorter file");
	cr_assert_eq(ftruncate(fd, (off_t)len + 1), 0);
	cr_assert_eq(gzc_index_matches(idx, fd), -ESTALE, "longer file");
	close(fd);

	/* tiny files: head and tail overlap */
	fd = write_file("tiny", "abc", 3);
	cr_assert_eq(gzc_index_fingerprint(fd, idx), 0);
	cr_assert_eq(idx->csize, 3u);
	cr_assert_eq(idx->head_crc, gzc_crc32(0, "abc", 3));
	cr_assert_eq(gzc_index_matches(idx, fd), 0);
	close(fd);
	gzc_index_free(idx);
	free(data);
}

static int count_entries(void)
{
	char cmd[256];
	int n = 0;
	FILE *p;
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

Test(index, save_load_atomic_and_no_symlinks)
{
	struct gzc_index *idx = sample(), *back = NULL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_eq(gzc_index_load(dfd, "x.gzx", &back), -ENOENT);
	cr_assert_eq(gzc_index_save(idx, dfd, "x.gzx"), 0);
	cr_assert_eq(count_entries(), 1, "the temporary name must be gone");
	cr_assert_eq(gzc_index_load(dfd, "x.gzx", &back), 0);
	assert_same(idx, back);
	gzc_index_free(back);

	/* save again replaces the old file in one step */
	idx->data_crc = 42;
	cr_assert_eq(gzc_index_save(idx, dfd, "x.gzx"), 0);
	cr_assert_eq(gzc_index_load(dfd, "x.gzx", &back), 0);
	cr_assert_eq(back->data_crc, 42u);
	gzc_index_free(back);
	cr_assert_eq(count_entries(), 1);

	/* load refuses a symlink, even to a valid index */
	cr_assert_eq(symlinkat("x.gzx", dfd, "link.gzx"), 0);
	back = NULL;
	cr_assert_eq(gzc_index_load(dfd, "link.gzx", &back), -ELOOP);
	cr_assert_null(back);
	/* save onto a symlink replaces the link, never writes through it */
	char victim[256];
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	int vfd = open(victim, O_RDWR | O_CREAT, 0600);
	cr_assert_eq(gzc_write_all(vfd, "keep", 4), 0);
	close(vfd);
	cr_assert_eq(symlinkat("victim", dfd, "v.gzx"), 0);
	cr_assert_eq(gzc_index_save(idx, dfd, "v.gzx"), 0);
	struct stat st;
	cr_assert_eq(fstatat(dfd, "v.gzx", &st, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert(S_ISREG(st.st_mode), "v.gzx is still a symlink");
	cr_assert_eq(stat(victim, &st), 0);
	cr_assert_eq(st.st_size, 4, "the symlink's target was overwritten");

	/* not a regular file: a directory, a FIFO (must not block) */
	cr_assert_eq(mkdirat(dfd, "d.gzx", 0700), 0);
	cr_assert_eq(gzc_index_load(dfd, "d.gzx", &back), -EBADMSG);
	cr_assert_eq(mkfifoat(dfd, "f.gzx", 0600), 0);
	cr_assert_eq(gzc_index_load(dfd, "f.gzx", &back), -EBADMSG);

	/* a corrupt file on disk */
	unsigned char junk[100] = "GZCIDX\r\n";
	int jfd = openat(dfd, "j.gzx", O_RDWR | O_CREAT, 0600);
	cr_assert_eq(gzc_write_all(jfd, junk, sizeof(junk)), 0);
	close(jfd);
	cr_assert_eq(gzc_index_load(dfd, "j.gzx", &back), -EBADMSG);

	/* a save that cannot be made fails cleanly, nothing left behind: a
	 * directory we cannot write (as root, who can, a child that is user
	 * 65534 tries), and for anyone a file size limit that stops the write
	 * half-way */
	cr_assert_eq(chmod(dir, 0500), 0);
	if (geteuid() != 0) {
		cr_assert_eq(gzc_index_save(idx, dfd, "y.gzx"), -EACCES);
	} else {
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
				_exit(2);
			_exit(gzc_index_save(idx, dfd, "y.gzx") == -EACCES ? 0 : 1);
		}
		int status = -1;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "as user 65534: status %#x", status);
	}
	cr_assert_eq(chmod(dir, 0700), 0);
	cr_assert_eq(faccessat(dfd, "y.gzx", F_OK, 0), -1);
	struct rlimit old, small = { 100, 100 };
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	int saved = gzc_index_save(idx, dfd, "z.gzx");
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_eq(saved, -EFBIG, "a save past RLIMIT_FSIZE gave %d", saved);
	cr_assert_eq(faccessat(dfd, "z.gzx", F_OK, 0), -1, "a failed save left its file");
	DIR *dd = fdopendir(dup(dfd));
	for (struct dirent *de; (de = readdir(dd));)
		cr_assert_null(strstr(de->d_name, ".tmp."), "a failed save left %s", de->d_name);
	closedir(dd);
	close(dfd);
	gzc_index_free(idx);
}

/*
 * gen_sparse — streams a large, mostly-zero test input to stdout, so tests
 * can cross 4 GiB without a file of that size.
 *
 *   gen_sparse SIZE      SIZE in bytes, or with K/M/G suffix (e.g. 5G)
 *
 * The data regions (everything else is zero) are chosen so the path over
 * 4 GiB is exercised: one near the start, one straddling exactly 4 GiB,
 * sixteen scattered beyond 4 GiB at offsets that are not span aligned, and
 * the last 5000 bytes. Each data byte is a function of its absolute offset,
 * so any misplaced or wrapped (mod 2^32) byte shows up in a cmp.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define GIB4 (4ull << 30)

struct region {
	uint64_t off, len;
};

static unsigned char pattern(uint64_t x)
{
	uint64_t h = (x + 1) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (unsigned char)(h | 1); /* never zero, so no data byte looks like a hole */
}

static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*ret = v;
	return 0;
}

static int write_all(const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t size;
	struct region rg[20];
	int nrg = 0;
	static unsigned char buf[CHUNK];

	if (argc != 2 || parse_size(argv[1], &size) < 0) {
		fprintf(stderr, "usage: gen_sparse SIZE\n");
		return 2;
	}
	rg[nrg++] = (struct region){ (1u << 20) + 17, 100000 };
	rg[nrg++] = (struct region){ GIB4 - 300000, 600000 };
	for (int k = 0; k < 16; k++)
		rg[nrg++] = (struct region){ GIB4 + (uint64_t)k * (64u << 20) + 4096 + (uint64_t)k * 777, 1u << 20 };
	rg[nrg++] = (struct region){ size > 5000 ? size - 5000 : 0, 5000 };

	for (uint64_t off = 0; off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		memset(buf, 0, n);
		for (int i = 0; i < nrg; i++) {
			uint64_t a = rg[i].off > off ? rg[i].off : off;
			uint64_t b = rg[i].off + rg[i].len;
			if (b > off + n)
				b = off + n;
			if (b > size)
				b = size;
			for (uint64_t x = a; x < b; x++)
				buf[x - off] = pattern(x);
		}
		if (write_all(buf, n) < 0) {
			if (errno == EPIPE)
				return 0; /* the reader stopped early (e.g. cmp found a difference) */
			perror("gen_sparse: write");
			return 1;
		}
	}
	return 0;
}

/*
 * bench_read — read-side benchmark of the library, for tests/bench/.
 *   bench_read FILE random-uncached N   N random 4 KiB reads, each in a span not in cache
 *   bench_read FILE random-cached N     N random 4 KiB reads inside spans already cached
 *   bench_read FILE sequential          decode everything with 1 MiB reads
 * Prints one line: "<mode> median_us=<m> p90_us=<p> total_s=<t> bytes=<b>".
 * The index is loaded from FILE.gzx (built first if missing).
 */
#include "gzcore.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_read FILE random-uncached|random-cached|sequential [N]\n");
		return 2;
	}
	char idx[4096];
	snprintf(idx, sizeof(idx), "%s%s", argv[1], GZC_IDX_SUFFIX);
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	const char *mode = argv[2];
	int n = argc > 3 ? atoi(argv[3]) : 1000;
	int uncached = strcmp(mode, "random-uncached") == 0;
	struct gzc_reader_opts o = { .index_dirfd = AT_FDCWD, .index_path = idx,
				     .cache_bytes = uncached ? 1 : (512u << 20) };
	struct gzc_reader *r;
	int rc = gzc_reader_open(fd, &o, &r, NULL);
	if (rc < 0) {
		fprintf(stderr, "open: %s\n", strerror(-rc));
		return 1;
	}
	uint64_t size = gzc_reader_size(r);
	const struct gzc_index *ix = gzc_reader_index(r);
	static char buf[1 << 20];
	srand(12345);

	if (strcmp(mode, "sequential") == 0) {
		double t = now();
		uint64_t off = 0;
		while (off < size) {
			ssize_t got = gzc_reader_pread(r, buf, sizeof(buf), off);
			if (got <= 0) {
				fprintf(stderr, "read at %llu: %s\n", (unsigned long long)off, strerror((int)-got));
				return 1;
			}
			off += (uint64_t)got;
		}
		t = now() - t;
		printf("sequential total_s=%.4f bytes=%llu MBps=%.0f\n", t, (unsigned long long)size, size / t / 1e6);
		gzc_reader_close(r);
		return 0;
	}

	/* pick spans holding data: zero spans are answered without decoding */
	uint32_t *data = malloc(sizeof(*data) * ix->nspans), nd = 0;
	for (uint32_t i = 0; i < ix->nspans; i++)
		if (!(ix->spans[i].flags & GZC_SPAN_F_ZERO) && gzc_index_span_len(ix, i) >= 8192)
			data[nd++] = i;
	if (!nd) {
		fprintf(stderr, "no data spans\n");
		return 1;
	}
	double *lat = malloc(sizeof(*lat) * (size_t)n), total = now();
	for (int k = 0; k < n; k++) {
		uint32_t s = data[(uint32_t)rand() % nd];
		uint64_t len = gzc_index_span_len(ix, s);
		uint64_t off = ix->spans[s].uoff + (uint64_t)rand() % (len - 4096);
		if (!uncached) { /* warm that span first */
			if (gzc_reader_pread(r, buf, 4096, off) != 4096)
				return 1;
			off = ix->spans[s].uoff + (uint64_t)rand() % (len - 4096);
		}
		double t = now();
		ssize_t got = gzc_reader_pread(r, buf, 4096, off);
		lat[k] = (now() - t) * 1e6;
		if (got != 4096) {
			fprintf(stderr, "read failed\n");
			return 1;
		}
	}
	total = now() - total;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("%s median_us=%.1f p90_us=%.1f total_s=%.3f reads=%d\n", mode, lat[n / 2], lat[n * 9 / 10], total, n);
	free(lat);
	free(data);
	gzc_reader_close(r);
	return 0;
}

/*
 * fuzz_index.c — any bytes as an index file (.gzx), as given and with the
 * trailer CRC made right.
 *
 * Decoding must fail cleanly or give an index whose every query is safe
 * and that encodes back to an equivalent index.
 */
#include "fuzz_util.h"
#include "gzcore.h"

static void one(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	one(d, n);
	unsigned char *fixed = malloc(n + 1);
	memcpy(fixed, d, n);
	fuzz_fix_index_crc(fixed, n);
	one(fixed, n);
	free(fixed);
	return 0;
}

static void one(const uint8_t *d, size_t n)
{
	struct gzc_index *idx = NULL, *again = NULL;
	if (gzc_index_decode(d, n, &idx) < 0)
		return;
	uint64_t seed = fuzz_seed(d, n);
	FUZZ_CHECK(idx->nspans > 0 || idx->usize == 0, "no spans for %llu bytes", (unsigned long long)idx->usize);
	uint64_t total = 0;
	for (uint32_t i = 0; i < idx->nspans; i++) {
		FUZZ_CHECK(idx->spans[i].uoff == total, "span %u starts at %llu, not %llu", i,
			   (unsigned long long)idx->spans[i].uoff, (unsigned long long)total);
		total += gzc_index_span_len(idx, i);
		(void)gzc_index_span_nsegs(idx, i);
	}
	FUZZ_CHECK(total == idx->usize, "spans cover %llu of %llu", (unsigned long long)total,
		   (unsigned long long)idx->usize);
	for (int k = 0; k < 16 && idx->usize > 0; k++) {
		uint64_t off = fuzz_rand(&seed) % idx->usize;
		uint32_t i = gzc_index_find(idx, off);
		FUZZ_CHECK(i < idx->nspans && idx->spans[i].uoff <= off &&
				   off < idx->spans[i].uoff + gzc_index_span_len(idx, i),
			   "find(%llu) gave span %u", (unsigned long long)off, i);
	}
	(void)gzc_index_combined_crc(idx);
	unsigned char *buf = NULL;
	size_t len = 0;
	FUZZ_CHECK(gzc_index_encode(idx, &buf, &len) == 0, "a decoded index did not encode");
	FUZZ_CHECK(gzc_index_decode(buf, len, &again) == 0, "an encoded index did not decode");
	FUZZ_CHECK(again->nspans == idx->nspans && again->usize == idx->usize && again->csize == idx->csize &&
			   again->flags == idx->flags && again->wsize == idx->wsize && again->nseg == idx->nseg,
		   "the round trip changed the index");
	FUZZ_CHECK(idx->nspans == 0 || memcmp(again->spans, idx->spans, sizeof(*idx->spans) * idx->nspans) == 0,
		   "spans changed");
	free(buf);
	gzc_index_free(again);
	gzc_index_free(idx);
}

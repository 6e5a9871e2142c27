/*
 * ratelimit.c — the rate limit's history file (see ratelimit.h).
 */
#include "ratelimit.h"
#include "io.h"
#include "retention.h"
#include "tmpfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void gzc_ratelimit_key(const char *exe, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)exe; ; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
		if (!*p)
			break;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

struct hist {
	uint64_t *ts;
	char (*key)[17];
	size_t n, cap;
};

static int hist_push(struct hist *h, uint64_t ts, const char *key)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		uint64_t *t = realloc(h->ts, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		h->ts = t;
		char (*k)[17] = realloc(h->key, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		h->key = k;
		h->cap = cap;
	}
	h->ts[h->n] = ts;
	memcpy(h->key[h->n], key, 17);
	h->n++;
	return 0;
}

static bool is_key(const char *s, size_t len)
{
	if (len != 16)
		return false;
	for (size_t i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Reads the history; lines that do not parse are dropped (it is a cache). */
static int load(int rootfd, struct hist *h, uint64_t oldest_us)
{
	char *text = NULL;
	size_t len = 0;
	int r = gzc_read_file_at(rootfd, GZC_RATELIMIT_FILE, GZC_RATELIMIT_MAX_FILE, 0, &text, &len);
	if (r < 0)
		return 0; /* missing, unreadable or oversized: start empty */
	for (char *line = text, *nl; line < text + len && h->n < GZC_RATELIMIT_MAX_LINES; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(text + len - line));
		if (!nl)
			break;
		*nl = 0;
		char *sp = strchr(line, ' '), *end;
		if (!sp || sp == line)
			continue;
		*sp = 0;
		unsigned long long ts = strtoull(line, &end, 10);
		if (*end || !is_key(sp + 1, strlen(sp + 1)) || ts <= oldest_us)
			continue;
		if ((r = hist_push(h, ts, sp + 1)) < 0)
			break;
	}
	free(text);
	return r < 0 ? r : 0;
}

static int save(int rootfd, const struct hist *h)
{
	struct gzc_tmpfile t;
	char line[48];
	int r = gzc_tmpfile_open(rootfd, 0600, &t);
	if (r < 0)
		return r;
	FILE *f = fdopen(dup(t.fd), "w");
	if (!f) {
		gzc_tmpfile_discard(&t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->n; i++) {
		snprintf(line, sizeof(line), "%llu %s\n", (unsigned long long)h->ts[i], h->key[i]);
		fputs(line, f);
	}
	r = fclose(f) == 0 ? 0 : -errno;
	if (r == 0)
		r = gzc_tmpfile_replace(&t, GZC_RATELIMIT_FILE);
	gzc_tmpfile_discard(&t);
	return r;
}

int gzc_ratelimit_admit(int rootfd, const char *key, uint64_t now_us, uint32_t count, uint64_t window_s,
			bool *ret_allowed)
{
	struct hist h = { 0 };
	uint64_t win_us = window_s > UINT64_MAX / 1000000 ? UINT64_MAX : window_s * 1000000;
	uint64_t oldest = now_us > win_us ? now_us - win_us : 0;
	int r;

	*ret_allowed = true;
	if (!count)
		return 0;
	r = load(rootfd, &h, oldest);
	if (r < 0)
		goto out;
	uint64_t *mine = malloc((h.n ? h.n : 1) * sizeof(*mine));
	size_t k = 0;
	if (!mine) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < h.n; i++)
		if (strcmp(h.key[i], key) == 0)
			mine[k++] = h.ts[i];
	*ret_allowed = gzc_rate_allows(mine, k, now_us, count, window_s);
	free(mine);
	if (*ret_allowed) {
		/* full: forget the oldest half rather than refuse to remember */
		if (h.n >= GZC_RATELIMIT_MAX_LINES) {
			size_t drop = h.n / 2;
			memmove(h.ts, h.ts + drop, (h.n - drop) * sizeof(*h.ts));
			memmove(h.key, h.key + drop, (h.n - drop) * sizeof(*h.key));
			h.n -= drop;
		}
		if ((r = hist_push(&h, now_us, key)) == 0)
			r = save(rootfd, &h);
		if (r < 0)
			*ret_allowed = true;
	}
out:
	free(h.ts);
	free(h.key);
	return r;
}

int gzc_ratelimit_forget(int rootfd, const char *key, uint64_t ts_us)
{
	struct hist h = { 0 };
	int r = load(rootfd, &h, 0);
	size_t i = h.n;
	if (r == 0)
		for (i = 0; i < h.n && (h.ts[i] != ts_us || strcmp(h.key[i], key) != 0); i++)
			;
	if (r == 0 && i < h.n) {
		memmove(h.ts + i, h.ts + i + 1, (h.n - i - 1) * sizeof(*h.ts));
		memmove(h.key + i, h.key + i + 1, (h.n - i - 1) * sizeof(*h.key));
		h.n--;
		r = save(rootfd, &h);
	}
	free(h.ts);
	free(h.key);
	return r;
}

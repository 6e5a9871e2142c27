/*
 * ratelimit.c — the rate limit's history file (see ratelimit.h).
 */
#include "ratelimit.h"
#include "io.h"
#include "procinfo.h"
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

/* One admitted crash. A pending one (pid > 0) was noted by a handler that
 * has not stored its core yet: it counts while that handler lives. */
struct entry {
	uint64_t ts;
	char key[17];
	int32_t pid;    /* the handler holding it, 0 when stored (confirmed) */
	uint64_t start; /* that handler's start time, clock ticks after boot */
};

struct hist {
	struct entry *e;
	size_t n, cap;
};

static int hist_push(struct hist *h, const struct entry *e)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct entry *t = realloc(h->e, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		h->e = t;
		h->cap = cap;
	}
	h->e[h->n++] = *e;
	return 0;
}

static void hist_drop(struct hist *h, size_t i, size_t count)
{
	memmove(h->e + i, h->e + i + count, (h->n - i - count) * sizeof(*h->e));
	h->n -= count;
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

/* Start time of a live process pid (0 when it is gone or a zombie).
 * Errors: -errno other than "no such process" (the caller keeps the entry). */
static int start_of(pid_t pid, uint64_t *ret)
{
	int dfd, r;
	char *text = NULL, state;
	size_t len;
	*ret = 0;
	r = gzc_proc_open("/proc", pid, -1, &dfd);
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	r = gzc_proc_read(dfd, "stat", 4096, &text, &len);
	close(dfd);
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	r = gzc_proc_parse_stat(text, len, &state, ret);
	free(text);
	if (r == 0 && state == 'Z')
		*ret = 0;
	return r;
}

/* "<ts> <key>" or "<ts> <key> <pid>/<start>"; false for anything else */
static bool parse_line(char *line, struct entry *e)
{
	char *end;
	if (*line < '0' || *line > '9')
		return false;
	unsigned long long ts = strtoull(line, &end, 10);
	const char *k = end + 1;
	if (*end != ' ' || strnlen(k, 16) != 16 || !is_key(k, 16) || (k[16] && k[16] != ' '))
		return false;
	memcpy(e->key, k, 16);
	e->key[16] = 0;
	e->ts = ts;
	e->pid = 0;
	e->start = 0;
	end += 17;
	if (!*end)
		return true;
	if (*end != ' ' || end[1] < '1' || end[1] > '9')
		return false;
	unsigned long pid = strtoul(end + 1, &end, 10);
	if (*end != '/' || pid > INT32_MAX || end[1] < '0' || end[1] > '9')
		return false;
	unsigned long long start = strtoull(end + 1, &end, 10);
	if (*end)
		return false;
	e->pid = (int32_t)pid;
	e->start = start;
	return true;
}

/* Reads the history; lines that do not parse are dropped (it is a cache),
 * and with drop_dead so are the pending entries of handlers gone (killed
 * before they stored their core or gave their slot back). */
static int load(int rootfd, struct hist *h, uint64_t oldest_us, bool drop_dead)
{
	char *text = NULL;
	size_t len = 0;
	int r = gzc_read_file_at(rootfd, GZC_RATELIMIT_FILE, GZC_RATELIMIT_MAX_FILE, 0, &text, &len);
	if (r < 0)
		return 0; /* missing, unreadable or oversized: start empty */
	for (char *line = text, *nl; line < text + len && h->n < GZC_RATELIMIT_MAX_LINES; line = nl + 1) {
		struct entry e;
		uint64_t start;
		nl = memchr(line, '\n', (size_t)(text + len - line));
		if (!nl)
			break;
		*nl = 0;
		if (!parse_line(line, &e) || e.ts <= oldest_us)
			continue;
		if (drop_dead && e.pid && start_of(e.pid, &start) == 0 && start != e.start)
			continue;
		if ((r = hist_push(h, &e)) < 0)
			break;
	}
	free(text);
	return r < 0 ? r : 0;
}

static int save(int rootfd, const struct hist *h)
{
	struct gzc_tmpfile t;
	char line[80];
	int r = gzc_tmpfile_open(rootfd, 0600, &t);
	if (r < 0)
		return r;
	FILE *f = fdopen(dup(t.fd), "w");
	if (!f) {
		gzc_tmpfile_discard(&t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->n; i++) {
		const struct entry *e = &h->e[i];
		if (e->pid)
			snprintf(line, sizeof(line), "%llu %s %ld/%llu\n", (unsigned long long)e->ts, e->key,
				 (long)e->pid, (unsigned long long)e->start);
		else
			snprintf(line, sizeof(line), "%llu %s\n", (unsigned long long)e->ts, e->key);
		fputs(line, f);
	}
	r = fclose(f) == 0 ? 0 : -errno;
	if (r == 0)
		r = gzc_tmpfile_replace(&t, GZC_RATELIMIT_FILE);
	gzc_tmpfile_discard(&t);
	return r;
}

int gzc_ratelimit_admit(int rootfd, const char *key, uint64_t now_us, uint32_t count, uint64_t window_s,
			pid_t holder, bool *ret_allowed)
{
	struct hist h = { 0 };
	uint64_t win_us = window_s > UINT64_MAX / 1000000 ? UINT64_MAX : window_s * 1000000;
	uint64_t oldest = now_us > win_us ? now_us - win_us : 0;
	int r;

	*ret_allowed = true;
	if (!count)
		return 0;
	r = load(rootfd, &h, oldest, true);
	if (r < 0)
		goto out;
	uint64_t *mine = malloc((h.n ? h.n : 1) * sizeof(*mine));
	size_t k = 0;
	if (!mine) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < h.n; i++)
		if (strcmp(h.e[i].key, key) == 0)
			mine[k++] = h.e[i].ts;
	*ret_allowed = gzc_rate_allows(mine, k, now_us, count, window_s);
	free(mine);
	if (*ret_allowed) {
		struct entry e = { .ts = now_us };
		memcpy(e.key, key, 17);
		/* a holder whose start time cannot be read leaves a stored entry:
		 * it then counts even if that handler dies (as before pending ones) */
		if (holder > 0 && holder <= INT32_MAX && start_of(holder, &e.start) == 0 && e.start)
			e.pid = (int32_t)holder;
		else
			e.start = 0;
		/* full: forget the oldest half rather than refuse to remember */
		if (h.n >= GZC_RATELIMIT_MAX_LINES)
			hist_drop(&h, 0, h.n / 2);
		if ((r = hist_push(&h, &e)) == 0)
			r = save(rootfd, &h);
		if (r < 0)
			*ret_allowed = true;
	}
out:
	free(h.e);
	return r;
}

/* The entry of key at ts_us that holder noted: pending with its pid, else
 * (its start time could not be read) a final one. Two crashes of one
 * executable may share a timestamp (the kernel gives seconds): the pid
 * tells their entries apart. Returns h->n if none. */
static size_t find(const struct hist *h, const char *key, uint64_t ts_us, pid_t holder)
{
	size_t final = h->n;
	for (size_t i = 0; i < h->n; i++) {
		const struct entry *e = &h->e[i];
		if (e->ts != ts_us || strcmp(e->key, key) != 0)
			continue;
		if (holder > 0 && e->pid == holder)
			return i;
		if (!e->pid && final == h->n)
			final = i;
	}
	return final;
}

int gzc_ratelimit_forget(int rootfd, const char *key, uint64_t ts_us, pid_t holder)
{
	struct hist h = { 0 };
	int r = load(rootfd, &h, 0, false);
	size_t i = r == 0 ? find(&h, key, ts_us, holder) : h.n;
	if (i < h.n) {
		hist_drop(&h, i, 1);
		r = save(rootfd, &h);
	}
	free(h.e);
	return r;
}

int gzc_ratelimit_confirm(int rootfd, const char *key, uint64_t ts_us, pid_t holder)
{
	struct hist h = { 0 };
	int r = load(rootfd, &h, 0, false);
	size_t i = r == 0 ? find(&h, key, ts_us, holder) : h.n;
	if (i < h.n && h.e[i].pid) {
		h.e[i].pid = 0;
		h.e[i].start = 0;
		r = save(rootfd, &h);
	}
	free(h.e);
	return r;
}

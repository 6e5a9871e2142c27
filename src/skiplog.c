/*
 * skiplog.c — the log of crashes whose core was not stored (skiplog.h).
 */
#include "skiplog.h"
#include "io.h"
#include "tmpfile.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

/* The keys of a record besides timestamp_us and reason, and where each
 * lives in struct gzc_meta. */
struct field {
	const char *key;
	size_t off;
};
static const struct field str_fields[] = {
	{ "signal_name", offsetof(struct gzc_meta, signal_name) },
	{ "comm", offsetof(struct gzc_meta, comm) },
	{ "exe", offsetof(struct gzc_meta, exe) },
	{ "app", offsetof(struct gzc_meta, app) },
	{ "app_version", offsetof(struct gzc_meta, app_version) },
};
static const struct field int_fields[] = {
	{ "pid", offsetof(struct gzc_meta, pid) },
	{ "uid", offsetof(struct gzc_meta, uid) },
	{ "signal", offsetof(struct gzc_meta, signal) },
};

#define STR_AT(m, off) (*(char **)((char *)(m) + (off)))
#define INT_AT(m, off) (*(int64_t *)((char *)(m) + (off)))

/* How much of s is kept: at most GZC_SKIPLOG_STR_MAX bytes, not cut
 * inside a UTF-8 sequence. */
static size_t cut_len(const char *s)
{
	size_t n = strnlen(s, GZC_SKIPLOG_STR_MAX + 1);
	if (n > GZC_SKIPLOG_STR_MAX) {
		n = GZC_SKIPLOG_STR_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return n;
}

/* A JSON string of what is kept of s; NULL for NULL. */
static json_object *cut_string(const char *s) { return s ? json_object_new_string_len(s, (int)cut_len(s)) : NULL; }

/* The record as one line, newline included. Caller frees. */
static char *format_line(const struct gzc_meta *m, const char *reason)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "timestamp_us", json_object_new_int64((int64_t)m->timestamp_us));
	for (size_t i = 0; i < sizeof(int_fields) / sizeof(int_fields[0]); i++)
		if (INT_AT(m, int_fields[i].off) >= 0)
			json_object_object_add(o, int_fields[i].key, json_object_new_int64(INT_AT(m, int_fields[i].off)));
	for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++)
		if (STR_AT(m, str_fields[i].off))
			json_object_object_add(o, str_fields[i].key, cut_string(STR_AT(m, str_fields[i].off)));
	json_object_object_add(o, "reason", cut_string(reason));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *line = NULL;
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	json_object_put(o);
	return line;
}

/* One line into *s; 0 if it is a record, -EBADMSG if not, -ENOMEM. */
static int parse_line(const char *p, size_t len, struct gzc_skip *s)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_object *o = json_tokener_parse_ex(tok, p, (int)len), *v;
	int r = -EBADMSG;
	bool whole = json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	gzc_meta_init(&s->meta);
	s->reason = NULL;
	if (!o || !whole || !json_object_is_type(o, json_type_object))
		goto out;
	if (!json_object_object_get_ex(o, "timestamp_us", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		goto out;
	s->meta.timestamp_us = (uint64_t)json_object_get_int64(v);
	if (!json_object_object_get_ex(o, "reason", &v) || !json_object_is_type(v, json_type_string))
		goto out;
	r = -ENOMEM;
	const char *str = json_object_get_string(v);
	if (!(s->reason = strndup(str, cut_len(str))))
		goto out;
	for (size_t i = 0; i < sizeof(int_fields) / sizeof(int_fields[0]); i++)
		if (json_object_object_get_ex(o, int_fields[i].key, &v) && json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) >= 0 && json_object_get_int64(v) <= INT32_MAX)
			INT_AT(&s->meta, int_fields[i].off) = json_object_get_int64(v);
	for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++) {
		if (!json_object_object_get_ex(o, str_fields[i].key, &v) || !json_object_is_type(v, json_type_string))
			continue;
		str = json_object_get_string(v);
		if (!(STR_AT(&s->meta, str_fields[i].off) = strndup(str, cut_len(str))))
			goto out;
	}
	r = 0;
out:
	if (r < 0) {
		gzc_meta_clear(&s->meta);
		free(s->reason);
		s->reason = NULL;
	}
	json_object_put(o);
	return r;
}

int gzc_skiplog_parse(const char *text, size_t len, struct gzc_skip **ret, size_t *ret_n)
{
	struct gzc_skip *s = calloc(GZC_SKIPLOG_MAX, sizeof(*s));
	size_t n = 0;
	if (!s)
		return -ENOMEM;
	/* the newest lines are last: walk back from the end */
	size_t end = len;
	while (end > 0 && n < GZC_SKIPLOG_MAX) {
		if (text[end - 1] != '\n') { /* a last line cut short: not a record */
			while (end > 0 && text[end - 1] != '\n')
				end--;
			continue;
		}
		size_t start = end - 1;
		while (start > 0 && text[start - 1] != '\n')
			start--;
		size_t l = end - 1 - start;
		if (l > 0 && l <= GZC_SKIPLOG_LINE_MAX) {
			int r = parse_line(text + start, l, &s[n]);
			if (r == -ENOMEM) {
				gzc_skiplog_free(s, n);
				return r;
			}
			n += r == 0;
		}
		end = start;
	}
	*ret = s;
	*ret_n = n;
	return 0;
}

int gzc_skiplog_read(int rootfd, struct gzc_skip **ret, size_t *ret_n)
{
	char *text = NULL;
	size_t len = 0;
	int r = gzc_read_file_at(rootfd, GZC_SKIPLOG_FILE, GZC_SKIPLOG_MAX_FILE, 0, &text, &len);
	if (r == -ENOENT) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	r = gzc_skiplog_parse(text, len, ret, ret_n);
	free(text);
	return r;
}

void gzc_skiplog_free(struct gzc_skip *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++) {
		gzc_meta_clear(&s[i].meta);
		free(s[i].reason);
	}
	free(s);
}

/* Rewrites the log as its newest GZC_SKIPLOG_MAX - 1 whole lines plus
 * line (a file that cannot be read, damaged or too big, starts over). */
static int compact(int rootfd, const char *line)
{
	char *text = NULL;
	size_t len = 0, from = 0;
	if (gzc_read_file_at(rootfd, GZC_SKIPLOG_FILE, GZC_SKIPLOG_MAX_FILE, 0, &text, &len) < 0)
		len = 0;
	while (len > 0 && text[len - 1] != '\n')
		len--; /* a line cut short */
	unsigned lines = 0;
	for (size_t i = len; i > 0; i--)
		if (text[i - 1] == '\n' && i != len && ++lines == GZC_SKIPLOG_MAX - 1) {
			from = i;
			break;
		}
	struct gzc_tmpfile t;
	int r = gzc_tmpfile_open(rootfd, 0600, &t);
	if (r == 0) {
		r = gzc_write_all(t.fd, text ? text + from : "", len - from);
		if (r == 0)
			r = gzc_write_all(t.fd, line, strlen(line));
		if (r == 0)
			r = gzc_tmpfile_replace(&t, GZC_SKIPLOG_FILE);
		gzc_tmpfile_discard(&t);
	}
	free(text);
	return r;
}

int gzc_skiplog_add(int rootfd, const struct gzc_meta *m, const char *reason)
{
	if (!m || !reason)
		return -EINVAL;
	char *line = format_line(m, reason);
	if (!line)
		return -ENOMEM;
	/* usually one append (a crash storm must cost little under the store
	 * lock, and a nearly full disk must still take one line); the file is
	 * rewritten to its newest records only when it has grown past
	 * GZC_SKIPLOG_COMPACT_AT, or is missing or not a plain file */
	size_t n = strlen(line);
	struct stat st;
	char last = '\n';
	int r = 1, fd = openat(rootfd, GZC_SKIPLOG_FILE, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (uint64_t)st.st_size + n + 1 <= GZC_SKIPLOG_COMPACT_AT) {
		/* after a line cut short (a crash mid-append), start a new one */
		if (st.st_size && pread(fd, &last, 1, st.st_size - 1) != 1)
			last = '\n';
		r = last == '\n' ? 0 : gzc_write_all(fd, "\n", 1);
		if (r == 0)
			r = gzc_write_all(fd, line, n);
	}
	if (fd >= 0)
		close(fd);
	if (r > 0)
		r = compact(rootfd, line);
	free(line);
	return r;
}

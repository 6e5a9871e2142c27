/*
 * util.c — messages, sizes and the progress bar of the front end.
 */
#include "cli.h"
#include "config.h"
#include "corenote.h"
#include "utf8.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

int cli_syslog;

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (cli_syslog) {
		vsyslog(LOG_ERR, fmt, ap);
	} else {
		fputs("gzcoredump: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

void cli_config_error(const char *path, int r, const struct gzc_config_error *err, const char *then)
{
	char more[48] = "", sp[4 * 4096 + 1], sk[4 * sizeof(err->key) + 1];
	/* the path and the key are the config file's text: escaped */
	cli_printable_or(path, "?", sp, sizeof(sp));
	if (err && err->count > 1)
		snprintf(more, sizeof(more), " (and %u more bad line%s)", err->count - 1, err->count > 2 ? "s" : "");
	if (err && err->line)
		cli_error("%s:%u: %s%s%s%s%s%s", sp, err->line, cli_printable_or(err->key, "", sk, sizeof(sk)),
			  err->key[0] ? ": " : "", err->what ? err->what : strerror(-r), more, then ? "; " : "",
			  then ? then : "");
	else
		cli_error("%s: %s%s%s", sp, err && err->what ? err->what : strerror(-r), then ? "; " : "",
			  then ? then : "");
}

void cli_bad_option(const char *cmd, int opt, char **argv, const char *hint)
{
	char o[64];
	const char *pre = cmd ? cmd : "", *sep = cmd ? ": " : "";
	const char *given = argv[optind - 1];
	if (optopt > 0 && optopt < 256 && strncmp(given, "--", 2) != 0)
		snprintf(o, sizeof(o), "-%c", optopt);
	else { /* a long option as it was written, without its value */
		char raw[64];
		snprintf(raw, sizeof(raw), "%.*s", (int)strcspn(given, "="), given);
		cli_printable(raw, o, sizeof(o));
	}
	if (opt == ':')
		cli_error("%s%s%s needs a value (see gzcoredump -h)%s", pre, sep, o, hint);
	else
		cli_error("%s%sunknown option %s (see gzcoredump -h)%s", pre, sep, o, hint);
}

/* Length of the valid UTF-8 sequence at s (1-4) that is no control
 * character, no bidirectional control (which could make a name read
 * backwards) and no backslash (so an escape in the output is always ours),
 * or 0. */
static size_t utf8_ok(const unsigned char *s)
{
	uint32_t cp;
	size_t n = gzc_utf8_seq(s, 4, &cp); /* s is NUL-terminated: never read past it */
	if (!n || cp < 0x20 || cp == 0x7f || cp == '\\' || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	if (cp == 0x61c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

void cli_printable(const char *s, char *buf, size_t cap)
{
	size_t j = 0;
	if (cap < 6) {
		if (cap)
			buf[0] = 0;
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
		size_t n = utf8_ok(p);
		if (n) {
			if (j + n + 1 > cap)
				break;
			memcpy(buf + j, p, n);
			j += n;
			p += n;
		} else {
			if (j + 5 > cap)
				break;
			j += (size_t)snprintf(buf + j, cap - j, "\\x%02x", *p++);
		}
	}
	buf[j] = 0;
}

char *cli_printable_lines(const char *text, const char *first, const char *rest)
{
	char *out = NULL, *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (const char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p), cap = 4 * n + 6;
		char *l = realloc(line, cap), *copy = strndup(p, n);
		if (!l || !copy) {
			free(l ? l : line);
			free(copy);
			fclose(f);
			free(out);
			return NULL;
		}
		line = l;
		cli_printable(copy, line, cap);
		free(copy);
		fprintf(f, "%s%s\n", !*line ? "" : p == text ? first : rest, line);
	}
	free(line);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

const char *cli_printable_or(const char *s, const char *none, char *buf, size_t cap)
{
	if (!s)
		return none;
	cli_printable(s, buf, cap);
	return buf;
}

void cli_put_json(const char *text, FILE *f)
{
	/* json-c escapes C0 controls but passes every other byte through: a
	 * byte that is not UTF-8 (a comm, a cmdline, a file name) would make
	 * the text no JSON at all (RFC 8259 wants UTF-8), and DEL, C1 controls
	 * (U+009B is CSI) and bidirectional controls would reach the terminal.
	 * Bytes >= 0x80 only occur inside strings, so each can be rewritten. */
	for (const unsigned char *p = (const unsigned char *)text; p && *p;) {
		if (*p < 0x80) {
			if (*p == 0x7f)
				fputs("\\u007f", f);
			else
				fputc(*p, f);
			p++;
			continue;
		}
		size_t n = utf8_ok(p);
		if (n) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		/* not printable as it is: a valid sequence (a C1 or bidi control,
		 * all below U+10000) is escaped as its code point, an invalid
		 * byte becomes U+FFFD */
		uint32_t cp;
		if ((n = gzc_utf8_seq(p, 4, &cp)) && cp <= 0xffff) {
			fprintf(f, "\\u%04x", (unsigned)cp);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	fputc('\n', f);
}

int cli_parse_size(const char *s, uint64_t *ret)
{
	return gzc_config_parse_size(s, ret);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress_init(struct cli_progress *p, const char *label, uint64_t total)
{
	p->label = label;
	/* a bar only where someone watches, and only for files worth it */
	p->enabled = isatty(STDERR_FILENO) && total >= (64u << 20) && !cli_syslog;
	p->last_shown = 0;
	p->start = now();
}

int cli_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	struct cli_progress *p = ctx;
	if (!p->enabled || total == 0)
		return 0;
	uint64_t pct = done * 100 / total;
	if (pct == p->last_shown && done != total)
		return 0;
	p->last_shown = pct;
	double secs = now() - p->start;
	double rate = secs > 0 ? done / secs / 1e6 : 0;
	int width = 40, fill = (int)(pct * (uint64_t)width / 100);
	fprintf(stderr, "\r%-10s [%.*s%*s] %3u%% %8.1f MB/s", p->label, fill,
		"========================================", width - fill, "", (unsigned)pct, rate);
	fflush(stderr);
	return 0;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->enabled) {
		fputc('\n', stderr);
		p->enabled = 0;
	}
}

int cli_core_cut_short(const struct gzc_writer *w, uint64_t *ret_expected)
{
	size_t len;
	const void *head = gzc_writer_head(w, &len);
	uint64_t end;
	int r = gzc_core_extent_mem(head, len, &end);
	if (r < 0 && r != -ENODATA) /* -ENODATA: the tables lie past the head, end is a least end */
		return 0;
	*ret_expected = end;
	return gzc_writer_bytes_in(w) < end;
}

void cli_resolve_limits(struct gzc_config *cfg, int rootfd)
{
	uint64_t fs_size = 0;
	if (gzc_store_fs_size(rootfd, &fs_size) < 0)
		cli_error("cannot size the store's file system: its share limits (max_use, keep_free) are off");
	gzc_config_resolve(cfg, fs_size);
}

struct gzc_ret_limits cli_limits(const struct gzc_config *cfg, bool by_signature)
{
	return (struct gzc_ret_limits){ .max_use = cfg->max_use, .keep_free = cfg->keep_free,
					.max_per_app = cfg->max_per_app,
					.max_per_signature = by_signature ? cfg->max_per_signature : 0,
					.max_age_s = cfg->max_age_s };
}

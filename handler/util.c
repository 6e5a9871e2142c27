/*
 * util.c — messages, sizes and the progress bar of the front end.
 */
#include "cli.h"
#include "config.h"
#include "corenote.h"

#include <errno.h>
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
	char more[48] = "";
	if (err && err->count > 1)
		snprintf(more, sizeof(more), " (and %u more bad line%s)", err->count - 1, err->count > 2 ? "s" : "");
	if (err && err->line)
		cli_error("%s:%u: %s%s%s%s%s%s", path, err->line, err->key[0] ? err->key : "", err->key[0] ? ": " : "",
			  err->what ? err->what : strerror(-r), more, then ? "; " : "", then ? then : "");
	else
		cli_error("%s: %s%s%s", path, err && err->what ? err->what : strerror(-r), then ? "; " : "",
			  then ? then : "");
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
	if (gzc_core_extent_mem(head, len, &end) < 0)
		return 0;
	*ret_expected = end;
	return gzc_writer_bytes_in(w) < end;
}

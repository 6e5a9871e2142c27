/* Unit tests for config.c: every key, strict values, errors with line numbers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static int parse(struct gzc_config *c, const char *text, unsigned *line)
{
	struct gzc_config_error e;
	gzc_config_init(c);
	int r = gzc_config_parse(c, text, strlen(text), &e);
	if (line)
		*line = e.line;
	return r;
}

Test(config, defaults)
{
	struct gzc_config c;
	gzc_config_init(&c);
	cr_assert_str_eq(c.store, "/var/core");
	cr_assert_str_eq(c.section, ".uuid");
	cr_assert_eq(c.container, GZC_GZIP);
	/* systemd-coredump's: 10% and 15% of the store's file system, at most 4G */
	cr_assert_eq(c.max_use_pct, 10);
	cr_assert_eq(c.keep_free_pct, 15);
	cr_assert_eq(c.max_use_cap, 4ull << 30);
	cr_assert_eq(c.keep_free_cap, 4ull << 30);
	cr_assert_eq(c.hook_timeout_s, 5);
	gzc_config_resolve(&c, 20ull << 30); /* 20 GiB: 2 GiB and 3 GiB */
	cr_assert_eq(c.max_use, 2ull << 30);
	cr_assert_eq(c.keep_free, 3ull << 30);
	gzc_config_init(&c);
	gzc_config_resolve(&c, 1ull << 40); /* 1 TiB: both capped */
	cr_assert_eq(c.max_use, 4ull << 30);
	cr_assert_eq(c.keep_free, 4ull << 30);
	gzc_config_init(&c);
	gzc_config_resolve(&c, 0); /* a file system that could not be sized: no limit */
	cr_assert_eq(c.max_use, 0);
	cr_assert_eq(c.keep_free, 0);
}

/* max_use and keep_free as N% (no cap: only the defaults have one), a size
 * in bytes, or 0 for none; each replaces the default share */
Test(config, shares_of_the_file_system)
{
	struct gzc_config c;
	unsigned line = 0;
	cr_assert_eq(parse(&c, "max_use = 50%\nkeep_free = 0\n", &line), 0, "line %u", line);
	gzc_config_resolve(&c, 1ull << 40);
	cr_assert_eq(c.max_use, 1ull << 39, "an explicit share has no cap");
	cr_assert_eq(c.keep_free, 0, "0 is no limit");
	cr_assert_eq(parse(&c, "max_use = 1G\nkeep_free = 100%\n", &line), 0);
	gzc_config_resolve(&c, 1000);
	cr_assert_eq(c.max_use, 1ull << 30);
	cr_assert_eq(c.keep_free, 1000);
	cr_assert_eq(parse(&c, "keep_free = 7%\n", &line), 0);
	gzc_config_resolve(&c, UINT64_MAX); /* no overflow */
	cr_assert_eq(c.keep_free, UINT64_MAX / 100 * 7 + UINT64_MAX % 100 * 7 / 100);
	static const char *const bad[] = { "max_use = 101%\n", "max_use = %\n",	"max_use = -1%\n",
					   "keep_free = 1.5%\n", "keep_free = 10 %\n", "keep_free = 10%%\n",
					   "max_use = 12345678%\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse(&c, bad[i], &line), -EINVAL, "accepted: %s", bad[i]);
}

Test(config, every_key)
{
	struct gzc_config c;
	unsigned line = 0;
	const char *text = "# comment\n\n"
			   "store = /srv/cores\n level=3 \nformat = zlib\nspan = 4M\nthreads = 2\n"
			   "max_core_size = 2G\nmax_use = 10G\nkeep_free = 1GiB\nmax_per_app = 1\nmax_per_signature = 2\n"
			   "max_age = 30d\nrate_limit = 5/hour\nsection = .appid\n"
			   "pre_hook = echo end > /proc/watchdog # not a comment\n"
			   "post_hook = \"logger done\"\nhook_timeout = 2m\r\nstack_trace = no\n";
	cr_assert_eq(parse(&c, text, &line), 0, "line %u", line);
	cr_assert_str_eq(c.store, "/srv/cores");
	cr_assert_eq(c.level, 3);
	cr_assert_eq(c.container, GZC_ZLIB);
	cr_assert_eq(c.span, 4u << 20);
	cr_assert_eq(c.threads, 2);
	cr_assert_eq(c.max_core_size, 2ull << 30);
	cr_assert_eq(c.max_use, 10ull << 30);
	cr_assert_eq(c.keep_free, 1ull << 30);
	cr_assert_eq(c.max_use_pct, 0, "a size replaces the default share");
	cr_assert_eq(c.keep_free_pct, 0);
	cr_assert_eq(c.max_per_app, 1);
	cr_assert_eq(c.max_per_signature, 2);
	cr_assert_eq(c.max_age_s, 30 * 86400);
	cr_assert_eq(c.rate_count, 5);
	cr_assert_eq(c.rate_window_s, 3600);
	cr_assert_str_eq(c.section, ".appid");
	cr_assert_str_eq(c.pre_hook, "echo end > /proc/watchdog # not a comment");
	cr_assert_str_eq(c.post_hook, "logger done");
	cr_assert_eq(c.hook_timeout_s, 120);
	cr_assert_eq(c.stack_trace, 0);
	/* on by default; yes/true/on/1 and no/false/off/0, nothing else */
	cr_assert_eq(parse(&c, "", &line), 0);
	cr_assert_eq(c.stack_trace, 1);
	cr_assert_eq(parse(&c, "stack_trace = off\nstack_trace = true\n", &line), 0);
	cr_assert_eq(c.stack_trace, 1);
	cr_assert_eq(parse(&c, "stack_trace = false\n", &line), 0);
	cr_assert_eq(c.stack_trace, 0);
	cr_assert_lt(parse(&c, "stack_trace = maybe\n", &line), 0);
	cr_assert_lt(parse(&c, "stack_trace =\n", &line), 0);
}

Test(config, errors_name_the_line)
{
	struct gzc_config c;
	unsigned line = 0;
	static const char *const bad[] = {
		"level = 0\n", "level = 10\n", "format = zstd\n", "span = 1K\n", "span = 65M\n", "threads = 65\n",
		"max_use = -1\n", "max_use = 1X\n", "max_age = 3 days\n", "rate_limit = 5\n", "rate_limit = 5/fortnight\n",
		"rate_limit = x/hour\n", "store = relative/path\n", "unknown = 1\n", "no equals sign\n",
		"max_per_app = 1.5\n", "max_per_signature = -1\n", "section = \n", "hook_timeout = 0\n", "max_use = 99999999999999999999\n",
		/* spans out of 64K..64M, hook timeouts out of 1s..1h, overflows */
		"span = 65535\n", "span = 1T\n", "span = 99999999999999999999\n", "hook_timeout = 3601\n",
		"hook_timeout = 61m\n", "hook_timeout = 99999999999999999weeks\n", "max_age = 99999999999999999weeks\n",
		"max_age = 99999999999999999 weeks\n", "rate_limit = 4294967296/hour\n", "rate_limit = 1/99999999999999999w\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "# ok\nlevel = 5\n%s", bad[i]);
		line = 0;
		cr_assert_eq(parse(&c, text, &line), -EINVAL, "accepted: %s", bad[i]);
		cr_assert_eq(line, 3, "%s: line %u", bad[i], line);
		cr_assert_eq(c.level, 5, "lines before the error are applied");
	}
}

/* One typo costs that line only: what comes after it still applies, above
 * all the store, and the first bad line is described. */
Test(config, bad_lines_are_skipped_and_described)
{
	struct gzc_config c;
	struct gzc_config_error e;
	static const char text[] = "max-use = 1G\n"
				   "store = /srv/cores\n"
				   "level = 12\n"
				   "max_per_app = 3\n"
				   "just words\n";
	gzc_config_init(&c);
	cr_assert_eq(gzc_config_parse(&c, text, strlen(text), &e), -EINVAL);
	cr_assert_str_eq(c.store, "/srv/cores");
	cr_assert_eq(c.max_per_app, 3);
	cr_assert_eq(c.level, 0, "a bad value leaves the setting as it was");
	cr_assert_eq(e.line, 1);
	cr_assert_str_eq(e.key, "max-use");
	cr_assert_str_eq(e.what, "unknown setting");
	cr_assert_eq(e.count, 3);
	gzc_config_init(&c);
	cr_assert_eq(gzc_config_parse(&c, "level = 12\n", 11, &e), -EINVAL);
	cr_assert(e.line == 1 && !strcmp(e.key, "level") && !strcmp(e.what, "bad value") && e.count == 1);
	cr_assert_eq(gzc_config_parse(&c, "just words\n", 11, &e), -EINVAL);
	cr_assert(e.line == 1 && !e.key[0] && !strcmp(e.what, "no '=' in the line"));
	/* a key too long for the report is cut, not overflowed */
	char longkey[200];
	memset(longkey, 'k', sizeof(longkey));
	memcpy(longkey + 150, " = 1\n", 6);
	cr_assert_eq(gzc_config_parse(&c, longkey, strlen(longkey), &e), -EINVAL);
	cr_assert_eq(strlen(e.key), sizeof(e.key) - 1);
	cr_assert_eq(gzc_config_parse(&c, "# nothing wrong\n", 16, &e), 0);
	cr_assert(e.line == 0 && e.count == 0);
}

Test(config, sizes_durations_rates)
{
	uint64_t v, w;
	uint32_t n;
	cr_assert_eq(gzc_config_parse_size("64K", &v), 0);
	cr_assert_eq(v, 65536);
	cr_assert_eq(gzc_config_parse_size("3MB", &v), 0);
	cr_assert_eq(v, 3u << 20);
	cr_assert_eq(gzc_config_parse_size("", &v), -EINVAL);
	cr_assert_eq(gzc_config_parse_size("20000000T", &v), -ERANGE);
	cr_assert_eq(gzc_config_parse_number("3600000", 3600000, &v), 0);
	cr_assert_eq(v, 3600000);
	cr_assert_eq(gzc_config_parse_number("3600001", 3600000, &v), -ERANGE);
	cr_assert_eq(gzc_config_parse_number("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	const char *const not_numbers[] = { "", "1K", "8B", " 4", "+4", "-1", "4 ", "0x10", "1.5" };
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++)
		cr_assert_eq(gzc_config_parse_number(not_numbers[i], UINT64_MAX, &v), -EINVAL, "%s", not_numbers[i]);
	cr_assert_eq(gzc_config_parse_duration("90", &v), 0);
	cr_assert_eq(v, 90);
	cr_assert_eq(gzc_config_parse_duration("2w", &v), 0);
	cr_assert_eq(v, 14 * 86400);
	cr_assert_eq(gzc_config_parse_duration("1y", &v), -EINVAL);
	cr_assert_eq(gzc_config_parse_rate("3/30m", &n, &w), 0);
	cr_assert(n == 3 && w == 1800);
	cr_assert_eq(gzc_config_parse_rate("10/day", &n, &w), 0);
	cr_assert(n == 10 && w == 86400);
	cr_assert_eq(gzc_config_parse_rate("0", &n, &w), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(gzc_config_parse_rate("1/0s", &n, &w), -EINVAL);
	cr_assert_eq(gzc_config_parse_rate("1/", &n, &w), -EINVAL);
}

Test(config, limits_of_the_file)
{
	struct gzc_config c;
	unsigned line = 0;
	char big[GZC_CONFIG_MAX_VALUE + 100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "pre_hook=", 9);
	cr_assert_eq(parse(&c, big, &line), -E2BIG);
	struct gzc_config_error e;
	cr_assert_eq(gzc_config_parse(&c, "level = 1\0junk", 14, &e), -EINVAL);
	cr_assert_eq(gzc_config_load(&c, "/nonexistent/gzcoredump.conf", &e), -ENOENT);
	cr_assert_eq(e.line, 0, "a file that cannot be read has no bad line");
	char path[] = "/tmp/gzc-conf-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "max_per_app = 7\n", 16), 16);
	close(fd);
	gzc_config_init(&c);
	cr_assert_eq(gzc_config_load(&c, path, &e), 0);
	cr_assert_eq(c.max_per_app, 7);
	char link[64];
	snprintf(link, sizeof(link), "%s.lnk", path);
	cr_assert_eq(symlink(path, link), 0);
	/* a symlink, as configuration tools make them, is followed */
	gzc_config_init(&c);
	cr_assert_eq(gzc_config_load(&c, link, &e), 0, "a symlinked config is read");
	cr_assert_eq(c.max_per_app, 7);
	/* its hooks run as root: a file others may write, or another user's, is refused */
	cr_assert_eq(chmod(path, 0666), 0);
	cr_assert_eq(gzc_config_load(&c, link, &e), -EPERM, "a world-writable config is read");
	cr_assert_eq(chmod(path, 0620), 0);
	cr_assert_eq(gzc_config_load(&c, path, &e), -EPERM, "a group-writable config is read");
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(gzc_config_load(&c, path, &e), 0);
	if (geteuid() == 0) {
		cr_assert_eq(chown(path, 65534, 65534), 0);
		cr_assert_eq(gzc_config_load(&c, path, &e), -EPERM, "another user's config is read");
	}
	/* a symlink to something else than a regular file opens nothing */
	unlink(link);
	cr_assert_eq(symlink("/dev/null", link), 0);
	cr_assert_eq(gzc_config_load(&c, link, &e), -EINVAL);
	unlink(link);
	unlink(path);
}

/* The edges of what values may be: the last that fits is taken, one more
 * is -ERANGE (a number or a product that overflows) or out of the key's
 * range. */
Test(config, value_edges)
{
	uint64_t v, w;
	uint32_t n;
	cr_assert_eq(gzc_config_parse_duration("30500568904943w", &v), 0);
	cr_assert_eq(v, 30500568904943ull * 604800);
	cr_assert_eq(gzc_config_parse_duration("30500568904944w", &v), -ERANGE);
	cr_assert_eq(gzc_config_parse_duration("99999999999999999weeks", &v), -ERANGE);
	cr_assert_eq(gzc_config_parse_duration("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(gzc_config_parse_rate("4294967295/hour", &n, &w), 0);
	cr_assert(n == UINT32_MAX && w == 3600);
	n = 7;
	w = 8;
	cr_assert_eq(gzc_config_parse_rate("4294967296/hour", &n, &w), -ERANGE);
	cr_assert_eq(gzc_config_parse_rate("1/30500568904944w", &n, &w), -ERANGE);
	cr_assert(n == 7 && w == 8, "outputs touched on failure");

	struct gzc_config c;
	cr_assert_eq(parse(&c, "span = 64K\nhook_timeout = 1h\n", NULL), 0);
	cr_assert_eq(c.span, GZC_SPAN_MIN);
	cr_assert_eq(c.hook_timeout_s, 3600);
	cr_assert_eq(parse(&c, "span = 64MiB\nhook_timeout = 1\n", NULL), 0);
	cr_assert_eq(c.span, GZC_SPAN_MAX);
	cr_assert_eq(c.hook_timeout_s, 1);
	/* a bad value keeps the default */
	cr_assert_eq(parse(&c, "hook_timeout = 3601\nspan = 65535\n", NULL), -EINVAL);
	cr_assert_eq(c.hook_timeout_s, GZC_CONFIG_HOOK_TIMEOUT_DEFAULT);
	cr_assert_eq(c.span, 0);
}

/* A line too long to be a setting is skipped (-E2BIG), the rest applies; a
 * text over GZC_CONFIG_MAX_FILE, given or read from a file, applies
 * nothing. */
Test(config, long_lines_and_large_files)
{
	struct gzc_config c;
	struct gzc_config_error e;
	size_t big = GZC_CONFIG_MAX_FILE + 1;
	char *text = malloc(big + 1);
	cr_assert_not_null(text);
	memset(text, '#', big);
	text[big] = 0;
	const char *head = "level = 3\npre_hook = ", *tail = "\nmax_per_app = 4\n";
	size_t hl = strlen(head), tl = strlen(tail);

	/* the hook's line: far longer than any value */
	size_t len = hl + 2 * GZC_CONFIG_MAX_VALUE + tl;
	memcpy(text, head, hl);
	memcpy(text + len - tl, tail, tl);
	gzc_config_init(&c);
	cr_assert_eq(gzc_config_parse(&c, text, len, &e), -E2BIG);
	cr_assert_eq(e.line, 2);
	cr_assert_str_eq(e.what, "line too long");
	cr_assert_eq(e.count, 1);
	cr_assert_eq(c.level, 3);
	cr_assert_eq(c.max_per_app, 4, "the line after a long one is applied");
	cr_assert_str_eq(c.pre_hook, "");

	/* one byte over the file's limit: nothing */
	memcpy(text + big - tl, tail, tl);
	gzc_config_init(&c);
	cr_assert_eq(gzc_config_parse(&c, text, big, &e), -E2BIG);
	cr_assert(e.line == 0 && e.count == 1 && !strcmp(e.what, "file too large"));
	cr_assert_eq(c.level, 0);
	cr_assert_eq(c.max_per_app, 0);
	char path[] = "/tmp/gzc-conf-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, big), (ssize_t)big);
	close(fd);
	cr_assert_eq(gzc_config_load(&c, path, &e), -E2BIG);
	cr_assert_eq(e.line, 0);
	cr_assert_eq(c.level, 0);
	unlink(path);
	free(text);
}

/*
 * config.c — the key = value parser for /etc/gzcoredump.conf.
 *
 * One table maps each key to a setter, so adding a key is one line and one
 * function; values are validated as strictly as the command line does.
 */
#include "config.h"
#include "io.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void gzc_config_init(struct gzc_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->store, sizeof(c->store), "%s", "/var/core");
	c->container = GZC_GZIP;
	snprintf(c->section, sizeof(c->section), "%s", ".uuid");
	c->hook_timeout_s = GZC_CONFIG_HOOK_TIMEOUT_DEFAULT;
	c->stack_trace = 1;
	c->max_use_pct = GZC_CONFIG_MAX_USE_PCT;
	c->keep_free_pct = GZC_CONFIG_KEEP_FREE_PCT;
	c->max_use_cap = c->keep_free_cap = GZC_CONFIG_SHARE_CAP;
}

static uint64_t share(uint64_t fs_size, uint32_t pct, uint64_t cap)
{
	/* no overflow: fs_size / 100 * pct, plus the remainder's share */
	uint64_t v = fs_size / 100 * pct + fs_size % 100 * pct / 100;
	return cap && v > cap ? cap : v;
}

void gzc_config_resolve(struct gzc_config *c, uint64_t fs_size)
{
	if (c->max_use_pct)
		c->max_use = share(fs_size, c->max_use_pct, c->max_use_cap);
	if (c->keep_free_pct)
		c->keep_free = share(fs_size, c->keep_free_pct, c->keep_free_cap);
	c->max_use_pct = c->keep_free_pct = 0;
}

/* strtoull without its leniencies: digits only, no sign, no spaces */
static int parse_u64(const char *s, const char **ret_end, uint64_t *ret)
{
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	uint64_t v = 0;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret_end = s;
	*ret = v;
	return 0;
}

int gzc_config_parse_number(const char *s, uint64_t max, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r = parse_u64(s, &end, &v);
	if (r < 0)
		return r;
	if (*end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int gzc_config_parse_size(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	unsigned shift = 0;
	int r = parse_u64(s, &end, &v);
	if (r < 0)
		return r;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}

static const struct { const char *name; uint64_t secs; } units[] = {
	{ "s", 1 }, { "sec", 1 }, { "second", 1 }, { "seconds", 1 }, { "secs", 1 },
	{ "m", 60 }, { "min", 60 }, { "minute", 60 }, { "minutes", 60 }, { "mins", 60 },
	{ "h", 3600 }, { "hour", 3600 }, { "hours", 3600 },
	{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
};

static int unit_secs(const char *u, uint64_t *ret)
{
	if (!*u) {
		*ret = 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(u, units[i].name) == 0) {
			*ret = units[i].secs;
			return 0;
		}
	return -EINVAL;
}

int gzc_config_parse_duration(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v, mul;
	int r = parse_u64(s, &end, &v);
	if (r < 0)
		return r;
	if (unit_secs(end, &mul) < 0)
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ret = v * mul;
	return 0;
}

int gzc_config_parse_rate(const char *s, uint32_t *ret_count, uint64_t *ret_window_s)
{
	const char *end;
	uint64_t n, win;
	int r = parse_u64(s, &end, &n);
	if (r < 0)
		return r;
	if (n > UINT32_MAX)
		return -ERANGE;
	if (*end == 0 && n == 0) {
		*ret_count = 0;
		*ret_window_s = 0;
		return 0;
	}
	if (*end != '/')
		return -EINVAL;
	end++;
	/* "hour" alone means 1 hour; "30m" is a duration */
	if (isdigit((unsigned char)*end))
		r = gzc_config_parse_duration(end, &win);
	else
		r = unit_secs(end, &win) < 0 || !*end ? -EINVAL : 0;
	if (r < 0)
		return r;
	if (win == 0)
		return -EINVAL;
	*ret_count = (uint32_t)n;
	*ret_window_s = win;
	return 0;
}

static int set_string(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n >= cap)
		return -E2BIG;
	memcpy(dst, v, n + 1);
	return 0;
}

static int set_store(struct gzc_config *c, const char *v)
{
	if (v[0] != '/')
		return -EINVAL; /* relative to what? the kernel runs us in / */
	return set_string(c->store, sizeof(c->store), v);
}

static int set_level(struct gzc_config *c, const char *v)
{
	if (v[0] < '1' || v[0] > '9' || v[1])
		return -EINVAL;
	c->level = v[0] - '0';
	return 0;
}

static int set_format(struct gzc_config *c, const char *v)
{
	if (strcmp(v, "gzip") == 0)
		c->container = GZC_GZIP;
	else if (strcmp(v, "zlib") == 0)
		c->container = GZC_ZLIB;
	else
		return -EINVAL;
	return 0;
}

static int set_span(struct gzc_config *c, const char *v)
{
	uint64_t n;
	int r = gzc_config_parse_size(v, &n);
	if (r < 0)
		return r;
	if (n < GZC_SPAN_MIN || n > GZC_SPAN_MAX)
		return -EINVAL;
	c->span = (uint32_t)n;
	return 0;
}

static int set_threads(struct gzc_config *c, const char *v)
{
	uint64_t n;
	if (gzc_config_parse_number(v, 64, &n) < 0)
		return -EINVAL;
	c->threads = (int)n;
	return 0;
}

static int set_max_core_size(struct gzc_config *c, const char *v) { return gzc_config_parse_size(v, &c->max_core_size); }
/* "N%" (0..100) of the store's file system, or a size; either replaces
 * the default share */
static int set_share(const char *v, uint64_t *bytes, uint32_t *pct, uint64_t *cap)
{
	size_t len = strlen(v);
	uint64_t n;
	int r;
	if (len > 1 && v[len - 1] == '%') {
		char num[8];
		if (len - 1 >= sizeof(num))
			return -EINVAL;
		memcpy(num, v, len - 1);
		num[len - 1] = 0;
		if ((r = gzc_config_parse_number(num, 100, &n)) < 0)
			return r;
		*bytes = 0;
		*pct = (uint32_t)n;
	} else {
		if ((r = gzc_config_parse_size(v, &n)) < 0)
			return r;
		*bytes = n;
		*pct = 0;
	}
	*cap = 0;
	return 0;
}

static int set_max_use(struct gzc_config *c, const char *v)
{
	return set_share(v, &c->max_use, &c->max_use_pct, &c->max_use_cap);
}

static int set_keep_free(struct gzc_config *c, const char *v)
{
	return set_share(v, &c->keep_free, &c->keep_free_pct, &c->keep_free_cap);
}
static int set_max_age(struct gzc_config *c, const char *v) { return gzc_config_parse_duration(v, &c->max_age_s); }
static int set_rate(struct gzc_config *c, const char *v) { return gzc_config_parse_rate(v, &c->rate_count, &c->rate_window_s); }
static int set_hook_timeout(struct gzc_config *c, const char *v)
{
	uint64_t s;
	int r = gzc_config_parse_duration(v, &s);
	if (r < 0)
		return r;
	if (s == 0 || s > 3600)
		return -EINVAL;
	c->hook_timeout_s = s;
	return 0;
}

static int set_count(uint32_t *field, const char *v)
{
	uint64_t n;
	if (gzc_config_parse_number(v, UINT32_MAX, &n) < 0)
		return -EINVAL;
	*field = (uint32_t)n;
	return 0;
}

static int set_max_per_app(struct gzc_config *c, const char *v) { return set_count(&c->max_per_app, v); }
static int set_max_per_signature(struct gzc_config *c, const char *v) { return set_count(&c->max_per_signature, v); }

static int set_section(struct gzc_config *c, const char *v)
{
	if (!*v || strchr(v, ' '))
		return -EINVAL;
	return set_string(c->section, sizeof(c->section), v) < 0 ? -EINVAL : 0;
}

static int set_pre_hook(struct gzc_config *c, const char *v) { return set_string(c->pre_hook, sizeof(c->pre_hook), v); }
static int set_post_hook(struct gzc_config *c, const char *v) { return set_string(c->post_hook, sizeof(c->post_hook), v); }

static int set_stack_trace(struct gzc_config *c, const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++)
		if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
			c->stack_trace = strcmp(v, yes[i]) == 0;
			return 0;
		}
	return -EINVAL;
}

static const struct {
	const char *key;
	int (*set)(struct gzc_config *c, const char *v);
} keys[] = {
	{ "store", set_store },
	{ "level", set_level },
	{ "format", set_format },
	{ "span", set_span },
	{ "threads", set_threads },
	{ "max_core_size", set_max_core_size },
	{ "max_use", set_max_use },
	{ "keep_free", set_keep_free },
	{ "max_per_app", set_max_per_app },
	{ "max_per_signature", set_max_per_signature },
	{ "max_age", set_max_age },
	{ "rate_limit", set_rate },
	{ "section", set_section },
	{ "pre_hook", set_pre_hook },
	{ "post_hook", set_post_hook },
	{ "hook_timeout", set_hook_timeout },
	{ "stack_trace", set_stack_trace },
};

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = 0;
	return s;
}

/* Applies one trimmed, non-empty, non-comment line; on failure fills key
 * and says what was wrong. */
static int apply_line(struct gzc_config *c, char *s, char *key_out, size_t key_cap, const char **what)
{
	char *eq = strchr(s, '=');
	if (!eq) {
		*what = "no '=' in the line";
		return -EINVAL;
	}
	char *key = trim(s, eq), *val = trim(eq + 1, eq + 1 + strlen(eq + 1));
	size_t vl = strlen(val);
	snprintf(key_out, key_cap, "%s", key);
	/* one pair of double quotes may wrap a value */
	if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
		val[vl - 1] = 0;
		val++;
	}
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (strcmp(key, keys[k].key) == 0) {
			int r = keys[k].set(c, val);
			if (r < 0) {
				*what = r == -E2BIG ? "value too long" : "bad value";
				return r == -E2BIG ? -E2BIG : -EINVAL;
			}
			return 0;
		}
	*what = "unknown setting";
	return -EINVAL;
}

int gzc_config_parse(struct gzc_config *c, const char *text, size_t len, struct gzc_config_error *err)
{
	char line[GZC_CONFIG_MAX_VALUE + 128];
	struct gzc_config_error e = { 0 };
	unsigned lineno = 0;
	size_t pos = 0;
	int first = 0;

	if (len > GZC_CONFIG_MAX_FILE) {
		e.what = "file too large";
		e.count = 1;
		first = -E2BIG;
		goto out;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *what = NULL;
		char key[sizeof(e.key)] = "";
		int r = 0;
		lineno++;
		if (n >= sizeof(line)) {
			r = -E2BIG;
			what = "line too long";
		} else if (memchr(text + pos, 0, n)) {
			r = -EINVAL;
			what = "NUL byte in the line";
		} else {
			memcpy(line, text + pos, n);
			char *s = trim(line, line + n);
			if (*s && *s != '#')
				r = apply_line(c, s, key, sizeof(key), &what);
		}
		if (r < 0 && e.count++ == 0) {
			e.line = lineno;
			e.what = what;
			memcpy(e.key, key, sizeof(e.key));
			first = r;
		}
		pos += n + (nl ? 1 : 0);
	}
out:
	if (err)
		*err = e;
	return first;
}

int gzc_config_load(struct gzc_config *c, const char *path, struct gzc_config_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	/* bounded, a regular file only; symlinks followed, but root's (or
	 * the caller's) alone may say what root runs (pre_hook, post_hook) */
	int r = gzc_read_file_at(AT_FDCWD, path, GZC_CONFIG_MAX_FILE + 1, GZC_READ_CUT | GZC_READ_ADMIN, &buf, &len);
	if (r < 0) {
		if (err)
			*err = (struct gzc_config_error){
				.count = 1,
				.what = r == -EPERM ? "neither root's nor ours, or writable by group or others (its hooks would run as root)"
						    : NULL };
		return r;
	}
	r = gzc_config_parse(c, buf, len, err);
	free(buf);
	return r;
}

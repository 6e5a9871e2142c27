/*
 * admin.c — `gzcoredump list|info|extract|vacuum`: the store, for people.
 *
 * All four find the store the same way (-S DIR, else the config's store)
 * and only read through the library's store module, which refuses symlinks
 * and hidden (temporary) names.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

struct admin_opts {
	const char *store, *config, *out, *id;
	int json;
	/* list: newest `count` (0: all), crashed at or after since_us and at or
	 * before until_us, matching any of matches (none: all); oldest first
	 * with reverse; no header line with no_legend */
	uint64_t count, since_us, until_us;
	int reverse, no_legend;
	int backtrace; /* info: every thread's stack, from gdb through a private mount */
	int dry_run;   /* vacuum: say what would go, remove nothing */
	char **matches;
	int nmatches;
};

/* A point in time for --since and --until, into microseconds since the
 * epoch: "now", "today", "yesterday" (local midnight); a duration ago ("2h",
 * "-2h", "2h ago", "1h30m"; a unit is needed); or a local date
 * "2026-11-26", with " 14:30[:00]" or "T14:30[:00]". Returns 0 or -EINVAL. */
static int parse_when(const char *s, uint64_t *ret)
{
	uint64_t secs, total = 0;
	struct tm tm;
	const char *end;
	time_t now = time(NULL);
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*ret = (uint64_t)now * 1000000;
		return 0;
	}
	if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
		localtime_r(&now, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mday -= s[0] == 'y';
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		if (t < 0)
			return -EINVAL;
		*ret = (uint64_t)t * 1000000;
		return 0;
	}
	/* a duration ago: "-2h", "2h ago", and sums such as "1h30m" */
	snprintf(buf, sizeof(buf), "%s", s[0] == '-' ? s + 1 : s);
	size_t bl = strlen(buf);
	if (bl > 4 && !strcmp(buf + bl - 4, " ago"))
		buf[bl - 4] = 0;
	/* each part needs its unit: a bare number is no duration here ("2026"
	 * would be 2026 seconds ago) */
	bool dur = buf[0] != 0;
	for (const char *p = buf; dur && *p;) {
		size_t nd = strspn(p, "0123456789"), nl = strcspn(p + nd, "0123456789");
		char part[32];
		dur = nd && nl && nd + nl < sizeof(part);
		if (dur) {
			memcpy(part, p, nd + nl);
			part[nd + nl] = 0;
			dur = gzc_config_parse_duration(part, &secs) == 0 && secs <= UINT64_MAX - total;
			total += dur ? secs : 0;
			p += nd + nl;
		}
	}
	if (dur) {
		*ret = total < (uint64_t)now ? ((uint64_t)now - total) * 1000000 : 0;
		return 0;
	}
	static const char *const fmts[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
					    "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(s, fmts[i], &tm)) && !*end) {
			tm.tm_isdst = -1;
			/* strptime takes any day 1-31 in any month: mktime would make
			 * 2026-02-30 March 2; a date it moves is no date */
			int y = tm.tm_year, mon = tm.tm_mon, d = tm.tm_mday;
			time_t t = mktime(&tm);
			if (t < 0 || tm.tm_year != y || tm.tm_mon != mon || tm.tm_mday != d)
				return -EINVAL;
			*ret = (uint64_t)t * 1000000;
			return 0;
		}
	}
	return -EINVAL;
}

/* want_id: 2 an ID may be given (none: the newest core), 0 none; list
 * takes matches instead. */
static int admin_parse(int argc, char **argv, struct admin_opts *o, int want_id)
{
	enum { O_JSON = 256, O_SINCE, O_UNTIL, O_NO_LEGEND, O_BACKTRACE, O_DRY_RUN };
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, O_JSON },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "reverse", no_argument, NULL, 'r' },
		{ "no-legend", no_argument, NULL, O_NO_LEGEND },
		{ "backtrace", no_argument, NULL, O_BACKTRACE },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ 0 },
	};
	int opt, list = strcmp(argv[0], "list") == 0;
	optind = 1;
	opterr = 0;
	o->until_us = UINT64_MAX;
	while ((opt = getopt_long(argc, argv, list ? ":S:C:n:r1" : ":S:C:o:", longopts, NULL)) != -1) {
		uint64_t v;
		switch (opt) {
		case 'S': o->store = optarg; break;
		case 'C': o->config = optarg; break;
		case 'o': o->out = optarg; break;
		case O_JSON: o->json = 1; break;
		case 'n':
			if (gzc_config_parse_number(optarg, UINT64_MAX, &v) < 0 || v == 0) {
				cli_error("-n takes a number of cores, not '%s'", optarg);
				return -EINVAL;
			}
			o->count = v;
			break;
		case O_SINCE:
		case O_UNTIL:
			if (!list || parse_when(optarg, opt == O_SINCE ? &o->since_us : &o->until_us) < 0) {
				cli_error(list ? "%s takes a duration ago (2h, 1h30m), today, yesterday, now or a date "
						 "(2026-11-26[ 14:30]), not '%s'"
					       : "%s is for list", opt == O_SINCE ? "--since" : "--until", optarg);
				return -EINVAL;
			}
			break;
		case 'r':
		case O_NO_LEGEND:
			if (!list) {
				cli_error("%s is for list", opt == 'r' ? "-r/--reverse" : "--no-legend");
				return -EINVAL;
			}
			*(opt == 'r' ? &o->reverse : &o->no_legend) = 1;
			break;
		case '1': o->count = 1; break;
		case O_BACKTRACE: o->backtrace = 1; break;
		case O_DRY_RUN:
			if (strcmp(argv[0], "vacuum") != 0) {
				cli_error("--dry-run is for vacuum");
				return -EINVAL;
			}
			o->dry_run = 1;
			break;
		default: cli_bad_option(argv[0], opt, argv, ""); return -EINVAL;
		}
	}
	/* an option another command takes is a usage error here, not ignored
	 * (info -o FILE writes no file; vacuum --json prints no JSON) */
	if (o->out && strcmp(argv[0], "extract") != 0) {
		cli_error("%s takes no -o/--output (extract does)", argv[0]);
		return -EINVAL;
	}
	if (o->json && !list && strcmp(argv[0], "info") != 0) {
		cli_error("%s takes no --json (list and info do)", argv[0]);
		return -EINVAL;
	}
	if (o->backtrace && (strcmp(argv[0], "info") != 0 || o->json)) {
		cli_error("--backtrace is for info, without --json");
		return -EINVAL;
	}
	if (list) {
		o->matches = argv + optind;
		o->nmatches = argc - optind;
		return 0;
	}
	if (want_id == 2 && optind < argc)
		o->id = argv[optind++];
	if (optind < argc) {
		cli_error("%s: unexpected argument '%s'", argv[0], argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int cli_store_open_list(const char *store_opt, const char *config, struct gzc_config *cfg, int *ret_root,
			struct gzc_store_entry **ret_e, size_t *ret_n)
{
	struct gzc_config_error cerr;
	char in_store[GZC_CONFIG_MAX_VALUE + 1], in_config[PATH_MAX];
	const char *from = "";
	/* neither given: the store and config the installed handler uses, as
	 * core_pattern names them (install --store/--config) */
	if (!store_opt && !config && cli_installed_options(in_store, sizeof(in_store), in_config, sizeof(in_config)) == 1) {
		if (in_store[0])
			store_opt = in_store;
		if (in_config[0])
			config = in_config;
		if (in_store[0] || in_config[0])
			from = " (core_pattern's, where the installed handler stores)";
	}
	gzc_config_init(cfg);
	int r = gzc_config_load(cfg, config ? config : GZC_CONFIG_PATH, &cerr);
	if (r < 0 && !(r == -ENOENT && !config)) {
		/* bad lines are skipped (as the handler does); an unreadable file is an error */
		cli_config_error(config ? config : GZC_CONFIG_PATH, r, &cerr, cerr.line ? "that line is ignored" : NULL);
		if (!cerr.line)
			return 1;
	}
	/* the store in use is cfg->store from here on: the caller prints it,
	 * and debug mounts it (the installed handler's may not be the config's) */
	if (store_opt && store_opt == in_store)
		snprintf(cfg->store, sizeof(cfg->store), "%s", in_store);
	const char *store = store_opt ? store_opt : cfg->store;
	char ss[4 * PATH_MAX + 1]; /* -S or the config's text: escaped */
	cli_printable(store, ss, sizeof(ss));
	r = gzc_store_open(store, false, ret_root);
	if (r < 0) {
		cli_error("cannot open the store %s%s: %s%s", ss, from,
			  r == -EPERM ? "not owned by this user or writable by others" : strerror(-r),
			  (r == -EACCES || r == -EPERM) && geteuid() != 0
				  ? " (the store is root's: as another user, read your own cores under a gzcorefs "
				    "mount of it, as gzcorefs.service makes on /mnt/cores)"
				  : "");
		return 1;
	}
	cli_resolve_limits(cfg, *ret_root);
	r = gzc_store_list(*ret_root, ret_e, ret_n);
	if (r < 0) {
		cli_error("cannot list the store %s: %s", ss, strerror(-r));
		close(*ret_root);
		return 1;
	}
	return 0;
}

static int open_list(const struct admin_opts *o, struct gzc_config *cfg, int *ret_root,
		     struct gzc_store_entry **ret_e, size_t *ret_n)
{
	return cli_store_open_list(o->store, o->config, cfg, ret_root, ret_e, ret_n);
}

/* Local time as list's column shows it; with_zone adds the zone's name
 * ("2026-11-27 23:58:16 UTC", as info and messages give it). */
static void fmt_time_as(uint64_t us, bool with_zone, char *buf, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, cap, with_zone ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S", &tm);
}

static void fmt_time(uint64_t us, char *buf, size_t cap) { fmt_time_as(us, true, buf, cap); }

static void fmt_size(uint64_t b, char *buf, size_t cap)
{
	static const char *const u[] = { "B", "K", "M", "G", "T" };
	double v = (double)b;
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, cap, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

/* What list --json shows of any crash, stored or not; unknown numbers are null. */
static json_object *crash_json(const struct gzc_meta *m, bool stored)
{
	json_object *o = json_object_new_object();
	char t[40];
	time_t secs = (time_t)(m->timestamp_us / 1000000);
	struct tm tm;
	localtime_r(&secs, &tm);
	/* ISO 8601 (RFC 3339), the offset as +HH:MM */
	size_t tl = strftime(t, sizeof(t) - 1, "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (tl > 2) {
		memmove(t + tl - 1, t + tl - 2, 3);
		t[tl - 2] = ':';
	}
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "timestamp_us", json_object_new_uint64(m->timestamp_us));
	json_object_object_add(o, "pid", m->pid > 0 ? json_object_new_int64(m->pid) : NULL);
	json_object_object_add(o, "uid", m->uid >= 0 ? json_object_new_int64(m->uid) : NULL);
	json_object_object_add(o, "signal", m->signal >= 0 ? json_object_new_int64(m->signal) : NULL);
	json_object_object_add(o, "signal_name", gzc_meta_json_text(m->signal_name));
	json_object_object_add(o, "app", gzc_meta_json_text(m->app));
	json_object_object_add(o, "version", gzc_meta_json_text(m->app_version));
	json_object_object_add(o, "comm", gzc_meta_json_text(m->comm));
	json_object_object_add(o, "exe", gzc_meta_json_text(m->exe));
	json_object_object_add(o, "stored", json_object_new_boolean(stored));
	return o;
}

static json_object *entry_json(const struct gzc_store_entry *e)
{
	const struct gzc_meta *m = &e->meta;
	json_object *o = crash_json(m, true);
	/* known as print_row() shows them; what is not (a sidecar that does
	 * not parse, a foreign file's notes not read) is null, not 0 */
	bool ok = e->meta_ok, size = ok || e->identified, csize = ok || e->foreign;
	json_object_object_add(o, "size", size ? json_object_new_uint64(m->size) : NULL);
	json_object_object_add(o, "compressed_size", csize ? json_object_new_uint64(m->compressed_size) : NULL);
	json_object_object_add(o, "truncated", ok ? json_object_new_boolean(m->truncated) : NULL);
	json_object_object_add(o, "group", gzc_meta_json_text(e->group));
	json_object_object_add(o, "file", gzc_meta_json_text(e->core));
	json_object_object_add(o, "metadata", e->json[0] ? gzc_meta_json_text(e->json) : NULL);
	json_object_object_add(o, "metadata_ok", json_object_new_boolean(e->meta_ok));
	json_object_object_add(o, "foreign", json_object_new_boolean(e->foreign));
	json_object_object_add(o, "signature", gzc_meta_json_text(m->signature));
	json_object_object_add(o, "reason", NULL);
	return o;
}

/* A crash whose core was not stored. */
static json_object *skip_json(const struct gzc_skip *k)
{
	json_object *o = crash_json(&k->meta, false);
	/* every row has the same keys: a script may read any of them */
	static const char *const none[] = { "size", "compressed_size", "truncated", "group", "file", "metadata", "signature" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		json_object_object_add(o, none[i], NULL);
	json_object_object_add(o, "metadata_ok", json_object_new_boolean(false));
	json_object_object_add(o, "foreign", json_object_new_boolean(false));
	json_object_object_add(o, "reason", gzc_meta_json_text(k->reason));
	return o;
}

/* A MATCH of list (and the ID of info, extract and debug that is no pid
 * nor file name): "pid=N", "uid=N", "signal=SEGV|11", "exe=PATH",
 * "comm=NAME", "app=NAME", "unit=NAME", "signature=HEX" (its first 6 to
 * 16 digits: gzc_stack_signature) (a COREDUMP_ prefix and capitals as coredumpctl
 * writes them: COREDUMP_EXE=...), or bare: a pid (digits), a path (it
 * holds a '/') or a name (comm, app or the executable's base name). */
struct match {
	enum { M_PID, M_UID, M_SIG, M_EXE, M_COMM, M_APP, M_UNIT, M_SIGNATURE, M_NAME } kind;
	const char *s;
	char *real; /* M_EXE: the path resolved (relative, a symlink), or NULL */
	long long num;
};

static int parse_match(const char *arg, struct match *m)
{
	static const struct {
		const char *key;
		int kind;
	} keys[] = {
		{ "pid", M_PID }, { "uid", M_UID },   { "signal", M_SIG }, { "exe", M_EXE },
		{ "comm", M_COMM }, { "app", M_APP }, { "unit", M_UNIT }, { "signature", M_SIGNATURE },
	};
	const char *eq = strchr(arg, '='), *v = arg;
	*m = (struct match){ .kind = M_NAME, .s = arg };
	if (eq && !memchr(arg, '/', (size_t)(eq - arg))) {
		const char *k = arg;
		size_t kl = (size_t)(eq - arg);
		if (kl > 9 && strncasecmp(k, "COREDUMP_", 9) == 0)
			k += 9, kl -= 9;
		else if (kl > 1 && k[0] == '_') /* _PID=, _UID= */
			k++, kl--;
		size_t i;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strlen(keys[i].key) == kl && strncasecmp(k, keys[i].key, kl) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			char sa[256];
			cli_error("unknown match '%s': give pid=, uid=, signal=, exe=, comm=, app=, unit= or signature=, or a bare pid, "
				  "path or name", cli_printable_or(arg, "", sa, sizeof(sa)));
			return -EINVAL;
		}
		m->kind = keys[i].kind;
		v = eq + 1;
		m->s = v;
	} else if (v[0] && !v[strspn(v, "0123456789")]) {
		m->kind = M_PID;
	} else if (strchr(v, '/')) {
		m->kind = M_EXE;
	}
	if (m->kind == M_PID || m->kind == M_UID || (m->kind == M_SIG && v[0] >= '0' && v[0] <= '9')) {
		uint64_t x;
		if (gzc_config_parse_number(v, INT32_MAX, &x) < 0) {
			char sv[256];
			cli_error("'%s' is no number", cli_printable_or(v, "", sv, sizeof(sv)));
			return -EINVAL;
		}
		m->num = (long long)x;
	} else if (m->kind == M_SIG) {
		const char *name = strncasecmp(v, "SIG", 3) == 0 ? v + 3 : v;
		m->num = -1;
		for (int sig = 1; sig < 65 && m->num < 0; sig++)
			if (sigabbrev_np(sig) && strcasecmp(sigabbrev_np(sig), name) == 0)
				m->num = sig;
		if (m->num < 0) {
			char sv[256];
			cli_error("unknown signal '%s'", cli_printable_or(v, "", sv, sizeof(sv)));
			return -EINVAL;
		}
	} else if (m->kind == M_SIGNATURE) {
		size_t l = strlen(v);
		if (l < 6 || l > GZC_STACK_SIGNATURE_LEN || v[strspn(v, "0123456789abcdefABCDEF")]) {
			char sv[256];
			cli_error("'%s' is no signature: give 6 to %d of its hex digits, as info shows it",
				  cli_printable_or(v, "", sv, sizeof(sv)), GZC_STACK_SIGNATURE_LEN);
			return -EINVAL;
		}
	} else if (m->kind == M_EXE) {
		/* the recorded exe is /proc/<pid>/exe's target: absolute, no links */
		m->real = realpath(v, NULL);
	}
	return 0;
}

/* An exe as recorded, or with the kernel's " (deleted)" for an executable
 * replaced while it ran, equal to path? */
static bool exe_is(const char *exe, const char *path)
{
	size_t l = strlen(path);
	return exe && strncmp(exe, path, l) == 0 && (!exe[l] || !strcmp(exe + l, " (deleted)"));
}

/* A unit's name, or that name without its ".service" (as systemctl takes it)? */
static bool unit_is(const char *unit, const char *name)
{
	size_t l = strlen(name);
	return unit && strncmp(unit, name, l) == 0 && (!unit[l] || !strcmp(unit + l, ".service"));
}

static bool match_one(const struct gzc_meta *m, const struct match *x)
{
	const char *base;
	switch (x->kind) {
	case M_PID: return m->pid == x->num;
	case M_UID: return m->uid == x->num;
	case M_SIG: return m->signal == x->num;
	case M_EXE: return exe_is(m->exe, x->s) || (x->real && exe_is(m->exe, x->real));
	case M_COMM: return m->comm && strcmp(m->comm, x->s) == 0;
	case M_APP: return m->app && strcmp(m->app, x->s) == 0;
	case M_UNIT: return unit_is(m->unit, x->s) || unit_is(m->user_unit, x->s);
	case M_SIGNATURE: return m->signature && strncasecmp(m->signature, x->s, strlen(x->s)) == 0;
	case M_NAME:
		/* the comm is the kernel's first 15 bytes of the name: the
		 * executable's base name matches a longer one */
		base = m->exe ? strrchr(m->exe, '/') : NULL;
		return (m->comm && strcmp(m->comm, x->s) == 0) || (m->app && strcmp(m->app, x->s) == 0) ||
		       (base && exe_is(base + 1, x->s));
	}
	return false;
}

/* Does a crash match any of the matches (none: all)? */
static bool list_match(const struct gzc_meta *m, const struct match *x, int n)
{
	for (int i = 0; i < n; i++)
		if (match_one(m, &x[i]))
			return true;
	return n == 0;
}

/* Parses args into a new array (*ret; free with free_matches). Prints why
 * not and returns -EINVAL, or -ENOMEM. */
static int parse_matches(char **args, int n, struct match **ret)
{
	struct match *x = calloc((size_t)n + 1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (parse_match(args[i], &x[i]) < 0) {
			for (int k = 0; k < i; k++)
				free(x[k].real);
			free(x);
			return -EINVAL;
		}
	*ret = x;
	return 0;
}

static void free_matches(struct match *x, int n)
{
	for (int i = 0; x && i < n; i++)
		free(x[i].real);
	free(x);
}

/* One row of list: a stored core (e) or a crash not stored (k). */
struct list_row {
	const struct gzc_meta *m;
	const struct gzc_store_entry *e;
	const struct gzc_skip *k;
	size_t seq; /* ties keep this order: the store's (by group, name), then the log's */
};

static int row_newer(const void *a, const void *b)
{
	const struct list_row *x = a, *y = b;
	uint64_t ta = x->m->timestamp_us, tb = y->m->timestamp_us;
	return ta < tb ? 1 : ta > tb ? -1 : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void print_row(const struct list_row *row)
{
	const struct gzc_meta *m = row->m;
	char t[32], sz[16], csz[16], app[96], ver[96], sig[32], file[CLI_ENTRY_FILE_MAX], uid[24], pid[24];
	fmt_time_as(m->timestamp_us, false, t, sizeof(t));
	fmt_size(m->size, sz, sizeof(sz));
	fmt_size(m->compressed_size, csz, sizeof(csz));
	snprintf(uid, sizeof(uid), m->uid >= 0 ? "%lld" : "?", (long long)m->uid);
	snprintf(pid, sizeof(pid), m->pid > 0 ? "%lld" : "?", (long long)m->pid);
	if (row->k) {
		char why[3 * GZC_SKIPLOG_STR_MAX];
		printf("%-19s %7s %6s %-7s %-20s %-16s %8s %8s %-5s - (not stored: %s)\n", t, pid, uid,
		       cli_printable_or(m->signal_name, "?", sig, sizeof(sig)),
		       cli_printable_or(m->app ? m->app : m->comm, "?", app, sizeof(app)),
		       cli_printable_or(m->app_version, "?", ver, sizeof(ver)), "-", "-", "-",
		       cli_printable_or(row->k->reason, "?", why, sizeof(why)));
		return;
	}
	/* a sidecar that does not parse: only its name is known; a foreign
	 * file: what its notes say, if read */
	const struct gzc_store_entry *e = row->e;
	int ok = e->meta_ok, fgn = e->foreign, idd = e->identified;
	const char *note = !fgn ? (ok ? "" : " (metadata unreadable)")
			 : idd ? " (foreign: no sidecar)"
			 : e->identify_rc == -ENODATA ? " (foreign: no sidecar, not indexed: see info)"
							: " (foreign: no sidecar, not a readable core)";
	printf("%-19s %7s %6s %-7s %-20s %-16s %8s %8s %-5s %s%s\n", t, pid, uid,
	       cli_printable_or(m->signal_name, "?", sig, sizeof(sig)),
	       cli_printable_or(fgn ? m->comm : m->app, "?", app, sizeof(app)),
	       cli_printable_or(m->app_version, "?", ver, sizeof(ver)), ok || idd ? sz : "?", ok || fgn ? csz : "?",
	       ok ? (m->truncated ? "yes" : "no") : "?", cli_entry_file(e, file, sizeof(file)), note);
}

int cmd_list(int argc, char **argv)
{
	struct admin_opts o = { 0 };
	struct gzc_config cfg;
	struct gzc_store_entry *e = NULL;
	struct gzc_skip *sk = NULL;
	size_t n = 0, nsk = 0;
	int rootfd, r;

	struct match *mx = NULL;
	if (admin_parse(argc, argv, &o, 0) < 0)
		return 2;
	if ((r = parse_matches(o.matches, o.nmatches, &mx)) < 0) {
		if (r == -ENOMEM)
			cli_error("out of memory");
		return r == -ENOMEM ? 1 : 2;
	}
	if (open_list(&o, &cfg, &rootfd, &e, &n)) {
		free_matches(mx, o.nmatches);
		return 1;
	}
	/* crashes whose core was not stored: listed too, as coredumpctl does */
	char ss[4 * PATH_MAX + 1];
	if ((r = gzc_skiplog_read(rootfd, &sk, &nsk)) < 0)
		cli_error("note: cannot read the list of crashes not stored (%s/%s): %s",
			  cli_printable_or(o.store ? o.store : cfg.store, "?", ss, sizeof(ss)), GZC_SKIPLOG_FILE, strerror(-r));
	/* foreign files: their notes, where an index makes that cheap (info
	 * reads the rest) */
	for (size_t i = 0; i < n; i++)
		if (e[i].foreign && e[i].meta.timestamp_us >= o.since_us && gzc_store_identify(rootfd, &e[i], false) < 0)
			continue; /* listed as not indexed, or not a core we can read */
	/* the rows: cores (no lone sidecars) and crashes not stored that pass
	 * the filters, newest first, the newest `count` of them */
	struct list_row *rows = calloc(n + nsk + 1, sizeof(*rows));
	size_t nr = 0;
	if (!rows) {
		cli_error("out of memory");
		free_matches(mx, o.nmatches);
		gzc_store_list_free(e, n);
		gzc_skiplog_free(sk, nsk);
		close(rootfd);
		return 1;
	}
#define IN_TIME(m) ((m).timestamp_us >= o.since_us && (m).timestamp_us <= o.until_us)
	for (size_t i = 0; i < n; i++)
		if (e[i].core[0] && IN_TIME(e[i].meta) && list_match(&e[i].meta, mx, o.nmatches))
			rows[nr] = (struct list_row){ .m = &e[i].meta, .e = &e[i], .seq = nr }, nr++;
	for (size_t i = 0; i < nsk; i++)
		if (IN_TIME(sk[i].meta) && list_match(&sk[i].meta, mx, o.nmatches))
			rows[nr] = (struct list_row){ .m = &sk[i].meta, .k = &sk[i], .seq = nr }, nr++;
#undef IN_TIME
	qsort(rows, nr, sizeof(*rows), row_newer);
	if (o.count && nr > o.count)
		nr = (size_t)o.count;
	if (o.reverse) /* the same rows (the newest N with -n), oldest first */
		for (size_t i = 0; i < nr / 2; i++) {
			struct list_row t = rows[i];
			rows[i] = rows[nr - 1 - i];
			rows[nr - 1 - i] = t;
		}
	if (o.json) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < nr; i++)
			json_object_array_add(arr, rows[i].e ? entry_json(rows[i].e) : skip_json(rows[i].k));
		cli_put_json(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
		json_object_put(arr);
	} else if (nr) {
		if (!o.no_legend)
			printf("%-19s %7s %6s %-7s %-20s %-16s %8s %8s %-5s %s\n", "TIME", "PID", "UID", "SIGNAL", "APP",
		       "VERSION", "SIZE", "STORED", "TRUNC", "FILE");
		for (size_t i = 0; i < nr; i++)
			print_row(&rows[i]);
	}
	/* as coredumpctl: nothing found is said, and is no success */
	if (!nr)
		cli_error(o.nmatches || o.since_us || o.until_us != UINT64_MAX ? "no crashes match" : "no crashes in the store");
	free_matches(mx, o.nmatches);
	free(rows);
	gzc_store_list_free(e, n);
	gzc_skiplog_free(sk, nsk);
	close(rootfd);
	return nr ? 0 : 1;
}

/* ID as a pid (its newest core) or a file name, quietly; *by_name when it
 * named a file. Returns its position or -ENOENT. */
static int find_id(const struct gzc_store_entry *e, size_t n, const char *id, bool *by_name)
{
	int i = gzc_store_find(e, n, id);
	*by_name = false;
	if (i == -ENOENT && id[0] && !id[strspn(id, "0123456789")] && strlen(id) <= NAME_MAX) {
		/* no core has that pid: a file of that name at the store's root,
		 * as list shows it ("/NAME" is how gzc_store_find() names it) */
		char path[NAME_MAX + 2];
		snprintf(path, sizeof(path), "/%s", id);
		if ((i = gzc_store_find(e, n, path)) >= 0)
			*by_name = true;
	} else if (i >= 0) {
		*by_name = id[strspn(id, "0123456789")] != 0;
	}
	return i;
}

/* A pid or match names its newest core: say so when others match too. */
static void note_others(const struct gzc_store_entry *e, size_t n, int i, const struct match *m, const char *id)
{
	unsigned same = 0;
	for (size_t k = 0; k < n; k++)
		same += e[k].core[0] && list_match(&e[k].meta, m, 1);
	char f[CLI_ENTRY_FILE_MAX], si[256]; /* store names: escaped */
	if (same > 1 && m->kind == M_PID && !id[strspn(id, "0123456789")])
		cli_error("note: pid %s has %u cores; this is the newest (%s); name another by its file "
			  "(gzcoredump list)", id, same, cli_entry_file(&e[i], f, sizeof(f)));
	else if (same > 1)
		cli_error("note: %u cores match '%s'; this is the newest (%s); name another by its file "
			  "(gzcoredump list)", same, cli_printable_or(id, "", si, sizeof(si)),
			  cli_entry_file(&e[i], f, sizeof(f)));
}

int cli_store_find(const struct gzc_store_entry *e, size_t n, const char *id)
{
	bool by_name;
	int i = find_id(e, n, id, &by_name);
	if (i < 0) {
		char si[4 * PATH_MAX + 1];
		cli_error("no core '%s' in the store (see gzcoredump list)", cli_printable_or(id, "", si, sizeof(si)));
		return i;
	}
	struct match m = { .kind = M_PID, .num = e[i].meta.pid };
	if (!by_name)
		note_others(e, n, i, &m, id);
	return i;
}

/* Reads the notes of the foreign entries not read yet, newest first, until
 * one is a core of pid (any pid when pid < 0; with all, every one of that
 * pid): through an index beside it where there is one, else by indexing
 * the file (an ELF core only: anything else is refused from its first
 * bytes). Silent: a file that is no core is no error here. Returns the
 * first one's position or -ENOENT. */
static int identify_foreign(int rootfd, struct gzc_store_entry *e, size_t n, long long pid, bool all)
{
	int first = -ENOENT;
	for (size_t k = 0; k < n; k++) {
		if (!e[k].foreign || !e[k].core[0])
			continue;
		if (!e[k].identified && gzc_store_identify(rootfd, &e[k], false) == -ENODATA &&
		    gzc_store_identify(rootfd, &e[k], true) < 0)
			continue;
		if (e[k].identified && (pid < 0 || e[k].meta.pid == pid) && first < 0) {
			first = (int)k;
			if (!all)
				break;
		}
	}
	return first;
}

/* The newest crash not stored that m matches (the store's .skipped log),
 * told as the reason why there is no core; false if none. */
static bool tell_not_stored(int rootfd, const struct match *m, bool newer_only, uint64_t than_us)
{
	struct gzc_skip *sk = NULL;
	size_t nsk = 0;
	const struct gzc_skip *best = NULL;
	if (gzc_skiplog_read(rootfd, &sk, &nsk) < 0)
		return false;
	for (size_t k = 0; k < nsk; k++)
		if ((!m || list_match(&sk[k].meta, m, 1)) && (!best || sk[k].meta.timestamp_us > best->meta.timestamp_us))
			best = &sk[k];
	if (best && (!newer_only || best->meta.timestamp_us > than_us)) {
		char t[32], comm[64], sig[32], why[3 * GZC_SKIPLOG_STR_MAX];
		fmt_time(best->meta.timestamp_us, t, sizeof(t));
		cli_error("%spid %lld (%s) crashed at %s with %s, but its core was not stored: %s",
			  newer_only ? "note: the newest crash, " : "", (long long)best->meta.pid,
			  cli_printable_or(best->meta.comm, "?", comm, sizeof(comm)), t,
			  cli_printable_or(best->meta.signal_name, "?", sig, sizeof(sig)),
			  cli_printable_or(best->reason, "?", why, sizeof(why)));
	}
	bool told = best && (!newer_only || best->meta.timestamp_us > than_us);
	gzc_skiplog_free(sk, nsk);
	return told;
}

/* A core by ID, or with id NULL the newest core: the handler's, else a
 * foreign one. An ID is a pid (its newest core), a file name, or a MATCH
 * as list takes it (the newest core it matches). Reads foreign entries'
 * notes only as needed: when no core with a sidecar has that pid, or there
 * is no such core. Prints why none (a crash whose core was not stored is
 * named with its reason). Returns its position or a negative errno
 * (-EINVAL: a bad match). Used by info, extract and debug. */
int cli_store_pick(int rootfd, struct gzc_store_entry *e, size_t n, const char *id)
{
	int i = -ENOENT;
	bool digits = id && id[0] && !id[strspn(id, "0123456789")], by_name;
	if (!id) { /* the newest core the handler stored, else the newest foreign core */
		for (size_t k = 0; k < n && i < 0; k++)
			if (e[k].core[0] && !e[k].foreign)
				i = (int)k;
		if (i < 0)
			i = identify_foreign(rootfd, e, n, -1, false);
		/* as coredumpctl debug: a newer crash without its core is said */
		if (!tell_not_stored(rootfd, NULL, i >= 0, i >= 0 ? e[i].meta.timestamp_us : 0) && i < 0)
			cli_error("no core in the store");
		return i;
	}
	/* a core as a gzcorefs mount shows it (MNT/app-1.2/core.1234): the
	 * mount names its store file in an extended attribute */
	char via_mount[CLI_ENTRY_PATH_MAX];
	ssize_t xl = strchr(id, '/') ? lgetxattr(id, GZC_VIEW_XATTR_STORE_PATH, via_mount, sizeof(via_mount) - 1) : -1;
	if (xl > 0 && !memchr(via_mount, 0, (size_t)xl)) {
		via_mount[xl] = 0;
		id = via_mount;
		digits = false;
	}
	/* a pid no core with a sidecar has may be a foreign file's: only its
	 * notes tell (list reads those of indexed files; here they are read as
	 * needed, indexing the file if it must), every one of that pid, so
	 * that two are told apart */
	if (digits && gzc_store_find(e, n, id) == -ENOENT)
		(void)identify_foreign(rootfd, e, n, strtoll(id, NULL, 10), true);
	struct match m = { .kind = M_PID };
	if ((i = find_id(e, n, id, &by_name)) >= 0) {
		m.num = e[i].meta.pid;
		if (!by_name)
			note_others(e, n, i, &m, id);
		return i;
	}
	if (!digits) {
		if (parse_match(id, &m) < 0)
			return -EINVAL;
		for (size_t k = 0; k < n && i < 0; k++) /* newest first */
			if (e[k].core[0] && list_match(&e[k].meta, &m, 1))
				i = (int)k;
		if (i >= 0)
			note_others(e, n, i, &m, id);
	} else {
		m.num = strtoll(id, NULL, 10);
	}
	if (i < 0 && !tell_not_stored(rootfd, &m, false, 0)) {
		char si[4 * PATH_MAX + 1];
		cli_error("no core '%s' in the store (see gzcoredump list)", cli_printable_or(id, "", si, sizeof(si)));
	}
	free(m.real);
	return i;
}

/* e's path in the store, "group/core" or "core", unescaped. */
static const char *entry_path(const struct gzc_store_entry *e, char buf[CLI_ENTRY_PATH_MAX])
{
	snprintf(buf, CLI_ENTRY_PATH_MAX, "%s%s%s", e->group, e->group[0] ? "/" : "", e->core);
	return buf;
}

const char *cli_entry_file(const struct gzc_store_entry *e, char *buf, size_t cap)
{
	char raw[CLI_ENTRY_PATH_MAX];
	cli_printable(entry_path(e, raw), buf, cap);
	return buf;
}

void cli_store_identify(int rootfd, struct gzc_store_entry *e)
{
	if (!e->foreign && e->meta_ok) {
		/* the listing read the sidecar's summary: now all of it (snapshots, modules) */
		struct gzc_meta m;
		int gfd;
		char f[CLI_ENTRY_FILE_MAX], sj[4 * NAME_MAX + 1];
		if (gzc_store_group_open(rootfd, e->group, false, &gfd) < 0)
			return;
		int r = gzc_meta_load(gfd, e->json, &m);
		cli_printable(e->json, sj, sizeof(sj));
		if (r < 0) {
			/* the summary list read parses, the whole does not: say so */
			cli_error("note: %s/%s is damaged past its summary (%s): snapshots and modules not shown",
				  cli_printable_or(e->group, "", f, sizeof(f)), sj, r == -EBADMSG ? "bad JSON or a value of the wrong type" : strerror(-r));
		} else {
			/* a key given twice (after the summary's end) parses differently whole */
			if (m.pid != e->meta.pid || m.timestamp_us != e->meta.timestamp_us)
				cli_error("note: %s/%s contradicts itself (a key given twice?): its summary, which list shows, "
					  "says pid %lld at %llu us", cli_printable_or(e->group, "", f, sizeof(f)), sj,
					  (long long)e->meta.pid, (unsigned long long)e->meta.timestamp_us);
			gzc_meta_clear(&e->meta);
			e->meta = m;
		}
		close(gfd);
		return;
	}
	if (!e->foreign || e->identified)
		return;
	int r = gzc_store_identify(rootfd, e, true);
	char f[CLI_ENTRY_FILE_MAX];
	if (r < 0)
		cli_error("note: %s has no sidecar and its core notes cannot be read: %s", cli_entry_file(e, f, sizeof(f)),
			  r == -ENOEXEC ? "not an ELF core" : r == -EBADMSG ? "not a whole ELF core, or damaged" : strerror(-r));
}

/* info for a file the handler did not store: what its own notes say. */
static void info_foreign(const char *store, const struct gzc_store_entry *e)
{
	const struct gzc_meta *m = &e->meta;
	char t[32], b[3][512], f[CLI_ENTRY_FILE_MAX];
	fmt_time(m->timestamp_us, t, sizeof(t));
	printf("File:        %s/%s\n", cli_printable_or(store, "?", b[0], sizeof(b[0])), cli_entry_file(e, f, sizeof(f)));
	printf("Metadata:    none (a file the handler did not store: gzcoredump -c, gzip, ...)%s\n",
	       e->identified ? "; below, what the core's own notes say" : "");
	printf("Time:        %s (the file's mtime)\n", t);
	if (!e->identified) {
		printf("Stored:      %llu bytes\n", (unsigned long long)m->compressed_size);
		return;
	}
	printf("PID:         %lld\n", (long long)m->pid);
	printf("Signal:      %lld (%s)\n", (long long)m->signal, cli_printable_or(m->signal_name, "?", b[0], sizeof(b[0])));
	printf("Command:     %s\nExecutable:  %s\nCmdline:     %s\n", cli_printable_or(m->comm, "", b[0], sizeof(b[0])),
	       cli_printable_or(m->exe, "", b[1], sizeof(b[1])), cli_printable_or(m->cmdline, "", b[2], sizeof(b[2])));
	printf("Build-id:    %s\n", cli_printable_or(m->build_id, "-", b[0], sizeof(b[0])));
	printf("Size:        %llu bytes, %llu stored (%s)\n", (unsigned long long)m->size,
	       (unsigned long long)m->compressed_size, cli_printable_or(m->format, "?", b[0], sizeof(b[0])));
}

/* Our own JSON parsed back: a string the sidecar wrote as its byte values
 * (not UTF-8) becomes that form again, on one line (gzc_meta_json_text),
 * not an array pretty-printed one number a line. */
static void compact_bytes(json_object *o, int depth)
{
	if (depth > 4 || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, v) {
		if (json_object_is_type(v, json_type_array)) {
			size_t n = json_object_array_length(v);
			char *s = NULL;
			if (n && gzc_meta_bytes_text(v, &s) == 0) {
				json_object *str = gzc_meta_json_text(s);
				if (str)
					json_object_object_add(o, key, str);
			} else {
				for (size_t k = 0; k < n; k++) /* the modules, the stack's threads */
					compact_bytes(json_object_array_get_idx(v, k), depth + 1);
			}
			free(s);
		} else {
			compact_bytes(v, depth + 1);
		}
	}
}

#define STACK_LATER_MS 5000 /* info's time for the stack traces of a core stored without them */

/* The stack traces the handler took when it stored the core, each line
 * made printable (symbols are the program's bytes). */
static void print_stack(const struct gzc_stack *st, const char *note)
{
	char *raw = st->nthreads || st->error ? gzc_stack_format(st, 0, 0) : NULL;
	if (!raw)
		return;
	if (note)
		printf("Stack:       (%s)\n", note);
	char *text = cli_printable_lines(raw, note ? "             " : "Stack:       ", "             ");
	if (text)
		fputs(text, stdout);
	free(text);
	free(raw);
}

/* The crash's signature (stack.h), and how many cores of the store share
 * it: the same bug, likely. A sidecar's text is untrusted: the hint is
 * given only for a signature as we write them. */
static void print_signature(const char *sig, bool recorded, const struct gzc_store_entry *self,
			    const struct gzc_store_entry *e, size_t n)
{
	char b[64];
	if (!sig)
		return;
	size_t same = 1;
	for (size_t k = 0; k < n; k++)
		same += &e[k] != self && e[k].meta.signature && strcmp(e[k].meta.signature, sig) == 0;
	bool ours = gzc_stack_signature_valid(sig);
	printf("Signature:   %s", cli_printable_or(sig, "", b, sizeof(b)));
	if (ours && same > 1 && recorded)
		printf(" (%zu cores in the store have it: gzcoredump list signature=%s)\n", same, sig);
	else if (ours && same > 1) /* (this one's is not recorded: list shows the others) */
		printf(" (%zu other cores in the store have it recorded: gzcoredump list signature=%s)\n", same - 1,
		       sig);
	else if (ours)
		printf(" (no other core in the store has it recorded)\n");
	else
		putchar('\n');
}

/* A core stored without stack traces (before the handler took them, or
 * with stack_trace = no), or a foreign one: its threads unwound now, with
 * the files of this machine that are the builds it had mapped. */
struct later_job {
	struct gzc_reader *rd;
	const struct gzc_meta *m;
};

/* In the sandbox's child (the files are the crashed user's to change): the
 * counts come back as the trace's top error when there is no trace. */
static int unwind_later(void *arg, struct gzc_stack *st)
{
	struct later_job *j = arg;
	size_t found = 0, known = 0;
	int r = gzc_stack_unwind_later(gzc_reader_read_cb, j->rd, gzc_reader_size(j->rd),
				       j->m->nmodules ? j->m->modules : NULL, j->m->nmodules, STACK_LATER_MS, st, &found,
				       &known);
	if (r == 0 && !st->error) { /* the note, carried as the error of a trace that has threads */
		char note[160];
		snprintf(note, sizeof(note),
			 "unwound now, not when stored: %zu of the %zu mapped files of known build %s on this machine",
			 found, known, found == 1 ? "is" : "are");
		st->error = strdup(note);
	}
	return r;
}

static void print_stack_later(int rootfd, const struct gzc_store_entry *e, const struct gzc_store_entry *all,
			      size_t nall)
{
	const struct gzc_meta *m = &e->meta;
	struct gzc_reader *rd = NULL;
	struct gzc_stack st = { 0 };
	struct later_job job = { NULL, m };
	char why[256];

	if (m->stack.nthreads || m->stack.error || gzc_store_open_core(rootfd, e, e->foreign, &rd) < 0)
		return;
	job.rd = rd;
	/* as the crashed user, as the handler unwinds; nobody for a foreign
	 * core, whose notes could name any user */
	int keep = gzc_reader_fd(rd);
	if (cli_sandbox_stack(unwind_later, &job, &keep, 1, e->foreign ? -1 : m->uid, e->foreign ? -1 : m->gid,
			      STACK_LATER_MS + 2000, &st, why, sizeof(why)) < 0) {
		printf("Stack:       (none: %s)\n", why);
	} else {
		char sig[GZC_STACK_SIGNATURE_LEN + 1];
		if (gzc_stack_signature(&st, m->signal, sig) == 0)
			print_signature(sig, false, e, all, nall);
		char *note = st.nthreads ? st.error : NULL;
		if (note)
			st.error = NULL;
		print_stack(&st, note);
		free(note);
	}
	gzc_reader_close(rd);
	gzc_stack_clear(&st);
}

/* As coredumpctl info's stack trace: gdb's, through a private mount of
 * this one core (gzcoredump debug), nothing extracted. Returns debug's
 * exit status. */
static int info_backtrace(const struct admin_opts *o, const struct gzc_store_entry *e)
{
	char id[CLI_ENTRY_PATH_MAX];
	char *args[20];
	int k = 0;
	args[k++] = "debug";
	if (o->store)
		args[k++] = "-S", args[k++] = (char *)o->store;
	if (o->config)
		args[k++] = "-C", args[k++] = (char *)o->config;
	args[k++] = (char *)entry_path(e, id);
	args[k++] = "-q";
	args[k++] = "--";
	static const char *const gdb[] = { "-nx", "-batch", "-ex", "set pagination off", "-ex", "thread apply all bt" };
	for (size_t g = 0; g < sizeof(gdb) / sizeof(gdb[0]); g++)
		args[k++] = (char *)gdb[g];
	args[k] = NULL;
	printf("Stack trace (gdb, every thread):\n");
	fflush(stdout);
	return cmd_debug(k, args);
}

int cmd_info(int argc, char **argv)
{
	struct admin_opts o = { 0 };
	struct gzc_config cfg;
	struct gzc_store_entry *e = NULL;
	size_t n = 0;
	int rootfd, status = 1;

	if (admin_parse(argc, argv, &o, 2) < 0)
		return 2;
	if (open_list(&o, &cfg, &rootfd, &e, &n))
		return 1;
	int i = cli_store_pick(rootfd, e, n, o.id);
	if (i < 0) {
		status = i == -EINVAL ? 2 : 1; /* a bad match is a usage error, as list's */
		goto out;
	}
	cli_store_identify(rootfd, &e[i]);
	const struct gzc_meta *m = &e[i].meta;
	if (!o.json && e[i].foreign) {
		info_foreign(o.store ? o.store : cfg.store, &e[i]);
		if (e[i].identified)
			print_stack_later(rootfd, &e[i], e, n);
		status = o.backtrace ? info_backtrace(&o, &e[i]) : 0;
		goto out;
	}
	if (o.json) {
		char *text = NULL;
		if (gzc_meta_to_json(m, &text) < 0)
			goto out;
		json_object *root = e[i].foreign ? json_tokener_parse(text) : NULL, *sec;
		if (root) {
			/* a foreign file's notes say nothing of these: null, not
			 * the 0, false and -1 of a struct nobody filled */
			if (json_object_object_get_ex(root, "process", &sec))
				json_object_object_add(sec, "rlimit_core", NULL);
			if (json_object_object_get_ex(root, "file", &sec)) {
				json_object_object_add(sec, "span", NULL);
				json_object_object_add(sec, "truncated", NULL);
			}
			json_object_object_add(root, "access", NULL);
			compact_bytes(root, 0);
			cli_put_json(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
				     stdout);
			json_object_put(root);
		} else {
			cli_put_json(text, stdout);
		}
		free(text);
		status = 0;
		goto out;
	}
	/* everything below comes from the store: printed through cli_printable() */
	char t[32], b[8][512];
	const char *store = o.store ? o.store : cfg.store;
	fmt_time(m->timestamp_us, t, sizeof(t));
	printf("File:        %s/%s/%s\n", cli_printable_or(store, "?", b[0], sizeof(b[0])),
	       cli_printable_or(e[i].group, "?", b[1], sizeof(b[1])), cli_printable_or(e[i].core, "?", b[2], sizeof(b[2])));
	printf("Metadata:    %s/%s%s\n", b[1], cli_printable_or(e[i].json, "?", b[3], sizeof(b[3])),
	       e[i].meta_ok ? "" : " (unreadable: pid and time below come from the file name)");
	printf("Time:        %s (%llu us)\n", t, (unsigned long long)m->timestamp_us);
	printf("PID/TID:     %lld/%lld\n", (long long)m->pid, (long long)m->tid);
	printf("UID/GID:     %lld/%lld (euid %lld, egid %lld)\n", (long long)m->uid, (long long)m->gid,
	       (long long)m->euid, (long long)m->egid);
	printf("Signal:      %lld (%s)\n", (long long)m->signal, cli_printable_or(m->signal_name, "?", b[0], sizeof(b[0])));
	printf("Command:     %s\nExecutable:  %s\nCmdline:     %s\nCwd:         %s\n",
	       cli_printable_or(m->comm, "", b[0], sizeof(b[0])), cli_printable_or(m->exe, "", b[1], sizeof(b[1])),
	       cli_printable_or(m->cmdline, "", b[2], sizeof(b[2])), cli_printable_or(m->cwd, "", b[3], sizeof(b[3])));
	if (m->cgroup)
		printf("Cgroup:      %s\n", cli_printable_or(m->cgroup, "", b[0], sizeof(b[0])));
	if (m->unit || m->slice)
		printf("Unit:        %s%s%s (slice %s)\n", cli_printable_or(m->unit, "-", b[0], sizeof(b[0])),
		       m->user_unit ? ", user unit " : "", m->user_unit ? cli_printable_or(m->user_unit, "", b[1], sizeof(b[1])) : "",
		       cli_printable_or(m->slice, "-", b[2], sizeof(b[2])));
	printf("App:         %s %s (from %s)\n", cli_printable_or(m->app, "", b[0], sizeof(b[0])),
	       cli_printable_or(m->app_version, "", b[1], sizeof(b[1])), cli_printable_or(m->source, "?", b[2], sizeof(b[2])));
	printf("Build-id:    %s\n", cli_printable_or(m->build_id, "-", b[0], sizeof(b[0])));
	printf("Package:     %s\n", cli_printable_or(m->package_json, "-", b[0], sizeof(b[0])));
	printf("Host:        %s, kernel %s, boot %s%s%s\n", cli_printable_or(m->hostname, "?", b[0], sizeof(b[0])),
	       cli_printable_or(m->kernel_release, "?", b[1], sizeof(b[1])), cli_printable_or(m->boot_id, "?", b[2], sizeof(b[2])),
	       m->machine_id ? ", machine " : "", m->machine_id ? cli_printable_or(m->machine_id, "", b[3], sizeof(b[3])) : "");
	printf("Size:        %llu bytes, %llu stored (%s, span %u)\n", (unsigned long long)m->size,
	       (unsigned long long)m->compressed_size, cli_printable_or(m->format, "?", b[0], sizeof(b[0])), m->span);
	printf("Truncated:   %s%s%s\n", m->truncated ? "yes" : "no", m->truncated ? ": " : "",
	       m->truncated ? cli_printable_or(m->truncated_reason, "", b[0], sizeof(b[0])) : "");
	printf("Access:      %s\n", cli_printable_or(m->access_reason, "?", b[0], sizeof(b[0])));
	for (size_t k = 0; k < m->nmodules; k++) {
		const struct gzc_module *mod = &m->modules[k];
		printf("%s%s", k ? "             " : "Modules:     ", cli_printable_or(mod->path, "?", b[0], sizeof(b[0])));
		if (mod->build_id)
			printf(", build-id %s", cli_printable_or(mod->build_id, "", b[0], sizeof(b[0])));
		if (mod->package_json)
			printf(", package %s", cli_printable_or(mod->package_json, "", b[0], sizeof(b[0])));
		if (mod->error)
			printf(" (%s)", cli_printable_or(mod->error, "", b[0], sizeof(b[0])));
		putchar('\n');
	}
	/* a sidecar from before signatures were recorded: from its trace */
	char sig[GZC_STACK_SIGNATURE_LEN + 1];
	print_signature(m->signature ? m->signature : gzc_stack_signature(&m->stack, m->signal, sig) == 0 ? sig : NULL,
			m->signature != NULL, &e[i], e, n);
	print_stack(&m->stack, NULL);
	print_stack_later(rootfd, &e[i], e, n);
	status = 0;
	if (o.backtrace)
		status = info_backtrace(&o, &e[i]);
out:
	gzc_store_list_free(e, n);
	close(rootfd);
	return status;
}

int cmd_extract(int argc, char **argv)
{
	struct admin_opts o = { 0 };
	struct gzc_config cfg;
	struct gzc_store_entry *e = NULL;
	size_t n = 0;
	int rootfd, gfd = -1, status = 1, rc;
	char idx[NAME_MAX + 8];

	if (admin_parse(argc, argv, &o, 2) < 0)
		return 2;
	if (!o.out) /* as coredumpctl dump: standard output, never a terminal */
		o.out = "-";
	if (open_list(&o, &cfg, &rootfd, &e, &n))
		return 1;
	int i = cli_store_pick(rootfd, e, n, o.id);
	if (i < 0) {
		status = i == -EINVAL ? 2 : 1; /* a bad match is a usage error, as list's */
		goto out;
	}
	rc = gzc_store_entry_dir(rootfd, &e[i], &gfd);
	/* no blocking on a fifo planted there, and only a regular file */
	int fd = rc < 0 ? -1 : openat(gfd, e[i].core, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = EINVAL;
	}
	int err = rc < 0 ? -rc : errno;
	/* the store's names and strings: escaped here (the codec escapes the
	 * name it is given in its own messages) */
	char f[CLI_ENTRY_FILE_MAX], why[512], raw[CLI_ENTRY_PATH_MAX];
	cli_entry_file(&e[i], f, sizeof(f));
	if (fd < 0) {
		cli_error("cannot open %s: %s", f, strerror(err));
		goto out;
	}
	entry_path(&e[i], raw);
	snprintf(idx, sizeof(idx), "%s%s", e[i].core, GZC_IDX_SUFFIX);
	if (cli_extract_file(fd, gfd, idx, 0, raw, o.out, 0, 0600, NULL) != 0)
		goto out;
	if (e[i].meta.truncated)
		cli_error("note: this core was truncated when stored (%s)",
			  cli_printable_or(e[i].meta.truncated_reason, "?", why, sizeof(why)));
	status = 0;
out:
	if (gfd >= 0)
		close(gfd);
	gzc_store_list_free(e, n);
	close(rootfd);
	return status;
}

int cmd_vacuum(int argc, char **argv)
{
	struct admin_opts o = { 0 };
	struct gzc_config cfg;
	struct gzc_store_entry *e = NULL;
	size_t n = 0;
	int rootfd, lockfd;

	if (admin_parse(argc, argv, &o, 0) < 0)
		return 2;
	if (open_list(&o, &cfg, &rootfd, &e, &n))
		return 1;
	gzc_store_list_free(e, n);
	e = NULL;
	n = 0;
	/* what goes is told by name: the cores listed before and not after */
	struct gzc_store_entry *after = NULL;
	size_t nafter = 0;
	uint64_t used = 0, fs_free = 0;
	struct gzc_ret_limits lim = cli_limits(&cfg, true);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	int r = o.dry_run ? 0 : gzc_store_lock(rootfd, &lockfd);
	if (r == 0 && o.dry_run) {
		/* what goes is the plan itself; every other name is kept */
		r = gzc_store_vacuum_plan(rootfd, &lim, now, &used, &fs_free, &e, &n);
	} else if (r == 0) {
		if (gzc_store_list_names(rootfd, &e, &n, NULL) < 0)
			n = 0;
		r = gzc_store_vacuum(rootfd, &lim, now, NULL, NULL, &used, &fs_free);
		if (r >= 0 && gzc_store_list_names(rootfd, &after, &nafter, NULL) < 0)
			nafter = 0;
		close(lockfd);
	}
	close(rootfd);
	if (r < 0) {
		cli_error("vacuum failed: %s", strerror(-r));
		gzc_store_list_free(e, n);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		bool kept = false;
		for (size_t k = 0; k < nafter && !kept && !o.dry_run; k++)
			kept = !strcmp(e[i].group, after[k].group) && !strcmp(e[i].base, after[k].base);
		char f[CLI_ENTRY_FILE_MAX], t[32];
		if (!kept && e[i].core[0]) {
			fmt_time(e[i].meta.timestamp_us, t, sizeof(t));
			printf("%s %s (crashed %s)\n", o.dry_run ? "would remove" : "removed", cli_entry_file(&e[i], f, sizeof(f)), t);
		}
	}
	gzc_store_list_free(e, n);
	gzc_store_list_free(after, nafter);
	char su[16], sl[16], sf[16], sk[16];
	fmt_size(used, su, sizeof(su));
	fmt_size(lim.max_use, sl, sizeof(sl));
	fmt_size(fs_free, sf, sizeof(sf));
	fmt_size(lim.keep_free, sk, sizeof(sk));
	printf("%s %d core%s; the store's cores %s %s (max_use %s), %s free (keep_free %s)%s\n",
	       o.dry_run ? "would remove" : "removed", r, r == 1 ? "" : "s", o.dry_run ? "would then use" : "use", su, lim.max_use ? sl : "none", sf, lim.keep_free ? sk : "none",
	       lim.max_use || lim.keep_free || lim.max_per_app || lim.max_per_signature || lim.max_age_s
		       ? "" : "; no retention limit is set");
	return 0;
}

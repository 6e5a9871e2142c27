/*
 * main.c — gzcorefs's command line and startup.
 *
 *   gzcorefs STORE MOUNTPOINT [-f] [-d] [-s] [-o OPTIONS]
 *
 * FUSE conventions throughout, so mount.fuse3 and fstab work
 * ("STORE MOUNTPOINT fuse.gzcorefs defaults,allow_other 0 0"). Our own
 * options (cache_size=, cache_dir=, ttl_ms=, readahead_kb=, only=) are taken out of
 * -o; what is left goes to libfuse, which refuses anything it does not
 * know. ro and default_permissions are always added: the mount is
 * read-only and the kernel enforces the owners and modes we report.
 */
#include "gzcorefs.h"

#include <fuse_lowlevel.h>

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

static int log_stderr;

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static void mountinfo_unescape(char *s)
{
	char *o = s;
	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = 0;
}

/* Is path (absolute, resolved) already where a gzcorefs is mounted? A
 * second one on top would hide the first and leave two daemons; mount(8)
 * and fstab retries make that easy to do by accident. Reads this mount
 * namespace's /proc/self/mountinfo (bounded lines); 0 when it cannot tell. */
static int gzcorefs_mounted_at(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4 * PATH_MAX];
	int found = 0;
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		/* id parent major:minor root MOUNTPOINT options [optional...] - FSTYPE source super */
		char *save = NULL, *tok = strtok_r(line, " ", &save), *mnt = NULL;
		for (int i = 1; tok && i < 5; i++)
			tok = strtok_r(NULL, " ", &save);
		mnt = tok;
		while (tok && strcmp(tok, "-") != 0)
			tok = strtok_r(NULL, " ", &save);
		char *type = tok ? strtok_r(NULL, " ", &save) : NULL;
		if (!mnt || !type || strcmp(type, "fuse.gzcorefs") != 0)
			continue;
		mountinfo_unescape(mnt);
		found = strcmp(mnt, path) == 0;
	}
	fclose(f);
	return found;
}

void fs_log_to_stderr(int on) { log_stderr = on; }

/* A message made safe to show: store file names are anyone's bytes, so a
 * control character (C0, DEL, or C1 as UTF-8 encodes it) is written as
 * \xNN, never reaching a terminal or the log raw. */
static void printable_message(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < cap; p++) {
		bool c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
		if (*p < 0x20 || *p == 0x7f || c1) {
			unsigned b = c1 ? *++p : *p;
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", b);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

void fs_log(int prio, const char *fmt, ...)
{
	char raw[2048], msg[4 * sizeof(raw)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	printable_message(raw, msg, sizeof(msg));
	if (log_stderr)
		fprintf(stderr, "gzcorefs: %s\n", msg);
	else
		syslog(prio, "%s", msg);
}

struct fs_args {
	char *store;
	char *cache_size;
	char *cache_dir;
	char *ttl_ms;
	char *readahead_kb;
	char *only;
	int nonopts;
	int help, version;
};

enum { KEY_HELP, KEY_VERSION, KEY_REFUSED };

#define FS_OPT(t, p) { t, offsetof(struct fs_args, p), 0 }
static const struct fuse_opt fs_optspec[] = {
	FS_OPT("cache_size=%s", cache_size),
	FS_OPT("cache_dir=%s", cache_dir),
	FS_OPT("ttl_ms=%s", ttl_ms),
	FS_OPT("readahead_kb=%s", readahead_kb),
	FS_OPT("only=%s", only),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	/* libfuse's own options that would undo what keeps one user's core
	 * from another: the page cache dropped when a name shows another core
	 * (kernel_cache, auto_cache keep it), the owners and modes shown */
	FUSE_OPT_KEY("kernel_cache", KEY_REFUSED),
	FUSE_OPT_KEY("auto_cache", KEY_REFUSED),
	FUSE_OPT_KEY("uid=", KEY_REFUSED),
	FUSE_OPT_KEY("gid=", KEY_REFUSED),
	FUSE_OPT_KEY("umask=", KEY_REFUSED),
	FUSE_OPT_END,
};

static int fs_opt_proc(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct fs_args *a = data;
	(void)out;
	switch (key) {
	case KEY_HELP:
		a->help = 1;
		return 0;
	case KEY_VERSION:
		a->version = 1;
		return 0;
	case KEY_REFUSED:
		fprintf(stderr, "gzcorefs: -o %s is not allowed: gzcorefs decides page caching, owners and modes\n", arg);
		return -1;
	case FUSE_OPT_KEY_NONOPT:
		if (a->nonopts++ == 0) {
			free(a->store);
			a->store = strdup(arg);
			return 0; /* STORE is ours; MOUNTPOINT stays for libfuse */
		}
		if (a->nonopts > 2) {
			fprintf(stderr, "gzcorefs: unexpected argument '%s' (see -h)\n", arg);
			return -1;
		}
		return 1;
	default:
		return 1;
	}
}

static void usage(const char *prog)
{
	printf("gzcorefs " GZC_VERSION " - mount a gzcore store read-only: every compressed core as a plain file\n"
	       "\n"
	       "Usage: %s STORE MOUNTPOINT [-f] [-d] [-s] [-o OPTION[,OPTION...]]\n"
	       "\n"
	       "The tree: /<app>-<version>/core.<pid>[.<n>] and its metadata core.<pid>[.<n>].json\n"
	       "(a reused pid: core.<pid>, core.<pid>.1, ... in crash-time order as the mount first\n"
	       "sees them; a core that turns up later takes the next free number).\n"
	       "\n"
	       "gzcorefs options:\n"
	       "  -h, --help              this help\n"
	       "  -V, --version           print the version\n"
	       "  -o cache_size=SIZE      decoded span cache, e.g. 64M, 1G (default 256M; 0 = none)\n"
	       "  -o cache_dir=DIR        where indexes built here go when the store is read-only\n"
	       "                          (foreign files, or cores whose index is missing;\n"
	       "                          absolute; default " FS_CACHE_DIR ")\n"
	       "  -o ttl_ms=N             re-check the store for new cores at most every N ms (default %u)\n"
	       "  -o readahead_kb=N       the mount's readahead (default 1024; 0 = kernel default)\n"
	       "  -o only=GROUP/FILE      show this one store file (and its metadata) only\n"
	       "  -o allow_other          let other users in (each reads only their own cores)\n"
	       "  -o ro                   accepted; the mount is always read-only\n"
	       "\n"
	       "fstab: STORE MOUNTPOINT fuse.gzcorefs defaults,allow_other 0 0\n"
	       "\n",
	       prog, GZC_VIEW_TTL_DEFAULT_MS);
}

/* The exit status for what the FUSE loop returned: 0 once unmounted, and
 * also when stopped by SIGTERM, SIGINT or SIGHUP (libfuse returns the
 * signal's number: a stop asked for, as systemd's, is no failure). */
static int loop_status(int r)
{
	if (r == SIGTERM || r == SIGINT || r == SIGHUP) {
		fs_log(LOG_INFO, "stopped by %s", strsignal(r));
		return 0;
	}
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fs_args a = { 0 };
	struct fuse_cmdline_opts copts = { 0 };
	static struct fs_ctx c = { .readahead_kb = FS_MAX_READ >> 10, .opened_lock = PTHREAD_MUTEX_INITIALIZER };
	struct gzc_view_opts vo = { 0 };

	/* Every read allocates 1 MiB buffers (libfuse's reply, a span's
	 * compressed bytes): keep them in the heap instead of mmap'ing and
	 * faulting in fresh zeroed pages each time (about 12% of a cold cat),
	 * and give back free memory past 32 MiB (the RSS allowance over the
	 * span cache). */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	struct fuse_loop_config *lcfg = NULL;
	struct fuse *f = NULL;
	uint64_t cache_size = FS_CACHE_DEFAULT, v;
	char *fsname = NULL, *mnt_abs = NULL;
	int rc = 1, mounted = 0;

	/* a command line we cannot take exits 2 (as gzcoredump's usage errors) */
	rc = 2;
	if (fuse_opt_parse(&args, &a, fs_optspec, fs_opt_proc) < 0)
		goto out;
	if (a.help) {
		usage(argv[0]);
		printf("FUSE options:\n");
		fuse_cmdline_help();
		fuse_lib_help(&args);
		rc = 0;
		goto out;
	}
	if (a.version) {
		printf("gzcorefs %s (libfuse %s)\n", GZC_VERSION, fuse_pkgversion());
		rc = 0;
		goto out;
	}
	if (a.cache_size && (gzc_config_parse_size(a.cache_size, &cache_size) < 0 || cache_size > (1ull << 40))) {
		fprintf(stderr, "gzcorefs: bad cache_size '%s' (a size such as 256M, at most 1T)\n", a.cache_size);
		goto out;
	}
	if (a.ttl_ms) {
		if (gzc_config_parse_number(a.ttl_ms, 3600000, &v) < 0 || v == 0) {
			fprintf(stderr, "gzcorefs: bad ttl_ms '%s' (1 to 3600000)\n", a.ttl_ms);
			goto out;
		}
		vo.ttl_ms = (unsigned)v;
	}
	if (a.readahead_kb) {
		if (gzc_config_parse_number(a.readahead_kb, 1u << 20, &v) < 0) {
			fprintf(stderr, "gzcorefs: bad readahead_kb '%s' (0 to 1048576)\n", a.readahead_kb);
			goto out;
		}
		c.readahead_kb = (unsigned)v;
	}
	vo.only = a.only;
	vo.cache_dir = a.cache_dir ? a.cache_dir : FS_CACHE_DIR;
	if (vo.cache_dir[0] != '/' || strlen(vo.cache_dir) >= PATH_MAX) {
		fprintf(stderr, "gzcorefs: cache_dir must be an absolute path\n");
		goto out;
	}
	/* indexes found in the cache are believed as the store's are: only a
	 * directory of our own that no one else can write is used */
	int cr = gzc_view_cache_dir_ok(vo.cache_dir);
	if (cr < 0) {
		fprintf(stderr, "gzcorefs: cache_dir %s is %s%s\n", vo.cache_dir,
			cr == -EPERM ? "not owned by this user or writable by others"
			: cr == -ELOOP ? "a symbolic link" : strerror(-cr),
			a.cache_dir ? "" : ": indexes built here (a read-only store) are kept only while their file is open");
		if (a.cache_dir)
			goto out;
		vo.cache_dir = NULL;
	}
	if (!a.store || a.nonopts < 2) {
		fprintf(stderr, "gzcorefs: need STORE and MOUNTPOINT (see -h)\n");
		goto out;
	}
	rc = 1;

	/* always read-only, kernel-checked permissions, named after the store */
	if (fuse_opt_add_opt_escaped(&fsname, a.store) < 0)
		goto out;
	char *extra;
	if (asprintf(&extra, "-oro,default_permissions,max_read=%u,fsname=%s,subtype=gzcorefs", FS_MAX_READ,
		     fsname) < 0)
		goto out;
	int arc = fuse_opt_add_arg(&args, extra);
	free(extra);
	if (arc < 0)
		goto out;
	if (fuse_parse_cmdline(&args, &copts) != 0) {
		rc = 2;
		goto out;
	}
	if (copts.show_help || copts.show_version) { /* only reachable through odd spellings */
		usage(argv[0]);
		rc = 0;
		goto out;
	}
	if (!copts.mountpoint) {
		fprintf(stderr, "gzcorefs: need STORE and MOUNTPOINT (see -h)\n");
		goto out;
	}
	/* statfs always asks the daemon (stat may answer from cached attributes) */
	struct statfs mst;
	mnt_abs = realpath(copts.mountpoint, NULL);
	if (statfs(copts.mountpoint, &mst) < 0 && errno == ENOTCONN) {
		fprintf(stderr, "gzcorefs: %s is a FUSE mount whose daemon is gone: unmount it first "
				"(fusermount3 -u %s)\n", copts.mountpoint, copts.mountpoint);
		goto out;
	}
	c.mountpoint = mnt_abs ? mnt_abs : copts.mountpoint;
	if (mnt_abs && gzcorefs_mounted_at(mnt_abs)) {
		fprintf(stderr, "gzcorefs: a gzcorefs is already mounted on %s (unmount it first: fusermount3 -u %s)\n",
			mnt_abs, mnt_abs);
		goto out;
	}
	fs_log_to_stderr(copts.foreground || copts.debug);
	openlog("gzcorefs", LOG_PID, LOG_DAEMON);

	int e = gzc_cache_new((size_t)cache_size, &c.cache);
	if (e < 0) {
		fprintf(stderr, "gzcorefs: cache: %s\n", strerror(-e));
		goto out;
	}
	vo.cache = c.cache;
	if ((e = gzc_view_new(a.store, &vo, &c.view)) < 0) {
		if (e == -EINVAL && a.only) {
			fprintf(stderr, "gzcorefs: bad only '%s' (a store file: GROUP/FILE, or FILE at the store's root)\n",
				a.only);
			rc = 2;
		} else
			fprintf(stderr, "gzcorefs: store %s: %s\n", a.store, strerror(-e));
		goto out;
	}

	f = fuse_new(&args, &fs_ops, sizeof(fs_ops), &c);
	if (!f) {
		rc = 2; /* libfuse said why: an option it does not take */
		goto out;
	}
	if (fuse_mount(f, copts.mountpoint) != 0)
		goto out;
	mounted = 1;
	if (fuse_daemonize(copts.foreground) != 0)
		goto out;
	if (fuse_set_signal_handlers(fuse_get_session(f)) != 0)
		goto out;
	fs_log(LOG_INFO, "serving %s on %s (cache %llu bytes)", a.store, c.mountpoint, (unsigned long long)cache_size);
	if (copts.singlethread) {
		rc = loop_status(fuse_loop(f));
	} else {
		lcfg = fuse_loop_cfg_create();
		if (!lcfg)
			goto out;
		fuse_loop_cfg_set_clone_fd(lcfg, copts.clone_fd);
		if (copts.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(lcfg, copts.max_idle_threads);
		if (copts.max_threads != UINT_MAX)
			fuse_loop_cfg_set_max_threads(lcfg, copts.max_threads);
		rc = loop_status(fuse_loop_mt(f, lcfg));
	}
	/* served: a stop signal from now on (systemd's SIGTERM right after
	 * the unmount) would only kill the teardown, so it waits, blocked */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	fuse_remove_signal_handlers(fuse_get_session(f));
out:
	if (mounted)
		fuse_unmount(f);
	if (f)
		fuse_destroy(f);
	if (lcfg)
		fuse_loop_cfg_destroy(lcfg);
	gzc_view_free(c.view);
	gzc_cache_free(c.cache);
	free(copts.mountpoint);
	free(mnt_abs);
	free(fsname);
	free(a.store);
	free(a.cache_size);
	free(a.cache_dir);
	free(a.ttl_ms);
	free(a.readahead_kb);
	free(a.only);
	fuse_opt_free_args(&args);
	return rc;
}

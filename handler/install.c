/*
 * install.c — `gzcoredump install|uninstall`: point the kernel's
 * core_pattern at us and back.
 *
 * What we replace (the core_pattern and core_pipe_limit before the first
 * install) is kept in a state directory of our own (/var/lib/gzcoredump),
 * not in the store, so a re-install with another store or an edited config
 * still gives the original values back. Older versions kept them in the
 * store as hidden files: uninstall still reads those. --persist also
 * writes a sysctl.d file so the setting survives a reboot.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CORE_PATTERN "/proc/sys/kernel/core_pattern"
#define PREV_NAME ".core_pattern.prev"
/* The kernel keeps a crashed process's /proc/<pid> (which the handler reads
 * for identity and metadata) only while it waits for the handler, and it
 * waits only when core_pipe_limit > 0; more concurrent dumps than the limit
 * are skipped. systemd uses 16; 64 leaves room for crash storms. */
#define PIPE_LIMIT_FILE "/proc/sys/kernel/core_pipe_limit"
#define PIPE_LIMIT_PREV ".core_pipe_limit.prev"
#define PIPE_LIMIT 64
#define SYSCTL_FILE "/etc/sysctl.d/50-gzcoredump.conf"
#define STATE_DIR "/var/lib/gzcoredump"
#define PATTERN_BUF 512

static const char *sysctl_file(void)
{
	const char *f = getenv("GZC_SYSCTL_FILE"); /* for tests */
	return f && *f ? f : SYSCTL_FILE;
}

static const char *state_dir(void)
{
	const char *d = getenv("GZC_STATE_DIR"); /* for tests */
	return d && *d ? d : STATE_DIR;
}

static int read_pattern(char *buf, size_t cap)
{
	int fd = open(CORE_PATTERN, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = gzc_read_all(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return 0;
}

static int write_pattern(const char *p)
{
	/* one write, ended by a newline, where the kernel stops: so an empty
	 * pattern (cores off) is written too (a write of no bytes changes nothing) */
	char line[PATTERN_BUF + 1];
	int n = snprintf(line, sizeof(line), "%s\n", p);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	int fd = open(CORE_PATTERN, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = gzc_write_all(fd, line, (size_t)n);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return r;
	char back[PATTERN_BUF];
	r = read_pattern(back, sizeof(back));
	if (r == 0 && strcmp(back, p) != 0)
		r = -EINVAL; /* the kernel cut or refused it */
	return r;
}

/* The value of option opt ("-S") in a pattern line of ours, or "". */
static void opt_of(const char *pattern, const char *opt, char *buf, size_t cap)
{
	char pat[8];
	snprintf(pat, sizeof(pat), " %s ", opt);
	const char *s = strstr(pattern, pat);
	buf[0] = 0;
	if (s) {
		s += strlen(pat);
		snprintf(buf, cap, "%.*s", (int)strcspn(s, " "), s);
	}
}

int cli_installed_options(char *store, size_t scap, char *config, size_t ccap)
{
	char cur[PATTERN_BUF];
	store[0] = config[0] = 0;
	int r = read_pattern(cur, sizeof(cur));
	if (r < 0)
		return r;
	if (!gzc_pattern_is_ours(cur))
		return 0;
	opt_of(cur, "-S", store, scap);
	opt_of(cur, "-C", config, ccap);
	return 1;
}

/* The store a pattern line of ours uses: its -S, else the store of its -C
 * config, else that of /etc/gzcoredump.conf, else the default. */
static void store_of(const char *pattern, char *buf, size_t cap)
{
	struct gzc_config cfg;
	char conf[PATH_MAX];
	struct gzc_config_error cerr;
	opt_of(pattern, "-S", buf, cap);
	if (buf[0])
		return;
	opt_of(pattern, "-C", conf, sizeof(conf));
	gzc_config_init(&cfg);
	/* as the handler reads it: bad lines are skipped, an unreadable file gives the defaults */
	if (gzc_config_load(&cfg, conf[0] ? conf : GZC_CONFIG_PATH, &cerr) < 0 && !cerr.line)
		gzc_config_init(&cfg);
	snprintf(buf, cap, "%s", cfg.store);
}

static int save_file(int dirfd, const char *name, const char *text)
{
	struct gzc_tmpfile t;
	int r = gzc_tmpfile_open(dirfd, 0600, &t);
	if (r < 0)
		return r;
	r = gzc_write_all(t.fd, text, strlen(text));
	if (r == 0)
		r = gzc_tmpfile_replace(&t, name);
	gzc_tmpfile_discard(&t);
	return r;
}

static int load_named(int rootfd, const char *name, char *buf, size_t cap)
{
	char *text = NULL;
	size_t len = 0;
	int r = gzc_proc_read(rootfd, name, cap - 1, &text, &len);
	if (r < 0)
		return r;
	while (len && text[len - 1] == '\n')
		len--;
	text[len] = 0;
	snprintf(buf, cap, "%s", text);
	free(text);
	return 0;
}

static long read_pipe_limit(void)
{
	char buf[32];
	int fd = open(PIPE_LIMIT_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = gzc_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? n : -EIO;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

static int write_pipe_limit(long v)
{
	char buf[32];
	int fd = open(PIPE_LIMIT_FILE, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = gzc_write_all(fd, buf, (size_t)snprintf(buf, sizeof(buf), "%ld\n", v));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* Loads a remembered value: from the state directory, else (an install by
 * an older version) from the store of the installed line, oldfd (may be -1). */
static int load_remembered(int statefd, int oldfd, const char *name, char *buf, size_t cap)
{
	if (statefd >= 0 && load_named(statefd, name, buf, cap) == 0)
		return 0;
	return oldfd >= 0 ? load_named(oldfd, name, buf, cap) : -ENOENT;
}

/* Raises core_pipe_limit to PIPE_LIMIT, remembering the value to give back
 * (the first one seen: a re-install keeps the original). */
static int raise_pipe_limit(int statefd, int oldfd, int reinstall)
{
	long cur = read_pipe_limit();
	char prev[32];
	if (cur < 0)
		return (int)cur;
	if (!(reinstall && load_remembered(statefd, oldfd, PIPE_LIMIT_PREV, prev, sizeof(prev)) == 0))
		snprintf(prev, sizeof(prev), "%ld", cur);
	int r = save_file(statefd, PIPE_LIMIT_PREV, prev);
	if (r < 0)
		return r;
	return cur > 0 && cur >= PIPE_LIMIT ? 0 : write_pipe_limit(PIPE_LIMIT);
}

/* Gives core_pipe_limit back. Returns 0, -ENOENT (nothing remembered) or -errno. */
static int restore_pipe_limit(int statefd, int oldfd)
{
	char prev[32], *end;
	int r = load_remembered(statefd, oldfd, PIPE_LIMIT_PREV, prev, sizeof(prev));
	if (r < 0)
		return r;
	long v = strtol(prev, &end, 10);
	if (end == prev || v < 0)
		return -EINVAL;
	return write_pipe_limit(v);
}

/* Forgets what install remembered, here and in an older version's store. */
static void forget(int statefd, int oldfd)
{
	static const char *const names[] = { PREV_NAME, PIPE_LIMIT_PREV };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (statefd >= 0)
			unlinkat(statefd, names[i], 0);
		if (oldfd >= 0)
			unlinkat(oldfd, names[i], 0);
	}
}

struct install_opts {
	const char *store, *config;
	int persist, print, no_pidfd;
};

static int parse_opts(int argc, char **argv, struct install_opts *o, int install)
{
	enum { O_STORE = 256, O_CONFIG, O_PERSIST, O_PRINT, O_NOPIDFD };
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, O_STORE },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "persist", no_argument, NULL, O_PERSIST },
		{ "print", no_argument, NULL, O_PRINT },
		{ "no-pidfd", no_argument, NULL, O_NOPIDFD },
		{ 0 },
	};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":S:C:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'S': case O_STORE: o->store = optarg; break;
		case 'C': case O_CONFIG: o->config = optarg; break;
		case O_PERSIST: o->persist = 1; break;
		case O_PRINT: o->print = 1; break;
		case O_NOPIDFD: o->no_pidfd = 1; break;
		default: cli_bad_option(argv[0], opt, argv, ""); return -EINVAL;
		}
	}
	if (optind < argc) {
		cli_error("%s: unexpected argument '%s'", argv[0], argv[optind]);
		return -EINVAL;
	}
	if (!install && (o->store || o->config || o->print || o->no_pidfd)) {
		cli_error("uninstall takes only --persist");
		return -EINVAL;
	}
	return 0;
}

int cmd_install(int argc, char **argv)
{
	struct install_opts o = { 0 };
	struct gzc_config cfg;
	char exe[PATH_MAX], line[PATTERN_BUF], cur[PATTERN_BUF], prev[PATTERN_BUF], oldstore[PATH_MAX];
	char abs_store[PATH_MAX], abs_conf[PATH_MAX];
	struct utsname u;
	int r, rootfd = -1, statefd = -1, oldfd = -1, status = 1;

	if (parse_opts(argc, argv, &o, 1) < 0)
		return 2;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		cli_error("cannot find my own path: %s", strerror(errno));
		return 1;
	}
	exe[n] = 0;
	if (o.store && o.store[0] != '/') {
		char cwd[PATH_MAX];
		if (realpath(o.store, abs_store)) {
			/* it exists: its real path */
		} else if (o.print) { /* --print creates nothing: the path as given, made absolute */
			if (!getcwd(cwd, sizeof(cwd))) {
				cli_error("--store %s: %s", o.store, strerror(errno));
				return 1;
			}
			if ((size_t)snprintf(abs_store, sizeof(abs_store), "%s/%s", cwd, o.store) >= sizeof(abs_store)) {
				cli_error("--store %s: %s", o.store, strerror(ENAMETOOLONG));
				return 1;
			}
		} else if (mkdir(o.store, 0700) < 0 || !realpath(o.store, abs_store)) {
			cli_error("--store %s: %s", o.store, strerror(errno));
			return 1;
		}
		o.store = abs_store;
	}
	if (o.config && o.config[0] != '/') {
		if (!realpath(o.config, abs_conf)) {
			cli_error("--config %s: %s", o.config, strerror(errno));
			return 1;
		}
		o.config = abs_conf;
	}
	gzc_config_init(&cfg);
	struct gzc_config_error cerr;
	r = gzc_config_load(&cfg, o.config ? o.config : GZC_CONFIG_PATH, &cerr);
	if (r < 0 && !(r == -ENOENT && !o.config)) {
		/* strict here: a typo is caught when installing, not at the next crash */
		cli_config_error(o.config ? o.config : GZC_CONFIG_PATH, r, &cerr, "not installed");
		return 1;
	}
	bool pidfd = !o.no_pidfd && uname(&u) == 0 && gzc_kernel_has_pidfd(u.release);
	r = gzc_pattern_build(exe, o.store, o.config, pidfd, line, sizeof(line));
	if (r == -ENAMETOOLONG) {
		cli_error("the core_pattern line for %s would be longer than the kernel's %d bytes: "
			  "install gzcoredump at a shorter path, or use a shorter --store/--config",
			  exe, GZC_PATTERN_MAX);
		return 1;
	}
	if (r < 0) {
		cli_error("cannot use these paths in core_pattern (no spaces or '%%' allowed): %s", strerror(-r));
		return 1;
	}
	if (o.print) {
		printf("%s\n", line);
		return 0;
	}
	const char *store = o.store ? o.store : cfg.store;
	r = gzc_store_open(store, true, &rootfd);
	if (r < 0) {
		cli_error("cannot open the store %s: %s", store, strerror(-r));
		return 1;
	}
	r = gzc_store_open(state_dir(), true, &statefd);
	if (r < 0) {
		cli_error("cannot open %s, where install keeps what it replaces: %s", state_dir(), strerror(-r));
		goto fail;
	}
	r = read_pattern(cur, sizeof(cur));
	if (r < 0) {
		cli_error("cannot read %s: %s", CORE_PATTERN, strerror(-r));
		goto fail;
	}
	/* remember the pattern to give back: the one before any gzcoredump */
	int reinstall = gzc_pattern_is_ours(cur);
	snprintf(prev, sizeof(prev), "%s", cur);
	if (reinstall) {
		store_of(cur, oldstore, sizeof(oldstore));
		if (gzc_store_open(oldstore, false, &oldfd) < 0)
			oldfd = -1;
		if (load_remembered(statefd, oldfd, PREV_NAME, prev, sizeof(prev)) < 0 || gzc_pattern_is_ours(prev))
			snprintf(prev, sizeof(prev), "core");
	}
	r = save_file(statefd, PREV_NAME, prev);
	if (r < 0) {
		cli_error("cannot remember the previous core_pattern in %s: %s", state_dir(), strerror(-r));
		goto fail;
	}
	r = raise_pipe_limit(statefd, oldfd, reinstall);
	if (r < 0)
		cli_error("warning: cannot raise %s to %d (%s): a process may be gone before its /proc is read",
			  PIPE_LIMIT_FILE, PIPE_LIMIT, strerror(-r));
	r = write_pattern(line);
	if (r < 0) {
		cli_error("the kernel did not take the core_pattern '%s': %s", line, strerror(-r));
		if (write_pattern(cur) < 0)
			cli_error("and restoring '%s' failed too", cur);
		if (!reinstall) {
			/* nothing installed: core_pipe_limit back, and no notes of a
			 * first install (the next one would remember our 64 as the
			 * value to give back) */
			if (restore_pipe_limit(statefd, -1) < 0)
				cli_error("and restoring %s failed too", PIPE_LIMIT_FILE);
			forget(statefd, -1);
		}
		goto fail;
	}
	if (o.persist) {
		char text[PATTERN_BUF + 128];
		snprintf(text, sizeof(text), "# Written by gzcoredump install; removed by gzcoredump uninstall --persist.\n"
					     "kernel.core_pattern = %s\nkernel.core_pipe_limit = %d\n", line, PIPE_LIMIT);
		const char *f = sysctl_file();
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", f);
		char *slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = 0;
		int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = dfd < 0 ? -errno : save_file(dfd, slash ? strrchr(f, '/') + 1 : f, text);
		if (dfd >= 0)
			close(dfd);
		if (r < 0) {
			cli_error("installed, but cannot write %s: %s", f, strerror(-r));
			goto fail;
		}
		/* readable by sysctl --system, which may run unprivileged tools */
		chmod(f, 0644);
	}
	if (oldfd >= 0)
		forget(-1, oldfd); /* an older version's notes in its store: now in the state directory */
	printf("installed: %s\n", line);
	status = 0;
fail:
	if (oldfd >= 0)
		close(oldfd);
	if (statefd >= 0)
		close(statefd);
	close(rootfd);
	return status;
}

int cmd_uninstall(int argc, char **argv)
{
	struct install_opts o = { 0 };
	char cur[PATTERN_BUF], prev[PATTERN_BUF] = "core", store[PATH_MAX];
	int oldfd = -1, statefd = -1, status = 0;

	if (parse_opts(argc, argv, &o, 0) < 0)
		return 2;
	if (o.persist && unlink(sysctl_file()) < 0 && errno != ENOENT) {
		cli_error("cannot remove %s: %s", sysctl_file(), strerror(errno));
		status = 1;
	}
	int r = read_pattern(cur, sizeof(cur));
	if (r < 0) {
		cli_error("cannot read %s: %s", CORE_PATTERN, strerror(-r));
		return 1;
	}
	if (!gzc_pattern_is_ours(cur)) {
		if (strstr(cur, "gzcoredump"))
			printf("not installed by gzcoredump install: core_pattern is '%s' (set by hand, "
			       "e.g. the original -c line); change it with sysctl kernel.core_pattern=...\n", cur);
		else
			printf("not installed: core_pattern is '%s'\n", cur);
		return status;
	}
	if (gzc_store_open(state_dir(), false, &statefd) < 0)
		statefd = -1;
	store_of(cur, store, sizeof(store));
	if (gzc_store_open(store, false, &oldfd) < 0)
		oldfd = -1;
	if (load_remembered(statefd, oldfd, PREV_NAME, prev, sizeof(prev)) < 0 || gzc_pattern_is_ours(prev))
		snprintf(prev, sizeof(prev), "core");
	r = write_pattern(prev);
	if (r < 0) {
		cli_error("cannot restore core_pattern '%s': %s", prev, strerror(-r));
		status = 1;
	} else {
		r = restore_pipe_limit(statefd, oldfd);
		if (r < 0 && r != -ENOENT)
			cli_error("cannot restore %s: %s", PIPE_LIMIT_FILE, strerror(-r));
		forget(statefd, oldfd);
		rmdir(state_dir()); /* ours alone, now empty (it stays if something else is in it) */
		printf("restored: %s\n", prev);
		if (!o.persist && access(sysctl_file(), F_OK) == 0)
			cli_error("note: %s still installs gzcoredump at boot (uninstall --persist removes it)",
				  sysctl_file());
	}
	if (oldfd >= 0)
		close(oldfd);
	if (statefd >= 0)
		close(statefd);
	return status;
}

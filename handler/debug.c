/*
 * debug.c — `gzcoredump debug ID`: a debugger on a stored core, at once.
 *
 * coredumpctl's debug first decompresses the whole core into /var/tmp. Here
 * the debugger reads the core through a private gzcorefs mount, so only
 * the spans it touches are decompressed and it starts at once:
 *
 *   1. find the core in the store and the executable that made it (the
 *      path recorded at the crash, or --exe), and check that the file there
 *      is still the build that crashed (its GNU build-id against the one
 *      recorded): a rebuilt or upgraded program gives wrong symbols;
 *   2. enter a private mount namespace, so the mount is seen by no other
 *      process and cannot outlive us in anyone's tree;
 *   3. run gzcorefs on a fresh temporary mountpoint (its own process group,
 *      so the terminal's ^C goes to the debugger, not to it; it dies with
 *      us), and find the core's name in the mount by its store-path xattr;
 *   4. run the debugger in the foreground on EXE and the mounted core;
 *   5. unmount, stop gzcorefs, remove the mountpoint; exit with the
 *      debugger's status.
 */
#include "cli.h"
#include "elfid.h"
#include "view.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define DEBUG_MOUNT_WAIT_MS 10000
#define DEBUG_DELETED " (deleted)"

/* Whether a path from /proc ends with DEBUG_DELETED: the file was replaced
 * or removed while the program ran. */
static bool ends_deleted(const char *path)
{
	size_t n = strlen(path), dl = strlen(DEBUG_DELETED);
	return n > dl && strcmp(path + n - dl, DEBUG_DELETED) == 0;
}

struct debug_opts {
	const char *store, *config, *exe, *debugger, *id;
	int quiet;
	char **args; /* after ID: passed to the debugger */
	int nargs;
};

static int debug_parse(int argc, char **argv, struct debug_opts *o)
{
	enum { O_EXE = 256, O_DEBUGGER };
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 'S' },	 { "config", required_argument, NULL, 'C' },
		{ "exe", required_argument, NULL, O_EXE },	 { "debugger", required_argument, NULL, O_DEBUGGER },
		{ "quiet", no_argument, NULL, 'q' },		 { 0 },
	};
	int opt, dd = argc;
	/* getopt moves arguments around: remember which came before "--" (an
	 * ID may; the debugger's arguments come after) */
	char **orig = malloc(sizeof(*orig) * (size_t)(argc + 1));
	if (!orig)
		return -ENOMEM;
	memcpy(orig, argv, sizeof(*orig) * (size_t)argc);
	for (int k = 1; k < argc; k++)
		if (strcmp(argv[k], "--") == 0) {
			dd = k;
			break;
		}
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":S:C:q", longopts, NULL)) != -1) {
		switch (opt) {
		case 'S': o->store = optarg; break;
		case 'C': o->config = optarg; break;
		case 'q': o->quiet = 1; break;
		case O_EXE: o->exe = optarg; break;
		case O_DEBUGGER: o->debugger = optarg; break;
		default:
			cli_bad_option("debug", opt, argv, "; the debugger's own options go after --");
			free(orig);
			return -EINVAL;
		}
	}
	/* no ID: the newest core, as coredumpctl debug does */
	for (int k = 1; optind < argc && k < dd; k++)
		if (orig[k] == argv[optind]) {
			o->id = argv[optind++];
			break;
		}
	free(orig);
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (!o->debugger || !*o->debugger)
		o->debugger = "gdb";
	return 0;
}

/* A path from data (the store, a core's notes, the command line) as an
 * argument no program takes for an option: a relative one gets "./" (gdb
 * would run "-iex=shell ..." as a command). Returns a string to free. */
static char *path_arg(const char *path)
{
	char *s;
	return asprintf(&s, "%s%s", path[0] == '/' ? "" : "./", path) < 0 ? NULL : s;
}

/* Opens the executable at path to read it: only a regular file, nothing
 * else even opened (a fifo or a device planted there). Returns a
 * descriptor or -1 with errno set (EINVAL: not a regular file). */
static int open_exe(const char *path)
{
	int fd = gzc_open_regular(AT_FDCWD, path);
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

/* The executable to hand the debugger, or NULL to give it the core alone
 * (with a warning that says why). Warns when the file is not the build that
 * crashed. Returns a string the caller frees (absolute or "./"-relative:
 * path_arg()), or NULL. */
static char *pick_exe(const struct debug_opts *o, const struct gzc_meta *m)
{
	const char *want = o->exe ? o->exe : m->exe;
	char *path;

	if (!want || !*want) {
		cli_error("warning: no executable recorded for this core; the debugger gets the core alone "
			  "(pass --exe PATH)");
		return NULL;
	}
	if (!(path = path_arg(want)))
		return NULL;
	int fd = open_exe(path);
	if (fd < 0 && !o->exe && ends_deleted(path)) {
		/* replaced while it ran: whatever is there now may still match */
		path[strlen(path) - strlen(DEBUG_DELETED)] = 0;
		fd = open_exe(path);
	}
	char shown[1024], bid[256]; /* the path and build-id come from the store: escaped */
	cli_printable_or(path, "?", shown, sizeof(shown));
	if (fd < 0) {
		cli_error("warning: cannot open the executable %s (%s); the debugger gets the core alone "
			  "(pass --exe PATH)", shown, errno == EINVAL ? "not a regular file" : strerror(errno));
		free(path);
		return NULL;
	}
	struct gzc_elfid *id = NULL;
	int r = gzc_elfid_read(fd, NULL, &id);
	close(fd);
	if (m->build_id && *m->build_id) {
		if (r < 0)
			cli_error("warning: %s is not a readable ELF file (%s); symbols may be wrong", shown, strerror(-r));
		else if (!id->build_id || strcasecmp(id->build_id, m->build_id) != 0)
			cli_error("warning: %s is not the build that crashed (build-id %s, the core's %s); "
				  "symbols will be wrong: pass --exe with the matching file",
				  shown, id->build_id ? id->build_id : "none", cli_printable_or(m->build_id, "?", bid, sizeof(bid)));
	}
	gzc_elfid_free(id);
	return path;
}

/* At most this many libraries are named in the warnings below */
#define DEBUG_CHANGED_SHOWN 10

/* Warns about each library the crash had mapped (the sidecar's modules)
 * that the debugger, which loads them by the paths the core names, would
 * now find in another build: replaced while the program ran (maps said
 * "(deleted)"), gone, or with another GNU build-id. Frames and symbols in
 * such a library may be wrong; the executable is pick_exe()'s. */
static void check_modules(const struct gzc_meta *m)
{
	unsigned changed = 0;
	for (size_t i = 0; i < m->nmodules; i++) {
		const struct gzc_module *mod = &m->modules[i];
		char why[512], shown[1024], bid[256];
		if (!mod->build_id || !mod->path || !*mod->path || (m->exe && strcmp(mod->path, m->exe) == 0))
			continue;
		why[0] = 0;
		if (ends_deleted(mod->path)) {
			snprintf(why, sizeof(why), "it was replaced while the program ran");
		} else {
			struct gzc_elfid *id = NULL;
			int fd = open_exe(mod->path), r = fd < 0 ? -errno : gzc_elfid_read(fd, NULL, &id);
			if (fd >= 0)
				close(fd);
			if (r < 0)
				snprintf(why, sizeof(why), "%s", strerror(-r));
			else if (!id->build_id || strcasecmp(id->build_id, mod->build_id) != 0)
				snprintf(why, sizeof(why), "build-id now %s, at the crash %s", id->build_id ? id->build_id : "none",
					 cli_printable_or(mod->build_id, "?", bid, sizeof(bid)));
			gzc_elfid_free(id);
		}
		if (why[0] && ++changed <= DEBUG_CHANGED_SHOWN)
			cli_error("warning: %s is not the library the crash had loaded (%s); frames in it may be wrong",
				  cli_printable_or(mod->path, "?", shown, sizeof(shown)), why);
	}
	if (changed > DEBUG_CHANGED_SHOWN)
		cli_error("warning: and %u more libraries changed since the crash", changed - DEBUG_CHANGED_SHOWN);
}

/* Where gzcorefs is: beside us (the build tree), in ../bin (installed: we
 * are in sbin), else found on PATH by exec. Returns a string to free. */
static char *find_gzcorefs(void)
{
	char self[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			static const char *const rel[] = { "/gzcorefs", "/../bin/gzcorefs" };
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				snprintf(cand, sizeof(cand), "%s%s", self, rel[i]);
				if (access(cand, X_OK) == 0)
					return strdup(cand);
			}
		}
	}
	return strdup("gzcorefs");
}

/* TERM, HUP, INT and QUIT while the mount is being set up end the command
 * through its cleanup (stop_signal); while the debugger runs, TERM and HUP
 * are forwarded to it (child_to_signal) and INT and QUIT are its own. */
static volatile sig_atomic_t child_to_signal, stop_signal;

static void on_signal(int sig)
{
	if (child_to_signal > 0)
		kill((pid_t)child_to_signal, sig);
	else
		stop_signal = sig;
}

/* The child's signals as they were before us: default actions, nothing blocked. */
static void child_signals(void)
{
	sigset_t none;
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* gzcorefs's "-o only=" for entry e: its store path, with the ',' and '\\'
 * that FUSE's option parser splits on escaped. Returns a string to free. */
static char *only_opt(const struct gzc_store_entry *e)
{
	char path[CLI_ENTRY_PATH_MAX];
	snprintf(path, sizeof(path), "%s%s%s", e->group, e->group[0] ? "/" : "", e->core);
	char *s = malloc(2 * strlen(path) + sizeof("only=")), *p = s;
	if (!s)
		return NULL;
	p += sprintf(p, "only=");
	for (const char *q = path; *q; q++) {
		if (*q == ',' || *q == '\\')
			*p++ = '\\';
		*p++ = *q;
	}
	*p = 0;
	return s;
}

/* Starts gzcorefs on mnt showing only what the -o option only says, its
 * messages to logfd. Returns its pid or -1. */
static pid_t start_fs(const char *gzcorefs, const char *store, const char *mnt, const char *only, int logfd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* the child: not in the terminal's foreground group, dies with us */
	child_signals();
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	dup2(logfd, 2);
	execlp(gzcorefs, "gzcorefs", store, mnt, "-f", "-o", only, (char *)NULL);
	fprintf(stderr, "cannot run %s: %s\n", gzcorefs, strerror(errno));
	_exit(127);
}

/* Waits until mnt is a mount point (its device differs from its parent's),
 * or fs exits (then *fs becomes -1), or the time runs out. Returns 0 or -1. */
static int wait_mounted(const char *mnt, const char *parent, pid_t *fs)
{
	struct stat a, b;
	for (int ms = 0; ms < DEBUG_MOUNT_WAIT_MS; ms += 10) {
		if (stat(mnt, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev)
			return 0;
		if (waitpid(*fs, NULL, WNOHANG) == *fs) {
			*fs = -1; /* reaped */
			return -1;
		}
		if (stop_signal)
			return -1;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Looks for the core whose store path is want among the cores of mnt/group;
 * fills out (capacity cap). Returns 0 or -ENOENT. */
static int find_in_group(const char *mnt, const char *group, const char *want, char *out, size_t cap)
{
	char dir[PATH_MAX], val[PATH_MAX];
	struct dirent *d;
	int rc = -ENOENT;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", mnt, group) >= sizeof(dir))
		return -ENOENT;
	DIR *dp = opendir(dir);
	if (!dp)
		return -ENOENT;
	while (rc < 0 && (d = readdir(dp))) {
		size_t n = strlen(d->d_name);
		if (d->d_name[0] == '.' || (n > 5 && strcmp(d->d_name + n - 5, ".json") == 0))
			continue;
		if ((size_t)snprintf(out, cap, "%s/%s", dir, d->d_name) >= cap)
			continue;
		ssize_t v = getxattr(out, GZC_VIEW_XATTR_STORE_PATH, val, sizeof(val) - 1);
		if (v > 0) {
			val[v] = 0;
			if (strcmp(val, want) == 0)
				rc = 0;
		}
	}
	closedir(dp);
	return rc;
}

/* The core's name in the mount: first in the group the store keeps it in
 * (the mount's group for our own cores), else in any group. */
static int find_core(const char *mnt, const struct gzc_store_entry *e, char *out, size_t cap)
{
	char want[GZC_NAME_MAX + NAME_MAX + 2];
	struct dirent *d;
	int rc;

	snprintf(want, sizeof(want), "%s%s%s", e->group, e->group[0] ? "/" : "", e->core);
	if ((rc = find_in_group(mnt, e->group, want, out, cap)) == 0)
		return 0;
	DIR *dp = opendir(mnt);
	if (!dp)
		return -errno;
	while (rc < 0 && (d = readdir(dp)))
		if (d->d_name[0] != '.')
			rc = find_in_group(mnt, d->d_name, want, out, cap);
	closedir(dp);
	return rc;
}



/* Runs the debugger in the foreground and returns its exit status. */
static int run_debugger(const struct debug_opts *o, const char *exe, const char *core)
{
	const char *base = strrchr(o->debugger, '/');
	base = base ? base + 1 : o->debugger;
	int lldb = strcmp(base, "lldb") == 0 || strncmp(base, "lldb-", 5) == 0;
	char **argv = calloc((size_t)o->nargs + 6, sizeof(*argv));
	int n = 0;

	if (!argv) {
		cli_error("out of memory");
		return 1;
	}
	argv[n++] = (char *)o->debugger;
	for (int i = 0; i < o->nargs; i++)
		argv[n++] = o->args[i];
	if (lldb) {
		argv[n++] = "--core";
		argv[n++] = (char *)core;
		if (exe)
			argv[n++] = (char *)exe;
	} else if (exe) {
		argv[n++] = (char *)exe;
		argv[n++] = (char *)core;
	} else {
		argv[n++] = "-c";
		argv[n++] = (char *)core;
	}

	/* ^C and ^\ are the debugger's; TERM and HUP reach it through us. They
	 * are blocked across the fork, so one that comes before the child's pid
	 * is known is forwarded once it is. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old[2];
	sigset_t fwd, was;
	sigemptyset(&fwd);
	sigaddset(&fwd, SIGTERM);
	sigaddset(&fwd, SIGHUP);
	sigaction(SIGINT, &ign, &old[0]);
	sigaction(SIGQUIT, &ign, &old[1]);
	sigprocmask(SIG_BLOCK, &fwd, &was);
	pid_t pid = fork();
	if (pid == 0) {
		child_signals();
		execvp(o->debugger, argv);
		fprintf(stderr, "gzcoredump: cannot run %s: %s\n", o->debugger, strerror(errno));
		_exit(127);
	}
	int status = 0, rc;
	if (pid < 0) {
		cli_error("cannot start %s: %s", o->debugger, strerror(errno));
		rc = 1;
	} else {
		child_to_signal = pid;
		sigprocmask(SIG_SETMASK, &was, NULL);
		/* not reaped yet (WNOWAIT): a signal forwarded meanwhile cannot
		 * reach another process that got the pid */
		siginfo_t si;
		while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
		child_to_signal = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	sigprocmask(SIG_SETMASK, &was, NULL);
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGQUIT, &old[1], NULL);
	free(argv);
	return rc;
}

/* Prints what gzcorefs said (its log), indented, after a failure. */
static void show_log(int logfd)
{
	char buf[4096];
	ssize_t n = pread(logfd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = 0;
		fprintf(stderr, "gzcorefs said:\n%s", buf);
	}
}

int cmd_debug(int argc, char **argv)
{
	struct debug_opts o = { 0 };
	struct gzc_config cfg;
	struct gzc_store_entry *e = NULL;
	size_t n = 0;
	int rootfd, status = 1, logfd = -1;
	char *exe = NULL, *store = NULL, *gzcorefs = NULL, dir[] = "/tmp/gzcoredump-debug.XXXXXX", mnt[sizeof(dir) + 8], core[PATH_MAX];
	pid_t fs = -1;
	int mounted = 0, made_dir = 0, made_mnt = 0;

	if (debug_parse(argc, argv, &o) < 0)
		return 2;
	if (cli_store_open_list(o.store, o.config, &cfg, &rootfd, &e, &n))
		return 1;
	/* no ID: the newest the handler stored, else the newest foreign core */
	int i = cli_store_pick(rootfd, e, n, o.id);
	if (i >= 0)
		cli_store_identify(rootfd, &e[i]); /* a foreign file: its notes name the executable */
	close(rootfd);
	if (i < 0) {
		status = i == -EINVAL ? 2 : 1; /* a bad match is a usage error, as list's */
		goto out;
	}
	const struct gzc_meta *m = &e[i].meta;
	char why[512];
	if (m->truncated)
		cli_error("warning: this core was truncated when stored (%s): some memory is missing",
			  cli_printable_or(m->truncated_reason, "?", why, sizeof(why)));
	exe = pick_exe(&o, m);
	check_modules(m);
	/* gzcorefs's argument: never an option */
	if (!(store = path_arg(o.store ? o.store : cfg.store))) {
		cli_error("out of memory");
		goto out;
	}

	struct sigaction note = { .sa_handler = on_signal };
	sigaction(SIGTERM, &note, NULL);
	sigaction(SIGHUP, &note, NULL);
	sigaction(SIGINT, &note, NULL);
	sigaction(SIGQUIT, &note, NULL);
	/* a mount namespace of our own: the mount stays private to us and the debugger */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		cli_error("debug needs root, for a private mount of the store (%s)", strerror(errno));
		goto out;
	}
	if (!mkdtemp(dir)) {
		cli_error("cannot make a temporary directory in /tmp: %s", strerror(errno));
		goto out;
	}
	made_dir = 1;
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	if (mkdir(mnt, 0700) < 0) {
		cli_error("cannot make %s: %s", mnt, strerror(errno));
		goto out;
	}
	made_mnt = 1;
	logfd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (logfd < 0 || !(gzcorefs = find_gzcorefs())) {
		cli_error("cannot start gzcorefs: %s", strerror(errno));
		goto out;
	}
	/* the one core: other foreign files are not indexed first */
	char *only = only_opt(&e[i]);
	fs = only ? start_fs(gzcorefs, store, mnt, only, logfd) : -1;
	free(only);
	if (fs < 0) {
		cli_error("cannot start gzcorefs: %s", strerror(errno));
		goto out;
	}
	if (wait_mounted(mnt, dir, &fs) < 0) {
		if (!stop_signal) {
			cli_error("the store did not mount (with %s)", gzcorefs);
			show_log(logfd);
		}
		goto out;
	}
	mounted = 1;
	int rc = find_core(mnt, &e[i], core, sizeof(core));
	if (rc < 0) {
		char f[CLI_ENTRY_FILE_MAX];
		cli_error("the mount does not show %s: %s", cli_entry_file(&e[i], f, sizeof(f)), strerror(-rc));
		show_log(logfd);
		goto out;
	}
	if (!o.quiet) {
		char b[5][1024]; /* from the store and the core's notes: escaped */
		fprintf(stderr, "gzcoredump: pid %lld (%s %s), signal %s: %s on %s, read through gzcorefs "
				"(not extracted)\n",
			(long long)m->pid, cli_printable_or(m->app ? m->app : m->comm, "?", b[0], sizeof(b[0])),
			cli_printable_or(m->app_version, "", b[1], sizeof(b[1])),
			cli_printable_or(m->signal_name, "?", b[2], sizeof(b[2])),
			cli_printable_or(exe, "(no executable)", b[3], sizeof(b[3])),
			cli_printable_or(core, "?", b[4], sizeof(b[4])));
	}
	if (!stop_signal)
		status = run_debugger(&o, exe, core);
out:
	if (stop_signal) {
		cli_error("stopped by signal %d before the debugger started", (int)stop_signal);
		status = 128 + stop_signal;
	}
	if (mounted && umount2(mnt, MNT_DETACH) < 0)
		cli_error("cannot unmount %s: %s", mnt, strerror(errno));
	else if (!mounted && made_mnt)
		umount2(mnt, MNT_DETACH); /* stopped while it was mounting: it may be there */
	if (fs > 0) {
		kill(fs, SIGTERM);
		while (waitpid(fs, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (made_mnt)
		rmdir(mnt);
	if (made_dir)
		rmdir(dir);
	if (logfd >= 0)
		close(logfd);
	free(exe);
	free(store);
	free(gzcorefs);
	gzc_store_list_free(e, n);
	return status;
}

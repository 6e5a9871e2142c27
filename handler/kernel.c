/*
 * kernel.c — `gzcoredump --kernel ...`: the kernel's core_pattern pipe handler.
 *
 * The crashed process is held until we have read its whole core from stdin,
 * so the order is: learn everything from /proc/<pid> first (it vanishes once
 * the dump ends), decide whether and how much to keep, then stream the pipe
 * through the parallel writer into an unnamed file in the store, give the
 * pipe back, and only then do the slow parts (fsync, sidecar, links,
 * vacuum, hooks). Nothing here ever touches the crashed process's cwd or
 * root: every path is ours, relative to the store's dirfd.
 */
#include "cli.h"
#include "ratelimit.h"
#include "elfid.h"
#include "reader.h"
#include "stack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <stdarg.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define READ_STEP (4u << 20)
#define MIN_BUDGET (64u << 10)  /* below this the store is full: skip */
#define ROOM_MIN (256u << 10)   /* least extra room made when a core outgrows its budget */
/* Space held back while streaming, given back just before the sidecar is
 * written: on a disk the core fills up, the sidecar (without its /proc
 * snapshots if need be) still fits, and the core is kept. */
#define META_RESERVE (64u << 10)
#define CORE_MIN 64 /* an ELF core is longer: its 64-byte header (or 52 and a program header) */
#define PIPE_CLOSED "the pipe closed before the core's end"

struct capture {
	struct gzc_kargs k;
	struct gzc_config cfg;
	struct gzc_meta m;
	struct gzc_app *app;
	int procfd;
	int64_t ids_uid[4], ids_gid[4];
	int at_secure;
	struct cli_job *mods_job; /* start_modules() */
	uint64_t mods_start_ms;
	struct gzc_stack_module *files; /* open_module_files(): paths and fds owned */
	size_t nfiles;
	char rate_key[17];  /* set when the rate limit noted this crash (admit()) */
	bool pre_hook_ran;  /* then post_hook runs whatever happens */
	char comm_msg[4 * sizeof(((struct gzc_kargs *)0)->comm) + 1]; /* k.comm, escaped for log lines */
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* stdout and stderr may be closed (or worse, absent) under the kernel:
 * point them at /dev/null so nothing we open lands on fds 1 and 2. */
static void bind_std_fds(void)
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0)
		return;
	if (fcntl(0, F_GETFD) < 0)
		dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	if (nul > 2)
		close(nul);
}

static void set_str(char **field, const char *s)
{
	if (gzc_meta_set(field, s) < 0)
		cli_error("out of memory keeping metadata");
}

/* Reads /proc/<pid>/<name> into a metadata field, bounded. */
static void snap(struct capture *c, const char *name, char **field, int join)
{
	char *buf = NULL;
	size_t len = 0;
	if (c->procfd < 0 || gzc_proc_read(c->procfd, name, GZC_PROC_READ_MAX, &buf, &len) < 0)
		return;
	if (join)
		gzc_proc_cmdline_join(buf, len);
	set_str(field, buf);
	free(buf);
}

static void read_small(const char *path, char **field)
{
	char *buf = NULL;
	size_t len = 0;
	int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	/* fixed, trusted paths under /proc/sys; still bounded and no-follow */
	if (gzc_proc_read(dfd, path, 256, &buf, &len) == 0) {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
			buf[--len] = 0;
		set_str(field, buf);
		free(buf);
	}
	close(dfd);
}

static void gather_process(struct capture *c)
{
	struct gzc_meta *m = &c->m;
	const struct gzc_kargs *k = &c->k;
	char *s = NULL;

	m->pid = k->pid;
	m->tid = k->tid;
	m->uid = k->uid;
	m->gid = k->gid;
	if (gzc_meta_set_signal(m, k->signal) < 0)
		cli_error("out of memory keeping metadata");
	/* the kernel's %t has whole seconds; we start within milliseconds of
	 * the crash, so our clock gives the microseconds (unless it is off) */
	uint64_t t = now_us();
	m->timestamp_us = t / 1000000 - k->time_s <= 2 ? t : k->time_s * 1000000;
	m->rlimit_core = k->rlimit_core;
	m->dump_mode = k->dump_mode;
	set_str(&m->hostname, k->hostname);
	set_str(&m->comm, k->comm);
	read_small("proc/sys/kernel/random/boot_id", &m->boot_id);
	read_small("etc/machine-id", &m->machine_id);
	struct utsname u;
	if (uname(&u) == 0)
		set_str(&m->kernel_release, u.release);

	c->at_secure = -1;
	if (c->procfd < 0)
		return;
	char *status = NULL;
	size_t len = 0;
	if (gzc_proc_read(c->procfd, "status", GZC_PROC_READ_MAX, &status, &len) == 0) {
		if (gzc_proc_parse_ids(status, len, c->ids_uid, c->ids_gid) == 0) {
			m->euid = c->ids_uid[1];
			m->egid = c->ids_gid[1];
		}
		set_str(&m->status, status);
		free(status);
	}
	char *auxv = NULL;
	if (gzc_proc_read(c->procfd, "auxv", 64 * 1024, &auxv, &len) == 0) {
		int sec;
		if (gzc_proc_auxv_secure(auxv, len, &sec) == 0)
			c->at_secure = sec;
		free(auxv);
	}
	if (gzc_proc_readlink(c->procfd, "exe", &s) == 0) {
		set_str(&m->exe, s);
		free(s);
	}
	/* only the string: we never open anything through it */
	if (gzc_proc_readlink(c->procfd, "cwd", &s) == 0) {
		set_str(&m->cwd, s);
		free(s);
	}
	/* %e has '/' turned into '!' by the kernel: the real comm is here */
	char *comm = NULL;
	if (gzc_proc_read(c->procfd, "comm", 64, &comm, &len) == 0) {
		if (len && comm[len - 1] == '\n')
			comm[--len] = 0;
		if (len && !memchr(comm, 0, len))
			set_str(&m->comm, comm);
		free(comm);
	}
	snap(c, "cmdline", &m->cmdline, 1);
	/* which service crashed: its control group, and the units it names */
	char *cg = NULL, *path = NULL;
	if (gzc_proc_read(c->procfd, "cgroup", 64 * 1024, &cg, &len) == 0 && gzc_proc_parse_cgroup(cg, len, &path) == 0) {
		char unit[GZC_UNIT_NAME_MAX], user_unit[GZC_UNIT_NAME_MAX], slice[GZC_UNIT_NAME_MAX];
		gzc_cgroup_units(path, unit, user_unit, slice);
		set_str(&m->cgroup, path);
		set_str(&m->unit, unit[0] ? unit : NULL);
		set_str(&m->user_unit, user_unit[0] ? user_unit : NULL);
		set_str(&m->slice, slice[0] ? slice : NULL);
	}
	free(cg);
	free(path);
	snap(c, "maps", &m->maps, 0);
	snap(c, "limits", &m->limits, 0);
	if (gzc_proc_fds(c->procfd, &s) == 0) {
		set_str(&m->fds, s);
		free(s);
	}
}

/* How long the handler waits for its reads of the executable, and for
 * those of the modules (counted from their start, while the core streams;
 * the modules' own budget is MODULES_BUDGET_MS): bounded.c says why. */
#define EXE_WAIT_MS 2000
#define MODULES_BUDGET_MS 10000
#define MODULES_WAIT_MS 3000
#define MODULES_GRACE_MS 500 /* after the stream, however long it took */

/* The executable's identity, read in a job (cli_job_start). */
struct exe_read {
	int procfd; /* the job's own */
	char section[sizeof(((struct gzc_config *)0)->section)];
	int r;
	struct gzc_elfid *id;
};

static void exe_run(void *p)
{
	struct exe_read *e = p;
	/* the exe magic link must be followed: it is the kernel's, not a path
	 * the process controls, and names the mapped executable */
	int fd = gzc_open_regular(e->procfd, "exe");
	e->r = fd < 0 ? fd : gzc_elfid_read(fd, e->section[0] ? e->section : NULL, &e->id);
	if (fd >= 0)
		close(fd);
	close(e->procfd);
	e->procfd = -1;
}

static void exe_discard(void *p)
{
	struct exe_read *e = p;
	gzc_elfid_free(e->id);
	free(e);
}

/* A job for run on a copy of c's /proc/<pid> descriptor (data's first
 * member, an int, gets it); NULL if none can be made (data freed). */
static struct cli_job *proc_job(const struct capture *c, void (*run)(void *), void (*discard)(void *), void *data)
{
	int *procfd = data;
	if ((*procfd = fcntl(c->procfd, F_DUPFD_CLOEXEC, 3)) < 0) {
		*procfd = -1;
		discard(data);
		return NULL;
	}
	struct cli_job *j = cli_job_start(run, discard, data);
	if (!j) {
		close(*procfd);
		*procfd = -1;
		discard(data);
	}
	return j;
}

static void gather_identity(struct capture *c)
{
	struct gzc_meta *m = &c->m;
	struct gzc_elfid *id = NULL;
	int r = -ENOENT;

	if (c->procfd >= 0) {
		struct exe_read *e = calloc(1, sizeof(*e));
		struct cli_job *j = NULL;
		if (e) {
			snprintf(e->section, sizeof(e->section), "%s", c->cfg.section);
			j = proc_job(c, exe_run, exe_discard, e);
		}
		r = -ENOMEM;
		if (j && (e = cli_job_wait(j, cli_monotonic_ms() + EXE_WAIT_MS))) {
			r = e->r;
			id = e->id;
			e->id = NULL;
			exe_discard(e);
		} else if (j) {
			r = -ETIMEDOUT;
		}
	}
	if (r == -ETIMEDOUT)
		cli_error("pid %d: reading its executable took over %d s (on FUSE or a network file system that does "
			  "not answer?): no ELF identity, naming the core after its comm", (int)c->k.pid, EXE_WAIT_MS / 1000);
	else if (r < 0)
		cli_error("pid %d: no ELF identity (%s), naming the core after its comm", (int)c->k.pid, strerror(-r));
	else if (id->note_err)
		cli_error("pid %d: malformed or oversized ELF notes (%s), used what was valid", (int)c->k.pid,
			  strerror(-id->note_err));
	if (gzc_elfid_app(id, c->m.comm, &c->app) < 0) {
		gzc_elfid_free(id);
		return;
	}
	set_str(&m->app, c->app->name);
	set_str(&m->app_version, c->app->version);
	set_str(&m->group, c->app->group);
	set_str(&m->source, c->app->source == GZC_APP_PKGNOTE ? "package-note"
			    : c->app->source == GZC_APP_SECTION ? "section" : "fallback");
	if (id) {
		set_str(&m->package_json, id->pkg_json);
		set_str(&m->build_id, id->build_id);
		if (id->section_found) {
			set_str(&m->section_name, c->cfg.section);
			set_str(&m->section, id->section);
		}
	}
	gzc_elfid_free(id);
}

/* The modules' identities, read in a job while the core streams. */
struct mods_read {
	int procfd; /* the job's own */
	struct gzc_module *mods;
	size_t n;
	int *fds;   /* the files read, kept for the stack traces (NULL: not kept) */
};

static void mods_run(void *p)
{
	struct mods_read *r = p;
	gzc_modules_identify(r->procfd, r->mods, r->n, MODULES_BUDGET_MS, r->fds);
	close(r->procfd);
	r->procfd = -1;
}

static void mods_discard(void *p)
{
	struct mods_read *r = p;
	for (size_t i = 0; r->fds && i < r->n; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	free(r->fds);
	gzc_modules_free(r->mods, r->n);
	free(r);
}

/* Lists the ELF files the process had mapped (from the maps snapshot)
 * into the metadata, and starts reading their builds (through map_files)
 * in a job: finish_modules() takes what it read. */
static void start_modules(struct capture *c)
{
	struct gzc_meta *m = &c->m;
	struct mods_read *r;
	if (c->procfd < 0 || !m->maps)
		return;
	if (gzc_modules_from_maps(m->maps, strlen(m->maps), &m->modules, &m->nmodules) < 0 || !m->nmodules)
		return;
	/* the job gets a list of its own: the metadata keeps this one if it must go on without the job */
	if (!(r = calloc(1, sizeof(*r))) || gzc_modules_from_maps(m->maps, strlen(m->maps), &r->mods, &r->n) < 0) {
		free(r);
		return;
	}
	if (c->cfg.stack_trace && (r->fds = malloc(r->n * sizeof(*r->fds))))
		for (size_t i = 0; i < r->n; i++)
			r->fds[i] = -1;
	c->mods_start_ms = cli_monotonic_ms();
	c->mods_job = proc_job(c, mods_run, mods_discard, r);
}

/* Keeps the ELF files the modules' job read (through map_files: the very
 * files, even if since replaced; never one on a file system that could
 * hang, FUSE or network: modules.h) for the stack traces taken once the
 * process is released. */
static void take_module_files(struct capture *c, struct mods_read *r)
{
	size_t n = 0;
	for (size_t i = 0; r->fds && i < r->n; i++)
		n += r->fds[i] >= 0;
	if (!n || !(c->files = calloc(n < GZC_STACK_FILES_MAX ? n : GZC_STACK_FILES_MAX, sizeof(*c->files))))
		return;
	for (size_t i = 0; i < r->n && c->nfiles < GZC_STACK_FILES_MAX; i++) {
		char *path = r->fds[i] >= 0 && r->mods[i].path ? strdup(r->mods[i].path) : NULL;
		if (!path)
			continue;
		c->files[c->nfiles++] = (struct gzc_stack_module){ r->mods[i].start, path, r->fds[i] };
		r->fds[i] = -1;
	}
}

/* Takes the modules' builds from their job, waiting for it until
 * MODULES_WAIT_MS after its start; without them each module says why. */
static void finish_modules(struct capture *c)
{
	struct gzc_meta *m = &c->m;
	/* the job shares the CPUs with the stream: it gets MODULES_WAIT_MS in
	 * all, and a little more after a long stream */
	uint64_t now = cli_monotonic_ms(), deadline = c->mods_start_ms + MODULES_WAIT_MS;
	if (deadline < now + MODULES_GRACE_MS)
		deadline = now + MODULES_GRACE_MS;
	struct mods_read *r = c->mods_job ? cli_job_wait(c->mods_job, deadline) : NULL;
	bool waited = c->mods_job != NULL;
	c->mods_job = NULL;
	if (r && r->n == m->nmodules) {
		take_module_files(c, r);
		gzc_modules_free(m->modules, m->nmodules);
		m->modules = r->mods;
		r->mods = NULL;
		r->n = 0;
	} else {
		char why[128];
		if (waited)
			snprintf(why, sizeof(why), "not read: that took over %d s (a file system that does not answer?)",
				 MODULES_WAIT_MS / 1000);
		else
			snprintf(why, sizeof(why), "not read: no thread to read it in");
		if (waited && !r)
			cli_error("pid %d: reading its modules took over %d s: they are listed without their builds",
				  (int)c->k.pid, MODULES_WAIT_MS / 1000);
		for (size_t i = 0; i < m->nmodules; i++)
			if (!m->modules[i].error)
				m->modules[i].error = strdup(why);
	}
	if (r)
		mods_discard(r);
}


#define STACK_BUDGET_MS 3000
#define STACK_GRACE_MS 2000 /* for the child to start, read the notes, write the result */
#define STACK_CACHE (16u << 20) /* the reader's: a few spans of stack */

static void close_module_files(struct capture *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		close(c->files[i].fd);
		free((char *)c->files[i].path);
	}
	free(c->files);
	c->files = NULL;
	c->nfiles = 0;
}

/* Unwinds the stored core's threads (read back through its index: only
 * the spans of their stacks are decompressed) and adds the traces to its
 * sidecar, if the core is still there. The process is gone by now: this
 * holds nothing up but this handler's exit. */
struct unwind_job {
	struct gzc_reader *rd;
	const struct gzc_stack_module *files;
	size_t nfiles;
};

/* In the sandbox's child: the core's notes, then its threads. */
static int unwind_stored(void *arg, struct gzc_stack *st)
{
	struct unwind_job *j = arg;
	struct gzc_coreinfo *info = NULL;
	int r = gzc_corenote_read(gzc_reader_read_cb, j->rd, gzc_reader_size(j->rd), &info);
	if (r == 0)
		r = gzc_stack_unwind(info, gzc_reader_read_cb, j->rd, j->files, j->nfiles, STACK_BUDGET_MS, st);
	gzc_coreinfo_free(info);
	return r;
}

static void take_stack_traces(struct capture *c, int rootfd, const char *stored)
{
	struct gzc_reader *rd = NULL;
	char gzx[PATH_MAX + 16], json[PATH_MAX + 16], why[256];
	int r, fd, lockfd = -1, gfd = -1, sgfd = -1;
	struct stat fst;

	if (!c->nfiles)
		return;
	/* the core just stored, read back by one name under its group's
	 * directory: no link followed, nothing but a regular file opened */
	const char *name = strrchr(stored, '/') ? strrchr(stored, '/') + 1 : stored;
	snprintf(gzx, sizeof(gzx), "%s%s", name, GZC_IDX_SUFFIX);
	if ((r = gzc_store_group_open(rootfd, c->m.group, false, &sgfd)) < 0)
		goto out;
	struct gzc_reader_opts o = { .index_dirfd = sgfd, .index_path = gzx,
				     .flags = GZC_READER_NO_SAVE | GZC_READER_NO_SCAN, .cache_bytes = STACK_CACHE };
	if ((fd = openat(sgfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode)) {
		close(fd);
		r = -EINVAL;
		goto out;
	}
	if ((r = gzc_reader_open(fd, &o, &rd, NULL)) < 0) {
		close(fd);
		goto out;
	}
	/* the files are the crashed user's: read as that user, in a child */
	struct unwind_job job = { rd, c->files, c->nfiles };
	int keep[GZC_STACK_FILES_MAX + 1];
	size_t nkeep = 0;
	keep[nkeep++] = gzc_reader_fd(rd);
	for (size_t i = 0; i < c->nfiles; i++)
		keep[nkeep++] = c->files[i].fd;
	if (cli_sandbox_stack(unwind_stored, &job, keep, nkeep, c->k.uid, c->k.gid, STACK_BUDGET_MS + STACK_GRACE_MS,
			      &c->m.stack, why, sizeof(why)) < 0) {
		cli_error("pid %d: no stack trace: %s", (int)c->k.pid, why);
		gzc_stack_clear(&c->m.stack);
		if ((c->m.stack.error = strdup(why)) == NULL)
			goto out;
	}
	char sig[GZC_STACK_SIGNATURE_LEN + 1];
	if (gzc_stack_signature(&c->m.stack, c->m.signal, sig) == 0 && (r = gzc_meta_set(&c->m.signature, sig)) < 0)
		goto out;
	/* the sidecar is replaced under the lock, and only while its core is
	 * there: a vacuum may have taken it meanwhile */
	const char *base = name;
	size_t blen = strlen(base) - strlen(strrchr(base, '.') ? strrchr(base, '.') : "");
	snprintf(json, sizeof(json), "%.*s%s", (int)blen, base, GZC_META_SUFFIX);
	struct stat st;
	if ((r = gzc_store_lock(rootfd, &lockfd)) < 0 || (r = gzc_store_group_open(rootfd, c->m.group, false, &gfd)) < 0)
		goto out;
	if (fstatat(gfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		goto out;
	}
	r = gzc_meta_replace(&c->m, gfd, json, 0600);
	if (r == -EFBIG && c->m.stack.nthreads > 1) {
		/* a sidecar near its limit already: the crashing thread's alone */
		gzc_stack_keep(&c->m.stack, 1);
		r = gzc_meta_replace(&c->m, gfd, json, 0600);
	}
	if (r == 0 && c->cfg.max_per_signature && c->m.signature) {
		/* its signature is known now: retention again, sparing it */
		char spare[GZC_STORE_BASE_MAX];
		snprintf(spare, sizeof(spare), "%.*s", (int)blen, base);
		struct gzc_ret_limits lim = cli_limits(&c->cfg, true);
		int v = gzc_store_vacuum(rootfd, &lim, now_us(), NULL, spare, NULL, NULL);
		if (v < 0)
			cli_error("pid %d: vacuum by max_per_signature failed: %s", (int)c->k.pid, strerror(-v));
	}
out:
	if (r < 0)
		cli_error("pid %d: no stack trace in the metadata: %s", (int)c->k.pid, strerror(-r));
	if (gfd >= 0)
		close(gfd);
	if (sgfd >= 0)
		close(sgfd);
	if (lockfd >= 0)
		close(lockfd);
	gzc_reader_close(rd);
	close_module_files(c);
}

/* Leaves out the step-th of the bulky metadata a process controls, for a
 * sidecar that does not fit: past GZC_META_MAX_FILE (cause -EFBIG: its
 * libraries' notes and names, its /proc snapshots and command line can
 * make it so, control bytes growing sixfold as JSON escapes) or on a full
 * disk. Returns false when nothing is left to leave out. */
static bool shed_metadata(struct capture *c, size_t step, int cause)
{
	struct gzc_meta *m = &c->m;
	static const char *const what[] = { "its modules' package notes", "its open files", "its memory maps",
					     "its modules", "its status and limits", "its command line" };
	switch (step) {
	case 0:
		for (size_t i = 0; i < m->nmodules; i++) {
			free(m->modules[i].package_json);
			m->modules[i].package_json = NULL;
		}
		break;
	case 1: set_str(&m->fds, NULL); break; /* setting NULL cannot fail */
	case 2: set_str(&m->maps, NULL); break;
	case 3:
		gzc_modules_free(m->modules, m->nmodules);
		m->modules = NULL;
		m->nmodules = 0;
		break;
	case 4:
		set_str(&m->status, NULL);
		set_str(&m->limits, NULL);
		break;
	case 5: set_str(&m->cmdline, NULL); break;
	default: return false;
	}
	cli_error("pid %d: the metadata %s: %s left out", (int)c->k.pid,
		  cause == -EFBIG ? "passed what a reader accepts" : "does not fit on the disk", what[step]);
	return true;
}

/* Bytes still waiting in the pipe? (after a cap: tells truncated from exact) */
static int pipe_has_more(int fd)
{
	char b;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 1000) <= 0)
		return 0;
	return read(fd, &b, 1) == 1;
}

static void hook_env(const struct capture *c, const char *event, const char *core, char *env[], char store[][PATH_MAX + 32])
{
	const struct gzc_meta *m = &c->m;
	int n = 0;
#define ENV(fmt, ...) do { snprintf(store[n], PATH_MAX + 32, fmt, __VA_ARGS__); env[n] = store[n]; n++; } while (0)
	ENV("%s", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	ENV("GZC_EVENT=%s", event);
	ENV("GZC_PID=%lld", (long long)m->pid);
	ENV("GZC_UID=%lld", (long long)m->uid);
	ENV("GZC_SIGNAL=%lld", (long long)m->signal);
	ENV("GZC_COMM=%s", m->comm ? m->comm : "");
	ENV("GZC_EXE=%s", m->exe ? m->exe : "");
	ENV("GZC_APP=%s", m->app ? m->app : "");
	ENV("GZC_VERSION=%s", m->app_version ? m->app_version : "");
	ENV("GZC_GROUP=%s", m->group ? m->group : "");
	ENV("GZC_CORE=%s", core ? core : "");
	ENV("GZC_TRUNCATED=%d", m->truncated);
	if (strcmp(event, "post") == 0)
		ENV("GZC_STORED=%d", core != NULL);
#undef ENV
	env[n] = NULL;
}

static void run_hook(const struct capture *c, const char *event, const char *cmd, const char *core)
{
	char *env[16];
	static char store[16][PATH_MAX + 32];
	if (!cmd[0])
		return;
	hook_env(c, event, core, env, store);
	int r = cli_run_hook(event, cmd, (unsigned)c->cfg.hook_timeout_s, env);
	(void)r; /* logged by cli_run_hook; a failed hook never loses the core */
}

static uint64_t core_budget(const struct gzc_config *cfg, uint64_t written, uint64_t fs_free)
{
	struct gzc_ret_limits lim = cli_limits(cfg, false);
	return gzc_retention_core_budget(&lim, written, fs_free);
}

/* A crash whose core is not stored still shows in `gzcoredump list`: it
 * goes to the store's skip log (skiplog.h), under the store lock (taken
 * here unless `locked`), opening the store if rootfd < 0. A failure here
 * is logged and changes nothing else. */
static void note_skipped(const struct capture *c, const char *store, int rootfd, bool locked, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void note_skipped(const struct capture *c, const char *store, int rootfd, bool locked, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	int fd = rootfd, lockfd = -1, r = 0;
	if (fd < 0)
		r = gzc_store_open(store, true, &fd);
	if (r == 0 && !locked)
		r = gzc_store_lock(fd, &lockfd);
	if (r == 0)
		r = gzc_skiplog_add(fd, &c->m, reason);
	if (r < 0)
		cli_error("pid %d: cannot note the crash in the store's list of crashes not stored: %s", (int)c->k.pid,
			  strerror(-r));
	/* the rate limit counts stored cores: its slot goes back (under the lock) */
	if (c->rate_key[0] && fd >= 0 && (locked || lockfd >= 0) &&
	    (r = gzc_ratelimit_forget(fd, c->rate_key, c->m.timestamp_us, getpid())) < 0)
		cli_error("pid %d: cannot take the crash back from the rate limit's history: %s", (int)c->k.pid,
			  strerror(-r));
	if (lockfd >= 0)
		close(lockfd);
	if (fd >= 0 && fd != rootfd)
		close(fd);
}

/* Under the lock: the rate limit, a vacuum that also makes room under
 * keep_free for the incoming core's first `reserve` bytes (the oldest
 * cores go first), and how big the core may grow (UINT64_MAX: no limit but
 * the disk, whose end the writer meets as an output error). Returns 1 to
 * go on, 0 to skip (logged), negative errno. */
static int admit(struct capture *c, int rootfd, uint64_t reserve, uint64_t *ret_budget)
{
	struct gzc_ret_limits lim = cli_limits(&c->cfg, false);
	int r;
	if (c->cfg.rate_count) {
		/* per executable: its path, or the comm if /proc gave none */
		char key[17];
		bool ok;
		gzc_ratelimit_key(c->m.exe ? c->m.exe : c->m.comm ? c->m.comm : "", key);
		/* pending while this handler lives: killed before storing, it costs no slot */
		r = gzc_ratelimit_admit(rootfd, key, c->m.timestamp_us, c->cfg.rate_count, c->cfg.rate_window_s,
					getpid(), &ok);
		if (r < 0)
			cli_error("rate limit history: %s (not limiting this crash)", strerror(-r));
		else if (ok)
			memcpy(c->rate_key, key, sizeof(key)); /* a crash not stored gives it back */
		if (!ok) {
			char exe[256];
			cli_error("pid %d (%s): skipped, rate limit of %u per %llus reached for %s", (int)c->k.pid,
				  c->comm_msg, c->cfg.rate_count, (unsigned long long)c->cfg.rate_window_s,
				  c->m.exe ? cli_printable_or(c->m.exe, "", exe, sizeof(exe)) : c->comm_msg);
			note_skipped(c, NULL, rootfd, true, "rate limit of %u per %llus reached", c->cfg.rate_count,
				     (unsigned long long)c->cfg.rate_window_s);
			return 0;
		}
	}
	/* the vacuum reports the free space after its removals; a failed vacuum
	 * (logged) still leaves the space to check */
	uint64_t fs_free = 0;
	/* no max_per_app slot is freed for it (.group): the run after storing
	 * does that, so a core that ends up empty or not stored costs no
	 * other core of its app */
	struct gzc_ret_incoming in = { .reserve = reserve, .time_us = c->m.timestamp_us };
	r = gzc_store_vacuum(rootfd, &lim, c->m.timestamp_us, &in, NULL, NULL, &fs_free);
	if (r < 0) {
		cli_error("vacuum before storing failed: %s", strerror(-r));
		if ((r = gzc_store_fs_free(rootfd, &fs_free)) < 0)
			return r;
	}
	uint64_t budget = core_budget(&c->cfg, 0, fs_free);
	if (budget < MIN_BUDGET) {
		const char *why = fs_free < MIN_BUDGET	       ? "the store's file system is full"
				  : c->cfg.max_use && budget == c->cfg.max_use ? "max_use is too small for any core"
							      : "no room left above keep_free";
		cli_error("pid %d (%s): skipped, %s", (int)c->k.pid, c->comm_msg, why);
		note_skipped(c, NULL, rootfd, true, "%s", why);
		return 0;
	}
	*ret_budget = lim.max_use || lim.keep_free ? budget : UINT64_MAX;
	return 1;
}

/* The core outgrew its room above keep_free: under the lock, deletes the
 * oldest cores to make room for `need` more bytes and a margin of a
 * quarter of what it wrote (at least ROOM_MIN), so a big core lists the
 * store a few dozen times, not at every step, and frees at most a quarter
 * more than it ends up using. Returns 1 if the budget grew (*budget is the
 * new total), else 0. */
static int make_room(struct capture *c, int rootfd, uint64_t out, uint64_t need, uint64_t *budget)
{
	struct gzc_ret_limits lim = cli_limits(&c->cfg, false);
	uint64_t margin = out / 4 > ROOM_MIN ? out / 4 : ROOM_MIN, fs_free = 0;
	struct gzc_ret_incoming in = { .written = out, .reserve = need + MIN_BUDGET + margin,
				       .time_us = c->m.timestamp_us };
	int lockfd, r;

	if (!lim.keep_free || gzc_store_lock(rootfd, &lockfd) < 0)
		return 0;
	/* only older cores make room, and only if that is enough: with the
	 * margin if it can, else for what is pending alone */
	r = gzc_store_vacuum(rootfd, &lim, now_us(), &in, NULL, NULL, &fs_free);
	if (r == 0 && core_budget(&c->cfg, out, fs_free) <= *budget) {
		in.reserve = need + MIN_BUDGET;
		r = gzc_store_vacuum(rootfd, &lim, now_us(), &in, NULL, NULL, &fs_free);
	}
	close(lockfd);
	if (r < 0) {
		cli_error("pid %d: making room in the store failed: %s", (int)c->k.pid, strerror(-r));
		return 0;
	}
	uint64_t total = core_budget(&c->cfg, out, fs_free);
	if (total <= *budget)
		return 0;
	if (r > 0)
		syslog(LOG_INFO, "pid %d (%s): removed %d older core%s to make room", (int)c->k.pid, c->comm_msg, r,
		       r == 1 ? "" : "s");
	*budget = total;
	return 1;
}

/* Streams stdin into the writer within the caps. Sets m.truncated/reason.
 * The store budget bounds the compressed output. Input taken but not yet
 * written (at most the writer's memory bound) may come out up to its own
 * size, so each step takes no more input than the budget left after that.
 * When the budget runs short, the writer first writes out what it holds
 * (it usually compresses well), then older cores are removed as the limits
 * allow; only then is the core cut. */
static int stream(struct capture *c, struct gzc_writer *w, int rootfd, uint64_t cap, const char *cap_reason,
		  uint64_t budget)
{
	uint64_t taken = 0;
	int drained = 0;
	for (;;) {
		uint64_t out = gzc_writer_bytes_out(w), pend = gzc_writer_bytes_in(w) - gzc_writer_bytes_done(w);
		uint64_t left = budget > out ? budget - out : 0;
		if (budget != UINT64_MAX && left <= pend + MIN_BUDGET) {
			if (!drained) {
				drained = 1;
				if (gzc_writer_drain(w) == 0)
					continue;
			} else if (make_room(c, rootfd, out, pend, &budget)) {
				drained = 0;
				continue;
			}
			c->m.truncated = 1;
			set_str(&c->m.truncated_reason, gzc_writer_output_error(w) ? "disk full"
						       : c->cfg.max_use && budget >= c->cfg.max_use ? "store limit (max_use)"
						       : c->cfg.keep_free			     ? "store limit (keep_free)"
											     : "disk full");
			return 0;
		}
		uint64_t step = cap - taken < READ_STEP ? cap - taken : READ_STEP;
		if (budget != UINT64_MAX && step > (left - pend) / 16 * 15)
			step = (left - pend) / 16 * 15;
		if (cap == taken) {
			if (pipe_has_more(STDIN_FILENO)) {
				c->m.truncated = 1;
				set_str(&c->m.truncated_reason, cap_reason);
			}
			return 0;
		}
		uint64_t got = 0;
		int rd = gzc_writer_read_fd(w, STDIN_FILENO, step, &got);
		taken += got;
		drained = 0;
		if (gzc_writer_output_error(w)) {
			c->m.truncated = 1;
			set_str(&c->m.truncated_reason, "disk full");
			return 0;
		}
		if (rd < 0) {
			c->m.truncated = 1;
			set_str(&c->m.truncated_reason, "reading the core failed");
			cli_error("pid %d: reading the core failed: %s", (int)c->k.pid, strerror(-rd));
			return 0;
		}
		if (rd == 0) {
			uint64_t expected;
			/* the kernel writes a whole ELF header first: a dump it
			 * stopped at once (SIGKILL, a freeze) sends less */
			if (gzc_writer_bytes_in(w) < CORE_MIN || cli_core_cut_short(w, &expected)) {
				c->m.truncated = 1;
				set_str(&c->m.truncated_reason, PIPE_CLOSED);
			}
			return 0; /* all the kernel sent */
		}
		/* other handlers share the file system: look again (the loop's top
		 * drains, makes room or cuts if the room shrank) */
		uint64_t fs_free = 0;
		if (c->cfg.keep_free && gzc_store_fs_free(rootfd, &fs_free) == 0) {
			uint64_t b = core_budget(&c->cfg, gzc_writer_bytes_out(w), fs_free);
			if (b < budget)
				budget = b;
		}
	}
}

/* Links sidecar, index, then core into the group, under the lock. The
 * reserve (see META_RESERVE) is given back first. */
static int commit(struct capture *c, int rootfd, struct gzc_tmpfile *t, struct gzc_tmpfile *reserve,
		  const struct gzc_index *idx, const char *ext, char *ret_path, size_t cap)
{
	char base[GZC_STORE_BASE_MAX], core[GZC_STORE_FILE_MAX], json[GZC_STORE_FILE_MAX], gzx[GZC_STORE_FILE_MAX + 8];
	int lockfd = -1, gfd = -1, r;
	struct stat st;

	r = gzc_store_lock(rootfd, &lockfd);
	if (r < 0)
		return r;
	r = gzc_store_group_open(rootfd, c->m.group, true, &gfd);
	if (r < 0)
		goto out;
	for (unsigned i = 0;; i++) {
		r = gzc_store_base_name(c->m.pid, c->m.timestamp_us, i, base, sizeof(base));
		if (r < 0)
			goto out;
		snprintf(core, sizeof(core), "%s%s", base, ext);
		snprintf(json, sizeof(json), "%s%s", base, GZC_META_SUFFIX);
		if (fstatat(gfd, core, &st, AT_SYMLINK_NOFOLLOW) < 0 && fstatat(gfd, json, &st, AT_SYMLINK_NOFOLLOW) < 0)
			break;
		if (i > 100) {
			r = -EEXIST;
			goto out;
		}
	}
	snprintf(gzx, sizeof(gzx), "%s%s", core, GZC_IDX_SUFFIX);
	set_str(&c->m.file_name, core);
	set_str(&c->m.index_name, gzx);
	gzc_tmpfile_discard(reserve);
	/* too large to read back, or a full disk: the core is kept with less said of it */
	for (size_t step = 0;; step++) {
		r = gzc_meta_save(&c->m, gfd, json, 0600);
		if ((r != -EFBIG && r != -ENOSPC && r != -EDQUOT) || !shed_metadata(c, step, r))
			break;
	}
	if (r < 0)
		goto fail_links;
	r = gzc_index_save(idx, gfd, gzx);
	if (r < 0) /* only a cache: readers rebuild it */
		cli_error("warning: cannot write the index %s/%s: %s", c->m.group, gzx, strerror(-r));
	/* the core's name last, so a visible core always has its sidecar */
	if (!t->name[0]) {
		char final[GZC_STORE_FILE_MAX];
		t->dirfd = gfd;
		r = gzc_tmpfile_commit(t, core, NULL, final, sizeof(final));
		if (r == 0 && strcmp(final, core) != 0)
			r = -EEXIST; /* cannot happen under the lock */
	} else {
		r = fsync(t->fd) < 0 ? -errno : 0;
		if (r == 0 && linkat(rootfd, t->name, gfd, core, 0) < 0)
			r = -errno;
		if (r == 0)
			fsync(gfd);
	}
	if (r < 0)
		goto fail_links;
	snprintf(ret_path, cap, "%s/%s", c->m.group, core);
	/* stored: the crash now counts after this handler exits too */
	if (c->rate_key[0] && (r = gzc_ratelimit_confirm(rootfd, c->rate_key, c->m.timestamp_us, getpid())) < 0)
		cli_error("pid %d: cannot note the stored crash in the rate limit's history: %s", (int)c->k.pid,
			  strerror(-r));
	c->rate_key[0] = 0;
	r = 0;
	/* after: retention again, sparing the core just stored */
	struct gzc_ret_limits lim = cli_limits(&c->cfg, false);
	int v = gzc_store_vacuum(rootfd, &lim, now_us(), NULL, base, NULL, NULL);
	if (v < 0)
		cli_error("vacuum after storing failed: %s", strerror(-v));
	goto out;
fail_links:
	unlinkat(gfd, json, 0);
	unlinkat(gfd, gzx, 0);
	unlinkat(rootfd, c->m.group, AT_REMOVEDIR);
out:
	if (gfd >= 0)
		close(gfd);
	close(lockfd);
	return r;
}

int cmd_kernel(int argc, char **argv)
{
	struct capture c = { .procfd = -1 };
	struct gzc_tmpfile t = { .fd = -1 }, reserve = { .fd = -1 };
	struct gzc_writer *w = NULL;
	struct gzc_index *idx = NULL;
	int rootfd = -1, lockfd = -1, r, status = 1;
	char stored[PATH_MAX];

	bind_std_fds();
	/* the kernel gives us no environment; should one come anyway, the
	 * stack traces' symbol search stays on this machine */
	unsetenv("DEBUGINFOD_URLS");
	/* a larger pipe lets the kernel run ahead of us while we start up and
	 * halves the wake-ups while we stream (fails harmlessly if stdin is not
	 * a pipe or the size is over fs.pipe-max-size) */
	fcntl(STDIN_FILENO, F_SETPIPE_SZ, CLI_PIPE_SIZE);
	cli_syslog = 1;
	openlog("gzcoredump", LOG_PID, LOG_DAEMON);
	umask(077);
	if (chdir("/") < 0) /* our own cwd: never the crashed process's */
		return 1;
	gzc_meta_init(&c.m);
	if (gzc_kargs_parse(argc, argv, &c.k) < 0) {
		cli_error("--kernel: bad arguments from core_pattern (see gzcoredump install --print)");
		return 2;
	}
	cli_printable(c.k.comm, c.comm_msg, sizeof(c.comm_msg));
	gzc_config_init(&c.cfg);
	const char *conf = c.k.config ? c.k.config : GZC_CONFIG_PATH;
	struct gzc_config_error cerr;
	r = gzc_config_load(&c.cfg, conf, &cerr);
	/* no /etc/gzcoredump.conf is the defaults; a -C file the pattern names
	 * that is gone (renamed, purged) is said, or its store and limits
	 * would be dropped without a word */
	if (r < 0 && (r != -ENOENT || c.k.config)) {
		/* a bad line costs that line only: the store and the other limits stay as written */
		cli_config_error(conf, r, &cerr, cerr.line ? "that line is ignored" : "using the defaults");
		if (!cerr.line)
			gzc_config_init(&c.cfg);
	}
	const char *store = c.k.store ? c.k.store : c.cfg.store;

	/* /proc/<pid> first: it exists only while the dump is in progress */
	r = gzc_proc_open("/proc", c.k.pid, c.k.pidfd, &c.procfd);
	if (r < 0 && c.k.pidfd >= 0) {
		cli_error("pid %d: /proc/%d does not match the kernel's pidfd (%s): not storing", (int)c.k.pid,
			  (int)c.k.pid, strerror(-r));
		gather_process(&c); /* what the kernel said only: no /proc */
		note_skipped(&c, store, -1, false, "/proc/%d is not the process the kernel named", (int)c.k.pid);
		goto out;
	}
	if (r < 0)
		cli_error("pid %d: cannot open /proc/%d (%s): storing without process details", (int)c.k.pid,
			  (int)c.k.pid, strerror(-r));
	gather_process(&c);
	gather_identity(&c);
	if (!c.app) {
		cli_error("pid %d: out of memory", (int)c.k.pid);
		goto out;
	}
	bool readable;
	const char *why;
	if (c.procfd >= 0 && (c.ids_uid[0] != c.k.uid || c.ids_gid[0] != c.k.gid)) {
		/* /proc/<pid> shows another owner than the kernel named: without
		 * a pidfd, a reused pid (never a reason to give anyone the core) */
		c.m.owner_uid = -1;
		readable = false;
		why = "the process in /proc is not the one the kernel named (uid/gid differ): root only";
	} else {
		gzc_access_decide(c.m.dump_mode, c.procfd >= 0 ? c.ids_uid[0] : -1, c.m.euid,
				  c.procfd >= 0 ? c.ids_gid[0] : -1, c.m.egid, c.at_secure, &c.m.owner_uid, &readable,
				  &why);
	}
	c.m.user_readable = readable;
	set_str(&c.m.access_reason, why);

	/* the kernel ignores RLIMIT_CORE for pipes: apply it here */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), cap = UINT64_MAX;
	const char *cap_reason = "RLIMIT_CORE";
	if (c.k.rlimit_core < page) {
		syslog(LOG_INFO, "pid %d (%s): RLIMIT_CORE %llu is below a page, not storing", (int)c.k.pid, c.comm_msg,
		       (unsigned long long)c.k.rlimit_core);
		note_skipped(&c, store, -1, false, "RLIMIT_CORE (ulimit -c) is %llu bytes, below a page",
			     (unsigned long long)c.k.rlimit_core);
		status = 0;
		goto out;
	}
	cap = c.k.rlimit_core;
	if (c.cfg.max_core_size && c.cfg.max_core_size < cap) {
		cap = c.cfg.max_core_size;
		cap_reason = "max_core_size";
	}

	r = gzc_store_open(store, true, &rootfd);
	if (r < 0) {
		cli_error("cannot open the store %s: %s", store, strerror(-r));
		goto out;
	}
	cli_resolve_limits(&c.cfg, rootfd);
	uint64_t budget = 0;
	r = gzc_store_lock(rootfd, &lockfd);
	if (r == 0) {
		r = admit(&c, rootfd, 2 * MIN_BUDGET, &budget);
		close(lockfd);
	}
	if (r <= 0) {
		if (r < 0) {
			cli_error("pid %d: cannot check the store's limits: %s", (int)c.k.pid, strerror(-r));
			note_skipped(&c, store, rootfd, false, "cannot check the store's limits: %s", strerror(-r));
		}
		status = r < 0;
		goto out;
	}
	start_modules(&c); /* while the core streams: admitted, it will be stored */
	run_hook(&c, "pre", c.cfg.pre_hook, NULL);
	c.pre_hook_ran = c.cfg.pre_hook[0] != 0;

	r = gzc_tmpfile_open(rootfd, 0600, &t);
	if (r < 0) {
		cli_error("cannot create a file in %s: %s", store, strerror(-r));
		note_skipped(&c, store, rootfd, false, "cannot create a file in the store: %s", strerror(-r));
		goto out;
	}
	/* best effort: a file system without fallocate simply has no reserve */
	if (gzc_tmpfile_open(rootfd, 0600, &reserve) == 0 && fallocate(reserve.fd, 0, 0, META_RESERVE) < 0)
		gzc_tmpfile_discard(&reserve);
	struct gzc_writer_opts wo = { .level = c.cfg.level, .container = c.cfg.container, .span = c.cfg.span,
				      .threads = c.cfg.threads, .mtime = (uint32_t)c.k.time_s };
	r = gzc_writer_new(t.fd, &wo, &w);
	if (r < 0) {
		cli_error("cannot start compressing: %s", strerror(-r));
		note_skipped(&c, store, rootfd, false, "cannot start compressing: %s", strerror(-r));
		goto out;
	}
	stream(&c, w, rootfd, cap, cap_reason, budget);
	/* the modules are read through /proc/<pid>/map_files, which goes with
	 * the process: take them (their job has its deadline) before the pipe
	 * is given back (a small core streamed faster than the job read, and
	 * the modules were lost to ESRCH) */
	finish_modules(&c);
	/* give the pipe back now: the crashed process is released while we finish */
	close(STDIN_FILENO);
	r = gzc_writer_finish(w, c.m.truncated ? GZC_IDX_F_TRUNCATED : 0, &idx);
	if (r < 0) {
		cli_error("pid %d: cannot finish the compressed core: %s", (int)c.k.pid, strerror(-r));
		note_skipped(&c, store, rootfd, false, "cannot finish the compressed core: %s", strerror(-r));
		goto out;
	}
	if ((idx->flags & GZC_IDX_F_TRUNCATED) && !c.m.truncated) {
		c.m.truncated = 1;
		set_str(&c.m.truncated_reason, "disk full");
	}
	uint64_t got = gzc_writer_bytes_in(w);
	if (c.m.truncated && (idx->usize == 0 || got < CORE_MIN)) {
		/* nothing to debug: no core, and no other core's place taken */
		char none[128];
		bool stopped = strcmp(c.m.truncated_reason, PIPE_CLOSED) == 0 && got < CORE_MIN;
		if (stopped && got)
			snprintf(none, sizeof(none), "the dump ended after %llu bytes, inside its ELF header (the kernel stopped it)",
				 (unsigned long long)got);
		else if (stopped)
			snprintf(none, sizeof(none), "the kernel sent no data (the dump was stopped)");
		else
			snprintf(none, sizeof(none), "%s of the core fit (%s)",
				 idx->usize ? "not even the ELF header" : "nothing", c.m.truncated_reason);
		cli_error("pid %d (%s): not stored, %s", (int)c.k.pid, c.comm_msg, none);
		/* the room the attempt held goes back first: the note needs a line of it */
		gzc_tmpfile_discard(&t);
		gzc_tmpfile_discard(&reserve);
		note_skipped(&c, store, rootfd, false, "%s", none);
		status = stopped ? 0 : 1; /* a stopped dump is no failure of ours */
		goto out;
	}
	if (c.procfd >= 0) {
		close(c.procfd);
		c.procfd = -1;
	}
	struct stat st;
	const char *ext = c.cfg.container == GZC_ZLIB ? ".zz" : ".gz";
	set_str(&c.m.format, c.cfg.container == GZC_ZLIB ? "zlib" : "gzip");
	c.m.size = idx->usize;
	c.m.compressed_size = fstat(t.fd, &st) == 0 ? (uint64_t)st.st_size : gzc_writer_bytes_out(w);
	c.m.span = idx->span_size;
	r = commit(&c, rootfd, &t, &reserve, idx, ext, stored, sizeof(stored));
	if (r < 0) {
		cli_error("pid %d: cannot store the core in %s: %s", (int)c.k.pid, store, strerror(-r));
		note_skipped(&c, store, rootfd, false, "cannot store the core: %s", strerror(-r));
		goto out;
	}
	take_stack_traces(&c, rootfd, stored);
	/* the crashing thread's stack in the message, as systemd-coredump's */
	char *raw = c.m.stack.nthreads ? gzc_stack_format(&c.m.stack, 1, 0) : NULL;
	char *trace = raw ? cli_printable_lines(raw, "", "") : NULL; /* symbols are the program's bytes */
	free(raw);
	syslog(c.m.truncated ? LOG_WARNING : LOG_INFO, "pid %d (%s) signal %d: stored %s/%s (%llu bytes, %llu compressed%s%s)%s%s",
	       (int)c.k.pid, c.comm_msg, c.k.signal, store, stored, (unsigned long long)c.m.size,
	       (unsigned long long)c.m.compressed_size, c.m.truncated ? ", truncated: " : "",
	       c.m.truncated ? c.m.truncated_reason : "", trace ? "\n\n" : "", trace ? trace : "");
	free(trace);
	char full[PATH_MAX * 2];
	snprintf(full, sizeof(full), "%s/%s", store, stored);
	run_hook(&c, "post", c.cfg.post_hook, full);
	c.pre_hook_ran = false;
	status = 0;
out:
	/* what a pre_hook began (a watchdog paused) ends even without a core */
	if (c.pre_hook_ran)
		run_hook(&c, "post", c.cfg.post_hook, NULL);
	if (c.mods_job) { /* not stored after all: given up (it frees what it reads), or done */
		void *done = cli_job_wait(c.mods_job, 0);
		if (done)
			mods_discard(done);
	}
	gzc_writer_free(w);
	gzc_index_free(idx);
	gzc_tmpfile_discard(&t);
	gzc_tmpfile_discard(&reserve);
	if (rootfd >= 0)
		close(rootfd);
	if (c.procfd >= 0)
		close(c.procfd);
	gzc_app_free(c.app);
	gzc_meta_clear(&c.m);
	close_module_files(&c);
	closelog();
	if (cli_jobs_given_up())
		_exit(status); /* a thread blocked in a read: nothing may wait for it */
	return status;
}

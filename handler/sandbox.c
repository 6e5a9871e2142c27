/*
 * sandbox.c — unwinding a core's stacks in a child process.
 *
 * libdwfl reads the crashed program's own files (its executable, its
 * libraries, their debug links), which its user may change at any moment:
 * a file truncated under libelf's mapping raises SIGBUS, a debug link
 * naming a FIFO blocks in open(), a crafted file may make libdw allocate
 * or loop. None of that may touch the handler, which runs as root for the
 * kernel: as systemd-coredump does, the work runs in a child with the
 * crashed user's ids, no new privileges, no core dump of its own and
 * bounded memory, killed at a deadline. The trace comes back over a pipe
 * as the sidecar's own JSON, parsed with its bounded reader.
 */
#include "cli.h"
#include "io.h"
#include "meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_AS_LIMIT 0 /* the sanitizers reserve terabytes of address space */
#else
#define SANDBOX_AS_LIMIT (1ull << 30)
#endif
#define NOBODY 65534
#define REAP_MS 1000 /* after SIGKILL: a child in uninterruptible sleep is left behind */

static bool kept(int fd, const int *keep, size_t nkeep)
{
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* The address space the child has now (it starts as a copy of the
 * handler, compression threads' stacks and arenas included), in bytes. */
static uint64_t vm_size(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* The child: keeps only the fds it needs, drops to uid/gid, unwinds,
 * writes the JSON, exits. */
static void child(int out, const int *keep, size_t nkeep, int64_t uid, int64_t gid,
		  int (*fn)(void *arg, struct gzc_stack *st), void *arg)
{
	struct gzc_meta m;
	char *text = NULL;
	pid_t parent = getppid();

	/* no terminal to push keys into, no fd of the store or anything else
	 * the handler or the admin holds */
	setsid();
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++)
		if (nul >= 0 && !kept(fd, keep, nkeep) && fd != out)
			dup2(nul, fd);
	long maxfd = sysconf(_SC_OPEN_MAX);
	for (int fd = 3; fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 65536); fd++)
		if (fd != out && !kept(fd, keep, nkeep))
			close(fd);
	uint64_t as_limit = SANDBOX_AS_LIMIT ? vm_size() + SANDBOX_AS_LIMIT : 0;
	if (geteuid() == 0) {
		/* uid 0 (a crash of root's own program) keeps root's ids, losing
		 * nothing it could not have; otherwise the crashed user's (nobody
		 * when not known) */
		uid_t u = uid >= 0 && uid < (int64_t)UINT32_MAX ? (uid_t)uid : NOBODY;
		gid_t g = u == 0 ? 0 : gid > 0 && gid < (int64_t)UINT32_MAX ? (gid_t)gid : NOBODY;
		if (u != 0 && (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0))
			_exit(3);
	}
	/* after the ids: a change of ids resets both */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(5);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);
	setrlimit(RLIMIT_FSIZE, &none); /* writes to a file it kept: refused */
	setrlimit(RLIMIT_NPROC, &none); /* nothing that outlives its kill */
	if (as_limit) {
		struct rlimit as = { as_limit, as_limit };
		setrlimit(RLIMIT_AS, &as);
	}
	unsetenv("DEBUGINFOD_URLS"); /* the machine's own files only */
	gzc_meta_init(&m);
	int fr = fn(arg, &m.stack);
	if (fr < 0 && !m.stack.error && !m.stack.nthreads && (m.stack.error = strdup(strerror(-fr))) == NULL)
		_exit(4);
	int r = gzc_meta_to_json(&m, &text);
	if (r == 0)
		r = gzc_write_all(out, text, strlen(text));
	_exit(r == 0 ? 0 : 4);
}

int cli_sandbox_stack(int (*fn)(void *arg, struct gzc_stack *st), void *arg, const int *keep, size_t nkeep,
		      int64_t uid, int64_t gid, unsigned budget_ms, struct gzc_stack *ret, char *why, size_t cap)
{
	int p[2], status = 0;
	size_t len = 0, room = 64 << 10;
	char *buf = malloc(room);
	bool late = false;

	why[0] = 0;
	if (!buf || pipe2(p, O_CLOEXEC) < 0) {
		free(buf);
		snprintf(why, cap, "cannot start the unwinding: %s", strerror(errno));
		return -errno;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		free(buf);
		snprintf(why, cap, "cannot start the unwinding: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		child(p[1], keep, nkeep, uid, gid, fn, arg);
	}
	close(p[1]);
	uint64_t deadline = cli_monotonic_ms() + budget_ms;
	for (;;) {
		uint64_t now = cli_monotonic_ms();
		if (now >= deadline) {
			late = true;
			break;
		}
		struct pollfd pfd = { p[0], POLLIN, 0 };
		int n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			late = n == 0;
			break;
		}
		if (len == room) {
			char *nb = room < GZC_META_MAX_FILE ? realloc(buf, room * 2) : NULL;
			if (!nb)
				break; /* more than any sidecar: refused below */
			buf = nb;
			room *= 2;
		}
		ssize_t k = read(p[0], buf + len, room - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	close(p[0]);
	/* its output ended: its exit follows at once (or it is stopped) */
	pid_t w = 0;
	while (!late && (w = waitpid(pid, &status, WNOHANG)) == 0 && cli_monotonic_ms() < deadline)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	if (w == 0) {
		late = true;
		kill(pid, SIGKILL); /* nothing of it may linger */
		/* a child stuck where SIGKILL does not reach (a FUSE server of
		 * the user's that does not answer) is left behind, not waited for */
		uint64_t until = cli_monotonic_ms() + REAP_MS;
		while ((w = waitpid(pid, &status, WNOHANG)) == 0 && cli_monotonic_ms() < until)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	int r = 0;
	struct gzc_meta m;
	if (late) {
		snprintf(why, cap, "the unwinding took over %u s and was stopped", budget_ms / 1000);
		r = -ETIMEDOUT;
	} else if (w != pid) {
		snprintf(why, cap, "the unwinding could not be waited for: %s", strerror(errno));
		r = -ECHILD;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) {
		snprintf(why, cap, "the unwinding's result was over %u MiB", GZC_META_MAX_FILE >> 20);
		r = -E2BIG;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
		snprintf(why, cap, "the unwinding died of signal %d (%s): a file it read changed under it?",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		r = -ECHILD;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, cap, "the unwinding failed (exit %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		r = -ECHILD;
	} else if ((r = gzc_meta_parse(buf, len, &m)) < 0) {
		snprintf(why, cap, "the unwinding's result was unreadable: %s", strerror(-r));
	} else {
		*ret = m.stack;
		memset(&m.stack, 0, sizeof(m.stack));
		gzc_meta_clear(&m);
	}
	free(buf);
	return r;
}

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

/* The child: drops to uid/gid, unwinds, writes the JSON, exits. */
static void child(int out, int64_t uid, int64_t gid, int (*fn)(void *arg, struct gzc_stack *st), void *arg)
{
	struct gzc_meta m;
	char *text = NULL;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (geteuid() == 0 && uid != 0) {
		uid_t u = uid > 0 && uid < (int64_t)UINT32_MAX ? (uid_t)uid : NOBODY;
		gid_t g = gid > 0 && gid < (int64_t)UINT32_MAX ? (gid_t)gid : NOBODY;
		if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0)
			_exit(3);
	}
	/* after the ids: a change of ids resets it */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);
	if (SANDBOX_AS_LIMIT) {
		struct rlimit as = { SANDBOX_AS_LIMIT, SANDBOX_AS_LIMIT };
		setrlimit(RLIMIT_AS, &as);
	}
	gzc_meta_init(&m);
	fn(arg, &m.stack);
	int r = gzc_meta_to_json(&m, &text);
	if (r == 0)
		r = gzc_write_all(out, text, strlen(text));
	_exit(r == 0 ? 0 : 4);
}

int cli_sandbox_stack(int (*fn)(void *arg, struct gzc_stack *st), void *arg, int64_t uid, int64_t gid,
		      unsigned budget_ms, struct gzc_stack *ret, char *why, size_t cap)
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
		child(p[1], uid, gid, fn, arg);
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
	if (w != pid) {
		late = late || w == 0;
		kill(pid, SIGKILL); /* nothing of it may linger */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	int r = 0;
	struct gzc_meta m;
	if (late) {
		snprintf(why, cap, "the unwinding took over %u s and was stopped", budget_ms / 1000);
		r = -ETIMEDOUT;
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

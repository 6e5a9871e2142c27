/*
 * hook.c — the pre/post hook commands of gzcoredump.conf, bounded in time.
 *
 * The command is the administrator's (root-owned config), so it runs under
 * /bin/sh -c and may use redirections ("echo end > /proc/watchdog" pauses an
 * ARM watchdog, as the original tool did). Everything about the crash comes
 * from the crashed program and is hostile, so it is passed only as
 * environment variables, never spliced into the command text. The hook runs
 * in its own process group with a clean environment, stdio on /dev/null, and
 * is killed (the whole group) when its time is up.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int cli_run_hook(const char *what, const char *cmd, unsigned timeout_s, char *const env[])
{
	if (!cmd || !*cmd)
		return 0;
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("%s hook: fork: %s", what, strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			if (nul > 2)
				close(nul);
		}
		execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env);
		_exit(127);
	}
	setpgid(pid, pid); /* also from here: no race with the child's own call */
	double deadline = mono() + timeout_s;
	int status = 0;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			cli_error("%s hook: waitpid: %s", what, strerror(errno));
			return -errno;
		}
		if (mono() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			cli_error("%s hook timed out after %us and was killed", what, timeout_s);
			return -ETIMEDOUT;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	cli_error("%s hook failed (%s %d)", what, WIFEXITED(status) ? "exit status" : "signal",
		  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -ECHILD;
}

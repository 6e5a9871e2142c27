/* Unit tests for procinfo.c: the parsers on good and hostile bytes, bounded
 * no-follow reads, the pidfd check, the access decision. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procinfo.h"

Test(procinfo, ids)
{
	const char *st = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\n";
	int64_t u[4], g[4];
	cr_assert_eq(gzc_proc_parse_ids(st, strlen(st), u, g), 0);
	cr_assert(u[0] == 1000 && u[1] == 0 && g[0] == 100 && g[3] == 100);
	static const char *const bad[] = {
		"Uid:\t1\t2\t3\nGid:\t1\t2\t3\t4\n",          /* three */
		"Uid:\t1\t2\t3\t4\t5\nGid:\t1\t2\t3\t4\n",    /* five */
		"Uid:\t1\t2\t3\t4\n",                         /* no Gid */
		"Uid:\t-1\t2\t3\t4\nGid:\t1\t2\t3\t4\n",      /* sign */
		"Uid:\t99999999999\t2\t3\t4\nGid:\t1\t2\t3\t4\n",
		"Uid:\t1\t2\t3\t4\nUid:\t0\t0\t0\t0\nGid:\t1\t2\t3\t4\n", /* twice */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		u[0] = 42;
		cr_assert_eq(gzc_proc_parse_ids(bad[i], strlen(bad[i]), u, g), -EBADMSG, "accepted %zu", i);
		cr_assert_eq(u[0], 42, "output touched on failure");
	}
}

Test(procinfo, auxv)
{
	ElfW(auxv_t) a[4] = { { AT_PAGESZ, { 4096 } }, { AT_SECURE, { 1 } }, { AT_NULL, { 0 } } };
	int sec = -1;
	cr_assert_eq(gzc_proc_auxv_secure(a, 3 * sizeof(a[0]), &sec), 0);
	cr_assert_eq(sec, 1);
	a[1].a_un.a_val = 0;
	cr_assert_eq(gzc_proc_auxv_secure(a, 3 * sizeof(a[0]), &sec), 0);
	cr_assert_eq(sec, 0);
	cr_assert_eq(gzc_proc_auxv_secure(a, 2 * sizeof(a[0]), &sec), -EBADMSG, "no AT_NULL");
	cr_assert_eq(gzc_proc_auxv_secure(a, 3 * sizeof(a[0]) - 1, &sec), -EBADMSG, "partial pair");
	a[1].a_type = AT_UID;
	cr_assert_eq(gzc_proc_auxv_secure(a, 3 * sizeof(a[0]), &sec), -ENOENT);
	/* our own auxv: not set-id */
	int dfd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	char *buf;
	size_t len;
	cr_assert_eq(gzc_proc_read(dfd, "auxv", GZC_PROC_READ_MAX, &buf, &len), 0);
	cr_assert_eq(gzc_proc_auxv_secure(buf, len, &sec), 0);
	cr_assert_eq(sec, 0);
	free(buf);
	close(dfd);
}

Test(procinfo, bounded_nofollow_reads)
{
	char dir[] = "/tmp/gzc-proc-XXXXXX";
	cr_assert(mkdtemp(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int fd = openat(dfd, "f", O_WRONLY | O_CREAT, 0600);
	cr_assert_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	cr_assert_eq(symlinkat("f", dfd, "l"), 0);
	cr_assert_eq(mkdirat(dfd, "d", 0700), 0);
	char *buf;
	size_t len;
	cr_assert_eq(gzc_proc_read(dfd, "f", 4, &buf, &len), 0);
	cr_assert_eq(len, 4);
	cr_assert_str_eq(buf, "0123");
	free(buf);
	cr_assert_eq(gzc_proc_read(dfd, "l", 4, &buf, &len), -ELOOP);
	cr_assert_eq(gzc_proc_read(dfd, "d", 4, &buf, &len), -EINVAL);
	cr_assert_eq(gzc_proc_read(dfd, "missing", 4, &buf, &len), -ENOENT);
	char *target;
	cr_assert_eq(gzc_proc_readlink(dfd, "l", &target), 0);
	cr_assert_str_eq(target, "f");
	free(target);
	unlinkat(dfd, "l", 0);
	unlinkat(dfd, "f", 0);
	unlinkat(dfd, "d", AT_REMOVEDIR);
	close(dfd);
	rmdir(dir);
}

Test(procinfo, open_checks_the_pidfd)
{
	int dfd = -1;
	cr_assert_eq(gzc_proc_open("/proc", getpid(), -1, &dfd), 0);
	close(dfd);
	cr_assert_eq(gzc_proc_open("/proc", 0, -1, &dfd), -EINVAL);
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		cr_skip_test("no pidfd_open");
	cr_assert_eq(gzc_proc_open("/proc", getpid(), pidfd, &dfd), 0);
	close(dfd);
	cr_assert_eq(gzc_proc_open("/proc", getppid(), pidfd, &dfd), -ESRCH, "a pidfd of another process");
	int nul = open("/dev/null", O_RDONLY);
	cr_assert_eq(gzc_proc_open("/proc", getpid(), nul, &dfd), -EBADF, "not a pidfd");
	close(nul);
	close(pidfd);
}

Test(procinfo, fds_and_cmdline)
{
	int dfd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	char *fds;
	cr_assert_eq(gzc_proc_fds(dfd, &fds), 0);
	cr_assert(strstr(fds, "0:") && strstr(fds, "flags:"), "%s", fds);
	free(fds);
	close(dfd);
	char cl[] = "prog\0-x\0a b\0\0";
	cr_assert_eq(gzc_proc_cmdline_join(cl, sizeof(cl) - 1), 11);
	cr_assert_str_eq(cl, "prog -x a b");
}

Test(procinfo, access)
{
	int64_t owner;
	bool rd;
	const char *why;
	gzc_access_decide(1, 1000, 1000, 100, 100, 0, &owner, &rd, &why);
	cr_assert(owner == 1000 && rd);
	gzc_access_decide(2, 1000, 1000, 100, 100, 0, &owner, &rd, &why);
	cr_assert(owner == -1 && !rd && strstr(why, "2"));
	gzc_access_decide(1, 1000, 0, 100, 100, 0, &owner, &rd, &why);
	cr_assert(owner == -1 && !rd, "setuid");
	gzc_access_decide(1, 1000, 1000, 100, 0, 0, &owner, &rd, &why);
	cr_assert(owner == -1 && !rd, "setgid");
	gzc_access_decide(1, 1000, 1000, 100, 100, 1, &owner, &rd, &why);
	cr_assert(owner == -1 && !rd, "AT_SECURE");
	gzc_access_decide(1, 1000, 1000, 100, 100, -1, &owner, &rd, &why);
	cr_assert(owner == -1 && !rd, "AT_SECURE unknown");
	gzc_access_decide(0, 1000, 1000, 100, 100, 0, &owner, &rd, &why);
	cr_assert(owner == -1 && !rd, "dump mode 0");
}

/* /proc/<pid>/stat: fields counted after the comm's last ')', whatever the
 * comm holds; anything short or not numeric is refused. */
Test(procinfo, stat_state_and_start_time)
{
	static const char tail[] = " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20\n";
	char text[512], state = 0;
	uint64_t start = 0;
	snprintf(text, sizeof(text), "77 (a) b) (c d) S%s", tail);
	cr_assert_eq(gzc_proc_parse_stat(text, strlen(text), &state, &start), 0);
	cr_assert_eq(state, 'S');
	cr_assert_eq(start, 424242);
	snprintf(text, sizeof(text), "78 (z) Z%s", tail);
	cr_assert_eq(gzc_proc_parse_stat(text, strlen(text), &state, &start), 0);
	cr_assert_eq(state, 'Z');
	const char *bad[] = {
		"", "77 (a", "77 a) S 1", "77 (a) S 1 2 3", "77 (a)S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
		"77 (a) SS 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
		"77 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19x",
		"77 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99999999999999999999999",
		"77 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 ",
		"77 (a) S 1  2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		state = 0;
		cr_assert_eq(gzc_proc_parse_stat(bad[i], strlen(bad[i]), &state, &start), -EBADMSG, "accepted: %s",
			     bad[i]);
		cr_assert_eq(state, 0);
	}
	/* the real thing */
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	cr_assert_eq(gzc_proc_parse_stat(text, (size_t)n, &state, &start), 0);
	cr_assert_eq(state, 'R');
	cr_assert_gt(start, 0);
}

/* /proc/<pid>/cgroup: the name=systemd hierarchy's path where there is one,
 * else the unified one's; anything else is refused. */
Test(procinfo, cgroup_path)
{
	static const struct {
		const char *text, *path;
		int rc;
	} cases[] = {
		{ "0::/system.slice/app.service\n", "/system.slice/app.service", 0 },
		{ "9:name=systemd:/user.slice/x.scope\n4:memory:/m\n0::/\n", "/user.slice/x.scope", 0 },
		{ "0::/a\n9:name=systemd:/b\n", "/b", 0 },
		{ "0::/with:colon and space\n", "/with:colon and space", 0 },
		{ "0::/no-newline", "/no-newline", 0 },
		{ "4:memory:/m\n", NULL, -ENOENT },
		{ "", NULL, -ENOENT },
		{ "garbage\n", NULL, -ENOENT },
		{ "0::relative\n", NULL, -EBADMSG },
		{ "0::\n", NULL, -EBADMSG },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = NULL;
		int rc = gzc_proc_parse_cgroup(cases[i].text, strlen(cases[i].text), &path);
		cr_assert_eq(rc, cases[i].rc, "%zu: %d", i, rc);
		if (cases[i].path)
			cr_assert_str_eq(path, cases[i].path, "%zu", i);
		free(path);
	}
}

/* The units a control group path names, as coredumpctl shows them. */
Test(procinfo, cgroup_units)
{
	static const struct {
		const char *path, *unit, *user_unit, *slice;
	} cases[] = {
		{ "/system.slice/nginx.service", "nginx.service", "", "system.slice" },
		{ "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", "", "system-getty.slice" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-x-123.scope", "user@1000.service",
		  "app-gnome-x-123.scope", "user-1000.slice" },
		{ "/user.slice/user-1000.slice/session-2.scope", "session-2.scope", "", "user-1000.slice" },
		{ "/init.scope", "init.scope", "", "" },
		{ "/", "", "", "" },
		{ "/docker/0123abcd", "", "", "" },
		{ "/system.slice/bad name.service/x", "", "", "system.slice" },
		{ "/system.slice/.service", "", "", "system.slice" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char unit[GZC_UNIT_NAME_MAX], user_unit[GZC_UNIT_NAME_MAX], slice[GZC_UNIT_NAME_MAX];
		gzc_cgroup_units(cases[i].path, unit, user_unit, slice);
		cr_assert_str_eq(unit, cases[i].unit, "%zu", i);
		cr_assert_str_eq(user_unit, cases[i].user_unit, "%zu", i);
		cr_assert_str_eq(slice, cases[i].slice, "%zu", i);
	}
	/* a component as long as a unit name may be is cut no unit */
	char longp[600], unit[GZC_UNIT_NAME_MAX], user_unit[GZC_UNIT_NAME_MAX], slice[GZC_UNIT_NAME_MAX];
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	memcpy(longp + sizeof(longp) - 9, ".service", 9);
	gzc_cgroup_units(longp, unit, user_unit, slice);
	cr_assert_str_eq(unit, "");
}

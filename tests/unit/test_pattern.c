/* Unit tests for pattern.c: the kernel's argument vector (argument parsing
 * of `gzcoredump --kernel`) and the core_pattern line. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pattern.h"

Test(pattern, parse_kernel_args)
{
	char *argv[] = { "-S", "/srv/c", "-F3", "1234", "1236", "1000", "100", "11", "1700000000",
			 "18446744073709551615", "1", "host", "my app", NULL };
	struct gzc_kargs k;
	cr_assert_eq(gzc_kargs_parse(13, argv, &k), 0);
	cr_assert(k.pid == 1234 && k.tid == 1236 && k.uid == 1000 && k.gid == 100 && k.signal == 11);
	cr_assert_eq(k.time_s, 1700000000);
	cr_assert_eq(k.rlimit_core, UINT64_MAX);
	cr_assert_eq(k.dump_mode, 1);
	cr_assert_eq(k.pidfd, 3);
	cr_assert_str_eq(k.store, "/srv/c");
	cr_assert_null(k.config);
	cr_assert_str_eq(k.hostname, "host");
	cr_assert_str_eq(k.comm, "my app");
}

Test(pattern, old_kernel_split_comm_is_joined)
{
	char *argv[] = { "1", "1", "0", "0", "6", "5", "0", "2", "h", "a", "b", "c", NULL };
	struct gzc_kargs k;
	cr_assert_eq(gzc_kargs_parse(12, argv, &k), 0);
	cr_assert_str_eq(k.comm, "a b c");
	cr_assert_eq(k.pidfd, -1);
	cr_assert_eq(k.dump_mode, 2);
}

/* The -F%F line kept in sysctl.d but booted on a kernel without %F: the
 * kernel drops the specifier and a bare -F arrives. It means no pidfd and
 * must not swallow the pid that follows. */
Test(pattern, bare_pidfd_flag_is_no_pidfd)
{
	char *argv[] = { "-S", "/srv/c", "-F", "4242", "4243", "1000", "100", "11", "1700000000", "0", "1",
			 "host", "app", NULL };
	struct gzc_kargs k;
	cr_assert_eq(gzc_kargs_parse(13, argv, &k), 0);
	cr_assert_eq(k.pidfd, -1);
	cr_assert_eq(k.pid, 4242);
	cr_assert_eq(k.tid, 4243);
	cr_assert_str_eq(k.comm, "app");
}

Test(pattern, bad_kernel_args)
{
	struct gzc_kargs k = { .pid = 77 };
	char *few[] = { "1", "1", "0", "0", "6", "5", "0", "1", "h" };
	cr_assert_eq(gzc_kargs_parse(9, few, &k), -EINVAL);
	char *neg[] = { "-1", "1", "0", "0", "6", "5", "0", "1", "h", "c" };
	cr_assert_eq(gzc_kargs_parse(10, neg, &k), -EINVAL);
	char *sig[] = { "1", "1", "0", "0", "600", "5", "0", "1", "h", "c" };
	cr_assert_eq(gzc_kargs_parse(10, sig, &k), -EINVAL);
	char *mode[] = { "1", "1", "0", "0", "6", "5", "0", "3", "h", "c" };
	cr_assert_eq(gzc_kargs_parse(10, mode, &k), -EINVAL);
	char *junk[] = { "1x", "1", "0", "0", "6", "5", "0", "1", "h", "c" };
	cr_assert_eq(gzc_kargs_parse(10, junk, &k), -EINVAL);
	char *big[] = { "1", "1", "0", "0", "6", "5", "99999999999999999999", "1", "h", "c" };
	cr_assert_eq(gzc_kargs_parse(10, big, &k), -EINVAL);
	char *opt[] = { "-X", "1", "1", "0", "0", "6", "5", "0", "1", "h", "c" };
	cr_assert_eq(gzc_kargs_parse(11, opt, &k), -EINVAL);
	char *zero[] = { "0", "1", "0", "0", "6", "5", "0", "1", "h", "c" };
	cr_assert_eq(gzc_kargs_parse(10, zero, &k), -EINVAL);
	cr_assert_eq(k.pid, 77, "untouched on failure");
}

/* Parses the ten kernel arguments with uid, gid, hostname and comm as
 * given (pid 1, tid as given). Returns gzc_kargs_parse()'s result; *k
 * keeps pid 77 on failure. */
static int parse_with(const char *tid, const char *uid, const char *gid, const char *host, const char *comm,
		      struct gzc_kargs *k)
{
	char *argv[] = { "1", (char *)tid, (char *)uid, (char *)gid, "6", "5", "0", "1", (char *)host, (char *)comm };
	k->pid = 77;
	return gzc_kargs_parse(10, argv, k);
}

/* Every argument is held to its range: a tid of 0, ids over 32 bits, a
 * hostname over GZC_KARGS_HOST_MAX are refused (the output untouched), the
 * edges themselves are taken. */
Test(pattern, kernel_arg_ranges)
{
	struct gzc_kargs k;
	char host[GZC_KARGS_HOST_MAX + 2];
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = 0; /* one byte too long */
	cr_assert_eq(parse_with("0", "0", "0", "h", "c", &k), -EINVAL, "tid 0");
	cr_assert_eq(parse_with("1", "4294967296", "0", "h", "c", &k), -EINVAL, "uid over 32 bits");
	cr_assert_eq(parse_with("1", "0", "4294967296", "h", "c", &k), -EINVAL, "gid over 32 bits");
	cr_assert_eq(parse_with("1", "0", "0", host, "c", &k), -EINVAL, "hostname too long");
	cr_assert_eq(k.pid, 77, "untouched on failure");

	host[GZC_KARGS_HOST_MAX] = 0;
	cr_assert_eq(parse_with("2", "4294967295", "4294967295", host, "c", &k), 0);
	cr_assert_eq(k.tid, 2);
	cr_assert_eq(k.uid, UINT32_MAX);
	cr_assert_eq(k.gid, UINT32_MAX);
	cr_assert_str_eq(k.hostname, host);

	/* a pidfd flag with a number out of range is an unknown option */
	char *fd[] = { "-F1048577", "1", "1", "0", "0", "6", "5", "0", "1", "h", "c" };
	cr_assert_eq(gzc_kargs_parse(11, fd, &k), -EINVAL);
}

/* A comm split into more words than fit once joined again is cut at
 * GZC_KARGS_COMM_MAX bytes of the joined text, never overflowed; so is one
 * long word. */
Test(pattern, long_comm_is_cut)
{
	enum { WORDS = 40 };
	char *argv[9 + WORDS] = { "1", "1", "0", "0", "6", "5", "0", "1", "h" };
	char joined[WORDS * 4] = "";
	for (int w = 0; w < WORDS; w++) {
		argv[9 + w] = "abc";
		strcat(joined, w ? " abc" : "abc");
	}
	struct gzc_kargs k;
	cr_assert_eq(gzc_kargs_parse(9 + WORDS, argv, &k), 0);
	cr_assert_eq(strlen(k.comm), GZC_KARGS_COMM_MAX);
	cr_assert_eq(strncmp(k.comm, joined, GZC_KARGS_COMM_MAX), 0, "%s", k.comm);

	char word[GZC_KARGS_COMM_MAX + 20];
	memset(word, 'w', sizeof(word) - 1);
	word[sizeof(word) - 1] = 0;
	cr_assert_eq(parse_with("1", "0", "0", "h", word, &k), 0);
	cr_assert_eq(strlen(k.comm), GZC_KARGS_COMM_MAX);
	cr_assert_eq(strncmp(k.comm, word, GZC_KARGS_COMM_MAX), 0);
}

Test(pattern, build)
{
	char buf[256];
	int n = gzc_pattern_build("/usr/sbin/gzcoredump", NULL, NULL, true, buf, sizeof(buf));
	cr_assert_str_eq(buf, "|/usr/sbin/gzcoredump --kernel -F%F %P %I %u %g %s %t %c %d %h %e");
	cr_assert_eq(n, (int)strlen(buf));
	cr_assert(gzc_pattern_is_ours(buf));
	n = gzc_pattern_build("/usr/sbin/gzcoredump", "/srv/cores", "/etc/g.conf", false, buf, sizeof(buf));
	cr_assert_str_eq(buf, "|/usr/sbin/gzcoredump --kernel -S /srv/cores -C /etc/g.conf %P %I %u %g %s %t %c %d %h %e");
	char longp[200] = "/";
	memset(longp + 1, 'x', 100);
	cr_assert_eq(gzc_pattern_build(longp, NULL, NULL, true, buf, sizeof(buf)), -ENAMETOOLONG);
	cr_assert_eq(gzc_pattern_build("relative/gzcoredump", NULL, NULL, true, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(gzc_pattern_build("/a b/gzcoredump", NULL, NULL, true, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(gzc_pattern_build("/a%p/gzcoredump", NULL, NULL, true, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(gzc_pattern_build("/g", "/s\n", NULL, true, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(gzc_pattern_build("/g", NULL, NULL, true, buf, 10), -ENOBUFS);
	cr_assert(!gzc_pattern_is_ours("core"));
	cr_assert(!gzc_pattern_is_ours("|/usr/sbin/gzcoredump -c -p /var/core -a %e"));
	cr_assert(!gzc_pattern_is_ours("|/x --kernelx"));
}

Test(pattern, pidfd_kernels)
{
	cr_assert(gzc_kernel_has_pidfd("6.16.0"));
	cr_assert(gzc_kernel_has_pidfd("6.18.44-fc"));
	cr_assert(gzc_kernel_has_pidfd("7.0"));
	cr_assert(!gzc_kernel_has_pidfd("6.15.9"));
	cr_assert(!gzc_kernel_has_pidfd("5.19"));
	cr_assert(!gzc_kernel_has_pidfd("x"));
	cr_assert(!gzc_kernel_has_pidfd(NULL));
}

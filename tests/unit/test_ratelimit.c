/*
 * test_ratelimit.c — the rate limit's history file in the store.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dir_fixture.h"
#include "ratelimit.h"

TestSuite(ratelimit, .init = dir_setup, .fini = dir_teardown);

static bool admit(const char *exe, uint64_t now_s, uint32_t count, uint64_t window_s)
{
	char key[17];
	bool ok = false;
	gzc_ratelimit_key(exe, key);
	cr_assert_eq(gzc_ratelimit_admit(rootfd, key, now_s * 1000000, count, window_s, &ok), 0);
	return ok;
}

Test(ratelimit, counts_per_executable_in_the_window)
{
	cr_assert(admit("/bin/a", 1000, 2, 3600));
	cr_assert(admit("/bin/a", 1001, 2, 3600));
	cr_assert_not(admit("/bin/a", 1002, 2, 3600), "a third crash within the hour");
	cr_assert(admit("/bin/b", 1003, 2, 3600), "another executable has its own count");
	cr_assert_not(admit("/bin/a", 4599, 2, 3600), "both still inside the window");
	cr_assert(admit("/bin/a", 4600, 2, 3600), "the first one left the window");
	cr_assert_not(admit("/bin/a", 4600, 2, 3600), "1001 and 4600 fill the window again");
}

Test(ratelimit, refused_crashes_are_not_remembered)
{
	cr_assert(admit("/bin/a", 10, 1, 60));
	for (int i = 0; i < 5; i++)
		cr_assert_not(admit("/bin/a", 11 + i, 1, 60));
	cr_assert(admit("/bin/a", 71, 1, 60), "refusals must not extend the window");
}

Test(ratelimit, zero_count_allows_and_writes_nothing)
{
	cr_assert(admit("/bin/a", 10, 0, 60));
	cr_assert_eq(faccessat(rootfd, GZC_RATELIMIT_FILE, F_OK, 0), -1);
}

Test(ratelimit, a_corrupt_history_starts_empty)
{
	int fd = openat(rootfd, GZC_RATELIMIT_FILE, O_WRONLY | O_CREAT, 0600);
	const char junk[] = "garbage\n99999999999999999999999 zz\n5 0123456789abcdef0\n\x01\x02 nope";
	cr_assert_eq(write(fd, junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
	close(fd);
	cr_assert(admit("/bin/a", 10, 1, 60));
	cr_assert_not(admit("/bin/a", 11, 1, 60));
}

Test(ratelimit, old_entries_are_pruned)
{
	for (int i = 0; i < 50; i++)
		cr_assert(admit("/bin/x", 100 + (uint64_t)i, 1000, 10));
	struct stat st;
	cr_assert_eq(fstatat(rootfd, GZC_RATELIMIT_FILE, &st, 0), 0);
	/* only the entries of the last 10 s stay: 11 lines of at most 38 bytes */
	cr_assert_leq(st.st_size, 11 * 38);
}

Test(ratelimit, keys_are_stable_hex)
{
	char a[17], b[17], c[17];
	gzc_ratelimit_key("/usr/bin/app", a);
	gzc_ratelimit_key("/usr/bin/app", b);
	gzc_ratelimit_key("/usr/bin/app2", c);
	cr_assert_str_eq(a, b);
	cr_assert_str_neq(a, c);
	cr_assert_eq(strlen(a), 16);
	cr_assert_eq(strspn(a, "0123456789abcdef"), 16);
}

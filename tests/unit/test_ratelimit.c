/*
 * test_ratelimit.c — the rate limit's history file in the store.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dir_fixture.h"
#include "io.h"
#include "ratelimit.h"

TestSuite(ratelimit, .init = dir_setup, .fini = dir_teardown);

static bool admit(const char *exe, uint64_t now_s, uint32_t count, uint64_t window_s)
{
	char key[17];
	bool ok = false;
	gzc_ratelimit_key(exe, key);
	cr_assert_eq(gzc_ratelimit_admit(rootfd, key, now_s * 1000000, count, window_s, 0, &ok), 0);
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

Test(ratelimit, a_crash_not_stored_is_taken_back)
{
	char key[17];
	gzc_ratelimit_key("/bin/a", key);
	cr_assert(admit("/bin/a", 10, 1, 60));
	cr_assert(admit("/bin/b", 10, 1, 60));
	cr_assert_not(admit("/bin/a", 11, 1, 60));
	cr_assert_eq(gzc_ratelimit_forget(rootfd, key, 10 * 1000000, 0), 0);
	cr_assert(admit("/bin/a", 12, 1, 60), "the slot the unstored crash held is free again");
	cr_assert_not(admit("/bin/b", 12, 1, 60), "another executable's entry at the same time stays");
	cr_assert_eq(gzc_ratelimit_forget(rootfd, key, 999 * 1000000, 0), 0, "no such entry: no error");
	cr_assert_not(admit("/bin/a", 13, 1, 60), "nothing else was taken back");
}

Test(ratelimit, zero_count_allows_and_writes_nothing)
{
	cr_assert(admit("/bin/a", 10, 0, 60));
	cr_assert_eq(faccessat(rootfd, GZC_RATELIMIT_FILE, F_OK, 0), -1);
}

/* Replaces the history file with len bytes of text. */
static void write_history(const char *text, size_t len)
{
	int fd = openat(rootfd, GZC_RATELIMIT_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* The history file's text (NUL-terminated). Caller frees. */
static char *read_history(size_t *ret_len)
{
	char *text = NULL;
	cr_assert_eq(gzc_read_file_at(rootfd, GZC_RATELIMIT_FILE, GZC_RATELIMIT_MAX_FILE, 0, &text, ret_len), 0);
	return text;
}

Test(ratelimit, a_corrupt_history_starts_empty)
{
	const char junk[] = "garbage\n99999999999999999999999 zz\n5 0123456789abcdef0\n\x01\x02 nope";
	write_history(junk, sizeof(junk) - 1);
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

/* A line whose key is 16 characters but not 16 lowercase hex digits is
 * dropped (and so gone when the history is written back), while a valid
 * line beside it counts. */
Test(ratelimit, lines_with_a_non_hex_key_are_dropped)
{
	char a[17], b[17], text[256];
	gzc_ratelimit_key("/bin/a", a);
	gzc_ratelimit_key("/bin/b", b);
	char bad[17], upper[17];
	memcpy(bad, a, 17);
	bad[15] = 'g';
	for (int i = 0; i < 17; i++)
		upper[i] = (char)(a[i] >= 'a' && a[i] <= 'f' ? a[i] - 'a' + 'A' : a[i]);
	cr_assert_str_neq(upper, a, "the key needs a letter for this test");
	int n = snprintf(text, sizeof(text), "10000000 %s\n10000001 %s\n10000002 %s\n", bad, upper, b);
	write_history(text, (size_t)n);
	cr_assert_not(admit("/bin/b", 11, 1, 60), "the valid line was not read");
	cr_assert(admit("/bin/a", 12, 1, 60));
	size_t len;
	char *back = read_history(&len);
	snprintf(text, sizeof(text), "10000002 %s\n12000000 %s\n", b, a);
	cr_assert_str_eq(back, text);
	free(back);
}

/* A history of GZC_RATELIMIT_MAX_LINES lines forgets its oldest half to
 * note one more crash, rather than refuse to remember it. */
Test(ratelimit, a_full_history_drops_its_oldest_half)
{
	const size_t max = GZC_RATELIMIT_MAX_LINES;
	const uint64_t t0 = 1000000000; /* µs; every line within the window */
	char other[17], mine[17];
	gzc_ratelimit_key("/bin/other", other);
	gzc_ratelimit_key("/bin/a", mine);
	char *text = malloc(max * 32), *p = text;
	cr_assert_not_null(text);
	for (size_t i = 0; i < max; i++)
		p += sprintf(p, "%llu %s\n", (unsigned long long)(t0 + i), other);
	write_history(text, (size_t)(p - text));
	free(text);

	cr_assert(admit("/bin/a", 2000, 1, 3600));
	size_t len, lines = 0;
	char *back = read_history(&len);
	for (size_t i = 0; i < len; i++)
		lines += back[i] == '\n';
	cr_assert_eq(lines, max - max / 2 + 1);
	char first[64], last[64];
	snprintf(first, sizeof(first), "%llu %s\n", (unsigned long long)(t0 + max / 2), other);
	snprintf(last, sizeof(last), "%llu %s\n", 2000000000ull, mine);
	cr_assert_eq(strncmp(back, first, strlen(first)), 0, "the oldest half was not the half dropped");
	cr_assert_str_eq(back + len - strlen(last), last);
	free(back);
}

/* A history that cannot be written back (a directory in its place) does not
 * drop the core: the error is returned with the crash allowed, and no
 * temporary file is left behind. */
Test(ratelimit, a_failed_save_still_allows)
{
	cr_assert_eq(mkdirat(rootfd, GZC_RATELIMIT_FILE, 0700), 0);
	cr_assert_eq(mkdirat(rootfd, GZC_RATELIMIT_FILE "/keep", 0700), 0);
	char key[17];
	gzc_ratelimit_key("/bin/a", key);
	for (int k = 0; k < 2; k++) {
		bool ok = false;
		cr_assert_eq(gzc_ratelimit_admit(rootfd, key, 10000000 + (uint64_t)k, 1, 60, 0, &ok), -EISDIR);
		cr_assert(ok, "a crash was refused because its history could not be saved");
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = '%s'", dir, GZC_RATELIMIT_FILE);
	cr_assert_eq(system(cmd), 0, "a temporary file was left in the store");
}

/* A child that waits to be killed: a stand-in for a handler. */
static pid_t spawn_holder(void)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static bool admit_held(const char *exe, uint64_t now_s, uint32_t count, pid_t holder)
{
	char key[17];
	bool ok = false;
	gzc_ratelimit_key(exe, key);
	cr_assert_eq(gzc_ratelimit_admit(rootfd, key, now_s * 1000000, count, 60, holder, &ok), 0);
	return ok;
}

/* A handler killed (SIGKILL) after admission never stores its core nor
 * gives the slot back: its pending entry counts while it lives and is
 * dropped once it is gone, reaped or still a zombie. */
Test(ratelimit, a_killed_handler_costs_no_slot)
{
	pid_t h = spawn_holder();
	cr_assert(admit_held("/bin/a", 10, 1, h));
	cr_assert_not(admit_held("/bin/a", 11, 1, 0), "a live handler's pending crash counts");
	size_t len;
	char *back = read_history(&len);
	cr_assert(strchr(back, '/') != NULL, "no pending mark: %s", back);
	free(back);
	kill(h, SIGKILL);
	siginfo_t si;
	cr_assert_eq(waitid(P_PID, (id_t)h, &si, WEXITED | WNOWAIT), 0); /* a zombie now */
	cr_assert(admit_held("/bin/a", 12, 1, 0), "a dead (zombie) handler's slot still counted");
	cr_assert_eq(waitpid(h, NULL, 0), h);
	cr_assert_not(admit_held("/bin/a", 13, 1, 0), "the crash admitted at 12 is final and counts");
}

/* A stored crash is confirmed and keeps counting after its handler exits;
 * a pending one of another executable is not touched by it. */
Test(ratelimit, a_confirmed_crash_counts_after_its_handler)
{
	char key[17];
	gzc_ratelimit_key("/bin/a", key);
	pid_t h = spawn_holder(), other = spawn_holder();
	cr_assert(admit_held("/bin/a", 10, 1, h));
	cr_assert(admit_held("/bin/b", 10, 1, other));
	cr_assert_eq(gzc_ratelimit_confirm(rootfd, key, 10 * 1000000, h), 0);
	cr_assert_eq(gzc_ratelimit_confirm(rootfd, key, 10 * 1000000, h), 0, "confirming twice is no error");
	cr_assert_eq(gzc_ratelimit_confirm(rootfd, key, 99 * 1000000, h), 0, "no such entry: no error");
	kill(h, SIGKILL);
	waitpid(h, NULL, 0);
	cr_assert_not(admit_held("/bin/a", 11, 1, 0), "a stored crash stopped counting with its handler");
	cr_assert_not(admit_held("/bin/b", 11, 1, 0), "the other live handler's entry was lost");
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	cr_assert(admit_held("/bin/b", 12, 1, 0), "the other handler was killed unconfirmed");
}

/* Pending lines as found in the file: a pid whose start time does not
 * match (the pid was reused) is a gone handler; this process with its own
 * start time is live; forget takes a pending entry back; malformed marks
 * drop the line. */
Test(ratelimit, pending_marks_are_checked_against_the_process)
{
	char a[17], b[17], c[17], text[512], stat[4096];
	gzc_ratelimit_key("/bin/a", a);
	gzc_ratelimit_key("/bin/b", b);
	gzc_ratelimit_key("/bin/c", c);
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	stat[n] = 0;
	unsigned long long start = 0;
	const char *p = strrchr(stat, ')');
	for (int field = 2; field < 22; field++)
		p = strchr(p + 1, ' ');
	start = strtoull(p + 1, NULL, 10);
	int len = snprintf(text, sizeof(text),
			   "10000000 %s %d/%llu\n10000000 %s %d/%llu\n10000000 %s 1x/2\n10000000 %s 0/5\n",
			   a, (int)getpid(), start, b, (int)getpid(), start + 1, c, c);
	write_history(text, (size_t)len);
	cr_assert_not(admit_held("/bin/a", 11, 1, 0), "this live process's pending entry was dropped");
	cr_assert(admit_held("/bin/b", 11, 1, 0), "a reused pid (other start time) kept its slot");
	cr_assert(admit_held("/bin/c", 11, 1, 0), "a malformed mark was read");
	cr_assert_eq(gzc_ratelimit_forget(rootfd, a, 10 * 1000000, getpid()), 0);
	cr_assert(admit_held("/bin/a", 12, 1, 0), "forget did not take the pending entry back");
}

/* Two crashes of one executable in the same second share a timestamp (the
 * kernel gives seconds): each handler confirms or takes back its own
 * entry, told apart by its pid. */
Test(ratelimit, crashes_at_the_same_time_are_told_apart)
{
	char key[17];
	gzc_ratelimit_key("/bin/a", key);
	pid_t h1 = spawn_holder(), h2 = spawn_holder(), h3 = spawn_holder();
	cr_assert(admit_held("/bin/a", 10, 3, h1));
	cr_assert(admit_held("/bin/a", 10, 3, h2));
	cr_assert(admit_held("/bin/a", 10, 3, h3));
	/* h2's core is stored, h3's is not, h1 is killed */
	cr_assert_eq(gzc_ratelimit_confirm(rootfd, key, 10 * 1000000, h2), 0);
	cr_assert_eq(gzc_ratelimit_forget(rootfd, key, 10 * 1000000, h3), 0);
	kill(h1, SIGKILL);
	kill(h2, SIGKILL);
	kill(h3, SIGKILL);
	waitpid(h1, NULL, 0);
	waitpid(h2, NULL, 0);
	waitpid(h3, NULL, 0);
	/* only h2's stored crash counts: two more fit under 3 */
	cr_assert(admit_held("/bin/a", 11, 3, 0));
	cr_assert(admit_held("/bin/a", 12, 3, 0));
	cr_assert_not(admit_held("/bin/a", 13, 3, 0), "h2's stored crash was taken for another's");
}

/*
 * test_skiplog.c — the log of crashes whose core was not stored.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir_fixture.h"
#include "skiplog.h"

TestSuite(skiplog, .init = dir_setup, .fini = dir_teardown);

static void add(uint64_t ts, int64_t pid, const char *comm, const char *reason)
{
	struct gzc_meta m;
	gzc_meta_init(&m);
	m.timestamp_us = ts;
	m.pid = pid;
	m.uid = 1000;
	m.signal = 11;
	cr_assert_eq(gzc_meta_set(&m.signal_name, "SIGSEGV"), 0);
	cr_assert_eq(gzc_meta_set(&m.comm, comm), 0);
	cr_assert_eq(gzc_skiplog_add(rootfd, &m, reason), 0);
	gzc_meta_clear(&m);
}

static void write_log(const char *text)
{
	int fd = openat(rootfd, GZC_SKIPLOG_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

Test(skiplog, missing_file_is_empty)
{
	struct gzc_skip *s = (void *)1;
	size_t n = 7;
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, 0);
	gzc_skiplog_free(s, n);
}

Test(skiplog, records_round_trip_newest_first)
{
	add(1000, 42, "first", "rate limit of 1 per 3600s reached");
	add(2000, 43, "sec\nond \xe2\x80\xae", "the store's file system is full");
	struct gzc_skip *s;
	size_t n;
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(s[0].meta.timestamp_us, 2000);
	cr_assert_eq(s[0].meta.pid, 43);
	cr_assert_eq(s[0].meta.uid, 1000);
	cr_assert_eq(s[0].meta.signal, 11);
	cr_assert_str_eq(s[0].meta.signal_name, "SIGSEGV");
	cr_assert_str_eq(s[0].meta.comm, "sec\nond \xe2\x80\xae", "control and bidi bytes are kept as they were");
	cr_assert_str_eq(s[0].reason, "the store's file system is full");
	cr_assert_null(s[0].meta.exe);
	cr_assert_eq(s[0].meta.tid, -1, "absent fields stay absent");
	cr_assert_eq(s[1].meta.pid, 42);
	cr_assert_str_eq(s[1].reason, "rate limit of 1 per 3600s reached");
	gzc_skiplog_free(s, n);
}

Test(skiplog, keeps_the_newest_max)
{
	for (int i = 0; i < GZC_SKIPLOG_MAX + 5; i++)
		add(1000 + (uint64_t)i, 100 + i, "storm", "rate limit");
	struct gzc_skip *s;
	size_t n;
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, GZC_SKIPLOG_MAX);
	cr_assert_eq(s[0].meta.pid, 100 + GZC_SKIPLOG_MAX + 4);
	cr_assert_eq(s[n - 1].meta.pid, 105, "the oldest five were dropped");
	gzc_skiplog_free(s, n);
	struct stat st;
	cr_assert_eq(fstatat(rootfd, GZC_SKIPLOG_FILE, &st, 0), 0);
	cr_assert_lt(st.st_size, 200 * GZC_SKIPLOG_MAX, "a storm costs one small file (%lld bytes)", (long long)st.st_size);
}

Test(skiplog, long_strings_are_cut_on_a_character)
{
	char comm[1000];
	/* "é" is two bytes: 300 of them, so byte 256 falls inside one */
	for (int i = 0; i < 300; i++)
		memcpy(comm + 1 + 2 * i, "\xc3\xa9", 2);
	comm[0] = 'x';
	comm[601] = 0;
	add(5, 1, comm, "why");
	struct gzc_skip *s;
	size_t n;
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(strlen(s[0].meta.comm), 255, "cut before the character that would pass 256 bytes");
	cr_assert_eq(strncmp(s[0].meta.comm, comm, 255), 0);
	gzc_skiplog_free(s, n);
}

Test(skiplog, damaged_lines_are_skipped)
{
	write_log("{\"timestamp_us\":10,\"reason\":\"ok one\",\"pid\":5}\n"
		  "not json\n"
		  "{\"timestamp_us\":-3,\"reason\":\"negative time\"}\n"
		  "{\"timestamp_us\":11}\n"
		  "{\"timestamp_us\":12,\"reason\":\"trailing\"} junk\n"
		  "[1,2]\n"
		  "{\"timestamp_us\":13,\"reason\":\"types\",\"pid\":\"7\",\"comm\":5,\"uid\":99999999999}\n"
		  "{\"timestamp_us\":14,\"reason\":\"cut short");
	struct gzc_skip *s;
	size_t n;
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(s[0].meta.timestamp_us, 13);
	cr_assert_eq(s[0].meta.pid, -1, "a pid that is a string is ignored");
	cr_assert_eq(s[0].meta.uid, -1, "a uid out of range is ignored");
	cr_assert_null(s[0].meta.comm);
	cr_assert_eq(s[1].meta.pid, 5);
	gzc_skiplog_free(s, n);
	/* adding keeps the whole lines and drops the cut one */
	add(20, 9, "new", "after damage");
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(s[0].meta.pid, 9);
	gzc_skiplog_free(s, n);
}

Test(skiplog, symlink_is_not_followed)
{
	char target[128];
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	int fd = open(target, O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(symlinkat("elsewhere", rootfd, GZC_SKIPLOG_FILE), 0);
	struct gzc_skip *s;
	size_t n;
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), -ELOOP);
	add(1, 1, "c", "r");
	struct stat st;
	cr_assert_eq(stat(target, &st), 0);
	cr_assert_eq(st.st_size, 0, "the symlink's target was written");
	cr_assert_eq(fstatat(rootfd, GZC_SKIPLOG_FILE, &st, AT_SYMLINK_NOFOLLOW), 0);
	cr_assert(S_ISREG(st.st_mode), "the log replaced the symlink");
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, 1);
	gzc_skiplog_free(s, n);
}

Test(skiplog, appends_then_compacts_to_the_newest)
{
	/* records of about 400 bytes: the file passes GZC_SKIPLOG_COMPACT_AT
	 * after some 2,600 of them and is cut back to the newest 1,000 */
	char reason[300];
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = 0;
	struct stat st;
	off_t biggest = 0;
	int n_add = 3000;
	for (int i = 0; i < n_add; i++) {
		add(1000 + (uint64_t)i, 100 + i, "storm", reason);
		cr_assert_eq(fstatat(rootfd, GZC_SKIPLOG_FILE, &st, 0), 0);
		if (st.st_size > biggest)
			biggest = st.st_size;
	}
	cr_assert_leq(biggest, (off_t)GZC_SKIPLOG_COMPACT_AT, "the file grew to %lld bytes", (long long)biggest);
	cr_assert_lt(st.st_size, biggest, "never compacted");
	struct gzc_skip *s;
	size_t n;
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, GZC_SKIPLOG_MAX);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(s[i].meta.pid, 100 + n_add - 1 - (int64_t)i, "record %zu", i);
	gzc_skiplog_free(s, n);
}

Test(skiplog, an_append_after_a_cut_line_starts_a_new_one)
{
	add(1, 1, "a", "first");
	int fd = openat(rootfd, GZC_SKIPLOG_FILE, O_WRONLY | O_APPEND);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{\"timestamp_us\":2,\"rea", 22), 22); /* a handler died mid-append */
	close(fd);
	add(3, 3, "c", "third");
	struct gzc_skip *s;
	size_t n;
	cr_assert_eq(gzc_skiplog_read(rootfd, &s, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(s[0].meta.pid, 3);
	cr_assert_eq(s[1].meta.pid, 1);
	gzc_skiplog_free(s, n);
}

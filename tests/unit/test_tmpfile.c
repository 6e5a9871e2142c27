/*
 * test_tmpfile.c — unit tests of atomic output files (src/tmpfile.c).
 *
 * A file shows up under its final name only complete, never replaces an
 * existing name on commit (it takes name.1.gz, name.2.gz, ...), and leaves
 * nothing behind when discarded.
 */
#include "fmt_helpers.h"

#include <dirent.h>
#include <sys/wait.h>

static char dir[64];
static int dfd = -1;
static void setup(void)
{
	th_tmpdir(dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
}
static void teardown(void)
{
	close(dfd);
	th_rmdir(dir);
}
TestSuite(tmpfile, .init = setup, .fini = teardown, .timeout = 30);

/* Names in dir, sorted, joined by spaces. */
static void listing(char *out, size_t cap)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	cr_assert_geq(n, 0);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
			if (out[0])
				strncat(out, " ", cap - strlen(out) - 1);
			strncat(out, ents[i]->d_name, cap - strlen(out) - 1);
		}
		free(ents[i]);
	}
	free(ents);
}

static void read_back(const char *name, const char *want)
{
	char buf[256] = { 0 };
	int fd = openat(dfd, name, O_RDONLY);
	cr_assert_geq(fd, 0, "%s missing", name);
	ssize_t n = gzc_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_eq(n, (ssize_t)strlen(want));
	cr_assert_str_eq(buf, want, "%s holds the wrong bytes", name);
}

static void make(struct gzc_tmpfile *t, const char *content)
{
	cr_assert_eq(gzc_tmpfile_open(dfd, 0640, t), 0);
	cr_assert_eq(gzc_write_all(t->fd, content, strlen(content)), 0);
}

Test(tmpfile, commit_never_replaces_and_numbers_before_suffix)
{
	char got[256], ls[1024];
	const char *contents[] = { "first", "second", "third" };
	const char *names[] = { "Core_x.gz", "Core_x.1.gz", "Core_x.2.gz" };
	for (int i = 0; i < 3; i++) {
		struct gzc_tmpfile t;
		make(&t, contents[i]);
		/* nothing is visible under a final name before the commit */
		listing(ls, sizeof(ls));
		for (int k = i; k < 3; k++)
			cr_assert_null(strstr(ls, names[k]), "%s visible before commit: %s", names[k], ls);
		cr_assert_eq(gzc_tmpfile_commit(&t, "Core_x.gz", ".gz", got, sizeof(got)), 0);
		cr_assert_str_eq(got, names[i]);
		gzc_tmpfile_close(&t);
		gzc_tmpfile_discard(&t); /* after close: harmless */
	}
	for (int i = 0; i < 3; i++)
		read_back(names[i], contents[i]);
	listing(ls, sizeof(ls));
	cr_assert_str_eq(ls, "Core_x.1.gz Core_x.2.gz Core_x.gz", "stray files: %s", ls);
	struct stat st;
	cr_assert_eq(fstatat(dfd, "Core_x.gz", &st, 0), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
}

Test(tmpfile, suffix_not_at_the_end_numbers_at_the_end)
{
	char got[256];
	struct gzc_tmpfile t;
	int fd = openat(dfd, "name", O_WRONLY | O_CREAT, 0600);
	close(fd);
	make(&t, "x");
	cr_assert_eq(gzc_tmpfile_commit(&t, "name", ".gz", got, sizeof(got)), 0);
	cr_assert_str_eq(got, "name.1");
	gzc_tmpfile_close(&t);
	make(&t, "y");
	cr_assert_eq(gzc_tmpfile_commit(&t, "name", NULL, got, sizeof(got)), 0);
	cr_assert_str_eq(got, "name.2");
	gzc_tmpfile_close(&t);
	read_back("name.1", "x");
	read_back("name.2", "y");
}

Test(tmpfile, name_too_long_for_caller_buffer)
{
	char got[8];
	struct gzc_tmpfile t;
	make(&t, "z");
	cr_assert_eq(gzc_tmpfile_commit(&t, "longer-than-8.gz", ".gz", got, sizeof(got)), -ENAMETOOLONG);
	gzc_tmpfile_discard(&t);
	char ls[256];
	listing(ls, sizeof(ls));
	cr_assert_str_eq(ls, "", "left behind: %s", ls);
}

Test(tmpfile, discard_leaves_nothing)
{
	char ls[256];
	for (int i = 0; i < 5; i++) {
		struct gzc_tmpfile t;
		make(&t, "partial core");
		gzc_tmpfile_discard(&t);
		cr_assert_eq(t.fd, -1);
	}
	listing(ls, sizeof(ls));
	cr_assert_str_eq(ls, "", "left behind: %s", ls);
	struct gzc_tmpfile none = { .fd = -1, .dirfd = dfd };
	gzc_tmpfile_discard(&none);
}

Test(tmpfile, replace_overwrites)
{
	int fd = openat(dfd, "out", O_WRONLY | O_CREAT, 0600);
	cr_assert_eq(gzc_write_all(fd, "old contents", 12), 0);
	close(fd);
	struct gzc_tmpfile t;
	make(&t, "new");
	cr_assert_eq(gzc_tmpfile_replace(&t, "out"), 0);
	gzc_tmpfile_discard(&t); /* after replace: must not remove "out" */
	read_back("out", "new");
	char ls[256];
	listing(ls, sizeof(ls));
	cr_assert_str_eq(ls, "out", "left behind: %s", ls);
	/* replace onto a new name */
	make(&t, "fresh");
	cr_assert_eq(gzc_tmpfile_replace(&t, "fresh"), 0);
	gzc_tmpfile_close(&t);
	read_back("fresh", "fresh");
}

Test(tmpfile, unwritable_directory)
{
	struct gzc_tmpfile t = { .fd = 123 };
	int bad = open("/proc", O_RDONLY | O_DIRECTORY);
	int rc = gzc_tmpfile_open(bad, 0600, &t);
	cr_assert_lt(rc, 0, "created a file in /proc");
	cr_assert_eq(t.fd, 123, "ret touched on failure");
	close(bad);
	/* a directory we may not write: as root, a child that is user 65534 tries */
	cr_assert_eq(fchmod(dfd, 0500), 0);
	if (geteuid() != 0) {
		cr_assert_eq(gzc_tmpfile_open(dfd, 0600, &t), -EACCES);
	} else {
		pid_t pid = fork();
		if (pid == 0) {
			if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
				_exit(2);
			_exit(gzc_tmpfile_open(dfd, 0600, &t) == -EACCES ? 0 : 1);
		}
		int status = -1;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "as user 65534: status %#x", status);
	}
	cr_assert_eq(fchmod(dfd, 0700), 0);
}

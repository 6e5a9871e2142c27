/*
 * dir_fixture.h — a Criterion fixture for tests of files in a store's root:
 * a fresh directory (dir, open as rootfd) per test, removed afterwards.
 * Include once per test file, then TestSuite(name, .init = dir_setup,
 * .fini = dir_teardown).
 */
#ifndef GZC_DIR_FIXTURE_H
#define GZC_DIR_FIXTURE_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];
static int rootfd = -1;

static void dir_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gzc-unit.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	rootfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(rootfd, 0);
}

static void dir_teardown(void)
{
	char cmd[128];
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

#endif

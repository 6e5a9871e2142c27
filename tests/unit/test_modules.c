/*
 * test_modules.c — the mapped ELF files from a maps text, and their
 * identities read through a (fake) /proc/<pid>/map_files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt_helpers.h"
#include "modules.h"

static struct gzc_module *parse(const char *maps, size_t *n)
{
	struct gzc_module *m = NULL;
	cr_assert_eq(gzc_modules_from_maps(maps, strlen(maps), &m, n), 0);
	return m;
}

Test(modules, from_maps)
{
	const char *maps =
		/* the executable: its first mapping is the one from offset 0 */
		"55d0c0000000-55d0c0001000 r--p 00000000 fd:01 1234                       /usr/bin/my app\n"
		"55d0c0001000-55d0c0002000 r-xp 00001000 fd:01 1234                       /usr/bin/my app\n"
		"55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                          [heap]\n"
		/* a data file, never mapped executable: not a module */
		"7f0000000000-7f0000100000 r--p 00000000 fd:01 77                         /usr/lib/locale/locale-archive\n"
		"7f0000200000-7f0000228000 r--p 00000000 fd:01 88                         /usr/lib/x86_64-linux-gnu/libc.so.6\n"
		"7f0000228000-7f00003bd000 r-xp 00028000 fd:01 88                         /usr/lib/x86_64-linux-gnu/libc.so.6\n"
		/* the same file mapped again from offset 0: listed once */
		"7f0000500000-7f0000501000 r--p 00000000 fd:01 88                         /usr/lib/x86_64-linux-gnu/libc.so.6\n"
		/* same inode number on another device: another file */
		"7f0000600000-7f0000601000 r-xp 00000000 fd:02 88                         /opt/x/libother.so\n"
		"7f0000700000-7f0000701000 r-xp 00000000 00:1e 99                         /tmp/libgone.so (deleted)\n"
		/* malformed lines are skipped */
		"7f0000800000-7f0000801000 r-xp 00000000 fd:01 100x                       /bad/inode-not-a-number\n"
		"7f0000800000-7f0000801000 r-xp 00000000 fd:01 105\t/bad/tab\n"
		"7f0000800000-7f0000801000 r-x 00000000 fd:01 106                        /bad/short-perms\n"
		"7f0000900000-7f0000800000 r-xp 00000000 fd:01 101                        /bad/end-before-start\n"
		"7f00009000000000000-7f0000a00000 r-xp 00000000 fd:01 102                 /bad/too-many-digits\n"
		"7f0000a00000-7f0000a01000 r-xp 00000000 fd:01                            /bad/no-inode\n"
		"7f0000b00000-7f0000b01000 r-xp 00000000 fd:01 103                        relative/path\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
		"7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]\n"
		/* a last line cut by a read bound is not a whole line */
		"7f0000c00000-7f0000c01000 r-xp 00000000 fd:01 104                        /lib/cut";
	size_t n;
	struct gzc_module *m = parse(maps, &n);
	cr_assert_eq(n, 4, "%zu modules", n);
	cr_assert_str_eq(m[0].path, "/usr/bin/my app");
	cr_assert_eq(m[0].start, 0x55d0c0000000ull);
	cr_assert_eq(m[0].end, 0x55d0c0001000ull);
	cr_assert_str_eq(m[1].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	cr_assert_eq(m[1].start, 0x7f0000200000ull);
	cr_assert_str_eq(m[2].path, "/opt/x/libother.so");
	cr_assert_str_eq(m[3].path, "/tmp/libgone.so (deleted)");
	for (size_t i = 0; i < n; i++)
		cr_assert(!m[i].build_id && !m[i].package_json && !m[i].error);
	gzc_modules_free(m, n);

	m = parse("", &n);
	cr_assert_eq(n, 0);
	cr_assert_null(m);
	m = parse("garbage\n\n\xff\n", &n);
	cr_assert_eq(n, 0);
}

Test(modules, at_most_max)
{
	size_t cap = (GZC_MODULES_MAX + 50) * 100, len = 0, n;
	char *maps = malloc(cap);
	cr_assert_not_null(maps);
	for (unsigned i = 0; i < GZC_MODULES_MAX + 50; i++)
		len += (size_t)snprintf(maps + len, cap - len, "%x000-%x800 r-xp 00000000 fd:01 %u /lib/l%u.so\n",
					0x10000 + i, 0x10000 + i, 1000 + i, i);
	struct gzc_module *m = NULL;
	cr_assert_eq(gzc_modules_from_maps(maps, len, &m, &n), 0);
	cr_assert_eq(n, GZC_MODULES_MAX);
	cr_assert_str_eq(m[n - 1].path, "/lib/l1023.so");
	gzc_modules_free(m, n);
	free(maps);
}

Test(modules, paths_bounded)
{
	/* 300 files with 1,000-byte names: listing stops before 256 KiB of paths */
	size_t cap = 300 * 1100, len = 0, n, total = 0;
	char *maps = malloc(cap), name[1001];
	cr_assert_not_null(maps);
	memset(name, 'n', 1000);
	name[1000] = 0;
	for (unsigned i = 0; i < 300; i++)
		len += (size_t)snprintf(maps + len, cap - len, "%x000-%x800 r-xp 00000000 fd:01 %u /%s\n", 0x10000 + i,
					0x10000 + i, 1000 + i, name + 1);
	struct gzc_module *m = NULL;
	cr_assert_eq(gzc_modules_from_maps(maps, len, &m, &n), 0);
	for (size_t i = 0; i < n; i++)
		total += strlen(m[i].path);
	cr_assert_eq(n, GZC_MODULES_PATHS_MAX / 1000, "%zu modules, %zu bytes", n, total);
	gzc_modules_free(m, n);
	free(maps);
}

/* A fake /proc/<pid> whose map_files holds name as file for the mapping
 * start-end (a copy, a symlink or whatever make() puts there). */
static char dir[64];

static void setup(void)
{
	char p[128];
	th_tmpdir(dir);
	snprintf(p, sizeof(p), "%s/map_files", dir);
	cr_assert_eq(mkdir(p, 0700), 0);
	/* the process's mounts: devices 0:99 (FUSE) and 0:100 (NFS) may hang */
	snprintf(p, sizeof(p), "%s/mountinfo", dir);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs("22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
	      "40 22 0:99 / /mnt/fuse rw,nosuid,nodev,relatime shared:20 master:3 - fuse.sshfs me@h:/ rw\n"
	      "41 22 0:100 / /mnt/nfs rw - nfs4 h:/x rw\n"
	      "42 22 0:101 / /mnt/bad rw shared:2\n"            /* no separator: ignored */
	      "43 22 0:1x2 / /mnt/bad2 rw - fuse x rw\n"        /* bad device: ignored */
	      "44 22 0:103 / /mnt/tmp rw - tmpfs tmpfs rw\n"
	      "45 22 0:104 / /mnt/cut rw - fuse",                 /* no newline: cut */
	      f);
	fclose(f);
}

static void teardown(void) { th_rmdir(dir); }

static const char *entry(uint64_t start)
{
	static char p[128];
	snprintf(p, sizeof(p), "%s/map_files/%llx-%llx", dir, (unsigned long long)start,
		 (unsigned long long)start + 0x1000);
	return p;
}

static struct gzc_module module(uint64_t start, const char *path)
{
	struct gzc_module m = { .start = start, .end = start + 0x1000, .dev_major = 253, .dev_minor = 1,
				.path = strdup(path) };
	cr_assert_not_null(m.path);
	return m;
}

static void must_sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

TestSuite(modules_identify, .init = setup, .fini = teardown);

Test(modules_identify, through_map_files)
{
	char cmd[512];
	/* an ELF file with a package note and a build-id, built here */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf 'int f(void){return 1;}\\n' > l.c && gcc -shared -fPIC -o map_files/%llx-%llx l.c "
		 "-Wl,--build-id=0xdeadbeef0011 -Xlinker '--package-metadata={\"type\":\"deb\",\"name\":\"libl\","
		 "\"version\":\"2.0\"}'",
		 dir, 0x1000ull, 0x2000ull);
	must_sh(cmd);
	/* not ELF; ELF without a build-id; a FIFO; a directory by symlink */
	FILE *f = fopen(entry(0x2000), "w");
	cr_assert_not_null(f);
	fputs("just text\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd '%s' && gcc -shared -fPIC -Wl,--build-id=none -o '%s' l.c", dir, entry(0x3000));
	must_sh(cmd);
	cr_assert_eq(mkfifo(entry(0x4000), 0600), 0);
	cr_assert_eq(symlink("/", entry(0x5000)), 0);
	/* 0x6000: no entry at all */

	struct gzc_module *m = calloc(6, sizeof(*m));
	cr_assert_not_null(m);
	const char *paths[] = { "/lib/libl.so", "/data", "/lib/nobid.so", "/fifo", "/dir", "/gone.so" };
	for (int i = 0; i < 6; i++)
		m[i] = module(0x1000 + 0x1000 * (uint64_t)i, paths[i]);
	int procfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(procfd, 0);
	gzc_modules_identify(procfd, m, 6, 10000, NULL);
	close(procfd);

	cr_assert_str_eq(m[0].build_id, "deadbeef0011");
	cr_assert_str_eq(m[0].package_json, "{\"type\":\"deb\",\"name\":\"libl\",\"version\":\"2.0\"}");
	cr_assert_null(m[0].error);
	cr_assert_str_eq(m[1].error, "not an ELF file");
	cr_assert_null(m[1].build_id);
	cr_assert_str_eq(m[2].error, "no GNU build-id");
	cr_assert_null(m[2].build_id);
	cr_assert_str_eq(m[3].error, "not a regular file"); /* never opened for reading: would block */
	cr_assert_str_eq(m[4].error, "not a regular file");
	cr_assert_str_eq(m[5].error, "cannot open: No such file or directory");
	for (int i = 0; i < 6; i++)
		cr_assert_str_eq(m[i].path, paths[i]);
	gzc_modules_free(m, 6);
}

/* On FUSE or NFS (by the process's mountinfo) a module is not even looked
 * at: the good ELF file at 0x1000 stays unread there. */
Test(modules_identify, fuse_and_network_untouched)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cd '%s' && printf 'int f(void){return 1;}\\n' > l.c && gcc -shared -fPIC -Wl,--build-id=0xabcdef0123456789 -o '%s' l.c",
		 dir, entry(0x1000));
	must_sh(cmd);
	struct gzc_module *m = calloc(5, sizeof(*m));
	cr_assert_not_null(m);
	const unsigned minor[] = { 99, 100, 101, 103, 104 };
	for (int i = 0; i < 5; i++) {
		m[i] = module(0x1000, "/lib/l.so");
		m[i].dev_major = 0;
		m[i].dev_minor = minor[i];
	}
	int procfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(procfd, 0);
	gzc_modules_identify(procfd, m, 5, 10000, NULL);
	cr_assert_str_eq(m[0].error, "not read: on a FUSE or network file system");
	cr_assert_str_eq(m[1].error, "not read: on a FUSE or network file system");
	for (int i = 2; i < 5; i++) { /* not a whole mountinfo line, or tmpfs: read */
		cr_assert_null(m[i].error, "minor %u: %s", minor[i], m[i].error);
		cr_assert_str_eq(m[i].build_id, "abcdef0123456789");
	}
	gzc_modules_free(m, 5);

	/* no mountinfo: nothing is read */
	char p[128];
	snprintf(p, sizeof(p), "%s/mountinfo", dir);
	cr_assert_eq(unlink(p), 0);
	m = calloc(1, sizeof(*m));
	cr_assert_not_null(m);
	m[0] = module(0x1000, "/lib/l.so");
	gzc_modules_identify(procfd, m, 1, 10000, NULL);
	close(procfd);
	cr_assert_str_eq(m[0].error, "not read: the process's mounts are unknown: No such file or directory");
	gzc_modules_free(m, 1);
}

/* Package notes are kept up to GZC_MODULES_NOTES_MAX bytes in all. */
Test(modules_identify, notes_bounded)
{
	char json[60001], *cmd = malloc(70000);
	cr_assert_not_null(cmd);
	int k = snprintf(json, sizeof(json), "{\"type\":\"deb\",\"name\":\"big\",\"pad\":\"");
	memset(json + k, 'x', sizeof(json) - (size_t)k - 3);
	strcpy(json + sizeof(json) - 3, "\"}");
	snprintf(cmd, 70000, "cd '%s' && printf 'int f(void){return 1;}\\n' > l.c && "
		 "gcc -shared -fPIC -Xlinker '--package-metadata=%s' -o big.so l.c", dir, json);
	must_sh(cmd);
	free(cmd);
	size_t n = GZC_MODULES_NOTES_MAX / 60000 + 1;
	struct gzc_module *m = calloc(n, sizeof(*m));
	cr_assert_not_null(m);
	for (size_t i = 0; i < n; i++) {
		char big[128];
		snprintf(big, sizeof(big), "%s/big.so", dir);
		cr_assert_eq(link(big, entry(0x1000 * (i + 1))), 0);
		m[i] = module(0x1000 * (i + 1), "/big.so");
	}
	int procfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(procfd, 0);
	gzc_modules_identify(procfd, m, n, 10000, NULL);
	close(procfd);
	for (size_t i = 0; i + 1 < n; i++) {
		cr_assert_eq(strlen(m[i].package_json), 60000, "module %zu", i);
		cr_assert_null(m[i].error, "module %zu: %s", i, m[i].error);
	}
	cr_assert_null(m[n - 1].package_json);
	cr_assert_str_eq(m[n - 1].error, "package note not kept: the modules' notes passed their size limit");
	cr_assert_not_null(m[n - 1].build_id, "the build-id is kept all the same");
	gzc_modules_free(m, n);
}

Test(modules_identify, time_budget)
{
	struct gzc_module *m = calloc(2, sizeof(*m));
	cr_assert_not_null(m);
	m[0] = module(0x1000, "/a.so");
	m[1] = module(0x2000, "/b.so");
	int procfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(procfd, 0);
	gzc_modules_identify(procfd, m, 2, 0, NULL);
	close(procfd);
	for (int i = 0; i < 2; i++)
		cr_assert_str_eq(m[i].error, "not read: the time for reading modules was spent");
	gzc_modules_free(m, 2);
}

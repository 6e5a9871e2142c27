/*
 * procinfo.c — bounded, no-follow reads below one /proc/<pid> dirfd, and
 * strict parsers for what they return.
 */
#include "procinfo.h"
#include "io.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pid a pidfd refers to, from our own fdinfo; -ESRCH if the process is
 * gone ("Pid: -1"), -EBADF if fd is no pidfd. */
static int pidfd_pid(int pidfd, pid_t *ret)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EBADF;
	ssize_t n = gzc_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	const char *p = strstr(buf, "\nPid:");
	if (!p)
		return -EBADF;
	long v = strtol(p + 5, NULL, 10);
	if (v <= 0)
		return -ESRCH;
	*ret = (pid_t)v;
	return 0;
}

int gzc_proc_open(const char *procfs_root, pid_t pid, int pidfd, int *ret_dirfd)
{
	char path[PATH_MAX];
	pid_t p;
	int r;

	if (pid <= 0 || !procfs_root)
		return -EINVAL;
	if (pidfd >= 0) {
		r = pidfd_pid(pidfd, &p);
		if (r < 0)
			return r;
		if (p != pid)
			return -ESRCH;
	}
	snprintf(path, sizeof(path), "%s/%d", procfs_root, (int)pid);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pidfd >= 0) {
		/* the process still lives as pid, so the directory we hold is its */
		r = pidfd_pid(pidfd, &p);
		if (r < 0 || p != pid) {
			close(fd);
			return r < 0 ? r : -ESRCH;
		}
	}
	*ret_dirfd = fd;
	return 0;
}

int gzc_proc_read(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	size_t len;
	if (max > GZC_PROC_READ_MAX)
		max = GZC_PROC_READ_MAX;
	int r = gzc_read_file_at(dirfd, name, max, GZC_READ_CUT, ret, &len);
	if (r == 0 && ret_len)
		*ret_len = len;
	return r;
}

int gzc_proc_readlink(int dirfd, const char *name, char **ret)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	char *s = strdup(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* "Key:\tA\tB\tC\tD\n" -> four numbers */
static int parse_four(const char *p, const char *end, int64_t out[4])
{
	for (int i = 0; i < 4; i++) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || !isdigit((unsigned char)*p))
			return -EBADMSG;
		int64_t v = 0;
		while (p < end && isdigit((unsigned char)*p)) {
			v = v * 10 + (*p - '0');
			if (v > UINT32_MAX)
				return -EBADMSG;
			p++;
		}
		out[i] = v;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p == end ? 0 : -EBADMSG;
}

int gzc_proc_parse_ids(const char *status, size_t len, int64_t ret_uid[4], int64_t ret_gid[4])
{
	int64_t u[4], g[4];
	int have_u = 0, have_g = 0;
	const char *p = status, *end = status + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le - p >= 4 && memcmp(p, "Uid:", 4) == 0) {
			if (have_u++ || parse_four(p + 4, le, u) < 0)
				return -EBADMSG;
		} else if (le - p >= 4 && memcmp(p, "Gid:", 4) == 0) {
			if (have_g++ || parse_four(p + 4, le, g) < 0)
				return -EBADMSG;
		}
		p = nl ? nl + 1 : end;
	}
	if (!have_u || !have_g)
		return -EBADMSG;
	memcpy(ret_uid, u, sizeof(u));
	memcpy(ret_gid, g, sizeof(g));
	return 0;
}

int gzc_proc_parse_cgroup(const char *text, size_t len, char **ret)
{
	const char *best = NULL, *best_end = NULL, *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		/* "ID:CONTROLLERS:PATH"; the path may hold ':' */
		const char *c1 = memchr(p, ':', (size_t)(le - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		if (c2) {
			bool named = c2 - c1 - 1 == 12 && memcmp(c1 + 1, "name=systemd", 12) == 0;
			bool unified = c1 - p == 1 && *p == '0' && c2 == c1 + 1;
			if (named || (unified && !best)) {
				best = c2 + 1;
				best_end = le;
				if (named)
					break;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!best)
		return -ENOENT;
	size_t n = (size_t)(best_end - best);
	if (!n || *best != '/' || n >= PATH_MAX || memchr(best, 0, n))
		return -EBADMSG;
	if (!(*ret = malloc(n + 1)))
		return -ENOMEM;
	memcpy(*ret, best, n);
	(*ret)[n] = 0;
	return 0;
}

/* A component that is a valid unit name of a known type ("" if not):
 * returns its type suffix (".service", ".slice", ...) or NULL. */
static const char *unit_type(const char *s, size_t n)
{
	static const char *const types[] = { ".service", ".scope",  ".slice",  ".socket", ".mount",
					     ".swap",    ".target", ".timer", ".path",   ".automount" };
	if (!n || n >= GZC_UNIT_NAME_MAX || s[0] == '.')
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(":-_.\\@", s[i]))
			return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t t = strlen(types[i]);
		if (n > t && memcmp(s + n - t, types[i], t) == 0)
			return types[i];
	}
	return NULL;
}

void gzc_cgroup_units(const char *path, char unit[GZC_UNIT_NAME_MAX], char user_unit[GZC_UNIT_NAME_MAX],
		      char slice[GZC_UNIT_NAME_MAX])
{
	unit[0] = user_unit[0] = slice[0] = 0;
	for (const char *p = path; p && *p; p += strcspn(p, "/")) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		const char *type = unit_type(p, n);
		if (!type)
			continue;
		bool is_slice = strcmp(type, ".slice") == 0;
		if (!unit[0])
			snprintf(is_slice ? slice : unit, GZC_UNIT_NAME_MAX, "%.*s", (int)n, p);
		else if (!user_unit[0] && !is_slice && strncmp(unit, "user@", 5) == 0)
			snprintf(user_unit, GZC_UNIT_NAME_MAX, "%.*s", (int)n, p); /* inside the user's manager */
	}
}

int gzc_proc_parse_stat(const char *stat, size_t len, char *ret_state, uint64_t *ret_start)
{
	const char *end = stat + len, *p = NULL;
	for (const char *q = stat; q < end; q++)
		if (*q == ')')
			p = q;
	if (!p || !memchr(stat, '(', (size_t)(p - stat)))
		return -EBADMSG;
	/* after ')': " <state> <ppid> ..." -- the state is field 3, start 22 */
	char state = 0;
	uint64_t start = 0;
	for (int field = 3; field <= 22; field++) {
		if (p + 1 >= end || p[1] != ' ')
			return -EBADMSG;
		const char *f = p + 2, *fe = f;
		while (fe < end && *fe != ' ' && *fe != '\n')
			fe++;
		if (fe == f)
			return -EBADMSG;
		if (field == 3) {
			if (fe - f != 1)
				return -EBADMSG;
			state = *f;
		} else if (field == 22) {
			for (const char *d = f; d < fe; d++) {
				if (*d < '0' || *d > '9' || start > (UINT64_MAX - 9) / 10)
					return -EBADMSG;
				start = start * 10 + (uint64_t)(*d - '0');
			}
		}
		p = fe - 1;
	}
	*ret_state = state;
	*ret_start = start;
	return 0;
}

int gzc_proc_auxv_secure(const void *auxv, size_t len, int *ret)
{
	const ElfW(auxv_t) *a = auxv;
	size_t n = len / sizeof(*a);
	int found = -1;

	if (len % sizeof(*a))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		ElfW(auxv_t) e;
		memcpy(&e, &a[i], sizeof(e)); /* the buffer may be unaligned */
		if (e.a_type == AT_NULL) {
			if (found < 0)
				return -ENOENT;
			*ret = found;
			return 0;
		}
		if (e.a_type == AT_SECURE)
			found = e.a_un.a_val != 0;
	}
	return -EBADMSG;
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static int sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > GZC_PROC_READ_MAX)
		return -E2BIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int gzc_proc_fds(int dirfd, char **ret)
{
	struct sbuf b = { 0 };
	int *fds = NULL, r = 0;
	size_t nfds = 0;
	int dfd = openat(dirfd, "fd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	fds = malloc(GZC_PROC_FDS_MAX * sizeof(*fds));
	if (!fds) {
		r = -ENOMEM;
		goto out;
	}
	struct dirent *de;
	while (nfds < GZC_PROC_FDS_MAX && (de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (*end || !isdigit((unsigned char)de->d_name[0]) || v < 0 || v > INT_MAX)
			continue;
		fds[nfds++] = (int)v;
	}
	qsort(fds, nfds, sizeof(*fds), cmp_int);
	int infofd = openat(dirfd, "fdinfo", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (size_t i = 0; i < nfds && r == 0; i++) {
		char name[16], target[PATH_MAX + 1], line[64];
		snprintf(name, sizeof(name), "%d", fds[i]);
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = 0;
		int ln = snprintf(line, sizeof(line), "%d:", fds[i]);
		r = sb_add(&b, line, (size_t)ln);
		if (r == 0)
			r = sb_add(&b, target, strlen(target));
		if (r == 0)
			r = sb_add(&b, "\n", 1);
		if (r == 0 && infofd >= 0) {
			char *info = NULL;
			size_t ilen = 0;
			if (gzc_proc_read(infofd, name, 4096, &info, &ilen) == 0) {
				r = sb_add(&b, info, strlen(info));
				free(info);
			}
		}
	}
	if (infofd >= 0)
		close(infofd);
	if (r == -E2BIG)
		r = 0; /* keep what fits */
	if (r == 0 && !b.p)
		r = sb_add(&b, "", 0);
out:
	free(fds);
	closedir(d);
	if (r < 0) {
		free(b.p);
		return r;
	}
	*ret = b.p;
	return 0;
}

size_t gzc_proc_cmdline_join(char *buf, size_t len)
{
	while (len && buf[len - 1] == 0)
		len--;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
	buf[len] = 0;
	return len;
}

void gzc_access_decide(int64_t dump_mode, int64_t uid, int64_t euid, int64_t gid, int64_t egid, int at_secure,
		       int64_t *ret_owner_uid, bool *ret_user_readable, const char **ret_reason)
{
	const char *why = NULL;
	if (dump_mode != 1)
		why = dump_mode == 2 ? "dump mode 2 (suidsafe): root only" : "dump mode not 1: root only";
	else if (uid < 0 || euid < 0 || gid < 0 || egid < 0)
		why = "credentials unknown: root only";
	else if (uid != euid || gid != egid)
		why = "set-id process (uid != euid or gid != egid): root only";
	else if (at_secure != 0)
		why = at_secure < 0 ? "AT_SECURE unknown: root only" : "AT_SECURE set: root only";
	if (why) {
		*ret_owner_uid = -1;
		*ret_user_readable = false;
		*ret_reason = why;
	} else {
		*ret_owner_uid = uid;
		*ret_user_readable = true;
		*ret_reason = "dump mode 1, not set-id, AT_SECURE 0: readable by the crashing user";
	}
}

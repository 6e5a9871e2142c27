/*
 * pattern.c — core_pattern building and the kernel's argument vector.
 * Every number is parsed strictly: these come from the kernel, but a user
 * can also run the program with any arguments.
 */
#include "pattern.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int parse_int(const char *s, int64_t max, int64_t *ret)
{
	uint64_t v;
	if (parse_u64(s, &v) < 0 || v > (uint64_t)max)
		return -EINVAL;
	*ret = (int64_t)v;
	return 0;
}

int gzc_kargs_parse(int argc, char *const *argv, struct gzc_kargs *ret)
{
	struct gzc_kargs k = { .pidfd = -1 };
	int i = 0;
	int64_t v;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-S") && i + 1 < argc)
			k.store = argv[++i];
		else if (!strcmp(a, "-C") && i + 1 < argc)
			k.config = argv[++i];
		else if (!strcmp(a, "-F"))
			k.pidfd = -1; /* "-F%F" from a kernel without %F (it drops what it does not know) */
		else if (!strncmp(a, "-F", 2) && parse_int(a + 2, 1 << 20, &v) == 0)
			k.pidfd = (int)v;
		else if (!strcmp(a, "--"))
			{ i++; break; }
		else
			return -EINVAL;
	}
	if (argc - i < 10)
		return -EINVAL;
	char *const *p = argv + i;
	if (parse_int(p[0], INT32_MAX, &v) < 0 || v == 0)
		return -EINVAL;
	k.pid = (pid_t)v;
	if (parse_int(p[1], INT32_MAX, &v) < 0 || v == 0)
		return -EINVAL;
	k.tid = (pid_t)v;
	if (parse_int(p[2], UINT32_MAX, &k.uid) < 0 || parse_int(p[3], UINT32_MAX, &k.gid) < 0)
		return -EINVAL;
	if (parse_int(p[4], 127, &v) < 0)
		return -EINVAL;
	k.signal = (int)v;
	if (parse_u64(p[5], &k.time_s) < 0 || parse_u64(p[6], &k.rlimit_core) < 0)
		return -EINVAL;
	if (parse_int(p[7], 2, &v) < 0)
		return -EINVAL;
	k.dump_mode = (int)v;
	if (strlen(p[8]) > GZC_KARGS_HOST_MAX)
		return -EINVAL;
	snprintf(k.hostname, sizeof(k.hostname), "%s", p[8]);
	/* the comm, rejoined if an old kernel split it at spaces */
	size_t len = 0;
	for (int j = 9; j < argc - i; j++) {
		int n = snprintf(k.comm + len, sizeof(k.comm) - len, "%s%s", j > 9 ? " " : "", p[j]);
		if (n < 0 || (size_t)n >= sizeof(k.comm) - len) {
			len = sizeof(k.comm) - 1;
			break;
		}
		len += (size_t)n;
	}
	*ret = k;
	return 0;
}

static bool path_ok(const char *s)
{
	if (!s || s[0] != '/')
		return false;
	for (; *s; s++)
		if (*s == ' ' || *s == '%' || (unsigned char)*s < 0x21 || *s == 0x7f)
			return false;
	return true;
}

int gzc_pattern_build(const char *exe, const char *store, const char *config, bool with_pidfd, char *buf, size_t cap)
{
	char line[4096];
	if (!path_ok(exe) || (store && !path_ok(store)) || (config && !path_ok(config)))
		return -EINVAL;
	int n = snprintf(line, sizeof(line), "|%s " GZC_KERNEL_FLAG "%s%s%s%s%s %%P %%I %%u %%g %%s %%t %%c %%d %%h %%e",
			 exe, store ? " -S " : "", store ? store : "", config ? " -C " : "", config ? config : "",
			 with_pidfd ? " -F%F" : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	if (n > GZC_PATTERN_MAX)
		return -ENAMETOOLONG;
	if ((size_t)n >= cap)
		return -ENOBUFS;
	memcpy(buf, line, (size_t)n + 1);
	return n;
}

bool gzc_pattern_is_ours(const char *pattern)
{
	if (!pattern || pattern[0] != '|')
		return false;
	const char *sp = strchr(pattern, ' ');
	if (!sp)
		return false;
	size_t fl = strlen(GZC_KERNEL_FLAG);
	return strncmp(sp + 1, GZC_KERNEL_FLAG, fl) == 0 && (sp[1 + fl] == ' ' || sp[1 + fl] == 0 || sp[1 + fl] == '\n');
}

bool gzc_kernel_has_pidfd(const char *release)
{
	char *end;
	if (!release || !isdigit((unsigned char)*release))
		return false;
	long major = strtol(release, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return major > 6;
	long minor = strtol(end + 1, NULL, 10);
	return major > 6 || (major == 6 && minor >= 16);
}

/*
 * modules.c — the ELF files a process had mapped, from /proc/<pid>/maps,
 * and their build identities, read through /proc/<pid>/map_files.
 */
#include "modules.h"
#include "elfid.h"
#include "io.h"
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One maps line: "START-END PERMS OFFSET MAJOR:MINOR INODE[ +PATH]". */
struct maps_line {
	uint64_t start, end, offset, dev_major, dev_minor, inode;
	bool exec;
	const char *path; /* NULL: an anonymous mapping; not NUL-terminated */
	size_t path_len;
};

/* Reads 1..max_digits hex (base 16) or decimal (base 10) digits at *p. */
static bool take_number(const char **p, const char *end, int base, int max_digits, uint64_t *ret)
{
	uint64_t v = 0;
	int n = 0;
	for (; *p < end && n < max_digits; (*p)++, n++) {
		char c = **p;
		int d = c >= '0' && c <= '9' ? c - '0'
			: base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
							    : -1;
		if (d < 0)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*ret = v;
	return n > 0 && (*p == end || !((**p >= '0' && **p <= '9') || (base == 16 && **p >= 'a' && **p <= 'f')));
}

static bool take_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* Parses one line (without its '\n'); false if it is not in the format. */
static bool parse_line(const char *p, const char *end, struct maps_line *l)
{
	if (!take_number(&p, end, 16, 16, &l->start) || !take_char(&p, end, '-') ||
	    !take_number(&p, end, 16, 16, &l->end) || !take_char(&p, end, ' ') || end - p < 5 || p[4] != ' ')
		return false;
	l->exec = p[2] == 'x';
	p += 5;
	if (!take_number(&p, end, 16, 16, &l->offset) || !take_char(&p, end, ' ') ||
	    !take_number(&p, end, 16, 8, &l->dev_major) || !take_char(&p, end, ':') ||
	    !take_number(&p, end, 16, 8, &l->dev_minor) || !take_char(&p, end, ' ') ||
	    !take_number(&p, end, 10, 20, &l->inode) || l->start >= l->end)
		return false;
	l->path = NULL;
	l->path_len = 0;
	if (p == end)
		return true;
	if (*p != ' ')
		return false;
	while (p < end && *p == ' ')
		p++;
	if (p < end) {
		l->path = p;
		l->path_len = (size_t)(end - p);
	}
	return true;
}

/* Calls fn for every complete, well-formed line; stops early when fn
 * returns non-zero and returns that. */
static int each_line(const char *maps, size_t len, int (*fn)(const struct maps_line *, void *), void *ctx)
{
	const char *p = maps, *end = maps + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break; /* cut off by a read bound: not a whole line */
		struct maps_line l;
		int r = parse_line(p, nl, &l) ? fn(&l, ctx) : 0;
		if (r)
			return r;
		p = nl + 1;
	}
	return 0;
}

struct file_key {
	uint64_t major, minor, inode;
};

struct collect {
	struct file_key *exec; /* files with an executable mapping */
	size_t nexec, capexec;
	struct gzc_module *mods;
	struct file_key *keys; /* mods[i]'s file */
	size_t n, path_bytes;
};

static bool same_file(const struct file_key *k, const struct maps_line *l)
{
	return k->major == l->dev_major && k->minor == l->dev_minor && k->inode == l->inode;
}

static bool known(const struct file_key *keys, size_t n, const struct maps_line *l)
{
	for (size_t i = 0; i < n; i++)
		if (same_file(&keys[i], l))
			return true;
	return false;
}

static int file_mapping(const struct maps_line *l)
{
	return l->inode != 0 && l->path && l->path[0] == '/';
}

/* Pass 1: the files that were mapped executable (ELF objects; data files
 * such as locale-archive never are). */
static int note_exec(const struct maps_line *l, void *ctx)
{
	struct collect *c = ctx;
	if (!l->exec || !file_mapping(l) || known(c->exec, c->nexec, l))
		return 0;
	if (c->nexec == c->capexec)
		return 1; /* as many files as modules can be listed: enough */
	c->exec[c->nexec++] = (struct file_key){ l->dev_major, l->dev_minor, l->inode };
	return 0;
}

/* Pass 2: of those, each file's first mapping from offset 0. */
static int take_module(const struct maps_line *l, void *ctx)
{
	struct collect *c = ctx;
	if (l->offset != 0 || !file_mapping(l) || !known(c->exec, c->nexec, l) || known(c->keys, c->n, l))
		return 0;
	if (c->path_bytes + l->path_len > GZC_MODULES_PATHS_MAX)
		return 1;
	c->path_bytes += l->path_len;
	struct gzc_module *m = &c->mods[c->n];
	memset(m, 0, sizeof(*m));
	if (!(m->path = strndup(l->path, l->path_len)))
		return -ENOMEM;
	m->start = l->start;
	m->end = l->end;
	m->dev_major = l->dev_major;
	m->dev_minor = l->dev_minor;
	c->keys[c->n++] = (struct file_key){ l->dev_major, l->dev_minor, l->inode };
	return c->n == GZC_MODULES_MAX;
}

int gzc_modules_from_maps(const char *maps, size_t len, struct gzc_module **ret, size_t *ret_n)
{
	struct collect c = { .capexec = GZC_MODULES_MAX };
	int r = -ENOMEM;

	c.exec = calloc(GZC_MODULES_MAX, sizeof(*c.exec));
	c.keys = calloc(GZC_MODULES_MAX, sizeof(*c.keys));
	c.mods = calloc(GZC_MODULES_MAX, sizeof(*c.mods));
	if (!c.exec || !c.keys || !c.mods)
		goto out;
	each_line(maps, len, note_exec, &c);
	r = each_line(maps, len, take_module, &c);
	if (r < 0) {
		gzc_modules_free(c.mods, c.n);
		c.mods = NULL;
		goto out;
	}
	r = 0;
	if (c.n == 0) {
		free(c.mods);
		c.mods = NULL;
	} else {
		struct gzc_module *shrunk = realloc(c.mods, c.n * sizeof(*c.mods));
		if (shrunk)
			c.mods = shrunk;
	}
	*ret = c.mods;
	*ret_n = c.n;
	c.mods = NULL;
out:
	free(c.mods);
	free(c.exec);
	free(c.keys);
	return r;
}

/* File system types whose every operation (even stat or statfs) can block
 * for as long as another process wants (FUSE: its server may be the
 * crashed process itself, stopped until we finish) or a network does. */
static bool may_hang_type(const char *t, size_t len)
{
	static const char *const types[] = { "fuse", "fuseblk", "virtiofs", "nfs", "nfs4", "cifs", "smb3", "smbfs",
					     "ceph", "9p", "afs", "coda", "lustre", "gfs2", "ocfs2", "pvfs2" };
	/* mountinfo gives FUSE's subtype after a dot: fuse.sshfs, fuseblk.ntfs */
	if ((len > 5 && memcmp(t, "fuse.", 5) == 0) || (len > 8 && memcmp(t, "fuseblk.", 8) == 0))
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == len && memcmp(t, types[i], len) == 0)
			return true;
	return false;
}

/* The devices of the process's mounts (its own mountinfo: the process may
 * live in another mount namespace) whose file system may hang.
 * Errors: -ENOMEM, -errno of reading mountinfo. */
static int hang_devs(int procfd, struct file_key **ret, size_t *ret_n)
{
	char *text;
	size_t len, n = 0, cap = 0;
	struct file_key *devs = NULL;
	int r = gzc_proc_read(procfd, "mountinfo", GZC_PROC_READ_MAX, &text, &len);
	if (r < 0)
		return r;
	if (len >= GZC_PROC_READ_MAX) { /* cut: the mounts past the cut are unknown */
		free(text);
		return -E2BIG;
	}
	/* "ID PARENT MAJOR:MINOR ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER" */
	for (char *line = text, *nl; (nl = memchr(line, '\n', (size_t)(text + len - line))); line = nl + 1) {
		*nl = 0;
		char *save = NULL, *f[6], *type = NULL;
		int k = 0;
		for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (k < 6)
				f[k++] = t;
			else if (strcmp(t, "-") == 0) { /* after the optional fields: the type */
				type = strtok_r(NULL, " ", &save);
				break;
			}
		}
		uint64_t major, minor;
		const char *p = k == 6 ? f[2] : "", *end = p + strlen(p);
		if (!type || !take_number(&p, end, 10, 10, &major) || !take_char(&p, end, ':') ||
		    !take_number(&p, end, 10, 10, &minor) || p != end || !may_hang_type(type, strlen(type)))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct file_key *g = ncap <= (1u << 20) ? realloc(devs, ncap * sizeof(*devs)) : NULL;
			if (!g) {
				free(devs);
				free(text);
				return -ENOMEM;
			}
			devs = g;
			cap = ncap;
		}
		devs[n++] = (struct file_key){ major, minor, 0 };
	}
	free(text);
	*ret = devs;
	*ret_n = n;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Sets m->error to a copy of msg (followed by ": " and strerror(err) when err). */
static void set_error(struct gzc_module *m, const char *msg, int err)
{
	char buf[160];
	snprintf(buf, sizeof(buf), err ? "%s: %s" : "%s", msg, err ? strerror(err) : "");
	free(m->error);
	m->error = strdup(buf); /* NULL on ENOMEM: the module shows no identity, no reason */
}

static void identify(int procfd, struct gzc_module *m, size_t *notes_left, int *keep_fd, size_t *kept)
{
	char name[64];
	struct gzc_elfid *id = NULL;

	snprintf(name, sizeof(name), "map_files/%" PRIx64 "-%" PRIx64, m->start, m->end);
	/* the link itself asks the file system nothing */
	int fd = gzc_open_regular(procfd, name);
	if (fd < 0) {
		set_error(m, fd == -EINVAL ? "not a regular file" : "cannot open", fd == -EINVAL ? 0 : -fd);
		return;
	}
	int r = gzc_elfid_read(fd, NULL, &id);
	if (keep_fd && r == 0 && *kept < GZC_MODULES_FDS_MAX) {
		*keep_fd = fd;
		(*kept)++;
	} else {
		close(fd);
	}
	if (r == -ENOEXEC) {
		set_error(m, "not an ELF file", 0);
		return;
	}
	if (r < 0) {
		set_error(m, "unreadable ELF file", -r);
		return;
	}
	size_t pkg_len = id->pkg_json ? strlen(id->pkg_json) : 0;
	bool keep_pkg = pkg_len && pkg_len <= *notes_left;
	if ((id->build_id && !(m->build_id = strdup(id->build_id))) ||
	    (keep_pkg && !(m->package_json = strdup(id->pkg_json))))
		set_error(m, "out of memory", 0);
	else if (pkg_len && !keep_pkg)
		set_error(m, "package note not kept: the modules' notes passed their size limit", 0);
	else if (!id->build_id)
		set_error(m, "no GNU build-id", 0);
	if (keep_pkg)
		*notes_left -= pkg_len;
	gzc_elfid_free(id);
}

static bool listed(const struct file_key *devs, size_t n, uint64_t major, uint64_t minor)
{
	for (size_t k = 0; k < n; k++)
		if (devs[k].major == major && devs[k].minor == minor)
			return true;
	return false;
}

void gzc_modules_identify(int procfd, struct gzc_module *mods, size_t n, unsigned budget_ms, int *fds)
{
	uint64_t deadline = now_ms() + budget_ms;
	struct file_key *hang = NULL;
	size_t nhang = 0;
	size_t notes_left = GZC_MODULES_NOTES_MAX, kept = 0;
	int r = n ? hang_devs(procfd, &hang, &nhang) : 0;
	for (size_t i = 0; i < n; i++) {
		struct gzc_module *m = &mods[i];
		bool hangs = listed(hang, nhang, m->dev_major, m->dev_minor);
		if (r < 0)
			set_error(m, "not read: the process's mounts are unknown", -r);
		else if (hangs)
			set_error(m, "not read: on a FUSE or network file system", 0);
		else if (now_ms() >= deadline)
			set_error(m, "not read: the time for reading modules was spent", 0);
		else
			identify(procfd, m, &notes_left, fds ? &fds[i] : NULL, &kept);
	}
	free(hang);
}

void gzc_modules_free(struct gzc_module *mods, size_t n)
{
	if (!mods)
		return;
	for (size_t i = 0; i < n; i++) {
		free(mods[i].path);
		free(mods[i].build_id);
		free(mods[i].package_json);
		free(mods[i].error);
	}
	free(mods);
}

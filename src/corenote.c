/*
 * corenote.c — comm, exe, psargs, signal and build-id of a foreign ELF core.
 *
 * Design: a hand-written, bounds-checked ELF reader over a read callback.
 * Every offset and size from the file is checked against the total size
 * with overflow-safe arithmetic before it is used, every loop is bounded by
 * a cap in corenote.h, and each note is validated inside its own segment.
 * Only the ELF header and program header table are vital; a bad note or an
 * undumped page just leaves that field empty (and note_err set).
 */
#include "corenote.h"
#include "io.h"
#include "hex.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define EI_NIDENT_ 16
#define ET_CORE_ 4
#define PT_LOAD_ 1
#define PT_NOTE_ 4
#define PN_XNUM_ 0xffff
#define NT_PRSTATUS_ 1
#define NT_PRPSINFO_ 3
#define NT_AUXV_ 6
#define NT_SIGINFO_ 0x53494749
#define NT_FILE_ 0x46494c45
#define NT_GNU_BUILD_ID_ 3
#define AT_NULL_ 0
#define AT_PHDR_ 3
#define EHDR64_SIZE 64
#define EHDR32_SIZE 52
#define PHDR64_SIZE 56
#define PHDR32_SIZE 32
#define SHDR64_SIZE 64
#define SHDR32_SIZE 40
#define PRSTATUS_CURSIG_OFF 12 /* after struct elf_siginfo {int signo, code, errno} */
#define SIGNAL_MAX 127
#define PRSTATUS_PID_OFF64 32 /* siginfo(12) cursig(2) pad(2) sigpend(8) sighold(8) */
#define PRSTATUS_PID_OFF32 24 /* siginfo(12) cursig(2) pad(2) sigpend(4) sighold(4) */
#define PID_MAX_LIMIT_ 4194304

struct seg {
	uint32_t type;
	uint64_t off, vaddr, filesz, memsz, align;
};

struct core {
	gzc_core_read_fn read;
	void *rctx;
	uint64_t size;
	bool is64, be;
	struct seg *segs;
	size_t nsegs;
	unsigned char *nt_file, *auxv; /* copies of the first such notes */
	size_t nt_file_len, auxv_len;
	int prstatus_sig, siginfo_sig;
	bool have_prstatus, have_siginfo, have_prpsinfo;
};

static bool in_file(const struct core *c, uint64_t off, uint64_t len)
{
	return off <= c->size && len <= c->size - off;
}

/* Reads exactly len bytes at off, which the caller checked with in_file(). */
static int rd(struct core *c, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		int n = c->read(c->rctx, off + done, (char *)buf + done, len - done);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return n;
		if (n == 0)
			return -EBADMSG; /* shorter than the size we were told */
		if ((size_t)n > len - done)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

static void problem(struct gzc_coreinfo *info, int err)
{
	if (info->note_err == 0 || err == -EBADMSG)
		info->note_err = err;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

struct note {
	uint32_t type;
	const char *name;
	uint32_t namesz;
	const unsigned char *desc;
	uint32_t descsz;
};

/* Iterates notes in buf: returns 1 with *n filled and *pos advanced, 0 at a
 * clean end (only zero padding left), -EBADMSG if a note does not fit. */
static int next_note(const unsigned char *buf, size_t len, size_t *pos, bool be, uint64_t align, struct note *n)
{
	uint64_t p = *pos, name_off, desc_off, end;

	if (len - p < 12) {
		for (; p < len; p++)
			if (buf[p])
				return -EBADMSG;
		return 0;
	}
	n->namesz = (uint32_t)gzc_get_uint(buf + p, 4, be);
	n->descsz = (uint32_t)gzc_get_uint(buf + p + 4, 4, be);
	n->type = (uint32_t)gzc_get_uint(buf + p + 8, 4, be);
	if (n->namesz == 0 && n->descsz == 0 && n->type == 0) {
		for (; p < len; p++) /* trailing zeroes: padding */
			if (buf[p])
				return -EBADMSG;
		return 0;
	}
	name_off = p + 12;
	/* aligned as offsets from the note's start (gelf_getnote, the kernel's
	 * ELF_NOTE_DESC_OFFSET): with 8, "GNU\0"'s desc is at 16, not 20;
	 * all < 2^34: no overflow */
	desc_off = align_up(name_off + n->namesz, align);
	end = align_up(desc_off + n->descsz, align);
	if (desc_off > len || n->descsz > len - desc_off)
		return -EBADMSG;
	n->name = (const char *)buf + name_off;
	n->desc = buf + desc_off;
	*pos = end > len ? len : (size_t)end; /* last note's padding may be missing */
	return 1;
}

static bool owner_is(const struct note *n, const char *owner)
{
	size_t l = strlen(owner) + 1;
	return n->namesz == l && memcmp(n->name, owner, l) == 0;
}

static int valid_signal(uint64_t s)
{
	return s >= 1 && s <= SIGNAL_MAX ? (int)s : 0;
}

/* Appends a 64-bit NT_PRSTATUS's thread: pr_pid and pr_reg (the words
 * between GZC_CORE_PRSTATUS_REG_OFF64 and pr_fpvalid, the int padded to 8
 * that ends the struct). Errors: -ENOMEM. */
static int take_thread(struct gzc_coreinfo *info, const struct note *n, bool be)
{
	struct gzc_core_thread *t;

	if (info->nthreads >= GZC_CORE_THREADS_MAX) {
		problem(info, -E2BIG);
		return 0;
	}
	if (info->nthreads % 16 == 0) {
		t = realloc(info->threads, (info->nthreads + 16) * sizeof(*t));
		if (!t)
			return -ENOMEM;
		info->threads = t;
	}
	t = &info->threads[info->nthreads++];
	memset(t, 0, sizeof(*t));
	if (n->descsz >= PRSTATUS_PID_OFF64 + 4) {
		uint64_t pid = gzc_get_uint(n->desc + PRSTATUS_PID_OFF64, 4, be);
		t->tid = pid > 0 && pid <= PID_MAX_LIMIT_ ? (int)pid : 0;
	}
	if (n->descsz >= GZC_CORE_PRSTATUS_REG_OFF64 + 8 + 8) {
		size_t words = (n->descsz - GZC_CORE_PRSTATUS_REG_OFF64 - 8) / 8;
		t->nregs = words > GZC_CORE_REGS_MAX ? GZC_CORE_REGS_MAX : (unsigned)words;
		for (unsigned i = 0; i < t->nregs; i++)
			t->regs[i] = gzc_get_uint(n->desc + GZC_CORE_PRSTATUS_REG_OFF64 + 8 * i, 8, be);
	}
	return 0;
}

static int take_note(struct core *c, struct gzc_coreinfo *info, const struct note *n)
{
	int r;

	if (!owner_is(n, "CORE"))
		return 0;
	switch (n->type) {
	case NT_PRSTATUS_:
		if (c->is64 && (r = take_thread(info, n, c->be)) < 0)
			return r;
		if (c->have_prstatus)
			break;
		c->have_prstatus = true;
		if (n->descsz >= PRSTATUS_CURSIG_OFF + 2)
			c->prstatus_sig = valid_signal(gzc_get_uint(n->desc + PRSTATUS_CURSIG_OFF, 2, c->be));
		else
			problem(info, -EBADMSG);
		/* pr_pid follows pr_cursig (padded) and two unsigned longs */
		size_t pid_off = c->is64 ? PRSTATUS_PID_OFF64 : PRSTATUS_PID_OFF32;
		if (n->descsz >= pid_off + 4) {
			uint64_t pid = gzc_get_uint(n->desc + pid_off, 4, c->be);
			info->pid = pid > 0 && pid <= PID_MAX_LIMIT_ ? (int)pid : 0;
		}
		break;
	case NT_SIGINFO_:
		if (c->have_siginfo)
			break;
		c->have_siginfo = true;
		if (n->descsz >= 4)
			c->siginfo_sig = valid_signal(gzc_get_uint(n->desc, 4, c->be));
		else
			problem(info, -EBADMSG);
		break;
	case NT_PRPSINFO_: {
		const unsigned char *tail;
		if (c->have_prpsinfo)
			break;
		c->have_prpsinfo = true;
		if (n->descsz < GZC_CORE_PRPSINFO_MIN || n->descsz > GZC_CORE_PRPSINFO_MAX) {
			problem(info, -EBADMSG);
			break;
		}
		if (c->is64 && n->descsz == 136) {
			info->uid = (int64_t)gzc_get_uint(n->desc + 16, 4, c->be);
			info->gid = (int64_t)gzc_get_uint(n->desc + 20, 4, c->be);
		}
		tail = n->desc + n->descsz - GZC_CORE_COMM_LEN - GZC_CORE_PSARGS_LEN;
		memcpy(info->comm, tail, GZC_CORE_COMM_LEN);
		info->comm[strnlen(info->comm, GZC_CORE_COMM_LEN)] = '\0';
		tail += GZC_CORE_COMM_LEN;
		info->psargs = strndup((const char *)tail, GZC_CORE_PSARGS_LEN);
		if (!info->psargs)
			return -ENOMEM;
		break;
	}
	case NT_FILE_:
	case NT_AUXV_: {
		unsigned char **dst = n->type == NT_FILE_ ? &c->nt_file : &c->auxv;
		size_t *dlen = n->type == NT_FILE_ ? &c->nt_file_len : &c->auxv_len;
		if (*dst)
			break;
		*dst = malloc(n->descsz ? n->descsz : 1);
		if (!*dst)
			return -ENOMEM;
		memcpy(*dst, n->desc, n->descsz);
		*dlen = n->descsz;
		break;
	}
	}
	return 0;
}

static int scan_note_segment(struct core *c, struct gzc_coreinfo *info, const struct seg *s, uint64_t *budget)
{
	unsigned char *buf;
	size_t pos = 0;
	struct note n;
	int r;

	if (!in_file(c, s->off, s->filesz)) {
		problem(info, -EBADMSG);
		return 0;
	}
	if (s->filesz > *budget) {
		problem(info, -E2BIG);
		return 0;
	}
	*budget -= s->filesz;
	if (s->filesz == 0)
		return 0;
	buf = malloc(s->filesz);
	if (!buf)
		return -ENOMEM;
	r = rd(c, s->off, buf, s->filesz);
	if (r < 0)
		goto out;
	while ((r = next_note(buf, s->filesz, &pos, c->be, s->align == 8 ? 8 : 4, &n)) > 0)
		if ((r = take_note(c, info, &n)) < 0)
			goto out;
	if (r < 0)
		problem(info, r);
	r = 0;
out:
	free(buf);
	return r;
}

/* Finds the file-backed bytes of [va, va+len) in the core: its file offset. */
static bool vaddr_to_off(const struct core *c, uint64_t va, uint64_t len, uint64_t *off)
{
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct seg *s = &c->segs[i];
		if (s->type != PT_LOAD_ || va < s->vaddr)
			continue;
		uint64_t rel = va - s->vaddr;
		if (rel > s->filesz || len > s->filesz - rel || !in_file(c, s->off, s->filesz))
			continue;
		*off = s->off + rel;
		return true;
	}
	return false;
}

/* Reads [va, va+len) of the dumped memory. 1 = read, 0 = not dumped, < 0 error. */
static int read_mem(struct core *c, uint64_t va, void *buf, size_t len)
{
	uint64_t off;
	int r;

	if (!vaddr_to_off(c, va, len, &off))
		return 0;
	r = rd(c, off, buf, len);
	return r < 0 ? r : 1;
}

struct nt_file {
	uint64_t count, page_size;
	const unsigned char *entries;
	const char **names;
};

/* Validates NT_FILE strictly. Returns 0, -EBADMSG or -ENOMEM. */
static int parse_nt_file(const struct core *c, struct nt_file *f)
{
	int w = c->is64 ? 8 : 4;
	size_t len = c->nt_file_len, pos;
	const unsigned char *d = c->nt_file;

	if (len < 2u * w)
		return -EBADMSG;
	f->count = gzc_get_uint(d, w, c->be);
	f->page_size = gzc_get_uint(d + w, w, c->be);
	if (f->count == 0 || f->count > (len - 2u * w) / (3u * w))
		return -EBADMSG;
	if (f->page_size == 0 || (f->page_size & (f->page_size - 1)))
		return -EBADMSG;
	f->entries = d + 2 * w;
	f->names = calloc(f->count, sizeof(*f->names));
	if (!f->names)
		return -ENOMEM;
	pos = 2u * w + 3u * w * f->count;
	for (uint64_t i = 0; i < f->count; i++) {
		const unsigned char *e = f->entries + 3 * w * i;
		const char *s = (const char *)d + pos;
		size_t l = strnlen(s, len - pos);
		if (l == len - pos || l == 0 || l > GZC_CORE_PATH_MAX || gzc_get_uint(e, w, c->be) >= gzc_get_uint(e + w, w, c->be))
			goto bad;
		f->names[i] = s;
		pos += l + 1;
	}
	return 0;
bad:
	free(f->names);
	f->names = NULL;
	return -EBADMSG;
}

static uint64_t nt_start(const struct core *c, const struct nt_file *f, uint64_t i, int field)
{
	int w = c->is64 ? 8 : 4;
	return gzc_get_uint(f->entries + 3 * w * i + w * field, w, c->be);
}

/* AT_PHDR from NT_AUXV, or 0. */
static uint64_t auxv_phdr(const struct core *c)
{
	int w = c->is64 ? 8 : 4;
	for (size_t p = 0; c->auxv && p + 2u * w <= c->auxv_len; p += 2u * w) {
		uint64_t type = gzc_get_uint(c->auxv + p, w, c->be);
		if (type == AT_NULL_)
			break;
		if (type == AT_PHDR_)
			return gzc_get_uint(c->auxv + p + w, w, c->be);
	}
	return 0;
}


/* Reads dumped memory: 1 read, 0 not dumped, < 0 error (read_mem's contract). */
typedef int (*mem_fn)(void *ctx, uint64_t va, void *buf, size_t len);

/* The build-id of the ELF image whose file offset 0 is mapped at base, into
 * *ret (left NULL when the image or its note was not dumped or is not
 * ELF). Returns 0 (found or not) or a negative errno from reading. */
static int image_build_id(mem_fn mem, void *c, uint64_t base, uint64_t page_size, char **ret)
{
	unsigned char eh[EHDR64_SIZE], *ph = NULL, *notes = NULL;
	bool is64, be;
	uint64_t phoff, phentsz, phnum, bias = 0;
	bool have_bias = false;
	int r;

	if ((r = mem(c, base, eh, EHDR32_SIZE)) <= 0)
		return r;
	if (memcmp(eh, "\x7f" "ELF", 4) != 0 || (eh[4] != 1 && eh[4] != 2) || (eh[5] != 1 && eh[5] != 2))
		return 0;
	is64 = eh[4] == 2;
	be = eh[5] == 2;
	if (is64 && (r = mem(c, base, eh, EHDR64_SIZE)) <= 0)
		return r;
	phoff = is64 ? gzc_get_uint(eh + 32, 8, be) : gzc_get_uint(eh + 28, 4, be);
	phentsz = gzc_get_uint(eh + (is64 ? 54 : 42), 2, be);
	phnum = gzc_get_uint(eh + (is64 ? 56 : 44), 2, be);
	if (phentsz != (is64 ? PHDR64_SIZE : PHDR32_SIZE) || phnum == 0 || phnum > GZC_CORE_EXE_PHNUM_MAX ||
	    phoff > UINT64_MAX - base)
		return 0;
	ph = malloc(phnum * phentsz);
	if (!ph)
		return -ENOMEM;
	if ((r = mem(c, base + phoff, ph, phnum * phentsz)) <= 0)
		goto out;
	/* Load bias from the first PT_LOAD: it maps file offset 0's page at base. */
	for (uint64_t i = 0; i < phnum && !have_bias; i++) {
		const unsigned char *p = ph + i * phentsz;
		uint64_t off = is64 ? gzc_get_uint(p + 8, 8, be) : gzc_get_uint(p + 4, 4, be);
		uint64_t va = is64 ? gzc_get_uint(p + 16, 8, be) : gzc_get_uint(p + 8, 4, be);
		if (gzc_get_uint(p, 4, be) != PT_LOAD_)
			continue;
		if (off >= page_size || va < off)
			goto done;
		bias = base - (va - off);
		have_bias = true;
	}
	for (uint64_t i = 0; i < phnum && have_bias && !*ret; i++) {
		const unsigned char *p = ph + i * phentsz;
		uint64_t va = is64 ? gzc_get_uint(p + 16, 8, be) : gzc_get_uint(p + 8, 4, be);
		uint64_t sz = is64 ? gzc_get_uint(p + 32, 8, be) : gzc_get_uint(p + 16, 4, be);
		uint64_t al = is64 ? gzc_get_uint(p + 48, 8, be) : gzc_get_uint(p + 28, 4, be);
		size_t pos = 0;
		struct note n;

		if (gzc_get_uint(p, 4, be) != PT_NOTE_ || sz == 0 || sz > GZC_CORE_EXE_NOTES_MAX || va > UINT64_MAX - bias)
			continue;
		free(notes);
		notes = malloc(sz);
		if (!notes) {
			r = -ENOMEM;
			goto out;
		}
		if ((r = mem(c, bias + va, notes, sz)) < 0)
			goto out;
		if (r == 0)
			continue;
		while (next_note(notes, sz, &pos, be, al == 8 ? 8 : 4, &n) > 0) {
			if (!owner_is(&n, "GNU") || n.type != NT_GNU_BUILD_ID_)
				continue;
			if (n.descsz == 0 || n.descsz > GZC_CORE_BUILD_ID_MAX)
				break;
			if (!(*ret = gzc_hex_dup(n.desc, n.descsz))) {
				r = -ENOMEM;
				goto out;
			}
			break;
		}
	}
done:
	r = 0;
out:
	free(notes);
	free(ph);
	return r;
}

static int core_mem(void *c, uint64_t va, void *buf, size_t len)
{
	return read_mem(c, va, buf, len);
}

struct info_mem {
	const struct gzc_coreinfo *info;
	gzc_core_read_fn read;
	void *ctx;
};

static int info_mem(void *p, uint64_t va, void *buf, size_t len)
{
	struct info_mem *m = p;
	return gzc_core_read_mem(m->info, m->read, m->ctx, va, buf, len);
}

int gzc_core_image_build_id(const struct gzc_coreinfo *info, gzc_core_read_fn read, void *ctx, uint64_t start,
			    char **ret)
{
	struct info_mem m = { info, read, ctx };
	*ret = NULL;
	return image_build_id(info_mem, &m, start, info->page_size ? info->page_size : 4096, ret);
}

/* Lists every file NT_FILE maps from offset 0 (the lowest such mapping of
 * each path), at most GZC_CORE_FILES_MAX. */
static int list_files(const struct core *c, struct gzc_coreinfo *info, const struct nt_file *f)
{
	for (uint64_t i = 0; i < f->count && info->nfiles < GZC_CORE_FILES_MAX; i++) {
		if (nt_start(c, f, i, 2) != 0)
			continue;
		bool seen = false;
		for (size_t k = 0; k < info->nfiles && !seen; k++)
			seen = strcmp(info->files[k].path, f->names[i]) == 0;
		if (seen)
			continue;
		if (!info->files && !(info->files = calloc(f->count < GZC_CORE_FILES_MAX ? f->count : GZC_CORE_FILES_MAX,
							  sizeof(*info->files))))
			return -ENOMEM;
		char *path = strdup(f->names[i]);
		if (!path)
			return -ENOMEM;
		info->files[info->nfiles++] = (struct gzc_core_file){ nt_start(c, f, i, 0), path };
	}
	return 0;
}

/* Picks the exe from NT_FILE (+ AT_PHDR) and looks for its build-id. */
static int find_exe(struct core *c, struct gzc_coreinfo *info)
{
	struct nt_file f = { 0 };
	uint64_t phdr, pick = 0, base = 0;
	bool have_base = false;
	int r;

	if (!c->nt_file)
		return 0;
	r = parse_nt_file(c, &f);
	if (r == -EBADMSG) {
		problem(info, r);
		return 0;
	}
	if (r < 0)
		return r;
	phdr = auxv_phdr(c);
	for (uint64_t i = 0; phdr && i < f.count; i++)
		if (nt_start(c, &f, i, 0) <= phdr && phdr < nt_start(c, &f, i, 1)) {
			pick = i;
			break;
		}
	/* The lowest mapping of that file at file offset 0 holds its ELF header. */
	for (uint64_t i = 0; i < f.count; i++)
		if (strcmp(f.names[i], f.names[pick]) == 0 && nt_start(c, &f, i, 2) == 0) {
			base = nt_start(c, &f, i, 0);
			have_base = true;
			break;
		}
	info->exe = strdup(f.names[pick]);
	info->page_size = f.page_size;
	if (!info->exe || list_files(c, info, &f) < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = have_base ? image_build_id(core_mem, c, base, f.page_size, &info->build_id) : 0;
out:
	free(f.names);
	return r;
}

/* Reads the ELF header and the program header table into c. */
static int read_headers(struct core *c, struct gzc_coreinfo *info)
{
	unsigned char eh[EHDR64_SIZE], *tab = NULL;
	uint64_t phoff, shoff, phentsz, phnum, shentsz;
	int r;

	if (c->size < EI_NIDENT_)
		return c->size >= 4 ? -EBADMSG : -ENOEXEC;
	if ((r = rd(c, 0, eh, EI_NIDENT_)) < 0)
		return r;
	if (memcmp(eh, "\x7f" "ELF", 4) != 0)
		return -ENOEXEC;
	if ((eh[4] != 1 && eh[4] != 2) || (eh[5] != 1 && eh[5] != 2) || eh[6] != 1)
		return -EBADMSG;
	c->is64 = eh[4] == 2;
	c->be = eh[5] == 2;
	if (!in_file(c, 0, c->is64 ? EHDR64_SIZE : EHDR32_SIZE))
		return -EBADMSG;
	if ((r = rd(c, 0, eh, c->is64 ? EHDR64_SIZE : EHDR32_SIZE)) < 0)
		return r;
	if (gzc_get_uint(eh + 16, 2, c->be) != ET_CORE_)
		return -ENOEXEC;
	info->is64 = c->is64;
	info->big_endian = c->be;
	info->machine = (uint16_t)gzc_get_uint(eh + 18, 2, c->be);
	phoff = c->is64 ? gzc_get_uint(eh + 32, 8, c->be) : gzc_get_uint(eh + 28, 4, c->be);
	shoff = c->is64 ? gzc_get_uint(eh + 40, 8, c->be) : gzc_get_uint(eh + 32, 4, c->be);
	phentsz = gzc_get_uint(eh + (c->is64 ? 54 : 42), 2, c->be);
	phnum = gzc_get_uint(eh + (c->is64 ? 56 : 44), 2, c->be);
	shentsz = gzc_get_uint(eh + (c->is64 ? 58 : 46), 2, c->be);

	if (phnum == PN_XNUM_) { /* the real count is in section header 0's sh_info */
		unsigned char sh[SHDR64_SIZE];
		size_t shsz = c->is64 ? SHDR64_SIZE : SHDR32_SIZE;
		if (shentsz != shsz || !in_file(c, shoff, shsz))
			return -EBADMSG;
		if ((r = rd(c, shoff, sh, shsz)) < 0)
			return r;
		phnum = gzc_get_uint(sh + (c->is64 ? 44 : 28), 4, c->be);
	}
	if (phnum > GZC_CORE_PHNUM_MAX)
		return -E2BIG;
	if (phnum == 0)
		return 0;
	if (phentsz != (c->is64 ? PHDR64_SIZE : PHDR32_SIZE) || !in_file(c, phoff, phnum * phentsz))
		return -EBADMSG;
	tab = malloc(phnum * phentsz);
	c->segs = calloc(phnum, sizeof(*c->segs));
	if (!tab || !c->segs) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = rd(c, phoff, tab, phnum * phentsz)) < 0)
		goto out;
	for (uint64_t i = 0; i < phnum; i++) {
		const unsigned char *p = tab + i * phentsz;
		struct seg *s = &c->segs[i];
		s->type = (uint32_t)gzc_get_uint(p, 4, c->be);
		if (c->is64) {
			s->off = gzc_get_uint(p + 8, 8, c->be);
			s->vaddr = gzc_get_uint(p + 16, 8, c->be);
			s->filesz = gzc_get_uint(p + 32, 8, c->be);
			s->memsz = gzc_get_uint(p + 40, 8, c->be);
			s->align = gzc_get_uint(p + 48, 8, c->be);
		} else {
			s->off = gzc_get_uint(p + 4, 4, c->be);
			s->vaddr = gzc_get_uint(p + 8, 4, c->be);
			s->filesz = gzc_get_uint(p + 16, 4, c->be);
			s->memsz = gzc_get_uint(p + 20, 4, c->be);
			s->align = gzc_get_uint(p + 28, 4, c->be);
		}
	}
	c->nsegs = phnum;
	r = 0;
out:
	free(tab);
	return r;
}

static int by_vaddr(const void *a, const void *b)
{
	const struct gzc_core_load *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* Copies the PT_LOAD segments with file bytes inside the core into info,
 * in address order (the kernel's already), for gzc_core_read_mem()'s
 * binary search. */
static int keep_loads(const struct core *c, struct gzc_coreinfo *info)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nsegs; i++)
		n += c->segs[i].type == PT_LOAD_ && c->segs[i].filesz && in_file(c, c->segs[i].off, c->segs[i].filesz);
	if (!n)
		return 0;
	if (!(info->loads = calloc(n, sizeof(*info->loads))))
		return -ENOMEM;
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct seg *s = &c->segs[i];
		if (s->type == PT_LOAD_ && s->filesz && in_file(c, s->off, s->filesz))
			info->loads[info->nloads++] = (struct gzc_core_load){ s->vaddr, s->off, s->filesz };
	}
	for (size_t i = 1; i < info->nloads; i++)
		if (info->loads[i - 1].vaddr > info->loads[i].vaddr) {
			qsort(info->loads, info->nloads, sizeof(*info->loads), by_vaddr);
			break;
		}
	return 0;
}

int gzc_core_read_mem(const struct gzc_coreinfo *info, gzc_core_read_fn read, void *ctx, uint64_t vaddr, void *buf,
		      size_t len)
{
	/* the last segment starting at or below vaddr (overlapping segments of
	 * a forged core: only that one is tried) */
	size_t lo = 0, hi = info->nloads;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (info->loads[mid].vaddr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		const struct gzc_core_load *l = &info->loads[lo - 1];
		if (vaddr - l->vaddr > l->filesz || len > l->filesz - (vaddr - l->vaddr))
			return 0;
		/* the offset and size were checked against the core's size */
		struct core c = { .read = read, .rctx = ctx, .size = UINT64_MAX };
		int r = rd(&c, l->off + (vaddr - l->vaddr), buf, len);
		return r < 0 ? r : 1;
	}
	return 0;
}

int gzc_corenote_read(gzc_core_read_fn read, void *ctx, uint64_t size, struct gzc_coreinfo **ret)
{
	struct core c = { .read = read, .rctx = ctx, .size = size };
	struct gzc_coreinfo *info;
	uint64_t budget = GZC_CORE_NOTES_MAX;
	int r;

	if (!read || !ret)
		return -EINVAL;
	info = calloc(1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	info->uid = info->gid = -1;
	if ((r = read_headers(&c, info)) < 0)
		goto fail;
	for (size_t i = 0; i < c.nsegs; i++)
		if (c.segs[i].type == PT_NOTE_ && (r = scan_note_segment(&c, info, &c.segs[i], &budget)) < 0)
			goto fail;
	info->signal = c.have_prstatus && c.prstatus_sig ? c.prstatus_sig : c.siginfo_sig;
	if ((r = keep_loads(&c, info)) < 0)
		goto fail;
	if ((r = find_exe(&c, info)) < 0)
		goto fail;
	*ret = info;
	info = NULL;
	r = 0;
fail:
	gzc_coreinfo_free(info);
	free(c.segs);
	free(c.nt_file);
	free(c.auxv);
	return r;
}

/* Where the header tables end, from the ELF header alone (and section
 * header 0 for PN_XNUM's count when it is in the file): a least end for the
 * core. The kernel writes PN_XNUM's section header last, after all the
 * data, so for such a core its end is the core's end. */
static int tables_end(struct core *c, uint64_t *ret_end)
{
	unsigned char eh[EHDR64_SIZE], sh[SHDR64_SIZE];

	if (!in_file(c, 0, EI_NIDENT_) || rd(c, 0, eh, EI_NIDENT_) < 0 || memcmp(eh, "\x7f" "ELF", 4) != 0 ||
	    (eh[4] != 1 && eh[4] != 2) || (eh[5] != 1 && eh[5] != 2))
		return -EBADMSG;
	c->is64 = eh[4] == 2;
	c->be = eh[5] == 2;
	size_t ehsz = c->is64 ? EHDR64_SIZE : EHDR32_SIZE, shsz = c->is64 ? SHDR64_SIZE : SHDR32_SIZE;
	if (!in_file(c, 0, ehsz) || rd(c, 0, eh, ehsz) < 0)
		return -EBADMSG;
	uint64_t phoff = c->is64 ? gzc_get_uint(eh + 32, 8, c->be) : gzc_get_uint(eh + 28, 4, c->be);
	uint64_t shoff = c->is64 ? gzc_get_uint(eh + 40, 8, c->be) : gzc_get_uint(eh + 32, 4, c->be);
	uint64_t phnum = gzc_get_uint(eh + (c->is64 ? 56 : 44), 2, c->be);
	uint64_t phsz = c->is64 ? PHDR64_SIZE : PHDR32_SIZE, end = ehsz;

	if (phnum == PN_XNUM_) {
		if (shoff > UINT64_MAX - shsz)
			return -EBADMSG;
		end = shoff + shsz > end ? shoff + shsz : end;
		phnum = in_file(c, shoff, shsz) && rd(c, shoff, sh, shsz) == 0 ? gzc_get_uint(sh + (c->is64 ? 44 : 28), 4, c->be) : 0;
	}
	if (phoff > UINT64_MAX - phnum * phsz)
		return -EBADMSG;
	if (phoff + phnum * phsz > end)
		end = phoff + phnum * phsz;
	*ret_end = end;
	return 0;
}

int gzc_core_extent(gzc_core_read_fn read, void *ctx, uint64_t size, uint64_t *ret_end)
{
	struct core c = { .read = read, .rctx = ctx, .size = size };
	struct gzc_coreinfo info = { 0 };
	unsigned char eh[EHDR64_SIZE];
	uint64_t least;
	int r;

	if (!read || !ret_end)
		return -EINVAL;
	r = read_headers(&c, &info);
	if (r == -EBADMSG && tables_end(&c, &least) == 0 && least > size) {
		*ret_end = least; /* plausible headers whose tables lie past the head */
		r = -ENODATA;
	}
	if (r < 0)
		goto out;
	rd(&c, 0, eh, c.is64 ? EHDR64_SIZE : EHDR32_SIZE);
	uint64_t phoff = c.is64 ? gzc_get_uint(eh + 32, 8, c.be) : gzc_get_uint(eh + 28, 4, c.be);
	uint64_t end = (c.is64 ? EHDR64_SIZE : EHDR32_SIZE);
	if (c.nsegs && phoff + c.nsegs * (c.is64 ? PHDR64_SIZE : PHDR32_SIZE) > end)
		end = phoff + c.nsegs * (c.is64 ? PHDR64_SIZE : PHDR32_SIZE);
	for (size_t i = 0; i < c.nsegs; i++) {
		const struct seg *sg = &c.segs[i];
		if (sg->off > UINT64_MAX - sg->filesz) {
			r = -EBADMSG;
			goto out;
		}
		if (sg->filesz && sg->off + sg->filesz > end)
			end = sg->off + sg->filesz;
	}
	*ret_end = end;
	r = 0;
out:
	free(c.segs);
	return r;
}

struct mem_src {
	const unsigned char *p;
	size_t len;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem_src *m = ctx;
	if (off >= m->len)
		return 0;
	size_t n = m->len - off < len ? (size_t)(m->len - off) : len;
	memcpy(buf, m->p + off, n);
	return (int)n;
}

int gzc_core_extent_mem(const void *head, size_t len, uint64_t *ret_end)
{
	struct mem_src m = { head, len };
	if (len > INT_MAX)
		return -EINVAL;
	return gzc_core_extent(mem_read, &m, len, ret_end);
}

int gzc_corenote_read_mem(const void *core, size_t len, struct gzc_coreinfo **ret)
{
	struct mem_src m = { core, len };
	return gzc_corenote_read(mem_read, &m, len, ret);
}

void gzc_coreinfo_free(struct gzc_coreinfo *info)
{
	if (!info)
		return;
	free(info->exe);
	free(info->psargs);
	free(info->build_id);
	free(info->threads);
	free(info->loads);
	for (size_t i = 0; i < info->nfiles; i++)
		free(info->files[i].path);
	free(info->files);
	free(info);
}

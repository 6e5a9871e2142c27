/*
 * Unit tests for src/corenote.c: a real core made by gcore of a sleeping
 * child, hand-crafted cores of every class and byte order, corrupt and
 * truncated cores, and a mutation fuzz loop that must never crash.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corenote.h"
#include "gcore_facility.h"

/* ---- read callbacks ---- */

struct mem {
	const unsigned char *buf;
	size_t len;
	size_t chunk; /* 0: as much as asked; else at most this per call */
	int fail_after; /* >0: fail with -EIO on that call */
	int calls;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *m = ctx;
	if (m->fail_after && ++m->calls >= m->fail_after)
		return -EIO;
	if (off >= m->len)
		return 0;
	size_t n = m->len - off < len ? m->len - off : len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->buf + off, n);
	return (int)n;
}

/* the whole core in memory: gzc_corenote_read_mem */
static int parse(const void *buf, size_t len, struct gzc_coreinfo **ret) { return gzc_corenote_read_mem(buf, len, ret); }

/* ---- a core builder for any class and byte order ---- */

struct out {
	unsigned char b[16384];
	size_t n;
	bool be;
};

static void put(struct out *o, uint64_t v, int size)
{
	cr_assert_leq(o->n + (size_t)size, sizeof(o->b));
	for (int i = 0; i < size; i++)
		o->b[o->n++] = (unsigned char)(v >> (o->be ? 8 * (size - 1 - i) : 8 * i));
}

static void put_raw(struct out *o, const void *p, size_t n)
{
	cr_assert_leq(o->n + n, sizeof(o->b));
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void pad4(struct out *o)
{
	while (o->n % 4)
		o->b[o->n++] = 0;
}

static void put_note(struct out *o, const char *owner, uint32_t type, const void *desc, uint32_t dlen)
{
	put(o, strlen(owner) + 1, 4);
	put(o, dlen, 4);
	put(o, type, 4);
	put_raw(o, owner, strlen(owner) + 1);
	pad4(o);
	put_raw(o, desc, dlen);
	pad4(o);
}

/* ELF header; type 4 = ET_CORE, 3 = ET_DYN */
static void put_ehdr(struct out *o, bool is64, int type, uint64_t phoff, uint64_t phnum, uint64_t shoff,
		     uint64_t shnum)
{
	int w = is64 ? 8 : 4;
	put_raw(o, "\x7f" "ELF", 4);
	put(o, is64 ? 2 : 1, 1);
	put(o, o->be ? 2 : 1, 1);
	put(o, 1, 1);
	put_raw(o, "\0\0\0\0\0\0\0\0\0", 9);
	put(o, (uint64_t)type, 2);
	put(o, is64 ? 62 : 3, 2);
	put(o, 1, 4);
	put(o, 0, w);
	put(o, phoff, w);
	put(o, shoff, w);
	put(o, 0, 4);
	put(o, is64 ? 64 : 52, 2);
	put(o, is64 ? 56 : 32, 2);
	put(o, phnum, 2);
	put(o, is64 ? 64 : 40, 2);
	put(o, shnum, 2);
	put(o, 0, 2);
}

static void put_phdr(struct out *o, bool is64, uint32_t type, uint64_t off, uint64_t va, uint64_t filesz,
		     uint64_t memsz)
{
	put(o, type, 4);
	if (is64) {
		put(o, 4, 4);
		put(o, off, 8);
		put(o, va, 8);
		put(o, 0, 8);
		put(o, filesz, 8);
		put(o, memsz, 8);
		put(o, 4, 8);
	} else {
		put(o, off, 4);
		put(o, va, 4);
		put(o, 0, 4);
		put(o, filesz, 4);
		put(o, memsz, 4);
		put(o, 4, 4);
		put(o, 4, 4);
	}
}

struct cfg {
	bool is64, be;
	int prstatus_sig, siginfo_sig;
	bool auxv, dump_exe, xnum, no_prpsinfo, no_siginfo;
	bool set_count;
	uint64_t nt_count; /* with set_count: the count NT_FILE claims */
	uint64_t page_size;
	const struct out *extra; /* more notes after all the others (NULL: none) */
};

#define BASE 0x7f0000u
#define LIBBASE 0x20000u
#define EXE "/opt/app/bin/app"
#define LIB "/usr/lib/libfoo.so"

/* The exe's first page as dumped: ELF header, 2 phdrs, a build-id note. */
static void exe_page(struct out *o, bool is64)
{
	size_t e = is64 ? 64 : 52, p = is64 ? 56 : 32, note_off = e + 2 * p;
	put_ehdr(o, is64, 3, e, 2, 0, 0);
	put_phdr(o, is64, 1, 0, 0, 0x1000, 0x1000);			 /* PT_LOAD, ET_DYN style */
	put_phdr(o, is64, 4, note_off, note_off, 16 + 8, 16 + 8); /* PT_NOTE */
	put_note(o, "GNU", 3, "\xde\xad\xbe\xef\x01\x02\x03\x04", 8);
	while (o->n < 4096 && o->n % 4096)
		o->b[o->n++] = 0;
}

/* NT_AUXV: AT_PAGESZ, AT_PHDR = phdr, AT_NULL */
static void put_auxv(struct out *notes, int w, uint64_t phdr)
{
	struct out d = { .be = notes->be };
	put(&d, 6, w), put(&d, 4096, w); /* AT_PAGESZ */
	put(&d, 3, w), put(&d, phdr, w); /* AT_PHDR */
	put(&d, 0, w), put(&d, 0, w);
	put_note(notes, "CORE", 6, d.b, (uint32_t)d.n);
}

/* NT_FILE: the library at LIBBASE first (so picking the exe needs
 * AT_PHDR), then exe at BASE; count 2 unless set_count */
static void put_nt_file(struct out *notes, int w, const struct cfg *c, const char *exe)
{
	struct out d = { .be = notes->be };
	put(&d, c->set_count ? c->nt_count : 2, w);
	put(&d, c->page_size ? c->page_size : 4096, w);
	put(&d, LIBBASE, w), put(&d, LIBBASE + 0x1000, w), put(&d, 0, w);
	put(&d, BASE, w), put(&d, BASE + 0x1000, w), put(&d, 0, w);
	put_raw(&d, LIB, sizeof(LIB));
	put_raw(&d, exe, strlen(exe) + 1);
	put_note(notes, "CORE", 0x46494c45, d.b, (uint32_t)d.n);
}

/* NT_PRPSINFO of sz bytes whose last 96 are comm and psargs */
static void put_prpsinfo(struct out *notes, uint32_t sz, const char *comm, const char *psargs)
{
	unsigned char desc[GZC_CORE_PRPSINFO_MAX + 8] = { 0 };
	cr_assert_leq(sz, sizeof(desc));
	cr_assert_geq(sz, 96u);
	memcpy(desc + sz - 96, comm, strlen(comm));
	memcpy(desc + sz - 80, psargs, strlen(psargs));
	put_note(notes, "CORE", 3, desc, sz);
}

static size_t build_core(struct out *core, const struct cfg *c)
{
	struct out notes = { .be = c->be }, exe = { .be = c->be };
	int w = c->is64 ? 8 : 4;
	size_t e = c->is64 ? 64 : 52, p = c->is64 ? 56 : 32;
	unsigned char desc[512];

	/* NT_PRSTATUS with pr_cursig at 12 */
	memset(desc, 0, sizeof(desc));
	struct out d = { .be = c->be };
	d.n = 12;
	put(&d, (uint64_t)c->prstatus_sig, 2);
	memcpy(desc, d.b, 14);
	put_note(&notes, "CORE", 1, desc, c->is64 ? 336 : 144);
	if (!c->no_prpsinfo)
		put_prpsinfo(&notes, c->is64 ? 136 : 124, "app", "/opt/app/bin/app --flag x");
	if (!c->no_siginfo) {
		memset(desc, 0, sizeof(desc));
		d.n = 0;
		put(&d, (uint64_t)c->siginfo_sig, 4);
		memcpy(desc, d.b, 4);
		put_note(&notes, "CORE", 0x53494749, desc, 128);
	}
	if (c->auxv)
		put_auxv(&notes, w, BASE + e);
	put_nt_file(&notes, w, c, EXE);
	put_note(&notes, "LINUX", 0x202, "\1\2\3\4", 4); /* something to skip */
	if (c->extra)
		put_raw(&notes, c->extra->b, c->extra->n);

	exe_page(&exe, c->is64);

	size_t phnum = 3, notes_at = e + phnum * p, exe_at = notes_at + notes.n;
	size_t sh_at = exe_at + exe.n;
	memset(core, 0, sizeof(*core));
	core->be = c->be;
	put_ehdr(core, c->is64, 4, e, c->xnum ? 0xffff : phnum, c->xnum ? sh_at : 0, c->xnum ? 1 : 0);
	put_phdr(core, c->is64, 4, notes_at, 0, notes.n, 0);
	put_phdr(core, c->is64, 1, exe_at, BASE, c->dump_exe ? exe.n : 0, 0x1000);
	put_phdr(core, c->is64, 1, exe_at, LIBBASE, 0, 0x1000); /* lib page not dumped */
	put_raw(core, notes.b, notes.n);
	put_raw(core, exe.b, exe.n);
	if (c->xnum) { /* section header 0 with sh_info = real phnum */
		size_t shsz = c->is64 ? 64 : 40;
		unsigned char zero[64] = { 0 };
		size_t at = core->n;
		put_raw(core, zero, shsz);
		core->n = at + (c->is64 ? 44 : 28);
		put(core, phnum, 4);
		core->n = at + shsz;
	}
	return core->n;
}

static const struct cfg defaults = { .is64 = true, .prstatus_sig = 11, .siginfo_sig = 6, .auxv = true, .dump_exe = true };

Test(corenote, crafted_all_classes_and_orders)
{
	for (int k = 0; k < 8; k++) {
		struct cfg c = defaults;
		c.is64 = k & 1;
		c.be = k & 2;
		c.xnum = k & 4;
		struct out *o = malloc(sizeof(*o));
		size_t n = build_core(o, &c);
		struct gzc_coreinfo *info = NULL;
		int r = parse(o->b, n, &info);
		cr_assert_eq(r, 0, "k=%d: %d", k, r);
		cr_assert_eq(info->is64, c.is64);
		cr_assert_eq(info->big_endian, c.be);
		cr_assert_str_eq(info->comm, "app", "k=%d", k);
		cr_assert_str_eq(info->psargs, "/opt/app/bin/app --flag x");
		cr_assert_str_eq(info->exe, EXE, "k=%d", k);
		cr_assert_str_eq(info->build_id, "deadbeef01020304", "k=%d", k);
		cr_assert_eq(info->signal, 11);
		cr_assert_eq(info->note_err, 0, "k=%d: %d", k, info->note_err);
		gzc_coreinfo_free(info);
		free(o);
	}
}

Test(corenote, variants)
{
	struct out *o = malloc(sizeof(*o));
	struct gzc_coreinfo *info;
	struct cfg c = defaults;

	/* no AT_PHDR: the first NT_FILE entry is taken (documented fallback) */
	c.auxv = false;
	cr_assert_eq(parse(o->b, build_core(o, &c), &info), 0);
	cr_assert_str_eq(info->exe, LIB);
	cr_assert_null(info->build_id); /* its page was not dumped */
	gzc_coreinfo_free(info);

	/* exe page not dumped: exe known, no build-id, no error */
	c = defaults;
	c.dump_exe = false;
	cr_assert_eq(parse(o->b, build_core(o, &c), &info), 0);
	cr_assert_str_eq(info->exe, EXE);
	cr_assert_null(info->build_id);
	cr_assert_eq(info->note_err, 0);
	gzc_coreinfo_free(info);

	/* pr_cursig 0: NT_SIGINFO's signal */
	c = defaults;
	c.prstatus_sig = 0;
	cr_assert_eq(parse(o->b, build_core(o, &c), &info), 0);
	cr_assert_eq(info->signal, 6);
	gzc_coreinfo_free(info);

	/* out-of-range signals are unknown */
	c.siginfo_sig = 300;
	cr_assert_eq(parse(o->b, build_core(o, &c), &info), 0);
	cr_assert_eq(info->signal, 0);
	gzc_coreinfo_free(info);

	/* no NT_PRPSINFO */
	c = defaults;
	c.no_prpsinfo = true;
	cr_assert_eq(parse(o->b, build_core(o, &c), &info), 0);
	cr_assert_str_eq(info->comm, "");
	cr_assert_null(info->psargs);
	cr_assert_str_eq(info->exe, EXE);
	gzc_coreinfo_free(info);

	/* NT_FILE lies about its count or page size: no exe, note_err set */
	const uint64_t counts[] = { 3, 0, 1000, 0xffffffffu };
	for (size_t i = 0; i < 4; i++) {
		c = defaults;
		c.nt_count = counts[i];
		c.set_count = true;
		cr_assert_eq(parse(o->b, build_core(o, &c), &info), 0);
		cr_assert_null(info->exe, "count %lu", (unsigned long)counts[i]);
		cr_assert_eq(info->note_err, -EBADMSG);
		cr_assert_str_eq(info->comm, "app"); /* the rest still read */
		gzc_coreinfo_free(info);
	}
	c = defaults;
	c.page_size = 3000;
	cr_assert_eq(parse(o->b, build_core(o, &c), &info), 0);
	cr_assert_null(info->exe);
	cr_assert_eq(info->note_err, -EBADMSG, "a page size of 3000 passed");
	gzc_coreinfo_free(info);
	free(o);
}

Test(corenote, short_reads_and_read_errors)
{
	struct out *o = malloc(sizeof(*o));
	size_t n = build_core(o, &defaults);
	struct gzc_coreinfo *info = NULL;
	struct mem m = { .buf = o->b, .len = n, .chunk = 3 };
	cr_assert_eq(gzc_corenote_read(mem_read, &m, n, &info), 0);
	cr_assert_str_eq(info->build_id, "deadbeef01020304");
	gzc_coreinfo_free(info);

	for (int k = 1; k < 8; k++) {
		struct gzc_coreinfo *sentinel = (struct gzc_coreinfo *)0x1;
		info = sentinel;
		m = (struct mem){ .buf = o->b, .len = n, .fail_after = k };
		cr_assert_eq(gzc_corenote_read(mem_read, &m, n, &info), -EIO, "fail at call %d", k);
		cr_assert_eq(info, sentinel);
	}
	/* data shorter than the size claimed */
	m = (struct mem){ .buf = o->b, .len = 100 };
	cr_assert_eq(gzc_corenote_read(mem_read, &m, n, &info), -EBADMSG);
	m = (struct mem){ .buf = o->b, .len = n - 4000 }; /* exe page missing */
	cr_assert_eq(gzc_corenote_read(mem_read, &m, n, &info), -EBADMSG);
	cr_assert_eq(gzc_corenote_read(NULL, &m, n, &info), -EINVAL);
	cr_assert_eq(gzc_corenote_read(mem_read, &m, n, NULL), -EINVAL);
	gzc_coreinfo_free(NULL);
	free(o);
}

Test(corenote, not_core_and_truncated)
{
	struct gzc_coreinfo *sentinel = (struct gzc_coreinfo *)0x1, *info = sentinel;
	struct out *o = malloc(sizeof(*o));
	size_t n = build_core(o, &defaults);

	cr_assert_eq(parse(o->b, 0, &info), -ENOEXEC);
	cr_assert_eq(parse("#!/bin/sh\necho hello world\n", 27, &info), -ENOEXEC);
	cr_assert_eq(parse("\x7f" "EL", 3, &info), -ENOEXEC);
	cr_assert_eq(parse(o->b, 10, &info), -EBADMSG);
	cr_assert_eq(parse(o->b, 40, &info), -EBADMSG);
	/* header fine, program header table cut */
	cr_assert_eq(parse(o->b, 64 + 56, &info), -EBADMSG);
	cr_assert_eq(info, sentinel);

	/* notes cut: headers fine, notes reported as corrupt, no crash;
	 * exe page cut: no build-id, no error */
	size_t notes_end = 64 + 3 * 56, notes_size = 0;
	for (int i = 0; i < 8; i++)
		notes_size |= (size_t)o->b[64 + 32 + i] << (8 * i); /* p_filesz of phdr 0 */
	notes_end += notes_size;
	for (size_t cut = 64 + 3 * 56; cut < n; cut += 7) {
		int r = parse(o->b, cut, &info);
		cr_assert_eq(r, 0, "cut %zu: %d", cut, r);
		if (cut < notes_end)
			cr_assert_neq(info->note_err, 0, "cut %zu", cut);
		else
			cr_assert_eq(info->note_err, 0, "cut %zu", cut);
		if (cut < n - 4096 + 200)
			cr_assert_null(info->build_id, "cut %zu", cut);
		gzc_coreinfo_free(info);
	}
	cr_assert_eq(parse(o->b, n, &info), 0);
	cr_assert_not_null(info->build_id);
	gzc_coreinfo_free(info);
	info = sentinel;

	/* an executable is not a core */
	o->b[16] = 2;
	info = sentinel;
	cr_assert_eq(parse(o->b, n, &info), -ENOEXEC);
	o->b[16] = 4;
	/* bad class, bad data, bad version */
	for (int i = 4; i <= 6; i++) {
		unsigned char save = o->b[i];
		o->b[i] = 9;
		cr_assert_eq(parse(o->b, n, &info), -EBADMSG, "ident byte %d", i);
		o->b[i] = save;
	}
	/* wrong phentsize */
	o->b[54] = 55;
	cr_assert_eq(parse(o->b, n, &info), -EBADMSG);
	cr_assert_eq(info, sentinel);
	free(o);
}

Test(corenote, too_many_phdrs)
{
	struct out *o = malloc(sizeof(*o));
	struct cfg c = defaults;
	c.xnum = true;
	size_t n = build_core(o, &c);
	struct gzc_coreinfo *info = NULL;
	cr_assert_eq(parse(o->b, n, &info), 0);
	cr_assert_str_eq(info->exe, EXE);
	gzc_coreinfo_free(info);
	/* sh_info of section header 0 (the last 64 bytes) := 65537 */
	size_t at = n - 64 + 44;
	o->b[at] = 0x01, o->b[at + 1] = 0x00, o->b[at + 2] = 0x01, o->b[at + 3] = 0;
	cr_assert_eq(parse(o->b, n, &info), -E2BIG);
	/* 65536 is allowed by the cap but the table is not in the file */
	o->b[at] = 0x00;
	cr_assert_eq(parse(o->b, n, &info), -EBADMSG);
	free(o);
}

/* Where a core must end, told from its head: from the whole headers, or
 * when the tables lie past the head, where they end (-ENODATA): for
 * PN_XNUM cores the section header the kernel writes last, after the data. */
Test(corenote, extent_from_a_head)
{
	struct out *o = malloc(sizeof(*o));
	uint64_t end;
	for (int be = 0; be < 2; be++)
		for (int is64 = 0; is64 < 2; is64++) {
			struct cfg c = defaults;
			c.is64 = is64, c.be = be;
			size_t n = build_core(o, &c), e = is64 ? 64 : 52, p = is64 ? 56 : 32;
			cr_assert_eq(gzc_core_extent_mem(o->b, n, &end), 0);
			cr_assert_eq(end, n);
			/* the program header table cut: its end is the least end */
			end = 0;
			cr_assert_eq(gzc_core_extent_mem(o->b, e + p + 3, &end), -ENODATA);
			cr_assert_eq(end, e + 3 * p);
			cr_assert_eq(gzc_core_extent_mem(o->b, e - 1, &end), -EBADMSG);

			c.xnum = true;
			n = build_core(o, &c);
			cr_assert_eq(gzc_core_extent_mem(o->b, n, &end), 0);
			cr_assert_eq(end, n - (is64 ? 64 : 40), "the data end where section header 0 begins");
			for (size_t cut = e; cut < n; cut += 61) {
				end = 0;
				cr_assert_eq(gzc_core_extent_mem(o->b, cut, &end), -ENODATA, "cut %zu", cut);
				cr_assert_eq(end, n, "cut %zu", cut);
			}
		}
	/* no ELF class or byte order: nothing to tell */
	struct cfg c = defaults;
	size_t n = build_core(o, &c);
	o->b[4] = 7;
	cr_assert_eq(gzc_core_extent_mem(o->b, n / 2, &end), -EBADMSG);
	free(o);
}

/* Parses the default core with the notes in extra after its own ones
 * (and cfg's changes), which must succeed. */
static struct gzc_coreinfo *parse_with(const struct cfg *cfg, const struct out *extra)
{
	struct out *o = malloc(sizeof(*o));
	struct cfg c = *cfg;
	c.extra = extra;
	struct gzc_coreinfo *info = NULL;
	int r = parse(o->b, build_core(o, &c), &info);
	cr_assert_eq(r, 0, "%d", r);
	free(o);
	return info;
}

/* A note that does not hold what its type needs leaves its field empty and
 * sets note_err; of two notes of one type the first counts. */
Test(corenote, malformed_and_duplicate_notes)
{
	struct out extra = { 0 };
	struct gzc_coreinfo *info;
	struct cfg c = defaults;

	/* NT_SIGINFO of 2 bytes, the only signal there is */
	c.prstatus_sig = 0;
	c.no_siginfo = true;
	put_note(&extra, "CORE", 0x53494749, "\x0b\x00", 2);
	info = parse_with(&c, &extra);
	cr_assert_eq(info->signal, 0);
	cr_assert_eq(info->note_err, -EBADMSG);
	cr_assert_str_eq(info->exe, EXE, "the other notes still count");
	gzc_coreinfo_free(info);

	/* a second NT_PRPSINFO is ignored */
	c = defaults;
	extra.n = 0;
	put_prpsinfo(&extra, 136, "two", "two --args");
	info = parse_with(&c, &extra);
	cr_assert_str_eq(info->comm, "app");
	cr_assert_str_eq(info->psargs, "/opt/app/bin/app --flag x");
	cr_assert_eq(info->note_err, 0);
	gzc_coreinfo_free(info);

	/* NT_PRPSINFO just shorter or longer than any layout */
	const uint32_t sizes[] = { GZC_CORE_PRPSINFO_MIN - 1, GZC_CORE_PRPSINFO_MAX + 1 };
	c.no_prpsinfo = true;
	for (int k = 0; k < 2; k++) {
		extra.n = 0;
		put_prpsinfo(&extra, sizes[k], "bad", "bad args");
		info = parse_with(&c, &extra);
		cr_assert_str_eq(info->comm, "", "size %u", sizes[k]);
		cr_assert_null(info->psargs, "size %u", sizes[k]);
		cr_assert_eq(info->note_err, -EBADMSG, "size %u", sizes[k]);
		cr_assert_str_eq(info->exe, EXE);
		gzc_coreinfo_free(info);
	}
	/* ...while the edges themselves are read */
	const uint32_t edges[] = { GZC_CORE_PRPSINFO_MIN, GZC_CORE_PRPSINFO_MAX };
	for (int k = 0; k < 2; k++) {
		extra.n = 0;
		put_prpsinfo(&extra, edges[k], "edge", "edge args");
		info = parse_with(&c, &extra);
		cr_assert_str_eq(info->comm, "edge", "size %u", edges[k]);
		cr_assert_str_eq(info->psargs, "edge args");
		cr_assert_eq(info->note_err, 0);
		gzc_coreinfo_free(info);
	}

	/* a second NT_FILE naming another exe at the same place */
	c = defaults;
	extra.n = 0;
	put_nt_file(&extra, 8, &c, "/usr/bin/impostor");
	info = parse_with(&c, &extra);
	cr_assert_str_eq(info->exe, EXE);
	cr_assert_str_eq(info->build_id, "deadbeef01020304");
	gzc_coreinfo_free(info);

	/* a second NT_AUXV whose AT_PHDR points into the library */
	extra.n = 0;
	put_auxv(&extra, 8, LIBBASE + 64);
	info = parse_with(&c, &extra);
	cr_assert_str_eq(info->exe, EXE);
	gzc_coreinfo_free(info);
	/* (and alone, that AT_PHDR picks the library: the duplicate was not used) */
	c.auxv = false;
	info = parse_with(&c, &extra);
	cr_assert_str_eq(info->exe, LIB);
	gzc_coreinfo_free(info);
}

/* Notes are read up to GZC_CORE_NOTES_MAX bytes in all: a PT_NOTE that
 * would pass it is skipped whole with note_err -E2BIG, what came before
 * it still counts. */
Test(corenote, notes_over_the_budget)
{
	const size_t e = 64, p = 56, hdr = e + 2 * p;
	const uint64_t sizes[][2] = {
		{ GZC_CORE_NOTES_MAX, 0 },                    /* exactly the budget */
		{ GZC_CORE_NOTES_MAX + 1, 0 },                /* one segment over it */
		{ 3u << 20, (1u << 20) + 1 },                 /* the second one over what is left */
	};
	for (int k = 0; k < 3; k++) {
		size_t len = hdr + sizes[k][0] + sizes[k][1];
		unsigned char *core = calloc(1, len);
		cr_assert_not_null(core);
		struct out *o = malloc(sizeof(*o));
		memset(o, 0, sizeof(*o));
		put_ehdr(o, true, 4, e, 2, 0, 0);
		put_phdr(o, true, 4, hdr, 0, sizes[k][0], 0);
		put_phdr(o, true, 4, hdr + sizes[k][0], 0, sizes[k][1], 0);
		put_prpsinfo(o, 136, "big", "big notes"); /* at the first segment's start */
		memcpy(core, o->b, o->n);
		free(o);
		struct gzc_coreinfo *info = NULL;
		cr_assert_eq(parse(core, len, &info), 0, "k=%d", k);
		cr_assert_eq(info->note_err, k == 0 ? 0 : -E2BIG, "k=%d: %d", k, info->note_err);
		cr_assert_str_eq(info->comm, k == 1 ? "" : "big", "k=%d", k);
		gzc_coreinfo_free(info);
		free(core);
	}
}

/* A change to the exe's dumped first page (offsets in exe_page()'s 64-bit
 * layout), little-endian. */
struct patch {
	size_t at;
	uint64_t v;
	int size;
};

#define EXE_PHENTSIZE 54
#define EXE_PHNUM 56
#define EXE_NOTE_FILESZ (64 + 56 + 32) /* p_filesz of phdr 1, the PT_NOTE */
#define EXE_NOTE_DESCSZ (64 + 2 * 56 + 4)

/* Parses the default core with its exe's first page patched: the core is
 * fine, the exe known, no note_err; returns the info for its build-id. */
static struct gzc_coreinfo *parse_exe_patched(const struct patch *pt, size_t npt)
{
	struct out *o = malloc(sizeof(*o));
	size_t n = build_core(o, &defaults);
	unsigned char *page = memmem(o->b + 1, n - 1, "\x7f" "ELF", 4);
	cr_assert_not_null(page);
	for (size_t i = 0; i < npt; i++)
		for (int b = 0; b < pt[i].size; b++)
			page[pt[i].at + (size_t)b] = (unsigned char)(pt[i].v >> (8 * b));
	struct gzc_coreinfo *info = NULL;
	cr_assert_eq(parse(o->b, n, &info), 0);
	cr_assert_str_eq(info->exe, EXE);
	cr_assert_eq(info->note_err, 0, "the exe's notes are not the core's");
	free(o);
	return info;
}

/* The exe's build-id is best effort: an ELF header or note that is not
 * what it must be gives no build-id, and no error. */
Test(corenote, exe_build_id_bounds)
{
	const struct patch none[] = {
		{ EXE_PHENTSIZE, 55, 2 },
		{ EXE_PHNUM, GZC_CORE_EXE_PHNUM_MAX + 1, 2 },
		{ EXE_NOTE_FILESZ, GZC_CORE_EXE_NOTES_MAX + 1, 8 },
		{ EXE_NOTE_DESCSZ, 0, 4 },
	};
	for (size_t k = 0; k < sizeof(none) / sizeof(none[0]); k++) {
		struct gzc_coreinfo *info = parse_exe_patched(&none[k], 1);
		cr_assert_null(info->build_id, "patch %zu", k);
		gzc_coreinfo_free(info);
	}
	/* a note of GZC_CORE_BUILD_ID_MAX bytes (the page's zeros after the
	 * 8 of exe_page()) is taken, one byte more is not */
	const struct patch max[] = { { EXE_NOTE_FILESZ, 16 + GZC_CORE_BUILD_ID_MAX, 8 },
				     { EXE_NOTE_DESCSZ, GZC_CORE_BUILD_ID_MAX, 4 } };
	struct gzc_coreinfo *info = parse_exe_patched(max, 2);
	cr_assert_not_null(info->build_id);
	cr_assert_eq(strlen(info->build_id), 2 * GZC_CORE_BUILD_ID_MAX);
	cr_assert_eq(strncmp(info->build_id, "deadbeef0102030400", 18), 0);
	gzc_coreinfo_free(info);
	const struct patch over[] = { { EXE_NOTE_FILESZ, 16 + GZC_CORE_BUILD_ID_MAX + 4, 8 },
				      { EXE_NOTE_DESCSZ, GZC_CORE_BUILD_ID_MAX + 1, 4 } };
	info = parse_exe_patched(over, 2);
	cr_assert_null(info->build_id);
	gzc_coreinfo_free(info);
}

/* A PT_NOTE aligned to 8 (as linkers write a GNU property note with the
 * build-id) puts each desc and each next note at an offset from the note's
 * start rounded up to 8 ("GNU\0"'s desc at 16, not 12 + 8): the build-id
 * alone in such a segment, and after a property note, is read right. */
Test(corenote, exe_build_id_in_8_aligned_notes)
{
	static const unsigned char bid[8] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };
	for (int merged = 0; merged < 2; merged++) {
		struct out *o = malloc(sizeof(*o));
		size_t n = build_core(o, &defaults);
		unsigned char *page = memmem(o->b + 1, n - 1, "\x7f" "ELF", 4);
		cr_assert_not_null(page);
		struct out nt = { .be = false };
		if (merged) { /* NT_GNU_PROPERTY_TYPE_0 with a 12-byte desc, padded to 8:
			       * the next note is at 32 (28 if aligned to 4) */
			put(&nt, 4, 4), put(&nt, 12, 4), put(&nt, 5, 4);
			put_raw(&nt, "GNU", 4);
			put(&nt, 0xc0000002, 4), put(&nt, 4, 4), put(&nt, 3, 4);
			put(&nt, 0, 4);
		}
		put(&nt, 4, 4), put(&nt, 8, 4), put(&nt, 3, 4);
		put_raw(&nt, "GNU", 4);
		put_raw(&nt, bid, 8);
		size_t note_off = 64 + 2 * 56;
		memset(page + note_off, 0, 4096 - note_off);
		memcpy(page + note_off, nt.b, nt.n);
		for (int b = 0; b < 8; b++) {
			page[EXE_NOTE_FILESZ + (size_t)b] = (unsigned char)(nt.n >> (8 * b));
			page[EXE_NOTE_FILESZ + 16 + (size_t)b] = (unsigned char)((b == 0 ? 8u : 0u)); /* p_align */
		}
		struct gzc_coreinfo *info = NULL;
		cr_assert_eq(parse(o->b, n, &info), 0);
		cr_assert_not_null(info->build_id, "merged %d", merged);
		cr_assert_str_eq(info->build_id, "deadbeef01020304", "merged %d", merged);
		gzc_coreinfo_free(info);
		free(o);
	}
}

/* Offsets and sizes near 2^64 in a core's head must not wrap into a small
 * end: -EBADMSG, *ret_end untouched. */
Test(corenote, extent_overflow_guards)
{
	struct out *o = malloc(sizeof(*o));
	uint64_t end;

	/* PN_XNUM with section header 0 at the top of the address space */
	memset(o, 0, sizeof(*o));
	put_ehdr(o, true, 4, 64, 0xffff, UINT64_MAX - 10, 1);
	end = 7;
	cr_assert_eq(gzc_core_extent_mem(o->b, o->n, &end), -EBADMSG);
	cr_assert_eq(end, 7);
	/* a program header table that wraps to end at 67, past the 64-byte head */
	memset(o, 0, sizeof(*o));
	put_ehdr(o, true, 4, UINT64_MAX - 100, 3, 0, 0);
	cr_assert_eq(gzc_core_extent_mem(o->b, o->n, &end), -EBADMSG);
	cr_assert_eq(end, 7);
	/* a segment whose p_offset + p_filesz wraps */
	memset(o, 0, sizeof(*o));
	put_ehdr(o, true, 4, 64, 1, 0, 0);
	put_phdr(o, true, 1, UINT64_MAX - 10, 0, 100, 100);
	cr_assert_eq(gzc_core_extent_mem(o->b, o->n, &end), -EBADMSG);
	cr_assert_eq(end, 7);
	/* the same segment where it fits: its end is the core's */
	o->n = 64;
	put_phdr(o, true, 1, 200, 0, 100, 100);
	cr_assert_eq(gzc_core_extent_mem(o->b, o->n, &end), 0);
	cr_assert_eq(end, 300);
	free(o);
}

static bool sane(const struct gzc_coreinfo *info)
{
	if (info->build_id)
		for (const char *s = info->build_id; *s; s++)
			if (!strchr("0123456789abcdef", *s))
				return false;
	if (strlen(info->comm) > GZC_CORE_COMM_LEN)
		return false;
	if (info->psargs && strlen(info->psargs) > GZC_CORE_PSARGS_LEN)
		return false;
	if (info->exe && (strlen(info->exe) == 0 || strlen(info->exe) > GZC_CORE_PATH_MAX))
		return false;
	return info->signal >= 0 && info->signal <= 127;
}

static void fuzz(const unsigned char *orig, size_t len, size_t hot, int iters, unsigned seed)
{
	unsigned char *buf = malloc(len);
	int ok = 0, bid = 0;
	srand(seed);
	for (int iter = 0; iter < iters; iter++) {
		memcpy(buf, orig, len);
		int flips = 1 + rand() % 6;
		for (int f = 0; f < flips; f++) {
			size_t at = (size_t)rand() % hot;
			switch (rand() % 3) {
			case 0: buf[at] = (unsigned char)rand(); break;
			case 1: buf[at] ^= (unsigned char)(1u << (rand() % 8)); break;
			default: buf[at] = (rand() % 2) ? 0xff : 0; break;
			}
		}
		size_t n = (rand() % 8) ? len : (size_t)rand() % len;
		struct gzc_coreinfo *info = NULL;
		int r = parse(buf, n, &info);
		cr_assert(r == 0 || r == -EBADMSG || r == -ENOEXEC || r == -E2BIG, "iter %d: %d", iter, r);
		if (r == 0) {
			ok++;
			bid += info->build_id != NULL;
			cr_assert(sane(info), "iter %d", iter);
			gzc_coreinfo_free(info);
		}
	}
	cr_assert_gt(ok, iters / 10, "too few parsed (%d): the fuzz tests nothing", ok);
	cr_assert_gt(bid, 0, "no mutant kept its build-id");
	free(buf);
}

Test(corenote, fuzz_crafted)
{
	for (int k = 0; k < 4; k++) {
		struct out *o = malloc(sizeof(*o));
		struct cfg c = defaults;
		c.is64 = k & 1;
		c.be = k & 2;
		size_t n = build_core(o, &c);
		fuzz(o->b, n, n, 1000, 42 + (unsigned)k);
		free(o);
	}
}

/* ---- a real core from gcore ---- */

static char dir[64];

static void gsetup(void)
{
	strcpy(dir, "/tmp/gzc-corenote-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void gteardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("cleanup of %s failed", dir);
}

static unsigned char *read_all(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	cr_assert_not_null(f, "%s", p);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	unsigned char *buf = malloc((size_t)n);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static pid_t gcore_pid; /* the process make_gcore dumped */

/* Builds dir/sleeper, runs it with arguments, gcore's it; returns the core. */
static unsigned char *make_gcore(size_t *len, char *exe, size_t execap)
{
	char cmd[1024];
	const char *why = gcore_unavailable();
	if (why)
		cr_skip_test("%s", why);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf '#include <unistd.h>\\nint main(void){ pause(); return 0; }\\n' > s.c && "
		 "gcc -o sleeper s.c -Wl,--build-id=0xc0ffee0011223344556677",
		 dir);
	cr_assert_eq(system(cmd), 0);
	snprintf(exe, execap, "%s/sleeper", dir);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execl(exe, exe, "arg one", "two", (char *)NULL);
		_exit(127);
	}
	/* wait until it sleeps in pause() */
	char stat[64], buf[256];
	snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(stat, "r");
		bool sleeping = false;
		if (f) {
			if (fgets(buf, sizeof(buf), f)) {
				char *rp = strrchr(buf, ')');
				sleeping = rp && rp[1] == ' ' && rp[2] == 'S';
			}
			fclose(f);
		}
		if (sleeping)
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	/* and until exec happened (comm is "sleeper") */
	snprintf(stat, sizeof(stat), "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(stat, "r");
		bool execd = f && fgets(buf, sizeof(buf), f) && strcmp(buf, "sleeper\n") == 0;
		if (f)
			fclose(f);
		if (execd)
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	snprintf(cmd, sizeof(cmd), "gcore -o '%s/core' %d >'%s/gcore.log' 2>&1", dir, (int)pid, dir);
	int rc = system(cmd);
	gcore_pid = pid;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "%s/core.%d", dir, (int)pid);
	if (rc != 0 || access(cmd, R_OK) != 0) {
		snprintf(cmd, sizeof(cmd), "%s/gcore.log", dir);
		gcore_failed(cmd);
	}
	return read_all(cmd, len);
}

Test(corenote, real_gcore, .init = gsetup, .fini = gteardown, .timeout = 60)
{
	char exe[256];
	size_t len;
	unsigned char *core = make_gcore(&len, exe, sizeof(exe));
	struct gzc_coreinfo *info = NULL;
	int r = parse(core, len, &info);
	cr_assert_eq(r, 0, "%d", r);
	cr_assert_str_eq(info->comm, "sleeper");
	cr_assert_not_null(info->psargs);
	/* gdb writes argv[0] only ("cmdline contained unexpected null
	 * characters"); the kernel would write "exe arg one two". */
	cr_assert_eq(strncmp(info->psargs, exe, strlen(exe)), 0, "psargs %s", info->psargs);
	cr_assert_str_eq(info->exe, exe);
	cr_assert_str_eq(info->build_id, "c0ffee0011223344556677");
	cr_assert(info->is64);
	cr_assert_eq(info->machine, 62);
	cr_assert(info->signal >= 0 && info->signal <= 127);
	cr_assert_eq(info->note_err, 0);
	cr_assert_eq(info->pid, (int)gcore_pid, "pid %d, dumped %d", info->pid, (int)gcore_pid);
	cr_assert_eq(info->uid, (int64_t)getuid(), "uid %lld", (long long)info->uid);
	cr_assert_eq(info->gid, (int64_t)getgid(), "gid %lld", (long long)info->gid);
	/* its thread, its memory, its mapped files (the exe, libc, ld.so) and
	 * each one's build-id from the dumped first page */
	cr_assert_eq(info->nthreads, 1);
	cr_assert_eq(info->threads[0].tid, (int)gcore_pid);
	cr_assert_eq(info->threads[0].nregs, 27, "x86-64 pr_reg: %u words", info->threads[0].nregs);
	cr_assert_gt(info->nloads, 3);
	for (size_t i = 1; i < info->nloads; i++)
		cr_assert_gt(info->loads[i].vaddr, info->loads[i - 1].vaddr, "address order");
	cr_assert_geq(info->nfiles, 3);
	cr_assert(info->page_size && !(info->page_size & (info->page_size - 1)), "gdb writes 1, the kernel 4096: %llu", (unsigned long long)info->page_size);
	size_t exe_at = info->nfiles;
	for (size_t i = 0; i < info->nfiles; i++) {
		for (size_t k = 0; k < i; k++)
			cr_assert_str_neq(info->files[k].path, info->files[i].path, "each path once");
		if (strcmp(info->files[i].path, exe) == 0)
			exe_at = i;
	}
	cr_assert_lt(exe_at, info->nfiles, "the exe is among the files");
	struct mem whole = { .buf = core, .len = len };
	char *bid = NULL;
	cr_assert_eq(gzc_core_image_build_id(info, mem_read, &whole, info->files[exe_at].start, &bid), 0);
	cr_assert_not_null(bid);
	cr_assert_str_eq(bid, "c0ffee0011223344556677");
	free(bid);
	cr_assert_eq(gzc_core_image_build_id(info, mem_read, &whole, 0x10, &bid), 0, "nothing mapped there");
	cr_assert_null(bid);
	/* memory reads: inside a segment, across its end, before any */
	unsigned char b8[8];
	const struct gzc_core_load *l0 = &info->loads[0];
	cr_assert_eq(gzc_core_read_mem(info, mem_read, &whole, l0->vaddr, b8, 8), 1);
	cr_assert_eq(memcmp(b8, core + l0->off, 8), 0);
	cr_assert_eq(gzc_core_read_mem(info, mem_read, &whole, l0->vaddr + l0->filesz - 4, b8, 8), 0);
	cr_assert_eq(gzc_core_read_mem(info, mem_read, &whole, l0->vaddr ? l0->vaddr - 1 : 0, b8, 1), l0->vaddr ? 0 : 1);
	cr_assert_eq(gzc_core_read_mem(info, mem_read, &whole, UINT64_MAX - 3, b8, 8), 0);
	gzc_coreinfo_free(info);

	/* where the core must end, from its head alone: gcore appends section
	 * headers after the last segment, so the end is within the file */
	uint64_t end = 0;
	cr_assert_eq(gzc_core_extent_mem(core, len < 65536 ? len : 65536, &end), 0);
	cr_assert(end <= len && end > len / 2, "extent %llu of %zu", (unsigned long long)end, len);
	cr_assert_eq(gzc_core_extent_mem("not a core at all", 17, &end), -ENOEXEC);

	/* byte-at-a-time reads of the same core give the same answer */
	struct mem m = { .buf = core, .len = len, .chunk = 1 };
	cr_assert_eq(gzc_corenote_read(mem_read, &m, len, &info), 0);
	cr_assert_str_eq(info->build_id, "c0ffee0011223344556677");
	gzc_coreinfo_free(info);

	/* fuzz the headers of the real core (the first 1 KiB: ELF header,
	 * program headers) — the notes are far away, fuzzed via crafted cores */
	fuzz(core, len, 1024, 400, 7);
	free(core);
}

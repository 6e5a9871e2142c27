/*
 * stack.c — unwinding a core's threads with libdwfl, its memory read
 * through a callback.
 *
 * Design: no Elf handle for the core (it may be compressed and hundreds of
 * MB): libdwfl gets our own thread callbacks instead of
 * dwfl_core_file_attach(). next_thread walks corenote's threads,
 * set_initial_registers maps pr_reg to DWARF's register numbers, and
 * memory_read finds each word in the core's PT_LOAD segments. The modules
 * are reported with dwfl_report_elf() from the caller's open files, at the
 * addresses they were mapped at, so the architecture comes from them.
 */
#include "stack.h"
#include "elfid.h"
#include "hex.h"
#include "io.h"
#include "modules.h"

#include <elfutils/libdwfl.h>
#include <libelf.h>
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EM_X86_64_ 62
#define STR_(x) #x
#define STR(x) STR_(x)
#define X86_64_DWARF_REGS 17 /* rax..r15, then rip: the return address column */

/* struct user_regs_struct's word for each DWARF register of x86-64:
 * rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
static const unsigned char x86_64_dwarf_from_user[X86_64_DWARF_REGS] = {
	10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16,
};

struct unwind {
	const struct gzc_coreinfo *info;
	gzc_core_read_fn read;
	void *ctx;
	size_t next;       /* next thread of info to hand out */
	size_t nthreads;   /* how many are handed out at most */
	struct gzc_stack *out;
	struct gzc_stack_thread *cur;
	struct timespec deadline;
	bool late;
	int err;           /* -ENOMEM met inside a callback */
};

/* The C++ ABI's demangler (libstdc++, as eu-stack uses it): mangled is
 * NUL-terminated; returns a malloc'd name, or NULL (not a valid name, or
 * out of memory). It is GCC's libiberty demangler, which bounds its own
 * recursion; the caller runs this where a hostile name can only cost
 * time (the handler's sandbox child, killed after its budget). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* A mangled name whose back-references (S<seq>_ substitutions, T<n>_
 * template parameters) are many enough that demangling it could grow
 * exponentially (a 223-byte name can demangle to megabytes, a longer one
 * take seconds): kept raw. Real names, even of deep templates, have far
 * fewer. */
#define DEMANGLE_MAX_REFS 64
static bool demangle_bomb(const char *s, size_t n)
{
	size_t refs = 0;
	for (size_t i = 0; i + 1 < n; i++)
		if ((s[i] == 'S' || s[i] == 'T') && (s[i + 1] == '_' || (s[i + 1] >= '0' && s[i + 1] <= '9') ||
						     (s[i + 1] >= 'A' && s[i + 1] <= 'Z')))
			refs++;
	return refs > DEMANGLE_MAX_REFS;
}

/* A symbol's name as gdb shows it: "pthread_barrier_wait@@GLIBC_2.34"
 * without its version, "_ZN3gzt3BoxIiE4waitEv" as "gzt::Box<int>::wait()".
 * At most GZC_STACK_SYMBOL_MAX bytes (a longer name, demangled or not, is
 * cut and ends in "..."); a mangled name longer than GZC_STACK_MANGLED_MAX
 * is kept raw. Returns a malloc'd string, NULL when out of memory. */
static char *symbol_name(const char *s)
{
	size_t n = strnlen(s, GZC_STACK_MANGLED_MAX + 1);
	const char *ver = memchr(s, '@', n);
	if (ver && ver > s)
		n = (size_t)(ver - s);
	if (n > 2 && n <= GZC_STACK_MANGLED_MAX && s[0] == '_' && s[1] == 'Z' && !demangle_bomb(s, n)) {
		char *mangled = strndup(s, n);
		if (!mangled)
			return NULL;
		int status = 0;
		char *d = __cxa_demangle(mangled, NULL, NULL, &status);
		free(mangled);
		if (d && status == 0 && *d) {
			if (strlen(d) > GZC_STACK_SYMBOL_MAX) {
				memcpy(d + GZC_STACK_SYMBOL_MAX - 3, "...", 4);
				char *small = realloc(d, GZC_STACK_SYMBOL_MAX + 1); /* not megabytes per frame */
				d = small ? small : d;
			}
			return d;
		}
		free(d); /* any failure, out of memory included: the raw name */
	}
	char *raw = strndup(s, n < GZC_STACK_SYMBOL_MAX ? n : GZC_STACK_SYMBOL_MAX);
	if (raw && n > GZC_STACK_SYMBOL_MAX)
		memcpy(raw + GZC_STACK_SYMBOL_MAX - 3, "...", 3);
	return raw;
}

static bool past(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwind *u = arg;
	(void)dwfl;

	/* a thread without registers, or with a tid already given, is skipped:
	 * libdwfl wants each tid once */
	while (u->next < u->nthreads) {
		const struct gzc_core_thread *t = &u->info->threads[u->next++];
		bool seen = false;
		for (size_t i = 0; i + 1 < u->next && !seen; i++)
			seen = u->info->threads[i].tid == t->tid;
		if (t->tid > 0 && t->nregs >= 20 && !seen) { /* rsp is word 19 */
			*thread_argp = (void *)t;
			return t->tid;
		}
	}
	return 0;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct gzc_core_thread *t = thread_arg;
	Dwarf_Word regs[X86_64_DWARF_REGS];

	for (size_t i = 0; i < X86_64_DWARF_REGS; i++)
		regs[i] = t->regs[x86_64_dwarf_from_user[i]];
	return dwfl_thread_state_registers(thread, 0, X86_64_DWARF_REGS, regs);
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwind *u = arg;
	unsigned char b[8];
	(void)dwfl;

	if (gzc_core_read_mem(u->info, u->read, u->ctx, addr, b, sizeof(b)) != 1)
		return false;
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) /* x86-64: little endian */
		v = v << 8 | b[i];
	*result = v;
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* Separate debug information from the local file system only (the standard
 * search, under /usr/lib/debug and beside the file); libdwfl asks
 * debuginfod only when DEBUGINFOD_URLS is set, which the handler clears. */
static char *debuginfo_path = NULL;
static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static int add_frame(struct unwind *u, Dwfl_Frame *state)
{
	struct gzc_stack_thread *t = u->cur;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (t->nframes >= GZC_STACK_FRAMES_MAX)
		return DWARF_CB_ABORT;
	if (u->late || past(&u->deadline)) {
		u->late = true;
		return DWARF_CB_ABORT;
	}
	if (!t->frames && !(t->frames = calloc(GZC_STACK_FRAMES_MAX, sizeof(*t->frames)))) {
		u->err = -ENOMEM;
		return DWARF_CB_ABORT;
	}
	struct gzc_stack_frame *f = &t->frames[t->nframes++];
	f->pc = pc;
	/* a return address points after the call: look up the call itself */
	Dwarf_Addr at = activation || pc == 0 ? pc : pc - 1;
	Dwfl_Module *mod = dwfl_addrmodule(dwfl_thread_dwfl(dwfl_frame_thread(state)), at);
	if (!mod)
		return DWARF_CB_OK;
	Dwarf_Addr start = 0;
	const char *name = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (name && !(f->module = strndup(name, 4096))) {
		u->err = -ENOMEM;
		return DWARF_CB_ABORT;
	}
	f->module_offset = pc - start;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *s = dwfl_module_addrinfo(mod, at, &off, &sym, NULL, NULL, NULL);
	if (s && *s) {
		if (!(f->symbol = symbol_name(s))) {
			u->err = -ENOMEM;
			return DWARF_CB_ABORT;
		}
		f->symbol_offset = off + (pc - at);
	}
	return DWARF_CB_OK;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	return add_frame(arg, state);
}

static int set_error(char **field, const char *what, const char *why)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s%s%s", what, why ? ": " : "", why ? why : "");
	free(*field);
	*field = strdup(buf);
	return *field ? 0 : -ENOMEM;
}

static int thread_cb(Dwfl_Thread *thread, void *arg)
{
	struct unwind *u = arg;
	struct gzc_stack_thread *t = &u->out->threads[u->out->nthreads++];

	t->tid = dwfl_thread_tid(thread);
	u->cur = t;
	dwfl_errno(); /* clears an error of an earlier thread */
	int r = dwfl_thread_getframes(thread, frame_cb, u);
	if (u->err)
		return DWARF_CB_ABORT;
	if (u->late) {
		if (set_error(&t->error, "stopped here: the time budget for the stack traces ran out", NULL) < 0)
			u->err = -ENOMEM;
		return DWARF_CB_ABORT;
	}
	/* libdwfl ends at the outermost frame with 0, or with an error for the
	 * frame it could not go past: only no caller at all is worth a word
	 * (the outermost frames of a thread rarely have CFI) */
	if (r < 0 && t->nframes <= 1) {
		int e = dwfl_errno(); /* 0 when our memory read failed: libdwfl sets none */
		r = set_error(&t->error, "cannot unwind", e ? dwfl_errmsg(e) : "its caller's frame is not in the core");
	}
	else if (r > 0 && t->nframes >= GZC_STACK_FRAMES_MAX)
		r = set_error(&t->error, "stopped after " STR(GZC_STACK_FRAMES_MAX) " frames", NULL);
	else
		r = 0;
	if (r < 0) {
		u->err = -ENOMEM;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

static int report_modules(Dwfl *dwfl, const struct gzc_stack_module *mods, size_t nmods)
{
	int reported = 0;

	dwfl_report_begin(dwfl);
	for (size_t i = 0; i < nmods; i++) {
		if (mods[i].fd < 0 || !mods[i].path)
			continue;
		/* the architecture is fixed (x86-64): a file of another (qemu-user
		 * maps such) would make libdwfl read registers it was never given */
		unsigned char eh[20];
		if (pread(mods[i].fd, eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh, "\x7f" "ELF\x02\x01", 6) != 0 ||
		    (eh[18] | eh[19] << 8) != EM_X86_64_)
			continue;
		int fd = fcntl(mods[i].fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			continue;
		/* the same fd offset is shared with the caller's: libdwfl preads */
		if (dwfl_report_elf(dwfl, mods[i].path, mods[i].path, fd, mods[i].start, false))
			reported++;
		else
			close(fd);
	}
	dwfl_report_end(dwfl, NULL, NULL);
	return reported;
}

int gzc_stack_unwind(const struct gzc_coreinfo *info, gzc_core_read_fn read, void *ctx,
		     const struct gzc_stack_module *mods, size_t nmods, unsigned budget_ms, struct gzc_stack *ret)
{
	struct unwind u = { .info = info, .read = read, .ctx = ctx, .out = ret };
	Dwfl *dwfl = NULL;
	int r;

	if (info->machine != EM_X86_64_ || !info->is64 || info->big_endian) {
		r = -ENOTSUP;
		return set_error(&ret->error, "stack traces are made for x86-64 cores only", NULL) < 0 ? -ENOMEM : r;
	}
	size_t usable = 0;
	for (size_t i = 0; i < info->nthreads; i++)
		usable += info->threads[i].tid > 0 && info->threads[i].nregs >= 20;
	if (!usable)
		return set_error(&ret->error, "the core has no thread with its registers", NULL) < 0 ? -ENOMEM : -ENODATA;
	u.nthreads = info->nthreads;
	if (usable > GZC_STACK_THREADS_MAX) /* hand out the first ones only */
		for (size_t i = 0, k = 0; i < info->nthreads; i++)
			if (info->threads[i].tid > 0 && info->threads[i].nregs >= 20 && ++k == GZC_STACK_THREADS_MAX) {
				u.nthreads = i + 1;
				break;
			}
	if (!(ret->threads = calloc(usable < GZC_STACK_THREADS_MAX ? usable : GZC_STACK_THREADS_MAX,
				    sizeof(*ret->threads))))
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &u.deadline);
	u.deadline.tv_sec += budget_ms / 1000;
	u.deadline.tv_nsec += (long)(budget_ms % 1000) * 1000000L;
	if (u.deadline.tv_nsec >= 1000000000L) {
		u.deadline.tv_sec++;
		u.deadline.tv_nsec -= 1000000000L;
	}

	/* an x86-64 ELF header tells libdwfl the architecture, whatever the
	 * modules are */
	static const unsigned char x86_64_core[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, [16] = 4, [18] = EM_X86_64_,
						       [20] = 1, [52] = 64 };
	char image[sizeof(x86_64_core)];
	memcpy(image, x86_64_core, sizeof(image));
	elf_version(EV_CURRENT);
	Elf *arch = elf_memory(image, sizeof(image));
	if (!arch)
		return set_error(&ret->error, "cannot unwind", elf_errmsg(-1)) < 0 ? -ENOMEM : -EIO;
	if (!(dwfl = dwfl_begin(&dwfl_callbacks))) {
		elf_end(arch);
		return -ENOMEM;
	}
	if (report_modules(dwfl, mods, nmods) == 0) {
		r = set_error(&ret->error, "none of the process's mapped files could be read", NULL) < 0 ? -ENOMEM : -ENODATA;
		goto out;
	}
	if (!dwfl_attach_state(dwfl, arch, info->threads[0].tid > 0 ? info->threads[0].tid : 1, &thread_callbacks, &u)) {
		r = set_error(&ret->error, "cannot unwind", dwfl_errmsg(-1)) < 0 ? -ENOMEM : -EIO;
		goto out;
	}
	r = dwfl_getthreads(dwfl, thread_cb, &u);
	if (u.err) {
		r = u.err;
		goto out;
	}
	if (r < 0 && ret->nthreads == 0) {
		r = set_error(&ret->error, "cannot unwind", dwfl_errmsg(-1)) < 0 ? -ENOMEM : -EIO;
		goto out;
	}
	r = 0;
out:
	dwfl_end(dwfl);
	elf_end(arch);
	return r;
}

/* Opens path if it is a regular file whose GNU build-id is build_id.
 * Returns the fd or -1. */
static int open_build(const char *path, const char *build_id)
{
	size_t len = strlen(path);
	static const char deleted[] = " (deleted)";
	if (!build_id || (len >= sizeof(deleted) - 1 && !strcmp(path + len - (sizeof(deleted) - 1), deleted)))
		return -1;
	/* looked at before it is opened: a device named there (a sidecar is
	 * untrusted) is never opened, as opening some does something */
	int fd = gzc_open_regular(AT_FDCWD, path);
	struct gzc_elfid *id = NULL;
	if (fd < 0)
		return -1;
	if (gzc_elfid_read(fd, NULL, &id) < 0 || !id->build_id ||
	    strcasecmp(id->build_id, build_id) != 0) {
		gzc_elfid_free(id);
		close(fd);
		return -1;
	}
	gzc_elfid_free(id);
	return fd;
}

int gzc_stack_unwind_later(gzc_core_read_fn read, void *ctx, uint64_t size, const struct gzc_module *mods,
			   size_t nmods, unsigned budget_ms, struct gzc_stack *ret, size_t *ret_found,
			   size_t *ret_known)
{
	struct gzc_coreinfo *info = NULL;
	struct gzc_stack_module *files = NULL;
	size_t nfiles = 0, known = 0;
	int r = gzc_corenote_read(read, ctx, size, &info);

	if (r < 0)
		return r;
	size_t n = mods ? nmods : info->nfiles;
	if (n && !(files = calloc(n < GZC_STACK_FILES_MAX ? n : GZC_STACK_FILES_MAX, sizeof(*files)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && nfiles < GZC_STACK_FILES_MAX; i++) {
		uint64_t start = mods ? mods[i].start : info->files[i].start;
		const char *path = mods ? mods[i].path : info->files[i].path;
		char *bid = NULL;
		if (!mods && (r = gzc_core_image_build_id(info, read, ctx, start, &bid)) < 0)
			goto out;
		const char *want = mods ? mods[i].build_id : bid;
		known += want != NULL;
		int fd = path && want ? open_build(path, want) : -1;
		free(bid);
		if (fd >= 0)
			files[nfiles++] = (struct gzc_stack_module){ start, path, fd };
	}
	r = gzc_stack_unwind(info, read, ctx, files, nfiles, budget_ms, ret);
out:
	if (ret_found)
		*ret_found = nfiles;
	if (ret_known)
		*ret_known = known;
	for (size_t i = 0; i < nfiles; i++)
		close(files[i].fd);
	free(files);
	gzc_coreinfo_free(info);
	return r;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* A name as the program gave it, but a control byte as '?': a newline in
 * a symbol must not make a line of its own. */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

char *gzc_stack_format(const struct gzc_stack *s, size_t max_threads, unsigned indent)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (s->error) {
		fprintf(f, "%*sNo stack trace: ", (int)indent, "");
		put_name(f, s->error);
		fputc('\n', f);
	}
	for (size_t i = 0; i < s->nthreads && (!max_threads || i < max_threads); i++) {
		const struct gzc_stack_thread *t = &s->threads[i];
		if (i)
			fputc('\n', f);
		if (t->tid >= 0)
			fprintf(f, "%*sStack trace of thread %" PRId64 ":\n", (int)indent, "", t->tid);
		else
			fprintf(f, "%*sStack trace of a thread:\n", (int)indent, "");
		for (size_t k = 0; k < t->nframes; k++) {
			const struct gzc_stack_frame *fr = &t->frames[k];
			fprintf(f, "%*s#%-2zu 0x%016" PRIx64 " ", (int)indent, "", k, fr->pc);
			put_name(f, fr->symbol ? fr->symbol : "n/a");
			if (fr->module) {
				fputs(" (", f);
				put_name(f, base_name(fr->module));
				fprintf(f, " + 0x%" PRIx64 ")", fr->module_offset);
			}
			fputc('\n', f);
		}
		if (t->error) {
			fprintf(f, "%*s(", (int)indent, "");
			put_name(f, t->error);
			fputs(")\n", f);
		}
	}
	if (s->nthreads > max_threads && max_threads)
		fprintf(f, "\n%*s(%zu more threads)\n", (int)indent, "", s->nthreads - max_threads);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The C library, the dynamic loader and the C++ runtime: the frames a
 * crash passes through on its way to the signal (raise, abort,
 * __pthread_kill_implementation, malloc_printerr, std::terminate), the
 * same for every crash that ends that way. */
static bool runtime_module(const char *path)
{
	static const char *const runtime[] = { "libc.so.", "libc-2.", "ld-linux", "ld64.so.", "ld-musl",
						"libpthread.so.", "libstdc++.so.", "libgcc_s.so.", "libc++abi.so." };
	const char *b = base_name(path);
	for (size_t i = 0; i < sizeof(runtime) / sizeof(runtime[0]); i++)
		if (strncmp(b, runtime[i], strlen(runtime[i])) == 0)
			return true;
	return false;
}

int gzc_stack_signature(const struct gzc_stack *s, int64_t signal, char out[GZC_STACK_SIGNATURE_LEN + 1])
{
	out[0] = '\0';
	if (!s || !s->nthreads || !s->threads[0].nframes)
		return -ENODATA;
	const struct gzc_stack_thread *t = &s->threads[0];
	/* the runtime's frames on top, while the program's own follow */
	size_t first = 0, last = t->nframes;
	while (first < last && t->frames[first].module && runtime_module(t->frames[first].module))
		first++;
	if (first == last)
		first = 0;
	if (last - first > GZC_STACK_SIGNATURE_FRAMES)
		last = first + GZC_STACK_SIGNATURE_FRAMES;
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "gzcore-signature-1 %" PRId64 "\n", signal);
	uint64_t h = gzc_fnv1a(GZC_FNV1A_INIT, buf, (size_t)n);
	bool known = false;
	for (size_t k = first; k < last; k++) {
		const struct gzc_stack_frame *f = &t->frames[k];
		const char *mod = f->module ? base_name(f->module) : "?";
		size_t ml = strnlen(mod, GZC_STACK_SYMBOL_MAX);
		/* a program replaced since it started ("app (deleted)" in
		 * maps) crashed the same way */
		static const char deleted[] = " (deleted)";
		if (ml >= sizeof(deleted) - 1 && !memcmp(mod + ml - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1))
			ml -= sizeof(deleted) - 1;
		h = gzc_fnv1a(h, mod, ml);
		if (f->symbol) {
			h = gzc_fnv1a(h, " ", 1);
			h = gzc_fnv1a(h, f->symbol, strnlen(f->symbol, GZC_STACK_SYMBOL_MAX));
		} else if (f->module) {
			n = snprintf(buf, sizeof(buf), "+0x%" PRIx64, f->module_offset);
			h = gzc_fnv1a(h, buf, (size_t)n);
		}
		h = gzc_fnv1a(h, "\n", 1);
		known |= f->symbol || f->module;
	}
	if (!known)
		return -ENODATA;
	snprintf(out, GZC_STACK_SIGNATURE_LEN + 1, "%016" PRIx64, h);
	return 0;
}

bool gzc_stack_signature_valid(const char *s)
{
	return s && strnlen(s, GZC_STACK_SIGNATURE_LEN + 1) == GZC_STACK_SIGNATURE_LEN &&
	       strspn(s, "0123456789abcdef") == GZC_STACK_SIGNATURE_LEN;
}

void gzc_stack_keep(struct gzc_stack *s, size_t n)
{
	for (size_t i = n; i < s->nthreads; i++) {
		for (size_t k = 0; k < s->threads[i].nframes; k++) {
			free(s->threads[i].frames[k].symbol);
			free(s->threads[i].frames[k].module);
		}
		free(s->threads[i].frames);
		free(s->threads[i].error);
	}
	if (n < s->nthreads)
		s->nthreads = n;
}

void gzc_stack_clear(struct gzc_stack *s)
{
	if (!s)
		return;
	gzc_stack_keep(s, 0);
	free(s->threads);
	free(s->error);
	memset(s, 0, sizeof(*s));
}

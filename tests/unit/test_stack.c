/*
 * Unit tests for src/stack.c: the stack traces of a real core (gcore of a
 * child with two threads stopped in known functions), with its mapped
 * files open as the handler opens them; then what must fail cleanly: no
 * files, another architecture, registers pointing nowhere, a core whose
 * stacks were not dumped, a spent time budget, and a core cut short.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corenote.h"
#include "elfid.h"
#include "hex.h"
#include "gcore_facility.h"
#include "modules.h"
#include "stack.h"

struct mem {
	const unsigned char *buf;
	size_t len;
	int reads;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *m = ctx;
	m->reads++;
	if (off >= m->len)
		return 0;
	size_t n = m->len - off < len ? m->len - off : len;
	memcpy(buf, m->buf + off, n);
	return (int)n;
}

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/gzc-stack-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static pid_t child; /* killed by teardown whatever failed */

static void teardown(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("cleanup of %s failed", dir);
}

/* Reads a whole file, /proc's too (their size is 0). */
static unsigned char *read_all(const char *p, size_t *len)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", p);
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (n == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t k = read(fd, buf + n, cap - n);
		cr_assert_geq(k, 0);
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	*len = n;
	return buf;
}

/* A program whose main thread waits in main_leaf() (called by main_mid(),
 * called by main) and whose second thread waits in worker_leaf(). Built
 * without -g: unwinding uses .eh_frame, names come from .symtab. */
static const char program[] =
	"#include <pthread.h>\n"
	"#include <unistd.h>\n"
	"__attribute__((noinline)) void worker_leaf(void) { for (;;) pause(); }\n"
	"static void *worker(void *a) { (void)a; worker_leaf(); return 0; }\n"
	"__attribute__((noinline)) void main_leaf(void) { for (;;) pause(); }\n"
	"__attribute__((noinline)) void main_mid(void) { main_leaf(); __asm__ volatile(\"\"); }\n"
	"int main(void) { pthread_t t; pthread_create(&t, 0, worker, 0); main_mid(); return 0; }\n";

struct sample {
	unsigned char *core;
	size_t len;
	struct gzc_module *mods;
	size_t nmods;
	struct gzc_stack_module *smods;
	pid_t pid;
};

static int threads_of(pid_t pid)
{
	char p[64], line[256];
	int n = 0;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

#define X8(c) #c #c #c #c #c #c #c #c
#define X64(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c) X8(c)

/* A C++ program whose main thread waits in a member function of a class
 * template in a namespace, instantiated with a type whose name is too long
 * to keep whole, and its second thread in a function taking a reference,
 * under a C function whose name only looks mangled. */
static const char program_cxx[] =
	"#include <map>\n"
	"#include <string>\n"
	"#include <vector>\n"
	"#include <pthread.h>\n"
	"#include <unistd.h>\n"
	"#define LONG_C_NAME _Zbogus_wait_" X64(x) X64(y) X64(z) X64(w) X64(v) "\n"
	"extern \"C\" __attribute__((noinline)) void LONG_C_NAME(void) { for (;;) pause(); }\n"
	"namespace gzt {\n"
	"template <typename T> struct Box {\n"
	"  T v;\n"
	"  __attribute__((noinline)) void wait(int n) { for (;;) pause(); (void)n; }\n"
	"};\n"
	"__attribute__((noinline)) void worker_leaf(const char &c) { LONG_C_NAME(); (void)c; }\n"
	"}\n"
	"typedef std::map<std::string, std::vector<std::pair<std::string, std::wstring> > > Deep;\n"
	"static void *worker(void *) { char c = 0; gzt::worker_leaf(c); return 0; }\n"
	"int main() { pthread_t t; pthread_create(&t, 0, worker, 0); gzt::Box<Deep> b; b.wait(3); return 0; }\n";

/* Builds src (file name and compiler command given), runs it, opens its
 * mapped files through map_files (as the handler does) or by path,
 * gcore's it, kills it. */
static void make_sample_of(struct sample *s, const char *src, const char *file, const char *cc)
{
	char cmd[1024], path[256];
	const char *why = gcore_unavailable();
	if (why)
		cr_skip_test("%s", why);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd '%s' && %s -O1 -fno-omit-frame-pointer -o prog %s -pthread", dir, cc, file);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(path, sizeof(path), "%s/prog", dir);
	child = s->pid = fork();
	cr_assert_geq(s->pid, 0);
	if (s->pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300 && threads_of(s->pid) < 2; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL); /* into pause() */

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)s->pid);
	size_t mlen;
	unsigned char *maps = read_all(path, &mlen);
	cr_assert_eq(gzc_modules_from_maps((char *)maps, mlen, &s->mods, &s->nmods), 0);
	free(maps);
	cr_assert_gt(s->nmods, 2);
	s->smods = calloc(s->nmods, sizeof(*s->smods));
	for (size_t i = 0; i < s->nmods; i++) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)s->pid,
			 (unsigned long long)s->mods[i].start, (unsigned long long)s->mods[i].end);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) /* map_files needs CAP_SYS_ADMIN */
			fd = open(s->mods[i].path, O_RDONLY | O_CLOEXEC);
		s->smods[i] = (struct gzc_stack_module){ s->mods[i].start, s->mods[i].path, fd };
	}

	snprintf(cmd, sizeof(cmd), "gcore -o '%s/core' %d >'%s/gcore.log' 2>&1", dir, (int)s->pid, dir);
	int rc = system(cmd);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	child = 0;
	snprintf(path, sizeof(path), "%s/core.%d", dir, (int)s->pid);
	if (rc != 0 || access(path, R_OK) != 0) {
		snprintf(path, sizeof(path), "%s/gcore.log", dir);
		gcore_failed(path);
	}
	s->core = read_all(path, &s->len);
}

static void make_sample(struct sample *s)
{
	make_sample_of(s, program, "p.c", "gcc");
}

static void free_sample(struct sample *s)
{
	for (size_t i = 0; i < s->nmods; i++)
		if (s->smods[i].fd >= 0)
			close(s->smods[i].fd);
	free(s->smods);
	gzc_modules_free(s->mods, s->nmods);
	free(s->core);
}

static bool has_symbol(const struct gzc_stack_thread *t, const char *name, size_t *at)
{
	for (size_t k = 0; k < t->nframes; k++)
		if (t->frames[k].symbol && strcmp(t->frames[k].symbol, name) == 0) {
			if (at)
				*at = k;
			return true;
		}
	return false;
}

static char *dump(const struct gzc_stack *st)
{
	char *t = gzc_stack_format(st, 0, 2);
	return t ? t : strdup("(out of memory)");
}

Test(stack, real_core_two_threads, .init = setup, .fini = teardown, .timeout = 120)
{
	struct sample s = { 0 };
	make_sample(&s);
	struct mem m = { s.core, s.len, 0 };
	struct gzc_coreinfo *info = NULL;
	cr_assert_eq(gzc_corenote_read(mem_read, &m, s.len, &info), 0);
	cr_assert_eq(info->nthreads, 2);
	cr_assert_gt(info->nloads, 0);

	struct gzc_stack st = { 0 };
	int r = gzc_stack_unwind(info, mem_read, &m, s.smods, s.nmods, 10000, &st);
	char *text = dump(&st);
	cr_assert_eq(r, 0, "%d: %s", r, text);
	cr_assert_null(st.error);
	cr_assert_eq(st.nthreads, 2, "%s", text);
	/* the main thread first, as in the core; each tid is the thread's */
	cr_assert_eq(st.threads[0].tid, s.pid, "%s", text);
	cr_assert_neq(st.threads[1].tid, s.pid, "%s", text);
	size_t leaf, mid, main_at;
	cr_assert(has_symbol(&st.threads[0], "main_leaf", &leaf), "%s", text);
	cr_assert(has_symbol(&st.threads[0], "main_mid", &mid), "%s", text);
	cr_assert(has_symbol(&st.threads[0], "main", &main_at), "%s", text);
	cr_assert(leaf < mid && mid < main_at, "%s", text);
	cr_assert(has_symbol(&st.threads[1], "worker_leaf", NULL), "%s", text);
	/* frame 0 is in libc (pause), named by its file */
	const struct gzc_stack_frame *f0 = &st.threads[0].frames[0];
	cr_assert_not_null(f0->module, "%s", text);
	cr_assert_not_null(strstr(f0->module, "libc"), "%s", text);
	/* main_leaf's frame names the program and an offset inside it */
	const struct gzc_stack_frame *fl = &st.threads[0].frames[leaf];
	cr_assert_not_null(fl->module);
	cr_assert_not_null(strstr(fl->module, "/prog"), "%s", fl->module);
	cr_assert_lt(fl->module_offset, 1u << 20);
	cr_assert_lt(fl->symbol_offset, 256);
	cr_assert_not_null(strstr(text, "Stack trace of thread "), "%s", text);
	cr_assert_not_null(strstr(text, " main_leaf (prog + 0x"), "%s", text);
	free(text);
	/* at most one thread in the text */
	text = gzc_stack_format(&st, 1, 0);
	cr_assert_not_null(strstr(text, "(1 more threads)"), "%s", text);
	free(text);
	gzc_stack_keep(&st, 5);
	cr_assert_eq(st.nthreads, 2, "more than it has: all kept");
	gzc_stack_keep(&st, 1);
	cr_assert_eq(st.nthreads, 1, "the crashing thread's alone");
	cr_assert_eq(st.threads[0].tid, s.pid);
	gzc_stack_clear(&st);
	cr_assert_null(st.threads);

	/* a spent budget: the first thread says so, nothing crashes */
	r = gzc_stack_unwind(info, mem_read, &m, s.smods, s.nmods, 0, &st);
	cr_assert_eq(r, 0);
	cr_assert_geq(st.nthreads, 1);
	cr_assert_not_null(st.threads[0].error);
	cr_assert_not_null(strstr(st.threads[0].error, "time budget"), "%s", st.threads[0].error);
	gzc_stack_clear(&st);

	/* no usable file: -ENODATA, in words */
	struct gzc_stack_module none = { s.smods[0].start, s.smods[0].path, -1 };
	r = gzc_stack_unwind(info, mem_read, &m, &none, 1, 1000, &st);
	cr_assert_eq(r, -ENODATA);
	cr_assert_not_null(st.error);
	gzc_stack_clear(&st);

	/* registers pointing nowhere: one frame, an error, no crash */
	struct gzc_coreinfo bad = *info;
	struct gzc_core_thread t = info->threads[0];
	for (unsigned i = 0; i < t.nregs; i++)
		t.regs[i] = 0xdead0000beef0000ull + i;
	bad.threads = &t;
	bad.nthreads = 1;
	r = gzc_stack_unwind(&bad, mem_read, &m, s.smods, s.nmods, 1000, &st);
	cr_assert_eq(r, 0);
	cr_assert_eq(st.nthreads, 1);
	cr_assert_leq(st.threads[0].nframes, 1);
	cr_assert_null(st.threads[0].frames ? st.threads[0].frames[0].symbol : NULL);
	gzc_stack_clear(&st);

	/* another architecture */
	bad = *info;
	bad.machine = 183; /* aarch64 */
	cr_assert_eq(gzc_stack_unwind(&bad, mem_read, &m, s.smods, s.nmods, 1000, &st), -ENOTSUP);
	cr_assert_not_null(st.error);
	gzc_stack_clear(&st);

	/* no thread */
	bad = *info;
	bad.nthreads = 0;
	cr_assert_eq(gzc_stack_unwind(&bad, mem_read, &m, s.smods, s.nmods, 1000, &st), -ENODATA);
	gzc_stack_clear(&st);

	/* the stacks not in the core (segments dropped): frame 0 only, from
	 * the registers, still named */
	bad = *info;
	bad.nloads = 0;
	r = gzc_stack_unwind(&bad, mem_read, &m, s.smods, s.nmods, 1000, &st);
	cr_assert_eq(r, 0);
	cr_assert_eq(st.nthreads, 2);
	cr_assert_leq(st.threads[0].nframes, 2);
	gzc_stack_clear(&st);

	/* the core's data cut short after its headers: reads fail, no crash,
	 * no frame past the registers' */
	struct mem cut = { s.core, 64 * 1024, 0 };
	r = gzc_stack_unwind(info, mem_read, &cut, s.smods, s.nmods, 1000, &st);
	cr_assert_eq(r, 0);
	cr_assert_leq(st.threads[0].nframes, 2);
	gzc_stack_clear(&st);

	gzc_coreinfo_free(info);
	free_sample(&s);
}

/* Later, with the files found on the machine by their build-ids: from the
 * core's own NT_FILE, or from a sidecar's modules; a file of another build
 * is left out. */
Test(stack, later_with_the_files_of_the_same_build, .init = setup, .fini = teardown, .timeout = 120)
{
	struct sample s = { 0 };
	make_sample(&s);
	struct mem m = { s.core, s.len, 0 };
	struct gzc_stack st = { 0 };
	size_t found = 0, known = 0;
	int r = gzc_stack_unwind_later(mem_read, &m, s.len, NULL, 0, 10000, &st, &found, &known);
	char *text = dump(&st);
	cr_assert_eq(r, 0, "%d: %s", r, text);
	cr_assert_geq(known, 3, "prog, libc, ld.so: %zu", known);
	cr_assert_eq(found, known, "%zu of %zu", found, known);
	cr_assert(has_symbol(&st.threads[0], "main_mid", NULL), "%s", text);
	cr_assert(has_symbol(&st.threads[1], "worker_leaf", NULL), "%s", text);
	free(text);
	gzc_stack_clear(&st);

	/* the sidecar's modules: the same, by their build-ids */
	for (size_t i = 0; i < s.nmods; i++) {
		struct gzc_elfid *id = NULL;
		if (s.smods[i].fd >= 0 && gzc_elfid_read(s.smods[i].fd, NULL, &id) == 0 && id->build_id)
			s.mods[i].build_id = strdup(id->build_id);
		gzc_elfid_free(id);
	}
	r = gzc_stack_unwind_later(mem_read, &m, s.len, s.mods, s.nmods, 10000, &st, &found, &known);
	text = dump(&st);
	cr_assert_eq(r, 0, "%d: %s", r, text);
	cr_assert_eq(found, known);
	cr_assert(has_symbol(&st.threads[0], "main_mid", NULL), "%s", text);
	free(text);
	gzc_stack_clear(&st);

	/* the program rebuilt since (another build-id): its frames are not
	 * named after whatever the new file has at those addresses */
	size_t prog = 0;
	while (prog < s.nmods && !strstr(s.mods[prog].path, "/prog"))
		prog++;
	cr_assert_lt(prog, s.nmods);
	free(s.mods[prog].build_id);
	s.mods[prog].build_id = strdup("00112233445566778899");
	r = gzc_stack_unwind_later(mem_read, &m, s.len, s.mods, s.nmods, 10000, &st, &found, &known);
	text = dump(&st);
	cr_assert_eq(r, 0, "%d: %s", r, text);
	cr_assert_eq(found + 1, known);
	cr_assert_not(has_symbol(&st.threads[0], "main_mid", NULL), "%s", text);
	cr_assert_null(strstr(text, "prog +"), "%s", text);
	free(text);
	gzc_stack_clear(&st);

	/* nothing known: -ENODATA, said in words */
	for (size_t i = 0; i < s.nmods; i++) {
		free(s.mods[i].build_id);
		s.mods[i].build_id = NULL;
	}
	cr_assert_eq(gzc_stack_unwind_later(mem_read, &m, s.len, s.mods, s.nmods, 10000, &st, &found, &known), -ENODATA);
	cr_assert_eq(known, 0);
	cr_assert_not_null(st.error);
	gzc_stack_clear(&st);
	free_sample(&s);
}

/* The thread has a frame whose symbol starts with prefix, cut to
 * GZC_STACK_SYMBOL_MAX bytes ending in "...". */
static void assert_cut_symbol(const struct gzc_stack_thread *t, const char *prefix, const char *text)
{
	const char *name = NULL;
	for (size_t k = 0; k < t->nframes; k++)
		if (t->frames[k].symbol && strncmp(t->frames[k].symbol, prefix, strlen(prefix)) == 0)
			name = t->frames[k].symbol;
	cr_assert_not_null(name, "no %s...: %s", prefix, text);
	cr_assert_eq(strlen(name), GZC_STACK_SYMBOL_MAX, "%s", name);
	cr_assert_str_eq(name + GZC_STACK_SYMBOL_MAX - 3, "...");
}

/* C++ names are demangled, as gdb shows them. */
Test(stack, cxx_names_demangled, .init = setup, .fini = teardown, .timeout = 120)
{
	if (system("command -v g++ >/dev/null 2>&1") != 0)
		cr_skip_test("g++ not installed");
	struct sample s = { 0 };
	make_sample_of(&s, program_cxx, "p.cc", "g++");
	struct mem m = { s.core, s.len, 0 };
	struct gzc_coreinfo *info = NULL;
	cr_assert_eq(gzc_corenote_read(mem_read, &m, s.len, &info), 0);
	struct gzc_stack st = { 0 };
	int r = gzc_stack_unwind(info, mem_read, &m, s.smods, s.nmods, 10000, &st);
	char *text = dump(&st);
	cr_assert_eq(r, 0, "%d: %s", r, text);
	cr_assert_eq(st.nthreads, 2, "%s", text);
	cr_assert(has_symbol(&st.threads[0], "main", NULL), "%s", text);
	cr_assert(has_symbol(&st.threads[1], "gzt::worker_leaf(char const&)", NULL), "%s", text);
	/* not a valid mangled name, and 333 bytes long: kept as it is, cut */
	assert_cut_symbol(&st.threads[1], "_Zbogus_wait_xxxx", text);
	/* a demangled name too long: cut the same way */
	assert_cut_symbol(&st.threads[0], "gzt::Box<std::map<", text);
	cr_assert_null(strstr(text, " _ZN"), "nothing left mangled: %s", text);
	free(text);
	gzc_stack_clear(&st);
	gzc_coreinfo_free(info);
	free_sample(&s);
}

Test(stack, clear_accepts_empty_and_null)
{
	struct gzc_stack st = { 0 };
	gzc_stack_clear(&st);
	gzc_stack_clear(NULL);
	char *t = gzc_stack_format(&st, 0, 0);
	cr_assert_not_null(t);
	cr_assert_str_eq(t, "");
	free(t);
	/* a newline in a name cannot make a frame line of its own */
	struct gzc_stack_frame fr = { .pc = 0x10, .symbol = "f\n#1  0x0000000000000000 forged", .module = "/x/a\rb.so" };
	struct gzc_stack_thread th = { .tid = 7, .frames = &fr, .nframes = 1 };
	st.threads = &th;
	st.nthreads = 1;
	t = gzc_stack_format(&st, 0, 0);
	cr_assert_str_eq(t, "Stack trace of thread 7:\n#0  0x0000000000000010 f?#1  0x0000000000000000 forged (a?b.so + 0x0)\n");
	free(t);
}

/* A thread of frames given as "module symbol" (symbol "-": none). */
static struct gzc_stack_frame *frames_of(const char *const *spec, size_t n, uint64_t pc_base)
{
	struct gzc_stack_frame *f = calloc(n, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		char mod[64], sym[64];
		cr_assert_eq(sscanf(spec[i], "%63s %63s", mod, sym), 2);
		f[i].pc = pc_base + 0x100 * i;
		char *sp = strstr(mod, "%20"); /* a space in a module's name */
		if (sp) {
			*sp = ' ';
			memmove(sp + 1, sp + 3, strlen(sp + 3) + 1);
		}
		f[i].module = strcmp(mod, "-") ? strdup(mod) : NULL;
		f[i].symbol = strcmp(sym, "-") ? strdup(sym) : NULL;
		f[i].module_offset = 0x1000 + 0x10 * i + (pc_base >> 32); /* (a high base: another offset) */
		f[i].symbol_offset = 4;
	}
	return f;
}

static int sig_of(const char *const *spec, size_t n, uint64_t pc_base, int64_t signal, char *out)
{
	struct gzc_stack_thread *t = calloc(1, sizeof(*t));
	t->frames = frames_of(spec, n, pc_base);
	t->nframes = n;
	struct gzc_stack st = { .threads = t, .nthreads = 1 };
	int r = gzc_stack_signature(&st, signal, out);
	gzc_stack_clear(&st);
	return r;
}

Test(stack, signature_groups_the_same_crash)
{
	char a[GZC_STACK_SIGNATURE_LEN + 1], b[GZC_STACK_SIGNATURE_LEN + 1];
	static const char *const segv[] = { "/usr/bin/app parse", "/usr/bin/app load", "/usr/bin/app main",
					    "/lib/x86_64-linux-gnu/libc.so.6 __libc_start_call_main" };
	cr_assert_eq(sig_of(segv, 4, 0x400000, 11, a), 0);
	cr_assert_eq(strlen(a), GZC_STACK_SIGNATURE_LEN);
	cr_assert_eq(a[strspn(a, "0123456789abcdef")], '\0', "%s", a);
	/* another run: other addresses (ASLR), another directory: the same */
	static const char *const moved[] = { "/opt/app parse", "/opt/app load", "/opt/app main",
					     "/usr/lib/libc.so.6 __libc_start_call_main" };
	cr_assert_eq(sig_of(moved, 4, 0x7f0000000000ull, 11, b), 0);
	cr_assert_str_eq(a, b);
	/* the program replaced while it ran (maps says "(deleted)"): the same */
	static const char *const replaced[] = { "/usr/bin/app%20(deleted) parse", "/usr/bin/app%20(deleted) load",
						"/usr/bin/app%20(deleted) main",
						"/lib/x86_64-linux-gnu/libc.so.6 __libc_start_call_main" };
	cr_assert_eq(sig_of(replaced, 4, 0x400000, 11, b), 0);
	cr_assert_str_eq(a, b);
	/* another signal, another function: not the same */
	cr_assert_eq(sig_of(segv, 4, 0x400000, 7, b), 0);
	cr_assert_str_neq(a, b);
	static const char *const other[] = { "/usr/bin/app parse", "/usr/bin/app save", "/usr/bin/app main",
					     "/lib/x86_64-linux-gnu/libc.so.6 __libc_start_call_main" };
	cr_assert_eq(sig_of(other, 4, 0x400000, 11, b), 0);
	cr_assert_str_neq(a, b);
	/* the C library's frames on top (abort) are left out: an abort in
	 * parse() groups with another abort in parse(), not with every abort */
	static const char *const abrt1[] = { "/lib/libc.so.6 __pthread_kill_implementation", "/lib/libc.so.6 raise",
					     "/lib/libc.so.6 abort", "/usr/bin/app parse", "/usr/bin/app main" };
	static const char *const abrt2[] = { "/lib/libc.so.6 abort", "/usr/bin/app parse", "/usr/bin/app main" };
	static const char *const abrt3[] = { "/lib/libc.so.6 __pthread_kill_implementation", "/lib/libc.so.6 raise",
					     "/lib/libc.so.6 abort", "/usr/bin/app save", "/usr/bin/app main" };
	cr_assert_eq(sig_of(abrt1, 5, 0x400000, 6, a), 0);
	cr_assert_eq(sig_of(abrt2, 3, 0x400000, 6, b), 0);
	cr_assert_str_eq(a, b);
	cr_assert_eq(sig_of(abrt3, 5, 0x400000, 6, b), 0);
	cr_assert_str_neq(a, b);
	/* all in the C library: kept */
	static const char *const libc[] = { "/lib/libc.so.6 raise", "/lib/libc.so.6 abort" };
	static const char *const libc2[] = { "/lib/libc.so.6 raise", "/lib/libc.so.6 exit" };
	cr_assert_eq(sig_of(libc, 2, 0x400000, 6, a), 0);
	cr_assert_eq(sig_of(libc2, 2, 0x400000, 6, b), 0);
	cr_assert_str_neq(a, b);
	/* only the innermost GZC_STACK_SIGNATURE_FRAMES count */
	static const char *const deep1[] = { "/a f1", "/a f2", "/a f3", "/a f4", "/a f5", "/a f6" };
	static const char *const deep2[] = { "/a f1", "/a f2", "/a f3", "/a f4", "/a f5", "/a g6", "/a g7" };
	cr_assert_eq(sig_of(deep1, 6, 0x400000, 11, a), 0);
	cr_assert_eq(sig_of(deep2, 7, 0x400000, 11, b), 0);
	cr_assert_str_eq(a, b);
	/* no symbol: the offset in the file tells frames apart */
	static const char *const nosym[] = { "/usr/bin/app -", "/usr/bin/app main" };
	static const char *const nosym2[] = { "/usr/bin/app main", "/usr/bin/app -" };
	cr_assert_eq(sig_of(nosym, 2, 0x400000, 11, a), 0);
	cr_assert_eq(sig_of(nosym2, 2, 0x400000, 11, b), 0);
	cr_assert_str_neq(a, b);
	cr_assert_eq(sig_of(nosym, 2, 0x100000000ull, 11, b), 0); /* the same frames, frame 0 one byte on */
	cr_assert_str_neq(a, b);
	static const char *const named[] = { "/usr/bin/app f", "/usr/bin/app main" };
	cr_assert_eq(sig_of(named, 2, 0x400000, 11, a), 0); /* named: offsets do not count */
	cr_assert_eq(sig_of(named, 2, 0x100000000ull, 11, b), 0);
	cr_assert_str_eq(a, b);
	/* the exact text hashed (docs/FORMAT.md), FNV-1a over it */
	const char *text = "gzcore-signature-1 11\napp f\napp main\n";
	char want[GZC_STACK_SIGNATURE_LEN + 1];
	snprintf(want, sizeof(want), "%016llx",
		 (unsigned long long)gzc_fnv1a(GZC_FNV1A_INIT, text, strlen(text)));
	cr_assert_str_eq(a, want);
	/* nothing known of any frame, no frame, no thread: -ENODATA, "" */
	static const char *const unknown[] = { "- -", "- -" };
	cr_assert_eq(sig_of(unknown, 2, 0x400000, 11, a), -ENODATA);
	cr_assert_str_eq(a, "");
	cr_assert_eq(sig_of(unknown, 0, 0x400000, 11, a), -ENODATA);
	struct gzc_stack none = { 0 };
	cr_assert_eq(gzc_stack_signature(&none, 11, a), -ENODATA);
	cr_assert_eq(gzc_stack_signature(NULL, 11, a), -ENODATA);
	/* what a sidecar's text must be to count as one */
	cr_assert(gzc_stack_signature_valid("0123456789abcdef"));
	cr_assert_not(gzc_stack_signature_valid("0123456789ABCDEF"));
	cr_assert_not(gzc_stack_signature_valid("0123456789abcde"));
	cr_assert_not(gzc_stack_signature_valid("0123456789abcdef0"));
	cr_assert_not(gzc_stack_signature_valid("bogus"));
	cr_assert_not(gzc_stack_signature_valid(NULL));
}

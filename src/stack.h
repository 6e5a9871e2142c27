/*
 * stack.h — the stack trace of every thread of a core, symbolized, as
 * systemd-coredump logs one, taken when the core is stored (so that it
 * still names the right functions after the program is upgraded).
 *
 * The core is read through a callback (for a stored core: our reader, so
 * only the spans holding the threads' stacks are decompressed). The
 * threads and their registers come from the core's NT_PRSTATUS notes
 * (corenote.h); the unwinding (CFI from .eh_frame or .debug_frame) and the
 * symbols (.symtab, .dynsym, or separate debug info under /usr/lib/debug)
 * come from the mapped ELF files the caller hands over as open file
 * descriptors, with libdwfl (elfutils). x86-64 cores only: another
 * architecture is -ENOTSUP.
 *
 * Everything is bounded: GZC_STACK_THREADS_MAX threads (the one that
 * crashed first, as the kernel dumps it), GZC_STACK_FRAMES_MAX frames each,
 * GZC_STACK_SYMBOL_MAX bytes of a symbol's name, and a time budget. The
 * core is untrusted: its registers and stack only steer which addresses
 * are read through the callback, each checked against the core's segments.
 * The ELF files are untrusted too, and worse: their owner may change them
 * while libelf maps them (a file cut short raises SIGBUS), and their debug
 * links name files that are opened (a FIFO blocks). A caller that must
 * survive that runs this in a child process it can kill (the handler:
 * handler/sandbox.c). Files of another architecture are left out.
 */
#ifndef GZC_STACK_H
#define GZC_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corenote.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_STACK_THREADS_MAX 64
#define GZC_STACK_FRAMES_MAX 64
#define GZC_STACK_SYMBOL_MAX 256 /* bytes of a symbol's name kept */
#define GZC_STACK_FILES_MAX 256  /* mapped files opened for one core */
#define GZC_STACK_MANGLED_MAX 4096 /* bytes of a C++ name demangled at most */

/* A mapped ELF file of the process, given by the caller (not consumed). */
struct gzc_stack_module {
	uint64_t start;   /* the address where its file offset 0 is mapped */
	const char *path; /* the name frames show (modules.h: as maps gives it) */
	int fd;           /* the file, open for reading; < 0: not available */
};

/* Every string is owned by the struct (gzc_stack_clear); NULL means absent. */
struct gzc_stack_frame {
	uint64_t pc;            /* the frame's program counter */
	char *symbol;           /* the function's name (C++ demangled), or NULL */
	uint64_t symbol_offset; /* pc - the symbol's address */
	char *module;           /* the path of the file mapped at pc, or NULL */
	uint64_t module_offset; /* pc - the address its offset 0 is mapped at */
};

struct gzc_stack_thread {
	int64_t tid;                    /* -1 if not known */
	struct gzc_stack_frame *frames; /* innermost first */
	size_t nframes;
	char *error;                    /* why unwinding stopped early, or NULL */
};

struct gzc_stack {
	struct gzc_stack_thread *threads; /* the thread that crashed first */
	size_t nthreads;
	char *error; /* why there is no trace at all (see gzc_stack_unwind), or NULL */
};

/* Unwinds every thread of the core that info describes (parsed with
 * gzc_corenote_read() through the same read/ctx) into *ret, which the
 * caller initialised to zeros and frees with gzc_stack_clear() (also on
 * failure: ret->error then says why in words). Stops after budget_ms
 * milliseconds: the threads not reached are left out, the one being
 * unwound says so in its error. The module fds are duplicated, never
 * closed. A thread whose unwinding fails early keeps the frames found and
 * says why in its error. Reads separate debug information only from the
 * local file system (never debuginfod).
 * Errors: -ENOTSUP (not an x86-64 core), -ENODATA (no thread with
 * registers, or no module could be read), -EIO (libdwfl refused the
 * process), -ENOMEM. */
GZC_MUST_CHECK int gzc_stack_unwind(const struct gzc_coreinfo *info, gzc_core_read_fn read, void *ctx,
				    const struct gzc_stack_module *mods, size_t nmods, unsigned budget_ms,
				    struct gzc_stack *ret);

/* Unwinds a core later than its crash (one stored without stack traces,
 * or not by the handler): as gzc_stack_unwind(), with the files of this
 * machine that are, by their GNU build-id, the very builds the process had
 * mapped. Which were mapped where comes from mods (a sidecar's modules, as
 * maps listed them) when given, else from the core's NT_FILE with each
 * build-id read from the core's memory (gzc_core_image_build_id). A file
 * whose build-id is not known, differs or cannot be read is left out (its
 * symbols would name the wrong functions), as is a path maps marked
 * " (deleted)"; at most GZC_STACK_FILES_MAX are opened, for reading,
 * non-blocking, regular files only. *ret_found and *ret_known (may be
 * NULL) get how many files were used, and how many had a build-id to look
 * for. Errors: those of gzc_corenote_read() and gzc_stack_unwind(). */
struct gzc_module;
GZC_MUST_CHECK int gzc_stack_unwind_later(gzc_core_read_fn read, void *ctx, uint64_t size,
					  const struct gzc_module *mods, size_t nmods, unsigned budget_ms,
					  struct gzc_stack *ret, size_t *ret_found, size_t *ret_known);

/* Writes the trace as text, coredumpctl's layout, at most max_threads
 * threads (0: all), each line indented by indent spaces:
 *   Stack trace of thread 1234:
 *   #0  0x00007f0a1c2a2e2c raise (libc.so.6 + 0x3d0ed)
 * Names are the raw bytes of the symbols and of the files' base names,
 * but for control bytes, written as '?' (a name cannot start a line).
 * Returns the text (caller frees) or NULL when out of memory. */
char *gzc_stack_format(const struct gzc_stack *s, size_t max_threads, unsigned indent);

/* A crash's signature: equal for crashes that are likely one bug, as
 * ABRT's duplicate hash and apport's crash signature are. It is a hash of
 * the signal and of the crashing thread's (threads[0]) innermost
 * GZC_STACK_SIGNATURE_FRAMES frames, each by its file's base name and its
 * function's name (or its offset in the file, where no name is known),
 * after leaving out the frames on top in the C library, the dynamic
 * loader and the C++ runtime (raise, abort, std::terminate: the same for
 * every crash that ends there) while frames of the program follow. Not
 * addresses: it holds across runs and address-space layouts. It groups,
 * it does not authenticate: 64 bits of FNV-1a, which anyone can collide.
 * Writes GZC_STACK_SIGNATURE_LEN hex digits and a NUL to out.
 * Errors: -ENODATA (no frame of the crashing thread, or none with a file
 * or a name known); out is then "". */
#define GZC_STACK_SIGNATURE_LEN 16
#define GZC_STACK_SIGNATURE_FRAMES 5
int gzc_stack_signature(const struct gzc_stack *s, int64_t signal, char out[GZC_STACK_SIGNATURE_LEN + 1]);

/* Is s (may be NULL) a signature as gzc_stack_signature() writes them:
 * GZC_STACK_SIGNATURE_LEN lower-case hex digits? (A sidecar's is untrusted.) */
bool gzc_stack_signature_valid(const char *s);

/* Keeps the first n threads (the crashing one first), freeing the others. */
void gzc_stack_keep(struct gzc_stack *s, size_t n);

/* Frees what the struct owns and zeroes it. Accepts NULL. */
void gzc_stack_clear(struct gzc_stack *s);

#endif

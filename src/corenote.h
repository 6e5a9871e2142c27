/*
 * corenote.h — the identity of a foreign core file (an ELF ET_CORE that came
 * without a gzcore metadata sidecar), so the FUSE view can group it.
 *
 * The core is read through a callback (it is usually compressed and read
 * through our reader), so the ELF is parsed here by hand, not with libelf:
 * ELF header, program headers (PN_XNUM extended count supported), PT_NOTE
 * segments, for ELFCLASS32/64 and either byte order. From the notes:
 *
 *   NT_PRPSINFO  pr_fname (comm, 16 bytes) and pr_psargs (80 bytes); both are
 *                the last 96 bytes of the note in every Linux layout
 *                (64-bit: 136 bytes, 32-bit: 124 or 128), so any size from
 *                GZC_CORE_PRPSINFO_MIN to GZC_CORE_PRPSINFO_MAX is accepted;
 *                in the 64-bit layout (ELFCLASS64, 136 bytes) pr_uid and
 *                pr_gid are 32 bits at offsets 16 and 20 (32-bit layouts
 *                differ by architecture: not read);
 *   NT_FILE      the mapped files; the executable is the file mapped at the
 *                address of AT_PHDR (from NT_AUXV) if known, else the first
 *                entry; counts, sizes and strings are validated strictly;
 *   NT_PRSTATUS  pr_cursig of the first thread (the one that dumped), else
 *   NT_SIGINFO   si_signo; and of every thread (up to GZC_CORE_THREADS_MAX,
 *                64-bit cores only) pr_pid and the general registers pr_reg,
 *                for unwinding (stack.h).
 * The PT_LOAD segments are kept too (those whose bytes lie in the file), so
 * that a caller can read the dumped memory.
 *
 * Then, best effort, the executable's GNU build-id from the core's memory
 * image: the PT_LOAD holding the exe's first page (the NT_FILE entry at file
 * offset 0; the kernel dumps it by default, coredump_filter bit 4) gives the
 * exe's ELF header and program headers, its PT_NOTE gives NT_GNU_BUILD_ID.
 * If any of those bytes were not dumped there is simply no build-id.
 *
 * Everything is bounded: GZC_CORE_PHNUM_MAX program headers, GZC_CORE_NOTES_MAX
 * bytes of notes, GZC_CORE_EXE_NOTES_MAX bytes of the exe's notes.
 * No state, thread safe if the callback is.
 */
#ifndef GZC_CORENOTE_H
#define GZC_CORENOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_CORE_PHNUM_MAX 65536
#define GZC_CORE_NOTES_MAX (4 * 1024 * 1024)
#define GZC_CORE_EXE_NOTES_MAX (64 * 1024)
#define GZC_CORE_EXE_PHNUM_MAX 1024
#define GZC_CORE_PATH_MAX 4096	/* longest NT_FILE path accepted */
#define GZC_CORE_BUILD_ID_MAX 64	/* bytes */
#define GZC_CORE_COMM_LEN 16	/* pr_fname */
#define GZC_CORE_PSARGS_LEN 80	/* pr_psargs */
#define GZC_CORE_PRPSINFO_MIN (GZC_CORE_COMM_LEN + GZC_CORE_PSARGS_LEN + 4)
#define GZC_CORE_PRPSINFO_MAX 1024
#define GZC_CORE_THREADS_MAX 1024	/* threads whose registers are kept */
#define GZC_CORE_FILES_MAX 1024		/* mapped files listed */
#define GZC_CORE_REGS_MAX 48		/* 64-bit words of pr_reg kept per thread */
#define GZC_CORE_PRSTATUS_REG_OFF64 112	/* pr_reg in a 64-bit struct elf_prstatus */

/* Reads up to len bytes at off into buf. Returns the number of bytes read
 * (> 0; 0 means end of data) or a negative errno. Short reads are retried. */
typedef int (*gzc_core_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* A thread of the core, from its NT_PRSTATUS. */
struct gzc_core_thread {
	int tid;			  /* pr_pid, 0 if out of range */
	unsigned nregs;			  /* words in regs (0: the note was too short) */
	uint64_t regs[GZC_CORE_REGS_MAX]; /* pr_reg, in the core's byte order decoded */
};

/* A PT_LOAD segment whose file bytes lie inside the core. */
struct gzc_core_load {
	uint64_t vaddr, off, filesz;
};

/* A file the process had mapped from its offset 0 (NT_FILE). */
struct gzc_core_file {
	uint64_t start; /* the lowest address its offset 0 is mapped at */
	char *path;	/* as the kernel wrote it (raw bytes) */
};

/* All strings NUL-terminated, owned by the struct, freed by gzc_coreinfo_free().
 * Strings are raw bytes from the core (no NUL inside, otherwise arbitrary):
 * escape them (names.h) before using them as file names. */
struct gzc_coreinfo {
	char *exe;			  /* executable path from NT_FILE, or NULL */
	char comm[GZC_CORE_COMM_LEN + 1]; /* pr_fname, "" if no NT_PRPSINFO */
	char *psargs;			  /* pr_psargs, or NULL */
	char *build_id;			  /* exe's GNU build-id, lowercase hex, or NULL */
	int signal;			  /* 1..127, or 0 if unknown */
	int pid;			  /* pr_pid of the first NT_PRSTATUS, 0 if unknown */
	int64_t uid, gid;		  /* pr_uid, pr_gid of a 64-bit NT_PRPSINFO, -1 if unknown */
	bool is64, big_endian;
	uint16_t machine;		  /* e_machine */
	struct gzc_core_thread *threads;  /* the first thread dumped; NULL if none */
	size_t nthreads;
	struct gzc_core_load *loads;	  /* in program header order; NULL if none */
	size_t nloads;
	struct gzc_core_file *files;	  /* NT_FILE's files at offset 0, each path once
					   * (at most GZC_CORE_FILES_MAX); NULL if none */
	size_t nfiles;
	uint64_t page_size;		  /* NT_FILE's, 0 if none */
	/* Problems that did not stop the read: 0, -EBADMSG (a malformed note
	 * or note segment outside the file) or -E2BIG (a cap was hit). */
	int note_err;
};

/* Parses the core of the given total size through read(ctx, ...).
 * Errors: -EINVAL (read or ret NULL), -ENOEXEC (not ELF, or ELF but not
 * ET_CORE), -EBADMSG (corrupt ELF header or program header table, or the
 * data ends before size), -E2BIG (more than GZC_CORE_PHNUM_MAX program
 * headers), -ENOMEM, -EIO (callback returned more than asked), or any error
 * the callback returned. *ret untouched on failure; on success the caller
 * owns *ret and frees it with gzc_coreinfo_free(). */
GZC_MUST_CHECK int gzc_corenote_read(gzc_core_read_fn read, void *ctx, uint64_t size, struct gzc_coreinfo **ret);

/* The same over a whole core of len bytes in memory. */
GZC_MUST_CHECK int gzc_corenote_read_mem(const void *core, size_t len, struct gzc_coreinfo **ret);

/* Reads [vaddr, vaddr+len) of the process's memory as the core dumped it,
 * through read(ctx, ...), the callback info was parsed with.
 * Returns 1 (read), 0 (not in the core: never mapped, or not dumped) or
 * the callback's negative errno (-EBADMSG if the core ends early). */
GZC_MUST_CHECK int gzc_core_read_mem(const struct gzc_coreinfo *info, gzc_core_read_fn read, void *ctx,
				     uint64_t vaddr, void *buf, size_t len);

/* The GNU build-id of the ELF image mapped at start (its file offset 0,
 * e.g. a gzc_core_file's), from the core's memory: its ELF header, program
 * headers and PT_NOTE, if dumped (the kernel dumps an ELF file's first page
 * by default). *ret: lowercase hex, caller frees; NULL when not in the
 * core. Bounded as the executable's (GZC_CORE_EXE_*). Returns 0, -ENOMEM
 * or the callback's error. */
GZC_MUST_CHECK int gzc_core_image_build_id(const struct gzc_coreinfo *info, gzc_core_read_fn read, void *ctx,
					   uint64_t start, char **ret);

/* Frees what gzc_corenote_read() returned. Accepts NULL. */
void gzc_coreinfo_free(struct gzc_coreinfo *info);

/* Where an ELF core must end: the largest end of a program header's file
 * bytes (and of the header tables), read through read() from the first size
 * bytes of the core (its head is enough: the tables sit at its start).
 * Used to tell a core cut short (a pipe closed early) from a whole one.
 * Errors: -ENOEXEC (not an ELF core), -EBADMSG (bad headers), -ENODATA
 * (the tables lie beyond the head given: *ret_end is then set to where
 * they end, a least end for the core; for PN_XNUM cores, whose section
 * header 0 the kernel writes last, after the data, that is the core's
 * end), -ENOMEM, or the callback's error. *ret_end is untouched on other
 * errors. */
GZC_MUST_CHECK int gzc_core_extent(gzc_core_read_fn read, void *ctx, uint64_t size, uint64_t *ret_end);
/* The same over the core's first len bytes in memory. */
GZC_MUST_CHECK int gzc_core_extent_mem(const void *head, size_t len, uint64_t *ret_end);

#endif

/*
 * cli.h — shared pieces of the gzcoredump front end.
 *
 * main.c parses the command line and dispatches; each command lives in its
 * own file (codec.c: -c/-d compatible compress and decompress). Commands
 * return a process exit status; only this layer prints.
 */
#ifndef GZC_CLI_H
#define GZC_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "gzcore.h"

#define GZC_DEFAULT_STORE "/var/core"
/* Pipe size asked for on a piped stdin (fs.pipe-max-size allows 1 MiB). */
#define CLI_PIPE_SIZE (1 << 20)

/* Settings shared by the compressing commands. */
struct cli_codec {
	struct gzc_writer_opts w;
	const char *dir;      /* -p */
	const char *arg;      /* -a */
	const char *in;       /* -f */
	const char *out;      /* -o */
	int quiet;
};

/* Prints "gzcoredump: <fmt>\n" to stderr (and to syslog under the kernel). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line for what getopt_long (with opterr 0 and a ':' first in its
 * optstring) returned as opt, '?' or ':': an unknown option or one with
 * no value, named as given, for command cmd (NULL: the top level), with
 * hint after it ("" for none). */
void cli_bad_option(const char *cmd, int opt, char **argv, const char *hint);
/* Non-zero when running under the kernel's core_pattern pipe (log via syslog). */
extern int cli_syslog;

/* Work that may block for good (bounded.c): run(data) in a thread of its
 * own. cli_job_wait() waits until deadline_ms (cli_monotonic_ms() time)
 * and returns data, now the caller's, if run finished; else NULL, and the
 * job hands data to discard() whenever run ends (or never, if it never
 * does: the process exits around it). cli_job_start() returns NULL when no
 * thread can be made (data is still the caller's). Every started job must
 * be waited for exactly once (a deadline of 0 gives it up at once). */
struct cli_job;
struct cli_job *cli_job_start(void (*run)(void *data), void (*discard)(void *data), void *data);
void *cli_job_wait(struct cli_job *j, uint64_t deadline_ms);
uint64_t cli_monotonic_ms(void);

/* Runs fn(arg, st) in a child process (sandbox.c): in a session of its
 * own, standard fds on /dev/null, every other fd closed but the nkeep in
 * keep (those fn reads), with uid and gid as its ids when we are root
 * (-1: nobody; 0 stays root), no new privileges, not dumpable, no files
 * written, no processes made, at most 1 GiB more address space, killed
 * after budget_ms (and not waited for past a second more). fn fills st
 * (from files the child may read); it comes back into *ret (zeroed by the
 * caller; freed with gzc_stack_clear). Returns 0, or -ETIMEDOUT, -ECHILD
 * (the child failed or died: a file changed under libelf, say), -EBADMSG
 * (its output unreadable), -errno of pipe/fork, with why (cap bytes) set
 * to a sentence. */
struct gzc_stack;
int cli_sandbox_stack(int (*fn)(void *arg, struct gzc_stack *st), void *arg, const int *keep, size_t nkeep,
		      int64_t uid, int64_t gid, unsigned budget_ms, struct gzc_stack *ret, char *why, size_t cap);
/* Whether a job was given up on: its thread may still be blocked in the
 * kernel, so the process should end with _exit() (exit handlers, such as
 * a leak checker stopping every thread, would wait for it). */
bool cli_jobs_given_up(void);

struct gzc_config_error;
/* Says what is wrong with the config file path (r and err from
 * gzc_config_load), then what follows from it (then, e.g. "that line is
 * ignored"; may be NULL). */
void cli_config_error(const char *path, int r, const struct gzc_config_error *err, const char *then);

/* A copy of s safe for a terminal or a log line (s comes from a crashed
 * process or the store): control bytes (C0, DEL and the C1 range
 * U+0080-U+009F), bidirectional controls (U+061C, U+200E/F, U+202A-E,
 * U+2066-9), the backslash and bytes that are not valid UTF-8 become
 * \xNN; other valid UTF-8 text stays. Cut to fit cap (at least 6). */
void cli_printable(const char *s, char *buf, size_t cap);
/* Every line of text made printable as by cli_printable() (whole: no line
 * is cut), the first prefixed with first, the others with rest (empty lines
 * stay empty), each ending in a newline. Caller frees; NULL when out of
 * memory. */
char *cli_printable_lines(const char *text, const char *first, const char *rest);
/* As cli_printable(), or none (a constant) when s is NULL; returns what to print. */
const char *cli_printable_or(const char *s, const char *none, char *buf, size_t cap);
/* Prints JSON text made by json-c, then a newline, as valid UTF-8 JSON safe
 * for a terminal: DEL, C1 and bidirectional controls are \uXXXX escapes,
 * bytes that are not UTF-8 are U+FFFD. */
void cli_put_json(const char *text, FILE *f);

/* Parses "64K", "1M", "1048576" into bytes. Returns 0 or -EINVAL/-ERANGE. */
int cli_parse_size(const char *s, uint64_t *ret);

/* After the input's EOF: 1 if it is an ELF core whose headers promise more
 * bytes than arrived (the pipe closed early; *ret_expected gets how many,
 * or at least how many when its header tables lie past the writer's head),
 * 0 if complete or not something we can tell. */
int cli_core_cut_short(const struct gzc_writer *w, uint64_t *ret_expected);

/* A progress bar on stderr when it is a TTY and total is large. */
struct cli_progress {
	const char *label;
	int enabled;
	uint64_t last_shown;
	double start;
};
void cli_progress_init(struct cli_progress *p, const char *label, uint64_t total);
int cli_progress_cb(void *ctx, uint64_t done, uint64_t total);
void cli_progress_end(struct cli_progress *p);

/* Runs a hook command (/bin/sh -c cmd) with only env as its environment,
 * killing its process group after timeout_s. what names it in messages.
 * Returns 0 on success, a negative errno (-ETIMEDOUT, -ECHILD: failed). */
int cli_run_hook(const char *what, const char *cmd, unsigned timeout_s, char *const env[]);

/* Writes all of r to out: '-', or any name of our stdout (/dev/stdout,
 * /proc/self/fd/1), is stdout, never reopened; a device or a fifo, named or
 * at the end of symbolic links that are all ours or root's, is written
 * into; a regular file, a new name, or what our own links lead to appears
 * atomically (temporary name beside it, fsync, rename) with mode. out
 * whose last component is another user's link, or whose links lead through
 * one, is refused (directories on the way are the kernel's to resolve). Parallel, sparse, a progress bar on a TTY. Prints one
 * line on failure (a corrupt span's offsets, naming name). Returns an exit
 * status. With r NULL, decompresses the file onepass_fd in one pass instead
 * (a file that cannot be indexed). */
int cli_extract_to(struct gzc_reader *r, int onepass_fd, const char *name, const char *out, int threads,
		   mode_t mode);

/* Opens the compressed file fd (always consumed) with its index at
 * index_path in index_dirfd (reader flags: GZC_READER_*), a progress bar
 * while it is indexed, and writes it all to out as cli_extract_to() does;
 * a file that cannot be indexed is decompressed in one pass instead. Prints
 * one line on failure (where a scan found the data corrupt). Returns an
 * exit status; *ret_truncated (may be NULL) tells whether the index flags
 * the core as truncated when it was stored. */
int cli_extract_file(int fd, int index_dirfd, const char *index_path, unsigned flags, const char *name,
		     const char *out, int threads, mode_t mode, int *ret_truncated);

/* Tells the user that name cannot be indexed (-E2BIG from the scan) and is
 * decompressed in one pass. */
void cli_note_onepass(const char *name);

struct gzc_config;
struct gzc_store_entry;

/* Turns the config's limits given as shares of the store's file system
 * (max_use, keep_free: N% and the defaults) into bytes; a file system that
 * cannot be sized (logged) gives no such limit. */
void cli_resolve_limits(struct gzc_config *cfg, int rootfd);

/* The config's retention limits, as retention.h takes them
 * (cli_resolve_limits first); max_per_signature only with by_signature
 * (it reads every sidecar: never while the kernel holds a process). */
struct gzc_ret_limits cli_limits(const struct gzc_config *cfg, bool by_signature);

/* The -S store and -C config of the installed handler: when core_pattern
 * is gzcoredump's own --kernel line (gzcoredump install), returns 1 and
 * fills store and config with its -S and -C values ("" where the line has
 * none); returns 0 when the pattern is another. Errors: -errno of reading
 * core_pattern. (install.c) */
int cli_installed_options(char *store, size_t scap, char *config, size_t ccap);

/* Loads the config (config, else GZC_CONFIG_PATH if it exists), opens the
 * store (store, else the config's) and lists it. With neither store nor
 * config, those of the installed handler (cli_installed_options) come
 * first, and cfg->store is set to the installed handler's store: with
 * store NULL, cfg->store is the store opened. Returns 0 (the caller owns
 * *ret_root and the list: gzc_store_list_free) or prints and returns 1. */
int cli_store_open_list(const char *store, const char *config, struct gzc_config *cfg, int *ret_root,
			struct gzc_store_entry **ret_e, size_t *ret_n);

/* Looks ID (a pid or a file name) up in a store list; prints why not.
 * Returns its position or -1. */
int cli_store_find(const struct gzc_store_entry *e, size_t n, const char *id);

/* A core by ID (as cli_store_find()), or with id NULL the newest: the
 * handler's, else a foreign one. Reads foreign files' notes only as needed
 * (when no core with a sidecar has that pid, or there is none). Prints why
 * none. Returns its position or a negative errno. */
int cli_store_pick(int rootfd, struct gzc_store_entry *e, size_t n, const char *id);

/* An entry's file relative to the store ("group/core", or "core" for a
 * file at the root), escaped as cli_printable() does, into buf (cap >= 6;
 * CLI_ENTRY_FILE_MAX always suffices). Returns buf. */
#define CLI_ENTRY_FILE_MAX 1600
/* The unescaped "group/core" always fits in this. */
#define CLI_ENTRY_PATH_MAX (GZC_NAME_MAX + 1 + NAME_MAX + 1)
const char *cli_entry_file(const struct gzc_store_entry *e, char *buf, size_t cap);

/* Makes e's metadata whole: a foreign entry's from its notes
 * (gzc_store_identify, indexing the file if it must; says so on stderr
 * when it cannot), the handler's core's by reading all of its sidecar
 * (the listing read its summary only). */
void cli_store_identify(int rootfd, struct gzc_store_entry *e);

/* Commands */
int cmd_compress(const struct cli_codec *c);
int cmd_decompress(const struct cli_codec *c);
int cmd_kernel(int argc, char **argv);    /* kernel.c: argv after --kernel */
int cmd_install(int argc, char **argv);   /* install.c: argv[0] = "install" */
int cmd_uninstall(int argc, char **argv);
int cmd_list(int argc, char **argv);      /* admin.c */
int cmd_info(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_vacuum(int argc, char **argv);
int cmd_debug(int argc, char **argv);     /* debug.c */

#endif

/*
 * main.c — gzcoredump's command line.
 *
 * The original gzCoredump's flags keep working (-c [-p DIR] [-a ARG],
 * -d -f IN -o OUT, -h); newer jobs are subcommands (see usage()). This file
 * only parses and dispatches: each job lives in its own file.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef GZC_SAN_LOG_DIR
/* A sanitizer build (make SAN=1): the kernel runs the handler with no
 * environment and its stderr on /dev/null, so its reports go to files the
 * tests check (ASAN_OPTIONS and UBSAN_OPTIONS, when set, still win). */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__asan_default_options(void) { return "log_path=" GZC_SAN_LOG_DIR "/asan"; }
const char *__ubsan_default_options(void) { return "log_path=" GZC_SAN_LOG_DIR "/ubsan:print_stacktrace=1"; }
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"gzcoredump " GZC_VERSION " - store core dumps compressed, seekable, tied to their build\n"
		"\n"
		"Usage:\n"
		"  gzcoredump -c [-p DIR] [-a ARG] [OPTIONS]   compress stdin into DIR (default " GZC_DEFAULT_STORE ")\n"
		"                                              as Core_YYYYMMDD_HHMMSS[_ARG].gz (.zz with --zlib)\n"
		"  gzcoredump -d -f INPUT -o OUTPUT [OPTIONS]  decompress a gzip or zlib file (ours or any\n"
		"                                              other tool's); INPUT '-' is stdin, OUTPUT '-' stdout\n"
		"  gzcoredump install [--store DIR] [--config FILE] [--persist] [--print] [--no-pidfd]\n"
		"                                              make the kernel pipe every core to gzcoredump\n"
		"  gzcoredump uninstall [--persist]            restore the previous core_pattern and\n"
		"                                              core_pipe_limit\n"
		"  gzcoredump list [MATCH...] [--json] [-n N|-1] [-r] [--since WHEN] [--until WHEN]\n"
		"                  [--no-legend] [-S DIR]\n"
		"                                              the stored cores, newest first, and crashes\n"
		"                                              not stored, with why; MATCH: a pid, an\n"
		"                                              executable's path, a comm, app or program\n"
		"                                              name, or KEY=V with KEY pid, uid, signal, exe,\n"
		"                                              comm, app, unit or signature\n"
		"  gzcoredump info [ID] [--json|--backtrace] [-S DIR]\n"
		"                                              one core's metadata (ID: a pid, a file name or\n"
		"                                              a MATCH; default: the newest core)\n"
		"  gzcoredump extract [ID] [-o FILE] [-S DIR]  decompress a stored core (sparse; default:\n"
		"                                              standard output)\n"
		"  gzcoredump debug [ID] [--exe PATH] [--debugger PROG] [-q] [-S DIR] [-- ARGS...]\n"
		"                                              run gdb (or PROG, with ARGS) on a stored core\n"
		"                                              (default: the newest) read through a private\n"
		"                                              gzcorefs mount\n"
		"  gzcoredump vacuum [-S DIR] [-C FILE] [--dry-run]\n"
		"                                              apply the retention limits now (or say what would go)\n"
		"                                              (list, info, extract and debug take -S and -C too)\n"
		"  gzcoredump --kernel ...                     (run by the kernel: see install --print)\n"
		"\n"
		"Options:\n"
		"  -h, --help          this help\n"
		"  -c                  compress standard input\n"
		"  -d                  decompress -f INPUT to -o OUTPUT (sparse, parallel)\n"
		"  -p DIR              with -c, the directory to write into\n"
		"  -a ARG              with -c, a tag added to the file name (e.g. %%e)\n"
		"  -f FILE, -o FILE    with -d, input and output (- for stdin, stdout)\n"
		"  -1 ... -9           compression level (default %d; 1-3 use ISA-L when built with it)\n"
		"  --zlib              write a zlib stream (RFC 1950) instead of gzip\n"
		"  --span SIZE         uncompressed bytes per seekable span, 64K..64M (default 1M; 4M with -9)\n"
		"  --threads N         worker threads (default: online CPUs)\n"
		"  -q, --quiet         do not print the stored file's path\n"
		"  --version           print the version\n",
		GZC_LEVEL_DEFAULT);
}

/* The kernel may start us with fds 0-2 closed: make sure 1 and 2 exist so no
 * file we open later lands on them and receives stray output. */
static void sanitize_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
}

int main(int argc, char **argv)
{
	struct cli_codec c = { .w = { .level = 0, .container = GZC_GZIP } };
	int mode = 0;
	enum { OPT_ZLIB = 256, OPT_SPAN, OPT_THREADS, OPT_VERSION };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "zlib", no_argument, NULL, OPT_ZLIB },
		{ "span", required_argument, NULL, OPT_SPAN },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};

	sanitize_std_fds();
	if (argc >= 2 && strcmp(argv[1], GZC_KERNEL_FLAG) == 0)
		return cmd_kernel(argc - 2, argv + 2);
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "install", cmd_install }, { "uninstall", cmd_uninstall }, { "list", cmd_list },
		{ "info", cmd_info },	    { "extract", cmd_extract },	    { "vacuum", cmd_vacuum },
		{ "debug", cmd_debug },
	};
	for (size_t i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			for (int a = 2; a < argc && strcmp(argv[a], "--") != 0; a++)
				if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
					usage(stdout);
					return 0;
				}
			return cmds[i].run(argc - 1, argv + 1);
		}
	if (argc >= 2 && argv[1][0] != '-') {
		cli_error("unknown command '%s' (see -h)", argv[1]);
		return 2;
	}
	int opt;
	opterr = 0; /* one line of ours, not getopt's plus the whole usage */
	while ((opt = getopt_long(argc, argv, ":hcdqp:a:f:o:123456789", longopts, NULL)) != -1) {
		uint64_t v;
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("gzcoredump %s\n", GZC_VERSION);
			return 0;
		case 'c':
		case 'd':
			if (mode && mode != opt) {
				cli_error("-c and -d exclude each other");
				return 2;
			}
			mode = opt;
			break;
		case 'q': c.quiet = 1; break;
		case 'p': c.dir = optarg; break;
		case 'a': c.arg = optarg; break;
		case 'f': c.in = optarg; break;
		case 'o': c.out = optarg; break;
		case OPT_ZLIB: c.w.container = GZC_ZLIB; break;
		case OPT_SPAN:
			if (cli_parse_size(optarg, &v) < 0 || v < GZC_SPAN_MIN || v > GZC_SPAN_MAX) {
				cli_error("--span takes a size from 64K to 64M, not '%s'", optarg);
				return 2;
			}
			c.w.span = (uint32_t)v;
			break;
		case OPT_THREADS:
			if (gzc_config_parse_number(optarg, 64, &v) < 0 || v < 1) {
				cli_error("--threads takes a number from 1 to 64, not '%s'", optarg);
				return 2;
			}
			c.w.threads = (int)v;
			break;
		default:
			if (opt >= '1' && opt <= '9') {
				c.w.level = opt - '0';
				break;
			}
			cli_bad_option(NULL, opt, argv, "");
			return 2;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s' (see -h)", argv[optind]);
		return 2;
	}
	if (mode == 'c')
		return cmd_compress(&c);
	if (mode == 'd') {
		if (!c.in || !c.out) {
			cli_error("-d needs -f INPUT and -o OUTPUT");
			return 2;
		}
		return cmd_decompress(&c);
	}
	usage(stderr);
	return 2;
}

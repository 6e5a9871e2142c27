/* Unit tests for meta.c: a full round trip, and hostile sidecars. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corenote.h"
#include "dir_fixture.h"
#include "meta.h"
#include "utf8.h"

Test(meta, round_trip)
{
	struct gzc_meta m, back;
	char *text;
	gzc_meta_init(&m);
	m.pid = 1234;
	m.euid = 0;
	m.timestamp_us = 1700000000123456ull;
	m.rlimit_core = UINT64_MAX;
	m.dump_mode = 2;
	m.size = 5ull << 32; /* over 4 GiB */
	m.span = 1u << 20;
	m.truncated = 1;
	m.owner_uid = -1;
	cr_assert_eq(gzc_meta_set(&m.comm, "a b/..\n\"x\""), 0);
	cr_assert_eq(gzc_meta_set(&m.package_json, "{\"name\":\"app\",\"version\":\"1.0\"}"), 0);
	cr_assert_eq(gzc_meta_set(&m.truncated_reason, "RLIMIT_CORE"), 0);
	cr_assert_eq(gzc_meta_to_json(&m, &text), 0);
	cr_assert_eq(gzc_meta_parse(text, strlen(text), &back), 0);
	cr_assert_eq(back.pid, 1234);
	cr_assert_eq(back.euid, 0);
	cr_assert_eq(back.timestamp_us, m.timestamp_us);
	cr_assert_eq(back.rlimit_core, UINT64_MAX);
	cr_assert_eq(back.size, 5ull << 32);
	cr_assert_eq(back.dump_mode, 2);
	cr_assert_eq(back.owner_uid, -1);
	cr_assert(back.truncated);
	cr_assert_str_eq(back.comm, m.comm);
	cr_assert_str_eq(back.truncated_reason, "RLIMIT_CORE");
	cr_assert(strstr(back.package_json, "\"app\""));
	cr_assert_null(back.exe);
	free(text);
	gzc_meta_clear(&back);
	gzc_meta_clear(&m);
}

static int parse_text(const char *text, struct gzc_meta *m) { return gzc_meta_parse(text, strlen(text), m); }
static int load_name(const char *name, struct gzc_meta *m) { return gzc_meta_load(rootfd, name, m); }
static int load_summary_name(const char *name, struct gzc_meta *m)
{
	return gzc_meta_load_summary(rootfd, name, m);
}

/* fn(arg) must fail with rc and leave the output as it was. */
static void assert_fails(int (*fn)(const char *, struct gzc_meta *), const char *arg, int rc)
{
	struct gzc_meta m;
	m.pid = 99;
	cr_assert_eq(fn(arg, &m), rc, "not %d: %s", rc, arg);
	cr_assert_eq(m.pid, 99, "output touched on failure: %s", arg);
}

/* bad must not parse (-EBADMSG) */
static void assert_refused(const char *bad) { assert_fails(parse_text, bad, -EBADMSG); }

/* Parses text, which must be a valid sidecar, into *m. */
static void parse_ok(const char *text, struct gzc_meta *m)
{
	cr_assert_eq(gzc_meta_parse(text, strlen(text), m), 0, "refused: %s", text);
}

Test(meta, hostile)
{
	static const char *const bad[] = {
		"", "null", "[]", "{", "{\"gzcore_meta\":2}", "{\"gzcore_meta\":\"1\"}",
		"{\"gzcore_meta\":1,\"process\":{\"pid\":\"12\"}}",
		"{\"gzcore_meta\":1,\"process\":[]}",
		"{\"gzcore_meta\":1,\"file\":{\"truncated\":3.5}}",
		"{\"gzcore_meta\":1,\"process\":{\"comm\":12}}",
		/* a bad section after good fields (found by libFuzzer: it returned 0
		 * with the output unset, and leaked the fields) */
		"{\"gzcore_meta\":1,\"process\":{\"comm\":\"x\"},\"file\":1}",
		/* numbers are held to their field's type: integers only, and a
		 * span must fit its 32 bits */
		"{\"gzcore_meta\":1,\"file\":{\"size\":1.5}}",
		"{\"gzcore_meta\":1,\"file\":{\"size\":\"5\"}}",
		"{\"gzcore_meta\":1,\"file\":{\"size\":1e3}}",
		"{\"gzcore_meta\":1,\"file\":{\"compressed_size\":true}}",
		"{\"gzcore_meta\":1,\"process\":{\"timestamp_us\":2.5}}",
		"{\"gzcore_meta\":1,\"process\":{\"timestamp_us\":\"1700000000\"}}",
		"{\"gzcore_meta\":1,\"process\":{\"timestamp_us\":[1]}}",
		"{\"gzcore_meta\":1,\"process\":{\"pid\":1.0}}",
		"{\"gzcore_meta\":1,\"file\":{\"span\":-1}}",
		"{\"gzcore_meta\":1,\"file\":{\"span\":4294967296}}",
		"{\"gzcore_meta\":1,\"file\":{\"span\":\"x\"}}",
		"{\"gzcore_meta\":1,\"file\":{\"span\":65536.0}}",
		"{\"gzcore_meta\":1,\"access\":{\"user_readable\":1}}",
		"{\"gzcore_meta\":1,\"modules\":{}}",
		"{\"gzcore_meta\":1,\"modules\":\"x\"}",
		"{\"gzcore_meta\":1,\"modules\":[1]}",
		"{\"gzcore_meta\":1,\"modules\":[{\"path\":\"/a\"},[]]}",
		"{\"gzcore_meta\":1,\"modules\":[{\"path\":1}]}",
		"{\"gzcore_meta\":1,\"modules\":[{\"path\":\"/a\",\"start\":\"0x10\"}]}",
		"{\"gzcore_meta\":1,\"modules\":[{\"path\":\"/a\"},{\"build_id\":false}]}",
		/* just past a field's range (json-c would clamp them to the edge), or
		 * a package that is no object */
		"{\"gzcore_meta\":1,\"process\":{\"timestamp_us\":-5}}",
		"{\"gzcore_meta\":1,\"file\":{\"size\":-1}}",
		"{\"gzcore_meta\":1,\"file\":{\"compressed_size\":-9223372036854775808}}",
		"{\"gzcore_meta\":1,\"process\":{\"rlimit_core\":-1}}",
		"{\"gzcore_meta\":1,\"process\":{\"pid\":9223372036854775808}}",
		"{\"gzcore_meta\":1,\"access\":{\"owner_uid\":18446744073709551615}}",
		"{\"gzcore_meta\":1,\"modules\":[{\"start\":-4096}]}",
		"{\"gzcore_meta\":1,\"identity\":{\"package\":5}}",
		"{\"gzcore_meta\":1,\"identity\":{\"package\":[0,2]}}",
		/* a string that was not UTF-8 is an array of its byte values */
		"{\"gzcore_meta\":1,\"process\":{\"exe\":[47,256]}}",
		"{\"gzcore_meta\":1,\"process\":{\"exe\":[47,0]}}",
		"{\"gzcore_meta\":1,\"process\":{\"exe\":[-1]}}",
		"{\"gzcore_meta\":1,\"process\":{\"exe\":[47.5]}}",
		"{\"gzcore_meta\":1,\"process\":{\"exe\":[\"/\"]}}",
		"{\"gzcore_meta\":1,\"process\":{\"exe\":[[47]]}}",
		"{\"gzcore_meta\":1,\"process\":{\"exe\":[true]}}",
		"{\"gzcore_meta\":1,\"modules\":[{\"path\":[47,1e2]}]}",
		"{\"gzcore_meta\":1,\"modules\":[{\"package\":true}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i]);
	struct gzc_meta m;
	const char *ok = "{\"gzcore_meta\":1,\"unknown\":{\"x\":1},\"process\":{\"pid\":5,\"comm\":\"\\u0000x\"}}";
	cr_assert_eq(gzc_meta_parse(ok, strlen(ok), &m), 0, "unknown keys are ignored");
	cr_assert_eq(m.pid, 5);
	cr_assert_null(m.exe);
	gzc_meta_clear(&m);
	/* deep nesting must not crash */
	size_t depth = 100000;
	char *deep = malloc(2 * depth + 1);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[2 * depth] = 0;
	cr_assert_eq(gzc_meta_parse(deep, 2 * depth, &m), -EBADMSG);
	free(deep);
	char *huge = malloc(GZC_META_MAX_FILE + 2);
	memset(huge, ' ', GZC_META_MAX_FILE + 1);
	huge[GZC_META_MAX_FILE + 1] = 0;
	cr_assert_eq(gzc_meta_parse(huge, GZC_META_MAX_FILE + 1, &m), -E2BIG);
	free(huge);
}

Test(meta, signal_and_core_notes)
{
	struct gzc_meta m;
	gzc_meta_init(&m);
	cr_assert_eq(gzc_meta_set_signal(&m, 11), 0);
	cr_assert_eq(m.signal, 11);
	cr_assert_str_eq(m.signal_name, "SIGSEGV");
	cr_assert_eq(gzc_meta_set_signal(&m, 200), 0, "a number with no name");
	cr_assert_eq(m.signal, 200);
	cr_assert_null(m.signal_name);

	/* what the notes lack stays as it was */
	struct gzc_coreinfo info = { .pid = 0, .signal = 0 };
	m.pid = 77;
	cr_assert_eq(gzc_meta_set(&m.comm, "kept"), 0);
	cr_assert_eq(gzc_meta_from_coreinfo(&m, &info), 0);
	cr_assert_eq(m.pid, 77);
	cr_assert_eq(m.signal, 200);
	cr_assert_str_eq(m.comm, "kept");
	cr_assert_null(m.exe);
	/* and what they hold is copied */
	char exe[] = "/usr/bin/app", args[] = "app --flag", bid[] = "0123abcd";
	info.pid = 4242;
	info.signal = 6;
	memcpy(info.comm, "app", 4);
	info.exe = exe;
	info.psargs = args;
	info.build_id = bid;
	cr_assert_eq(gzc_meta_from_coreinfo(&m, &info), 0);
	cr_assert_eq(m.pid, 4242);
	cr_assert_str_eq(m.signal_name, "SIGABRT");
	cr_assert_str_eq(m.comm, "app");
	cr_assert_str_eq(m.exe, exe);
	cr_assert_str_eq(m.cmdline, args);
	cr_assert_str_eq(m.build_id, bid);
	gzc_meta_clear(&m);
}

/* A null value is a missing key: the field reads as absent. */
Test(meta, null_values_are_absent)
{
	struct gzc_meta m;
	parse_ok("{\"gzcore_meta\":1,\"process\":{\"pid\":null,\"timestamp_us\":null,\"comm\":null},"
		 "\"identity\":{\"package\":null},\"file\":{\"size\":null,\"span\":null,\"truncated\":null},"
		 "\"access\":{\"owner_uid\":null}}",
		 &m);
	cr_assert_eq(m.pid, -1);
	cr_assert_eq(m.timestamp_us, 0);
	cr_assert_null(m.comm);
	cr_assert_null(m.package_json);
	cr_assert_eq(m.size, 0);
	cr_assert_eq(m.span, 0);
	cr_assert_eq(m.truncated, 0);
	cr_assert_eq(m.owner_uid, -1);
	gzc_meta_clear(&m);
}

/* The numbers at the edges of their fields' ranges parse (those just past
 * them are in hostile's list). */
Test(meta, numbers_at_their_edges)
{
	struct gzc_meta m;
	parse_ok("{\"gzcore_meta\":1,\"file\":{\"span\":4294967295,\"size\":18446744073709551615},"
		 "\"process\":{\"timestamp_us\":0,\"pid\":-7}}",
		 &m);
	cr_assert_eq(m.span, UINT32_MAX);
	cr_assert_eq(m.size, UINT64_MAX);
	cr_assert_eq(m.timestamp_us, 0);
	cr_assert_eq(m.pid, -7);
	gzc_meta_clear(&m);
	parse_ok("{\"gzcore_meta\":1,\"process\":{\"pid\":9223372036854775807,\"tid\":-9223372036854775808}}", &m);
	cr_assert_eq(m.pid, INT64_MAX);
	cr_assert_eq(m.tid, INT64_MIN);
	gzc_meta_clear(&m);
}

/* identity.package is the note's JSON, kept as compact text; a string (what
 * gzc_meta_to_json() writes for a package that was not JSON) is kept as is. */
Test(meta, package_object_or_text)
{
	struct gzc_meta m;
	parse_ok("{\"gzcore_meta\":1,\"identity\":{\"package\":\"{\\\"name\\\": \\\"a\\\"}\"}}", &m);
	cr_assert_str_eq(m.package_json, "{\"name\": \"a\"}");
	gzc_meta_clear(&m);
	parse_ok("{\"gzcore_meta\":1,\"identity\":{\"package\":{\"name\": \"a\", \"v\": [1, 2]}}}", &m);
	cr_assert_str_eq(m.package_json, "{\"name\":\"a\",\"v\":[1,2]}");
	gzc_meta_clear(&m);
	parse_ok("{\"gzcore_meta\":1,\"identity\":{\"package\":\"not json\"}}", &m);
	cr_assert_str_eq(m.package_json, "not json");
	gzc_meta_clear(&m);
}

/* A string that is not UTF-8 (a comm, a path, a command line as the kernel
 * and /proc give them) is written as the array of its byte values, so the
 * sidecar is strict UTF-8 JSON, and read back byte for byte; UTF-8 text
 * stays a string. */
Test(meta, non_utf8_strings_are_byte_arrays)
{
	struct gzc_meta m, back;
	char *text;
	gzc_meta_init(&m);
	cr_assert_eq(gzc_meta_set(&m.comm, "\xff\xfe" "ab"), 0);
	cr_assert_eq(gzc_meta_set(&m.exe, "/bin/caf\xe9"), 0);                 /* Latin-1 */
	cr_assert_eq(gzc_meta_set(&m.cmdline, "caf\xc3\xa9 \xe2\x80\xae x"), 0); /* UTF-8, a bidi control too */
	cr_assert_eq(gzc_meta_set(&m.cwd, "/\xed\xa0\x80/\xc0\xaf"), 0);        /* a surrogate, an overlong '/' */
	cr_assert_eq(gzc_meta_set(&m.package_json, "{\"name\":\"\xff\"}"), 0); /* a note with a bad byte */
	cr_assert_eq(gzc_meta_set(&m.maps, "00400000-00401000 r-xp 0 08:01 1 /opt/\x80\n"), 0);
	cr_assert_eq(gzc_meta_to_json(&m, &text), 0);
	cr_assert(gzc_utf8_valid(text, strlen(text)), "the sidecar is not UTF-8: %s", text);
	cr_assert(strstr(text, "\"comm\":[255,254,97,98]"), "%s", text);
	cr_assert(strstr(text, "\"exe\":[47,98,105,110,47,99,97,102,233]"), "%s", text);
	cr_assert(strstr(text, "\"cmdline\":\"caf\xc3\xa9 \xe2\x80\xae x\""), "UTF-8 stays a string: %s", text);
	cr_assert_eq(gzc_meta_parse(text, strlen(text), &back), 0);
	cr_assert_str_eq(back.comm, m.comm);
	cr_assert_str_eq(back.exe, m.exe);
	cr_assert_str_eq(back.cmdline, m.cmdline);
	cr_assert_str_eq(back.cwd, m.cwd);
	cr_assert_str_eq(back.package_json, m.package_json);
	cr_assert_str_eq(back.maps, m.maps);
	free(text);
	gzc_meta_clear(&back);
	gzc_meta_clear(&m);
}

/* The modules in the sidecar (meta.h): written and read back alike, and
 * refused when the array or an entry has the wrong shape. */

Test(meta, modules_round_trip)
{
	struct gzc_meta m, back;
	gzc_meta_init(&m);
	m.pid = 7;
	m.nmodules = 2;
	m.modules = calloc(2, sizeof(*m.modules));
	cr_assert_not_null(m.modules);
	m.modules[0] = (struct gzc_module){ .start = 0x7fffffffe000ull, .end = 0x7ffffffff000ull,
					    .path = strdup("/lib/a \"b\".so"), .build_id = strdup("abcd"),
					    .package_json = strdup("{\"type\":\"deb\",\"name\":\"a\"}") };
	m.modules[1] = (struct gzc_module){ .start = 1, .end = 2, .path = strdup("/x"), .error = strdup("not an ELF file") };
	char *text = NULL;
	cr_assert_eq(gzc_meta_to_json(&m, &text), 0);
	cr_assert_eq(gzc_meta_parse(text, strlen(text), &back), 0, "%s", text);
	cr_assert_eq(back.nmodules, 2);
	cr_assert_eq(back.modules[0].start, 0x7fffffffe000ull);
	cr_assert_eq(back.modules[0].end, 0x7ffffffff000ull);
	cr_assert_str_eq(back.modules[0].path, "/lib/a \"b\".so");
	cr_assert_str_eq(back.modules[0].build_id, "abcd");
	cr_assert_str_eq(back.modules[0].package_json, "{\"type\":\"deb\",\"name\":\"a\"}");
	cr_assert_null(back.modules[0].error);
	cr_assert_str_eq(back.modules[1].error, "not an ELF file");
	cr_assert_null(back.modules[1].build_id);
	free(text);
	gzc_meta_clear(&back);
	gzc_meta_clear(&m);
	cr_assert_null(m.modules);

	/* no modules: no key at all */
	cr_assert_eq(gzc_meta_to_json(&m, &text), 0);
	cr_assert_null(strstr(text, "modules"));
	free(text);
}

/* modules: the array's shape is in hostile's list; its length here */
Test(meta, modules_at_most_max)
{
	/* more entries than GZC_MODULES_MAX */
	size_t cap = 64 + 3 * (GZC_MODULES_MAX + 1), len;
	char *big = malloc(cap);
	cr_assert_not_null(big);
	len = (size_t)snprintf(big, cap, "{\"gzcore_meta\":1,\"modules\":[");
	for (int i = 0; i <= GZC_MODULES_MAX; i++)
		len += (size_t)snprintf(big + len, cap - len, "%s{}", i ? "," : "");
	len += (size_t)snprintf(big + len, cap - len, "]}");
	assert_refused(big);
	struct gzc_meta m;
	/* exactly GZC_MODULES_MAX empty entries, and null, are fine */
	char *last = strrchr(big, '{');
	memcpy(last - 1, "]}", 3);
	cr_assert_eq(gzc_meta_parse(big, strlen(big), &m), 0);
	cr_assert_eq(m.nmodules, GZC_MODULES_MAX);
	cr_assert_null(m.modules[0].path);
	gzc_meta_clear(&m);
	free(big);
	const char *null = "{\"gzcore_meta\":1,\"modules\":null,\"process\":{\"pid\":3}}";
	cr_assert_eq(gzc_meta_parse(null, strlen(null), &m), 0);
	cr_assert_eq(m.nmodules, 0);
	cr_assert_eq(m.pid, 3);
	gzc_meta_clear(&m);
}

Test(meta, stack_round_trip)
{
	struct gzc_meta m, back;
	gzc_meta_init(&m);
	m.stack.nthreads = 2;
	m.stack.threads = calloc(2, sizeof(*m.stack.threads));
	struct gzc_stack_thread *t = m.stack.threads;
	t[0].tid = 41;
	t[0].nframes = 2;
	t[0].frames = calloc(2, sizeof(*t[0].frames));
	t[0].frames[0] = (struct gzc_stack_frame){ .pc = 0xffffffffffff0001ull, .symbol = strdup("f\xe9"),
						   .symbol_offset = 3, .module = strdup("/lib/a.so"), .module_offset = 9 };
	t[0].frames[1] = (struct gzc_stack_frame){ .pc = 5 };
	t[1].tid = -1;
	t[1].error = strdup("cannot unwind: no");
	char *text = NULL;
	cr_assert_eq(gzc_meta_to_json(&m, &text), 0);
	cr_assert_eq(gzc_meta_parse(text, strlen(text), &back), 0, "%s", text);
	cr_assert_eq(back.stack.nthreads, 2);
	cr_assert_eq(back.stack.threads[0].tid, 41);
	cr_assert_eq(back.stack.threads[0].nframes, 2);
	cr_assert_eq(back.stack.threads[0].frames[0].pc, 0xffffffffffff0001ull);
	cr_assert_str_eq(back.stack.threads[0].frames[0].symbol, "f\xe9", "bytes kept");
	cr_assert_eq(back.stack.threads[0].frames[0].symbol_offset, 3);
	cr_assert_str_eq(back.stack.threads[0].frames[0].module, "/lib/a.so");
	cr_assert_eq(back.stack.threads[0].frames[0].module_offset, 9);
	cr_assert_null(back.stack.threads[0].frames[1].symbol);
	cr_assert_eq(back.stack.threads[1].tid, -1, "null tid");
	cr_assert_str_eq(back.stack.threads[1].error, "cannot unwind: no");
	cr_assert_null(back.stack.error);
	free(text);
	gzc_meta_clear(&back);
	gzc_meta_clear(&m);
	cr_assert_null(m.stack.threads);
	/* none: no key; an error alone is kept */
	cr_assert_eq(gzc_meta_to_json(&m, &text), 0);
	cr_assert_null(strstr(text, "\"stack\""));
	free(text);
	m.stack.error = strdup("stack traces are made for x86-64 cores only");
	cr_assert_eq(gzc_meta_to_json(&m, &text), 0);
	cr_assert_eq(gzc_meta_parse(text, strlen(text), &back), 0, "%s", text);
	cr_assert_str_eq(back.stack.error, "stack traces are made for x86-64 cores only");
	cr_assert_eq(back.stack.nthreads, 0);
	free(text);
	gzc_meta_clear(&back);
	gzc_meta_clear(&m);
}

/* the stack's shape is checked, its arrays bounded */
Test(meta, stack_hostile)
{
	static const char *const bad[] = {
		"{\"gzcore_meta\":1,\"stack\":[]}",
		"{\"gzcore_meta\":1,\"stack\":{\"threads\":{}}}",
		"{\"gzcore_meta\":1,\"stack\":{\"threads\":[1]}}",
		"{\"gzcore_meta\":1,\"stack\":{\"threads\":[{\"tid\":\"1\"}]}}",
		"{\"gzcore_meta\":1,\"stack\":{\"threads\":[{\"frames\":[{\"pc\":-1}]}]}}",
		"{\"gzcore_meta\":1,\"stack\":{\"threads\":[{\"frames\":[[]]}]}}",
		"{\"gzcore_meta\":1,\"stack\":{\"threads\":[{\"frames\":[{\"symbol\":7}]}]}}",
		"{\"gzcore_meta\":1,\"stack\":{\"error\":{}}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i]);
	/* one frame too many, one thread too many */
	char big[64 * 1024];
	size_t len = (size_t)snprintf(big, sizeof(big), "{\"gzcore_meta\":1,\"stack\":{\"threads\":[{\"frames\":[");
	for (int i = 0; i <= GZC_STACK_FRAMES_MAX; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%s{}", i ? "," : "");
	snprintf(big + len, sizeof(big) - len, "]}]}}");
	assert_refused(big);
	len = (size_t)snprintf(big, sizeof(big), "{\"gzcore_meta\":1,\"stack\":{\"threads\":[");
	for (int i = 0; i <= GZC_STACK_THREADS_MAX; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%s{}", i ? "," : "");
	snprintf(big + len, sizeof(big) - len, "]}}");
	assert_refused(big);
	struct gzc_meta m;
	const char *ok = "{\"gzcore_meta\":1,\"stack\":null}";
	cr_assert_eq(gzc_meta_parse(ok, strlen(ok), &m), 0);
	gzc_meta_clear(&m);
	ok = "{\"gzcore_meta\":1,\"stack\":{\"threads\":[{\"frames\":null},{}]}}";
	cr_assert_eq(gzc_meta_parse(ok, strlen(ok), &m), 0);
	cr_assert_eq(m.stack.nthreads, 2);
	cr_assert_eq(m.stack.threads[0].nframes, 0);
	gzc_meta_clear(&m);
}

TestSuite(meta_load, .init = dir_setup, .fini = dir_teardown);

/* Only a regular file of at most GZC_META_MAX_FILE bytes is read: a FIFO
 * (without blocking) or a directory is not a sidecar (-EBADMSG), a symlink
 * is not followed (-ELOOP), a larger file is refused unread (-E2BIG). */
Test(meta_load, only_bounded_regular_files)
{
	struct gzc_meta m;
	gzc_meta_init(&m);
	m.pid = 31;
	cr_assert_eq(gzc_meta_save(&m, rootfd, "good.json", 0), 0);
	gzc_meta_clear(&m);
	cr_assert_eq(gzc_meta_load(rootfd, "good.json", &m), 0);
	cr_assert_eq(m.pid, 31);
	gzc_meta_clear(&m);

	cr_assert_eq(mkfifoat(rootfd, "fifo.json", 0600), 0);
	assert_fails(load_name, "fifo.json", -EBADMSG);
	cr_assert_eq(mkdirat(rootfd, "x.json", 0700), 0);
	assert_fails(load_name, "x.json", -EBADMSG);
	cr_assert_eq(symlinkat("good.json", rootfd, "link.json"), 0);
	assert_fails(load_name, "link.json", -ELOOP);
	assert_fails(load_name, "missing.json", -ENOENT);
	int fd = openat(rootfd, "big.json", O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, GZC_META_MAX_FILE + 1), 0);
	close(fd);
	assert_fails(load_name, "big.json", -E2BIG);

	/* nor is one written that would be refused: nothing is left behind */
	gzc_meta_init(&m);
	char *huge = malloc(GZC_META_MAX_FILE / 2);
	cr_assert_not_null(huge);
	memset(huge, '\x01', GZC_META_MAX_FILE / 2 - 1); /* \u0001 as JSON: six times as long */
	huge[GZC_META_MAX_FILE / 2 - 1] = 0;
	cr_assert_eq(gzc_meta_set(&m.maps, huge), 0);
	free(huge);
	cr_assert_eq(gzc_meta_save(&m, rootfd, "huge.json", 0), -EFBIG);
	gzc_meta_clear(&m);
	assert_fails(load_name, "huge.json", -ENOENT);
}

static void write_at(const char *name, const char *text)
{
	int fd = openat(rootfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The summary of a sidecar as the writer lays it out is its facts without
 * the snapshots and modules; any other text is read whole. */
Test(meta_load, summary)
{
	struct gzc_meta m, full, sum;
	gzc_meta_init(&m);
	m.pid = 77;
	m.owner_uid = 1000;
	m.user_readable = 1;
	cr_assert_eq(gzc_meta_set(&m.group, "app-1.2"), 0);
	cr_assert_eq(gzc_meta_set(&m.signature, "0123456789abcdef"), 0);
	cr_assert_eq(gzc_meta_set(&m.maps, "7f00-7f01 r-xp 00000000 fd:01 1 /lib/a.so\n\"snapshots\":\n"), 0);
	cr_assert_eq(gzc_meta_set(&m.fds, "0:/dev/null\n  \"modules\": \n"), 0);
	m.nmodules = 1;
	m.modules = calloc(1, sizeof(*m.modules));
	cr_assert_not_null(m.modules);
	m.modules[0].path = strdup("/lib/a.so");
	cr_assert_eq(gzc_meta_save(&m, rootfd, "w.json", 0), 0);
	gzc_meta_clear(&m);
	cr_assert_eq(gzc_meta_load(rootfd, "w.json", &full), 0);
	cr_assert_eq(gzc_meta_load_summary(rootfd, "w.json", &sum), 0);
	cr_assert_eq(full.nmodules, 1);
	cr_assert_not_null(full.maps);
	cr_assert_eq(sum.nmodules, 0, "the summary parsed the modules");
	cr_assert_null(sum.maps, "the summary parsed the snapshots");
	cr_assert_null(sum.fds);
	cr_assert_eq(sum.pid, 77);
	cr_assert_eq(sum.owner_uid, 1000);
	cr_assert_eq(sum.user_readable, 1);
	cr_assert_str_eq(sum.group, "app-1.2");
	/* the crash's signature is in the summary: list matches on it */
	cr_assert_str_eq(sum.signature, "0123456789abcdef");
	cr_assert_str_eq(full.signature, "0123456789abcdef");
	gzc_meta_clear(&full);
	gzc_meta_clear(&sum);

	/* the marker where the writer would never put it: read whole */
	write_at("odd.json", "{\"gzcore_meta\":1,\"process\":{\"pid\":5,\n  \"snapshots\":1}}");
	cr_assert_eq(gzc_meta_load_summary(rootfd, "odd.json", &sum), 0);
	cr_assert_eq(sum.pid, 5);
	gzc_meta_clear(&sum);
	/* compact text, no marker: read whole (modules and all) */
	write_at("compact.json", "{\"gzcore_meta\":1,\"process\":{\"pid\":6},\"modules\":[{\"path\":\"/x\"}]}");
	cr_assert_eq(gzc_meta_load_summary(rootfd, "compact.json", &sum), 0);
	cr_assert_eq(sum.pid, 6);
	cr_assert_eq(sum.nmodules, 1);
	gzc_meta_clear(&sum);
	/* what is bad before the marker is bad in the summary too */
	write_at("bad.json", "{\"gzcore_meta\":1,\"process\":{\"pid\":\"7\"},\n  \"snapshots\":{}}");
	assert_fails(load_summary_name, "bad.json", -EBADMSG);

	/* the head alone (a pass over a whole store): the writer's layout
	 * reads; no marker, or a marker where the writer never puts it, is
	 * -EBADMSG, never a whole read */
	cr_assert_eq(gzc_meta_load_head(rootfd, "w.json", &sum), 0);
	cr_assert_str_eq(sum.signature, "0123456789abcdef");
	gzc_meta_clear(&sum);
	cr_assert_eq(gzc_meta_load_head(rootfd, "compact.json", &sum), -EBADMSG);
	cr_assert_eq(gzc_meta_load_head(rootfd, "odd.json", &sum), -EBADMSG);
	/* a sparse sidecar of 100 MB whose head has no summary: refused
	 * from its first 16 KiB (and its size), never read */
	int fd = openat(rootfd, "huge.json", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 100 << 20), 0);
	close(fd);
	cr_assert_eq(gzc_meta_load_head(rootfd, "huge.json", &sum), -EBADMSG);
	/* ...and one whose marker is there but whose size is too large */
	fd = openat(rootfd, "huge2.json", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	static const char head[] = "{\"gzcore_meta\":1,\"process\":{\"pid\":9},\n  \"snapshots\":{";
	cr_assert_eq(write(fd, head, sizeof(head) - 1), (ssize_t)sizeof(head) - 1);
	cr_assert_eq(ftruncate(fd, 100 << 20), 0);
	close(fd);
	cr_assert_eq(gzc_meta_load_head(rootfd, "huge2.json", &sum), -E2BIG);
}

/* A listing reads a sidecar's first 16 KiB when its summary ends there;
 * a summary longer than that (a long command line), a sidecar past
 * GZC_META_MAX_FILE, and big snapshots after a short summary all give what
 * a whole read gives. */
Test(meta_load, summary_of_big_sidecars)
{
	struct gzc_meta m, sum;
	for (int k = 0; k < 2; k++) {
		gzc_meta_init(&m);
		m.pid = 88 + k;
		char *big = malloc(40000);
		cr_assert_not_null(big);
		memset(big, 'x', 39999);
		big[39999] = 0;
		cr_assert_eq(gzc_meta_set(&m.maps, big), 0); /* snapshots after the summary */
		if (k)
			cr_assert_eq(gzc_meta_set(&m.cmdline, big), 0); /* a summary past 16 KiB */
		free(big);
		const char *name = k ? "big1.json" : "big0.json";
		cr_assert_eq(gzc_meta_save(&m, rootfd, name, 0), 0);
		gzc_meta_clear(&m);
		cr_assert_eq(gzc_meta_load_summary(rootfd, name, &sum), 0);
		cr_assert_eq(sum.pid, 88 + k);
		cr_assert_null(sum.maps, "the summary parsed the snapshots");
		cr_assert_eq(!!sum.cmdline, k);
		if (k)
			cr_assert_eq(strlen(sum.cmdline), 39999);
		gzc_meta_clear(&sum);
	}
	/* too large for gzc_meta_load: refused by the summary too, though its
	 * first 16 KiB would parse */
	int fd = openat(rootfd, "huge.json", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	const char *head = "{\"gzcore_meta\":1,\"process\":{\"pid\":9},\n  \"snapshots\":{\"maps\":\"";
	cr_assert_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	cr_assert_eq(ftruncate(fd, GZC_META_MAX_FILE + 1), 0);
	close(fd);
	assert_fails(load_summary_name, "huge.json", -E2BIG);
}

/* save refuses a taken name; replace renames over it */
Test(meta_load, replace_over_a_sidecar)
{
	struct gzc_meta m, back;
	gzc_meta_init(&m);
	m.pid = 1;
	cr_assert_eq(gzc_meta_save(&m, rootfd, "c.json", 0600), 0);
	m.pid = 2;
	cr_assert_eq(gzc_meta_save(&m, rootfd, "c.json", 0600), -EEXIST);
	cr_assert_eq(gzc_meta_replace(&m, rootfd, "c.json", 0600), 0);
	cr_assert_eq(gzc_meta_load(rootfd, "c.json", &back), 0);
	cr_assert_eq(back.pid, 2);
	gzc_meta_clear(&back);
	/* nothing else left in the directory */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(gzc_meta_replace(&m, rootfd, "new.json", 0600), 0, "a new name is fine too");
	gzc_meta_clear(&m);
}

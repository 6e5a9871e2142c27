/* Unit tests for meta.c: a full round trip, and hostile sidecars. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "corenote.h"
#include "meta.h"

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
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gzc_meta m;
		m.pid = 99;
		cr_assert_eq(gzc_meta_parse(bad[i], strlen(bad[i]), &m), -EBADMSG, "accepted: %s", bad[i]);
		cr_assert_eq(m.pid, 99, "output touched on failure");
	}
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

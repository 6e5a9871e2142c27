/* Unit tests for src/names.c: escaping is safe, bounded, reversible/injective. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "names.h"

static void esc(const char *in, const char *want)
{
	char out[GZC_NAME_MAX + 1];
	int r = gzc_name_escape(in, SIZE_MAX, out, sizeof(out));
	cr_assert_eq(r, (int)strlen(want), "escape(%s) -> %d", in, r);
	cr_assert_str_eq(out, want);
}

/* Every byte of a produced name is in the safe alphabet plus '%'. */
static void assert_safe(const char *s)
{
	size_t n = strlen(s);
	cr_assert(n >= 1 && n <= GZC_NAME_MAX, "len %zu", n);
	cr_assert(s[0] != '.' && s[0] != '-', "leading char of %s", s);
	for (size_t i = 0; i < n; i++)
		cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-%", s[i]),
			  "bad byte 0x%02x in %s", (unsigned char)s[i], s);
}

Test(names, plain_and_escaped)
{
	esc("myapp", "myapp");
	esc("my_app-1.2", "my_app-1.2");
	esc("my app/1", "my%20app%2F1");
	esc("100%", "100%25");
	esc(".", "%2E");
	esc("..", "%2E.");
	esc(".hidden", "%2Ehidden");
	esc("-rf", "%2Drf");
	esc("", "%00");
	esc("\xff\x01", "%FF%01");
	esc("a$(rm -rf)`x`", "a%24%28rm%20-rf%29%60x%60");
}

Test(names, maxlen_bounds_input)
{
	char out[GZC_NAME_MAX + 1];
	cr_assert_eq(gzc_name_escape("abcdef", 3, out, sizeof(out)), 3);
	cr_assert_str_eq(out, "abc");
	cr_assert_eq(gzc_name_escape("abcdef", 0, out, sizeof(out)), 3);
	cr_assert_str_eq(out, "%00");
}

Test(names, errors_leave_out_untouched)
{
	char out[8] = "XXXXXXX";
	cr_assert_eq(gzc_name_escape("abcdefgh", SIZE_MAX, out, sizeof(out)), -ENOBUFS);
	cr_assert_str_eq(out, "XXXXXXX");
	cr_assert_eq(gzc_name_escape(NULL, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(gzc_name_escape("a", 1, NULL, 0), -EINVAL);
	cr_assert_eq(gzc_name_escape("abc", SIZE_MAX, out, 3), -ENOBUFS);
	cr_assert_eq(gzc_name_escape("abc", SIZE_MAX, out, 4), 3);
	cr_assert_eq(gzc_group_name("a", NULL, out, sizeof(out)), -EINVAL);
	cr_assert_eq(gzc_name_unescape("%zz", out, sizeof(out)), -EBADMSG);
}

Test(names, roundtrip_random)
{
	srand(1234);
	for (int iter = 0; iter < 5000; iter++) {
		char in[40], out[GZC_NAME_MAX + 1], back[64];
		size_t n = (size_t)(rand() % 32);
		for (size_t i = 0; i < n; i++) {
			/* mostly printable, sometimes anything */
			in[i] = (char)((rand() % 4) ? 32 + rand() % 95 : 1 + rand() % 255);
		}
		in[n] = '\0';
		int r = gzc_name_escape(in, SIZE_MAX, out, sizeof(out));
		cr_assert(r > 0);
		assert_safe(out);
		if (r > 0 && !strstr(out, "%%")) {
			cr_assert_eq(gzc_name_unescape(out, back, sizeof(back)), (int)n);
			cr_assert_eq(memcmp(back, in, n + 1), 0, "roundtrip of %s", out);
		}
	}
}

Test(names, unescape_rejects_noncanonical)
{
	char out[64];
	const char *bad[] = { "", ".", "..", ".x", "-x", "%41", "%2e", "%2", "%", "a%", "a%00", "%%", "a b",
			      "a/b", "x%2Ey%2E" /* '.' escaped mid-name */, "a%%0123456789ABCDEF" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(gzc_name_unescape(bad[i], out, sizeof(out)), -EBADMSG, "accepted '%s'", bad[i]);
	cr_assert_eq(gzc_name_unescape("%2E%2E", out, sizeof(out)), -EBADMSG);
	cr_assert_eq(gzc_name_unescape("%2E.", out, sizeof(out)), 2);
	cr_assert_str_eq(out, "..");
	cr_assert_eq(gzc_name_unescape("%00", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
}

Test(names, truncation_is_bounded_and_distinct)
{
	char a[4096], b[4096], oa[GZC_NAME_MAX + 1], ob[GZC_NAME_MAX + 1];
	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(a));
	b[sizeof(b) - 2] = 'y'; /* differs only at the very end */
	int ra = gzc_name_escape(a, SIZE_MAX, oa, sizeof(oa));
	int rb = gzc_name_escape(b, SIZE_MAX, ob, sizeof(ob));
	cr_assert_eq(ra, GZC_NAME_KEEP + GZC_NAME_HASH_LEN);
	cr_assert_eq(rb, ra);
	assert_safe(oa);
	assert_safe(ob);
	cr_assert_str_neq(oa, ob);
	cr_assert_eq(strncmp(oa, a, GZC_NAME_KEEP), 0);
	cr_assert(strstr(oa, "%%") == oa + GZC_NAME_KEEP);
	cr_assert_eq(gzc_name_unescape(oa, b, sizeof(b)), -EBADMSG);

	/* Exactly GZC_NAME_MAX fits untruncated; one more byte does not. */
	a[GZC_NAME_MAX] = '\0';
	cr_assert_eq(gzc_name_escape(a, SIZE_MAX, oa, sizeof(oa)), GZC_NAME_MAX);
	cr_assert_null(strstr(oa, "%%"));
	a[GZC_NAME_MAX] = 'x';
	a[GZC_NAME_MAX + 1] = '\0';
	cr_assert_eq(gzc_name_escape(a, SIZE_MAX, oa, sizeof(oa)), GZC_NAME_KEEP + GZC_NAME_HASH_LEN);

	/* Cut never splits an escape: all '%' + 2 hex before the marker. */
	memset(a, '/', 200);
	a[200] = '\0';
	cr_assert_gt(gzc_name_escape(a, SIZE_MAX, oa, sizeof(oa)), 0);
	char *mark = strstr(oa, "%%");
	cr_assert_not_null(mark);
	cr_assert_eq((mark - oa) % 3, 0);
	cr_assert_eq(strncmp(oa, "%2F%2F", 6), 0);
}

Test(names, group_name)
{
	char out[GZC_NAME_MAX + 1];
	cr_assert_eq(gzc_group_name("myapp", "1.2.3", out, sizeof(out)), 11);
	cr_assert_str_eq(out, "myapp-1.2.3");
	cr_assert_gt(gzc_group_name("my-app", "1.2-3", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "my-app-1.2-3");
	cr_assert_gt(gzc_group_name("a", "-1", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "a--1");
	cr_assert_gt(gzc_group_name(".", "..", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "%2E-..");
	cr_assert_gt(gzc_group_name("", "", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "%00-%00");
	cr_assert_gt(gzc_group_name("a/b", "v 1", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "a%2Fb-v%201");

	/* Long: bounded, and the hash separates name/version boundary moves. */
	char n1[300], v1[300];
	memset(n1, 'n', 299); n1[299] = '\0';
	memset(v1, 'v', 299); v1[299] = '\0';
	char g1[GZC_NAME_MAX + 1], g2[GZC_NAME_MAX + 1];
	cr_assert_eq(gzc_group_name(n1, v1, g1, sizeof(g1)), GZC_NAME_KEEP + GZC_NAME_HASH_LEN);
	n1[298] = '\0';
	cr_assert_gt(gzc_group_name(n1, v1, g2, sizeof(g2)), 0);
	cr_assert_str_neq(g1, g2);
	assert_safe(g1);
}

/* hex.c, which names are made of: hex text, and FNV-1a's published
 * vectors (a change would rename every long name in every store). */
Test(hex, dup_and_fnv1a)
{
	char *s = gzc_hex_dup((const unsigned char *)"\x00\xab\xff", 3);
	cr_assert_str_eq(s, "00abff");
	free(s);
	cr_assert_eq(gzc_fnv1a(GZC_FNV1A_INIT, "", 0), 0xcbf29ce484222325ull);
	cr_assert_eq(gzc_fnv1a(GZC_FNV1A_INIT, "a", 1), 0xaf63dc4c8601ec8cull);
	cr_assert_eq(gzc_fnv1a(GZC_FNV1A_INIT, "foobar", 6), 0x85944171f73967e8ull);
	/* in pieces: the same */
	cr_assert_eq(gzc_fnv1a(gzc_fnv1a(GZC_FNV1A_INIT, "foo", 3), "bar", 3), 0x85944171f73967e8ull);
}

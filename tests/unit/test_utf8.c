/* Unit tests for utf8.c: well-formed UTF-8 and its edges (RFC 3629). */
#include <criterion/criterion.h>
#include <string.h>

#include "utf8.h"

static size_t seq(const char *s, size_t avail, uint32_t *cp) { return gzc_utf8_seq((const unsigned char *)s, avail, cp); }

Test(utf8, sequences_and_their_code_points)
{
	static const struct {
		const char *s;
		size_t n;
		uint32_t cp;
	} good[] = {
		{ "a", 1, 'a' },
		{ "\x7f", 1, 0x7f },
		{ "\xc2\x80", 2, 0x80 },
		{ "\xdf\xbf", 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint32_t cp = 0;
		cr_assert_eq(seq(good[i].s, strlen(good[i].s), &cp), good[i].n, "%zu", i);
		cr_assert_eq(cp, good[i].cp, "%zu", i);
	}
	static const char *const bad[] = {
		"\x80",             /* a continuation byte alone */
		"\xc0\xaf",         /* overlong '/' */
		"\xc1\xbf",         /* overlong */
		"\xe0\x9f\xbf",     /* overlong */
		"\xf0\x8f\xbf\xbf", /* overlong */
		"\xed\xa0\x80",     /* U+D800, a surrogate */
		"\xed\xbf\xbf",     /* U+DFFF */
		"\xf4\x90\x80\x80", /* over U+10FFFF */
		"\xf5\x80\x80\x80", "\xff", "\xfe",
		"\xc3",             /* cut short */
		"\xe2\x82",
		"\xe2\x82(",        /* not a continuation byte */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t cp = 12345;
		cr_assert_eq(seq(bad[i], strlen(bad[i]), &cp), 0, "%zu", i);
		cr_assert_eq(cp, 12345, "output touched: %zu", i);
	}
	/* avail bounds the read: a whole sequence, but not all of it offered */
	cr_assert_eq(seq("\xe2\x82\xac", 2, NULL), 0);
	cr_assert_eq(seq("\xe2\x82\xac", 3, NULL), 3);
	cr_assert_eq(seq("a", 0, NULL), 0);
}

Test(utf8, whole_texts)
{
	cr_assert(gzc_utf8_valid("", 0));
	cr_assert(gzc_utf8_valid("plain ascii\n", 12));
	cr_assert(gzc_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	cr_assert(gzc_utf8_valid("a\0b", 3), "a NUL byte is U+0000");
	cr_assert_not(gzc_utf8_valid("caf\xe9", 4), "Latin-1");
	cr_assert_not(gzc_utf8_valid("ok \xe2\x82", 5), "cut at the end");
	cr_assert_not(gzc_utf8_valid("\xe2\x82\xac", 2), "len cuts the sequence");
}

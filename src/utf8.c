/*
 * utf8.c — well-formed UTF-8 (see utf8.h).
 */
#include "utf8.h"

size_t gzc_utf8_seq(const unsigned char *s, size_t avail, uint32_t *ret_cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c, cp;
	size_t n;
	if (!avail)
		return 0;
	c = s[0];
	if (c < 0x80)
		n = 1, cp = c;
	else if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (i >= avail || (s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (ret_cp)
		*ret_cp = cp;
	return n;
}

bool gzc_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		if (*p < 0x80) { /* the common case: ASCII */
			p++;
			continue;
		}
		size_t n = gzc_utf8_seq(p, (size_t)(end - p), NULL);
		if (!n)
			return false;
		p += n;
	}
	return true;
}

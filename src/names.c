/*
 * names.c — reversible, bounded escaping of hostile strings into file names.
 *
 * Design: one emitter appends whole escape units ("a" or "%2F") to a buffer
 * of GZC_NAME_MAX bytes, remembering the last unit boundary that still fits
 * in GZC_NAME_KEEP bytes, and hashes every input byte as it goes. If the
 * escaping overflows, the name is cut at that boundary and the hash appended.
 * Work is linear in the input and memory is constant whatever its size.
 */
#include "names.h"
#include "hex.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>


static const char hexup[] = "0123456789ABCDEF";

struct emitter {
	char buf[GZC_NAME_MAX + 1];
	size_t len;	 /* bytes in buf (valid while !overflow) */
	size_t keep;	 /* last unit boundary <= GZC_NAME_KEEP */
	bool overflow;
	uint64_t hash;
};

static void emit_init(struct emitter *e)
{
	e->len = 0;
	e->keep = 0;
	e->overflow = false;
	e->hash = GZC_FNV1A_INIT;
}

static void emit_hash(struct emitter *e, unsigned char c)
{
	e->hash = gzc_fnv1a(e->hash, &c, 1);
}

static void emit_unit(struct emitter *e, const char *unit, size_t n)
{
	if (e->overflow)
		return;
	if (e->len + n > GZC_NAME_MAX) {
		e->overflow = true;
		return;
	}
	memcpy(e->buf + e->len, unit, n);
	e->len += n;
	if (e->len <= GZC_NAME_KEEP)
		e->keep = e->len;
}

static bool is_safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* Escapes n bytes of s. first: this is the start of the whole name, so a
 * leading '.' or '-' is escaped. */
static void emit_string(struct emitter *e, const char *s, size_t n, bool first)
{
	if (n == 0) {
		emit_unit(e, "%00", 3);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool esc = !is_safe(c) || (first && i == 0 && (c == '.' || c == '-'));
		emit_hash(e, c);
		if (esc) {
			char unit[3] = { '%', hexup[c >> 4], hexup[c & 15] };
			emit_unit(e, unit, 3);
		} else {
			char unit = (char)c;
			emit_unit(e, &unit, 1);
		}
	}
}

/* Finishes the name into out: either as is or truncated with the hash. */
static int emit_finish(struct emitter *e, char *out, size_t outcap)
{
	size_t len = e->len;

	if (e->overflow) {
		len = e->keep;
		e->buf[len++] = '%';
		e->buf[len++] = '%';
		for (int i = 15; i >= 0; i--)
			e->buf[len++] = hexup[(e->hash >> (4 * i)) & 15];
	}
	if (len + 1 > outcap)
		return -ENOBUFS;
	memcpy(out, e->buf, len);
	out[len] = '\0';
	return (int)len;
}

int gzc_name_escape(const char *in, size_t maxlen, char *out, size_t outcap)
{
	struct emitter e;

	if (!in || !out)
		return -EINVAL;
	emit_init(&e);
	emit_string(&e, in, strnlen(in, maxlen), true);
	return emit_finish(&e, out, outcap);
}

int gzc_group_name(const char *name, const char *version, char *out, size_t outcap)
{
	struct emitter e;

	if (!name || !version || !out)
		return -EINVAL;
	emit_init(&e);
	emit_string(&e, name, strlen(name), true);
	emit_hash(&e, 0);
	emit_unit(&e, "-", 1);
	emit_string(&e, version, strlen(version), false);
	return emit_finish(&e, out, outcap);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* lowercase is not canonical */
}

int gzc_name_unescape(const char *in, char *out, size_t outcap)
{
	char tmp[GZC_NAME_MAX + 1];
	size_t n, o = 0;

	if (!in || !out)
		return -EINVAL;
	n = strnlen(in, GZC_NAME_MAX + 1);
	if (n == 0 || n > GZC_NAME_MAX)
		return -EBADMSG;
	if (strcmp(in, "%00") == 0)
		goto done;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -EBADMSG;
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -EBADMSG; /* includes "%%": a truncated name */
			c = (unsigned char)(hi << 4 | lo);
			/* Only bytes the escaper would escape, so names stay canonical. */
			if (c == 0 || (is_safe(c) && !(i == 0 && (c == '.' || c == '-'))))
				return -EBADMSG;
			i += 3;
		} else {
			if (!is_safe(c) || (i == 0 && (c == '.' || c == '-')))
				return -EBADMSG;
			i++;
		}
		tmp[o++] = (char)c;
	}
done:
	if (o + 1 > outcap)
		return -ENOBUFS;
	memcpy(out, tmp, o);
	out[o] = '\0';
	return (int)o;
}

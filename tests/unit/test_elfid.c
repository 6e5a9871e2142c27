/*
 * Unit tests for src/elfid.c. Fixtures are built at test time with the real
 * toolchain (gcc, ld --package-metadata, objcopy --add-section) in a private
 * temp dir, plus hand-crafted big-endian ELF files and patched/corrupt ones.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfid.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/gzc-elfid-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	FILE *f = fopen(strcat(strcpy((char[128]){ 0 }, dir), "/m.c"), "w");
	cr_assert_not_null(f);
	fputs("#include <unistd.h>\nint main(void){ pause(); return 0; }\n", f);
	fclose(f);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("cleanup of %s failed", dir);
}

TestSuite(elfid, .init = setup, .fini = teardown);

static char *path(const char *name)
{
	static char buf[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

__attribute__((format(printf, 1, 2))) static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	cr_assert_eq(rc, 0, "command failed (%d): %s", rc, cmd);
}

static void write_file(const char *p, const void *buf, size_t len)
{
	FILE *f = fopen(p, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static unsigned char *read_all(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	unsigned char *buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int read_id(const char *p, const char *section, struct gzc_elfid **ret)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s", p);
	int r = gzc_elfid_read(fd, section, ret);
	close(fd);
	return r;
}

static struct gzc_elfid *must_read(const char *p, const char *section)
{
	struct gzc_elfid *id = NULL;
	int r = read_id(p, section, &id);
	cr_assert_eq(r, 0, "gzc_elfid_read(%s) = %d", p, r);
	cr_assert_not_null(id);
	return id;
}

static struct gzc_app *must_app(const struct gzc_elfid *id, const char *comm)
{
	struct gzc_app *app = NULL;
	cr_assert_eq(gzc_elfid_app(id, comm, &app), 0);
	cr_assert_not_null(app);
	return app;
}

#define PKG_JSON "{\"type\":\"deb\",\"name\":\"myapp\",\"version\":\"1.2.3\"}"
#define BID "deadbeef00112233445566778899aabbccddeeff"

/* gcc m.c -> out with extra linker args. */
static void build(const char *out, const char *ldargs)
{
	sh("cd '%s' && gcc -O0 -o '%s' m.c %s", dir, out, ldargs);
}

static void build_pkg(const char *out)
{
	build(out, "-Xlinker '--package-metadata=" PKG_JSON "' -Wl,--build-id=0x" BID);
}

/* A native-endian note: owner (with NUL), type, desc, 4-byte padded. */
static size_t note(unsigned char *out, const char *owner, uint32_t type, const void *desc, uint32_t dlen)
{
	uint32_t nlen = (uint32_t)strlen(owner) + 1, hdr[3] = { nlen, dlen, type };
	size_t o = 0;
	memcpy(out, hdr, 12);
	o = 12;
	memset(out + o, 0, (nlen + 3) & ~3u);
	memcpy(out + o, owner, nlen);
	o += (nlen + 3) & ~3u;
	memset(out + o, 0, (dlen + 3) & ~3u);
	memcpy(out + o, desc, dlen);
	o += (dlen + 3) & ~3u;
	return o;
}

Test(elfid, package_note_and_build_id)
{
	build_pkg("pk");
	struct gzc_elfid *id = must_read(path("pk"), NULL);
	cr_assert_str_eq(id->pkg_json, PKG_JSON);
	cr_assert_str_eq(id->pkg_name, "myapp");
	cr_assert_str_eq(id->pkg_version, "1.2.3");
	cr_assert_str_eq(id->build_id, BID);
	cr_assert_not(id->section_found);
	cr_assert_null(id->section);
	cr_assert_eq(id->note_err, 0);

	struct gzc_app *app = must_app(id, "comm");
	cr_assert_eq(app->source, GZC_APP_PKGNOTE);
	cr_assert_str_eq(app->name, "myapp");
	cr_assert_str_eq(app->version, "1.2.3");
	cr_assert_str_eq(app->group, "myapp-1.2.3");
	gzc_app_free(app);
	gzc_elfid_free(id);
}

Test(elfid, pkg_json_reserialised_compactly)
{
	build("pk", "-Xlinker '--package-metadata={ \"name\" : \"sp/ace\", \"version\":\"2\",\"n\":[1, 2] }'");
	struct gzc_elfid *id = must_read(path("pk"), NULL);
	cr_assert_str_eq(id->pkg_json, "{\"name\":\"sp/ace\",\"version\":\"2\",\"n\":[1,2]}");
	struct gzc_app *app = must_app(id, NULL);
	cr_assert_str_eq(app->group, "sp%2Face-2");
	gzc_app_free(app);
	gzc_elfid_free(id);
}

Test(elfid, real_sha1_build_id_matches_readelf)
{
	build("b", "-Wl,--build-id=sha1");
	struct gzc_elfid *id = must_read(path("b"), NULL);
	char cmd[512], want[128] = "";
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' | sed -n 's/.*Build ID: *//p'", path("b"));
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(want, sizeof(want), p));
	pclose(p);
	want[strcspn(want, "\n")] = '\0';
	cr_assert_eq(strlen(want), 40);
	cr_assert_str_eq(id->build_id, want);
	cr_assert_null(id->pkg_json);

	struct gzc_app *app = must_app(id, "mycomm");
	cr_assert_eq(app->source, GZC_APP_FALLBACK);
	cr_assert_str_eq(app->name, "mycomm");
	char v[32];
	snprintf(v, sizeof(v), "bid-%.12s", want);
	cr_assert_str_eq(app->version, v);
	gzc_app_free(app);
	gzc_elfid_free(id);
}

Test(elfid, nothing_at_all)
{
	build("n", "-Wl,--build-id=none");
	struct gzc_elfid *id = must_read(path("n"), NULL);
	cr_assert_null(id->pkg_json);
	cr_assert_null(id->build_id);
	cr_assert_null(id->section);
	cr_assert_not(id->section_found);
	cr_assert_eq(id->note_err, 0); /* .note.ABI-tag etc. parse fine */
	struct gzc_app *app = must_app(id, "");
	cr_assert_eq(app->source, GZC_APP_FALLBACK);
	cr_assert_str_eq(app->group, "unknown-unknown");
	gzc_app_free(app);
	app = must_app(NULL, "a b");
	cr_assert_str_eq(app->group, "a%20b-unknown");
	gzc_app_free(app);
	gzc_elfid_free(id);
}

Test(elfid, section_key_value)
{
	build("n", "-Wl,--build-id=0x" BID);
	const char *txt = "# comment-free\nNAME=sectapp\nVERSION=\"4.5-1\"\nID=x\n";
	/* '#' line has no '=' -> the whole section is not form 2; check that first */
	write_file(path("u1"), txt, strlen(txt));
	sh("cd '%s' && objcopy --add-section .uuid=u1 n s1", dir);
	struct gzc_elfid *id = must_read(path("s1"), NULL);
	cr_assert(id->section_found);
	cr_assert_str_eq(id->section, txt);
	cr_assert_null(id->sec_name);
	gzc_elfid_free(id);

	txt = "NAME=sectapp\nVERSION=\"4.5-1\"\nID=x\n";
	write_file(path("u2"), txt, strlen(txt));
	sh("cd '%s' && objcopy --add-section .uuid=u2 n s2", dir);
	id = must_read(path("s2"), NULL);
	cr_assert_not(id->section_is_hex);
	cr_assert_eq(id->section_size, strlen(txt));
	cr_assert_str_eq(id->sec_name, "sectapp");
	cr_assert_str_eq(id->sec_version, "4.5-1");
	struct gzc_app *app = must_app(id, "comm");
	cr_assert_eq(app->source, GZC_APP_SECTION);
	cr_assert_str_eq(app->group, "sectapp-4.5-1");
	gzc_app_free(app);
	gzc_elfid_free(id);

	/* The package note wins over the section. */
	build_pkg("pk");
	sh("cd '%s' && objcopy --add-section .uuid=u2 pk s3", dir);
	id = must_read(path("s3"), NULL);
	cr_assert_str_eq(id->sec_name, "sectapp");
	app = must_app(id, "comm");
	cr_assert_eq(app->source, GZC_APP_PKGNOTE);
	cr_assert_str_eq(app->group, "myapp-1.2.3");
	gzc_app_free(app);
	gzc_elfid_free(id);
}

Test(elfid, section_custom_name_json)
{
	build("n", "-Wl,--build-id=none");
	const char *txt = "{\"name\":\"japp\",\"version\":\"9\"}";
	write_file(path("j"), txt, strlen(txt) + 1); /* with a trailing NUL */
	sh("cd '%s' && objcopy --add-section .myid=j n s", dir);
	struct gzc_elfid *id = must_read(path("s"), NULL);
	cr_assert_not(id->section_found); /* looked for .uuid */
	gzc_elfid_free(id);
	id = must_read(path("s"), ".myid");
	cr_assert_str_eq(id->section, txt);
	cr_assert_str_eq(id->sec_name, "japp");
	cr_assert_str_eq(id->sec_version, "9");
	gzc_elfid_free(id);
}

Test(elfid, section_uuid_is_not_a_name)
{
	build("n", "-Wl,--build-id=0x" BID);
	const char *txt = "123e4567-e89b-12d3-a456-426614174000\n";
	write_file(path("u"), txt, strlen(txt));
	sh("cd '%s' && objcopy --add-section .uuid=u n s", dir);
	struct gzc_elfid *id = must_read(path("s"), NULL);
	cr_assert_str_eq(id->section, txt);
	cr_assert_null(id->sec_name);
	cr_assert_null(id->sec_version);
	struct gzc_app *app = must_app(id, "prog");
	cr_assert_eq(app->source, GZC_APP_FALLBACK);
	cr_assert_str_eq(app->group, "prog-bid-deadbeef0011");
	gzc_app_free(app);
	gzc_elfid_free(id);
}

Test(elfid, section_binary_and_oversized)
{
	build("n", "-Wl,--build-id=none");
	write_file(path("b"), "\x00\x01\xff\x00", 4);
	sh("cd '%s' && objcopy --add-section .uuid=b n s", dir);
	struct gzc_elfid *id = must_read(path("s"), NULL);
	cr_assert(id->section_is_hex);
	cr_assert_str_eq(id->section, "0001ff00");
	cr_assert_eq(id->note_err, 0);
	gzc_elfid_free(id);

	char big[GZC_ELFID_SECTION_MAX + 1];
	memset(big, 'a', sizeof(big));
	write_file(path("big"), big, sizeof(big));
	sh("cd '%s' && objcopy --add-section .uuid=big n s2", dir);
	id = must_read(path("s2"), NULL);
	cr_assert(id->section_found);
	cr_assert_null(id->section);
	cr_assert_eq(id->section_size, sizeof(big));
	cr_assert_eq(id->note_err, -E2BIG);
	gzc_elfid_free(id);

	write_file(path("e"), "", 0);
	sh("cd '%s' && objcopy --add-section .uuid=e n s3", dir);
	id = must_read(path("s3"), NULL);
	cr_assert(id->section_found);
	cr_assert_str_eq(id->section, "");
	gzc_elfid_free(id);
}

static void parse_ok_len(const char *in, size_t len, const char *name, const char *version)
{
	char *n = NULL, *v = NULL;
	int r = gzc_elfid_parse_section(in, len, &n, &v);
	cr_assert_eq(r, 0, "parse '%s' = %d", in, r);
	cr_assert_str_eq(n, name);
	cr_assert_str_eq(v, version);
	free(n);
	free(v);
}

static void parse_bad(const char *in, size_t len)
{
	char *n = (char *)1, *v = (char *)2;
	cr_assert_eq(gzc_elfid_parse_section(in, len, &n, &v), -ENOENT, "accepted '%.*s'", (int)len, in);
	cr_assert_eq(n, (char *)1);
	cr_assert_eq(v, (char *)2);
}

#define BAD(s) parse_bad(s, sizeof(s) - 1)
#define parse_ok(s, name, version) parse_ok_len(s, sizeof(s) - 1, name, version) /* s: a literal, NULs and all */

Test(elfid, section_grammar)
{
	parse_ok("name=a\nversion=1", "a", "1");
	parse_ok("version=1\nname=a\n", "a", "1");
	parse_ok("NAME=\"my app\"\nVERSION=1.0\nOTHER=x", "my app", "1.0");
	parse_ok("myapp 1.2.3\n", "myapp", "1.2.3");
	parse_ok("{\"name\":\"a\",\"version\":\"b\",\"x\":1}\n", "a", "b");
	parse_ok("a 1\n\0\0", "a", "1");
	BAD("");
	BAD("\n");
	BAD("myapp-1.2.3");
	BAD("123e4567-e89b-12d3-a456-426614174000");
	BAD("myapp  1.2");
	BAD("my app 1.2");
	BAD("myapp 1.2\nmore");
	BAD("name=a");
	BAD("name=a\nname=b\nversion=1");
	BAD("name=\nversion=1");
	BAD("name=a\nversion=1\njunk");
	BAD("name=a\n\nversion=1");
	BAD("name=a\tb\nversion=1");
	BAD("name=a\nversion=1\r");
	BAD("{\"name\":\"a\"}");
	BAD("{\"name\":1,\"version\":\"1\"}");
	BAD("{\"name\":\"a\",\"version\":\"1\"} x");
	BAD("{\"name\":\"a\\u0000b\",\"version\":\"1\"}");
	BAD("{\"name\":\"a\",\"version\":\"1\"");
	BAD("{'name':'a','version':'1'}");
	BAD("a\0b 1");
	BAD("\xff 1");
	char longv[400];
	memset(longv, 'v', sizeof(longv));
	memcpy(longv, "a ", 2);
	parse_bad(longv, sizeof(longv));
	char *n, *v;
	cr_assert_eq(gzc_elfid_parse_section(NULL, 0, &n, &v), -EINVAL);
}

Test(elfid, package_note_in_section_only)
{
	unsigned char buf[256];
	const char *json = "{\"name\":\"secpkg\",\"version\":\"7\"}";
	size_t n = note(buf, "FDO", GZC_ELFID_PKG_NOTE_TYPE, json, (uint32_t)strlen(json) + 1);
	write_file(path("nb"), buf, n);
	build("n", "-Wl,--build-id=none");
	sh("cd '%s' && objcopy --add-section .note.package=nb n s && readelf -SW s | grep -q 'note.package *NOTE'", dir);
	struct gzc_elfid *id = must_read(path("s"), NULL);
	cr_assert_str_eq(id->pkg_name, "secpkg");
	cr_assert_str_eq(id->pkg_version, "7");
	cr_assert_eq(id->note_err, 0);
	gzc_elfid_free(id);

	/* Wrong owner or wrong type: not a package note. */
	n = note(buf, "FDX", GZC_ELFID_PKG_NOTE_TYPE, json, (uint32_t)strlen(json));
	n += note(buf + n, "FDO", 1, json, (uint32_t)strlen(json));
	write_file(path("nb2"), buf, n);
	sh("cd '%s' && objcopy --add-section .note.package=nb2 n s2", dir);
	id = must_read(path("s2"), NULL);
	cr_assert_null(id->pkg_json);
	cr_assert_eq(id->note_err, 0);
	gzc_elfid_free(id);
}

Test(elfid, package_note_not_object)
{
	const char *bad[] = { "[1,2]", "\"str\"", "42", "{\"a\":1", "{} {}", "{\"a\":01}" };
	build("n", "-Wl,--build-id=0x" BID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char buf[256];
		size_t n = note(buf, "FDO", GZC_ELFID_PKG_NOTE_TYPE, bad[i], (uint32_t)strlen(bad[i]));
		write_file(path("nb"), buf, n);
		sh("cd '%s' && rm -f s && objcopy --add-section .note.package=nb n s", dir);
		struct gzc_elfid *id = must_read(path("s"), NULL);
		cr_assert_null(id->pkg_json, "accepted %s", bad[i]);
		cr_assert_eq(id->note_err, -EBADMSG, "%s", bad[i]);
		cr_assert_str_eq(id->build_id, BID);
		gzc_elfid_free(id);
	}
	/* Through ld too (PT_NOTE and section). */
	build("arr", "-Xlinker '--package-metadata=[1,2]'");
	struct gzc_elfid *id = must_read(path("arr"), NULL);
	cr_assert_null(id->pkg_json);
	cr_assert_eq(id->note_err, -EBADMSG);
	gzc_elfid_free(id);
}

/* Patches the 32-bit word at delta bytes from the package note's "FDO\0{". */
static void patch_pkg_note(const char *in, const char *out, long delta, uint32_t val)
{
	size_t len;
	unsigned char *buf = read_all(in, &len);
	unsigned char *p = memmem(buf, len, "FDO\0{", 5);
	cr_assert_not_null(p);
	int count = 0;
	while (p) { /* every copy (there is one, but be thorough) */
		memcpy(p + delta, &val, 4);
		count++;
		p = memmem(p + 5, len - (size_t)(p + 5 - buf), "FDO\0{", 5);
	}
	cr_assert_eq(count, 1);
	write_file(out, buf, len);
	free(buf);
}

Test(elfid, corrupt_note_sizes)
{
	build_pkg("pk");
	const struct { long delta; uint32_t val; } cases[] = {
		{ -12, 0xffffffffu }, /* namesz huge */
		{ -8, 0xffffffffu },  /* descsz huge */
		{ -8, 0x7ffffff0u },
		{ -8, 4000 },	      /* descsz past the segment */
		{ -12, 0 },	      /* namesz 0: a different note */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		patch_pkg_note(path("pk"), path("bad"), cases[i].delta, cases[i].val);
		struct gzc_elfid *id = must_read(path("bad"), NULL);
		cr_assert_null(id->pkg_json, "case %zu", i);
		cr_assert_str_eq(id->build_id, BID, "case %zu: earlier note still read", i);
		cr_assert_eq(id->note_err, -EBADMSG, "case %zu: %d", i, id->note_err);
		gzc_elfid_free(id);
	}
	/* descsz shorter: JSON cut in the middle -> not an object */
	patch_pkg_note(path("pk"), path("bad"), -8, 10);
	struct gzc_elfid *id = must_read(path("bad"), NULL);
	cr_assert_null(id->pkg_json);
	cr_assert_eq(id->note_err, -EBADMSG);
	gzc_elfid_free(id);
}

Test(elfid, elf32_toolchain)
{
	FILE *f = fopen(path("s.c"), "w");
	fputs("void _start(void){for(;;);}\n", f);
	fclose(f);
	if (system("cd /tmp && echo 'void _start(void){}' | gcc -m32 -nostdlib -static -x c - -o /dev/null 2>/dev/null") != 0)
		cr_skip_test("gcc -m32 cannot link here");
	sh("cd '%s' && gcc -m32 -nostdlib -static -Wl,--build-id=0x0011223344 "
	   "-Xlinker '--package-metadata={\"name\":\"tiny32\",\"version\":\"0.1\"}' s.c -o s32", dir);
	struct gzc_elfid *id = must_read(path("s32"), NULL);
	cr_assert_str_eq(id->pkg_name, "tiny32");
	cr_assert_str_eq(id->pkg_version, "0.1");
	cr_assert_str_eq(id->build_id, "0011223344");
	gzc_elfid_free(id);
}

/* ---- hand-made ELF files of any class and byte order ---- */

struct out {
	unsigned char b[4096];
	size_t n;
	bool be;
};

static void put(struct out *o, uint64_t v, int size)
{
	for (int i = 0; i < size; i++) {
		int shift = o->be ? 8 * (size - 1 - i) : 8 * i;
		o->b[o->n++] = (unsigned char)(v >> shift);
	}
}

static void put_bytes(struct out *o, const void *p, size_t n)
{
	memcpy(o->b + o->n, p, n);
	o->n += n;
	while (o->n % 4)
		o->b[o->n++] = 0;
}

static void put_note(struct out *o, const char *owner, uint32_t type, const void *desc, uint32_t dlen)
{
	put(o, strlen(owner) + 1, 4);
	put(o, dlen, 4);
	put(o, type, 4);
	put_bytes(o, owner, strlen(owner) + 1);
	put_bytes(o, desc, dlen);
}

/* ELF header + one PT_NOTE phdr, then notes appended by the caller; returns
 * the offset of the phdr's p_filesz field to fix up. */
static size_t craft_header(struct out *o, bool is64, bool be)
{
	memset(o, 0, sizeof(*o));
	o->be = be;
	put_bytes(o, "\x7f" "ELF", 4);
	o->b[o->n++] = is64 ? 2 : 1;
	o->b[o->n++] = be ? 2 : 1;
	o->b[o->n++] = 1;
	o->n = 16;
	int w = is64 ? 8 : 4;
	put(o, 2, 2);		     /* ET_EXEC */
	put(o, is64 ? 21 : 20, 2);   /* PPC64 / PPC */
	put(o, 1, 4);
	put(o, 0, w);		     /* entry */
	put(o, is64 ? 64 : 52, w);   /* phoff */
	put(o, 0, w);		     /* shoff */
	put(o, 0, 4);		     /* flags */
	put(o, is64 ? 64 : 52, 2);   /* ehsize */
	put(o, is64 ? 56 : 32, 2);   /* phentsize */
	put(o, 1, 2);		     /* phnum */
	put(o, is64 ? 64 : 40, 2);   /* shentsize */
	put(o, 0, 2);
	put(o, 0, 2);
	size_t notes = (size_t)(is64 ? 64 + 56 : 52 + 32), fix;
	put(o, 4, 4); /* PT_NOTE */
	if (is64) {
		put(o, 4, 4);
		put(o, notes, 8);
		put(o, 0, 8);
		put(o, 0, 8);
		fix = o->n;
		put(o, 0, 8);
		put(o, 0, 8);
		put(o, 4, 8);
	} else {
		put(o, notes, 4);
		put(o, 0, 4);
		put(o, 0, 4);
		fix = o->n;
		put(o, 0, 4);
		put(o, 0, 4);
		put(o, 4, 4);
		put(o, 4, 4);
	}
	cr_assert_eq(o->n, notes);
	return fix;
}

static void craft_finish(struct out *o, size_t fix, bool is64)
{
	size_t end = o->n, size = end - (is64 ? 120 : 84);
	o->n = fix;
	put(o, size, is64 ? 8 : 4);
	put(o, size, is64 ? 8 : 4); /* memsz */
	o->n = end;
}

Test(elfid, crafted_all_classes_and_orders)
{
	for (int k = 0; k < 4; k++) {
		bool is64 = k & 1, be = k & 2;
		struct out o;
		size_t fix = craft_header(&o, is64, be);
		const char *json = "{\"name\":\"crafted\",\"version\":\"5\"}";
		put_note(&o, "GNU", 3, "\x01\x02\xab", 3);
		put_note(&o, "FDO", GZC_ELFID_PKG_NOTE_TYPE, json, (uint32_t)strlen(json) + 1);
		craft_finish(&o, fix, is64);
		write_file(path("c"), o.b, o.n);
		struct gzc_elfid *id = must_read(path("c"), NULL);
		cr_assert_str_eq(id->build_id, "0102ab", "class64=%d be=%d", is64, be);
		cr_assert_str_eq(id->pkg_name, "crafted", "class64=%d be=%d", is64, be);
		cr_assert_eq(id->note_err, 0);
		gzc_elfid_free(id);

		/* PT_NOTE extending past the end of the file */
		write_file(path("c"), o.b, o.n - 8);
		id = must_read(path("c"), NULL);
		cr_assert_null(id->build_id);
		cr_assert_eq(id->note_err, -EBADMSG);
		gzc_elfid_free(id);
	}
}

Test(elfid, not_elf_truncated_and_bad_args)
{
	struct gzc_elfid *sentinel = (struct gzc_elfid *)0x1, *id = sentinel;
	write_file(path("z"), "", 0);
	cr_assert_eq(read_id(path("z"), NULL, &id), -ENOEXEC);
	write_file(path("t"), "#!/bin/sh\nexit 0\n", 17);
	cr_assert_eq(read_id(path("t"), NULL, &id), -ENOEXEC);
	write_file(path("t"), "\x7f" "EL", 3);
	cr_assert_eq(read_id(path("t"), NULL, &id), -ENOEXEC);
	cr_assert_eq(id, sentinel);

	build_pkg("pk");
	size_t len;
	unsigned char *buf = read_all(path("pk"), &len);
	const size_t cuts[] = { 4, 10, 16, 40, 63 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		write_file(path("t"), buf, cuts[i]);
		cr_assert_eq(read_id(path("t"), NULL, &id), -EBADMSG, "cut at %zu", cuts[i]);
		cr_assert_eq(id, sentinel);
	}
	/* Cut after the notes but before the section headers: the notes are
	 * still read or the file is refused, never a crash. */
	for (size_t cut = 64; cut < len; cut += 97) {
		write_file(path("t"), buf, cut);
		int r = read_id(path("t"), NULL, &id);
		cr_assert(r == 0 || r == -EBADMSG, "cut %zu: %d", cut, r);
		if (r == 0) {
			gzc_elfid_free(id);
			id = sentinel;
		}
	}
	free(buf);

	cr_assert_eq(gzc_elfid_read(-1, NULL, &id), -EINVAL);
	int fd = open(path("pk"), O_RDONLY);
	cr_assert_eq(gzc_elfid_read(fd, "", &id), -EINVAL);
	cr_assert_eq(gzc_elfid_read(fd, NULL, NULL), -EINVAL);
	close(fd);
	cr_assert_eq(gzc_elfid_app(NULL, "x", NULL), -EINVAL);
	cr_assert_eq(id, sentinel);
	gzc_elfid_free(NULL);
	gzc_app_free(NULL);
}

/* Section and program header counts that a sparse file makes plausible
 * to libelf (which allocates for each as it opens the file) are refused
 * before libelf sees the file: the extended counts in section header 0. */
Test(elfid, huge_header_counts_refused_before_libelf)
{
	build_pkg("pk");
	size_t len;
	unsigned char *buf = read_all(path("pk"), &len);
	uint64_t shoff = (len + 63) & ~(uint64_t)63;
	const struct { uint16_t shnum, phnum; uint64_t sh_size; uint32_t sh_info; } cases[] = {
		{ 0, 0, 10000000, 0 },	     /* e_shnum 0: the count is sh_size */
		{ 0, 0xffff, 1, 1000000 },   /* PN_XNUM: the count is sh_info */
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		unsigned char *f = calloc(1, shoff + 64);
		cr_assert_not_null(f);
		memcpy(f, buf, len);
		memcpy(f + 40, &shoff, 8); /* e_shoff (the test build is 64-bit LE) */
		uint16_t phnum = cases[k].phnum ? cases[k].phnum : *(uint16_t *)(buf + 56);
		memcpy(f + 56, &phnum, 2);
		memcpy(f + 60, &cases[k].shnum, 2);
		memcpy(f + shoff + 32, &cases[k].sh_size, 8);
		memcpy(f + shoff + 44, &cases[k].sh_info, 4);
		write_file(path("huge"), f, shoff + 64);
		free(f);
		/* as large as the counts say: sparse, nothing written */
		cr_assert_eq(truncate(path("huge"), (off_t)(shoff + 64 * (cases[k].sh_size + 1000000))), 0);
		struct gzc_elfid *id = NULL;
		cr_assert_eq(read_id(path("huge"), NULL, &id), -E2BIG, "case %zu", k);
		cr_assert_null(id);
	}
	free(buf);
}

static bool is_lower_hex(const char *s)
{
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

Test(elfid, fuzz_mutations_never_crash)
{
	build_pkg("pk0");
	write_file(path("u"), "name=f\nversion=1\n", 17);
	sh("cd '%s' && objcopy --add-section .uuid=u pk0 pk", dir);
	size_t len;
	unsigned char *orig = read_all(path("pk"), &len);
	unsigned char *buf = malloc(len);
	int fd = open(path("fz"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	srand(20240601);
	int ok = 0;
	for (int iter = 0; iter < 2000; iter++) {
		memcpy(buf, orig, len);
		int flips = 1 + rand() % 8;
		for (int f = 0; f < flips; f++) {
			/* mostly headers and notes (first KiB) and the section table (end) */
			size_t at = (rand() % 2) ? (size_t)rand() % 1024 : len - 1 - (size_t)rand() % 2048;
			buf[at] = (rand() % 3) ? (unsigned char)rand() : 0xff;
		}
		size_t n = (rand() % 10) ? len : (size_t)rand() % len;
		cr_assert_eq(ftruncate(fd, 0), 0);
		cr_assert_eq(pwrite(fd, buf, n, 0), (ssize_t)n);
		struct gzc_elfid *id = NULL;
		int r = gzc_elfid_read(fd, NULL, &id);
		cr_assert(r == 0 || r == -EBADMSG || r == -ENOEXEC, "iter %d: %d", iter, r);
		if (r < 0)
			continue;
		ok++;
		if (id->build_id)
			cr_assert(is_lower_hex(id->build_id) && strlen(id->build_id) % 2 == 0);
		if (id->pkg_json)
			cr_assert_eq(id->pkg_json[0], '{');
		if (id->section && id->section_is_hex)
			cr_assert(is_lower_hex(id->section));
		struct gzc_app *app = must_app(id, "fz");
		cr_assert(app->name[0] && app->version[0] && app->group[0]);
		gzc_app_free(app);
		gzc_elfid_free(id);
	}
	cr_assert_gt(ok, 100, "mutations too destructive to test anything (%d ok)", ok);
	close(fd);
	free(buf);
	free(orig);
}

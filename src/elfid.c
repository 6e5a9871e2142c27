/*
 * elfid.c — package note, build-id and custom section of an ELF program.
 *
 * Design: libelf does the byte-order and class work (gelf_*), we do the
 * distrust. Before libelf touches a note area or section we check it lies
 * inside the file (fstat size) and count it against GZC_ELFID_NOTES_MAX, so
 * a hostile file cannot make us read or allocate more than about 1 MiB of
 * notes. Notes are walked with gelf_getnote(), which stops at the first note
 * whose sizes do not fit its area. A malformed note or section is recorded
 * in note_err and skipped; only a broken ELF header fails the whole read.
 */
#include "elfid.h"
#include "hex.h"
#include "io.h"

#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <json-c/json.h>
#include <libelf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

#define JSON_DEPTH_MAX 16

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static int elf_ready;

static void elf_init(void)
{
	elf_ready = elf_version(EV_CURRENT) != EV_NONE;
}

/* Records the first problem seen; -EBADMSG wins over -E2BIG. */
static void note_problem(struct gzc_elfid *id, int err)
{
	if (id->note_err == 0 || err == -EBADMSG)
		id->note_err = err;
}


/* A name or version: 1..GZC_ELFID_VALUE_MAX printable ASCII bytes. */
static bool valid_value(const char *s, size_t n, bool allow_space)
{
	if (n == 0 || n > GZC_ELFID_VALUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || (!allow_space && c == ' '))
			return false;
	}
	return true;
}

/* Parses exactly len bytes as one JSON object. Returns it (caller puts it)
 * or NULL if it is not exactly one well-formed object. */
static json_object *parse_json_object(const char *buf, size_t len)
{
	json_tokener *tok;
	json_object *obj;

	if (len == 0 || len > GZC_ELFID_JSON_MAX || memchr(buf, '\0', len))
		return NULL;
	tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* The string member key of obj if it is a valid value, else NULL. */
static const char *json_value(json_object *obj, const char *key)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	/* get_string_len differs from strlen if the string holds \u0000 */
	if (!s || !valid_value(s, (size_t)json_object_get_string_len(v), true) ||
	    strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

static size_t strip_trailing(const char *buf, size_t len, const char *chars)
{
	while (len > 0 && strchr(chars, buf[len - 1]) && buf[len - 1] != '\0')
		len--;
	return len;
}

static size_t strip_nuls(const char *buf, size_t len)
{
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	return len;
}

/* The package note's desc. Returns 0, -EBADMSG or -ENOMEM. */
static int take_pkg_note(struct gzc_elfid *id, const char *desc, size_t len)
{
	json_object *obj;
	const char *s, *name, *version;
	int r = -ENOMEM;

	len = strip_nuls(desc, len);
	len = strip_trailing(desc, len, " \t\r\n");
	obj = parse_json_object(desc, len);
	if (!obj)
		return -EBADMSG;
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || !(id->pkg_json = strdup(s)))
		goto out;
	name = json_value(obj, "name");
	version = json_value(obj, "version");
	if ((name && !(id->pkg_name = strdup(name))) || (version && !(id->pkg_version = strdup(version))))
		goto out;
	r = 0;
out:
	json_object_put(obj);
	return r;
}

/* Walks the notes in d. Returns 0 or -ENOMEM; other problems are recorded. */
static int scan_notes(struct gzc_elfid *id, Elf_Data *d)
{
	GElf_Nhdr nh;
	size_t off = 0, next, name_off, desc_off;
	const char *base = d->d_buf;

	if (!base)
		return 0;
	while ((next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = base + name_off;
		const char *desc = base + desc_off;

		off = next;
		if (nh.n_namesz == 4 && memcmp(name, GZC_ELFID_PKG_NOTE_OWNER, 4) == 0 &&
		    nh.n_type == GZC_ELFID_PKG_NOTE_TYPE && !id->pkg_json) {
			int r = take_pkg_note(id, desc, nh.n_descsz);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				note_problem(id, r);
		} else if (nh.n_namesz == 4 && memcmp(name, "GNU", 4) == 0 && nh.n_type == NT_GNU_BUILD_ID &&
			   !id->build_id) {
			if (nh.n_descsz == 0 || nh.n_descsz > GZC_ELFID_BUILD_ID_MAX) {
				note_problem(id, -EBADMSG);
				continue;
			}
			if (!(id->build_id = gzc_hex_dup((const unsigned char *)desc, nh.n_descsz)))
				return -ENOMEM;
		}
	}
	/* Stopped early: anything left must be zero padding. */
	for (size_t i = off; i < d->d_size; i++)
		if (base[i] != 0) {
			note_problem(id, -EBADMSG);
			break;
		}
	return 0;
}

/* Is [off, off+size) inside the file, and within the scan budget? */
static bool note_area_ok(struct gzc_elfid *id, uint64_t off, uint64_t size, uint64_t fsize, uint64_t *budget)
{
	if (off > fsize || size > fsize - off) {
		note_problem(id, -EBADMSG);
		return false;
	}
	if (size > *budget) {
		note_problem(id, -E2BIG);
		return false;
	}
	*budget -= size;
	return true;
}

static int take_section(struct gzc_elfid *id, Elf_Scn *scn, const GElf_Shdr *sh, uint64_t fsize)
{
	Elf_Data *d;
	const unsigned char *p;
	size_t n;
	bool text = true;

	id->section_found = true;
	id->section_size = sh->sh_size;
	if (sh->sh_type == SHT_NOBITS || sh->sh_offset > fsize || sh->sh_size > fsize - sh->sh_offset) {
		note_problem(id, -EBADMSG);
		return 0;
	}
	if (sh->sh_size > GZC_ELFID_SECTION_MAX) {
		note_problem(id, -E2BIG);
		return 0;
	}
	d = elf_rawdata(scn, NULL);
	if (!d || (d->d_size > 0 && !d->d_buf) || d->d_size != sh->sh_size) {
		note_problem(id, -EBADMSG);
		return 0;
	}
	p = d->d_size ? d->d_buf : (const unsigned char *)"";
	n = strip_nuls((const char *)p, d->d_size);
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\n' && p[i] != '\t' && p[i] != '\r')
			text = false;
	if (text) {
		int r;
		if (!(id->section = strndup((const char *)p, n)))
			return -ENOMEM;
		r = gzc_elfid_parse_section(id->section, n, &id->sec_name, &id->sec_version);
		if (r == -ENOMEM)
			return r;
	} else {
		id->section_is_hex = true;
		if (!(id->section = gzc_hex_dup(p, d->d_size)))
			return -ENOMEM;
	}
	return 0;
}

/* Counts a hostile file may set: libelf allocates and walks one structure
 * per section and program header as it opens a file, and checks their
 * counts only against the file's size, which a sparse file makes as large
 * as it likes. Real programs have a few dozen of each.
 * Reads the header's section and program header counts (extended ones
 * from section header 0) before libelf sees the file. Returns 0, -EBADMSG
 * (bad class or byte order, header cut short), -E2BIG (a count over
 * GZC_ELFID_HEADERS_MAX), -errno of pread. */
static int header_counts_ok(int fd, const unsigned char *ident)
{
	unsigned char eh[64], sh[64];
	bool is64 = ident[EI_CLASS] == ELFCLASS64, msb = ident[EI_DATA] == ELFDATA2MSB;
	size_t ehsz = is64 ? 64 : 52, shsz = is64 ? 64 : 40;
	ssize_t n;

	if ((ident[EI_CLASS] != ELFCLASS32 && !is64) || (ident[EI_DATA] != ELFDATA2LSB && !msb))
		return -EBADMSG;
	if ((n = gzc_pread_all(fd, eh, ehsz, 0)) < 0)
		return (int)n;
	if ((size_t)n < ehsz)
		return -EBADMSG;
	uint64_t shoff = is64 ? gzc_get_uint(eh + 40, 8, msb) : gzc_get_uint(eh + 32, 4, msb);
	uint64_t phnum = gzc_get_uint(eh + (is64 ? 56 : 44), 2, msb), shnum = gzc_get_uint(eh + (is64 ? 60 : 48), 2, msb);
	if ((shnum == 0 || phnum == PN_XNUM) && shoff) {
		if ((n = gzc_pread_all(fd, sh, shsz, shoff)) < 0)
			return (int)n;
		if ((size_t)n < shsz)
			return -EBADMSG;
		if (shnum == 0)
			shnum = is64 ? gzc_get_uint(sh + 32, 8, msb) : gzc_get_uint(sh + 20, 4, msb);
		if (phnum == PN_XNUM)
			phnum = gzc_get_uint(sh + (is64 ? 44 : 28), 4, msb);
	}
	return shnum > GZC_ELFID_HEADERS_MAX || phnum > GZC_ELFID_HEADERS_MAX ? -E2BIG : 0;
}

int gzc_elfid_read(int fd, const char *section_name, struct gzc_elfid **ret)
{
	struct gzc_elfid *id = NULL;
	struct stat st;
	unsigned char ident[EI_NIDENT];
	Elf *elf = NULL;
	GElf_Ehdr eh;
	size_t phnum, shstrndx;
	uint64_t fsize, budget = GZC_ELFID_NOTES_MAX;
	bool have_strtab;
	Elf_Scn *scn = NULL;
	ssize_t n;
	int r;

	if (fd < 0 || !ret)
		return -EINVAL;
	if (!section_name)
		section_name = GZC_ELFID_DEFAULT_SECTION;
	if (section_name[0] == '\0' || strnlen(section_name, GZC_ELFID_SECTION_NAME_MAX + 1) > GZC_ELFID_SECTION_NAME_MAX)
		return -EINVAL;
	pthread_once(&elf_once, elf_init);
	if (!elf_ready)
		return -ENOSYS;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0)
		return -ENOEXEC;
	fsize = (uint64_t)st.st_size;
	n = gzc_pread_all(fd, ident, sizeof(ident), 0);
	if (n < 0)
		return (int)n;
	if (n < SELFMAG || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if ((size_t)n < sizeof(ident))
		return -EBADMSG;
	if ((r = header_counts_ok(fd, ident)) < 0)
		return r;

	id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		r = -EBADMSG; /* libelf does not tell ENOMEM apart publicly */
		goto fail;
	}
	r = -EBADMSG;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		goto fail;
	if (elf_getphdrnum(elf, &phnum) < 0)
		goto fail;

	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			r = -EBADMSG; /* an earlier scan_notes() may have set r to 0 */
			goto fail;
		}
		if (ph.p_type != PT_NOTE || !note_area_ok(id, ph.p_offset, ph.p_filesz, fsize, &budget))
			continue;
		d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
					 ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (!d) {
			note_problem(id, -EBADMSG);
			continue;
		}
		if ((r = scan_notes(id, d)) < 0)
			goto fail;
	}

	/* Sections are optional (stripped of headers: fine). */
	have_strtab = elf_getshdrstrndx(elf, &shstrndx) == 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *sname;

		if (!gelf_getshdr(scn, &sh)) {
			note_problem(id, -EBADMSG);
			break;
		}
		if (sh.sh_type == SHT_NOTE) {
			Elf_Data *d;
			if (!note_area_ok(id, sh.sh_offset, sh.sh_size, fsize, &budget))
				continue;
			d = elf_getdata(scn, NULL);
			if (!d) {
				note_problem(id, -EBADMSG);
				continue;
			}
			if ((r = scan_notes(id, d)) < 0)
				goto fail;
		}
		if (!have_strtab || id->section_found)
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sname && strcmp(sname, section_name) == 0 && (r = take_section(id, scn, &sh, fsize)) < 0)
			goto fail;
	}
	elf_end(elf);
	*ret = id;
	return 0;
fail:
	elf_end(elf);
	gzc_elfid_free(id);
	return r;
}

void gzc_elfid_free(struct gzc_elfid *id)
{
	if (!id)
		return;
	free(id->pkg_json);
	free(id->pkg_name);
	free(id->pkg_version);
	free(id->build_id);
	free(id->section);
	free(id->sec_name);
	free(id->sec_version);
	free(id);
}

/* Form 2 of the grammar: KEY=VALUE lines. */
static bool parse_kv_lines(const char *buf, size_t len, const char **name, size_t *name_len, const char **version,
			   size_t *version_len)
{
	const char *p = buf, *end = buf + len;

	*name = *version = NULL;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(eol - p));
		const char *v;
		size_t klen, vlen;

		if (!eq)
			return false;
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = (size_t)(eol - v);
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if ((klen == 4 && (memcmp(p, "name", 4) == 0 || memcmp(p, "NAME", 4) == 0))) {
			if (*name || !valid_value(v, vlen, true))
				return false;
			*name = v;
			*name_len = vlen;
		} else if (klen == 7 && (memcmp(p, "version", 7) == 0 || memcmp(p, "VERSION", 7) == 0)) {
			if (*version || !valid_value(v, vlen, true))
				return false;
			*version = v;
			*version_len = vlen;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return *name && *version;
}

int gzc_elfid_parse_section(const char *buf, size_t len, char **ret_name, char **ret_version)
{
	const char *name = NULL, *version = NULL;
	size_t name_len = 0, version_len = 0;
	char *n, *v;

	if (!buf || !ret_name || !ret_version)
		return -EINVAL;
	len = strip_nuls(buf, len);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len > GZC_ELFID_SECTION_MAX || memchr(buf, '\0', len))
		return -ENOENT;

	if (buf[0] == '{') {
		json_object *obj = parse_json_object(buf, len);
		int r = -ENOENT;
		if (!obj)
			return -ENOENT;
		name = json_value(obj, "name");
		version = json_value(obj, "version");
		if (name && version) {
			n = strdup(name);
			v = strdup(version);
			r = (n && v) ? 0 : -ENOMEM;
			if (r == 0) {
				*ret_name = n;
				*ret_version = v;
			} else {
				free(n);
				free(v);
			}
		}
		json_object_put(obj);
		return r;
	}
	if (memchr(buf, '=', len)) {
		if (!parse_kv_lines(buf, len, &name, &name_len, &version, &version_len))
			return -ENOENT;
	} else {
		const char *sp = memchr(buf, ' ', len);
		if (!sp || memchr(buf, '\n', len))
			return -ENOENT;
		name = buf;
		name_len = (size_t)(sp - buf);
		version = sp + 1;
		version_len = len - name_len - 1;
		if (!valid_value(name, name_len, false) || !valid_value(version, version_len, false))
			return -ENOENT;
	}
	n = strndup(name, name_len);
	v = strndup(version, version_len);
	if (!n || !v) {
		free(n);
		free(v);
		return -ENOMEM;
	}
	*ret_name = n;
	*ret_version = v;
	return 0;
}

int gzc_elfid_app(const struct gzc_elfid *id, const char *comm, struct gzc_app **ret)
{
	struct gzc_app *app;
	int r = -ENOMEM;

	if (!ret)
		return -EINVAL;
	app = calloc(1, sizeof(*app));
	if (!app)
		return -ENOMEM;
	if (id && id->pkg_name && id->pkg_version) {
		app->source = GZC_APP_PKGNOTE;
		app->name = strdup(id->pkg_name);
		app->version = strdup(id->pkg_version);
	} else if (id && id->sec_name && id->sec_version) {
		app->source = GZC_APP_SECTION;
		app->name = strdup(id->sec_name);
		app->version = strdup(id->sec_version);
	} else {
		app->source = GZC_APP_FALLBACK;
		app->name = (comm && comm[0]) ? strndup(comm, GZC_ELFID_VALUE_MAX) : strdup("unknown");
		if (id && id->build_id && id->build_id[0]) {
			if (asprintf(&app->version, "bid-%.*s", GZC_ELFID_BID_PREFIX_LEN, id->build_id) < 0)
				app->version = NULL;
		} else {
			app->version = strdup("unknown");
		}
	}
	if (!app->name || !app->version)
		goto fail;
	r = gzc_group_name(app->name, app->version, app->group, sizeof(app->group));
	if (r < 0)
		goto fail;
	*ret = app;
	return 0;
fail:
	gzc_app_free(app);
	return r;
}

void gzc_app_free(struct gzc_app *app)
{
	if (!app)
		return;
	free(app->name);
	free(app->version);
	free(app);
}

/*
 * elfid.h — the identity of a program, read from its ELF file.
 *
 * Ties a core dump to the exact build of the program that crashed. Three
 * sources, all read from an fd (typically /proc/<pid>/exe) with libelf and
 * all treated as hostile input (every size bounded, parsing strict):
 *
 *  - the package metadata note (systemd / Fedora "package notes" spec):
 *    owner "FDO", type 0xcafe1a7e, desc = a JSON object such as
 *    {"type":"deb","name":"myapp","version":"1.2.3"}, made by
 *    `ld --package-metadata=JSON`; found in PT_NOTE segments or SHT_NOTE
 *    sections (usually named .note.package);
 *  - the GNU build-id note (owner "GNU", NT_GNU_BUILD_ID);
 *  - a custom section (default ".uuid"), added by
 *    `objcopy --add-section .uuid=FILE app`.
 *
 * The custom section may name the app. Its contents, with trailing NUL bytes
 * and one trailing newline removed, are read with this grammar, first match:
 *
 *   1. a JSON object (first byte '{') with string members "name" and
 *      "version"; other members are ignored;
 *   2. lines "KEY=VALUE" separated by '\n' (every line must have '='):
 *      KEY "name" or "NAME", "version" or "VERSION"; other keys are ignored;
 *      a key given twice is an error; VALUE may be wrapped in one pair of
 *      double quotes, which are removed (no escapes);
 *   3. one line "NAME VERSION": exactly two tokens separated by one space.
 *
 * "name-version" is deliberately NOT accepted: it cannot be split reliably
 * ("my-app-2fa-1.0") and a bare UUID ("123e4567-e89b-12d3-...") would parse.
 * Every name/version value must be 1..GZC_ELFID_VALUE_MAX bytes of printable
 * ASCII (0x20..0x7e; spaces allowed except in form 3). Anything else leaves
 * the section's name/version unset.
 *
 * No global state beyond libelf's version handshake (done once, thread safe).
 */
#ifndef GZC_ELFID_H
#define GZC_ELFID_H

#include <stdbool.h>
#include <stddef.h>

#include "names.h"

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_ELFID_DEFAULT_SECTION ".uuid"
#define GZC_ELFID_PKG_NOTE_TYPE 0xcafe1a7eU
#define GZC_ELFID_PKG_NOTE_OWNER "FDO"
#define GZC_ELFID_JSON_MAX (64 * 1024)	  /* package note desc, bytes */
#define GZC_ELFID_SECTION_MAX 4096	  /* custom section contents, bytes */
#define GZC_ELFID_NOTES_MAX (1024 * 1024) /* note bytes scanned in all */
#define GZC_ELFID_BUILD_ID_MAX 64	  /* build-id bytes (hex is twice) */
#define GZC_ELFID_VALUE_MAX 256		  /* a name or version string */
#define GZC_ELFID_SECTION_NAME_MAX 64	  /* the section_name parameter */
#define GZC_ELFID_HEADERS_MAX 65536	  /* sections, and program headers */
#define GZC_ELFID_BID_PREFIX_LEN 12	  /* hex digits of build-id in a fallback version */

/* What gzc_elfid_read() found. Every string is NUL-terminated, owned by the
 * struct and freed by gzc_elfid_free(); NULL means "not present/not valid". */
struct gzc_elfid {
	char *pkg_json;	   /* package note JSON, re-serialised compactly */
	char *pkg_name;	   /* its "name" member, if a valid string */
	char *pkg_version; /* its "version" member, if a valid string */
	char *build_id;	   /* GNU build-id, lowercase hex */
	char *section;	   /* custom section contents: text, or lowercase hex */
	bool section_found;   /* the custom section exists (even if empty/oversized) */
	bool section_is_hex;  /* section holds hex because the bytes were not text */
	size_t section_size;  /* its size in the file (may exceed the cap) */
	char *sec_name;	   /* name from the section (set only with sec_version) */
	char *sec_version; /* version from the section (set only with sec_name) */
	/* Problems that did not stop the read: 0, or -EBADMSG if a note area,
	 * package note or custom section was malformed or out of the file, or
	 * -E2BIG if a cap was hit (the rest was skipped). */
	int note_err;
};

/* Which source gave the app's name and version. */
enum gzc_app_source {
	GZC_APP_PKGNOTE = 1, /* the package metadata note */
	GZC_APP_SECTION,     /* the custom section */
	GZC_APP_FALLBACK,    /* comm + "bid-<12 hex of build-id>" or "unknown" */
};

struct gzc_app {
	char *name;			/* never NULL or empty */
	char *version;			/* never NULL or empty */
	enum gzc_app_source source;
	char group[GZC_NAME_MAX + 1];	/* gzc_group_name(name, version) */
};

/* Reads the identity of the ELF file open on fd (not moved: pread-style
 * access through libelf; fd stays the caller's). section_name is the custom
 * section to look for, NULL for GZC_ELFID_DEFAULT_SECTION. Partial problems
 * (a corrupt note, an oversized section) are recorded in note_err and the
 * rest is still returned.
 * Errors: -EINVAL (fd < 0, ret NULL, section_name empty or longer than
 * GZC_ELFID_SECTION_NAME_MAX), -ENOEXEC (not an ELF file: empty, too short
 * for the magic, or wrong magic), -EBADMSG (ELF magic but the header or
 * header tables are corrupt or outside the file), -E2BIG (more than
 * GZC_ELFID_HEADERS_MAX sections or program headers, counted before libelf
 * opens the file: it allocates for each), -ENOMEM, -ENOSYS (libelf
 * refused EV_CURRENT), or -errno of fstat/pread. *ret is untouched on failure; on success the caller owns *ret and
 * frees it with gzc_elfid_free(). */
GZC_MUST_CHECK int gzc_elfid_read(int fd, const char *section_name, struct gzc_elfid **ret);

/* Frees what gzc_elfid_read() returned. Accepts NULL. */
void gzc_elfid_free(struct gzc_elfid *id);

/* Parses custom-section text with the grammar above (exposed for tests and
 * for callers holding the bytes already). On success sets *ret_name and
 * *ret_version to new strings the caller frees with free(), returns 0.
 * Errors: -EINVAL (NULL argument), -ENOENT (no name and version in it),
 * -ENOMEM. Outputs untouched on failure. */
GZC_MUST_CHECK int gzc_elfid_parse_section(const char *buf, size_t len, char **ret_name, char **ret_version);

/* Decides the app's name and version. Precedence: (1) the package note if it
 * has both name and version, (2) the custom section if it holds both,
 * (3) fallback: name = comm (first GZC_ELFID_VALUE_MAX bytes; "unknown" if
 * NULL or empty), version = "bid-" + the first 12 hex digits of the build-id,
 * or "unknown" without one. id may be NULL (no ELF identity: fallback).
 * Errors: -EINVAL (ret NULL), -ENOMEM. *ret untouched on failure; on success
 * the caller owns *ret and frees it with gzc_app_free(). */
GZC_MUST_CHECK int gzc_elfid_app(const struct gzc_elfid *id, const char *comm, struct gzc_app **ret);

/* Frees what gzc_elfid_app() returned. Accepts NULL. */
void gzc_app_free(struct gzc_app *app);

#endif

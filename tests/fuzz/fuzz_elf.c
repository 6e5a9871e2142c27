/*
 * fuzz_elf.c — any bytes as a crashed program's executable (elfid: package
 * note, build-id, custom section) and as a core (corenote: NT_PRPSINFO,
 * NT_PRSTATUS, NT_FILE, build-ids in memory; and the core's expected end).
 *
 * The app's name, version and group made from what was found must be
 * usable as-is: non-empty, and the group a safe single path component.
 */
#include <errno.h>

#include "corenote.h"
#include "elfid.h"
#include "fuzz_util.h"
#include "names.h"

static void check_app(const struct gzc_app *app)
{
	FUZZ_CHECK(app->name && app->name[0] && app->version && app->version[0], "empty app name or version");
	size_t gl = strnlen(app->group, sizeof(app->group));
	FUZZ_CHECK(gl > 0 && gl <= GZC_NAME_MAX, "group name length %zu", gl);
	FUZZ_CHECK(strchr(app->group, '/') == NULL && app->group[0] != '.', "unsafe group name %s", app->group);
	for (size_t i = 0; i < gl; i++) {
		unsigned char c = (unsigned char)app->group[i];
		FUZZ_CHECK(c > 0x20 && c < 0x7f, "group name byte 0x%02x", c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	int fd = fuzz_memfd(d, n);
	if (fd < 0)
		return 0;
	struct gzc_elfid *id = NULL;
	struct gzc_app *app = NULL;
	if (gzc_elfid_read(fd, NULL, &id) == 0 || gzc_elfid_read(fd, ".uuid", &id) == 0) {
		FUZZ_CHECK(gzc_elfid_app(id, "comm", &app) == 0, "no app from an identity");
		check_app(app);
		gzc_app_free(app);
		gzc_elfid_free(id);
	}
	close(fd);

	char *name = NULL, *version = NULL;
	if (gzc_elfid_parse_section((const char *)d, n, &name, &version) == 0) {
		FUZZ_CHECK(name && version, "section parse gave NULL");
		free(name);
		free(version);
	}

	struct gzc_coreinfo *info = NULL;
	if (gzc_corenote_read_mem(d, n, &info) == 0) {
		FUZZ_CHECK(info->signal >= 0 && info->signal <= 127, "signal %d", info->signal);
		FUZZ_CHECK(strlen(info->comm) <= GZC_CORE_COMM_LEN, "comm too long");
		struct gzc_elfid fake;
		memset(&fake, 0, sizeof(fake));
		fake.build_id = info->build_id;
		FUZZ_CHECK(gzc_elfid_app(info->build_id ? &fake : NULL, info->comm, &app) == 0, "no app from notes");
		check_app(app);
		gzc_app_free(app);
		gzc_coreinfo_free(info);
	}
	uint64_t end;
	(void)gzc_core_extent_mem(d, n, &end);
	return 0;
}

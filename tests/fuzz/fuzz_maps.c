/*
 * fuzz_maps.c — any bytes as a process's /proc/<pid>/maps (whose file
 * names are the process's to choose), listed as modules.
 *
 * Listing must succeed (or run out of memory) and give at most
 * GZC_MODULES_MAX modules, each a file path from a whole line, mapped from
 * a start below its end, with no identity read yet.
 */
#include "fuzz_util.h"
#include "gzcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct gzc_module *m = NULL;
	size_t count = 0;
	if (gzc_modules_from_maps((const char *)d, n, &m, &count) < 0)
		return 0;
	FUZZ_CHECK(count <= GZC_MODULES_MAX, "%zu modules", count);
	FUZZ_CHECK((count == 0) == (m == NULL), "%zu modules in %p", count, (void *)m);
	for (size_t i = 0; i < count; i++) {
		FUZZ_CHECK(m[i].path && m[i].path[0] == '/' && !strchr(m[i].path, '\n'), "path %s", m[i].path);
		FUZZ_CHECK(memmem(d, n, m[i].path, strlen(m[i].path)) != NULL, "path %s not in the input", m[i].path);
		FUZZ_CHECK(m[i].start < m[i].end, "%llx-%llx", (unsigned long long)m[i].start, (unsigned long long)m[i].end);
		FUZZ_CHECK(!m[i].build_id && !m[i].package_json && !m[i].error, "identity set by listing");
	}
	gzc_modules_free(m, count);
	return 0;
}

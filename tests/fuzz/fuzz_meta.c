/*
 * fuzz_meta.c — any bytes as a sidecar (.json beside a core in the store).
 *
 * Parsing must fail cleanly or give metadata that writes out as JSON which
 * parses back to the same JSON; its stack trace formats, and has a
 * signature or says why not.
 */
#include "fuzz_util.h"
#include "gzcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct gzc_meta m, m2;
	char *j1 = NULL, *j2 = NULL;
	if (gzc_meta_parse((const char *)d, n, &m) < 0)
		return 0;
	FUZZ_CHECK(gzc_meta_to_json(&m, &j1) == 0, "parsed metadata did not serialise");
	FUZZ_CHECK(gzc_meta_parse(j1, strlen(j1), &m2) == 0, "our own JSON did not parse: %s", j1);
	FUZZ_CHECK(gzc_meta_to_json(&m2, &j2) == 0, "second serialisation");
	FUZZ_CHECK(strcmp(j1, j2) == 0, "round trip changed the JSON:\n%s\n%s", j1, j2);
	/* a stored trace, as info reads one: its text and its signature */
	char sig[GZC_STACK_SIGNATURE_LEN + 1];
	int r = gzc_stack_signature(&m.stack, m.signal, sig);
	FUZZ_CHECK(r == 0 ? strlen(sig) == GZC_STACK_SIGNATURE_LEN : (r == -ENODATA && !sig[0]), "signature %d '%s'", r,
		   sig);
	free(gzc_stack_format(&m.stack, 0, 2));
	free(j1);
	free(j2);
	gzc_meta_clear(&m);
	gzc_meta_clear(&m2);
	return 0;
}

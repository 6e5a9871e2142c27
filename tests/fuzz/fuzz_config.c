/*
 * fuzz_config.c — any bytes as /etc/gzcoredump.conf, and the value parsers.
 */
#include <errno.h>

#include "fuzz_util.h"
#include "gzcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct gzc_config c;
	struct gzc_config_error err;
	gzc_config_init(&c);
	int rc = gzc_config_parse(&c, (const char *)d, n, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG, "unexpected error %d", rc);
	FUZZ_CHECK(c.store[0] == '/', "the store is not an absolute path: %s", c.store);
	/* the value parsers on the input as one string */
	char s[256];
	size_t k = n < sizeof(s) - 1 ? n : sizeof(s) - 1;
	memcpy(s, d, k);
	s[k] = 0;
	uint64_t v;
	uint32_t count;
	(void)gzc_config_parse_size(s, &v);
	rc = gzc_config_parse_number(s, 1000, &v);
	FUZZ_CHECK(rc < 0 || (v <= 1000 && s[0] >= '0' && s[0] <= '9'), "number %s read as %llu", s,
		   (unsigned long long)v);
	(void)gzc_config_parse_duration(s, &v);
	(void)gzc_config_parse_rate(s, &count, &v);
	return 0;
}

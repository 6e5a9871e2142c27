/*
 * tsan_criterion.c — linked into the unit tests of a SAN=thread build only.
 * Criterion's BoxFort maps its inheritable arena with MAP_FIXED at
 * 0x200000000000 + (rand_r() & 0x3fffff) * 16 MiB, inside what TSan keeps
 * for its shadow: every test binary aborts ("Could not initialize
 * inheritable arena", Criterion issue #274). This rand_r answers BoxFort's
 * calls with offsets that put the arena at 0x5660'0000'0000 and up:
 * application memory in TSan's x86_64 layouts, above where the kernel puts
 * a PIE binary. Any other caller gets glibc's rand_r.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

int rand_r(unsigned int *seed)
{
	Dl_info di;
	if (dladdr(__builtin_return_address(0), &di) && di.dli_fname && strstr(di.dli_fname, "libcriterion")) {
		static unsigned next;
		return (int)(0x366000 + (__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) & 0xff));
	}
	/* glibc's rand_r */
	unsigned int n = *seed;
	int r;
	n = n * 1103515245 + 12345;
	r = (int)((n / 65536) % 2048);
	n = n * 1103515245 + 12345;
	r = (r << 10) ^ (int)((n / 65536) % 1024);
	n = n * 1103515245 + 12345;
	r = (r << 10) ^ (int)((n / 65536) % 1024);
	*seed = n;
	return r;
}

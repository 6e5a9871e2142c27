/* crash_abort — dies of SIGABRT, abort() called from crash_abort_here(). */
#include "crash_common.h"

__attribute__((noinline)) void crash_abort_here(int why)
{
	if (why >= 0)
		abort();
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	crash_options(argc, argv);
	crash_abort_here(argc);
	return 0;
}

/* crash_segv — dies of SIGSEGV in crash_segv_here() (see crash_common.h for options). */
#include "crash_common.h"

__attribute__((noinline)) void crash_segv_here(volatile int *p)
{
	*p = 42; /* p is NULL */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void crash_segv_caller(void)
{
	volatile int *volatile p = NULL;
	crash_segv_here(p);
	crash_sink++;
}

int main(int argc, char **argv)
{
	crash_options(argc, argv);
	crash_segv_caller();
	return 0;
}

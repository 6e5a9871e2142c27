/* crash_threads — four worker threads wait, then the fourth one dies of SIGSEGV
 * in crash_thread_here() three frames deep. */
#include "crash_common.h"
#include <pthread.h>

static pthread_barrier_t barrier;

__attribute__((noinline)) void crash_thread_here(volatile int *p)
{
	*p = 7;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void crash_thread_deeper(long id)
{
	volatile int *volatile p = NULL;
	if (id == 3)
		crash_thread_here(p);
	for (;;)
		pause();
}

static void *worker(void *arg)
{
	pthread_barrier_wait(&barrier);
	crash_thread_deeper((long)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[4];
	crash_options(argc, argv);
	pthread_barrier_init(&barrier, NULL, 4);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}

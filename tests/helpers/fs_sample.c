/*
 * fs_sample.c — a process for gzcorefs tests, the demo and the benchmark to
 * take a core of (with gcore, or by crashing).
 *
 *   fs_sample [--mb N] [--crash]
 *
 * Four worker threads and the main thread each sit at the bottom of a deep
 * stack (distinct frames, no tail calls), so `bt` and `info threads` have
 * something to show. --mb N fills N MiB of heap with a mix a real core has:
 * a quarter zero pages, a quarter small heap objects, a quarter log-like
 * text, a quarter pseudo-random bytes. Prints "ready <pid>" on stdout when
 * all is in place, then waits (or, with --crash, aborts at the bottom of
 * the main thread's stack).
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4
#define THREAD_DEPTH 40
#define MAIN_DEPTH 25

struct obj {
	struct obj *next;
	uint32_t id;
	char name[24];
	double weight;
};

static pthread_barrier_t ready;
static int crash;
static volatile int stop; /* never set: keeps the compiler from calling the recursion infinite */
static volatile unsigned char *ballast[4];
static struct obj *objects;

static void bottom(int who)
{
	if (who < 0) {
		pthread_barrier_wait(&ready);
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (crash)
			abort();
	} else {
		pthread_barrier_wait(&ready);
	}
	while (!stop)
		pause();
}

__attribute__((noinline)) static int descend(int depth, int who)
{
	volatile char frame[64];
	frame[0] = (char)depth;
	if (depth == 0)
		bottom(who);
	else
		descend(depth - 1, who);
	return frame[0]; /* used after the call: no tail call */
}

static void *worker(void *arg)
{
	descend(THREAD_DEPTH, (int)(intptr_t)arg);
	return NULL;
}

static void fill(size_t mb)
{
	size_t q = (mb << 20) / 4;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	ballast[0] = calloc(1, q); /* zeros */
	for (size_t i = 0; i + sizeof(struct obj) <= q; i += sizeof(struct obj)) {
		struct obj *o = malloc(sizeof(*o));
		if (!o)
			break;
		o->next = objects;
		o->id = (uint32_t)(i / sizeof(*o));
		snprintf(o->name, sizeof(o->name), "object-%u", o->id);
		o->weight = o->id * 0.5;
		objects = o;
	}
	unsigned char *t = malloc(q);
	for (size_t i = 0; t && i < q;) {
		char line[128];
		int n = snprintf(line, sizeof(line), "2024-01-01T00:00:%02zu worker %zu: request %zu served in %zu us\n",
				 i % 60, i % 7, i, (i * 31) % 997);
		size_t k = (size_t)n < q - i ? (size_t)n : q - i;
		memcpy(t + i, line, k);
		i += k;
	}
	ballast[1] = t;
	unsigned char *r = malloc(q);
	for (size_t i = 0; r && i < q; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		r[i] = (unsigned char)((x * 0x2545f4914f6cdd1dull) >> 56);
	}
	ballast[2] = r;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	size_t mb = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--crash"))
			crash = 1;
		else if (!strcmp(argv[i], "--mb") && i + 1 < argc)
			mb = strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: fs_sample [--mb N] [--crash]\n");
			return 2;
		}
	}
	if (mb)
		fill(mb);
	pthread_barrier_init(&ready, NULL, NTHREADS + 1);
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	descend(MAIN_DEPTH, -1);
	return 0;
}

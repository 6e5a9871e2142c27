/*
 * memhog — a process whose memory looks like a real program's, for
 * benchmarks: MiB given as argv[1] (default 300), split into zero pages,
 * heap objects (small structs with pointers and counters), text (log-like
 * lines), and random bytes. Prints "ready <pid>" and waits to be dumped
 * (gcore) or crashes itself with SIGSEGV when argv[2] is "crash".
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct node {
	struct node *next, *prev;
	uint64_t id;
	uint32_t refs, flags;
	char name[24];
	double weight;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void __attribute__((noinline)) crash_now(volatile int *p)
{
	*p = 42; /* SIGSEGV */
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 300;
	size_t total = mib << 20;
	size_t zeros = total * 35 / 100, heap = total * 25 / 100, text = total * 20 / 100;
	size_t rnd = total - zeros - heap - text;
	static const char *words[] = { "request", "handler", "timeout", "session", "buffer", "error",
				       "connection", "user", "GET", "/api/v1/items", "200", "latency_ms",
				       "worker", "queue", "INFO", "WARN", "retry", "cache", "miss", "hit" };

	/* zero pages that were touched (a real heap after free) */
	char *z = mmap(NULL, zeros, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < zeros; i += 4096)
		z[i] = 0;

	size_t nnodes = heap / sizeof(struct node);
	struct node *nodes = malloc(nnodes * sizeof(*nodes));
	if (!nodes)
		return 1;
	for (size_t i = 0; i < nnodes; i++) {
		struct node *n = &nodes[i];
		n->next = &nodes[(i + 1) % nnodes];
		n->prev = &nodes[(i + nnodes - 1) % nnodes];
		n->id = i;
		n->refs = (uint32_t)(next_rand() % 4);
		n->flags = (uint32_t)(i & 7);
		snprintf(n->name, sizeof(n->name), "obj-%zu", i % 100000);
		n->weight = (double)(next_rand() % 1000) / 10.0;
	}

	char *t = malloc(text);
	if (!t)
		return 1;
	size_t pos = 0;
	while (pos + 200 < text) {
		int n = snprintf(t + pos, 200, "2026-11-26T06:%02u:%02u.%03u %s %s %s %s=%u\n",
				 (unsigned)(next_rand() % 60), (unsigned)(next_rand() % 60), (unsigned)(next_rand() % 1000),
				 words[next_rand() % 20], words[next_rand() % 20], words[next_rand() % 20],
				 words[next_rand() % 20], (unsigned)(next_rand() % 5000));
		pos += (size_t)n;
	}
	memset(t + pos, ' ', text - pos);

	uint64_t *r = malloc(rnd);
	if (!r)
		return 1;
	for (size_t i = 0; i < rnd / 8; i++)
		r[i] = next_rand();

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (argc > 2 && strcmp(argv[2], "crash") == 0)
		crash_now(NULL);
	for (;;)
		pause();
}

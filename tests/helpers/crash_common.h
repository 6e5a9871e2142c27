/* crash_common.h — options shared by the crash helpers (tests/helpers/crash_*.c).
 *   --comm NAME   set the comm (prctl PR_SET_NAME) before crashing
 *   --cwd DIR     chdir into DIR before crashing
 *   --mb N        first fill N MiB: a quarter zeros, a quarter heap objects,
 *                 a quarter text, a quarter random bytes (for benchmarks)
 *   --ready FILE  create FILE just before crashing (for tests that wait)
 */
#ifndef CRASH_COMMON_H
#define CRASH_COMMON_H
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static volatile unsigned long crash_sink;

static void crash_fill(size_t mb)
{
	size_t q = mb * 1024 * 1024 / 4;
	char *zeros = calloc(1, q);            /* untouched: zero pages */
	char *text = malloc(q);
	unsigned char *rnd = malloc(q);
	if (!zeros || !text || !rnd)
		exit(3);
	zeros[0] = 0;
	static const char words[] = "core dump stack frame register thread signal heap mapping ";
	for (size_t i = 0; i < q; i++)
		text[i] = words[i % (sizeof(words) - 1)];
	unsigned long x = 88172645463325252UL;
	for (size_t i = 0; i < q; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		rnd[i] = (unsigned char)x;
	}
	/* heap objects: many small linked nodes */
	struct node { struct node *next; long id; char name[48]; } *head = NULL;
	for (size_t i = 0; i < q / sizeof(struct node); i++) {
		struct node *n = malloc(sizeof(*n));
		if (!n)
			exit(3);
		n->next = head;
		n->id = (long)i;
		snprintf(n->name, sizeof(n->name), "object-%zu", i);
		head = n;
	}
	crash_sink = (unsigned long)head + (unsigned long)text + (unsigned long)rnd;
}

static void crash_options(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--comm"))
			prctl(PR_SET_NAME, argv[i + 1], 0, 0, 0);
		else if (!strcmp(argv[i], "--cwd")) {
			if (chdir(argv[i + 1]) < 0)
				exit(4);
		} else if (!strcmp(argv[i], "--mb"))
			crash_fill((size_t)atol(argv[i + 1]));
		else if (!strcmp(argv[i], "--ready")) {
			int fd = open(argv[i + 1], O_WRONLY | O_CREAT, 0644);
			if (fd >= 0)
				close(fd);
		}
	}
}
#endif

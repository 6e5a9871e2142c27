/*
 * bounded.c — work that may block for good, waited for only until a
 * deadline.
 *
 * Reading a file the crashed process names (its executable, its libraries)
 * can wait forever: on FUSE the server may be the crashed process itself,
 * stopped until the handler is done, and it can hide behind an overlayfs
 * or outside a chroot, where no look at the mount table finds it. Such
 * work runs in a thread of its own. The handler waits for it until a
 * deadline and then goes on without it: a thread still blocked holds
 * nothing the handler needs, frees its own data if it ever ends, and dies
 * with the process (FUSE and NFS waits are killable).
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

static int given_up; /* a job was left behind (atomic) */

struct cli_job {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int refs;          /* the waiter's and the thread's */
	bool done, taken;  /* run returned; the waiter took data */
	void (*run)(void *data);
	void (*discard)(void *data);
	void *data;
};

static void job_put(struct cli_job *j)
{
	pthread_mutex_lock(&j->lock);
	bool last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (!last)
		return;
	if (!j->taken)
		j->discard(j->data);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void *job_main(void *arg)
{
	struct cli_job *j = arg;
	j->run(j->data);
	pthread_mutex_lock(&j->lock);
	j->done = true;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->lock);
	job_put(j);
	return NULL;
}

struct cli_job *cli_job_start(void (*run)(void *), void (*discard)(void *), void *data)
{
	struct cli_job *j = calloc(1, sizeof(*j));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t t;

	if (!j)
		return NULL;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	j->refs = 2;
	j->run = run;
	j->discard = discard;
	j->data = data;
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&t, &ta, job_main, j);
	pthread_attr_destroy(&ta);
	if (r != 0) {
		pthread_cond_destroy(&j->cv);
		pthread_mutex_destroy(&j->lock);
		free(j);
		return NULL;
	}
	return j;
}

void *cli_job_wait(struct cli_job *j, uint64_t deadline_ms)
{
	struct timespec ts = { .tv_sec = (time_t)(deadline_ms / 1000), .tv_nsec = (long)(deadline_ms % 1000) * 1000000 };
	void *data = NULL;

	if (!j)
		return NULL;
	pthread_mutex_lock(&j->lock);
	while (!j->done && pthread_cond_timedwait(&j->cv, &j->lock, &ts) != ETIMEDOUT)
		;
	if (j->done) {
		j->taken = true;
		data = j->data;
	} else {
		__atomic_store_n(&given_up, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&j->lock);
	job_put(j);
	return data;
}

uint64_t cli_monotonic_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

bool cli_jobs_given_up(void)
{
	return __atomic_load_n(&given_up, __ATOMIC_RELAXED);
}

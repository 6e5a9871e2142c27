/*
 * fuzz_store.c — the handler's own small files and /proc texts as any
 * bytes: the rate-limit history (.ratelimit in the store), the log of
 * crashes not stored (.skipped), a process's status ids and auxv (what the
 * access decision rests on).
 *
 * The history is read, counted and rewritten; whatever it held, the file
 * written back must stay within its bounds and parse again. Every record
 * the skip log yields must be one its writer could have made.
 */
#include <errno.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "procinfo.h"
#include "ratelimit.h"
#include "skiplog.h"

static int dirfd_tmp = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	dirfd_tmp = fuzz_tmpdir(GZC_RATELIMIT_FILE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	int64_t uid[4], gid[4];
	int secure;
	(void)gzc_proc_parse_ids((const char *)d, n, uid, gid);
	(void)gzc_proc_auxv_secure(d, n, &secure);

	struct gzc_skip *sk = NULL;
	size_t nsk = 0;
	FUZZ_CHECK(gzc_skiplog_parse((const char *)d, n, &sk, &nsk) == 0, "skip log parse failed");
	FUZZ_CHECK(nsk <= GZC_SKIPLOG_MAX, "%zu records", nsk);
	for (size_t i = 0; i < nsk; i++) {
		const struct gzc_meta *m = &sk[i].meta;
		const char *strs[] = { sk[i].reason, m->signal_name, m->comm, m->exe, m->app, m->app_version };
		const int64_t nums[] = { m->pid, m->uid, m->signal };
		FUZZ_CHECK(sk[i].reason != NULL, "a record without a reason");
		for (size_t j = 0; j < sizeof(strs) / sizeof(strs[0]); j++)
			FUZZ_CHECK(!strs[j] || strlen(strs[j]) <= GZC_SKIPLOG_STR_MAX, "string %zu too long", j);
		for (size_t j = 0; j < sizeof(nums) / sizeof(nums[0]); j++)
			FUZZ_CHECK(nums[j] >= -1 && nums[j] <= INT32_MAX, "number %zu: %lld", j, (long long)nums[j]);
	}
	gzc_skiplog_free(sk, nsk);

	int fd = openat(dirfd_tmp, GZC_RATELIMIT_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0 && write(fd, d, n) == (ssize_t)n, "writing the history");
	close(fd);
	char key[17];
	gzc_ratelimit_key("/usr/bin/fuzz", key);
	uint64_t now = 1795757300000000ull, window = 3600; /* the seeds' clock (make-seeds.sh) */
	uint32_t count = n ? d[0] % 8 : 1;
	bool allowed = false;
	int rc = gzc_ratelimit_admit(dirfd_tmp, key, now, count, window, 0, &allowed);
	FUZZ_CHECK(rc == 0, "admit failed on a readable history: %s", strerror(-rc));
	struct stat st;
	if (count && fstatat(dirfd_tmp, GZC_RATELIMIT_FILE, &st, 0) == 0)
		FUZZ_CHECK(st.st_size <= (off_t)GZC_RATELIMIT_MAX_FILE + 64, "history grew to %lld",
			   (long long)st.st_size);
	/* a second crash reads what the first wrote */
	bool again = false;
	rc = gzc_ratelimit_admit(dirfd_tmp, key, now + 1, count, window, getpid(), &again);
	FUZZ_CHECK(rc == 0, "admit failed on its own history: %s", strerror(-rc));
	FUZZ_CHECK(!(count == 1 && allowed && again), "a limit of 1 let two crashes through in one window");
	/* the second was pending (this process holds it): stored, it stays */
	rc = gzc_ratelimit_confirm(dirfd_tmp, key, now + 1, getpid());
	FUZZ_CHECK(rc == 0, "confirm failed on its own history: %s", strerror(-rc));
	bool third = false;
	rc = gzc_ratelimit_admit(dirfd_tmp, key, now + 2, count, window, 0, &third);
	FUZZ_CHECK(rc == 0, "admit failed after confirm: %s", strerror(-rc));
	FUZZ_CHECK(!(count == 2 && allowed && again && third), "a limit of 2 let three crashes through");
	return 0;
}

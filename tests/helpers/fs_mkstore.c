/*
 * fs_mkstore.c — stores a raw core (stdin) the way the kernel handler lays
 * out the store, with a sidecar saying exactly what a test wants, so the
 * gzcorefs tests do not depend on a live crash for owners, groups and pids.
 *
 *   fs_mkstore DIR BASE GROUP PID TS_US OWNER_UID USER_READABLE [zlib]
 *
 * Writes DIR/BASE.json, DIR/BASE.gz.gzx, then DIR/BASE.gz (or .zz) last,
 * as the handler does.
 */
#include "gzcore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct gzc_writer_opts wo = { .level = 1, .span = 256 * 1024 };
	struct gzc_writer *w = NULL;
	struct gzc_index *idx = NULL;
	struct gzc_tmpfile t;
	struct gzc_meta m;
	char *core, *gzx, *json, final[512];
	int dfd, r;

	if (argc < 8) {
		fprintf(stderr, "usage: fs_mkstore DIR BASE GROUP PID TS_US OWNER_UID USER_READABLE [zlib]\n");
		return 2;
	}
	if (argc > 8 && !strcmp(argv[8], "zlib"))
		wo.container = GZC_ZLIB;
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (asprintf(&core, "%s%s", argv[2], wo.container == GZC_ZLIB ? ".zz" : ".gz") < 0 ||
	    asprintf(&gzx, "%s%s", core, GZC_IDX_SUFFIX) < 0 || asprintf(&json, "%s%s", argv[2], GZC_META_SUFFIX) < 0)
		return 1;
	if ((r = gzc_tmpfile_open(dfd, 0600, &t)) < 0 || (r = gzc_writer_new(t.fd, &wo, &w)) < 0 ||
	    (r = gzc_writer_read_fd(w, 0, 0, NULL)) < 0 || (r = gzc_writer_finish(w, 0, &idx)) < 0)
		goto fail;
	gzc_meta_init(&m);
	m.pid = strtoll(argv[4], NULL, 10);
	m.timestamp_us = strtoull(argv[5], NULL, 10);
	m.owner_uid = strtoll(argv[6], NULL, 10);
	m.user_readable = atoi(argv[7]);
	m.size = idx->usize;
	m.compressed_size = idx->csize;
	if ((r = gzc_meta_set(&m.group, argv[3])) < 0 || (r = gzc_meta_set(&m.file_name, core)) < 0 ||
	    (r = gzc_meta_set(&m.comm, "fs_sample")) < 0 || (r = gzc_meta_set(&m.access_reason, "test")) < 0 ||
	    (r = gzc_index_save(idx, dfd, gzx)) < 0 || (r = gzc_meta_save(&m, dfd, json, 0600)) < 0 ||
	    (r = gzc_tmpfile_commit(&t, core, NULL, final, sizeof(final))) < 0)
		goto fail;
	gzc_meta_clear(&m);
	gzc_tmpfile_close(&t);
	gzc_writer_free(w);
	gzc_index_free(idx);
	printf("%s/%s\n", argv[1], final);
	free(core);
	free(gzx);
	free(json);
	close(dfd);
	return 0;
fail:
	fprintf(stderr, "fs_mkstore: %s\n", strerror(-r));
	return 1;
}

/*
 * gzcorefs.h — what the parts of the gzcorefs front end share.
 *
 * main.c parses options and runs the FUSE loop; ops.c answers FUSE
 * requests from the library's view of the store (src/view.h). All policy
 * about the store lives in the library; this front end only maps it to FUSE
 * replies and log lines.
 */
#ifndef GZCOREFS_H
#define GZCOREFS_H

#define FUSE_USE_VERSION 314
#include <fuse.h>
#include <pthread.h>

#include <stdarg.h>
#include <syslog.h>

#include "gzcore.h"
#include "view.h"

#define FS_MAX_READ       (1u << 20) /* bytes per read request and readahead */
#define FS_CACHE_DEFAULT  (256ull << 20)
#define FS_CACHE_DIR      "/var/cache/gzcorefs"
#define FS_ATTR_TIMEOUT   1.0        /* seconds the kernel may trust names and attributes */

struct fs_ctx {
	struct gzc_view *view;
	struct gzc_cache *cache;
	const char *mountpoint;
	unsigned readahead_kb;    /* written to the mount's bdi after mounting (0: leave) */
	/* every core path opened since mounting (a tsearch tree of struct
	 * fs_opened, see fs_cache_mode) */
	pthread_mutex_t opened_lock;
	void *opened;
};

/* Logs to stderr in the foreground (-f/-d), else to syslog. */
void fs_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fs_log_to_stderr(int on);

extern const struct fuse_operations fs_ops;

#endif

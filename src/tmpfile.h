/*
 * tmpfile.h — files that appear under their final name only when complete.
 *
 * A file is created unnamed (O_TMPFILE) or under a hidden temporary name in
 * the target directory, written, fsync'ed, and only then linked to its final
 * name, never replacing anything there. Readers of the directory therefore
 * never see a half-written file under a final name.
 */
#ifndef GZC_TMPFILE_H
#define GZC_TMPFILE_H

#include <sys/types.h>

#ifndef GZC_MUST_CHECK
#define GZC_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define GZC_TMP_PREFIX ".gzc-tmp."  /* hidden names that listings must skip */
#define GZC_NAME_MAX_TRIES 1000

struct gzc_tmpfile {
	int fd;            /* open O_RDWR; owned by the struct until gzc_tmpfile_discard/commit */
	int dirfd;         /* not owned */
	char name[64];     /* temporary name, "" when the file is unnamed (O_TMPFILE) */
};

/* Creates a new empty file named prefix followed by 8 random hex digits
 * (relative to dirfd; a symlink there is not followed), exclusively, with
 * mode; its name goes to ret_name (cap bytes). Returns the fd, open O_RDWR
 * (the caller owns it). Errors: -ENAMETOOLONG (the name does not fit
 * cap), -EEXIST (no free name in 100 tries), -errno of open. */
GZC_MUST_CHECK int gzc_tmpfile_create_random(int dirfd, const char *prefix, mode_t mode, char *ret_name,
					     size_t cap);

/* Creates a new empty file in dirfd with mode. Errors: -errno of open. */
GZC_MUST_CHECK int gzc_tmpfile_open(int dirfd, mode_t mode, struct gzc_tmpfile *ret);

/* fsyncs the file, then links it as name; if name exists, tries "name.1",
 * "name.2", ... (the number goes before suffix when suffix is a tail of
 * name, e.g. "core.1.gz"). The final name is copied to ret_name (cap bytes).
 * The fd stays open (still owned by t). Errors: -EEXIST after
 * GZC_NAME_MAX_TRIES, -ENAMETOOLONG, -errno of fsync/link. */
GZC_MUST_CHECK int gzc_tmpfile_commit(struct gzc_tmpfile *t, const char *name, const char *suffix,
				      char *ret_name, size_t cap);

/* fsyncs the file and renames it onto name, replacing what is there (for
 * outputs the user named). The fd stays open. Errors: -errno of fsync/link/rename. */
GZC_MUST_CHECK int gzc_tmpfile_replace(struct gzc_tmpfile *t, const char *name);

/* Removes the temporary name if any and closes the fd. Accepts a struct whose fd is -1. */
void gzc_tmpfile_discard(struct gzc_tmpfile *t);

/* Closes the fd after a commit. */
void gzc_tmpfile_close(struct gzc_tmpfile *t);

#endif

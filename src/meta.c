/*
 * meta.c — the JSON sidecar, with json-c.
 *
 * One table lists every field once (section, key, type, place in the
 * struct); writing and parsing both walk it, so the two cannot drift.
 */
#include "meta.h"
#include "corenote.h"
#include "tmpfile.h"
#include "io.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* F_ID: an F_I64 whose negative values (-1) mean "not known", written as null */
enum ftype { F_I64, F_ID, F_U64, F_U32, F_BOOL, F_STR, F_JSON };

struct field {
	const char *section, *key;
	enum ftype type;
	size_t off;
};

#define FLD(sec, key, type, member) { sec, key, type, offsetof(struct gzc_meta, member) }
static const struct field fields[] = {
	FLD("process", "pid", F_ID, pid),
	FLD("process", "tid", F_ID, tid),
	FLD("process", "uid", F_ID, uid),
	FLD("process", "gid", F_ID, gid),
	FLD("process", "euid", F_ID, euid),
	FLD("process", "egid", F_ID, egid),
	FLD("process", "signal", F_ID, signal),
	FLD("process", "signal_name", F_STR, signal_name),
	FLD("process", "timestamp_us", F_U64, timestamp_us),
	FLD("process", "rlimit_core", F_U64, rlimit_core),
	FLD("process", "dump_mode", F_ID, dump_mode),
	FLD("process", "hostname", F_STR, hostname),
	FLD("process", "comm", F_STR, comm),
	FLD("process", "exe", F_STR, exe),
	FLD("process", "cmdline", F_STR, cmdline),
	FLD("process", "cwd", F_STR, cwd),
	FLD("process", "cgroup", F_STR, cgroup),
	FLD("process", "unit", F_STR, unit),
	FLD("process", "user_unit", F_STR, user_unit),
	FLD("process", "slice", F_STR, slice),
	FLD("machine", "boot_id", F_STR, boot_id),
	FLD("machine", "kernel_release", F_STR, kernel_release),
	FLD("machine", "machine_id", F_STR, machine_id),
	FLD("identity", "app", F_STR, app),
	FLD("identity", "app_version", F_STR, app_version),
	FLD("identity", "group", F_STR, group),
	FLD("identity", "source", F_STR, source),
	FLD("identity", "package", F_JSON, package_json),
	FLD("identity", "build_id", F_STR, build_id),
	FLD("identity", "section_name", F_STR, section_name),
	FLD("identity", "section", F_STR, section),
	FLD("file", "name", F_STR, file_name),
	FLD("file", "index", F_STR, index_name),
	FLD("file", "format", F_STR, format),
	FLD("file", "size", F_U64, size),
	FLD("file", "compressed_size", F_U64, compressed_size),
	FLD("file", "span", F_U32, span),
	FLD("file", "truncated", F_BOOL, truncated),
	FLD("file", "truncated_reason", F_STR, truncated_reason),
	FLD("access", "owner_uid", F_I64, owner_uid),
	FLD("access", "user_readable", F_BOOL, user_readable),
	FLD("access", "reason", F_STR, access_reason),
	FLD("crash", "signature", F_STR, signature),
	FLD("snapshots", "status", F_STR, status),
	FLD("snapshots", "maps", F_STR, maps),
	FLD("snapshots", "limits", F_STR, limits),
	FLD("snapshots", "fds", F_STR, fds),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
/* the members of each "modules" entry, by the same rules */
#define MFLD(key, type, member) { NULL, key, type, offsetof(struct gzc_module, member) }
static const struct field module_fields[] = {
	MFLD("path", F_STR, path),
	MFLD("start", F_U64, start),
	MFLD("end", F_U64, end),
	MFLD("build_id", F_STR, build_id),
	MFLD("package", F_JSON, package_json),
	MFLD("error", F_STR, error),
};
#define NMODULE_FIELDS (sizeof(module_fields) / sizeof(module_fields[0]))
/* the members of each frame of "stack" */
#define SFLD(key, type, member) { NULL, key, type, offsetof(struct gzc_stack_frame, member) }
static const struct field frame_fields[] = {
	SFLD("pc", F_U64, pc),
	SFLD("symbol", F_STR, symbol),
	SFLD("symbol_offset", F_U64, symbol_offset),
	SFLD("module", F_STR, module),
	SFLD("module_offset", F_U64, module_offset),
};
#define NFRAME_FIELDS (sizeof(frame_fields) / sizeof(frame_fields[0]))
static const struct field thread_fields[] = {
	{ NULL, "tid", F_ID, offsetof(struct gzc_stack_thread, tid) },
	{ NULL, "error", F_STR, offsetof(struct gzc_stack_thread, error) },
};
static const struct field stack_error_field = { NULL, "error", F_STR, offsetof(struct gzc_stack, error) };
static const char *const sections[] = { "process", "machine", "identity", "file", "access", "crash", "snapshots" };
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

#define AT(m, f, T) ((T *)((char *)(m) + (f)->off))
#define CAT(m, f, T) ((const T *)((const char *)(m) + (f)->off))

void gzc_meta_init(struct gzc_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->pid = m->tid = m->uid = m->gid = m->euid = m->egid = m->signal = -1;
	m->dump_mode = -1;
	m->owner_uid = -1;
}

void gzc_meta_clear(struct gzc_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].type == F_STR || fields[i].type == F_JSON)
			free(*AT(m, &fields[i], char *));
	gzc_modules_free(m->modules, m->nmodules);
	gzc_stack_clear(&m->stack);
	gzc_meta_init(m);
}

int gzc_meta_set(char **field, const char *s)
{
	char *copy = NULL;
	if (s) {
		size_t n = 0;
		while (n < GZC_META_MAX_STR && s[n]) /* (strndup: gcc warns for short arrays) */
			n++;
		if (!(copy = malloc(n + 1)))
			return -ENOMEM;
		memcpy(copy, s, n);
		copy[n] = 0;
	}
	free(*field);
	*field = copy;
	return 0;
}

int gzc_meta_set_signal(struct gzc_meta *m, int64_t sig)
{
	const char *abbrev = sig > 0 && sig < 128 ? sigabbrev_np((int)sig) : NULL;
	char name[32];
	m->signal = sig;
	if (abbrev)
		snprintf(name, sizeof(name), "SIG%s", abbrev);
	return gzc_meta_set(&m->signal_name, abbrev ? name : NULL);
}

int gzc_meta_from_coreinfo(struct gzc_meta *m, const struct gzc_coreinfo *info)
{
	if (info->pid > 0)
		m->pid = info->pid;
	if (info->uid >= 0)
		m->uid = info->uid;
	if (info->gid >= 0)
		m->gid = info->gid;
	if ((info->signal && gzc_meta_set_signal(m, info->signal) < 0) ||
	    (info->comm[0] && gzc_meta_set(&m->comm, info->comm) < 0) ||
	    (info->exe && gzc_meta_set(&m->exe, info->exe) < 0) ||
	    (info->psargs && gzc_meta_set(&m->cmdline, info->psargs) < 0) ||
	    (info->build_id && gzc_meta_set(&m->build_id, info->build_id) < 0))
		return -ENOMEM;
	return 0;
}

/* A byte array on one line, as pretty printing would give it one element
 * per line: "[104,255,...]", made from the string's own bytes (no json-c
 * object per byte). */
static int bytes_to_json(json_object *v, struct printbuf *pb, int level, int flags)
{
	(void)level;
	(void)flags;
	const unsigned char *s = (const unsigned char *)json_object_get_string(v);
	int n = json_object_get_string_len(v);
	char buf[4096];
	size_t k = 0;
	printbuf_memappend(pb, "[", 1);
	for (int i = 0; i < n; i++) {
		if (k > sizeof(buf) - 8) {
			printbuf_memappend(pb, buf, (int)k);
			k = 0;
		}
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, i ? ",%u" : "%u", s[i]);
	}
	printbuf_memappend(pb, buf, (int)k);
	printbuf_memappend(pb, "]", 1);
	return 0;
}

/* (meta.h) The array form keeps the sidecar valid JSON and every byte. */
json_object *gzc_meta_json_text(const char *s)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	json_object *v = json_object_new_string_len(s, (int)len);
	if (v && !gzc_utf8_valid(s, len))
		json_object_set_serializer(v, bytes_to_json, NULL, NULL);
	return v;
}

int gzc_meta_bytes_text(json_object *arr, char **field)
{
	size_t n = json_object_array_length(arr);
	if (n > GZC_META_MAX_STR)
		return -EBADMSG;
	char *s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(arr, i);
		int64_t x = json_object_get_int64(b);
		if (!json_object_is_type(b, json_type_int) || x < 1 || x > 255) {
			free(s);
			return -EBADMSG;
		}
		s[i] = (char)x;
	}
	s[n] = 0;
	free(*field);
	*field = s;
	return 0;
}

/* The JSON value of field f of the struct at base; *ret NULL (and 0) when
 * the field is absent. Errors: -ENOMEM. */
static int value_of(const struct field *f, const void *base, json_object **ret)
{
	json_object *v = NULL;
	switch (f->type) {
	case F_I64: v = json_object_new_int64(*CAT(base, f, int64_t)); break;
	case F_ID:
		if (*CAT(base, f, int64_t) < 0) {
			*ret = NULL;
			return 0;
		}
		v = json_object_new_int64(*CAT(base, f, int64_t));
		break;
	case F_U64: v = json_object_new_uint64(*CAT(base, f, uint64_t)); break;
	case F_U32: v = json_object_new_int64(*CAT(base, f, uint32_t)); break;
	case F_BOOL: v = json_object_new_boolean(*CAT(base, f, int)); break;
	case F_STR:
		if (!*CAT(base, f, char *)) {
			*ret = NULL;
			return 0;
		}
		v = gzc_meta_json_text(*CAT(base, f, char *));
		break;
	case F_JSON: {
		const char *t = *CAT(base, f, char *);
		if (!t) {
			*ret = NULL;
			return 0;
		}
		/* json-c passes bytes that are not UTF-8 through its strings */
		v = gzc_utf8_valid(t, strlen(t)) ? json_tokener_parse(t) : NULL;
		if (!json_object_is_type(v, json_type_object)) { /* not a JSON object after all: keep it as text */
			json_object_put(v);
			v = gzc_meta_json_text(t);
		}
		break;
	}
	}
	*ret = v;
	return v ? 0 : -ENOMEM;
}

static int add_value(json_object *parent, const struct field *f, const void *base)
{
	json_object *v;
	if (value_of(f, base, &v) < 0)
		return -ENOMEM;
	if (!v && f->type == F_ID) /* not known: null, as list --json gives it */
		return json_object_object_add(parent, f->key, NULL) < 0 ? -ENOMEM : 0;
	if (v && json_object_object_add(parent, f->key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_modules(json_object *root, const struct gzc_meta *m)
{
	if (!m->nmodules)
		return 0;
	json_object *arr = json_object_new_array_ext((int)m->nmodules);
	if (!arr || json_object_object_add(root, "modules", arr) < 0) {
		json_object_put(arr);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->nmodules; i++) {
		json_object *o = json_object_new_object();
		if (!o || json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			return -ENOMEM;
		}
		for (size_t k = 0; k < NMODULE_FIELDS; k++)
			if (add_value(o, &module_fields[k], &m->modules[i]) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* A new object with the fields of the struct at base; NULL when out of memory. */
static json_object *object_of(const struct field *f, size_t n, const void *base)
{
	json_object *o = json_object_new_object();
	for (size_t k = 0; o && k < n; k++)
		if (add_value(o, &f[k], base) < 0) {
			json_object_put(o);
			return NULL;
		}
	return o;
}

static int add_to(json_object *parent, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if ((key ? json_object_object_add(parent, key, v) : json_object_array_add(parent, v)) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_stack(json_object *root, const struct gzc_stack *st)
{
	if (!st->nthreads && !st->error)
		return 0;
	json_object *o = object_of(&stack_error_field, 1, st), *threads;
	if (add_to(root, "stack", o) < 0 || add_to(o, "threads", threads = json_object_new_array()) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < st->nthreads; i++) {
		const struct gzc_stack_thread *t = &st->threads[i];
		json_object *to = object_of(thread_fields, 2, t), *frames;
		if (add_to(threads, NULL, to) < 0 || add_to(to, "frames", frames = json_object_new_array()) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < t->nframes; k++)
			if (add_to(frames, NULL, object_of(frame_fields, NFRAME_FIELDS, &t->frames[k])) < 0)
				return -ENOMEM;
	}
	return 0;
}

int gzc_meta_to_json(const struct gzc_meta *m, char **ret)
{
	json_object *root = json_object_new_object(), *sec[NSECTIONS] = { 0 };
	int r = -ENOMEM;

	if (!root)
		return -ENOMEM;
	if (json_object_object_add(root, "gzcore_meta", json_object_new_int(GZC_META_VERSION)) < 0)
		goto out;
	for (size_t s = 0; s < NSECTIONS; s++) {
		sec[s] = json_object_new_object();
		if (!sec[s] || json_object_object_add(root, sections[s], sec[s]) < 0)
			goto out;
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		json_object *parent = NULL;
		json_object_object_get_ex(root, fields[i].section, &parent);
		if (add_value(parent, &fields[i], m) < 0)
			goto out;
	}
	if (add_modules(root, m) < 0 || add_stack(root, &m->stack) < 0)
		goto out;
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || !(*ret = strdup(text)))
		goto out;
	r = 0;
out:
	json_object_put(root);
	return r;
}

static int take(const struct field *f, json_object *v, void *m)
{
	enum json_type t = json_object_get_type(v);
	if (t == json_type_null)
		return 0;
	switch (f->type) {
	/* json-c clamps a number to the type asked for: one out of the field's
	 * range must be refused here, not read as its nearest value (only a
	 * number over 2^64 - 1 cannot be told from UINT64_MAX) */
	case F_I64:
	case F_ID:
		if (t != json_type_int || (json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) > INT64_MAX))
			return -EBADMSG;
		*AT(m, f, int64_t) = json_object_get_int64(v);
		return 0;
	case F_U64:
		if (t != json_type_int || json_object_get_int64(v) < 0)
			return -EBADMSG;
		*AT(m, f, uint64_t) = json_object_get_uint64(v);
		return 0;
	case F_U32: {
		int64_t x = json_object_get_int64(v);
		if (t != json_type_int || x < 0 || x > UINT32_MAX)
			return -EBADMSG;
		*AT(m, f, uint32_t) = (uint32_t)x;
		return 0;
	}
	case F_BOOL:
		if (t != json_type_boolean)
			return -EBADMSG;
		*AT(m, f, int) = json_object_get_boolean(v);
		return 0;
	case F_STR:
		if (t == json_type_array)
			return gzc_meta_bytes_text(v, AT(m, f, char *));
		if (t != json_type_string)
			return -EBADMSG;
		return gzc_meta_set(AT(m, f, char *), json_object_get_string(v));
	case F_JSON: /* an object; or text, which gzc_meta_to_json() writes for a note that was not JSON */
		if (t == json_type_string)
			return gzc_meta_set(AT(m, f, char *), json_object_get_string(v));
		if (t == json_type_array)
			return gzc_meta_bytes_text(v, AT(m, f, char *));
		if (t != json_type_object)
			return -EBADMSG;
		return gzc_meta_set(AT(m, f, char *), json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	}
	return -EBADMSG;
}

/* The members of object o that the table f names. Errors: -EBADMSG, -ENOMEM. */
static int take_object(json_object *o, const struct field *f, size_t n, void *base)
{
	json_object *v;
	if (!json_object_is_type(o, json_type_object))
		return -EBADMSG;
	for (size_t k = 0; k < n; k++) {
		int r;
		if (json_object_object_get_ex(o, f[k].key, &v) && (r = take(&f[k], v, base)) < 0)
			return r;
	}
	return 0;
}

/* An array member of o, at most max long: *ret NULL (and 0) if absent or null. */
static int take_array(json_object *o, const char *key, size_t max, json_object **ret)
{
	*ret = NULL;
	if (!json_object_object_get_ex(o, key, ret) || json_object_is_type(*ret, json_type_null)) {
		*ret = NULL;
		return 0;
	}
	if (!json_object_is_type(*ret, json_type_array) || json_object_array_length(*ret) > max) {
		*ret = NULL;
		return -EBADMSG;
	}
	return 0;
}

/* The "modules" array, if any: at most GZC_MODULES_MAX objects whose
 * members have the types module_fields gives. Errors: -EBADMSG, -ENOMEM. */
static int take_modules(json_object *root, struct gzc_meta *m)
{
	json_object *arr;
	int r = take_array(root, "modules", GZC_MODULES_MAX, &arr);
	size_t n = r == 0 && arr ? json_object_array_length(arr) : 0;
	if (r < 0 || !n)
		return r;
	if (!(m->modules = calloc(n, sizeof(*m->modules))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		m->nmodules = i + 1; /* freed by gzc_meta_clear from here on */
		if ((r = take_object(json_object_array_get_idx(arr, i), module_fields, NMODULE_FIELDS, &m->modules[i])) < 0)
			return r;
	}
	return 0;
}

/* The "stack" object, if any (bounded by stack.h's caps). Errors: -EBADMSG, -ENOMEM. */
static int take_stack(json_object *root, struct gzc_stack *st)
{
	json_object *o, *threads;
	int r;
	if (!json_object_object_get_ex(root, "stack", &o) || json_object_is_type(o, json_type_null))
		return 0;
	if ((r = take_object(o, &stack_error_field, 1, st)) < 0 ||
	    (r = take_array(o, "threads", GZC_STACK_THREADS_MAX, &threads)) < 0)
		return r;
	size_t n = threads ? json_object_array_length(threads) : 0;
	if (!n)
		return 0;
	if (!(st->threads = calloc(n, sizeof(*st->threads))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct gzc_stack_thread *t = &st->threads[i];
		json_object *to = json_object_array_get_idx(threads, i), *frames;
		st->nthreads = i + 1; /* freed by gzc_stack_clear from here on */
		t->tid = -1;
		if ((r = take_object(to, thread_fields, 2, t)) < 0 ||
		    (r = take_array(to, "frames", GZC_STACK_FRAMES_MAX, &frames)) < 0)
			return r;
		size_t nf = frames ? json_object_array_length(frames) : 0;
		if (nf && !(t->frames = calloc(nf, sizeof(*t->frames))))
			return -ENOMEM;
		for (size_t k = 0; k < nf; k++) {
			t->nframes = k + 1;
			if ((r = take_object(json_object_array_get_idx(frames, k), frame_fields, NFRAME_FIELDS,
					     &t->frames[k])) < 0)
				return r;
		}
	}
	return 0;
}

int gzc_meta_parse(const char *text, size_t len, struct gzc_meta *ret)
{
	struct gzc_meta m;
	json_tokener *tok;
	json_object *root, *ver;
	int r = -EBADMSG;

	if (len > GZC_META_MAX_FILE)
		return -E2BIG;
	tok = json_tokener_new_ex(64);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(root);
		json_tokener_free(tok);
		return -EBADMSG;
	}
	json_tokener_free(tok);
	gzc_meta_init(&m);
	if (!json_object_is_type(root, json_type_object) || !json_object_object_get_ex(root, "gzcore_meta", &ver) ||
	    !json_object_is_type(ver, json_type_int) || json_object_get_int(ver) != GZC_META_VERSION)
		goto out;
	for (size_t i = 0; i < NFIELDS; i++) {
		json_object *sec, *v;
		if (!json_object_object_get_ex(root, fields[i].section, &sec))
			continue;
		if (!json_object_is_type(sec, json_type_object)) {
			r = -EBADMSG; /* earlier fields may have set r to 0 */
			goto out;
		}
		if (!json_object_object_get_ex(sec, fields[i].key, &v))
			continue;
		if ((r = take(&fields[i], v, &m)) < 0)
			goto out;
	}
	if ((r = take_modules(root, &m)) < 0 || (r = take_stack(root, &m.stack)) < 0)
		goto out;
	*ret = m;
out:
	if (r < 0)
		gzc_meta_clear(&m);
	json_object_put(root);
	return r;
}

static int save(const struct gzc_meta *m, int dirfd, const char *name, unsigned mode, bool replace)
{
	struct gzc_tmpfile t;
	char *text = NULL, final[256];
	int r = gzc_meta_to_json(m, &text);
	if (r < 0)
		return r;
	if (strlen(text) + 1 > GZC_META_MAX_FILE) { /* gzc_meta_load() would refuse it */
		r = -EFBIG;
		goto out;
	}
	r = gzc_tmpfile_open(dirfd, mode ? mode : 0600, &t);
	if (r < 0)
		goto out;
	r = gzc_write_all(t.fd, text, strlen(text));
	if (r == 0)
		r = gzc_write_all(t.fd, "\n", 1);
	if (r == 0 && replace) {
		r = gzc_tmpfile_replace(&t, name);
	} else if (r == 0) {
		/* a sidecar takes exactly the name asked: its core's name is unique */
		r = gzc_tmpfile_commit(&t, name, NULL, final, sizeof(final));
		if (r == 0 && strcmp(final, name) != 0) {
			unlinkat(dirfd, final, 0);
			r = -EEXIST;
		}
	}
	gzc_tmpfile_discard(&t);
out:
	free(text);
	return r;
}

int gzc_meta_save(const struct gzc_meta *m, int dirfd, const char *name, unsigned mode)
{
	return save(m, dirfd, name, mode, false);
}

int gzc_meta_replace(const struct gzc_meta *m, int dirfd, const char *name, unsigned mode)
{
	return save(m, dirfd, name, mode, true);
}

/* Where the summary of a sidecar written by gzc_meta_to_json() ends: the
 * comma before the first of its last two top-level keys. Pretty JSON puts
 * each top-level key at the start of a line, after two spaces, and a raw
 * newline can only be whitespace (never inside a string), so the marker
 * cannot come from a value. Returns 0 if there is no such place. */
static size_t summary_end(const char *text, size_t len)
{
	static const char *const last[] = { "\n  \"snapshots\":", "\n  \"modules\":" };
	size_t end = 0;
	for (size_t i = 0; i < 2; i++) {
		/* the second is looked for only before the first (the usual order) */
		size_t n = strlen(last[i]), upto = end ? end + 1 + n : len;
		const char *p = memmem(text, upto < len ? upto : len, last[i], n);
		if (p && p > text && p[-1] == ',' && (!end || (size_t)(p - 1 - text) < end))
			end = (size_t)(p - 1 - text);
	}
	return end;
}

/* The summary is near the start of a sidecar whose snapshots and modules
 * make it tens of KB: a listing reads this much first. */
#define SUMMARY_PREFIX (16u << 10)

enum load_what { LOAD_WHOLE, LOAD_SUMMARY, LOAD_HEAD };

static int load(int dirfd, const char *name, struct gzc_meta *ret, enum load_what what)
{
	bool summary = what != LOAD_WHOLE;
	char *buf = NULL;
	size_t len, end = 0;
	int r;
	struct stat st;
	if (summary) {
		/* the earliest marker found in the prefix is the earliest in the
		 * file; none there: the whole file, as below (also one too large
		 * for gzc_meta_load, which a listing must refuse as it does) */
		r = gzc_read_file_at(dirfd, name, SUMMARY_PREFIX, GZC_READ_CUT, &buf, &len);
		if (r == -EINVAL)
			return -EBADMSG;
		if (r < 0)
			return r;
		end = summary_end(buf, len);
		if (what == LOAD_HEAD && !end) {
			free(buf);
			return -EBADMSG;
		}
		if (len == SUMMARY_PREFIX &&
		    (!end || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_size > GZC_META_MAX_FILE)) {
			free(buf);
			buf = NULL;
			if (what == LOAD_HEAD) /* (too large for any reader, or gone) */
				return -E2BIG;
		}
	}
	if (!buf) {
		r = gzc_read_file_at(dirfd, name, GZC_META_MAX_FILE, 0, &buf, &len);
		if (r == -EINVAL)
			return -EBADMSG;
		if (r == -EFBIG)
			return -E2BIG;
		if (r < 0)
			return r;
		end = summary ? summary_end(buf, len) : 0;
	}
	if (end) {
		/* the object closed where its last two keys began: the text
		 * before them stands alone (buf has the room: it had those keys) */
		memcpy(buf + end, "\n}", 2);
		r = gzc_meta_parse(buf, end + 2, ret);
		if (r == -EBADMSG && what != LOAD_HEAD) { /* not that layout after all: the whole text */
			free(buf);
			return load(dirfd, name, ret, LOAD_WHOLE);
		}
	} else {
		r = gzc_meta_parse(buf, len, ret);
	}
	free(buf);
	return r;
}

int gzc_meta_load(int dirfd, const char *name, struct gzc_meta *ret)
{
	return load(dirfd, name, ret, LOAD_WHOLE);
}

int gzc_meta_load_summary(int dirfd, const char *name, struct gzc_meta *ret)
{
	return load(dirfd, name, ret, LOAD_SUMMARY);
}

int gzc_meta_load_head(int dirfd, const char *name, struct gzc_meta *ret)
{
	return load(dirfd, name, ret, LOAD_HEAD);
}

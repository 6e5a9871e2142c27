/*
 * gzcore.h — the one header for users of libgzcore.
 *
 * Modules: format (on-disk constants), engine (deflate/inflate/CRC),
 * writer (compress a stream), index (span index on disk), scan (build an
 * index from any gzip/zlib file), cache (shared LRU of decoded spans),
 * reader (random access), extract (whole-file, parallel, sparse); for the
 * handler: config (gzcoredump.conf), retention (pure decisions), procinfo
 * (safe /proc reads), store (layout, listing, vacuum), skiplog (crashes not
 * stored), pattern (core_pattern), utf8 (well-formed UTF-8); for gzcorefs:
 * view (the store as a tree).
 * Every call returns 0 (or a count) on success and a negative errno on failure.
 */
#ifndef GZCORE_H
#define GZCORE_H

#include "format.h"
#include "engine.h"
#include "io.h"
#include "index.h"
#include "scan.h"
#include "cache.h"
#include "writer.h"
#include "reader.h"
#include "extract.h"
#include "tmpfile.h"
#include "meta.h"
#include "config.h"
#include "retention.h"
#include "procinfo.h"
#include "modules.h"
#include "store.h"
#include "skiplog.h"
#include "pattern.h"
#include "utf8.h"
#include "view.h"

#endif

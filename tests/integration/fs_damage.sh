#!/usr/bin/env bash
# gzcorefs with damage in the store: one corrupt byte in a stored span gives
# EIO for that span's range only (logged, the daemon lives, the rest reads
# right); a deleted or garbage index is rebuilt and reads stay right.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/fs_lib.sh"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"

raw=$TMP/raw.core
make_sample_core "$raw" 16
span=262144 # fs_mkstore's span
store=$TMP/store mnt=$TMP/mnt
mkdir -p "$store/app-1"
ts=$(date +%s%6N)
"$MKSTORE" "$store/app-1" "core.100.$ts" app-1 100 "$ts" 0 0 <"$raw" >/dev/null || fail "fs_mkstore"
"$MKSTORE" "$store/app-1" "core.200.$ts" app-1 200 "$ts" 0 0 <"$raw" >/dev/null || fail "fs_mkstore"
bad=$store/app-1/core.100.$ts.gz
csize=$(stat -c %s "$bad")
# flip one byte in the middle of the compressed data (inside some span)
/usr/bin/python3 - "$bad" <<'PY'
import os, sys
p = sys.argv[1]
fd = os.open(p, os.O_RDWR)
off = os.path.getsize(p) // 2
b = os.pread(fd, 1, off)
os.pwrite(fd, bytes([b[0] ^ 0x5a]), off)
PY
touch -d @"${ts:0:10}" "$bad" # mtime is not what tells gzcorefs the file is intact

mount_store "$store" "$mnt"
core=$mnt/app-1/core.100
[ -f "$core" ] || { ls -laR "$mnt"; fail "core not shown"; }
size=$(stat -c %s "$core")
/usr/bin/python3 - "$core" "$raw" "$span" "$size" <<'PY' || fail "EIO confined to the corrupt span"
import errno, os, sys
core, raw, span, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fm, fo = os.open(core, os.O_RDONLY), os.open(raw, os.O_RDONLY)
eio = []
for off in range(0, size, span):
    try:
        got = os.pread(fm, span, off)
    except OSError as e:
        if e.errno != errno.EIO:
            sys.exit(f"span at {off}: {e}")
        eio.append(off)
        continue
    if got != os.pread(fo, span, off):
        sys.exit(f"span at {off}: wrong bytes, not EIO")
if len(eio) != 1:
    sys.exit(f"EIO at {eio}: want the corrupt span only")
# inside the bad span: a small read fails too, a read just before it works
try:
    os.pread(fm, 10, eio[0] + 100)
    sys.exit("small read inside the corrupt span succeeded")
except OSError as e:
    if e.errno != errno.EIO:
        sys.exit(f"small read: {e}")
if eio[0] > 0 and os.pread(fm, 100, eio[0] - 100) != os.pread(fo, 100, eio[0] - 100):
    sys.exit("bytes before the corrupt span differ")
print(f"ok EIO only at {eio} of {size // span + 1} spans")
PY
grep -q "corrupt span or CRC mismatch" "$TMP/gzcorefs.log" || { cat "$TMP/gzcorefs.log"; fail "EIO not logged"; }
cmp "$mnt/app-1/core.200" "$raw" || fail "the intact core reads wrong"
ok "corrupt span: EIO for its range only, logged, daemon alive"

# the same in an all-zero span, which reads answer without decoding (its
# damage is found when the index is loaded): EIO for that span alone too,
# the core still opens and the rest reads right
"$MKSTORE" "$store/app-1" "core.300.$ts" app-1 300 "$ts" 0 0 <"$raw" >/dev/null || fail "fs_mkstore"
zbad=$store/app-1/core.300.$ts.gz
zoff=$(/usr/bin/python3 - "$zbad" "$zbad.gzx" <<'PY'
import os, struct, sys
core, idx = sys.argv[1], open(sys.argv[2], "rb").read()
n = struct.unpack_from("<I", idx, 20)[0]
ents = [struct.unpack_from("<QQ", idx, 64 + 40 * i) + (idx[64 + 40 * i + 33],) for i in range(n)]
import zlib
def shows(raw, ulen):
    """does this raw deflate data fail before it made ulen zeros?"""
    d, out = zlib.decompressobj(-15), 0
    try:
        for k in range(len(raw)):
            got = d.decompress(raw[k:k + 1], ulen - out)
            if got.count(0) != len(got):
                return True
            out += len(got)
            if out >= ulen:
                return False
    except zlib.error:
        return out < ulen
    return out < ulen
# a zero span between two others, past the fingerprinted head, damaged
# where any decoder must see it (codes over zeros can change and still
# make zeros)
fd = os.open(core, os.O_RDWR)
for i in range(1, n - 1):
    uoff, coff, flags = ents[i]
    end = ents[i + 1][1]
    if not flags & 1 or coff <= 4096:
        continue
    raw = bytearray(os.pread(fd, end - coff, coff))
    for at in range(len(raw) // 2, len(raw)):
        raw[at] ^= 0x5a
        if shows(bytes(raw), ents[i + 1][0] - uoff):
            os.pwrite(fd, bytes([raw[at]]), coff + at)
            print(uoff)
            sys.exit(0)
        raw[at] ^= 0x5a
PY
)
[ -n "$zoff" ] || fail "the sample core has no zero span to damage"
touch -d @"${ts:0:10}" "$zbad"
for _ in $(seq 1 50); do [ -f "$mnt/app-1/core.300" ] && break; sleep 0.1; done
/usr/bin/python3 - "$mnt/app-1/core.300" "$raw" "$span" "$zoff" <<'PY' || fail "EIO confined to the corrupt zero span"
import errno, os, sys
core, raw, span, bad = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fm, fo = os.open(core, os.O_RDONLY), os.open(raw, os.O_RDONLY)
size = os.fstat(fo).st_size
for off in range(0, size, span):
    try:
        got = os.pread(fm, span, off)
    except OSError as e:
        if e.errno != errno.EIO or off != bad:
            sys.exit(f"span at {off}: {e}")
        continue
    if off == bad:
        sys.exit(f"the damaged zero span at {off} read without an error")
    if got != os.pread(fo, span, off):
        sys.exit(f"span at {off}: wrong bytes, not EIO")
PY
ok "corrupt zero span: EIO for its range only, the core still opens"

# the index of the intact core: deleted, then garbage: rebuilt, reads right
idx=$store/app-1/core.200.$ts.gz.gzx
rm -f "$idx"
$PREADS "$mnt/app-1/core.200" "$raw" --n 200 --seed 3 --span $span || fail "reads after deleting the index"
[ -f "$idx" ] || fail "index not rebuilt in the store"
head -c 5000 /dev/urandom >"$idx"
$PREADS "$mnt/app-1/core.200" "$raw" --n 200 --seed 4 --span $span || fail "reads after garbling the index"
head -c 8 "$idx" | grep -q GZCIDX || fail "garbage index not replaced"
ok "deleted and garbage indexes rebuilt, reads right"

# a fresh mount over a store with no index at all
fusermount3 -u -z "$mnt"
rm -f "$store"/app-1/*.gzx
mount_store "$store" "$TMP/mnt2"
[ "$(stat -c %s "$TMP/mnt2/app-1/core.200")" = "$(stat -c %s "$raw")" ] || fail "size without an index"
cmp "$TMP/mnt2/app-1/core.200" "$raw" || fail "reads without an index"
ok "store without indexes: sizes and bytes right"

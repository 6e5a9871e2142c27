#!/usr/bin/env bash
# Regenerates the seed corpora in tests/fuzz/corpus/<target>/ from real
# tools: gzip, pigz, 7z, zlib-flate and gzcoredump for the readers; gcc with
# ld's --package-metadata and objcopy for an executable; gcore and the
# kernel handler's own code path for a core and its sidecar. The outputs
# are committed, so CI's fuzz_corpus test needs none of these tools; rerun
# this after a format change.  Usage: tests/fuzz/make-seeds.sh [BUILD]
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
out=tests/fuzz/corpus
t=$(mktemp -d)
sp=
trap '[ -n "$sp" ] && kill "$sp" 2>/dev/null; rm -rf "$t"' EXIT
rm -rf "$out"
mkdir -p "$out"/{foreign,damage,index,meta,config,elf,store,view,maps}

# text of about 90 KB: more than one 64 KiB span
cat README.md docs/FORMAT.md >"$t/text"
head -c 90000 "$t/text" >"$t/t2"
gzip -9 -n -c "$t/t2" >"$out/foreign/gzip-9.gz"
pigz -p 2 -b 32 -n -c "$t/t2" >"$out/foreign/pigz.gz"
(cd "$t" && 7z a -tgzip -mx=5 t2.gz t2 >/dev/null) && cp "$t/t2.gz" "$out/foreign/7z.gz"
{ gzip -1 -n -c "$t/t2"; head -c 5000 "$t/text" | gzip -n -c; } >"$out/foreign/multi.gz"
zlib-flate -compress <"$t/t2" >"$out/foreign/zlib.zz"
gzip -n -c </dev/null >"$out/foreign/empty.gz"
"$BUILD/gzcoredump" -c -q --span 64K -p "$t" -a seed <"$t/t2"
own=$(ls "$t"/Core_*seed.gz)
cp "$own" "$out/foreign/own.gz"
cp "$own.gzx" "$out/index/own.gzx"
"$BUILD/gzcoredump" -c -q --zlib --span 64K -p "$t" -a zseed <"$t/t2"
cp "$(ls "$t"/Core_*zseed.zz.gzx)" "$out/index/own-zlib.gzx"

printf '\000' >"$out/damage/gzip"
printf '\001' >"$out/damage/zlib"
printf '\000\100\000\000\000\001' >"$out/damage/one-bit"
printf '\001\200' >"$out/damage/cut"

cp packaging/gzcoredump.conf "$out/config/gzcoredump.conf"

# store layouts for fuzz_view (steps: see the target): a core with a
# sidecar, one without, a garbage file, foreign files in a group and at
# the root, and a removal
printf '\000grp\005\000\003app\0031.2\000\000\005\001\001\003ggg\000\000\005foo.gz\002\000\000\000\006bar.gz\006\000\000\000\000\000\000' >"$out/view/mixed"

# /proc texts and a rate-limit history as the handler writes it (the key
# is that of /usr/bin/fuzz, the executable fuzz_store admits)
cp /proc/self/status "$out/store/status"
cat /proc/self/auxv >"$out/store/auxv"
now=1795757300000000 # fuzz_store's clock
printf '%s f35f93946fbf62d2\n%s f35f93946fbf62d2\n%s ffeeddccbbaa9988\n' \
	$((now - 7200000000)) $((now - 60000000)) $((now - 1000000)) >"$out/store/ratelimit"
cat >"$out/store/skipped" <<'EOS'
{"timestamp_us":1795757240123456,"pid":4242,"uid":1000,"signal":11,"signal_name":"SIGSEGV","comm":"app","exe":"/usr/bin/app","app":"app","app_version":"1.2","reason":"rate limit of 3 per 3600s reached"}
{"timestamp_us":1795757241000000,"pid":4243,"reason":"RLIMIT_CORE (ulimit -c) is 0 bytes, below a page"}
EOS

# an executable with a package note, a build-id and a .uuid section
printf 'int main(void) { return 0; }\n' >"$t/m.c"
gcc -Os -s -o "$t/m" "$t/m.c" -Wl,--build-id=0x0123456789abcdef0123456789abcdef01234567 \
	-Xlinker '--package-metadata={"type":"deb","name":"seed","version":"1.2-3","os":"debian"}'
printf 'name=seed\nversion=1.2\n' >"$t/u"
objcopy --add-section .uuid="$t/u" "$t/m" "$out/elf/package-note-uuid"

# a core: gcore of a sleeping process, cut to its headers and notes (gdb
# writes the notes last), then stored by the kernel handler's code path for
# its sidecar
sleep 60 &
sp=$!
gcore -o "$t/core" "$sp" >/dev/null 2>&1
python3 - "$t/core.$sp" "$out/elf/core-notes" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
b = open(src, 'rb').read()
phoff, = struct.unpack_from('<Q', b, 32)
phentsize, phnum = struct.unpack_from('<HH', b, 54)
keep = []
for i in range(phnum):
    ph = list(struct.unpack_from('<IIQQQQQQ', b, phoff + i * phentsize))
    if ph[0] == 4:                      # PT_NOTE: whole
        keep.append((ph, b[ph[2]:ph[2] + ph[5]]))
    elif ph[0] == 1 and len([k for k in keep if k[0][0] == 1]) < 1 and ph[5] >= 64:
        keep.append((ph, b[ph[2]:ph[2] + 4096]))  # the first mapping's first page
        ph[5] = min(ph[5], 4096)
off = 64 + 56 * len(keep)
hdr = bytearray(b[:64])
struct.pack_into('<Q', hdr, 32, 64)
struct.pack_into('<H', hdr, 56, len(keep))
phs, data = bytearray(), bytearray()
for ph, d in keep:
    ph[2] = off + len(data)
    phs += struct.pack('<IIQQQQQQ', *ph)
    data += d
open(dst, 'wb').write(bytes(hdr) + bytes(phs) + bytes(data))
PY
mkdir -p "$t/store"
printf 'store = %s\n' "$t/store" >"$t/conf"
"$BUILD/gzcoredump" --kernel -C "$t/conf" -F "$sp" "$sp" 0 0 11 "$(date +%s)" 99999999999 1 seedhost sleep <"$t/core.$sp"
cp "$(ls "$t"/store/*/*.json | head -1)" "$out/meta/sidecar.json"
# maps: a real process's (python3 with a few libraries loaded), and lines
# at the edges of the format (a path with a space, a deleted file, the vdso,
# a last line cut short)
python3 -c "import ssl, json; print(open('/proc/self/maps').read(), end='')" >"$out/maps/python3"
printf '%s\n' \
	"55d0c0000000-55d0c0001000 r--p 00000000 fd:01 1234                       /usr/bin/my app" \
	"55d0c0001000-55d0c0002000 r-xp 00001000 fd:01 1234                       /usr/bin/my app" \
	"7f0000700000-7f0000701000 r-xp 00000000 00:1e 99                         /tmp/libgone.so (deleted)" \
	"7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]" >"$out/maps/edges"
printf '7f0000c00000-7f0000c01000 r-xp 00000000 fd:01 104                        /lib/cut' >>"$out/maps/edges"
ls -R "$out" | head -40

#!/usr/bin/env bash
# fs_bench.sh — gzcorefs against its peers on one reference core (a gcore
# of tests/helpers/memhog, a few hundred MB), side by side in one run.
# Prints a markdown table. Standalone: BUILD=build bash tests/bench/fs_bench.sh
#   RUNS=N   runs per median (default 5)   REF_MIB=N  reference core size
# Needs root and /dev/fuse (a real mount); page caches are dropped
# (/proc/sys/vm/drop_caches) before each cold measurement.
. "$(dirname "$0")/lib.sh"
GZCOREFS="$BUILD/gzcorefs"
PY=/usr/bin/python3
[ -c /dev/fuse ] || { echo "fs_bench: /dev/fuse is missing"; exit 0; }
CACHE_MIB=${CACHE_MIB:-256}

core=$(ref_core)
size=$(stat -c %s "$core")
store=$WORK/store mnt=$WORK/mnt
mkdir -p "$store" "$mnt"
"$GZCOREDUMP" -c -q -p "$store" -a ref <"$core" || exit 1
gz=$(ls "$store"/Core_*.gz)
zstd -q -c "$core" >"$WORK/core.zst"
drop() { sync; echo 1 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

fspid=
mount_fs() {
	"$GZCOREFS" "$1" "$2" -f -o cache_size=${CACHE_MIB}M >"$WORK/fs.log" 2>&1 &
	fspid=$!
	for _ in $(seq 1 400); do grep -qs " $2 fuse" /proc/mounts && return 0; sleep 0.05; done
	cat "$WORK/fs.log"; echo "fs_bench: mount failed"; exit 1
}
umount_fs() { fusermount3 -u -z "$1" 2>/dev/null; kill "$fspid" 2>/dev/null; wait "$fspid" 2>/dev/null; }
trap 'umount_fs "$mnt"; umount_fs "$WORK/mnt1k"; rm -rf "$WORK"' EXIT

mount_fs "$store" "$mnt"
mcore=$(find "$mnt" -type f ! -name '*.json' | head -1)
stat "$mcore" >/dev/null # the first lookup identifies the core
# wall seconds of one shell command (lib.sh's median_time sends time's own
# report to /dev/null with the command's stderr, so it is not used here)
wall() {
	local a b
	a=$(date +%s%N)
	bash -c "$1" >/dev/null 2>&1
	b=$(date +%s%N)
	awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", (b - a) / 1e9}'
}
median_of() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# median of $RUNS runs; cold: page cache dropped before each
median_warm() { local i; for ((i = 0; i < RUNS; i++)); do wall "$1"; echo; done | median_of; }
median_cold() { local i; for ((i = 0; i < RUNS; i++)); do drop; wall "$1"; echo; done | median_of; }
t_cat=$(median_cold "cat '$mcore' >/dev/null")
# the page cache keeps a mounted core across opens: a second cat reads it
t_cat_warm=$(median_warm "cat '$mcore' >/dev/null")
t_raw=$(median_cold "cat '$core' >/dev/null")
t_gzip=$(median_warm "gzip -dc '$gz' >/dev/null")
t_igzip=$(command -v igzip >/dev/null && median_warm "igzip -dc '$gz' >/dev/null" || echo 0)

# random 4 KiB reads, O_DIRECT so every read reaches the daemon: the first
# read in a span decodes it (uncached), a second one in the same span hits
# the span cache (cached)
umount_fs "$mnt"
mount_fs "$store" "$mnt"
stat "$mcore" >/dev/null
lat=$($PY - "$mcore" "$gz" <<'PY'
import mmap, os, random, statistics, subprocess, sys, time
core, gz = sys.argv[1], sys.argv[2]
size = os.path.getsize(core)
# our span size, from the gzip header's extra field (offset 18, LE)
span = int.from_bytes(open(gz, 'rb').read(22)[18:22], 'little')
units = span // 4096
rnd = random.Random(5)
spans = rnd.sample(range(size // span - 1), min(200, size // span - 1))
buf = mmap.mmap(-1, 4096)
fd = os.open(core, os.O_RDONLY | os.O_DIRECT)
def t(off):
    s = time.perf_counter(); os.preadv(fd, [buf], off); return time.perf_counter() - s
# a span is decoded up to the bytes asked for (the cache keeps that prefix),
# so the cached read goes before the first one in the same span
first = [rnd.randrange(0, units) for sp in spans]
unc = [t(sp * span + 4096 * k) for sp, k in zip(spans, first)]
hit = [t(sp * span + 4096 * rnd.randrange(0, k + 1)) for sp, k in zip(spans, first)]
res = [statistics.median(unc) * 1e6, statistics.median(hit) * 1e6]
try:
    import indexed_gzip as ig
    f = ig.IndexedGzipFile(gz, spacing=span)
    f.build_full_index()
    def ti(off):
        s = time.perf_counter(); f.seek(off); f.read(4096); return time.perf_counter() - s
    a = [ti(sp * span + 4096 * rnd.randrange(0, units * 3 // 4)) for sp in spans]
    b = [ti(sp * span + 4096 * rnd.randrange(units * 3 // 4, units - 1)) for sp in spans]
    res += [statistics.median(a) * 1e6, statistics.median(b) * 1e6]
except Exception as e:
    res += [0, 0]
try:
    idx = gz + ".gzi"
    subprocess.run(["gztool", "-f", "-s", "1", "-I", idx, "-i", gz], check=True, capture_output=True)
    def tg(off):
        s = time.perf_counter()
        p = subprocess.Popen(["gztool", "-I", idx, "-b", str(off), gz], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        p.stdout.read(4096); p.kill(); p.wait()
        return time.perf_counter() - s
    g = [tg(sp * span + 4096 * rnd.randrange(0, units * 3 // 4)) for sp in spans[:50]]
    res += [statistics.median(g) * 1e6]
except Exception:
    res += [0]
print(" ".join(f"{x:.0f}" for x in res + [span // 1024]))
PY
)
read -r l_unc l_hit l_ig_unc l_ig_hit l_gzt span_kib <<<"$lat"

# gdb bt: through the mount (page cache dropped), on the raw core, and the
# decompress-then-debug workflows (gzip -dc, coredumpctl's zstd -dc)
exe=$HELPERS/memhog
t_gdb_mnt=$(median_cold "gdb -nx -batch -ex bt '$exe' '$mcore'")
t_gdb_raw=$(median_cold "gdb -nx -batch -ex bt '$exe' '$core'")
t_gdb_gz=$(median_warm "gzip -dc '$gz' >'$WORK/x.core' && gdb -nx -batch -ex bt '$exe' '$WORK/x.core'; rm -f '$WORK/x.core'")
t_gdb_zst=$(median_warm "zstd -q -dc '$WORK/core.zst' >'$WORK/y.core' && gdb -nx -batch -ex bt '$exe' '$WORK/y.core'; rm -f '$WORK/y.core'")
# the same through `gzcoredump debug` (private mount, gdb, unmount: all of
# it timed), on a store that keeps the core as the handler does
sdbg=$WORK/store-debug
mkdir -p -m 700 "$sdbg" && mkdir -p "$sdbg/memhog-1"
ts=$(date +%s%6N)
"$HELPERS/fs_mkstore" "$sdbg/memhog-1" "core.4242.$ts" memhog-1 4242 "$ts" 0 0 <"$core" >/dev/null || exit 1
t_gdb_dbg=$(median_cold "'$GZCOREDUMP' debug -q 4242 -S '$sdbg' --exe '$exe' -- -nx -batch -ex bt")
rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$fspid/status)
hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$fspid/status)
umount_fs "$mnt"

# listing a store of 1,000 cores (sidecars, indexes): the first listing
# identifies them all; later ones after the store changed rescan it
small=$WORK/small.core
head -c 262144 "$core" >"$small"
s1k=$WORK/store1k
mkdir -p "$s1k/app-1"
ts=$(date +%s%6N)
for i in $(seq 1 1000); do
	"$HELPERS/fs_mkstore" "$s1k/app-1" "core.$i.$ts" app-1 "$i" "$ts" 0 0 <"$small" >/dev/null || exit 1
done
mkdir -p "$WORK/mnt1k"
mount_fs "$s1k" "$WORK/mnt1k"
t_ls_first=$(wall "ls -l '$WORK/mnt1k/app-1'")
n1k=$(ls "$WORK/mnt1k/app-1" | grep -vc json)
t_ls=$(for ((i = 0; i < RUNS; i++)); do sleep 0.6; touch "$s1k/app-1"; wall "ls -l '$WORK/mnt1k/app-1'"; echo; done | median_of)
t_ls_warm=$(median_warm "ls -l '$WORK/mnt1k/app-1'")
umount_fs "$WORK/mnt1k"

# the same 1,000 cores with sidecars of real size: those the handler wrote
# for gdb (a live process, about 60 libraries; its /proc snapshots and its
# modules), the rest of each sidecar its own
gdb -nx -batch -ex 'shell sleep 60' >/dev/null 2>&1 &
gpid=$!
sleep 1
mkdir -p -m 700 "$WORK/realmeta"
head -c 200000 /dev/urandom | "$GZCOREDUMP" --kernel -S "$WORK/realmeta" "$gpid" "$gpid" 0 0 11 "$(date +%s)" \
	18446744073709551615 1 host gdb || exit 1
kill "$gpid" 2>/dev/null
real=$(ls "$WORK"/realmeta/*/core.*.json)
python3 - "$real" "$s1k/app-1" <<'PY' || exit 1
import glob, json, sys
real = json.load(open(sys.argv[1]))
for f in glob.glob(sys.argv[2] + "/*.json"):
    d = json.load(open(f))
    d["snapshots"], d["modules"] = real["snapshots"], real.get("modules", [])
    open(f, "w").write(json.dumps(d, indent=2) + "\n")
PY
real_kb=$(($(stat -c %s "$(ls "$s1k"/app-1/*.json | head -1)") / 1024))
real_mods=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1])).get("modules", [])))' "$real")
mount_fs "$s1k" "$WORK/mnt1k"
t_lr_first=$(wall "ls -l '$WORK/mnt1k/app-1'")
t_lr=$(for ((i = 0; i < RUNS; i++)); do sleep 0.6; touch "$s1k/app-1"; wall "ls -l '$WORK/mnt1k/app-1'"; echo; done | median_of)
umount_fs "$WORK/mnt1k"

# 1,000 cores of one pid (pid 1 of a container that keeps crashing): named
# core.1, core.1.1, ... core.1.999, which once cost n²/2 tries
s1p=$WORK/store1pid
mkdir -p "$s1p/app-1"
for i in $(seq 1 1000); do
	"$HELPERS/fs_mkstore" "$s1p/app-1" "core.1.$((ts + i))" app-1 1 "$((ts + i))" 0 0 <"$small" >/dev/null || exit 1
done
mkdir -p "$WORK/mnt1p"
mount_fs "$s1p" "$WORK/mnt1p"
t_lp_first=$(wall "ls -l '$WORK/mnt1p/app-1'")
n1p=$(ls "$WORK/mnt1p/app-1" | grep -vc json)
[ -e "$WORK/mnt1p/app-1/core.1.$((n1p - 1))" ] || { echo "fs_bench: the cores of pid 1 are not named core.1 ... core.1.$((n1p - 1))" >&2; exit 1; }
t_lp=$(for ((i = 0; i < RUNS; i++)); do sleep 0.6; touch "$s1p/app-1"; wall "ls -l '$WORK/mnt1p/app-1'"; echo; done | median_of)
umount_fs "$WORK/mnt1p"

mb=$((size / 1000000))
echo "## gzcorefs: reading a ${mb} MB core through the mount"
echo
echo "Core: gcore of memhog, $size bytes; stored by \`gzcoredump -c\` as $(stat -c %s "$gz") bytes. Medians of $RUNS runs; \"cold\" = page cache dropped before each run. Daemon cache ${CACHE_MIB} MiB."
echo
echo "| what | time | throughput / ratio |"
echo "| --- | --- | --- |"
echo "| \`cat\` mounted core (cold) | ${t_cat} s | $(mbps "$size" "$t_cat") MB/s |"
echo "| \`cat\` mounted core again (page cache kept) | ${t_cat_warm} s | $(mbps "$size" "$t_cat_warm") MB/s |"
echo "| \`cat\` raw core (disk, page cache dropped) | ${t_raw} s | $(mbps "$size" "$t_raw") MB/s |"
echo "| \`gzip -dc\` same file | ${t_gzip} s | $(mbps "$size" "$t_gzip") MB/s; mount is $(ratio "$t_gzip" "$t_cat")x faster |"
echo "| \`igzip -dc\` same file | ${t_igzip} s | $(mbps "$size" "$t_igzip") MB/s; mount is $(ratio "$t_igzip" "$t_cat")x faster |"
echo "| random 4 KiB read, span not cached (median, O_DIRECT) | ${l_unc} µs | target ≤ 1000 µs |"
echo "| random 4 KiB read, span cached (median, O_DIRECT) | ${l_hit} µs | target ≤ 50 µs |"
echo "| indexed_gzip 4 KiB read, new spot (${span_kib} KiB spacing, as our spans) | ${l_ig_unc} µs | $(ratio "$l_ig_unc" "$l_unc")x gzcorefs |"
echo "| indexed_gzip 4 KiB read, near the last one | ${l_ig_hit} µs | $(ratio "$l_ig_hit" "$l_hit")x gzcorefs |"
echo "| gztool -b 4 KiB read (1 MiB index, includes process start) | ${l_gzt} µs | $(ratio "$l_gzt" "$l_unc")x gzcorefs |"
echo "| \`gdb -batch -ex bt\` on the mounted core (cold) | ${t_gdb_mnt} s | $(ratio "$t_gdb_mnt" "$t_gdb_raw")x raw (target ≤ 1.2x) |"
echo "| \`gdb -batch -ex bt\` on the raw core | ${t_gdb_raw} s | 1.00x |"
echo "| \`gzcoredump debug ID -- -batch -ex bt\` (mount, gdb, unmount; cold) | ${t_gdb_dbg} s | $(ratio "$t_gdb_dbg" "$t_gdb_raw")x raw |"
echo "| \`gzip -dc\` to a file, then gdb | ${t_gdb_gz} s | $(ratio "$t_gdb_gz" "$t_gdb_mnt")x the mount |"
echo "| \`zstd -dc\` to a file, then gdb (coredumpctl debug) | ${t_gdb_zst} s | $(ratio "$t_gdb_zst" "$t_gdb_mnt")x the mount, $(ratio "$t_gdb_zst" "$t_gdb_dbg")x \`gzcoredump debug\` |"
echo "| \`ls -l\` of $n1k cores, first listing (identifies all) | ${t_ls_first} s | |"
echo "| \`ls -l\` of $n1k cores after a store change (rescan) | ${t_ls} s | target ≤ 0.100 s |"
echo "| \`ls -l\` of $n1k cores, store unchanged | ${t_ls_warm} s | target ≤ 0.100 s |"
echo "| \`ls -l\` of $n1k cores with real-size sidecars (${real_kb} KB each: gdb's snapshots and ${real_mods} modules), first listing / after a store change | ${t_lr_first} s / ${t_lr} s | target ≤ 0.100 s |"
echo "| \`ls -l\` of $n1p cores of one pid, first listing / after a store change | ${t_lp_first} s / ${t_lp} s | |"
echo "| daemon RSS after the runs (peak) | ${rss} MiB (${hwm} MiB) | budget $((CACHE_MIB + 32)) MiB |"

#!/usr/bin/env bash
# format_large.sh — a multi-GiB core, to test the path over 4 GiB.
# A generator (tests/helpers/gen_sparse) streams SIZE bytes (default 5 GiB),
# mostly zeros with patterned regions before, across and beyond 4 GiB, into
# `gzcoredump -c`; no uncompressed copy of it ever exists. Then:
#  - gzip -t accepts the file (its ISIZE is the size mod 2^32);
#  - the index records the full 64-bit size;
#  - `gzcoredump -d` gives a sparse file of the exact size whose bytes equal
#    the generator's output (cmp against a second run of the generator).
source "$(dirname "$0")/lib.sh"
need gzip
need cmp
SIZE=${GZC_LARGE_SIZE:-5368709120}
GEN="$HELPERS/gen_sparse"
[ -x "$GEN" ] || fail "$GEN is not built"

store="$TMP/store"
"$GEN" "$SIZE" | "$GZCOREDUMP" -c -p "$store" -a large >"$TMP/path" 2>"$TMP/err" || { cat "$TMP/err"; fail "gzcoredump -c failed"; }
[ -s "$TMP/err" ] && { cat "$TMP/err"; fail "gzcoredump -c printed an error"; }
core=$(cat "$TMP/path")
[ -f "$core" ] || fail "no compressed core at '$core'"
ok "compressed $SIZE bytes into $(stat -c %s "$core") bytes"

# the index's usize field (offset 24, 64-bit little-endian) is the full size
usize=$(od -An -t u8 -j 24 -N 8 "$core.gzx" | tr -d ' ')
[ "$usize" = "$SIZE" ] || fail "index usize $usize, want $SIZE"
# and the gzip trailer holds it mod 2^32
isize=$(tail -c 4 "$core" | od -An -t u4 | tr -d ' ')
[ "$isize" = "$((SIZE % 4294967296))" ] || fail "gzip ISIZE $isize, want $((SIZE % 4294967296))"
ok "index usize is the 64-bit size, ISIZE is size mod 2^32"

gzip -t "$core" || fail "gzip -t refuses the large core"
ok "gzip -t accepts it"

"$GZCOREDUMP" -d -f "$core" -o "$TMP/out" || fail "gzcoredump -d failed"
[ "$(stat -c %s "$TMP/out")" = "$SIZE" ] || fail "decompressed size $(stat -c %s "$TMP/out"), want $SIZE"
alloc=$(( $(stat -c %b "$TMP/out") * $(stat -c %B "$TMP/out") ))
[ "$alloc" -lt $((256 << 20)) ] || fail "output not sparse: $alloc bytes allocated"
cmp "$TMP/out" <("$GEN" "$SIZE") || fail "decompressed bytes differ from the generator's"
ok "gzcoredump -d gives the exact bytes, sparse ($alloc bytes allocated)"

# that sparse file fed back to -c: its holes are skipped, not read (the
# writer asks SEEK_DATA); the same bytes give the same size and data CRC-32
"$GZCOREDUMP" -c -p "$store" -a again <"$TMP/out" >"$TMP/path2" 2>"$TMP/err" || { cat "$TMP/err"; fail "gzcoredump -c of the sparse file failed"; }
core2=$(cat "$TMP/path2")
field() { od -An -t "$1" -j "$2" -N "$3" "$4" | tr -d ' '; }
[ "$(field u8 24 8 "$core2.gzx")" = "$SIZE" ] || fail "sparse input: index usize $(field u8 24 8 "$core2.gzx")"
[ "$(field u4 48 4 "$core2.gzx")" = "$(field u4 48 4 "$core.gzx")" ] || fail "sparse input: data CRC differs"
gzip -t "$core2" || fail "gzip -t refuses the core made from the sparse file"
ok "a sparse input file gives the same stream data ($(stat -c %s "$core2") bytes)"

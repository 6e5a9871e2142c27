#!/usr/bin/env bash
# format_interop.sh — our files open in the real tools, theirs in ours, and
# the legacy command line behaves as before on good and bad input.
#  - `gzcoredump -c` output (gzip and --zlib, levels 1/6/9, spans 64K/1M)
#    decompresses with gzip -t/-dc, pigz -dc, 7z x, Python's zlib and
#    zlib-flate to exactly the input;
#  - `gzcoredump -d` decompresses files from gzip -9, pigz, 7z -tgzip,
#    multi-member gzip and zlib-flate, and igzip -0's one-block files (too
#    long to index: in one pass);
#  - empty input, the Core_YYYYMMDD_HHMMSS_ARG.gz name, unwritable
#    directories, corrupt and truncated input to -d.
source "$(dirname "$0")/lib.sh"
for t in gzip pigz 7z zlib-flate igzip cmp; do need "$t"; done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 is not installed"

# the input: text, zeros, random bytes, more text (about 7 MB)
in="$TMP/in"
{ seq 1 200000; head -c 3000000 /dev/zero; head -c 1500000 /dev/urandom
  seq 1 60000 | sed 's/$/ heap object at 0x7ffd1234 refs=2/'; } >"$in"

# same: stdin equals $in; the status says so (a `fail` in it would end only
# the pipeline's subshell: callers write `... | same || fail`)
same() { cmp -s - "$in"; }
py_inflate() { # py_inflate FILE WBITS
	"$PY" -c 'import sys, zlib
d = zlib.decompressobj(int(sys.argv[2]))
out = d.decompress(open(sys.argv[1], "rb").read()) + d.flush()
assert d.eof and not d.unused_data, "stream not complete or trailing bytes"
sys.stdout.buffer.write(out)' "$1" "$2"
}

# --- our files in the real tools
store="$TMP/store"
for level in 1 6 9; do
	for span in 64K 1M; do
		f=$("$GZCOREDUMP" -c -p "$store" -a "L${level}_S$span" -$level --span $span <"$in") || fail "-c -$level --span $span"
		gzip -t "$f" || fail "gzip -t refuses $f"
		gzip -dc "$f" | same || fail "gzip -dc: $f does not decompress to the input"
		pigz -dc "$f" | same || fail "pigz -dc: $f does not decompress to the input"
		7z x -so "$f" 2>/dev/null | same || fail "7z x: $f does not decompress to the input"
		py_inflate "$f" 31 | same || fail "python zlib: $f does not decompress to the input"
		[ "$(tail -c 4 "$f" | od -An -t u4 | tr -d ' ')" = "$(stat -c %s "$in")" ] || fail "ISIZE of $f"

		z=$("$GZCOREDUMP" -c -p "$store" -a "Z${level}_S$span" -$level --span $span --zlib <"$in") || fail "-c --zlib -$level"
		case "$z" in *.zz) ;; *) fail "zlib file named '$z'";; esac
		zlib-flate -uncompress <"$z" | same || fail "zlib-flate -uncompress: $z does not decompress to the input"
		py_inflate "$z" 15 | same || fail "python zlib (zlib container): $z does not decompress to the input"
	done
done
ok "gzcoredump -c output (gzip/zlib, -1/-6/-9, 64K/1M spans) decompresses with gzip, pigz, 7z, python, zlib-flate"

# --- foreign files through gzcoredump -d
cd "$TMP"
gzip -9 -c "$in" >g9.gz
pigz -p 2 -c "$in" >p.gz
7z a -tgzip -bso0 -bsp0 s.gz "$in" >/dev/null
head -c 1000000 "$in" | gzip -1 >m.gz; tail -c +1000001 "$in" | gzip -6 >>m.gz
zlib-flate -compress <"$in" >z.zz
for f in g9.gz p.gz s.gz m.gz z.zz; do
	rm -f out
	"$GZCOREDUMP" -d -f "$f" -o out || fail "gzcoredump -d -f $f"
	same <out || fail "gzcoredump -d of $f: out is not the input"
done
"$GZCOREDUMP" -d -f g9.gz -o - | same || fail "gzcoredump -d -o -: stdout does not decompress to the input"
ok "gzcoredump -d decompresses gzip -9, pigz, 7z, multi-member and zlib-flate files"

# --- a file that cannot be indexed: igzip -0 writes 300 MB of zeros as one
# deflate block, longer than any checkpoint spacing; -d decompresses it in
# one pass instead (sparse), and still refuses damage with an offset
big() { head -c 300000000 /dev/zero; cat "$in"; }
big | igzip -0 >big0.gz
rm -f out
"$GZCOREDUMP" -d -f big0.gz -o out 2>err || { cat err; fail "-d of igzip -0 output"; }
grep -q "one pass" err || { cat err; fail "-d of igzip -0 output: no note that it went in one pass"; }
big | cmp - out >/dev/null || fail "-d of igzip -0 output: wrong bytes"
[ "$(du -k out | cut -f1)" -lt 100000 ] || fail "-d of igzip -0 output: the zeros were written, not left as a hole"
"$GZCOREDUMP" -d -f big0.gz -o - 2>/dev/null | cmp - <(big) >/dev/null || fail "-d -o - of igzip -0 output"
cp big0.gz bad0.gz
bsize=$(stat -c %s bad0.gz)
flip_byte bad0.gz $((bsize - 100000))
rm -f out
rc=0; "$GZCOREDUMP" -d -f bad0.gz -o out 2>err || rc=$?
[ $rc = 1 ] && grep -Eq 'offset [0-9]+' err && [ ! -e out ] || { cat err; fail "damaged igzip -0 output: exit $rc"; }
rm -f big0.gz bad0.gz out
ok "gzcoredump -d decompresses igzip -0 output (one 300 MB block) in one pass, sparse, and refuses it damaged"

# --- empty input
e=$("$GZCOREDUMP" -c -p "$store" -a empty </dev/null) || fail "-c of empty input"
gzip -t "$e" || fail "empty core refused by gzip -t"
[ "$(gzip -dc "$e" | wc -c)" = 0 ] || fail "empty core is not empty"
"$GZCOREDUMP" -d -f "$e" -o "$TMP/eout" || fail "-d of the empty core"
[ -f "$TMP/eout" ] && [ ! -s "$TMP/eout" ] || fail "-d of the empty core gave no empty file"
ok "empty input gives a valid empty core"

# --- legacy naming: Core_YYYYMMDD_HHMMSS_ARG.gz in -p DIR
legacy="$TMP/legacy/sub"
echo "core bytes" | "$GZCOREDUMP" -c -p "$legacy" -a 1234 -q || fail "-c -p -a"
for d in "$TMP/legacy" "$legacy"; do
	[ "$(stat -c %a "$d")" = 700 ] || fail "-c made $d with mode $(stat -c %a "$d"), not 700"
done
names=$(ls -A "$legacy" | grep -v '\.gzx$')
[[ "$names" =~ ^Core_[0-9]{8}_[0-9]{6}_1234\.gz$ ]] || fail "file named '$names'"
[ "$(gzip -dc "$legacy/$names")" = "core bytes" ] || fail "legacy file content"
ok "-c -p DIR -a ARG names the file $names"

# --- unwritable output directory: one line, non-zero exit, no file
bad_dir() { # bad_dir DIR WHY
	local rc=0
	echo data | "$GZCOREDUMP" -c -p "$1" -a x -q 2>"$TMP/err" || rc=$?
	[ $rc = 1 ] || fail "$2: exit $rc, want 1"
	[ "$(wc -l <"$TMP/err")" = 1 ] || { cat "$TMP/err"; fail "$2: not a one-line error"; }
	! ls -A "$1" 2>/dev/null | grep -q '^Core_' || fail "$2: a file appeared under a final name"
}
touch "$TMP/plainfile"
bad_dir "$TMP/plainfile/sub" "a path under a regular file"
ro="$TMP/ro"; mkdir "$ro"
if [ "$(id -u)" = 0 ]; then
	if mount -t tmpfs -o ro,size=1m gzc-ro "$ro" 2>/dev/null; then
		at_exit "umount -l '$ro'"
		bad_dir "$ro" "a read-only file system"
	else
		# no tmpfs mount here (a container): a directory nobody may write
		need setpriv
		chmod 0555 "$ro"; chmod 0755 "$TMP"
		rc=0; echo data | setpriv --reuid=65534 --regid=65534 --clear-groups "$GZCOREDUMP" -c -p "$ro" -a x -q 2>"$TMP/err" || rc=$?
		[ $rc = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && ! ls -A "$ro" | grep -q . || fail "unwritable dir as nobody (rc $rc)"
	fi
else
	chmod 0555 "$ro"
	bad_dir "$ro" "a directory without write permission"
fi
ok "unwritable directories give a one-line error, exit 1, no file"

# --- corrupt and truncated input to -d
src=$("$GZCOREDUMP" -c -p "$TMP/c" -a src -6 --span 64K <"$in")
size=$(stat -c %s "$src")
flip() { # flip FILE OFFSET: xor one byte with 0x55
	local b
	b=$(od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 0x55)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
bad_d() { # bad_d FILE WHY
	local rc=0 od="$TMP/dout"
	rm -rf "$od"; mkdir "$od"
	"$GZCOREDUMP" -d -f "$1" -o "$od/out" 2>"$TMP/err" || rc=$?
	[ $rc = 1 ] || { cat "$TMP/err"; fail "$2: exit $rc, want 1 (not a crash)"; }
	grep -Eq 'offset [0-9]+' "$TMP/err" || { cat "$TMP/err"; fail "$2: the error names no offset"; }
	[ -z "$(ls -A "$od")" ] || fail "$2: left $(ls -A "$od") in the output directory"
}
cp "$src" "$TMP/corrupt.gz"; flip "$TMP/corrupt.gz" $((size / 2))
bad_d "$TMP/corrupt.gz" "corrupt file, no index (scan finds it)"
cp "$src.gzx" "$TMP/corrupt.gz.gzx"
bad_d "$TMP/corrupt.gz" "corrupt file with its index (the span CRC finds it)"
cp "$src" "$TMP/tail.gz"; flip "$TMP/tail.gz" $((size - 6))
bad_d "$TMP/tail.gz" "corrupt trailer"
for cut in 30 $((size / 3)) $((size - 1)); do
	head -c $cut "$src" >"$TMP/trunc.gz"
	bad_d "$TMP/trunc.gz" "truncated to $cut bytes"
done
printf 'not a compressed file\n' >"$TMP/plain"
rc=0; "$GZCOREDUMP" -d -f "$TMP/plain" -o "$TMP/pout" 2>/dev/null || rc=$?
[ $rc = 1 ] && [ ! -e "$TMP/pout" ] || fail "-d of a plain file: exit $rc"
ok "-d on corrupt or truncated input: exit 1, an offset in the message, no output file"

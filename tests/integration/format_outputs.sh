#!/usr/bin/env bash
# gzcoredump -d writes into devices, pipes and symlinks instead of replacing
# them (never through another user's symlink), and replaces plain files
# atomically.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
head -c 300000 /dev/urandom > data; cat data data > in
gzip -c in > in.gz

"$GZCOREDUMP" -d -f in.gz -o /dev/null || fail "-o /dev/null failed"
[ -c /dev/null ] || fail "/dev/null is no longer a character device"
ok "-o /dev/null writes into the device"

"$GZCOREDUMP" -d -f in.gz -o - | cmp - in || fail "-o - differs"
"$GZCOREDUMP" -d -f in.gz -o /dev/stdout > out.stdout || fail "-o /dev/stdout failed"
[ -L /dev/stdout ] || fail "/dev/stdout was replaced"
cmp out.stdout in || fail "-o /dev/stdout differs"
ok "-o - and -o /dev/stdout"

echo old > target; ln -s target link
"$GZCOREDUMP" -d -f in.gz -o link || fail "-o symlink failed"
[ -L link ] || fail "the symlink was replaced"
cmp target in || fail "the symlink's target does not hold the output"
ok "-o SYMLINK writes through the link"

# another user's symlink (to a file, or to nothing) is refused: it could
# aim a root-only core at a world-readable file
if id nobody >/dev/null 2>&1; then
	echo old > target2; chmod 644 target2; ln -s target2 link2; chown -h nobody link2
	ln -s nowhere link3; chown -h nobody link3
	out=$("$GZCOREDUMP" -d -f in.gz -o link2 2>&1) && fail "wrote through another user's symlink"
	grep -q "another user's symbolic link" <<<"$out" || fail "message: $out"
	[ "$(cat target2)" = old ] || fail "the target of another user's link was changed"
	"$GZCOREDUMP" -d -f in.gz -o link3 2>/dev/null && fail "created a file through another user's dangling symlink"
	[ ! -e nowhere ] || fail "a file was created through a dangling symlink"
	ok "another user's symlink is refused"
fi

echo old > plain; ino=$(stat -c %i plain)
"$GZCOREDUMP" -d -f in.gz -o plain || fail "-o plain failed"
cmp plain in || fail "plain file differs"
[ "$(stat -c %i plain)" != "$ino" ] || fail "plain file was not replaced atomically (same inode)"
ok "a plain file is replaced by rename"

mkfifo fifo; cat fifo > from_fifo & 
"$GZCOREDUMP" -d -f in.gz -o fifo || fail "-o fifo failed"
wait
cmp from_fifo in || fail "fifo output differs"
ok "-o FIFO streams in order"

# stdout that is a file already written to, or in append mode: the core
# goes after what is there, zero spans included (ours, with zero spans)
{ head -c 2000000 /dev/urandom; head -c 3000000 /dev/zero; head -c 100000 /dev/urandom; } > zin
"$GZCOREDUMP" -c -q --span 64K -p "$TMP" -a z < zin || fail "-c of zin"
zgz=$(ls "$TMP"/Core_*_z.gz)
{ printf 'HEADER\n'; "$GZCOREDUMP" -d -f "$zgz" -o -; printf 'TRAILER\n'; } > shared || fail "-o - after a header"
{ printf 'HEADER\n'; cat zin; printf 'TRAILER\n'; } | cmp - shared || fail "-o - into a shared file differs"
printf 'HEADER\n' > appended; "$GZCOREDUMP" -d -f "$zgz" -o - --threads 4 >> appended || fail "-o - >> file"
{ printf 'HEADER\n'; cat zin; } | cmp - appended || fail "-o - in append mode differs"
ok "-o - after other output and in append mode"

# a failed write is the output's; a failed read is the input's
out=$("$GZCOREDUMP" -d -f in.gz -o /dev/full 2>&1) && fail "-o /dev/full succeeded"
grep -q "cannot write /dev/full: No space left on device" <<<"$out" || fail "message: $out"
if [ -c /dev/fuse ]; then
	# the input is a file on gzcorefs whose store copy has a corrupt span:
	# reading that range gives EIO (its index beside the link, so no scan)
	mkdir inner store
	"$GZCOREDUMP" -c -q --span 64K -p "$TMP/inner" -a e < data || fail "-c of data"
	igz=$(ls "$TMP"/inner/Core_*_e.gz)
	"$GZCOREDUMP" -c -q --span 64K -p "$TMP/store" -a o < "$igz" || fail "-c into the store"
	ogz=$(ls "$TMP"/store/Core_*_o.gz)
	printf '\x55' | dd of="$ogz" bs=1 seek=$(( $(stat -c %s "$ogz") / 2 )) conv=notrunc 2>/dev/null
	mount_store "$TMP/store" "$TMP/mnt"
	core=$(find "$TMP/mnt" -type f ! -name '*.json' | head -n1)
	[ -n "$core" ] || { ls -laR "$TMP/mnt"; fail "the store's file is not shown"; }
	ln -s "$core" eio.gz; cp "$igz.gzx" eio.gz.gzx
	out=$("$GZCOREDUMP" -d -f eio.gz -o eio.out 2>&1) && fail "-d of an unreadable input succeeded"
	grep -q "cannot read eio.gz: Input/output error (in the span at compressed offset [0-9]*, uncompressed offset [0-9]*)" <<<"$out" ||
		fail "message: $out"
	[ ! -e eio.out ] || fail "a failed -d left eio.out"
fi
ok "a write error names the output, a read error the input"

# names in messages are escaped: a control byte in a file name (the input's
# or the output's) does not reach the terminal
out=$("$GZCOREDUMP" -d -f $'no\033[31mfile' -o x 2>&1) && fail "-d of a missing file succeeded"
grep -qF 'no\x1b[31mfile' <<<"$out" && ! grep -q $'\033' <<<"$out" || fail "input name not escaped: $out"
out=$("$GZCOREDUMP" -d -f in.gz -o $'no\033[31mdir/x' 2>&1) && fail "-o into a missing directory succeeded"
grep -qF 'no\x1b[31mdir' <<<"$out" && ! grep -q $'\033' <<<"$out" || fail "output name not escaped: $out"
ok "file names in messages are escaped"

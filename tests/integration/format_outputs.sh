#!/usr/bin/env bash
# gzcoredump -d writes into devices and pipes instead of replacing them,
# replaces plain files and the targets of our own symlinks atomically (never
# through another user's symlink, wherever it is), writes to the stdout it
# has for any name of it, reads standard input with -f -, and blames a
# failure on the side that failed.
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

# any name of the stdout we have is written as '-' is, not reopened (which
# would truncate a file opened with >>)
for name in /dev/stdout /dev/fd/1 /proc/self/fd/1; do
	echo log > log
	"$GZCOREDUMP" -d -f in.gz -o "$name" >> log || fail "-o $name >> log failed"
	{ echo log; cat in; } | cmp - log || fail "-o $name >> log did not append"
done
ok "-o /dev/stdout, /dev/fd/1, /proc/self/fd/1 append to a >> file"

# other descriptors that are pipes: /dev/fd/3, a process substitution, /dev/stderr
"$GZCOREDUMP" -d -f in.gz -o /dev/fd/3 3>&1 >/dev/null | cmp - in || fail "-o /dev/fd/3 into a pipe"
"$GZCOREDUMP" -d -f in.gz -o >(cat > out.subst) || fail "-o >(cmd) failed"
for _ in $(seq 1 50); do cmp -s out.subst in && break; sleep 0.1; done
cmp out.subst in || fail "-o >(cmd) differs"
"$GZCOREDUMP" -d -f in.gz -o /dev/stderr 2>&1 >/dev/null | cmp - in || fail "-o /dev/stderr into a pipe"
ok "-o /dev/fd/3, >(cmd) and /dev/stderr write into their pipes"

echo old > target; ln -s target link; ino=$(stat -c %i target)
"$GZCOREDUMP" -d -f in.gz -o link || fail "-o symlink failed"
[ -L link ] || fail "the symlink was replaced"
cmp target in || fail "the symlink's target does not hold the output"
[ "$(stat -c %i target)" != "$ino" ] || fail "the symlink's target was written in place, not replaced"
ok "-o SYMLINK replaces the link's target"

# our own dangling symlink (through another of ours, in another directory)
# creates its target
mkdir sub; ln -s sub/made dangling; ln -s ../dangling sub/via
"$GZCOREDUMP" -d -f in.gz -o sub/via || fail "-o to our own dangling symlink failed"
[ -L dangling ] && [ -L sub/via ] || fail "a dangling symlink was replaced"
cmp sub/made in || fail "the dangling symlink's target does not hold the output"
ok "-o to our own dangling symlink creates its target"

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

	# also outside /tmp, under /dev/shm in a directory the other user owns
	# (no sticky bit: the kernel's protected_symlinks does not apply), and
	# as a link of ours that leads through theirs
	if [ -d /dev/shm ] && shm=$(mktemp -d /dev/shm/gzc-test.XXXXXX); then
		at_exit "rm -rf '$shm'"
		chmod 755 "$shm"; mkdir "$shm/theirs"; chown nobody "$shm/theirs"
		echo old > "$shm/rootfile"
		ln -s "$shm/rootfile" "$shm/theirs/out"; chown -h nobody "$shm/theirs/out"
		out=$("$GZCOREDUMP" -d -f in.gz -o "$shm/theirs/out" 2>&1) && fail "wrote through another user's symlink under /dev/shm"
		grep -q "another user's symbolic link" <<<"$out" || fail "message: $out"
		ln -s "$shm/theirs/out" ours
		"$GZCOREDUMP" -d -f in.gz -o ours 2>/dev/null && fail "wrote through our link to another user's symlink"
		[ "$(cat "$shm/rootfile")" = old ] || fail "the target of another user's link under /dev/shm was changed"
		ok "another user's symlink under /dev/shm, or behind ours, is refused"
	fi

	# a device behind another user's link is refused too (it could be
	# /dev/sda or /dev/mem); behind root's own links (/dev/stdout) or ours
	# it is written into
	ln -s /dev/null nulllink; chown -h nobody nulllink
	out=$("$GZCOREDUMP" -d -f in.gz -o nulllink 2>&1) && fail "wrote through another user's link to a device"
	grep -q "another user's symbolic link" <<<"$out" || fail "message: $out"
	ln -s /dev/null ournull
	"$GZCOREDUMP" -d -f in.gz -o ournull || fail "-o our link to /dev/null failed"
	[ -c /dev/null ] || fail "/dev/null is no longer a character device"
	ok "another user's link to a device is refused, ours is written into"
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
{ printf 'HEADER\n'; "$GZCOREDUMP" -d -f "$zgz" -o - || echo "exit $?" >d.status; printf 'TRAILER\n'; } > shared
[ ! -e d.status ] || fail "-o - after a header: $(cat d.status)"
{ printf 'HEADER\n'; cat zin; printf 'TRAILER\n'; } | cmp - shared || fail "-o - into a shared file differs"
printf 'HEADER\n' > appended; "$GZCOREDUMP" -d -f "$zgz" -o - --threads 4 >> appended || fail "-o - >> file"
{ printf 'HEADER\n'; cat zin; } | cmp - appended || fail "-o - in append mode differs"
ok "-o - after other output and in append mode"

# -f - reads standard input in one pass: gzip (two members here), ours
# with zero spans (still sparse), zlib; /dev/stdin and a named FIFO too
cat in.gz in.gz | "$GZCOREDUMP" -d -f - -o two || fail "-f - of two members failed"
cat in in | cmp - two || fail "-f - of two members differs"
[ "$(stat -c %a two)" = 600 ] || fail "the output of -f - has mode $(stat -c %a two), not 600"
cat "$zgz" | "$GZCOREDUMP" -d -f - -o zout || fail "-f - of ours failed"
cmp zout zin || fail "-f - of ours differs"
[ "$(stat -c %b zout)" -lt $(( $(stat -c %s zout) / 512 / 2 )) ] || fail "-f - wrote no holes: $(stat -c '%b blocks' zout)"
"$GZCOREDUMP" -c -q --zlib -p "$TMP" -a zz < data || fail "-c --zlib"
cat "$TMP"/Core_*_zz.zz | "$GZCOREDUMP" -d -f /dev/stdin -o - | cmp - data || fail "-f /dev/stdin of zlib differs"
# stdin that is a file: indexed from its start, or read on from where it stands
"$GZCOREDUMP" -d -f - -o fromfile < in.gz || fail "-f - < file failed"
cmp fromfile in || fail "-f - < file differs"
[ "$(stat -c %a fromfile)" = 600 ] || fail "the output of -f - < file has mode $(stat -c %a fromfile), not 600"
{ printf 'HDRX'; cat in.gz; } > hdr.gz
{ head -c 4 >/dev/null; "$GZCOREDUMP" -d -f - -o afterhdr; } < hdr.gz || fail "-f - after a header failed"
cmp afterhdr in || fail "-f - read past a header differs"
mkfifo infifo; cat in.gz > infifo &
"$GZCOREDUMP" -d -f infifo -o fromfifo || fail "-f FIFO failed"
wait
cmp fromfifo in || fail "-f FIFO differs"
# cut, empty or not compressed: an error naming stdin, and no output left
out=$(head -c 100000 in.gz | "$GZCOREDUMP" -d -f - -o cut 2>&1) && fail "-f - of a cut file succeeded"
grep -q "stdin: corrupt data or truncated at compressed offset 100000" <<<"$out" || fail "message: $out"
out=$("$GZCOREDUMP" -d -f - -o cut 2>&1 < /dev/null) && fail "-f - of nothing succeeded"
grep -q "stdin: corrupt data or truncated at compressed offset 0" <<<"$out" || fail "message: $out"
out=$(cat data | "$GZCOREDUMP" -d -f - -o cut 2>&1) && fail "-f - of random bytes succeeded"
grep -q "stdin: corrupt data" <<<"$out" || fail "message: $out"
[ ! -e cut ] || fail "a failed -f - left its output"
out=$("$GZCOREDUMP" -d -f . -o cut 2>&1) && fail "-f DIRECTORY succeeded"
grep -q "is a directory" <<<"$out" || fail "message: $out"
ok "-f - (gzip, ours, zlib), /dev/stdin and a FIFO decompress in one pass; bad input is an error"

# a corrupt span found while writing (ours, its index beside it) leaves
# the old file, and the old target of our own symlink, as they were
cp "$zgz" damaged.gz; cp "$zgz.gzx" damaged.gz.gzx
flip_byte damaged.gz $(( $(stat -c %s damaged.gz) / 2 ))
echo old > keep; echo old > keeptarget; ln -s keeptarget keeplink
for o in keep keeplink; do
	out=$("$GZCOREDUMP" -d -f damaged.gz -o $o 2>&1) && fail "-d of a damaged file into $o succeeded"
	grep -q "damaged.gz: corrupt data in the span at compressed offset" <<<"$out" || fail "message: $out"
done
[ "$(cat keep)" = old ] && [ "$(cat keeptarget)" = old ] || fail "a failed -d changed the file named"
[ -L keeplink ] || fail "a failed -d replaced the symlink"
[ -z "$(ls -A | grep '^\.gzc-tmp')" ] || fail "a temporary file was left behind"
ok "a corrupt input leaves the file, and a symlink's target, as they were"

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
	flip_byte "$ogz" $(( $(stat -c %s "$ogz") / 2 ))
	mount_store "$TMP/store" "$TMP/mnt"
	core=$(find "$TMP/mnt" -type f ! -name '*.json' | head -n1)
	[ -n "$core" ] || { ls -laR "$TMP/mnt"; fail "the store's file is not shown"; }
	ln -s "$core" eio.gz; cp "$igz.gzx" eio.gz.gzx
	out=$("$GZCOREDUMP" -d -f eio.gz -o eio.out 2>&1) && fail "-d of an unreadable input succeeded"
	grep -q "cannot read eio.gz: Input/output error (in the span at compressed offset [0-9]*, uncompressed offset [0-9]*)" <<<"$out" ||
		fail "message: $out"
	[ ! -e eio.out ] || fail "a failed -d left eio.out"
	ok "a write error names the output, a read error the input"
else
	echo "SKIP part: no /dev/fuse for a read error (a file on gzcorefs with a corrupt span)"
	ok "a write error names the output"
fi

# names in messages are escaped: a control byte in a file name (the input's
# or the output's) does not reach the terminal
out=$("$GZCOREDUMP" -d -f $'no\033[31mfile' -o x 2>&1) && fail "-d of a missing file succeeded"
grep -qF 'no\x1b[31mfile' <<<"$out" && ! grep -q $'\033' <<<"$out" || fail "input name not escaped: $out"
out=$("$GZCOREDUMP" -d -f in.gz -o $'no\033[31mdir/x' 2>&1) && fail "-o into a missing directory succeeded"
grep -qF 'no\x1b[31mdir' <<<"$out" && ! grep -q $'\033' <<<"$out" || fail "output name not escaped: $out"
ok "file names in messages are escaped"

# an empty name is refused at once (an unset $OUT must not decompress into
# a temporary file in . and fail at the end); an input that cannot be read
# at all makes no file and fails
"$GZCOREDUMP" -d -f in.gz -o '' 2>err.txt && fail "-o '' succeeded"
grep -q 'output file name is empty' err.txt || fail "-o '': $(cat err.txt)"
"$GZCOREDUMP" -d -f '' -o out.e 2>err.txt && fail "-f '' succeeded"
grep -q 'input file name is empty' err.txt || fail "-f '': $(cat err.txt)"
ls -a | grep -q '^\.gzc-tmp' && fail "a temporary file was left"
mkdir cdir
"$GZCOREDUMP" -c -q -p cdir <. 2>err.txt && fail "-c with a directory as stdin succeeded"
grep -q 'cannot read standard input' err.txt || fail "-c <.: $(cat err.txt)"
"$GZCOREDUMP" -c -q -p cdir 0>wo.txt 2>err.txt && fail "-c with a write-only stdin succeeded"
[ -z "$(ls -A cdir)" ] || fail "-c of an unreadable stdin left $(ls -A cdir)"
ok "empty file names are refused; an unreadable stdin makes no file"

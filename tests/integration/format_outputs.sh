#!/usr/bin/env bash
# gzcoredump -d writes into devices, pipes and symlinks instead of replacing
# them, and replaces plain files atomically.
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

#!/usr/bin/env bash
# gzcoredump -c on a full disk: one line of error, a non-zero exit, and
# nothing broken under a final name (what fit is kept as a valid gzip file
# flagged truncated); no temporary file is left behind.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
mnt=$TMP/small
mkdir -p "$mnt"
mount -t tmpfs -o size=3m gzc-full "$mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
at_exit "umount -l '$mnt'"
head -c $((20 << 20)) /dev/urandom > "$TMP/in"

"$GZCOREDUMP" -c -q -p "$mnt/st" -a full < "$TMP/in" 2> "$TMP/err" && fail "a full disk exited 0"
[ "$(wc -l < "$TMP/err")" = 1 ] || fail "not one line of error: $(cat "$TMP/err")"
grep -q "No space left" "$TMP/err" || fail "the error does not say why: $(cat "$TMP/err")"
ok "full disk: exit non-zero with one line: $(cat "$TMP/err")"

for f in "$mnt"/st/*; do
	case "$f" in
	*.gz) gzip -t "$f" || fail "$f under a final name is not a valid gzip file"
	      gzip -dc "$f" | cmp -s - <(head -c "$(gzip -dc "$f" | wc -c)" "$TMP/in") || fail "$f holds other bytes"
	      "$GZCOREDUMP" -d -f "$f" -o /dev/null 2>&1 | grep -q truncated || fail "$f is not flagged truncated";;
	*.gzx) ;;
	*) fail "unexpected file $f";;
	esac
done
[ -z "$(ls -A "$mnt/st" | grep '^\.')" ] || fail "temporary files left: $(ls -A "$mnt/st")"
ok "what is under a final name is valid and flagged; no temporary files"

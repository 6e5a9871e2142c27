#!/usr/bin/env bash
# Foreign files in the store (no sidecar, made by other tools): gzip -9,
# pigz, 7z -tgzip, multi-member gzip, zlib (zlib-flate) read right at random
# offsets, grouped by the core's own notes (exe name + build-id); in a
# read-only store their indexes go to cache_dir.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/fs_lib.sh"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"
need pigz; need 7z; need zlib-flate; need eu-unstrip; need eu-readelf

raw=$TMP/raw.core
make_sample_core "$raw" 8
store=$TMP/store mnt=$TMP/mnt
mkdir -p "$store/dropped"
gzip -9 -c "$raw" >"$store/g9.gz"
pigz -c "$raw" >"$store/dropped/pz.gz"
(cd "$TMP" && cp "$raw" core7 && 7z a -tgzip -mx=5 "$store/sz.gz" core7 >/dev/null) || fail "7z"
split -n 3 -d "$raw" "$TMP/part."
for p in "$TMP"/part.*; do gzip -1 -c "$p"; done >"$store/multi.gz"
zlib-flate -compress <"$raw" >"$store/dropped/zl.zz"
want=$(sha256sum <"$raw" | cut -d' ' -f1)

mount_store "$store" "$mnt"
bid=$(eu-unstrip -n --core "$raw" 2>/dev/null | awk '$3 ~ /fs_sample$/ || $5 ~ /fs_sample$/ {print $2; exit}' | cut -c1-12)
pid=$(eu-readelf -n "$raw" 2>/dev/null | awk '/pid:/ {for (i=1;i<=NF;i++) if ($i=="pid:") {p=$(i+1); sub(",", "", p); print p; exit}}')
[ ${#bid} = 12 ] || fail "eu-unstrip gave no build-id of fs_sample in the core: '$bid'"
[ -n "$pid" ] || fail "eu-readelf gave no pid in the core's notes"
seen=0
for f in "$mnt"/*/core.*; do
	case "$f" in *.json) continue;; esac
	# foreign cores are named core.<pid>[.n] from their notes; the sidecar
	# names the file they came from
	src=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["file"]["name"])' "$f.json")
	name=$(basename "$src"); name=${name%.*}
	case " g9 pz sz multi zl " in *" $name "*) ;; *) fail "$f: unexpected source $src";; esac
	case "$f" in "$mnt/fs_sample-bid-$bid"/core.[0-9]*) ;; *) fail "$name shown as $f, not grouped by its notes (fs_sample-bid-$bid) as core.<pid>";; esac
	case "$(basename "$f")" in core.$pid|core.$pid.[0-9]*) ;; *) fail "$f: not named by the pid $pid in its notes";; esac
	[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$want" ] || fail "$name: sha256 differs"
	$PREADS "$f" "$raw" --n 250 --seed 11 --span 1048576 || fail "$name: random preads"
	grep -q '"build_id"' "$f.json" || fail "$name: made-up metadata lacks the build-id"
	ok "$name: $f"
	seen=$((seen + 1))
done
[ "$seen" = 5 ] || { ls -laR "$mnt"; fail "$seen foreign cores shown, want 5"; }
ls "$store"/*.gzx "$store"/dropped/*.gzx >/dev/null || fail "indexes not kept in the writable store"
ok "indexes kept in the store"
# info unwinds a foreign core's threads now, with the files of the same
# build (by the build-ids in the core's memory): fs_sample's are here
out=$("$GZCOREDUMP" info -S "$store" g9.gz) || fail "info g9.gz: $out"
grep -q '^Stack:       (unwound now, not when stored: [1-9][0-9]* of the [1-9][0-9]* mapped files of known build a' <<<"$out" ||
	fail "info of a foreign core has no stack unwound now: $out"
[ "$(grep -c '^             Stack trace of thread [0-9]*:$' <<<"$out")" = 5 ] || fail "info: not 5 threads' stacks: $out"
grep -Eq '^ +#[0-9]+ +0x[0-9a-f]{16} descend[.a-z0-9]* \(fs_sample \+ 0x[0-9a-f]+\)$' <<<"$out" || fail "info: no frame in descend(): $out"
# its signature, from the trace unwound now: none stored in the store to share it
grep -Eq "^Signature:   [0-9a-f]{16} \(no other core in the store has it recorded\)$" <<<"$out" || fail "info: no signature: $out"
ok "info unwinds a foreign core with the files of its builds: 5 threads, deep in descend(), a signature"

# a read-only store: indexes go to cache_dir
fusermount3 -u -z "$mnt"
rm -f "$store"/*.gzx "$store"/dropped/*.gzx
ro=$TMP/ro
mkdir -p "$ro"
if mount --bind "$store" "$ro" 2>/dev/null && mount -o remount,bind,ro "$ro" 2>/dev/null; then
	at_exit "umount -l '$ro' 2>/dev/null"
	mount_store "$ro" "$TMP/mnt2" -o cache_dir="$TMP/cache"
	seen=0
	for f in "$TMP"/mnt2/*/core.*; do
		case "$f" in *.json) continue;; esac
		cmp "$f" "$raw" || fail "read-only store: $f differs"
		seen=$((seen + 1))
	done
	[ "$seen" -ge 5 ] || fail "read-only store: $seen cores read, want 5"
	n=$(ls "$TMP/cache" | grep -c '\.gzx$')
	[ "$n" -ge 5 ] || fail "read-only store: $n indexes in cache_dir, want 5"
	ok "read-only store: indexes in cache_dir ($n)"
	# the second mount believes them (nothing is scanned again); a cache
	# dir others can write, or a symlink, is refused outright
	fusermount3 -u -z "$TMP/mnt2"
	snap=$(stat -c '%n %i %Y.%y' "$TMP"/cache/*.gzx)
	mount_store "$ro" "$TMP/mnt2" -o cache_dir="$TMP/cache"
	seen=0
	for f in "$TMP"/mnt2/*/core.*; do
		case "$f" in *.json) continue;; esac
		cmp "$f" "$raw" || fail "read-only store, indexes from cache_dir: $f differs"
		seen=$((seen + 1))
	done
	[ "$seen" -ge 5 ] || fail "read-only store, second mount: $seen cores read, want 5"
	[ "$(stat -c '%n %i %Y.%y' "$TMP"/cache/*.gzx)" = "$snap" ] ||
		fail "the second mount rewrote the indexes in cache_dir instead of using them"
	fusermount3 -u -z "$TMP/mnt2"
	chmod 1777 "$TMP/cache"
	out=$(timeout 10 "$GZCOREFS" "$ro" "$TMP/mnt2" -f -o cache_dir="$TMP/cache" 2>&1) && fail "mounted with a world-writable cache_dir"
	grep -q "writable by others" <<<"$out" || fail "world-writable cache_dir: $out"
	ln -s "$TMP/cache" "$TMP/cachelink"
	out=$(timeout 10 "$GZCOREFS" "$ro" "$TMP/mnt2" -f -o cache_dir="$TMP/cachelink" 2>&1) && fail "mounted with a symlinked cache_dir"
	grep -q "symbolic link" <<<"$out" || fail "symlinked cache_dir: $out"
	grep -qs " $TMP/mnt2 fuse" /proc/mounts && fail "a refused mount is mounted"
	ok "cache_dir: reused by the next mount; world-writable or symlinked refused"
else
	umount -l "$ro" 2>/dev/null
	# root can always bind-mount: there, not getting one is a failure
	[ "$(id -u)" != 0 ] || fail "root cannot make a read-only bind mount of $store"
	echo "note: cannot make a read-only bind mount as a user; cache_dir not checked"
fi

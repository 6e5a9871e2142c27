#!/usr/bin/env bash
# Two real unprivileged users, -o allow_other: each reads only their own
# core (the handler's user_readable decision), neither reads a root-only
# core, root reads all of them.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/fs_lib.sh"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"
[ "$(id -u)" = 0 ] || skip "needs root to create users"
need useradd; need runuser

ua=gzct-a$$ ub=gzct-b$$
useradd -M -N -s /bin/sh "$ua" || fail "useradd $ua"
at_exit "userdel '$ua' 2>/dev/null"
useradd -M -N -s /bin/sh "$ub" || fail "useradd $ub"
at_exit "userdel '$ub' 2>/dev/null"
ida=$(id -u "$ua") idb=$(id -u "$ub")

raw=$TMP/raw.core
make_sample_core "$raw" 4
store=$TMP/store mnt=$TMP/mnt
mkdir -p "$store/app-1"
ts=$(date +%s%6N)
"$MKSTORE" "$store/app-1" "core.11.$ts" app-1 11 "$ts" "$ida" 1 <"$raw" >/dev/null || fail "fs_mkstore a"
"$MKSTORE" "$store/app-1" "core.22.$ts" app-1 22 "$ts" "$idb" 1 <"$raw" >/dev/null || fail "fs_mkstore b"
"$MKSTORE" "$store/app-1" "core.33.$ts" app-1 33 "$ts" "$ida" 0 <"$raw" >/dev/null || fail "fs_mkstore root-only"
chmod 700 "$store"

mount_store "$store" "$mnt" -o allow_other
d=$mnt/app-1
[ "$(stat -c '%u %a' "$d/core.11")" = "$ida 400" ] || fail "core.11 shows $(stat -c '%u %a' "$d/core.11")"
[ "$(stat -c '%u %a' "$d/core.33")" = "0 400" ] || fail "root-only core.33 shows $(stat -c '%u %a' "$d/core.33")"
can() { runuser -u "$1" -- cat "$2" 2>/dev/null | cmp -s - "$raw"; }
can "$ua" "$d/core.11" || fail "$ua cannot read their own core"
can "$ub" "$d/core.22" || fail "$ub cannot read their own core"
can "$ua" "$d/core.22" && fail "$ua reads $ub's core"
can "$ub" "$d/core.11" && fail "$ub reads $ua's core"
can "$ua" "$d/core.33" && fail "$ua reads a root-only core"
can "$ub" "$d/core.33" && fail "$ub reads a root-only core"
runuser -u "$ua" -- cat "$d/core.11.json" | grep -q gzcore_meta || fail "$ua cannot read their own metadata"
runuser -u "$ub" -- cat "$d/core.11.json" >/dev/null 2>&1 && fail "$ub reads $ua's metadata"
out=$(runuser -u "$ub" -- cat "$d/core.11" 2>&1 >/dev/null)
case "$out" in *"Permission denied"*) ;; *) fail "$ub on $ua's core: '$out', want Permission denied";; esac
for c in 11 22 33; do cmp -s "$d/core.$c" "$raw" || fail "root cannot read core.$c"; done
ok "each user reads only their own core; root reads all"

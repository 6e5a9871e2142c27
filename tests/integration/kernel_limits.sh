#!/usr/bin/env bash
# Limits and settings of the kernel handler: a full disk (small tmpfs store),
# keep_free, max_use making room for a new core, a full disk with nothing
# stored of a core, max_per_app, rate_limit, max_core_size, hooks with a timeout and
# hostile data only in their environment; install/uninstall bookkeeping
# (previous pattern, --persist, a too-long line) and the original -c line.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/kernel_lib.sh"
SEGV="$CRASH/crash_segv"
CONF=$TMP/c  # short: the whole core_pattern line must fit in 127 bytes
# the small file systems below are tmpfs mounts: where root cannot make
# one (a container), skip now, not halfway; later, a failed mount fails
mkdir "$TMP/probe"
mount -t tmpfs -o size=1m gzcprobe "$TMP/probe" 2>/dev/null || skip "cannot mount a tmpfs here"
umount "$TMP/probe"

# 1. previous pattern kept and given back; --persist; a line too long
printf '%s\n' "core.%p.gzctest" > /proc/sys/kernel/core_pattern
echo 0 > /proc/sys/kernel/core_pipe_limit
GZC_SYSCTL_FILE=$TMP/sysctl.conf "$GZCOREDUMP" install --store "$STORE" --persist >/dev/null || fail "install --persist"
grep -q "^kernel.core_pattern = |$GZCOREDUMP --kernel" "$TMP/sysctl.conf" || fail "sysctl file: $(cat "$TMP/sysctl.conf")"
grep -q "^kernel.core_pipe_limit = 64" "$TMP/sysctl.conf" || fail "sysctl file lacks core_pipe_limit"
[ "$(cat /proc/sys/kernel/core_pipe_limit)" = 64 ] || fail "install did not raise core_pipe_limit (the kernel must wait for the handler)"
"$GZCOREDUMP" install --store "$STORE" >/dev/null || fail "reinstall"
GZC_SYSCTL_FILE=$TMP/sysctl.conf "$GZCOREDUMP" uninstall --persist >/dev/null || fail "uninstall"
[ "$(cat /proc/sys/kernel/core_pattern)" = "core.%p.gzctest" ] || fail "previous pattern not restored: $(cat /proc/sys/kernel/core_pattern)"
[ "$(cat /proc/sys/kernel/core_pipe_limit)" = 0 ] || fail "core_pipe_limit not restored: $(cat /proc/sys/kernel/core_pipe_limit)"
[ ! -e "$TMP/sysctl.conf" ] || fail "uninstall --persist left the sysctl file"
long=$TMP/$(printf 'x%.0s' $(seq 1 90))
mkdir -p "$long" && cp "$GZCOREDUMP" "$long/gzcoredump"
out=$("$long/gzcoredump" install --store "$STORE" 2>&1) && fail "a line over 127 bytes was installed"
grep -q "127" <<<"$out" || fail "no clear message for a long line: $out"
[ "$(cat /proc/sys/kernel/core_pattern)" = "core.%p.gzctest" ] || fail "a failed install changed core_pattern"
ok "previous pattern restored, --persist file written and removed, long line refused"

# 1b. a re-install into another store, or a config changed after install,
# still gives back the values from before the first install
printf '%s\n' "core.%p.orig" > /proc/sys/kernel/core_pattern
echo 5 > /proc/sys/kernel/core_pipe_limit
"$GZCOREDUMP" install --store "$TMP/sa" >/dev/null || fail "install into store A"
"$GZCOREDUMP" install --store "$TMP/sb" >/dev/null || fail "re-install into store B"
# with no -S or -C, the commands use the installed handler's store
head -c 1000 /dev/urandom | gzip > "$TMP/sb/marker.gz"
out=$("$GZCOREDUMP" list 2>&1) || fail "list after install --store: $out"
grep -q 'marker.gz' <<<"$out" || fail "list without -S did not read the installed handler's store: $out"
out=$("$GZCOREDUMP" uninstall) || fail "uninstall after a re-install"
[ "$(cat /proc/sys/kernel/core_pattern)" = "core.%p.orig" ] || fail "pattern after a re-install: $(cat /proc/sys/kernel/core_pattern)"
[ "$(cat /proc/sys/kernel/core_pipe_limit)" = 5 ] || fail "core_pipe_limit after a re-install: $(cat /proc/sys/kernel/core_pipe_limit)"
[ -z "$(ls -A "$TMP/sa" "$TMP/sb" 2>/dev/null | grep prev)" ] || fail "install notes left in a store"
printf 'store = %s\n' "$TMP/sc" > "$CONF"
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install --config"
printf 'store = %s\nmax-use = 1G\n' "$TMP/elsewhere" > "$CONF"
out=$("$GZCOREDUMP" uninstall 2>&1) || fail "uninstall after the config changed: $out"
[ "$(cat /proc/sys/kernel/core_pattern)" = "core.%p.orig" ] || fail "pattern after the config changed: $(cat /proc/sys/kernel/core_pattern)"
[ "$(cat /proc/sys/kernel/core_pipe_limit)" = 5 ] || fail "core_pipe_limit after the config changed"
# a typo fails install, naming the line and the setting
printf 'store = %s\nmax-use = 1G\n' "$TMP/sc" > "$CONF"
out=$("$GZCOREDUMP" install --config "$CONF" 2>&1) && fail "install took a config with a typo"
grep -q "$CONF:2: max-use: unknown setting" <<<"$out" || fail "typo message: $out"
[ "$(cat /proc/sys/kernel/core_pattern)" = "core.%p.orig" ] || fail "a refused install changed core_pattern"
# uninstall says when a sysctl.d file would install the handler again at boot
GZC_SYSCTL_FILE=$TMP/sysctl.conf "$GZCOREDUMP" install --store "$STORE" --persist >/dev/null || fail "install --persist"
out=$(GZC_SYSCTL_FILE=$TMP/sysctl.conf "$GZCOREDUMP" uninstall 2>&1) || fail "uninstall"
grep -q "still installs gzcoredump at boot" <<<"$out" || fail "no note about the sysctl.d file: $out"
rm -f "$TMP/sysctl.conf"
# an empty pattern (cores off) is given back too (writing no bytes changes nothing)
printf '\n' > /proc/sys/kernel/core_pattern
[ -z "$(cat /proc/sys/kernel/core_pattern)" ] || fail "this kernel keeps no empty core_pattern"
"$GZCOREDUMP" install --store "$STORE" >/dev/null || fail "install over an empty pattern"
out=$("$GZCOREDUMP" uninstall 2>&1) || fail "uninstall to an empty pattern: $out"
[ -z "$(cat /proc/sys/kernel/core_pattern)" ] || fail "the empty pattern was not restored: $(cat /proc/sys/kernel/core_pattern)"
printf '%s\n' "core.%p.gzctest" > /proc/sys/kernel/core_pattern
echo 0 > /proc/sys/kernel/core_pipe_limit
ok "install state kept outside the store: re-install, changed config, an empty pattern; typos refused at install"

# 2. the original tool's line keeps working
printf '%s\n' "|$GZCOREDUMP -c -p $TMP/legacy -a %e" > /proc/sys/kernel/core_pattern
crash "$SEGV"
for _ in $(seq 1 100); do ls "$TMP"/legacy/Core_*_crash_segv.gz >/dev/null 2>&1 && ! pgrep -f "gzcoredump -c" >/dev/null && break; sleep 0.1; done
f=$(ls "$TMP"/legacy/Core_*_crash_segv.gz) || fail "the -c -p DIR -a %e line stored nothing"
gzip -t "$f" || fail "legacy core corrupt"
ok "legacy -c -p DIR -a %e line: $(basename "$f")"

# 3. settings: max_per_app, rate limit, max_core_size, hooks
cat > "$CONF" <<EOC
# test settings
store = $STORE
max_per_app = 2
rate_limit = 3/hour
max_core_size = 200K
pre_hook = printf '%s' "\$GZC_COMM" > $TMP/hook.pre
post_hook = echo "\$GZC_CORE" > $TMP/hook.post; sleep 3031
hook_timeout = 1s
stack_trace = no
EOC
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install --config"
crash "$SEGV" --comm 'h$(touch x);`y`'
wait_cores 1
[ "$(cat "$TMP/hook.pre")" = 'h$(touch x);`y`' ] || fail "pre hook env: $(cat "$TMP/hook.pre")"
[ -f "$(cat "$TMP/hook.post")" ] || fail "post hook did not get the core's path"
[ ! -e /x ] && [ ! -e "$TMP/x" ] || fail "a hostile comm ran in a hook"
j=$(newest_json)
[ "$(meta "$j" "d['file']['size']")" = 204800 ] || fail "max_core_size not applied"
[ "$(meta "$j" "d['file']['truncated_reason']")" = max_core_size ] || fail "max_core_size reason"
[ "$(meta "$j" "'stack' in d")" = False ] || fail "stack_trace = no, yet a stack trace: $(meta "$j" "d['stack']")"
start=$(date +%s)
crash "$SEGV"; crash "$SEGV"; crash "$SEGV"; crash "$SEGV"
wait_handlers
[ $(( $(date +%s) - start )) -lt 15 ] || fail "hooks held the handler too long"
! pgrep -f 'sleep 3031' >/dev/null || fail "a post hook outlived its hook_timeout (its process group was not killed)"
ok "hooks get data only via the environment, the post hook was killed after 1s; max_core_size 200K"
[ "$(ls "$STORE"/crash_segv-*/core.*.gz | wc -l)" = 2 ] || fail "max_per_app 2: $(ls "$STORE"/crash_segv-*/)"
"$GZCOREDUMP" list -S "$STORE" > "$TMP/list"
[ "$(grep crash_segv "$TMP/list" | grep -vc 'not stored')" = 2 ] || fail "list after max_per_app: $(cat "$TMP/list")"
"$GZCOREDUMP" list > "$TMP/list.installed" 2>&1 || fail "list after install --config: $(cat "$TMP/list.installed")"
cmp -s "$TMP/list" "$TMP/list.installed" || fail "list without -C did not read the installed config's store: $(cat "$TMP/list.installed")"
[ "$(grep -c 'not stored: rate limit of 3 per 3600s' "$TMP/list")" = 2 ] || fail "rate-limited crashes: $(cat "$TMP/list")"
ok "max_per_app 2 keeps the newest two; the two crashes over rate_limit 3/hour are listed as not stored"
make_store "$TMP/rate"
printf 'store = %s\nrate_limit = 1/hour\n' "$TMP/rate" > "$CONF"
crash "$SEGV" --comm rate1; crash "$SEGV" --comm rate2
wait_handlers
[ "$(find "$TMP/rate" -name 'core.*.gz' | wc -l)" = 1 ] || fail "rate_limit 1/hour kept $(find "$TMP/rate" -name 'core.*.gz' | wc -l) cores"
ok "rate_limit 1/hour per executable: the second crash was not kept"
# ...but it is listed, as a crash with no core, newest first
"$GZCOREDUMP" list -S "$TMP/rate" > "$TMP/list" || fail "list of the rate-limited store"
[ "$(grep -c 'not stored: rate limit of 1 per 3600s reached' "$TMP/list")" = 1 ] || fail "the skipped crash is not listed: $(cat "$TMP/list")"
[ "$(sed -n 2p "$TMP/list" | grep -c 'not stored')" = 1 ] || fail "the skipped (newer) crash is not first: $(cat "$TMP/list")"
"$GZCOREDUMP" list -S "$TMP/rate" --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert [r["stored"] for r in rows] == [False, True], rows
assert rows[0]["reason"] == "rate limit of 1 per 3600s reached" and rows[0]["signal_name"] == "SIGSEGV", rows[0]
assert rows[0]["pid"] > 0 and rows[0]["exe"].endswith("crash_segv"), rows[0]' || fail "list --json of a skipped crash"
[ "$("$GZCOREDUMP" list -S "$TMP/rate" -n 1 | wc -l)" = 2 ] || fail "list -n 1 with a skipped crash"
ok "the rate-limited crash is listed as not stored (text and JSON), newest first"
"$GZCOREDUMP" uninstall >/dev/null

# A crash let in, then not stored (the kernel sent nothing): the post hook
# still follows the pre hook (GZC_STORED=0), and the rate limit's slot
# comes back, so the next crash is stored (GZC_STORED=1) and only the one
# after it is refused (no hook). The handler is run as the kernel runs it,
# for a live process of ours.
G=$TMP/given
mkdir -m 700 "$G"
make_store "$G/store"
printf 'store = %s
rate_limit = 1/hour
pre_hook = echo pre >> %s
post_hook = echo "post $GZC_STORED [$GZC_CORE]" >> %s
' \
	"$G/store" "$G/hooks" "$G/hooks" > "$G/conf"
sleep 100 & spid=$!
at_exit "kill $spid 2>/dev/null"
given() { "$GZCOREDUMP" --kernel -C "$G/conf" "$spid" "$spid" 0 0 11 "$(date +%s)" 18446744073709551615 1 host sleep; }
# a handler killed (SIGKILL) mid-stream, after its admission: its pending
# rate-limit line stops counting once it is gone
mkfifo "$G/pipe"
"$GZCOREDUMP" --kernel -C "$G/conf" "$spid" "$spid" 0 0 11 "$(date +%s)" 18446744073709551615 1 host sleep < "$G/pipe" &
hpid=$!
exec 7> "$G/pipe"
head -c 100000 /dev/urandom >&7
for _ in $(seq 1 100); do grep -q " $hpid/" "$G/store/.ratelimit" 2>/dev/null && break; sleep 0.05; done
grep -q " $hpid/" "$G/store/.ratelimit" || fail "no pending rate-limit line of the handler: $(cat "$G/store/.ratelimit" 2>&1)"
kill -9 $hpid
wait $hpid 2>/dev/null
exec 7>&-
[ -z "$(find "$G/store" -name 'core.*.gz')" ] || fail "the killed handler stored a core"
# its pre hook may outlive it (a slow sanitizer build): let it finish first
for _ in $(seq 1 100); do pgrep -f "$G/hooks" >/dev/null || break; sleep 0.05; done
: > "$G/hooks"
given < /dev/null || fail "--kernel with no data: exit $?"
[ "$(cat "$G/hooks")" = "$(printf 'pre\npost 0 []')" ] || fail "hooks around a crash not stored: $(cat "$G/hooks")"
: > "$G/hooks"
head -c 300000 /dev/urandom | given || fail "--kernel after a crash not stored: exit $?"
core=$(find "$G/store" -name 'core.*.gz')
[ -n "$core" ] || fail "the rate limit kept the slot of a crash not stored: $("$GZCOREDUMP" list -S "$G/store")"
[ "$(cat "$G/hooks")" = "$(printf 'pre\npost 1 [%s]' "$core")" ] || fail "hooks around a stored crash: $(cat "$G/hooks")"
: > "$G/hooks"
head -c 300000 /dev/urandom | given || fail "--kernel over the rate limit: exit $?"
[ "$(find "$G/store" -name 'core.*.gz' | wc -l)" = 1 ] && [ ! -s "$G/hooks" ] ||
	fail "over the rate limit: $(find "$G/store" -name 'core.*.gz' | wc -l) cores, hooks: $(cat "$G/hooks")"
"$GZCOREDUMP" list -S "$G/store" > "$TMP/list"
grep -q 'not stored: the kernel sent no data' "$TMP/list" && grep -q 'not stored: rate limit of 1 per 3600s reached' "$TMP/list" ||
	fail "the crashes not stored: $(cat "$TMP/list")"
kill $spid 2>/dev/null
grep -q '/' "$G/store/.ratelimit" && fail "a stored crash's rate-limit line is still pending: $(cat "$G/store/.ratelimit")"
ok "a crash let in but not stored (no data; a handler killed): post hook with GZC_STORED=0, its rate-limit slot given back"

# 4. a full disk: a 6 MiB tmpfs store, a core with 16 MiB of random bytes
need mount
mkdir "$TMP/small"
mount -t tmpfs -o size=6m,mode=0700 gzctest "$TMP/small" || fail "cannot mount a tmpfs"
at_exit "umount -l '$TMP/small'"
STORE=$TMP/small/store
printf 'store = %s\nkeep_free = 1M\nmax_use = 0\n' "$STORE" > "$CONF"
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install on tmpfs"
crash "$SEGV" --mb 64
wait_cores 1
j=$(newest_json)
[ "$(meta "$j" "d['file']['truncated']")" = True ] || fail "core on a full store not truncated"
gzip -t "${j%.json}.gz" || fail "truncated core is not a valid gzip file"
free=$(df -B1 --output=avail "$TMP/small" | tail -1)
# the core stops short of keep_free; its sidecar and index come after it,
# from the 64 KiB the handler held in reserve for them
meta_bytes=$(du -B1 -c "$j" "${j%.json}.gz.gzx" | tail -1 | cut -f1)
[ $((free + meta_bytes)) -ge $((1024 * 1024)) ] ||
	fail "keep_free 1M not respected: $free bytes free, $meta_bytes of sidecar and index"
ok "keep_free: stopped at $(meta "$j" "d['file']['size']") bytes, $free bytes left, reason: $(meta "$j" "d['file']['truncated_reason']")"
printf 'store = %s\nmax_use = 0\nkeep_free = 0\n' "$STORE" > "$CONF"
crash "$SEGV" --mb 64
wait_cores 2
for j in "$STORE"/*/core.*.json; do gzip -t "${j%.json}.gz" || fail "a core on the full disk is corrupt"; done
j=$(newest_json)
[ "$(meta "$j" "d['file']['truncated']")" = True ] || fail "core on a full disk not truncated"
[ -z "$(find "$STORE" -name '.gzc-tmp*')" ] || fail "temporary files left on the full disk"
ok "disk full: stored validly, truncated ($(meta "$j" "d['file']['truncated_reason']"))"
"$GZCOREDUMP" uninstall >/dev/null

# 5. a core that finds no room at all is not stored as an empty file
printf 'store = %s\nmax_use = 0\nkeep_free = 0\n' "$STORE" > "$CONF"
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install on the full tmpfs"
before=$(cores)
# 16 KiB left: no room for any core (64 KiB at least), room for the line
# in the log of crashes not stored that shows a handler did turn it away
avail=$(df -B1 --output=avail "$TMP/small" | tail -1)
head -c $((avail - 16384)) /dev/zero > "$TMP/small/filler" || fail "cannot fill the tmpfs"
crash "$SEGV" --mb 64 --comm noroom
wait_handlers
"$GZCOREDUMP" list -S "$STORE" noroom | grep -q "not stored: the store's file system is full" ||
	fail "the crash with no room is not listed as not stored: $("$GZCOREDUMP" list -S "$STORE" 2>&1)"
[ "$(cores)" = "$before" ] || fail "a core that did not fit at all was stored: $(cores) cores, $before before"
[ -z "$(find "$STORE" -name '.gzc-tmp*')" ] || fail "temporary files left on the full disk"
rm -f "$TMP/small/filler"
ok "no room at all: nothing stored, nothing left behind"
"$GZCOREDUMP" uninstall >/dev/null

# 6. max_use makes room as a new core grows: the oldest cores go, so each
# crash is stored whole while the store stays within max_use
STORE=$TMP/mu
make_store "$STORE"
printf 'store = %s\nmax_use = 3M\nkeep_free = 0\n' "$STORE" > "$CONF"
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install with max_use"
for i in 1 2 3 4 5; do crash "$SEGV" --mb 4 --comm "mu$i"; wait_handlers; done
n=$(cores)
[ "$n" -ge 2 ] && [ "$n" -lt 5 ] || fail "max_use 3M with five ~1.2 MB cores kept $n"
for j in "$STORE"/*/core.*.json; do
	[ "$(meta "$j" "d['file']['truncated']")" = False ] ||
		fail "$(meta "$j" "d['process']['comm']") was cut though older cores could go: $(meta "$j" "d['file']['truncated_reason']")"
done
kept=$(for j in "$STORE"/*/core.*.json; do meta "$j" "d['process']['comm']"; done | sort | tr '\n' ' ')
want=$(for i in $(seq $((6 - n)) 5); do echo "mu$i"; done | tr '\n' ' ')
[ "$kept" = "$want" ] || fail "max_use kept '$kept', not the newest $n ('$want')"
use=$(find "$STORE" -mindepth 2 -type f -printf '%b\n' | awk '{s += $1 * 512} END {print s}')
[ "$use" -le $((3 * 1024 * 1024)) ] || fail "the store uses $use bytes, over max_use 3M"
ok "max_use 3M: the newest $n cores kept whole (oldest removed first), $use bytes in use"
# list's filters, on these cores
rows() { "$GZCOREDUMP" list -S "$STORE" "$@" | tail -n +2 | wc -l; }
[ "$(rows)" = "$n" ] || fail "list shows $(rows) of $n cores"
[ "$(rows mu5)" = 1 ] && [ "$(rows mu5 mu4)" = 2 ] || fail "list by comm: $(rows mu5) / $(rows mu5 mu4)"
[ "$(rows -n 1)" = 1 ] && "$GZCOREDUMP" list -S "$STORE" -n 1 | grep -q mu5 || fail "list -n 1 is not the newest"
[ "$(rows --since 1h)" = "$n" ] && [ "$(rows --since 2099-01-01)" = 0 ] || fail "list --since"
pid5=$(for j in "$STORE"/*/core.*.json; do [ "$(meta "$j" "d['process']['comm']")" = mu5 ] && meta "$j" "d['process']['pid']"; done)
[ "$(rows "$pid5")" = 1 ] && [ "$(rows "$SEGV")" = "$n" ] && [ "$(rows 999999999)" = 0 ] || fail "list by pid or exe"
"$GZCOREDUMP" list -S "$STORE" --since yesterdayish >/dev/null 2>&1 && fail "list took a bad --since"
"$GZCOREDUMP" list -S "$STORE" --since 2026 >/dev/null 2>&1 && fail "list took a bare number (no unit) for --since"
"$GZCOREDUMP" list -S "$STORE" -n 1k >/dev/null 2>&1 && fail "list took -n 1k"
ok "list filters: comm, pid, exe, -n, --since"
# the same crash n times (another comm each time): one signature, which
# info counts and list matches on, in full or by its first digits
j5=$(for j in "$STORE"/*/core.*.json; do [ "$(meta "$j" "d['process']['comm']")" = mu5 ] && echo "$j"; done)
sig=$(meta "$j5" "d['crash']['signature']")
grep -Eqx '[0-9a-f]{16}' <<<"$sig" || fail "no crash signature: '$sig'"
for j in "$STORE"/*/core.*.json; do
	[ "$(meta "$j" "d['crash']['signature']")" = "$sig" ] || fail "$(meta "$j" "d['process']['comm']"): another signature"
done
[ "$(rows "signature=$sig")" = "$n" ] && [ "$(rows "signature=${sig:0:8}")" = "$n" ] &&
	[ "$(rows signature=000000000000)" = 0 ] || fail "list signature=$sig: $(rows "signature=$sig") of $n"
"$GZCOREDUMP" info -S "$STORE" mu5 | grep -qx "Signature:   $sig ($n cores in the store have it: gzcoredump list signature=$sig)" ||
	fail "info's signature line: $("$GZCOREDUMP" info -S "$STORE" mu5 | grep -i signature)"
"$GZCOREDUMP" list -S "$STORE" signature=12g4567 >/dev/null 2>&1; [ $? = 2 ] || fail "list took signature=12g4567"
"$GZCOREDUMP" list -S "$STORE" signature=12345 >/dev/null 2>&1; [ $? = 2 ] || fail "list took a 5-digit signature"
ok "one crash $n times: one signature ($sig), counted by info, matched by list"
"$GZCOREDUMP" uninstall >/dev/null

# 6b. max_per_signature: once a core's stack trace gives its signature,
# only the newest N of that signature stay; another crash is kept
STORE=$TMP/sig
make_store "$STORE"
printf 'store = %s\nmax_per_signature = 2\nmax_use = 0\nkeep_free = 0\n' "$STORE" > "$CONF"
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install with max_per_signature"
crash "$CRASH/crash_abort"; wait_handlers
for i in 1 2 3 4; do crash "$SEGV" --comm "sig$i"; wait_handlers; done
kept=$(for j in "$STORE"/*/core.*.json; do meta "$j" "d['process']['comm']"; done | sort | tr '\n' ' ')
[ "$kept" = "crash_abort sig3 sig4 " ] || fail "max_per_signature 2 kept '$kept', not crash_abort sig3 sig4"
"$GZCOREDUMP" vacuum -S "$STORE" -C "$CONF" --dry-run | grep -q '^would remove 0 cores' ||
	fail "vacuum --dry-run after max_per_signature: $("$GZCOREDUMP" vacuum -S "$STORE" -C "$CONF" --dry-run)"
printf 'store = %s\nmax_per_signature = 1\nmax_use = 0\nkeep_free = 0\n' "$STORE" > "$CONF"
"$GZCOREDUMP" vacuum -S "$STORE" -C "$CONF" >/dev/null || fail "vacuum with max_per_signature 1"
kept=$(for j in "$STORE"/*/core.*.json; do meta "$j" "d['process']['comm']"; done | sort | tr '\n' ' ')
[ "$kept" = "crash_abort sig4 " ] || fail "vacuum with max_per_signature 1 kept '$kept'"
ok "max_per_signature 2: the newest two of one crash kept, another crash kept; vacuum at 1 keeps one"
"$GZCOREDUMP" uninstall >/dev/null

# 7. keep_free makes room the same way, before the space is used: on a
# 10 MiB file system with keep_free 4M, crash after crash is stored whole
mkdir "$TMP/kf"
mount -t tmpfs -o size=10m,mode=0700 gzctest "$TMP/kf" || fail "cannot mount a tmpfs"
at_exit "umount -l '$TMP/kf'"
STORE=$TMP/kf/store
printf 'store = %s\nkeep_free = 4M\nmax_use = 0\n' "$STORE" > "$CONF"
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install with keep_free"
for i in 1 2 3 4 5 6 7; do crash "$SEGV" --mb 4 --comm "kf$i"; wait_handlers; done
n=$(cores)
[ "$n" -ge 2 ] && [ "$n" -lt 7 ] || fail "keep_free 4M on 10 MiB with seven ~1.2 MB cores kept $n"
for j in "$STORE"/*/core.*.json; do
	[ "$(meta "$j" "d['file']['truncated']")" = False ] ||
		fail "$(meta "$j" "d['process']['comm']") was cut though older cores could go: $(meta "$j" "d['file']['truncated_reason']")"
done
kept=$(for j in "$STORE"/*/core.*.json; do meta "$j" "d['process']['comm']"; done | sort | tr '\n' ' ')
want=$(for i in $(seq $((8 - n)) 7); do echo "kf$i"; done | tr '\n' ' ')
[ "$kept" = "$want" ] || fail "keep_free kept '$kept', not the newest $n ('$want')"
free=$(df -B1 --output=avail "$TMP/kf" | tail -1)
[ "$free" -ge $((4 * 1024 * 1024)) ] || fail "keep_free 4M not kept: $free bytes free"
ok "keep_free 4M: the newest $n cores kept whole, $free bytes free"
"$GZCOREDUMP" uninstall >/dev/null

# 7b. no limit configured: systemd-coredump's defaults, max_use 10% and
# keep_free 15% of the store's file system (at most 4G each); on 20 MiB,
# 2 MiB and 3 MiB
mkdir "$TMP/df"
mount -t tmpfs -o size=20m,mode=0700 gzctest "$TMP/df" || fail "cannot mount a tmpfs"
at_exit "umount -l '$TMP/df'"
STORE=$TMP/df/store
printf 'store = %s\n' "$STORE" > "$CONF"
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install with the default limits"
for i in 1 2 3 4; do crash "$SEGV" --mb 4 --comm "df$i"; wait_handlers; done
use=$(find "$STORE" -mindepth 2 -type f -printf '%b\n' | awk '{s += $1 * 512} END {print s}')
[ "$use" -le $((2 * 1024 * 1024)) ] || fail "the store uses $use bytes, over the default max_use (10% of 20 MiB)"
[ "$(cores)" -ge 1 ] || fail "the default limits kept no core"
"$GZCOREDUMP" list -S "$STORE" -n 1 | grep -q df4 || fail "the newest core was not kept: $("$GZCOREDUMP" list -S "$STORE")"
ok "default limits (10% / 15% of the file system): $(cores) newest cores kept, $use bytes in use"
"$GZCOREDUMP" uninstall >/dev/null

# 8. a typo in the config costs that line only: the core still goes to the
# configured store, with the other settings; list warns and works
STORE=$TMP/typo
make_store "$STORE"
printf 'store = %s\nmax_per_app = 1\n' "$STORE" > "$CONF"
"$GZCOREDUMP" install --config "$CONF" >/dev/null || fail "install for the typo test"
printf 'store = %s\nmax-use = 1G\nmax_per_app = 1\n' "$STORE" > "$CONF"
crash "$SEGV" --comm typo1; wait_handlers
crash "$SEGV" --comm typo1; wait_handlers
[ "$(cores)" = 1 ] || fail "with a typo in the config: $(cores) cores in the configured store (max_per_app 1)"
out=$("$GZCOREDUMP" list -C "$CONF" 2>&1) || fail "list with a typo in the config: $out"
grep -q "max-use: unknown setting; that line is ignored" <<<"$out" || fail "list did not warn: $out"
grep -q typo1 <<<"$out" || fail "list did not use the configured store: $out"
ok "a typo in the config: that line ignored, the store and other settings kept"
"$GZCOREDUMP" uninstall >/dev/null

#!/usr/bin/env bash
# gzcoredump list/info/extract on a store built here (no kernel pipe, no
# core_pattern): a foreign core (the original tool's `-c` command line, no
# sidecar; a plain gzip file without an index) is found by its pid as list
# shows it; names and sidecar strings from the store reach the terminal
# escaped; list --json gives null, not 0 or false, for what is not known;
# --since refuses dates that do not exist.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/fs_lib.sh"

raw=$TMP/raw.core
make_sample_core "$raw" 4
pid=$SAMPLE_PID
usize=$(stat -c %s "$raw")
esc=$'\e'

# a legacy `gzcoredump -c` file (an index beside it, no sidecar): its pid
# comes from its notes, in list and in info/extract by that pid
st=$TMP/legacy
mkdir -m 700 "$st"
"$GZCOREDUMP" -c -q -p "$st" -a app <"$raw" || fail "gzcoredump -c"
lst=$("$GZCOREDUMP" list -S "$st") || fail "list"
grep -q "^[-0-9: ]* *$pid .*(foreign: no sidecar)$" <<<"$lst" || fail "list does not show pid $pid: $lst"
out=$("$GZCOREDUMP" info -S "$st" "$pid" 2>&1) || fail "info $pid of a foreign core: $out"
grep -q "^PID: *$pid$" <<<"$out" && grep -q "^Size: *$usize bytes" <<<"$out" || fail "info $pid: $out"
"$GZCOREDUMP" extract -S "$st" "$pid" -o "$TMP/x1" || fail "extract $pid of a foreign core"
cmp -s "$raw" "$TMP/x1" || fail "extract $pid differs from the raw core"
"$GZCOREDUMP" info -S "$st" 999999999 >/dev/null 2>&1 && fail "info of a pid nobody has succeeded"
# info --json: what the notes do not say is null, not the 0 and -1 of a struct nobody filled
"$GZCOREDUMP" info -S "$st" "$pid" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = d["process"]
assert p["pid"] == int(sys.argv[1]) and p["tid"] is None and p["uid"] == 0 and p["dump_mode"] is None, p
assert p["rlimit_core"] is None and d["access"] is None, d
assert d["file"]["span"] is None and d["file"]["truncated"] is None and d["file"]["size"] == int(sys.argv[2]), d["file"]' \
	"$pid" "$usize" || fail "info --json of a foreign core shows placeholders as data"
# a foreign core whose comm is not UTF-8 (its NT_PRPSINFO patched): its
# bytes in info --json, on one line, as the sidecar writes them
stb=$TMP/bytes
mkdir -m 700 "$stb"
python3 - "$raw" "$TMP/latin1.core" <<'PY' || fail "cannot patch the core"
import sys
b = open(sys.argv[1], "rb").read()
assert b"fs_sample\0" in b
open(sys.argv[2], "wb").write(b.replace(b"fs_sample\0", b"fs_sampl\xff\0"))
PY
gzip -1 -c "$TMP/latin1.core" >"$stb/latin1.gz"
out=$("$GZCOREDUMP" info -S "$stb" "$pid" --json) || fail "info --json of the patched core: $out"
grep -q '"comm":\[102,115,95,115,97,109,112,108,255\]' <<<"$out" || fail "the comm's bytes: $(grep -A3 comm <<<"$out")"
ok "a legacy -c core is found by the pid list shows; info --json gives null for what its notes do not say"

# a gzip'd core without an index: list cannot tell its pid (null in --json,
# as every other unknown), info and extract by the pid index it to find it
st2=$TMP/plain
mkdir -m 700 "$st2"
gzip -1 <"$raw" >"$st2/dropped.core.gz"
lj=$("$GZCOREDUMP" list -S "$st2" --json) || fail "list --json"
python3 - "$lj" <<'PY' || fail "list --json of an unindexed foreign file: $lj"
import json, sys
(e,) = json.loads(sys.argv[1])
assert e["foreign"] is True and e["metadata_ok"] is False, e
for k in ("pid", "uid", "signal", "size", "truncated", "metadata"):
    assert e[k] is None, (k, e[k])
assert isinstance(e["compressed_size"], int) and e["compressed_size"] > 0, e
PY
out=$("$GZCOREDUMP" info -S "$st2" "$pid" 2>&1) || fail "info $pid of an unindexed foreign core: $out"
grep -q "^PID: *$pid$" <<<"$out" || fail "info $pid: $out"
"$GZCOREDUMP" extract -S "$st2" "$pid" -o "$TMP/x2" && cmp -s "$raw" "$TMP/x2" || fail "extract $pid of an unindexed core"
ok "an unindexed gzip'd core is found by its pid"

# list --json: a sidecar that does not parse leaves size, stored size and
# truncated unknown (null, as the text view's '?'); a good one keeps them
st3=$TMP/json
mkdir -m 700 "$st3" "$st3/app-1"
ts=$(date +%s%6N)
"$MKSTORE" "$st3/app-1" "core.111.$ts" app-1 111 "$ts" 0 0 <"$raw" >/dev/null || fail "fs_mkstore"
"$MKSTORE" "$st3/app-1" "core.222.$ts" app-1 222 "$ts" 0 0 <"$raw" >/dev/null || fail "fs_mkstore"
echo '{ not json' >"$st3/app-1/core.222.$ts.json"
lj=$("$GZCOREDUMP" list -S "$st3" --json) || fail "list --json"
python3 - "$lj" "$usize" <<'PY' || fail "list --json: $lj"
import json, sys
rows = {e["pid"]: e for e in json.loads(sys.argv[1])}
good, bad = rows[111], rows[222]
assert good["metadata_ok"] is True and good["size"] == int(sys.argv[2]), good
assert good["compressed_size"] > 0 and good["truncated"] is False, good
assert bad["metadata_ok"] is False, bad
for k in ("size", "compressed_size", "truncated", "uid", "signal"):
    assert bad[k] is None, (k, bad[k])
PY
grep -q ' 222 .* ? *? *? *app-1/core.222' <<<"$("$GZCOREDUMP" list -S "$st3")" || fail "text view of the bad sidecar"
ok "list --json: unknown values are null, known ones kept"

# store text is escaped: the pid note naming another group's file, the
# truncation reason of a sidecar, a foreign file's name in extract's errors
st4=$TMP/hostile
mkdir -m 700 "$st4"
g=$'app\e[2J-1'
mkdir -m 700 "$st4/$g" "$st4/plain-1"
"$MKSTORE" "$st4/plain-1" "core.333.1000000" plain-1 333 1000000 0 0 <"$raw" >/dev/null || fail "fs_mkstore"
"$MKSTORE" "$st4/$g" "core.333.$ts" "$g" 333 "$ts" 0 0 <"$raw" >/dev/null || fail "fs_mkstore"
python3 - "$st4/$g/core.333.$ts.json" <<'PY' || fail "cannot edit the sidecar"
import json, sys
d = json.load(open(sys.argv[1]))
d["file"]["truncated"] = True
d["file"]["truncated_reason"] = "cut \x1b]0;owned\x07 \u009b2J short"
json.dump(d, open(sys.argv[1], "w"))
PY
err=$("$GZCOREDUMP" info -S "$st4" 333 2>&1 >/dev/null)
grep -q 'pid 333 has 2 cores' <<<"$err" || fail "no note of the second core: $err"
[[ $err != *"$esc"* && $err == *'app\x1b[2J-1/core.333.'* ]] || fail "the note is not escaped: $(cat -v <<<"$err")"
err=$("$GZCOREDUMP" extract -S "$st4" 333 -o "$TMP/x3" 2>&1) || fail "extract: $err"
grep -q 'truncated when stored' <<<"$err" || fail "no truncation note: $err"
[[ $err != *"$esc"* && $err != *$'\a'* && $err != *$'\xc2\x9b'* && $err == *'cut \x1b]0;owned\x07 \xc2\x9b2J short'* ]] ||
	fail "the truncation reason is not escaped: $(cat -v <<<"$err")"
bad=$'bad\e[2J.gz'
head -c 3000 "$st/"Core_*.gz >"$st4/$bad"
err=$("$GZCOREDUMP" extract -S "$st4" "$bad" -o "$TMP/x4" 2>&1) && fail "extract of a cut file succeeded"
[[ $err == *'bad\x1b[2J.gz'* && $err != *"$esc"* ]] || fail "extract's error names the file raw: $(cat -v <<<"$err")"
ok "names and sidecar strings are escaped in notes and errors"

# --since: a date that does not exist is refused, not moved into March
for d in 2026-02-30 2026-02-29 2025-04-31 "2026-02-30 10:00"; do
	"$GZCOREDUMP" list -S "$st3" --since "$d" >/dev/null 2>&1; rc=$?
	[ $rc = 2 ] || fail "--since '$d': exit status $rc, not 2"
done
for d in 2024-02-29 2026-02-28 "2099-12-31 23:59:59"; do
	"$GZCOREDUMP" list -S "$st3" --since "$d" >/dev/null 2>&1; rc=$?
	# (nothing that recent: exit 1, as for any list that finds nothing)
	[ $rc = 0 ] || [ $rc = 1 ] || fail "--since '$d' refused: exit status $rc"
done
err=$("$GZCOREDUMP" list -S "$st3" --since "2099-12-31 23:59:59" 2>&1); rc=$?
[ $rc = 1 ] && [ "$err" = "gzcoredump: no crashes match" ] || fail "a list that finds nothing: exit $rc: $err"
ok "--since refuses impossible dates; a list that finds nothing says so and exits 1"

# --json is strict UTF-8 JSON safe for a terminal, whatever the store holds:
# a comm that is not UTF-8 (the handler stores such bytes as they came), a
# C1 control (U+009B is CSI) and a timestamp over 2^63 (not negative)
st5=$TMP/utf8
mkdir -m 700 "$st5" "$st5/app-1"
"$MKSTORE" "$st5/app-1" "core.444.$ts" app-1 444 "$ts" 0 0 <"$raw" >/dev/null || fail "fs_mkstore"
python3 - "$st5/app-1/core.444.$ts.json" <<'PY' || fail "cannot edit the sidecar"
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["process"]["comm"] = "a\udcff"
d["process"]["cmdline"] = "app \u009b2J \u202e"
d["process"]["timestamp_us"] = 2**64 - 1
open(p, "wb").write(json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogateescape"))
PY
for cmd in "list -S $st5 --json" "info -S $st5 444 --json"; do
	$GZCOREDUMP $cmd >"$TMP/out.json" || fail "$cmd"
	python3 - "$TMP/out.json" <<'PY' || fail "$cmd: not strict UTF-8 JSON safe for a terminal: $(cat -v "$TMP/out.json")"
import json, sys
b = open(sys.argv[1], "rb").read()
t = b.decode("utf-8")  # strict: raises on bytes that are not UTF-8
assert not any(0x7f <= ord(c) <= 0x9f or c in "\u202e" for c in t), "raw control"
d = json.loads(t)
e = d[0] if isinstance(d, list) else d["process"]
assert e["timestamp_us"] == 2**64 - 1, e["timestamp_us"]
assert e["comm"] == [97, 255], e["comm"]  # not UTF-8: its bytes, as systemd's journal gives them
s = json.dumps(d, ensure_ascii=False)
assert "2J" not in s or "\u009b2J" in s, s
PY
done
ok "--json output is strict UTF-8 (a comm that is not UTF-8 is its byte values), controls escaped, 64-bit values unsigned"

# matches: KEY=VALUE forms (coredumpctl's COREDUMP_ spellings too), a name
# longer than the kernel's 15-byte comm, relative and symlinked paths; info
# and extract take a match or nothing (the newest); a crash whose core was
# not stored is told as such
st7=$TMP/match
mkdir -m 700 "$st7" "$st7/g" "$TMP/bin"
ts7=1795757240000000
: >"$TMP/bin/tool"
ln -s bin "$TMP/link"
for p in 501 502 503; do
	"$MKSTORE" "$st7/g" "core.$p.$((ts7 + p))" g $p $((ts7 + p)) 0 0 <"$raw" >/dev/null || fail "fs_mkstore $p"
done
python3 - "$st7/g" "$ts7" "$(realpath "$TMP/bin/tool")" <<'PY' || fail "cannot edit the sidecars"
import json, sys
d, ts, tool = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for pid, comm, exe, uid, sig, name in [(501, "averyveryverylo", "/opt/x/averyveryverylongname", 1000, 11, "SIGSEGV"),
                                       (502, "sleep", "/usr/bin/sleep", 0, 6, "SIGABRT"),
                                       (503, "tool", tool, 0, 11, "SIGSEGV")]:
    p = "%s/core.%d.%d.json" % (d, pid, ts + pid)
    j = json.load(open(p))
    j["process"].update(comm=comm, exe=exe, uid=uid, signal=sig, signal_name=name)
    open(p, "w").write(json.dumps(j))
PY
pids() { "$GZCOREDUMP" list -S "$st7" "$@" 2>/dev/null | awk 'NR > 1 { print $3 }' | sort | tr '\n' ' '; }
for m in "averyveryverylongname:501" "exe=/usr/bin/sleep:502" "COREDUMP_EXE=/usr/bin/sleep:502" "signal=SIGABRT:502" \
	"signal=6:502" "SIGNAL=abrt:502" "uid=1000:501" "_PID=503:503" "comm=sleep:502" "$TMP/link/tool:503" \
	"uid=1000 comm=tool:501 503"; do
	# shellcheck disable=SC2086
	[ "$(pids ${m%%:*})" = "${m#*:} " ] || fail "list ${m%%:*}: '$(pids ${m%%:*})', not '${m#*:} '"
done
[ "$(cd "$TMP" && pids ./bin/tool)" = "503 " ] || fail "list ./bin/tool (a relative path)"
# coredumpctl's list options: -r, -1, --no-legend, --until, and its forms of time
out=$("$GZCOREDUMP" list -S "$st7" -r --no-legend | awk '{ print $3 }' | tr '\n' ' ')
[ "$out" = "501 502 503 " ] || fail "list -r --no-legend: '$out'"
[ "$("$GZCOREDUMP" list -S "$st7" -1 --no-legend | awk '{ print $3 }')" = 503 ] || fail "list -1"
[ "$(TZ=UTC "$GZCOREDUMP" list -S "$st7" --no-legend --until '2026-11-27T05:27:21' | wc -l)" = 3 ] || fail "list --until (all)"
TZ=UTC "$GZCOREDUMP" list -S "$st7" --until 2026-11-27 >/dev/null 2>&1; rc=$?
[ $rc = 1 ] || fail "list --until before every crash: exit $rc, not 1"
for w in now today yesterday -2h "2h ago" 1h30m 2026-11-27T05:27 "2026-11-27 05:27:20"; do
	"$GZCOREDUMP" list -S "$st7" --since "$w" >/dev/null 2>&1; rc=$?
	[ $rc = 0 ] || [ $rc = 1 ] || fail "--since '$w' refused (exit $rc)"
done
for w in 2026 1h30 - tomorrow "2h hence" 2026-11-27T; do
	"$GZCOREDUMP" list -S "$st7" --until "$w" >/dev/null 2>&1; rc=$?
	[ $rc = 2 ] || fail "--until '$w': exit $rc, not 2"
done
"$GZCOREDUMP" list -S "$st7" bogus=1 >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "list bogus=1: exit $rc, not 2"
"$GZCOREDUMP" list -S "$st7" nosuch >/dev/null 2>&1; rc=$?
[ $rc = 1 ] || fail "list of a match nothing has: exit $rc, not 1"
"$GZCOREDUMP" info -S "$st7" averyveryverylongname | grep -q '^PID/TID: *501/' || fail "info by the executable's name"
"$GZCOREDUMP" info -S "$st7" | grep -q '^PID/TID: *503/' || fail "info with no ID is not the newest core"
"$GZCOREDUMP" extract -S "$st7" exe=/usr/bin/sleep | cmp -s "$raw" - || fail "extract by a match"
# times name their zone: info's text, and ISO 8601 with the offset in JSON
TZ=IST-5:30 "$GZCOREDUMP" info -S "$st7" 502 | grep -q '^Time: *2026-11-27 10:57:20 IST (' || fail "info's time has no zone"
TZ=IST-5:30 "$GZCOREDUMP" list -S "$st7" 502 --json | grep -q '"time":"2026-11-27T10:57:20+05:30"' ||
	fail "list --json's time is not ISO 8601 with its offset: $(TZ=IST-5:30 "$GZCOREDUMP" list -S "$st7" 502 --json | grep time)"
err=$("$GZCOREDUMP" info -S "$st7" signal=SIGSEGV 2>&1 >/dev/null)
[[ $err == *"2 cores match 'signal=SIGSEGV'; this is the newest"*"core.503."* ]] || fail "no note of the other match: $err"
printf '{"timestamp_us":%s,"pid":504,"comm":"gone","signal":11,"signal_name":"SIGSEGV","reason":"rate limit of 1 per 3600s reached"}\n' \
	$((ts7 + 504)) >"$st7/.skipped"
err=$("$GZCOREDUMP" info -S "$st7" 504 2>&1); rc=$?
[ $rc = 1 ] && [[ $err == *"pid 504 (gone) crashed at "*" with SIGSEGV, but its core was not stored: rate limit of 1 per 3600s reached" ]] ||
	fail "info of a crash not stored: exit $rc: $err"
err=$("$GZCOREDUMP" info -S "$st7" 2>&1 >/dev/null) || fail "info with no ID after a crash not stored"
[[ $err == *"the newest crash, pid 504 (gone)"*"not stored"* ]] || fail "no note that the newest crash has no core: $err"
ok "list matches (KEY=VALUE, long names, relative and linked paths), info/extract by match or newest, a crash not stored told"
# vacuum names what it removes and says what the store uses against its limits
printf 'max_per_app = 1\nmax_use = 0\nkeep_free = 0\n' >"$TMP/v7.conf"
chmod 600 "$TMP/v7.conf"
# --dry-run first: the same names and numbers, nothing removed
before=$(find "$st7" | sort)
out=$("$GZCOREDUMP" vacuum --dry-run -S "$st7" -C "$TMP/v7.conf") || fail "vacuum --dry-run: $out"
[ "$(grep -c '^would remove g/core\.50[12]\..*\.gz (crashed 20' <<<"$out")" = 2 ] && ! grep -q 'core\.503' <<<"$out" &&
	grep -q '^would remove 2 cores; the store.s cores would then use .* (max_use none), .* free (keep_free none)$' <<<"$out" ||
	fail "vacuum --dry-run's report: $out"
[ "$(find "$st7" | sort)" = "$before" ] || fail "vacuum --dry-run changed the store"
dry=$(sed -n 's/^would remove \([0-9]*\) cores; the store.s cores would then use \([^ ]*\) .*/\1 \2/p' <<<"$out")
"$GZCOREDUMP" info --dry-run -S "$st7" >/dev/null 2>&1 && fail "info took --dry-run"
out=$("$GZCOREDUMP" vacuum -S "$st7" -C "$TMP/v7.conf") || fail "vacuum: $out"
[ "$(sed -n 's/^removed \([0-9]*\) cores; the store.s cores use \([^ ]*\) .*/\1 \2/p' <<<"$out")" = "$dry" ] ||
	fail "vacuum did not do what --dry-run said ($dry): $out"
[ "$(grep -c '^removed g/core\.50[12]\..*\.gz (crashed 20' <<<"$out")" = 2 ] && ! grep -q 'core\.503' <<<"$out" &&
	grep -q '^removed 2 cores; the store.s cores use .* (max_use none), .* free (keep_free none)$' <<<"$out" ||
	fail "vacuum's report: $out"
printf 'max_use = 0\nkeep_free = 0\n' >"$TMP/v7.conf"
"$GZCOREDUMP" vacuum -S "$st7" -C "$TMP/v7.conf" | grep -q '^removed 0 cores; .*; no retention limit is set$' ||
	fail "vacuum with no limit does not say so"
ok "vacuum names the cores it removes, the space in use and the limits"

# a foreign file at the store's root named by digits is found by that name;
# a sidecar name that is no regular file makes its core foreign, listed once
# and never removed by vacuum
st6=$TMP/odd
mkdir -m 700 "$st6" "$st6/app-1"
cp "$st/"Core_*.gz "$st6/1234"
"$GZCOREDUMP" info -S "$st6" 1234 >/dev/null 2>&1 || fail "info 1234 (a root file of that name)"
"$GZCOREDUMP" extract -S "$st6" 1234 -o "$TMP/x5" && cmp -s "$raw" "$TMP/x5" || fail "extract 1234"
# no -o: standard output, as coredumpctl dump; never a terminal (nor -d's)
"$GZCOREDUMP" extract -S "$st6" 1234 | cmp -s "$raw" - || fail "extract with no -o: not the core on standard output"
if command -v script >/dev/null; then
	for a in "extract -S $st6 1234" "extract -S $st6 1234 -o /dev/tty" "-d -f $st6/1234 -o -"; do
		out=$(script -qec "$GZCOREDUMP $a" /dev/null 2>&1) && fail "'$a' wrote a core to a terminal"
		[[ $out == *"terminal"* && ${#out} -lt 300 ]] || fail "'$a' to a terminal: $(cat -v <<<"$out" | head -c 300)"
	done
fi
cp "$st/"Core_*.gz "$st6/app-1/core.4.5.gz"
mkdir "$st6/app-1/core.4.5.json"
cp "$st/"Core_*.gz "$st6/app-1/core.6.7.gz"
mkfifo "$st6/app-1/core.6.7.json"
lst=$("$GZCOREDUMP" list -S "$st6") || fail "list"
[ "$(grep -c 'core\.4\.5\.gz' <<<"$lst")" = 1 ] && [ "$(grep -c 'core\.6\.7\.gz' <<<"$lst")" = 1 ] ||
	fail "a core with a non-file sidecar is not listed exactly once: $lst"
printf 'max_age = 1d\n' >"$TMP/v.conf"
chmod 600 "$TMP/v.conf"
"$GZCOREDUMP" vacuum -S "$st6" -C "$TMP/v.conf" >/dev/null || fail "vacuum"
[ -f "$st6/app-1/core.4.5.gz" ] && [ -f "$st6/app-1/core.6.7.gz" ] || fail "vacuum removed a foreign core"
ok "a root file named by digits is found by name; a non-file sidecar makes its core foreign"

# usage: an option of another command, a bad option, and the store path
# and config text in errors (escaped)
for a in "info 1234 -o $TMP/x6" "vacuum --json" "extract 1234 --json -o $TMP/x7" "list --output $TMP/x8"; do
	$GZCOREDUMP $a -S "$st6" >/dev/null 2>&1; rc=$?
	[ $rc = 2 ] || fail "'$a': exit status $rc, not 2"
done
[ ! -e "$TMP/x6" ] || fail "info -o wrote a file"
err=$("$GZCOREDUMP" -c -0 2>&1 </dev/null); rc=$?
[ $rc = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || fail "-c -0: exit $rc, $(wc -l <<<"$err") lines: $err"
# a command's bad option: one line of ours naming the command, not getopt's
for a in "list --bogus=1h" "info 1 -n" "vacuum -x" "install --bogus" "debug 1 -batch"; do
	err=$($GZCOREDUMP $a 2>&1 </dev/null); rc=$?
	[ $rc = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] && [[ $err == "gzcoredump: ${a%% *}: "* ]] ||
		fail "'$a': exit $rc: $err"
done
[[ $err == *"go after --"* ]] || fail "debug's bad option gives no hint about --: $err"
err=$("$GZCOREDUMP" list -S "$TMP/no${esc}]0;x"$'\a' 2>&1) && fail "list of a missing store succeeded"
[[ $err != *"$esc"* && $err != *$'\a'* ]] || fail "the store path reached stderr raw: $(cat -v <<<"$err")"
printf 'store = %s\nbad\rkey = 1\n' "$st6" >"$TMP/bad.conf"
chmod 600 "$TMP/bad.conf"
err=$("$GZCOREDUMP" list -C "$TMP/bad.conf" 2>&1 >/dev/null)
[[ $err == *'bad\x0dkey'* && $err != *$'\r'* ]] || fail "a config key reached stderr raw: $(cat -v <<<"$err")"
ok "misplaced options are usage errors; store paths and config text are escaped"

# another user than root is told where their cores can be read
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 711 "$TMP"
	err=$(su -s /bin/sh nobody -c "'$GZCOREDUMP' list -S '$st6'" 2>&1) && fail "nobody listed root's store"
	[[ $err == *"Permission denied (the store is root's"*"gzcorefs"* ]] || fail "no hint for another user: $err"
	ok "another user is pointed to a gzcorefs mount"
fi

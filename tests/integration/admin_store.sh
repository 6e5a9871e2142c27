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
ok "a legacy -c core is found by the pid list shows"

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
for d in 2024-02-29 2026-02-28 "2026-12-31 23:59:59"; do
	"$GZCOREDUMP" list -S "$st3" --since "$d" >/dev/null || fail "--since '$d' refused"
done
ok "--since refuses impossible dates"

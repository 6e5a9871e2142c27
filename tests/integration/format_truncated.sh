#!/usr/bin/env bash
# A pipe that closes before the core's end still gives a valid, finished
# gzip file, and the index flags it truncated: the ELF core's own headers
# say how long it must be. A whole core and a non-core input are not flagged.
. "$(dirname "$0")/lib.sh"
need_gcore
cd "$TMP"
sleep 30 & victim=$!
at_exit "kill $victim 2>/dev/null"
gcore -o core "$victim" >gcore.log 2>&1 || fail "gcore failed: $(cat gcore.log)"
core=core.$victim
size=$(stat -c %s "$core")

"$GZCOREDUMP" -c -q -p st -a whole < "$core" 2>err.whole || fail "whole core not stored"
! grep -q truncated err.whole || fail "a whole core was flagged: $(cat err.whole)"
"$GZCOREDUMP" -d -f st/*_whole.gz -o out.whole 2>note.whole || fail "whole core does not decompress"
cmp out.whole "$core" || fail "whole core differs"
! grep -q truncated note.whole || fail "whole core reads as truncated"
ok "a whole core is stored and not flagged"

head -c $((size / 2)) "$core" | "$GZCOREDUMP" -c -q -p st -a cut 2>err.cut || fail "cut core not stored"
grep -q "ended early" err.cut || fail "a core cut short was not reported: $(cat err.cut)"
gzip -t st/*_cut.gz || fail "the cut core is not a valid gzip file"
"$GZCOREDUMP" -d -f st/*_cut.gz -o out.cut 2>note.cut || fail "cut core does not decompress"
cmp out.cut <(head -c $((size / 2)) "$core") || fail "cut core holds other bytes than arrived"
grep -q truncated note.cut || fail "the index does not flag the cut core truncated"
ok "a core cut short is a valid gzip flagged truncated"

head -c 100000 /dev/urandom | "$GZCOREDUMP" -c -q -p st -a data 2>err.data || fail "data not stored"
! grep -q truncated err.data || fail "non-core data was flagged"
"$GZCOREDUMP" -d -f st/*_data.gz -o out.data 2>note.data || fail "data does not decompress"
! grep -q truncated note.data || fail "non-core data reads as truncated: $(cat note.data)"
ok "input that is not a core is never flagged"

#!/usr/bin/env bash
# Runs the Criterion unit binaries given as arguments, then every integration
# script in tests/integration/ (one at a time: some mount FUSE, some write
# /proc/sys/kernel/core_pattern). Exit 77 from a script means "skipped: this
# machine lacks the facility". SKIP_TESTS="name ..." leaves integration
# scripts out (CI runs fuzz_corpus once: its targets are one build whatever
# the variant). Prints one closing line: N passed, N failed, N skipped.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export GZC_TOP=$PWD
pass=0; fail=0; skip=0; failed=()
log_dir=$BUILD/test-logs; mkdir -p "$log_dir"

if [ "${ONLY:-}" != integration ]; then
  for t in "$@"; do
    name=$(basename "$t")
    if "$t" --jobs 2 --verbose >"$log_dir/$name.log" 2>&1; then
      pass=$((pass+1)); echo "PASS unit $name ($(grep -o 'Tested: [0-9]*' "$log_dir/$name.log" | tail -1))"
      # a skipped test (cr_skip_test: the machine lacks a facility) is said
      # and counted, never hidden in a passing binary
      while IFS= read -r line; do
        skip=$((skip+1)); echo "SKIP unit $name: ${line#*\[SKIP\] }"
      done < <(grep -a '\[SKIP\]' "$log_dir/$name.log")
    else
      fail=$((fail+1)); failed+=("$name"); echo "FAIL unit $name"; tail -n 40 "$log_dir/$name.log"
    fi
  done
fi

if [ "${ONLY:-}" != unit ]; then
  for t in tests/integration/*.sh; do
    [ -e "$t" ] || continue
    case "$t" in */lib.sh) continue;; esac
    [ -n "${TESTS:-}" ] && ! [[ "$t" == *${TESTS}* ]] && continue
    name=$(basename "$t" .sh)
    case " ${SKIP_TESTS:-} " in
      *" $name "*) skip=$((skip+1)); echo "SKIP $name: left out of this run (SKIP_TESTS)"; continue;;
    esac
    start=$(date +%s)
    bash "$t" >"$log_dir/$name.log" 2>&1; rc=$?
    secs=$(( $(date +%s) - start ))
    case $rc in
      0)  pass=$((pass+1)); echo "PASS $name (${secs}s)";;
      77) skip=$((skip+1)); echo "SKIP $name: $(grep -m1 '^SKIP' "$log_dir/$name.log" || tail -n1 "$log_dir/$name.log")";;
      *)  fail=$((fail+1)); failed+=("$name"); echo "FAIL $name (rc=$rc, ${secs}s)"; tail -n 40 "$log_dir/$name.log";;
    esac
  done
fi

[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# Builds tl with AddressSanitizer and runs it over every fixture, quick and deep (--decode),
# plus missing and special files. Fails when LeakSanitizer finds an FFmpeg allocation we did
# not free, or AddressSanitizer finds a memory error. tl's own exit status 1 (some files fail)
# is expected.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --sanitize=address --scratch-path .build-asan --product tl 2>&1 | grep -v "Cannot export local symbol" | tail -1
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp"
export ASAN_OPTIONS="detect_leaks=1"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for flags in "" "--decode"; do
  status=0
  .build-asan/debug/tl preflight $flags --jobs 2 --format jsonl TestMedia /dev/zero TestMedia/missing.mp4 >/dev/null 2>"$log" || status=$?
  if [ "$status" -gt 1 ] || grep -q "Sanitizer" "$log"; then
    echo "leakcheck: tl preflight $flags exited $status" >&2
    cat "$log" >&2
    exit 1
  fi
done
echo "leakcheck: no leaks or memory errors over TestMedia (quick and --decode)"

#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/ (with AddressSanitizer), replays each harness's
# regression corpus (Fuzz/Regressions/<Harness>/, committed), then fuzzes each harness for
# SECONDS (default 60) from its seeds (Fuzz/Corpus/<Harness>/). Prints the executions each run
# reached and fails, naming the artifact, if any harness crashed, leaked or timed out.
#
#   scripts/fuzz.sh [SECONDS]
#
# Environment: FUZZ_HARNESSES (space-separated subset, default all), FUZZ_TIMEOUT (seconds per
# input, default 10), FUZZ_RSS_MB (default 2048), FUZZ_PARALLEL (harnesses fuzzed at once, default
# the number of cores). Work files (the grown corpora, artifacts, logs)
# go to Fuzz/.work/, which git ignores. See FUZZING.md.
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Each harness once, in the order given (a name given twice would share its work files).
harnesses=()
for harness in ${FUZZ_HARNESSES:-FuzzProbe FuzzProbeIO FuzzMultipart FuzzSignature FuzzWire}; do
  case " ${harnesses[*]} " in *" $harness "*) ;; *) harnesses+=("$harness") ;; esac
done
parallel="${FUZZ_PARALLEL:-$(nproc)}"
case "$parallel" in ''|0|*[!0-9]*) echo "FUZZ_PARALLEL must be a positive number, not '$parallel'" >&2; exit 2;; esac
timeout_s="${FUZZ_TIMEOUT:-10}"
rss_mb="${FUZZ_RSS_MB:-2048}"
work="$root/Fuzz/.work"

# A crash must reach libFuzzer's own handler, which writes the crash-* file; Swift's backtracer
# would take the signal first (exit 132, no artifact).
export SWIFT_BACKTRACE=enable=no
# Leaks are failures; the suppressions name only leaks that are not ours (each with its reason).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp:print_suppressions=0}"

"$root/scripts/ensure-deps.sh"

# `-Xswiftc -sanitize=fuzzer,address` is not redundant: SwiftPM hands swiftc `-sanitize=fuzzer
# -sanitize=address` as two flags and swiftc keeps only the last, so without it the Swift code has
# AddressSanitizer but no coverage instrumentation (libFuzzer then mutates blind: 189 counters,
# all in the C loader, instead of about 21000). The last flag wins, so this one comes last.
build=(swift build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
       --package-path "$root/Fuzz" --scratch-path "$root/Fuzz/.build")
echo "== building the harnesses: ${build[*]}" >&2
start=$(date +%s)
"${build[@]}" >&2
echo "== built in $(( $(date +%s) - start )) s" >&2
bin="$("${build[@]}" --show-bin-path)"

mkdir -p "$work"
failed=()
summary=()

# The path of the artifact libFuzzer wrote, from its log.
artifact_of() { sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$1" | tail -1; }

for harness in "${harnesses[@]}"; do
  [ -x "$bin/$harness" ] || { echo "no harness $harness at $bin/$harness" >&2; exit 1; }
  mkdir -p "$work/$harness/corpus" "$work/$harness/artifacts"
done
# libFuzzer's options for harness $1, in the array `common`.
options_for() { common=(-timeout="$timeout_s" -rss_limit_mb="$rss_mb" -artifact_prefix="$work/$1/artifacts/"); }

# 1. The regression corpora: every file once; any crash, leak or timeout fails the run (and that
#    harness is not fuzzed).
fuzzable=()
for harness in "${harnesses[@]}"; do
  regressions=()
  if [ -d "Fuzz/Regressions/$harness" ]; then
    while IFS= read -r -d '' file; do regressions+=("$file"); done \
      < <(find "Fuzz/Regressions/$harness" -type f ! -name '.*' -print0 | sort -z)
  fi
  if [ ${#regressions[@]} -gt 0 ]; then
    log="$work/$harness/regressions.log"
    options_for "$harness"
    if "$bin/$harness" "${common[@]}" "${regressions[@]}" >"$log" 2>&1; then
      echo "== $harness: ${#regressions[@]} regression inputs replayed, none failed" >&2
    else
      echo "== $harness: a regression input FAILED again (log: $log)" >&2
      tail -40 "$log" >&2
      failed+=("$harness (regression; artifact: $(artifact_of "$log"))")
      continue
    fi
  fi
  fuzzable+=("$harness")
done

# 2. Fuzzing each for SECONDS from its seeds (the grown corpus is kept in the work dir). Each libFuzzer
#    process is one thread, so FUZZ_PARALLEL of them (default: the number of cores) run at once.
fuzz_one() {
  local harness=$1 log="$work/$1/fuzz.log" status=0 common
  options_for "$harness"
  "$bin/$harness" "${common[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    "$work/$harness/corpus" "Fuzz/Corpus/$harness" >"$log" 2>&1 || status=$?
  echo "$status" >"$work/$harness/fuzz.status"
}
if [ "$seconds" -gt 0 ]; then
  # A stopped script stops its fuzzers too.
  # (Each job is a subshell waiting on its fuzzer: the fuzzer is stopped first, then the subshell.)
  stop_fuzzers() { local job; for job in $(jobs -p); do pkill -TERM -P "$job" 2>/dev/null || true; kill "$job" 2>/dev/null || true; done; }
  trap stop_fuzzers EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  for harness in "${fuzzable[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
    echo "== $harness: fuzzing for $seconds s" >&2
    rm -f "$work/$harness/fuzz.status"
    fuzz_one "$harness" &
  done
  wait
  for harness in "${fuzzable[@]}"; do
    log="$work/$harness/fuzz.log"
    status="$(cat "$work/$harness/fuzz.status" 2>/dev/null || echo "no status")"
    executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    summary+=("$harness: ${executions:-?} executions in $seconds s (exit $status)")
    if [ "$status" != 0 ]; then
      artifact="$(artifact_of "$log")"
      echo "== $harness FAILED (exit $status; artifact: ${artifact:-none}; log: $log)" >&2
      grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|Fatal error|SUMMARY' "$log" >&2 || tail -20 "$log" >&2
      failed+=("$harness (artifact: ${artifact:-none})")
    fi
  done
fi

echo "== fuzz summary ($(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d))"
for line in "${summary[@]}"; do echo "   $line"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "== FAILED: ${failed[*]}"
  echo "   Reproduce: $bin/<Harness> <artifact>; keep the input in Fuzz/Regressions/<Harness>/ once fixed."
  exit 1
fi
echo "== no crash, leak or timeout"

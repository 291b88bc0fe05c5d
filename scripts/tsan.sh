#!/usr/bin/env bash
# `make test-tsan`: the concurrency-heavy suites (AnalyzeAPI, Submission, Sandbox, Ingest) under
# ThreadSanitizer, in their own scratch path (.build-tsan) so the ordinary debug build is untouched.
#   - Any ThreadSanitizer report fails the run: halt_on_error=1 stops the test process at the first
#     report with a non-zero status (whichever thread it is on), and the log is also searched for
#     "ThreadSanitizer", so a report can never end in a green run.
#   - scripts/tsan.supp holds suppressions for toolchain-internal reports only, each with its reason.
#   - The PostgreSQL journal tests need a server: scripts/ensure-postgres.sh starts one (or prints
#     TL_TEST_POSTGRES_URL as set); with CI set, a missing server fails those tests.
# Extra TSAN_OPTIONS from the environment are appended (later options win), e.g.
#   TSAN_OPTIONS=halt_on_error=0 scripts/tsan.sh     # collect every report in one run, still fails
# Arguments are passed to `swift test` (e.g. `scripts/tsan.sh --skip SomeSuite`).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
scratch=.build-tsan
suites='^(AnalyzeAPITests|SubmissionTests|SandboxTests|IngestTests)\.'

start=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$SWIFT" build --build-tests --sanitize=thread --scratch-path "$scratch" >"$log" 2>&1; then
  grep -v "Cannot export local symbol" "$log" | grep -E "error:" >&2 || true
  tail -n 30 "$log" >&2
  echo "tsan: build failed" >&2
  exit 1
fi
tail -n 1 "$log"
built=$SECONDS
echo "tsan: build took $((built - start)) s"

TL_TEST_POSTGRES_URL="$(scripts/ensure-postgres.sh)"
export TL_TEST_POSTGRES_URL
# halt_on_error=1: the first report, on any thread, ends the test process with exitcode 66 (swift test
# then exits 1). With halt_on_error=0 the run goes on and TSan still exits 66 at the end, although
# Swift Testing prints "passed": the grep below catches that too. history_size=4 keeps the "previous
# access" stacks of long-running tests resolvable. The Swift backtracer is off so a crash's output is
# TSan's report alone (it does not change the exit status; checked with a deliberately racy test).
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 history_size=4 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
export SWIFT_BACKTRACE=enable=no

status=0
"$SWIFT" test --skip-build --sanitize=thread --scratch-path "$scratch" --filter "$suites" "$@" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
echo "tsan: tests took $((SECONDS - built)) s (status $status)"
if grep -q "ThreadSanitizer" "$log"; then
  echo "tsan: ThreadSanitizer reported (summaries below; full reports above)" >&2
  grep "SUMMARY: ThreadSanitizer" "$log" | sort | uniq -c >&2 || true
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "tsan: swift test failed (exit $status)" >&2
  exit "$status"
fi
if ! grep -Eq "Test run with [1-9][0-9]* tests? .*passed" "$log"; then
  echo "tsan: no Swift Testing run was found in the output (did the filter match nothing?)" >&2
  exit 1
fi
echo "tsan: no ThreadSanitizer reports"

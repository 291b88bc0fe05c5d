# VideoPreflight: `make run` shows real verdicts on TestMedia/, `make test` runs every test.
SWIFT ?= swift
TL_DEBUG := .build/debug/tl

.PHONY: deps build run test test-release test-tsan test-ffmpeg fuzz bench leakcheck clean

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

# Exit status 1 from tl means "some files fail", which several fixtures are made to do.
run: build
	@$(TL_DEBUG) preflight --format text TestMedia/; status=$$?; \
	  echo "(tl preflight exited with $$status: 0 = all pass, 1 = some files fail)"; \
	  [ $$status -le 1 ]

# The tests also run the ffmpeg CLI (to make ordinary camera-like files the fast probe must read
# exactly as FFmpeg's full analysis does), so the dependency step installs the tools too; and the
# platform's official Python SDK, which SDKCompatibilityTests drive against the sandbox.
test: deps
	@scripts/ensure-deps.sh --tools
	@scripts/sdk-env.sh >/dev/null
	$(SWIFT) build --build-tests
	@# The ingest CLI suite (100-file crash runs, a fleet of workers) runs on its own after the rest: beside
	@# every other suite at once it starves their time-limited tests on 2 cores.
	export TL_TEST_POSTGRES_URL="$$(scripts/ensure-postgres.sh)"; \
	  $(SWIFT) test --skip-build --skip IngestCLITests && $(SWIFT) test --skip-build --filter IngestCLITests

# The CLI tests again, over a release build of tl: the optimizer has broken code the debug build
# ran correctly (tl tasks wait with several ids crashed only in release builds; issue 9). `make bench`
# runs it first; CI does not (22 min, most of it the release build: see the README's CI times).
test-release: deps
	@scripts/ensure-deps.sh --tools
	$(SWIFT) build -c release --scratch-path .build-release --product tl
	$(SWIFT) build --build-tests
	export TL_TEST_POSTGRES_URL="$$(scripts/ensure-postgres.sh)" TL_BINARY=$(CURDIR)/.build-release/release/tl; \
	  $(SWIFT) test --skip-build --filter tlTests --skip IngestCLITests && $(SWIFT) test --skip-build --filter IngestCLITests

# tl built with AddressSanitizer over every fixture: FFmpeg allocations freed on every path.
leakcheck: deps
	scripts/leakcheck.sh

# The concurrency-heavy suites (AnalyzeAPI, Submission, Sandbox, Ingest) under ThreadSanitizer (.build-tsan):
# any report fails the run.
test-tsan: deps
	@scripts/ensure-deps.sh --tools
	scripts/tsan.sh

# The FFmpeg-facing targets built against another FFmpeg's headers and tested against its libraries, in a
# cached debootstrap chroot of the Debian release that ships it: FFMPEG=7 (trixie, 7.1) or FFMPEG=9 (sid, 9.0).
FFMPEG ?= 7
test-ffmpeg:
	scripts/ffmpeg-matrix.sh $(FFMPEG)

# Every libFuzzer harness in Fuzz/ (ASan): the committed regression corpus replayed, then SECONDS of fuzzing each.
SECONDS ?= 60
fuzz: deps
	scripts/fuzz.sh $(SECONDS)

# The CLI suite over the release binary first (make test-release): figures of a broken build mean nothing.
bench: deps test-release
	@scripts/ensure-deps.sh --tools
	scripts/bench.sh

clean:
	rm -rf .build

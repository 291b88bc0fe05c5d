#!/usr/bin/env bash
# The realistic-corpus part of `make bench` (issue 10), called by scripts/bench.sh with the
# release bin folder and a scratch folder:
#   1. scripts/bench-corpus.sh builds (once, cached) 325 ordinary 360p-5K MP4/MKV/WebM/TS files
#      and a 2-minute 1080p30 H.264 file; scripts/bench-pyav-env.sh installs PyAV 18.1.0 into a
#      virtual environment in the same cache.
#   2. PyAV times av.open + streams + close on every file (fastest of 3 passes).
#   3. ProbeBench corpus: the fast probe must give the full probe's MediaInfo on every file; then
#      the fast and full probes per file (fastest of 3 passes, one core), the ratio to PyAV, per-file
#      ffprobe on every 6th file, and `tl preflight --jobs 1` against `--jobs 2` (alternating).
#   4. ProbeBench batch: peak RSS of `tl preflight --jobs 2` over 1,000 and 10,000 hard links to
#      the corpus's MP4/MKV/WebM files (links live in the cache, beside the files).
#   5. ProbeBench deep: --decode full|keyframes|packets against `ffmpeg -v error -i F -map 0:v -f
#      null -` on the 2-minute file, pair by pair.
# Usage: scripts/bench-probe-corpus.sh BIN_DIR WORK_DIR   (BENCH_PAIRS: deep pairs, default 3)
set -euo pipefail
bin="$1"
work="$2"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pairs="${BENCH_PAIRS:-3}"

corpus="$("$repo/scripts/bench-corpus.sh" | tail -n 1)"
python="$("$repo/scripts/bench-pyav-env.sh" | tail -n 1)"

"$bin/ProbeBench" list --corpus "$corpus" > "$work/corpus.list"
echo "== PyAV over the same $(wc -l < "$work/corpus.list") files (fastest of 3 passes) =="
xargs -a "$work/corpus.list" -d '\n' "$python" "$repo/scripts/pyav_probe.py" --repeat 3 > "$work/pyav.json"
"$python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("PyAV %s: median %.3f ms, total %.2f s" % (d["pyav"], d["median_ms"], d["total_s"]))' "$work/pyav.json"
echo
"$bin/ProbeBench" corpus --corpus "$corpus" --tl "$bin/tl" --pyav-json "$work/pyav.json" --runs 3
echo

# Hard links (no extra disk) to the ordinary files, round-robin, for the RSS-over-10,000-files check.
links="$(dirname "$corpus")/links-$(basename "$corpus")"
if [ ! -f "$links/.complete" ]; then
  rm -rf "$links"
  mkdir -p "$links/1000" "$links/10000"
  mapfile -t ordinary < <(grep -E '\.(mp4|mkv|webm)$' "$work/corpus.list")
  for ((i = 0; i < 10000; i++)); do
    source_file="${ordinary[i % ${#ordinary[@]}]}"
    name="$(printf '%05d_%s' "$i" "${source_file##*/}")"
    ln "$source_file" "$links/10000/$name"
    [ "$i" -lt 1000 ] && ln "$source_file" "$links/1000/$name"
  done
  touch "$links/.complete"
fi
# The batch's throughput and < 100 MB targets belong to TestMedia's tiny files (issue 2); here only
# the growth of peak RSS with the file count is judged.
"$bin/ProbeBench" batch --tl "$bin/tl" --jobs 2 --runs 1 --dir "$links/1000" --dir "$links/10000" \
  | sed -e 's/^TARGET \[\(met \|MISS\)\] \(≥ 1000 files\/s\|peak RSS < 100 MB\)/(issue 2 target, tiny files only) \2/'
echo
"$bin/ProbeBench" deep --file "$corpus/long/long_1080p30_120s.mp4" --tl "$bin/tl" --pairs "$pairs"

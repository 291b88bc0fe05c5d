#!/usr/bin/env bash
# Creates (once) the Python virtual environment used to compare our probe against PyAV.
#
# The venv lives beside the benchmark corpus (see scripts/bench-corpus.sh), outside the repo:
#   "${VIDEOPREFLIGHT_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/videopreflight/bench}/pyav-venv"
# and gets PyAV ${PYAV_VERSION} (default 18.1.0), whose wheel bundles its own FFmpeg (av.ffmpeg_version_info says 8.1.2 for 18.1.0).
#
# Usage: scripts/bench-pyav-env.sh            -> last line of stdout: the venv's python
#   e.g. py="$(scripts/bench-pyav-env.sh | tail -n1)"; "$py" scripts/pyav_probe.py --repeat 3 FILE...
# Environment: PYTHON (interpreter that creates the venv, default python3), PYAV_VERSION.
set -euo pipefail

cache="${VIDEOPREFLIGHT_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/videopreflight/bench}"
exec "$(dirname "$0")/python-venv.sh" "$cache/pyav-venv" av "${PYAV_VERSION:-18.1.0}" av

#!/usr/bin/env bash
# Creates (once) the Python virtual environment used to compare our probe against PyAV.
#
# The venv lives beside the benchmark corpus (see scripts/bench-corpus.sh), outside the repo:
#   "${VIDEOPREFLIGHT_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/videopreflight/bench}/pyav-venv"
# and gets PyAV ${PYAV_VERSION} (default 18.1.0), whose wheel bundles its own FFmpeg (av.ffmpeg_version_info says 8.1.2 for 18.1.0).
# A venv that already imports the wanted PyAV version is reused as is.
#
# Usage: scripts/bench-pyav-env.sh            -> last line of stdout: the venv's python
#   e.g. py="$(scripts/bench-pyav-env.sh | tail -n1)"; "$py" scripts/pyav_probe.py --repeat 3 FILE...
# Environment: PYTHON (interpreter that creates the venv, default python3), PYAV_VERSION.
set -euo pipefail

cache="${VIDEOPREFLIGHT_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/videopreflight/bench}"
venv="$cache/pyav-venv"
python="${PYTHON:-python3}"
pyav_version="${PYAV_VERSION:-18.1.0}"
py="$venv/bin/python"

# True when the venv exists and already has the wanted PyAV.
have_pyav() {
  [[ -x "$py" ]] &&
    [[ "$("$py" -c 'import av; print(av.__version__)' 2>/dev/null || true)" == "$pyav_version" ]]
}

if ! have_pyav; then
  command -v "$python" >/dev/null 2>&1 || { echo "bench-pyav-env: $python not found" >&2; exit 2; }
  mkdir -p "$cache"
  if [[ ! -x "$py" ]]; then
    # A half-made venv (no python inside) is useless: start it over.
    rm -rf "$venv"
    echo "bench-pyav-env: creating $venv with $("$python" --version 2>&1)" >&2
    "$python" -m venv "$venv" || {
      echo "bench-pyav-env: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
      rm -rf "$venv"
      exit 1
    }
  fi
  echo "bench-pyav-env: installing av==$pyav_version" >&2
  # Progress goes to stderr so that stdout stays just the python path.
  "$py" -m pip install --disable-pip-version-check --quiet "av==$pyav_version" >&2
  have_pyav || { echo "bench-pyav-env: av $pyav_version does not import in $venv" >&2; exit 1; }
fi

echo "$py"

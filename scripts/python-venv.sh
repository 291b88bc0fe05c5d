#!/usr/bin/env bash
# Creates (once) a Python virtual environment holding one pinned package, and prints its python.
#
# Usage: scripts/python-venv.sh DIR PACKAGE VERSION MODULE  -> last line of stdout: DIR/bin/python
#   DIR      where the venv lives (outside the repo, in the user's cache)
#   PACKAGE  the PyPI name, installed as PACKAGE==VERSION
#   MODULE   the module whose __version__ must equal VERSION for the venv to be reused as is
# Used by scripts/bench-pyav-env.sh (PyAV, for the benchmarks) and scripts/sdk-env.sh (the official
# TwelveLabs SDK, which the tests run against the sandbox). Environment: PYTHON (the interpreter that
# creates the venv, default python3).
set -euo pipefail

venv="$1" package="$2" version="$3" module="$4"
python="${PYTHON:-python3}"
py="$venv/bin/python"
name="python-venv($package)"

have() {
  [[ -x "$py" ]] &&
    [[ "$("$py" -c "import $module; print($module.__version__)" 2>/dev/null || true)" == "$version" ]]
}

if ! have; then
  command -v "$python" >/dev/null 2>&1 || { echo "$name: $python not found" >&2; exit 2; }
  mkdir -p "$(dirname "$venv")"
  if [[ ! -x "$py" ]]; then
    # A half-made venv (no python inside) is useless: start it over.
    rm -rf "$venv"
    echo "$name: creating $venv with $("$python" --version 2>&1)" >&2
    "$python" -m venv "$venv" || {
      echo "$name: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
      rm -rf "$venv"
      exit 1
    }
  fi
  echo "$name: installing $package==$version" >&2
  # Progress goes to stderr so that stdout stays just the python path.
  "$py" -m pip install --disable-pip-version-check --quiet "$package==$version" >&2
  have || { echo "$name: $package $version does not import in $venv" >&2; exit 1; }
fi

echo "$py"

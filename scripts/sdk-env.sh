#!/usr/bin/env bash
# Creates (once) a venv with the official TwelveLabs Python SDK (twelvelabs ${TWELVELABS_SDK_VERSION:-1.3.6}),
# which tlTests' SDKCompatibilityTests drive against `tl sandbox`, and prints its python.
#   venv: ${XDG_CACHE_HOME:-$HOME/.cache}/videopreflight/sdk-venv
# `make test` runs this first; a test that cannot find the venv fails and names this script.
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/videopreflight"
exec "$(dirname "$0")/python-venv.sh" "$cache/sdk-venv" twelvelabs "${TWELVELABS_SDK_VERSION:-1.3.6}" twelvelabs

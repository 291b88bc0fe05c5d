#!/usr/bin/env bash
# Makes sure the system packages VideoPreflight needs are present:
#   - always: FFmpeg's development files (libavformat, libavcodec, libavutil), found with
#     pkg-config (the Linux build needs only the headers and loads the libraries at run time;
#     the macOS build links them through pkg-config);
#   - with --tools: the ffmpeg/ffprobe command-line tools, curl, openssl, python3 and its venv
#     module too (tests that make media or check signatures by hand, the official SDK's venv,
#     benchmarks, TestMedia/generate.sh).
# Installs them with apt-get when it can (root, or password-less sudo); otherwise prints the
# exact command to run and fails.
set -euo pipefail

want_tools=0
[ "${1:-}" = "--tools" ] && want_tools=1

packages=(pkg-config libavformat-dev libavcodec-dev libavutil-dev)
missing=()
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libavformat libavcodec libavutil; then
  missing+=("${packages[@]}")
fi
if [ "$want_tools" = 1 ] && { ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; }; then
  missing+=(ffmpeg)
fi
if [ "$want_tools" = 1 ]; then
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if ! command -v python3 >/dev/null 2>&1; then
    missing+=(python3 python3-venv)
  elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    # Debian splits venv's pip bootstrap into python3-venv; scripts/sdk-env.sh needs it.
    missing+=(python3-venv)
  fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(uname -s)" = "Darwin" ]; then
  echo "FFmpeg is missing. Install it with: brew install ffmpeg pkg-config" >&2
  exit 1
fi

command_text="apt-get update && apt-get install -y ${missing[*]}"
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them with:  sudo sh -c '$command_text'" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq "${missing[@]}" >&2
  pkg-config --exists libavformat libavcodec libavutil || { echo "FFmpeg development files still not found by pkg-config." >&2; exit 1; }
  exit 0
fi
echo "Missing system packages: ${missing[*]} (FFmpeg's libavformat, libavcodec, libavutil with headers, and pkg-config)." >&2
echo "Install them with your system's package manager, then run make again." >&2
exit 1

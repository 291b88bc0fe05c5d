#!/usr/bin/env bash
# The FFmpeg matrix: builds the FFmpeg-facing targets (CFFmpeg, CFFmpegLoader, MediaProbe,
# PlatformRules, Preflight) against another FFmpeg release's headers and runs the MediaProbe and
# Preflight suites against its libraries, in a Debian chroot of the release that ships it.
#
#   scripts/ffmpeg-matrix.sh 7    Debian 13 (trixie): FFmpeg 7.1
#   scripts/ffmpeg-matrix.sh 9    Debian unstable (sid): FFmpeg 9.0
#   scripts/ffmpeg-matrix.sh 7 --prepare
#                                 only makes (or checks) the cached chroot and its packages, then exits;
#                                 .ci/run starts it in the background while `make test` builds
#
# Needs root and debootstrap (installed with apt-get when missing). The chroot is made once and
# cached in /var/cache/videopreflight/chroot-SUITE (VP_MATRIX_CACHE overrides the folder); the
# build goes to .build-ffmpegN in the repository. Inside the chroot: this machine's Swift
# toolchain, the repository and the local package mirror (the folders named by the system git
# config's url.*.insteadOf) are bind-mounted read-only; the package is copied into the build
# folder and built with VP_FFMPEG_ONLY=1 (Package.swift then declares only those targets).
# Everything runs in a private mount namespace, and a trap unmounts every mount on every exit
# path. The exit status is the tests' (or the failing step's).
set -euo pipefail

# All of it in one function, which bash reads whole before running it: editing this file while a
# leg runs cannot change what that leg does.
main() {

  usage() { echo "usage: $0 7|9 [--prepare]   (7: Debian trixie, FFmpeg 7.1; 9: Debian sid, FFmpeg 9)" >&2; exit 2; }
  [ $# -eq 1 ] || { [ $# -eq 2 ] && [ "$2" = --prepare ]; } || usage
  major=$1
  prepare_only=${2:+1}
  case "$major" in
    7) suite=trixie ;;
    9) suite=sid ;;
    *) usage ;;
  esac

  [ "$(id -u)" = 0 ] || { echo "$0 needs root (debootstrap, chroot, mount)." >&2; exit 1; }

  # A private mount namespace: whatever happens (even SIGKILL), no mount outlives this script.
  if [ -z "${VP_MATRIX_IN_NAMESPACE:-}" ] && command -v unshare >/dev/null 2>&1 \
     && unshare --mount --propagation private true 2>/dev/null; then
    VP_MATRIX_IN_NAMESPACE=1 exec unshare --mount --propagation private "$0" "$@"
  fi

  repo=$(cd "$(dirname "$0")/.." && pwd)
  cache=${VP_MATRIX_CACHE:-/var/cache/videopreflight}
  root=$cache/chroot-$suite
  scratch=$repo/.build-ffmpeg$major
  mirror_url=${VP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

  swift_bin=$(command -v swift) || { echo "swift is not on PATH." >&2; exit 1; }
  toolchain=$(cd "$(dirname "$(readlink -f "$swift_bin")")/../.." && pwd)   # /opt/swift for /opt/swift/usr/bin/swift

  # The FFmpeg development files and command-line tools the suites use (they make media with ffmpeg),
  # rsync for the copy, and what the Swift toolchain needs to run (SWIFT-NOTES.md).
  # (g++ brings the release's libstdc++ headers, which the Swift toolchain's clang finds.)
  packages=(libavformat-dev libavcodec-dev libavutil-dev pkg-config ffmpeg rsync
            libncurses6 binutils gcc g++ libc6-dev libcurl4 libedit2 libsqlite3-0 libxml2 zlib1g-dev
            git ca-certificates)

  now() { date +%s.%N; }
  timings=()
  lap() { timings+=("$(awk -v a="$2" -v b="$(now)" -v n="$1" 'BEGIN { printf "%-22s %6.1f s", n, b - a }')"); }
  step() { echo "== ffmpeg-matrix $major ($suite): $*" >&2; }

  # MARK: mounts, undone on every exit path

  mounts=()
  mount_at() {  # mount_at TARGET MOUNT-ARGS...: mounts and remembers TARGET for the trap
    local target=$1; shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounts+=("$target")
  }
  bind_ro() {  # bind_ro SOURCE TARGET
    mount_at "$2" --bind "$1"
    mount -o remount,bind,ro "$2"
  }
  unmount_all() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
      umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" 2>/dev/null || true
    done
    mounts=()
    # Anything else left under the chroot (debootstrap mounts /proc and /sys while it works).
    if [ -d "$root" ]; then
      findmnt -rn -o TARGET | awk -v r="$root/" 'index($0, r) == 1' | sort -r | while read -r target; do
        umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || true
      done
    fi
  }
  # Each long step runs in its own process group: a signal to this script stops the whole step
  # (bash would otherwise wait for the step to end before running the trap).
  child=
  run() {
    setsid "$@" &
    child=$!
    local status=0
    wait "$child" || status=$?
    child=
    return "$status"
  }
  stop() {
    if [ -n "$child" ]; then kill -TERM -- "-$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
    exit "$1"
  }
  trap unmount_all EXIT
  trap 'stop 130' INT
  trap 'stop 143' TERM

  in_chroot() {  # in_chroot COMMAND: runs a bash command line in the chroot with a clean environment
    run chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
      PATH="$toolchain/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      VP_EXPECT_LIBAVFORMAT_MAJOR="${expect_avformat:-}" /bin/bash -c "$1"
  }

  system_mounts() {
    mount_at "$root/proc" -t proc proc
    mount_at "$root/dev" --bind /dev
    mount_at "$root/dev/pts" -t devpts devpts
    mount_at "$root/dev/shm" -t tmpfs tmpfs
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  }

  # MARK: 1. the chroot (cached)

  if ! command -v debootstrap >/dev/null 2>&1; then
    step "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2; }
  fi

  if [ ! -f "$root/.vp-debootstrap-done" ]; then
    step "debootstrap --variant=minbase $suite $root"
    unmount_all
    rm -rf "$root"
    mkdir -p "$cache"
    t=$(now)
    run debootstrap --variant=minbase "$suite" "$root" "$mirror_url" >&2
    touch "$root/.vp-debootstrap-done"
    lap "chroot (debootstrap)" "$t"
  else
    step "reusing $root"
  fi

  system_mounts

  wanted="${packages[*]}"
  if [ "$(cat "$root/.vp-packages" 2>/dev/null)" != "$wanted" ]; then
    step "apt-get install ${packages[*]}"
    t=$(now)
    # Mirrors that serve a frozen snapshot (as on the machines this runs on) serve sid's Release
    # file after its Valid-Until date; apt would refuse it.
    echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99videopreflight"
    in_chroot "apt-get update -qq && apt-get install -y -qq --no-install-recommends $wanted" >&2
    echo "$wanted" > "$root/.vp-packages"
    lap "packages (apt-get)" "$t"
  fi

  if [ -n "$prepare_only" ]; then
    for line in "${timings[@]}"; do echo "  $line"; done
    echo "ffmpeg-matrix $major ($suite): the chroot is ready in $root"
    exit 0
  fi

  # MARK: 2. the toolchain, the package mirror and the repository

  bind_ro "$toolchain" "$root$toolchain"
  # SwiftPM resolves github.com URLs from the local mirror through git's url.*.insteadOf: the chroot
  # gets the same rewrite rules and sees the same folders.
  : > "$root/etc/gitconfig"
  while read -r key base; do
    [ -n "$key" ] || continue
    git config --file "$root/etc/gitconfig" --add "$key" "$base"
    from=${key#url.}; from=${from%.insteadof}
    if [ -d "$from" ] && ! mountpoint -q "$root$from"; then bind_ro "$from" "$root$from"; fi
  done < <(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true)
  bind_ro "$repo" "$root/repo"
  mkdir -p "$scratch"
  mount_at "$root/build" --bind "$scratch"

  # MARK: 3. build

  versions=$(in_chroot 'pkg-config --modversion libavformat libavcodec libavutil | paste -sd " "')
  read -r avformat_version avcodec_version avutil_version <<< "$versions"
  expect_avformat=${avformat_version%%.*}
  ffmpeg_version=$(in_chroot 'ffprobe -version | head -n 1')
  step "$ffmpeg_version; headers: libavformat $avformat_version, libavcodec $avcodec_version, libavutil $avutil_version"
  case "$ffmpeg_version" in
    "ffprobe version $major."* | "ffprobe version "*":$major."*) ;;
    *) echo "Debian $suite no longer ships FFmpeg $major ($ffmpeg_version): update the suite for leg $major in $0." >&2
       exit 1 ;;
  esac

  step "building the FFmpeg-facing targets (VP_FFMPEG_ONLY=1, scratch $scratch)"
  t=$(now)
  # A copy, so that resolving the smaller graph never rewrites the repository's Package.resolved.
  in_chroot 'rsync -a --delete --exclude=/Package.resolved --exclude=.build --exclude=".build[-_]*" \
               --exclude=.git --exclude=.swiftpm --exclude=/bench-out /repo/ /build/src/'
  status=0
  in_chroot 'cd /build/src && VP_FFMPEG_ONLY=1 swift build --build-tests --scratch-path /build/scratch' || status=$?
  lap "build" "$t"
  if [ "$status" = 0 ]; then
    step "testing MediaProbeTests and PreflightTests against FFmpeg $major's libraries"
    t=$(now)
    in_chroot 'cd /build/src && VP_FFMPEG_ONLY=1 swift test --skip-build --scratch-path /build/scratch' || status=$?
    lap "tests" "$t"
  fi

  echo
  echo "FFmpeg matrix, leg $major (Debian $suite): $ffmpeg_version"
  echo "  libavformat $avformat_version, libavcodec $avcodec_version, libavutil $avutil_version"
  for line in "${timings[@]}"; do echo "  $line"; done
  if [ "$status" = 0 ]; then echo "  PASSED"; else echo "  FAILED (exit status $status)"; fi
  exit "$status"
}

main "$@"

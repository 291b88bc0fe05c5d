#!/usr/bin/env bash
# Builds, once, a realistic benchmark corpus with the ffmpeg CLI and caches it outside the repo.
#
# The corpus looks like ordinary user uploads: 360p–5K MP4 (with and without faststart), MKV,
# WebM and MPEG-TS files of a few seconds, in H.264, HEVC, VP9 and AV1 (each where this ffmpeg has
# an encoder for it), at 24/25/30/60 fps, most with AAC or Opus audio, plus phone-style files with
# a 90°/180°/270° display matrix. 5K here is 5120x2160, inside the platform's 5184x2160 limit.
#
#   corpus-v1/                     the probe corpus: 300+ distinct files (no links), flat
#   corpus-v1/long/long_1080p30_120s.mp4
#                                  2 minutes of 1080p30 H.264 (CABAC, B-frames, GOP 60, ~10 Mbit/s)
#                                  + AAC, faststart: a deep-check (full decode) cost like a camera's
#   corpus-v1/MANIFEST.tsv         name, container, codec, width, height, duration, size (ffprobe)
#   corpus-v1/.complete            written last; its presence means "done, reuse as is"
#
# Cheap volume: each distinct base stream is encoded once (fast encoder presets, a few seconds of
# testsrc2 / mandelbrot / life / cellauto content with temporal noise so that it is not trivially
# compressible), then remuxed with `-c copy` into four containers, each with and without its audio.
#
# Cache: "${VIDEOPREFLIGHT_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/videopreflight/bench}".
# The corpus is built in a temporary folder beside corpus-v1 and renamed into place at the end;
# concurrent runs serialize on a lock file. Bump the version (corpus-v2) when the recipe changes.
#
# Usage: scripts/bench-corpus.sh      -> last line of stdout: the corpus folder; progress on stderr
# Environment: VIDEOPREFLIGHT_BENCH_CACHE (cache root), VIDEOPREFLIGHT_BENCH_JOBS (parallel
# encodes, default 2), VIDEOPREFLIGHT_BENCH_NICE (nice level of every ffmpeg, default 19),
# FFMPEG / FFPROBE (binaries, default ffmpeg / ffprobe from PATH).
set -euo pipefail

version=v1
cache="${VIDEOPREFLIGHT_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/videopreflight/bench}"
corpus="$cache/corpus-$version"
jobs_max="${VIDEOPREFLIGHT_BENCH_JOBS:-2}"
nice_level="${VIDEOPREFLIGHT_BENCH_NICE:-19}"
ffmpeg_bin="${FFMPEG:-ffmpeg}"
ffprobe_bin="${FFPROBE:-ffprobe}"

say() { echo "bench-corpus: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Fast path: a finished corpus is reused without even looking for ffmpeg.
if [[ -e "$corpus/.complete" ]]; then
  echo "$corpus"
  exit 0
fi

command -v "$ffmpeg_bin" >/dev/null 2>&1 || die "ffmpeg not found (apt-get install ffmpeg, or set FFMPEG)"
command -v "$ffprobe_bin" >/dev/null 2>&1 || die "ffprobe not found (apt-get install ffmpeg, or set FFPROBE)"

mkdir -p "$cache"
# One builder at a time: a second run waits here, then finds the corpus complete.
exec 9>"$cache/.corpus-$version.lock"
flock 9
if [[ -e "$corpus/.complete" ]]; then
  echo "$corpus"
  exit 0
fi

# Leftovers of an interrupted run: earlier temp folders, or a corpus renamed into place whose
# .complete was never written. Nobody else holds the lock, so they can go.
rm -rf "$cache/corpus-$version.tmp."* "$corpus"

tmp="$(mktemp -d "$cache/corpus-$version.tmp.XXXXXX")"
# On any exit before the rename: stop our own encodes (by pid) and drop the temp folder.
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
base_dir="$tmp/_base"   # one encode per base stream, removed before the rename
log_dir="$tmp/_logs"    # ffmpeg's stderr per job, shown when a job fails
mkdir -p "$base_dir" "$log_dir" "$tmp/long"
failed="$tmp/_failed"   # one line per failed job
start_s=$SECONDS

# Quiet the encoders' own loggers (SVT-AV1 prints its config banner to stderr otherwise).
export SVT_LOG=1

# --- Which encoders this ffmpeg has ------------------------------------------------------------
encoders="$("$ffmpeg_bin" -hide_banner -encoders 2>/dev/null)"
has_encoder() { grep -qE "^ [A-Z.]{6} $1 " <<<"$encoders"; }
has_encoder libx264 || die "this ffmpeg has no libx264 encoder"
has_encoder aac || die "this ffmpeg has no aac encoder"
has_libopus=0; has_encoder libopus && has_libopus=1
# AV1: SVT-AV1 is the fastest; libaom and rav1e are used for a few streams when present (their
# bitstreams differ in sequence-header details), falling back to whichever AV1 encoder exists.
av1_default=""
for e in libsvtav1 libaom-av1 librav1e; do
  if has_encoder "$e"; then av1_default="$e"; break; fi
done
[[ -n "$av1_default" ]] || say "no AV1 encoder: AV1 files are skipped"
has_encoder libx265 || say "no libx265: HEVC files are skipped"
has_encoder libvpx-vp9 || say "no libvpx-vp9: VP9 files are skipped"
((has_libopus)) || say "no libopus: VP9/AV1 files get no audio"

# --- Helpers -------------------------------------------------------------------------------------

# Runs ffmpeg niced, without stdin, quiet except for errors (appended to the job's log).
ff() {
  local log="$1"; shift
  nice -n "$nice_level" "$ffmpeg_bin" -nostdin -hide_banner -nostats -v error -y "$@" 2>>"$log"
}

# size_of RES -> "WxH". Named sizes, or an explicit WxH (e.g. a portrait 1080x1920).
size_of() {
  case "$1" in
    360p) echo 640x360 ;;
    480p) echo 854x480 ;;
    720p) echo 1280x720 ;;
    1080p) echo 1920x1080 ;;
    2160p) echo 3840x2160 ;;
    5k) echo 5120x2160 ;;
    *x*) echo "$1" ;;
    *) die "unknown size $1" ;;
  esac
}

# video_source KIND WxH FPS SEED -> a lavfi graph. Every kind ends in temporal noise (seeded, so
# that runs are repeatable) and yuv420p.
video_source() {
  local kind="$1" size="$2" fps="$3" seed="$4"
  local w="${size%x*}" h="${size#*x}"
  local noise="noise=alls=8:allf=t:all_seed=$seed,format=yuv420p"
  case "$kind" in
    # Moving gradients, a clock and colour bars: the classic.
    testsrc2) echo "testsrc2=size=$size:rate=$fps,$noise" ;;
    # A slowly zooming fractal: fine detail everywhere (rendered at half size: it is costly).
    mandel) echo "mandelbrot=size=$((w / 2))x$((h / 2)):rate=$fps,scale=$size:flags=bicubic,$noise" ;;
    # Game of life, coloured, at a quarter size and scaled up: sharp moving edges.
    life) echo "life=size=$((w / 4))x$((h / 4)):rate=$fps:mold=10:ratio=0.3:seed=$seed:life_color=#ffa040:death_color=#102040:mold_color=#30a050,scale=$size:flags=bicubic,$noise" ;;
    # A 1-D cellular automaton scrolling down (rule 110), scaled up.
    cellauto) echo "cellauto=size=$((w / 4))x$((h / 4)):rate=$fps:rule=110:seed=$seed:scroll=1,scale=$size:flags=neighbor,$noise" ;;
    *) die "unknown source $kind" ;;
  esac
}

# Pool of at most $jobs_max background jobs. A job that fails records itself in $failed; the
# pool stops taking new jobs once something has failed.
spawn() {
  local name="$1"; shift
  [[ ! -s "$failed" ]] || return 0
  (
    # The job runs in its own subshell with errexit in force (a `job || record` list would
    # switch errexit off inside the job); this outer one only records the outcome.
    set +e
    ( set -e; "$@" )
    rc=$?
    (( rc == 0 )) || echo "$name" >>"$failed"
  ) &
  while (( $(jobs -rp | wc -l) >= jobs_max )); do wait -n || true; done
}

# The audio arguments of a base stream: "aac" (AAC-LC, 128k stereo 48 kHz, or a variant with
# mono / 44.1 kHz), "opus" (96k stereo), or "none".
audio_args() {
  case "$1" in
    aac) echo "-c:a aac -b:a 128k -ar 48000 -ac 2" ;;
    aac44) echo "-c:a aac -b:a 96k -ar 44100 -ac 2" ;;
    aacmono) echo "-c:a aac -b:a 64k -ar 48000 -ac 1" ;;
    opus) echo "-c:a libopus -b:a 96k -ac 2" ;;
    none) echo "" ;;
  esac
}

# encode_base NAME CODEC RES FPS SECONDS SOURCE SEED KBPS AUDIO [EXTRA...]
# Encodes one base stream into $base_dir/NAME.mp4 (MP4 keeps the encoder's exact frame timing,
# which the remuxes then inherit). CODEC: h264, hevc, hevc10 (Main 10), vp9, av1 (default AV1
# encoder), av1-aom, av1-rav1e. EXTRA: more encoder options.
encode_base() {
  local name="$1" codec="$2" res="$3" fps="$4" secs="$5" src="$6" seed="$7" kbps="$8" audio="$9"
  shift 9
  local size; size="$(size_of "$res")"
  local gop=$((fps * 2))
  local -a v a
  case "$codec" in
    h264) v=(-c:v libx264 -preset veryfast -b:v "${kbps}k" -maxrate "$((kbps * 3 / 2))k"
             -bufsize "$((kbps * 2))k" -g "$gop" -pix_fmt yuv420p) ;;
    hevc) v=(-c:v libx265 -preset ultrafast -b:v "${kbps}k" -pix_fmt yuv420p
             -x265-params "log-level=error:keyint=$gop") ;;
    hevc10) v=(-c:v libx265 -preset ultrafast -b:v "${kbps}k" -pix_fmt yuv420p10le -profile:v main10
               -x265-params "log-level=error:keyint=$gop") ;;
    vp9) v=(-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -row-mt 1 -b:v "${kbps}k" -g "$gop") ;;
    av1|av1-aom|av1-rav1e)
      local enc="$av1_default"
      [[ "$codec" == av1-aom ]] && has_encoder libaom-av1 && enc=libaom-av1
      [[ "$codec" == av1-rav1e ]] && has_encoder librav1e && enc=librav1e
      case "$enc" in
        libsvtav1) v=(-c:v libsvtav1 -preset 12 -b:v "${kbps}k" -g "$gop") ;;
        libaom-av1) v=(-c:v libaom-av1 -usage realtime -cpu-used 8 -row-mt 1 -b:v "${kbps}k" -g "$gop") ;;
        librav1e) v=(-c:v librav1e -speed 10 -b:v "${kbps}k" -g "$gop") ;;
      esac ;;
  esac
  read -r -a a <<<"$(audio_args "$audio")"
  local -a inputs=(-f lavfi -i "$(video_source "$src" "$size" "$fps" "$seed")")
  if [[ "$audio" != none ]]; then
    # A tone whose pitch differs per stream, so that audio tracks differ too.
    inputs+=(-f lavfi -i "sine=frequency=$((220 + seed * 37 % 660)):sample_rate=48000")
  fi
  ff "$log_dir/$name.log" "${inputs[@]}" -t "$secs" -map 0:v ${a:+-map 1:a} \
    "${v[@]}" "$@" "${a[@]}" "$base_dir/$name.mp4"
}

# remux_all NAME CODEC AUDIO: the corpus files of one base stream. H.264/HEVC (AAC) go to MP4
# with faststart, MP4 without, MKV and MPEG-TS; VP9/AV1 (Opus) to WebM, MKV and both MP4s. Each
# once with its audio (the name says _aac / _opus) and once video-only.
remux_all() {
  local name="$1" codec="$2" audio="$3"
  local in="$base_dir/$name.mp4" log="$log_dir/$name.log"
  local -a containers
  case "$codec" in
    h264|hevc*) containers=(faststart.mp4 mp4 mkv ts) ;;
    *) containers=(webm mkv mp4 faststart.mp4) ;;
  esac
  local tag=""
  case "$audio" in aac*) tag=_aac ;; opus) tag=_opus ;; esac
  local c variant out
  for c in "${containers[@]}"; do
    for variant in with without; do
      [[ "$variant" == with && -z "$tag" ]] && continue
      local -a args=(-i "$in" -map 0:v)
      if [[ "$variant" == with ]]; then
        out="$tmp/${name}${tag}.$c"; args+=(-map 0:a)
      else
        out="$tmp/${name}.$c"
      fi
      args+=(-c copy)
      [[ "$c" == faststart.mp4 ]] && args+=(-movflags +faststart)
      # HEVC in MP4: Apple-style 'hvc1' with faststart (as phones write it), ffmpeg's 'hev1' without.
      [[ "$c" == faststart.mp4 && "$codec" == hevc* ]] && args+=(-tag:v hvc1)
      ff "$log" "${args[@]}" "$out"
    done
  done
}

# One job: encode a base stream, then remux it. Arguments as for encode_base.
base_job() {
  encode_base "$@"
  remux_all "$1" "$2" "$9"
}

# The phone-style files: 1080p30 H.264 High at a phone's ~16 Mbit/s with AAC, stored landscape
# with a display matrix that turns it upright (90° / 270°, one upside-down 180°).
phone_job() {
  local name=phone_h264_1080p30
  encode_base "$name" h264 1080p 30 3 testsrc2 77 16000 aac -profile:v high
  local in="$base_dir/$name.mp4" log="$log_dir/$name.log" r
  for r in 90 270; do
    ff "$log" -i "$in" -map 0 -c copy -metadata:s:v:0 rotate=$r -movflags +faststart "$tmp/${name}_aac_rot$r.faststart.mp4"
    ff "$log" -i "$in" -map 0 -c copy -metadata:s:v:0 rotate=$r "$tmp/${name}_aac_rot$r.mp4"
  done
  ff "$log" -i "$in" -map 0 -c copy -metadata:s:v:0 rotate=180 -movflags +faststart "$tmp/${name}_aac_rot180.faststart.mp4"
}

# The deep-check file: 120 s of 1080p30 with motion and sensor-like noise, x264 with its usual
# CABAC and 3 B-frames, GOP 60, CRF 20 capped at 20 Mbit/s (lands near 10 Mbit/s), AAC, faststart.
# Preset 'faster' keeps the encode to a few minutes on 2 cores; the decoder's work depends on
# the bitstream's features and bit rate, which match a camera's.
long_job() {
  local out="$tmp/long/long_1080p30_120s.mp4"
  ff "$log_dir/long.log" \
    -f lavfi -i "testsrc2=size=1920x1080:rate=30,noise=alls=6:allf=t+u:all_seed=4242,format=yuv420p" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 120 -map 0:v -map 1:a \
    -c:v libx264 -preset faster -crf 20 -maxrate 20M -bufsize 40M -g 60 -profile:v high \
    -c:a aac -b:a 128k -ac 2 -movflags +faststart "$out"
}

# --- The base streams --------------------------------------------------------------------------
# NAME CODEC RES FPS SECONDS SOURCE SEED KBPS AUDIO [EXTRA]. Bit rates are those of ordinary
# uploads at each size. Names with a _2 suffix are a second stream of the same shape.
streams=(
  # H.264
  "h264_360p30 h264 360p 30 3 testsrc2 1 800 aac -profile:v baseline"
  "h264_360p25 h264 360p 25 4 mandel 2 700 aacmono -profile:v main"
  "h264_480p30 h264 480p 30 3 cellauto 3 1500 aac"
  "h264_480p24 h264 480p 24 3 testsrc2 4 1200 aac44 -profile:v main"
  "h264_720p30 h264 720p 30 3 testsrc2 5 3000 aac"
  "h264_720p60 h264 720p 60 2 mandel 6 4500 aac"
  "h264_1080p30 h264 1080p 30 3 testsrc2 7 6000 aac"
  "h264_1080p30_2 h264 1080p 30 3 life 8 8000 aac44"
  "h264_1080p60 h264 1080p 60 2 testsrc2 9 9000 aac"
  "h264_1080p25 h264 1080p 25 3 mandel 10 5000 aac"
  "h264_1080p24 h264 1080p 24 3 cellauto 11 5000 aac"
  "h264_1080x1920p30 h264 1080x1920 30 3 testsrc2 12 7000 aac"
  "h264_2160p30 h264 2160p 30 2 testsrc2 13 16000 aac"
  "h264_2160p24 h264 2160p 24 2 life 14 14000 aac"
  "h264_5k24 h264 5k 24 2 testsrc2 15 20000 aac"
  "h264_5k30 h264 5k 30 2 testsrc2 16 22000 none"
  # HEVC
  "hevc_360p30 hevc 360p 30 3 testsrc2 21 500 aac"
  "hevc_480p25 hevc 480p 25 3 life 22 900 aac"
  "hevc_720p30 hevc 720p 30 3 testsrc2 23 2000 aac"
  "hevc_720p24 hevc 720p 24 3 mandel 24 1800 aac44"
  "hevc_1080p30 hevc 1080p 30 3 testsrc2 25 4000 aac"
  "hevc_1080p30_10bit hevc10 1080p 30 3 mandel 26 4000 aac"
  "hevc_1080p60 hevc 1080p 60 2 testsrc2 27 6000 aac"
  "hevc_2160p30 hevc 2160p 30 2 testsrc2 28 12000 aac"
  "hevc_2160p24 hevc 2160p 24 2 cellauto 29 10000 none"
  "hevc_5k24 hevc 5k 24 2 testsrc2 30 16000 aac"
  # VP9
  "vp9_360p30 vp9 360p 30 3 testsrc2 41 500 opus"
  "vp9_480p30 vp9 480p 30 3 mandel 42 900 opus"
  "vp9_720p30 vp9 720p 30 3 testsrc2 43 2000 opus"
  "vp9_720p60 vp9 720p 60 2 life 44 3000 opus"
  "vp9_1080p30 vp9 1080p 30 3 testsrc2 45 4000 opus"
  "vp9_1080p24 vp9 1080p 24 3 cellauto 46 3500 opus"
  "vp9_2160p30 vp9 2160p 30 2 testsrc2 47 12000 opus"
  "vp9_5k24 vp9 5k 24 2 testsrc2 48 16000 none"
  # AV1
  "av1_360p30 av1-rav1e 360p 30 3 testsrc2 61 400 opus"
  "av1_480p24 av1-aom 480p 24 3 life 62 700 opus"
  "av1_720p30 av1 720p 30 3 testsrc2 63 1500 opus"
  "av1_1080p30 av1 1080p 30 3 mandel 64 3000 opus"
  "av1_1080p60 av1 1080p 60 2 testsrc2 65 4500 opus"
  "av1_2160p30 av1 2160p 30 2 testsrc2 66 10000 opus"
  "av1_2160p24 av1 2160p 24 2 life 67 9000 none"
  "av1_5k24 av1 5k 24 2 testsrc2 68 12000 opus"
)

say "building $corpus (temp $tmp, $jobs_max jobs, nice $nice_level)"
# The long encode is the critical path: it goes first, the short ones share the other slot(s).
spawn long long_job
spawn phone phone_job
for s in "${streams[@]}"; do
  read -r -a f <<<"$s"
  case "${f[1]}" in
    hevc*) has_encoder libx265 || continue ;;
    vp9) has_encoder libvpx-vp9 || continue ;;
    av1*) [[ -n "$av1_default" ]] || continue ;;
  esac
  [[ "${f[8]}" == opus ]] && ((!has_libopus)) && f[8]=none
  spawn "${f[0]}" base_job "${f[@]}"
done
wait

if [[ -s "$failed" ]]; then
  while read -r name; do
    say "job $name failed:"
    for l in "$log_dir/$name.log" "$log_dir/$name"_*.log; do [[ -f "$l" ]] && cat "$l" >&2; done
  done <"$failed"
  die "corpus not built"
fi
rm -rf "$base_dir" "$log_dir"

# --- Manifest ------------------------------------------------------------------------------------
# One row per file (top level, then long/), from ffprobe: container (format_name), the first
# video stream's codec and size, duration (s) and size (bytes).
say "writing MANIFEST.tsv"
{
  printf 'name\tcontainer\tcodec\twidth\theight\tduration\tsize\n'
  (cd "$tmp" && find . -type f ! -name '.*' ! -name MANIFEST.tsv -printf '%P\n' | LC_ALL=C sort) |
    while IFS= read -r rel; do
      "$ffprobe_bin" -v error -select_streams v:0 \
        -show_entries format=format_name,duration,size:stream=codec_name,width,height \
        -of default=noprint_wrappers=1 "$tmp/$rel" >"$tmp/.probe" || die "ffprobe failed on $rel"
      declare -A p=()
      while IFS='=' read -r k val; do p[$k]="$val"; done <"$tmp/.probe"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rel" "${p[format_name]:-}" "${p[codec_name]:-}" \
        "${p[width]:-}" "${p[height]:-}" "${p[duration]:-}" "${p[size]:-}"
      unset p
    done
} >"$tmp/MANIFEST.tsv"
rm -f "$tmp/.probe"

count="$(find "$tmp" -maxdepth 1 -type f ! -name '.*' ! -name MANIFEST.tsv | wc -l)"
bytes="$(du -sb "$tmp" | cut -f1)"

# Into place: one rename, then the marker.
chmod 755 "$tmp"
mv -T "$tmp" "$corpus"
trap - EXIT
touch "$corpus/.complete"

say "done in $((SECONDS - start_s)) s: $count probe files + long/, $((bytes / 1048576)) MiB"
echo "$corpus"

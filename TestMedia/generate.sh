#!/usr/bin/env bash
# Regenerates every test fixture in this folder, byte for byte, then rewrites
# expected.json and the table in README.md from what ffprobe reports.
#
# Needs: bash, ffmpeg + ffprobe (built with libx264, libvpx, libvorbis,
# libmp3lame), python3, coreutils. Tested with FFmpeg 5.1.9 (Debian 12).
# Output is deterministic for a given FFmpeg/x264/libvpx build: every encode is
# single-threaded and bit-exact, and all sources are synthetic (lavfi).
#
# Usage: ./generate.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export LC_ALL=C

for tool in ffmpeg ffprobe python3 head stat; do
    command -v "$tool" >/dev/null || { echo "generate.sh: $tool not found" >&2; exit 1; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

FFMPEG=(ffmpeg -nostdin -hide_banner -loglevel error -y)
# Output options that make encodes and muxing reproducible.
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 -threads 1)
X264=(-c:v libx264 -preset ultrafast -pix_fmt yuv420p -crf 36)
X264_FLAT=(-c:v libx264 -preset ultrafast -pix_fmt yuv420p -crf 51)
AAC=(-c:a aac -b:a 24k)

# ff OUT ARGS... : ffmpeg ARGS + bit-exact output options -> OUT
ff() {
    local out=$1; shift
    "${FFMPEG[@]}" "$@" "${BITEXACT[@]}" "$out"
}

# video OUT WxH FPS SECONDS [EXTRA OUTPUT ARGS...] : testsrc -> H.264, no audio
video() {
    local out=$1 size=$2 rate=$3 secs=$4; shift 4
    ff "$out" -f lavfi -i "testsrc=size=$size:rate=$rate" -t "$secs" "${X264[@]}" "$@"
}

# video_audio OUT WxH FPS SECONDS [EXTRA OUTPUT ARGS...] : testsrc + 440 Hz sine -> H.264 + AAC
video_audio() {
    local out=$1 size=$2 rate=$3 secs=$4; shift 4
    ff "$out" -f lavfi -i "testsrc=size=$size:rate=$rate" \
              -f lavfi -i "sine=frequency=440:sample_rate=44100" \
              -t "$secs" "${X264[@]}" "${AAC[@]}" "$@"
}

# flat OUT WxH FPS SECONDS [EXTRA OUTPUT ARGS...] : flat grey frames -> H.264 at crf 51 (a few KB)
flat() {
    local out=$1 size=$2 rate=$3 secs=$4; shift 4
    ff "$out" -f lavfi -i "color=c=gray:size=$size:rate=$rate" -t "$secs" "${X264_FLAT[@]}" "$@"
}

# remux OUT IN [EXTRA OUTPUT ARGS...] : stream copy
remux() {
    local out=$1 in=$2; shift 2
    ff "$out" -i "$in" -map 0 -c copy "$@"
}

# cut OUT IN PERCENT : keep the first PERCENT % of IN's bytes
cut_to() {
    local out=$1 in=$2 pct=$3 size
    size=$(stat -c %s "$in")
    head -c $(( size * pct / 100 )) "$in" > "$out"
}

# void_mkv_duration FILE : replace the Segment Info Duration element (ID 0x4489)
# with an EBML Void element (ID 0xEC) of the same total length.
void_mkv_duration() {
    python3 - "$1" <<'EOF'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())

def vint(pos, keep_marker=False):
    """Read an EBML variable-length integer; return (value, length)."""
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[pos + 1:pos + length]:
        value = (value << 8) | b
    return value, length

def elements(start, end):
    pos = start
    while pos < end:
        eid, idlen = vint(pos, keep_marker=True)
        size, szlen = vint(pos + idlen)
        if size == (1 << (7 * szlen)) - 1:   # unknown size (live/piped Segment)
            size = end - pos - idlen - szlen
        yield eid, pos, pos + idlen + szlen, pos + idlen + szlen + size
        pos += idlen + szlen + size

done = False
for eid, _, body, end in elements(0, len(data)):
    if eid != 0x18538067:                    # Segment
        continue
    for cid, cstart, cbody, cend in elements(body, end):
        if cid != 0x1549A966:                # Info
            continue
        for did, dstart, _, dend in elements(cbody, cend):
            if did == 0x4489:                # Duration
                total = dend - dstart
                assert 3 <= total <= 128, total
                data[dstart:dend] = bytes([0xEC, 0x80 | (total - 2)]) + bytes(total - 2)
                done = True
        break
    break
if not done:
    sys.exit(f"{path}: no Segment/Info/Duration element found")
open(path, "wb").write(data)
EOF
}

# scribble FILE FROM TO : overwrite bytes [FROM, TO) with a fixed pseudo-random pattern
scribble() {
    python3 - "$@" <<'EOF'
import sys
path, start, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytearray(open(path, "rb").read())
assert 0 <= start < stop <= len(data)
x = 0x2545F491
for i in range(start, stop):                 # xorshift32, seed fixed
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    data[i] = x & 0xFF
open(path, "wb").write(data)
EOF
}

# packet_pos FILE INDEX : byte offset of video packet INDEX (0-based) in FILE
packet_pos() {
    ffprobe -v error -select_streams v:0 -show_entries packet=pos -of csv=p=0 "$1" | sed -n "$(( $2 + 1 ))p"
}

# packet_size FILE INDEX : size in bytes of video packet INDEX (0-based) in FILE
packet_size() {
    ffprobe -v error -select_streams v:0 -show_entries packet=size -of csv=p=0 "$1" | sed -n "$(( $2 + 1 ))p"
}

# packet_flags FILE INDEX : flags of video packet INDEX (0-based) in FILE (K_ for a keyframe)
packet_flags() {
    ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 "$1" | sed -n "$(( $2 + 1 ))p"
}

# scribble_packet FILE INDEX : scribble over the middle 60 % of video packet INDEX (from 1/5
# to 4/5 of its bytes). Its 4-byte NAL length, NAL header and slice header stay intact, and
# so do the packet's size and the container: only decoding the slice data can find it.
scribble_packet() {
    local pos size
    pos=$(packet_pos "$1" "$2")
    size=$(packet_size "$1" "$2")
    scribble "$1" $(( pos + size / 5 )) $(( pos + size * 4 / 5 ))
}

rm -f -- *.mp4 *.mov *.mkv *.webm *.ts *.mp3 *.m4a *.m1v expected.json

# --- baseline and duration ---------------------------------------------------
video_audio ok_640x360_5s.mp4 640x360 10 5
video_audio exact_4s.mp4      640x360 10 4
video       short_3.9s.mp4    640x360 10 3.9
# One frame every 100 s: 72 frames = exactly 7200 s.
flat long_7200s.mp4 360x360 1/100 7200
# One frame every 379 s: 19 frames = exactly 7201 s (7201 = 19 x 379), constant rate.
flat long_7201s.mp4 360x360 1/379 7201

# --- resolution and aspect ratio (stored pixels) --------------------------------
video res_360x360.mp4 360x360 10 5
video res_359x360.mp4 359x360 10 5 -pix_fmt yuv444p   # odd sizes need 4:4:4
video res_360x359.mp4 360x359 10 5 -pix_fmt yuv444p
video aspect_864x360.mp4 864x360 10 5
video aspect_866x360.mp4 866x360 10 5
video aspect_360x864.mp4 360x864 10 5
video aspect_360x866.mp4 360x866 10 5
flat max_5184x2160.mp4  5184x2160 1 5
flat over_5184x2162.mp4 5184x2162 1 5
flat over_5186x2160.mp4 5186x2160 1 5

# --- display transforms ------------------------------------------------------
video "$TMP/landscape.mp4" 640x360 10 5
remux rotate_90.mp4  "$TMP/landscape.mp4" -metadata:s:v:0 rotate=90
remux rotate_270.mp4 "$TMP/landscape.mp4" -metadata:s:v:0 rotate=270
video sar_2_1.mp4 640x360 10 5 -vf setsar=2/1

# --- no real video stream ----------------------------------------------------
# The cover is 640x360 so that counting it as video would pass every other check.
ff "$TMP/cover.png" -f lavfi -i "color=c=red:size=640x360" -frames:v 1 -c:v png
ff cover_art.mp3 -f lavfi -i "sine=frequency=440:sample_rate=44100" -i "$TMP/cover.png" \
   -t 5 -map 0:a -map 1:v -c:a libmp3lame -b:a 32k -c:v copy \
   -disposition:v:0 attached_pic -id3v2_version 3
ff audio_only.m4a -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 5 "${AAC[@]}"

# --- other containers --------------------------------------------------------
video_audio ok.mkv 640x360 10 5
video_audio ok.mov 640x360 10 5
video_audio ok.ts  640x360 10 5 -muxdelay 0 -muxpreload 0   # start at 0, not 1.4 s
ff ok.webm -f lavfi -i "testsrc=size=640x360:rate=10" \
   -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 5 \
   -c:v libvpx -deadline realtime -cpu-used 8 -b:v 100k -c:a libvorbis -b:a 32k

# A WebM as a live recorder writes it: piped (unknown Segment size, no Cues),
# and with the Segment Duration blanked out by an EBML Void.
ff pipe:1 -f lavfi -i "testsrc=size=640x360:rate=10" -t 5 \
   -c:v libvpx -deadline realtime -cpu-used 8 -b:v 100k -f webm > webm_no_duration.webm
void_mkv_duration webm_no_duration.webm

# Raw MPEG-1 video elementary stream: no timestamps, so libavformat estimates
# the duration as file size / header bit rate (20 kb/s): 5.3568 s for 5 s of video.
ff estimated_duration.m1v -f lavfi -i "smptebars=size=640x360:rate=25" -t 5 \
   -c:v mpeg1video -g 250 -q:v 10 -b:v 20k -maxrate 20k -bufsize 2000k -f mpeg1video

# --- broken files ------------------------------------------------------------
video "$TMP/faststart.mp4" 640x360 10 5 -movflags +faststart
cut_to truncated_faststart.mp4 "$TMP/faststart.mp4" 30
video "$TMP/moov_at_end.mp4" 640x360 10 5
cut_to truncated_nofaststart.mp4 "$TMP/moov_at_end.mp4" 50
printf 'This is a text file, not a video.\nIt only has an .mp4 name.\n' > text.mp4
: > empty.mp4
# H.264 stored under the unregistered sample entry 'XXXX': no decoder, but the
# MOV sample description still carries width and height.
remux unknown_codec.mov "$TMP/landscape.mp4" -tag:v XXXX -strict unofficial
# Intact container (moov at end); video packets 5..44 of 50 overwritten.
cp "$TMP/landscape.mp4" corrupt_payload.mp4
scribble corrupt_payload.mp4 "$(packet_pos corrupt_payload.mp4 5)" "$(packet_pos corrupt_payload.mp4 45)"
# A keyframe every 10 frames (packets 0, 10, 20, 30, 40; no B-frames at ultrafast). One
# damaged keyframe (packet 20, t = 2.0 s) or one damaged P frame (packet 25, t = 2.5 s).
video "$TMP/gop10.mp4" 640x360 10 5 -g 10
[[ $(packet_flags "$TMP/gop10.mp4" 20) == K* && $(packet_flags "$TMP/gop10.mp4" 25) != K* ]] ||
    { echo "generate.sh: gop10.mp4: packet 20 is not a keyframe or packet 25 is one" >&2; exit 1; }
cp "$TMP/gop10.mp4" damaged_keyframe.mp4
scribble_packet damaged_keyframe.mp4 20
cp "$TMP/gop10.mp4" damaged_nonkey.mp4
scribble_packet damaged_nonkey.mp4 25

# --- advisory warnings -------------------------------------------------------
# 10 fps for the first 2.5 s, then 30 fps.
video vfr.mp4 640x360 30 5 -vf "select='gte(t\,2.5)+not(mod(n\,3))'" -fps_mode vfr
video interlaced.mp4 640x360 25 5 -flags:v +ildct+ilme -x264-params tff=1
video hdr_pq.mp4 640x360 10 5 -pix_fmt yuv420p10le \
      -color_trc smpte2084 -color_primaries bt2020 -colorspace bt2020nc
video start_offset.ts 640x360 10 5 -output_ts_offset 10 -muxdelay 0 -muxpreload 0
# In MP4 the 10 s offset becomes an empty edit: start_time 10, duration 15.
video start_offset.mp4 640x360 10 5 -output_ts_offset 10
video fps_2.mp4 640x360 2 5

# --- expectations ------------------------------------------------------------
# file | what it exercises | quick verdict | violations | warnings | deep check:
# full decode | keyframes only | packets only (lists are comma-separated; each deep
# column is pass, truncated, decode_failed or n/a)
cat > "$TMP/manifest" <<'EOF'
ok_640x360_5s.mp4|baseline: H.264 + AAC, 5 s, 10 fps|pass|||pass|pass|pass
exact_4s.mp4|duration exactly at the 4 s minimum (with AAC)|pass|||pass|pass|pass
short_3.9s.mp4|duration just below 4 s|fail|duration_too_short||pass|pass|pass
long_7200s.mp4|duration exactly at the 7200 s maximum (1 frame / 100 s)|pass||unusual_frame_rate|pass|pass|pass
long_7201s.mp4|duration 1 s over the maximum (1 frame / 379 s)|fail|duration_too_long|unusual_frame_rate|pass|pass|pass
res_360x360.mp4|both sides at the 360 px minimum|pass|||pass|pass|pass
res_359x360.mp4|width 1 px below minimum (4:4:4, odd width)|fail|resolution_too_small||pass|pass|pass
res_360x359.mp4|height 1 px below minimum (4:4:4, odd height)|fail|resolution_too_small||pass|pass|pass
aspect_864x360.mp4|aspect exactly 2.4:1|pass|||pass|pass|pass
aspect_866x360.mp4|aspect just above 2.4:1|fail|aspect_ratio_out_of_range||pass|pass|pass
aspect_360x864.mp4|aspect exactly 1:2.4|pass|||pass|pass|pass
aspect_360x866.mp4|aspect just below 1:2.4|fail|aspect_ratio_out_of_range||pass|pass|pass
max_5184x2160.mp4|largest allowed size (also 2.4:1), 1 fps|pass||unusual_frame_rate|pass|pass|pass
over_5184x2162.mp4|short side 2 px over 2160 (aspect 2.398 fine), 1 fps|fail|resolution_too_large|unusual_frame_rate|pass|pass|pass
over_5186x2160.mp4|long side 2 px over 5184 and aspect over 2.4, 1 fps|fail|resolution_too_large,aspect_ratio_out_of_range|unusual_frame_rate|pass|pass|pass
rotate_90.mp4|rotate=90 tag: FFmpeg 5.1 stores a 90° counter-clockwise matrix (tl: rotation_degrees 270 clockwise); 360x640 displayed|pass|||pass|pass|pass
rotate_270.mp4|rotate=270 tag: matrix -90° counter-clockwise (tl: rotation_degrees 90 clockwise); 360x640 displayed|pass|||pass|pass|pass
sar_2_1.mp4|SAR 2:1, 640x360 stored, 1280x360 displayed|pass||non_square_pixels|pass|pass|pass
cover_art.mp3|MP3 with a 640x360 PNG attached picture only|fail|no_video_stream||n/a|n/a|n/a
audio_only.m4a|AAC audio, no video stream|fail|no_video_stream||n/a|n/a|n/a
ok.mkv|Matroska, H.264 + AAC|pass|||pass|pass|pass
ok.mov|QuickTime, H.264 + AAC|pass|||pass|pass|pass
ok.ts|MPEG-TS, H.264 + AAC, start 0 (-muxdelay 0)|pass|||pass|pass|pass
ok.webm|WebM, VP8 + Vorbis|pass|||pass|pass|pass
webm_no_duration.webm|piped WebM, Segment Duration voided: duration only by reading packets|pass|||pass|pass|pass
estimated_duration.m1v|raw MPEG-1 video: FFmpeg estimates 5.36 s from the bit rate; the probe's packet scan recovers 5.00 s (duration_estimated only with the scan off)|pass|||pass|pass|pass
truncated_faststart.mp4|faststart MP4 cut at 30 %: header claims all 50 frames|pass|||truncated|truncated|truncated
truncated_nofaststart.mp4|MP4 cut at 50 % before its moov|fail|not_media||n/a|n/a|n/a
text.mp4|plain text named .mp4|fail|not_media||n/a|n/a|n/a
empty.mp4|zero bytes|fail|empty_file||n/a|n/a|n/a
unknown_codec.mov|H.264 under unknown sample entry XXXX: no decoder|fail|unsupported_codec||n/a|n/a|pass
corrupt_payload.mp4|container intact, video packets 5-44 of 50 overwritten|pass|||decode_failed|pass|pass
damaged_keyframe.mp4|container intact, slice data of video packet 20 of 50 (keyframe 3 of 5, 2.0 s) overwritten|pass|||decode_failed|decode_failed|pass
damaged_nonkey.mp4|container intact, slice data of video packet 25 of 50 (a P frame, 2.5 s) overwritten; keyframes intact|pass|||decode_failed|pass|pass
vfr.mp4|10 fps for 2.5 s then 30 fps (r_frame_rate 30, avg 20)|pass||variable_frame_rate|pass|pass|pass
interlaced.mp4|interlaced H.264, top field first|pass||interlaced|pass|pass|pass
hdr_pq.mp4|10-bit, PQ (smpte2084) transfer, BT.2020|pass||hdr_transfer|pass|pass|pass
start_offset.ts|MPEG-TS starting at 10 s|pass||nonzero_start_time|pass|pass|pass
start_offset.mp4|MP4 with a 10 s empty edit: start 10 s, duration 15 s|pass||nonzero_start_time|pass|pass|pass
fps_2.mp4|2 fps|pass||unusual_frame_rate|pass|pass|pass
EOF

python3 - "$TMP/manifest" <<'EOF'
import json, os, re, subprocess, sys
from fractions import Fraction

def probe(path):
    r = subprocess.run(["ffprobe", "-v", "quiet", "-show_format", "-show_streams", "-of", "json", path],
                       capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None

def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None

def rate(text):
    try:
        f = Fraction(text)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(float(f), 6) if f else None

rows, listed = [], set()
for line in open(sys.argv[1]):
    name, what, verdict, violations, warnings, deep, deep_keyframes, deep_packets = line.rstrip("\n").split("|")
    listed.add(name)
    info = probe(name) or {}
    fmt, streams = info.get("format", {}), info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    rotation = sar = None
    if video:
        rotation = next((int(d["rotation"]) for d in video.get("side_data_list", []) if "rotation" in d), 0)
        m = re.fullmatch(r"(\d+):(\d+)", video.get("sample_aspect_ratio", ""))
        sar = (int(m[1]), int(m[2])) if m else (0, 1)   # ffprobe omits an unknown SAR
    rows.append({
        "file": name,
        "exercises": what,
        "container": fmt.get("format_name"),
        "video_codec": video.get("codec_name", "unknown") if video else None,
        "width": video.get("width") if video else None,
        "height": video.get("height") if video else None,
        "rotation": rotation,
        "sar_num": sar[0] if sar else None,
        "sar_den": sar[1] if sar else None,
        "duration_seconds": number(fmt.get("duration")),
        "start_time_seconds": number(fmt.get("start_time")),
        "audio_streams": sum(s.get("codec_type") == "audio" for s in streams) if info else None,
        "size_bytes": os.path.getsize(name),
        "frame_rate": rate(video.get("avg_frame_rate")) if video else None,
        "verdict": verdict,
        "violations": [v for v in violations.split(",") if v],
        "warnings": [w for w in warnings.split(",") if w],
        "deep": deep,
        "deep_keyframes": deep_keyframes,
        "deep_packets": deep_packets,
        "_duration_text": fmt.get("duration", "N/A") if info else None,
    })

exts = (".mp4", ".mov", ".mkv", ".webm", ".ts", ".mp3", ".m4a", ".m1v")
media = {f for f in os.listdir(".") if f.endswith(exts)}
if media != listed:
    sys.exit(f"manifest and folder differ: {sorted(media ^ listed)}")

def cell(v):
    return "–" if v is None or v == [] else ", ".join(v) if isinstance(v, list) else str(v)

table = ["| file | exercises | container | codec | coded WxH | rotation | SAR | duration (s) | audio | bytes | fps (avg) | quick verdict | warnings | deep | deep keyframes | deep packets |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    size = f"{r['width']}x{r['height']}" if r["width"] is not None else None
    sar = f"{r['sar_num']}:{r['sar_den']}" if r["sar_num"] is not None else None
    verdict = r["verdict"] + (": " + ", ".join(f"`{v}`" for v in r["violations"]) if r["violations"] else "")
    warn = ", ".join(f"`{w}`" for w in r["warnings"]) or None
    table.append("| " + " | ".join(cell(v) for v in [
        f"`{r['file']}`", r["exercises"], r["container"], r["video_codec"], size, r["rotation"], sar,
        r["_duration_text"], r["audio_streams"], r["size_bytes"], r["frame_rate"], verdict, warn, r["deep"], r["deep_keyframes"], r["deep_packets"]]) + " |")

for r in rows:
    del r["_duration_text"]
with open("expected.json", "w") as f:
    json.dump(rows, f, indent=2)
    f.write("\n")

begin, end = "<!-- BEGIN TABLE (generated by generate.sh) -->", "<!-- END TABLE -->"
if os.path.exists("README.md"):
    text = open("README.md").read()
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + begin + "\n" + "\n".join(table) + "\n" + end + rest.split(end, 1)[1]
        open("README.md", "w").write(text)
print(f"{len(rows)} fixtures, {sum(r['size_bytes'] for r in rows)} bytes")
EOF

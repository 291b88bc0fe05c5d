#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/Corpus/<Harness>/ (committed; run again after changing it).

Probe seeds are TestMedia files (prefixes of at most 64 KiB) plus a few tiny containers made
with ffmpeg when it is installed; the other seeds are literal bodies and headers from the tests.
"""
import hashlib, hmac, os, re, shutil, struct, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "Fuzz", "Corpus")


def put(harness, name, data):
    folder = os.path.join(corpus, harness)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def media(name, limit=65536):
    with open(os.path.join(root, "TestMedia", name), "rb") as f:
        return f.read(limit)


for harness in ("FuzzProbe", "FuzzProbeIO", "FuzzMultipart", "FuzzSignature", "FuzzWire"):
    shutil.rmtree(os.path.join(corpus, harness), ignore_errors=True)

# The probe: real files of each container the tests use.
probe_files = [
    "ok.ts", "start_offset.ts", "ok.webm", "webm_no_duration.webm", "ok.mkv", "ok.mov", "vfr.mp4",
    "rotate_90.mp4", "hdr_pq.mp4", "sar_2_1.mp4", "unknown_codec.mov", "cover_art.mp3", "audio_only.m4a",
    "truncated_nofaststart.mp4", "truncated_faststart.mp4", "estimated_duration.m1v", "long_7200s.mp4",
    "text.mp4", "interlaced.mp4", "fps_2.mp4",
]
for name in probe_files:
    put("FuzzProbe", name, media(name))

# Tiny containers the test media lack, made here when ffmpeg is installed.
made = {}
if shutil.which("ffmpeg"):
    with tempfile.TemporaryDirectory() as tmp:
        for ext, extra in [("avi", []), ("flv", []), ("nut", []), ("mxf", ["-c:v", "mpeg2video", "-r", "25"]),
                           ("ivf", ["-c:v", "libvpx-vp9"]), ("y4m", ["-pix_fmt", "yuv420p"]), ("mpg", ["-c:v", "mpeg2video"]),
                           ("h264", ["-c:v", "libx264"]), ("ogv", ["-c:v", "libtheora"]), ("wmv", [])]:
            out = os.path.join(tmp, "tiny." + ext)
            command = ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5:duration=0.6",
                       *extra, "-y", out]
            if subprocess.run(command).returncode == 0:
                with open(out, "rb") as f:
                    made[ext] = f.read(65536)
for ext, data in made.items():
    put("FuzzProbe", "tiny." + ext, data)


def trailer(buffer, flags, max_read, declared):
    return struct.pack("<IBHBq", buffer, flags, max_read, 0, declared)


# The probe over misbehaving I/O: a few of the same files (32 KiB prefixes) with trailers.
io_cases = [
    ("ok.ts", trailer(0, 0, 0, 0)),                      # not seekable
    ("ok.mkv", trailer(4096, 1, 7, 0)),                  # seekable, 7-byte reads
    ("ok.mov", trailer(512, 1 | 2, 0, 1 << 40)),         # seekable, claims 1 TiB
    ("vfr.mp4", trailer(0, 1 | 2, 0, -1)),               # seekable, size unknown
    ("truncated_nofaststart.mp4", trailer(100, 1 | 4, 33, 0)),  # seeks do not move the data
    ("ok.webm", trailer(64, 0, 1, 0)),                   # not seekable, 1-byte reads
    ("start_offset.ts", trailer(2048, 1 | 2, 0, 1000)),  # claims 1000 bytes
    ("cover_art.mp3", trailer(0, 1, 0, 0)),
]
for name, tail in io_cases:
    put("FuzzProbeIO", name, media(name, 32768) + tail)
if "avi" in made:
    put("FuzzProbeIO", "tiny.avi", made["avi"] + trailer(1000, 1 | 2, 5, 300))


def swift_literals(path):
    """Multi-line and raw string literals of a Swift test file, without interpolations."""
    text = open(os.path.join(root, path), encoding="utf-8").read()
    found = []
    for match in re.finditer(r'"""\n(.*?)\n([ \t]*)"""', text, re.S):
        body, indent = match.group(1), match.group(2)
        lines = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in body.split("\n")]
        found.append("\n".join(lines))
    for match in re.finditer(r'#"(.*?)"#', text):
        found.append(match.group(1).replace('\\#', '#'))
    return [s for s in found if "\\(" not in s]


# The wire decoders: every JSON literal of the wire and batch tests.
seen = set()
for path in ["Tests/AnalyzeAPITests/WireGoldenTests.swift", "Tests/AnalyzeAPITests/BatchTests.swift",
             "Tests/AnalyzeAPITests/AssetClientTests.swift", "Tests/AnalyzeAPITests/WaitTests.swift",
             "Tests/AnalyzeAPITests/FaultTests.swift"]:
    if not os.path.exists(os.path.join(root, path)):
        continue
    for literal in swift_literals(path):
        stripped = literal.strip()
        if not stripped or stripped[0] not in "{[" or stripped in seen:
            continue
        seen.add(stripped)
        put("FuzzWire", hashlib.sha1(stripped.encode()).hexdigest()[:12] + ".json", stripped.encode())

# The signature: control byte 0 (the tests' clock, 5 minutes' tolerance), header, newline, body.
secret = b"whsec_test_3f9a"
body = b'{"id":"evt_1","created_at":"2026-12-01T12:00:00Z","type":"analyze.task.ready","data":{"id":"t1","status":"ready"}}'
t = 1764590400
mac = hmac.new(secret, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
zeros = "0" * 64
headers = {
    "valid": f"t={t},v1={mac}",
    "rotated": f"t={t}, v0=abc, v1={zeros}, v1={mac.upper()}",
    "stale": f"t={t - 301},v1={mac}",
    "mismatch": f"t={t},v1={zeros}",
    "malformed_v1": f"t={t},v1=xyz",
    "no_t": f"v1={mac}",
    "t_only": f"t={t}",
    "bad_t": f"t=abc,v1={zeros}",
    "empty": "",
}
for name, header in headers.items():
    put("FuzzSignature", name, b"\x00" + header.encode() + b"\n" + body)
put("FuzzSignature", "epoch_clock", b"\x03" + f"t=9223372036854775807,v1={zeros}".encode() + b"\n{}")

# The multipart parser: boundary length byte (length - 1) and boundary, chunk-size count and
# sizes, then the body (the tests' tricky body).
tricky = b"\r\n--Xy\r\n-\r\n--XyQ\r\n\r\n" + bytes([0, 255, 13, 13, 10, 45])
form = (b'preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="x;y.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
        + tricky + b"\r\n--XyZ\t \r\nContent-Disposition: form-data; name=method\r\n\r\ndirect\r\n--XyZ--ignored epilogue --XyZ")
simple = (b'--b\r\nContent-Disposition: form-data; name="method"\r\n\r\ndirect\r\n--b\r\n'
          b'Content-Disposition: form-data; name="file"; filename="a.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
          + b"\x00\x00\x00\x18ftypmp42" + b"\r\n--b--\r\n")


def multipart(boundary, sizes, data):
    return bytes([len(boundary) - 1]) + boundary + bytes([len(sizes) - 1]) + bytes(s - 1 for s in sizes) + data


put("FuzzMultipart", "tricky_1", multipart(b"XyZ", [1], form))
put("FuzzMultipart", "tricky_7_3", multipart(b"XyZ", [7, 3], form))
put("FuzzMultipart", "tricky_whole", multipart(b"XyZ", [256], form))
put("FuzzMultipart", "simple_2", multipart(b"b", [2, 5, 1], simple))
put("FuzzMultipart", "truncated", multipart(b"b", [4], simple[:-6]))
put("FuzzMultipart", "no_disposition", multipart(b"b", [3], b"--b\r\nContent-Type: x\r\n\r\nabc\r\n--b--"))

total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(corpus) for f in fs)
print(f"seed corpora written: {total} bytes")

#!/usr/bin/env python3
"""Times a PyAV probe of media files: the comparison point for our in-process probe.

Usage: python pyav_probe.py [--repeat N] FILE...

The probe of one file is what a PyAV user would write to learn a file's streams: open it, read
each stream's type, codec, size, frame rate and duration, read the container's duration, close.
It is timed with time.perf_counter_ns. One uncounted open of the first file comes first (it
warms the libraries and the page cache of the dynamic loader). With --repeat N the files are
probed in N passes (passes outer, files inner) and each file's figure is its fastest pass.

Prints one JSON object on stdout:
  {"pyav": ..., "ffmpeg": ..., "files": N, "per_file_ms": [...in input order...],
   "median_ms": ..., "p90_ms": ..., "total_s": ...}
A file that fails to open or probe gets null in per_file_ms (its error goes to stderr) and is
left out of median, p90 and total; total_s is the sum of the per-file figures.
Run it with the interpreter of scripts/bench-pyav-env.sh.
"""

import argparse
import json
import math
import statistics
import sys
import time

import av


def probe(path):
    """The timed work: open, read the stream facts and the duration, close.

    Width, height and average_rate exist only on video streams in PyAV 18 (an audio stream
    raises AttributeError for them), so other streams read them as None.
    """
    c = av.open(path)
    try:
        facts = []
        for s in c.streams:
            cc = s.codec_context
            facts.append((
                s.type,
                cc.name if cc is not None else None,
                getattr(cc, "width", None),
                getattr(cc, "height", None),
                getattr(s, "average_rate", None),
                s.duration,
            ))
        duration = c.duration
    finally:
        c.close()
    return facts, duration


def ffmpeg_version():
    """The FFmpeg version PyAV was built against, as a string, when this PyAV says it."""
    info = getattr(av, "ffmpeg_version_info", None)
    if info:
        return str(info)
    versions = getattr(av, "library_versions", None)
    if versions:
        return ", ".join(f"{lib} {'.'.join(map(str, v))}" for lib, v in sorted(versions.items()))
    return None


def percentile(sorted_values, q):
    """Nearest-rank percentile (q in 0..100) of an ascending, non-empty list."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time a PyAV probe of each FILE.")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="passes over the files; each file's figure is its fastest (default 1)")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    # Warm-up: not counted, and a failure here only means the first file fails below too.
    try:
        probe(args.files[0])
    except Exception:  # noqa: BLE001 - any PyAV error; the timed pass reports it
        pass

    best_ns = [None] * len(args.files)   # fastest pass per file; stays None once a file failed
    failed = [False] * len(args.files)
    for _ in range(args.repeat):
        for i, path in enumerate(args.files):
            if failed[i]:
                continue
            start = time.perf_counter_ns()
            try:
                probe(path)
            except Exception as e:  # noqa: BLE001 - record null for this file and go on
                failed[i] = True
                best_ns[i] = None
                print(f"pyav_probe: {path}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            elapsed = time.perf_counter_ns() - start
            if best_ns[i] is None or elapsed < best_ns[i]:
                best_ns[i] = elapsed

    per_file_ms = [None if ns is None else ns / 1e6 for ns in best_ns]
    ok = sorted(ms for ms in per_file_ms if ms is not None)
    result = {
        "pyav": av.__version__,
        "ffmpeg": ffmpeg_version(),
        "files": len(args.files),
        "per_file_ms": [None if ms is None else round(ms, 4) for ms in per_file_ms],
        "median_ms": round(statistics.median(ok), 4) if ok else None,
        "p90_ms": round(percentile(ok, 90), 4) if ok else None,
        "total_s": round(sum(ok) / 1e3, 6),
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

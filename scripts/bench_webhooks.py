#!/usr/bin/env python3
"""Load test of `tl webhooks listen` on loopback (make bench, section 7).

Sends signed webhook deliveries at a fixed rate for a fixed time, mixed with invalid ones (a wrong
signature, a stale timestamp, no signature, a body that is not JSON), over a pool of kept-alive
connections, and measures each answer's latency from the moment it was *scheduled* (not sent), so a
listener that falls behind shows in the figures instead of slowing the load down. Then it stops the
listener and checks its output: every valid event printed exactly once, no invalid one printed.

Usage: bench_webhooks.py TL_BINARY [--rates 500,1000,2000] [--seconds 10] [--connections 32]
                                   [--invalid-share 0.1]
Prints one line per rate and a JSON summary on the last line. Exits 1 when a check fails.
"""
import argparse
import asyncio
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

SECRET = "whsec_bench_77c1"


def signed(body: bytes, t: int, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def deliveries(rate: int, seconds: int, invalid_share: float, tag: str):
    """(body, signature header or None, valid?) for every scheduled slot, signed now."""
    now = int(time.time())
    out = []
    total = rate * seconds
    every = max(1, round(1 / invalid_share)) if invalid_share > 0 else 0
    for n in range(total):
        event_id = f"evt_{tag}_{n}"
        body = json.dumps({"id": event_id, "type": "analyze.task.ready",
                           "data": {"id": f"task_{n}", "status": "ready"}}, separators=(",", ":")).encode()
        if every and n % every == every - 1:
            kind = (n // every) % 4
            if kind == 0:
                out.append((body, signed(body, now, "whsec_wrong"), False))
            elif kind == 1:
                out.append((body, signed(body, now - 3600), False))
            elif kind == 2:
                out.append((body, None, False))
            else:
                junk = b"not json " + event_id.encode()
                out.append((junk, signed(junk, now), False))
        else:
            out.append((body, signed(body, now), True))
    return out


async def read_response(reader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    match = re.search(rb"(?i)content-length:\s*(\d+)", head)
    if match:
        await reader.readexactly(int(match.group(1)))
    return status


async def run_rate(port: int, rate: int, seconds: int, connections: int, invalid_share: float, tag: str):
    plan = deliveries(rate, seconds, invalid_share, tag)
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies, statuses, failures = [], {}, 0
    start = time.perf_counter() + 0.2

    async def one(index: int, body: bytes, signature):
        nonlocal failures
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        reader, writer = await pool.get()
        try:
            headers = f"POST / HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            if signature:
                headers += f"TL-Signature: {signature}\r\n"
            writer.write(headers.encode() + b"\r\n" + body)
            status = await read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(time.perf_counter() - scheduled)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            failures += 1
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            pool.put_nowait((reader, writer))

    await asyncio.gather(*(one(i, body, sig) for i, (body, sig, _) in enumerate(plan)))
    elapsed = time.perf_counter() - start
    while not pool.empty():
        _, writer = pool.get_nowait()
        writer.close()
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    valid = [json.loads(b)["id"] for b, _, ok in plan if ok]
    return {
        "rate": rate, "seconds": seconds, "sent": len(plan), "valid": len(valid), "invalid": len(plan) - len(valid),
        "held_per_second": round(len(latencies) / elapsed, 1), "statuses": statuses, "failures": failures,
        "p50_ms": round(pct(0.50), 2), "p99_ms": round(pct(0.99), 2), "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "expected_ids": valid,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tl")
    parser.add_argument("--rates", default="500,1000,2000")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--invalid-share", type=float, default=0.1)
    args = parser.parse_args()

    out = tempfile.NamedTemporaryFile(prefix="tl-webhooks-bench-", suffix=".jsonl", delete=False)
    err = tempfile.NamedTemporaryFile(prefix="tl-webhooks-bench-", suffix=".err", delete=False)
    env = dict(os.environ, TWELVE_LABS_WEBHOOK_SECRET=SECRET)
    listener = subprocess.Popen([args.tl, "webhooks", "listen", "--port", "0",
                                 "--max-connections", str(args.connections * 2)],
                                stdout=out, stderr=err, env=env)
    port = None
    for _ in range(200):
        time.sleep(0.05)
        text = open(err.name).read()
        match = re.search(r"127\.0\.0\.1:(\d+)/", text)
        if match:
            port = int(match.group(1))
            break
    if port is None:
        listener.kill()
        sys.exit(f"bench_webhooks: the listener did not start: {open(err.name).read()}")

    results, ok = [], True
    for k, rate in enumerate(int(r) for r in args.rates.split(",")):
        results.append(asyncio.run(run_rate(port, rate, args.seconds, args.connections, args.invalid_share, f"r{k}")))
    time.sleep(0.5)
    listener.send_signal(signal.SIGTERM)
    status = listener.wait(timeout=30)

    printed = [json.loads(line)["id"] for line in open(out.name) if line.strip()]
    printed_set = set(printed)
    expected = [i for r in results for i in r.pop("expected_ids")]
    duplicates = len(printed) - len(printed_set)
    missing = len(set(expected) - printed_set)
    extra = len(printed_set - set(expected))
    for r in results:
        refused = sum(v for k, v in r["statuses"].items() if k != 200)
        good = r["statuses"].get(200, 0) == r["valid"] and refused == r["invalid"] and r["failures"] == 0
        ok = ok and good
        print(f"rate {r['rate']}/s for {r['seconds']} s: held {r['held_per_second']}/s, p50 {r['p50_ms']} ms, "
              f"p99 {r['p99_ms']} ms, max {r['max_ms']} ms, statuses {r['statuses']}, failures {r['failures']}"
              f"{'' if good else '  <-- CHECK FAILED'}")
    print(f"printed {len(printed)} events: {duplicates} twice, {missing} valid ones missing, {extra} not valid; "
          f"listener exit {status}")
    ok = ok and duplicates == 0 and missing == 0 and extra == 0 and status == 0
    print(json.dumps({"results": results, "printed": len(printed), "duplicates": duplicates, "missing": missing,
                      "extra": extra, "listener_exit": status, "ok": ok}))
    for f in (out.name, err.name):
        os.unlink(f)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""The ingest benchmark behind `make bench` (section 6 of scripts/bench.sh; BENCHMARKS.md has the figures).

    python3 scripts/bench_ingest.py TL SDK_PYTHON [POSTGRES_URL]

1. Corpora of distinct small videos (TestMedia/ok_640x360_5s.mp4 with a unique tail each, so every file is
   its own item): 1,000 and 10,000 files.
2. For each journal (SQLite, and PostgreSQL when a URL is given) and each corpus: one `tl ingest run` with one
   prompt and `--concurrency 16` (PostgreSQL's 10,000 files also at 32) against a `tl sandbox` child with the
   fast lifecycle (0 s queued/pending/processing). Reported:
   items/s end to end (files / wall time of the run), journal time per item (the run's own meters: the
   database's time in transactions / files, and the time items spent waiting on the journal in all), the
   run's peak RSS (getrusage of the child), the journal's size, and the CPU per item of `tl`, the sandbox and
   (when it runs on this machine) PostgreSQL.
3. 200 files: `tl ingest` against a plain sequential loop with the official Python SDK (for each file: create
   a base64 task, poll it every 0.1 s until it is finished), against the same sandbox; the ratio of wall times.
   The target is judged with tasks that take 2 s to process (the platform's take minutes): what a user waits
   for. The same with tasks ready at once is printed beside it as each file's cost, not as the target.
Prints one JSON object per measurement and a summary with each target beside its figure.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

TL, SDK_PYTHON = sys.argv[1], sys.argv[2]
POSTGRES = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = open(os.path.join(REPO, "TestMedia", "ok_640x360_5s.mp4"), "rb").read()
KEY = "bench-ingest-key"


def corpus(root, count):
    folder = os.path.join(root, f"corpus{count}")
    os.makedirs(folder)
    for index in range(count):
        with open(os.path.join(folder, f"v{index:05d}.mp4"), "wb") as f:
            f.write(SAMPLE + f"vp-bench-{index}".encode())
    return folder


def start_sandbox(processing="0"):
    process = subprocess.Popen([TL, "sandbox", "--port", "0", "--quiet", "--api-key", KEY, "--queued", "0", "--pending", "0",
                                "--processing", processing, "--asset-processing", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = process.stdout.readline().strip()
    return process, base


def child_peak_rss_kib(run):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = run()
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return result, after if after > before else None


def measure_python_peak(args, env):
    """Runs args in a fresh Python process that reports its child's peak RSS (RUSAGE_CHILDREN is a maximum over
    every child so far, so each measurement gets a process of its own)."""
    code = ("import resource,subprocess,sys,json,time;t=time.monotonic();"
            "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
            "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
            "print(json.dumps({'status':p.returncode,'out':p.stdout,'err':p.stderr[-2000:],'seconds':time.monotonic()-t,"
            "'rss_kib':u.ru_maxrss,'cpu_seconds':u.ru_utime+u.ru_stime}))")
    out = subprocess.run([sys.executable, "-c", code] + args, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def process_cpu_seconds(pid):
    """User plus system CPU seconds of a running process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds():
    """CPU seconds of this machine's PostgreSQL so far: every postgres process's own, plus what the postmaster's
    ended children (the connections' backends) spent. None when no PostgreSQL runs here."""
    total, found = 0.0, False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if not f.read().startswith("postgres"):
                    continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found = True
        total += sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total if found else None


def journal_size(location):
    if location.startswith("postgres"):
        out = subprocess.run(["psql", location.replace("?sslmode=disable", ""), "-qtAc", "SELECT pg_database_size(current_database())"],
                             capture_output=True, text=True, env=dict(os.environ, PGPASSWORD=os.environ.get("PGPASSWORD", "")))
        return int(out.stdout.strip() or 0)
    return sum(os.path.getsize(location + suffix) for suffix in ("", "-wal", "-shm") if os.path.exists(location + suffix))


def fresh_postgres(root_url, name):
    admin = root_url.replace("?sslmode=disable", "")
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], capture_output=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    head, _, _ = root_url.partition("?")
    return head.rsplit("/", 1)[0] + "/" + name + "?sslmode=disable"


def ingest(folder, journal, env, concurrency=16):
    args = [TL, "ingest", "run", folder, "--prompt", "Summarise the video.", "--journal", journal, "--concurrency", str(concurrency),
            "--poll-seconds", "0.05", "-f", "json", "--quiet"]
    result = measure_python_peak(args, env)
    if result["status"] != 0:
        raise SystemExit(f"tl ingest failed ({result['status']}): {result['err']}")
    report = json.loads(result["out"])
    return result, report


def main():
    root = tempfile.mkdtemp(prefix="vp-bench-ingest-")
    sandbox, base = start_sandbox()
    env = dict(os.environ, TWELVE_LABS_API_KEY=KEY, TWELVELABS_BASE_URL=base)
    results = []
    try:
        corpora = {count: corpus(root, count) for count in (1000, 10000)}
        def journal(kind, name):
            return fresh_postgres(POSTGRES, f"tl_bench_{name}") if kind == "postgres" else os.path.join(root, f"journal-{name}.sqlite")

        # Every journal at --concurrency 16; PostgreSQL's 10,000 files also at 32, since its round trips take
        # longer and 16 items in flight leave the cores partly idle (BENCHMARKS.md).
        kinds = ["sqlite"] + (["postgres"] if POSTGRES else [])
        runs = [(kind, count, 16) for kind in kinds for count in corpora] + ([("postgres", 10000, 32)] if POSTGRES else [])
        for kind, count, concurrency in runs:
            folder = corpora[count]
            location = journal(kind, count if concurrency == 16 else f"{count}_c{concurrency}")
            sandbox_cpu, database_cpu = process_cpu_seconds(sandbox.pid), postgres_cpu_seconds() if kind == "postgres" else None
            run, report = ingest(folder, location, env, concurrency)
            sandbox_cpu = process_cpu_seconds(sandbox.pid) - sandbox_cpu
            if database_cpu is not None:
                database_cpu = postgres_cpu_seconds() - database_cpu
            done = report["items"]["done"]
            journal_cpu = report["run"].get("journal_cpu_seconds")
            row = {"journal": kind, "files": count, "concurrency": concurrency, "done": done, "seconds": round(run["seconds"], 2),
                   "items_per_second": round(count / run["seconds"], 1),
                   "tl_cpu_ms_per_item": round(1000 * run["cpu_seconds"] / count, 2),
                   "sandbox_cpu_ms_per_item": round(1000 * sandbox_cpu / count, 2),
                   "postgres_cpu_ms_per_item": None if database_cpu is None else round(1000 * database_cpu / count, 2),
                   "journal_cpu_ms_per_item": None if journal_cpu is None else round(1000 * journal_cpu / count, 3),
                   "journal_ms_per_item": round(1000 * report["run"]["journal_busy_seconds"] / count, 3),
                   "journal_wait_ms_per_item": round(1000 * report["run"]["journal_seconds"] / count, 3),
                   "journal_commits_per_item": round(report["run"]["journal_commits"] / count, 2),
                   "journal_transactions_per_item": round(report["run"]["journal_transactions"] / count, 2),
                   "peak_rss_mb": round(run["rss_kib"] / 1024, 1), "journal_bytes": journal_size(location)}
            print(json.dumps(row), flush=True)
            results.append(row)
        # tl ingest against the official SDK's sequential loop, 200 files, the same sandbox: tasks ready at once
        # (what each costs), then tasks that take 2 s to process (what waiting costs, as on the platform).
        small = os.path.join(root, "corpus200")
        os.makedirs(small)
        for name in sorted(os.listdir(corpora[1000]))[:200]:
            os.link(os.path.join(corpora[1000], name), os.path.join(small, name))
        for processing in ("0", "2"):
            if processing != "0":
                sandbox.terminate()
                sandbox.wait()
                sandbox, base = start_sandbox(processing)
                env = dict(env, TWELVELABS_BASE_URL=base)
            run, _ = ingest(small, os.path.join(root, f"journal-200-{processing}.sqlite"), env)
            loop = measure_python_peak([SDK_PYTHON, os.path.join(REPO, "scripts", "bench_sdk_ingest_loop.py"), small], env)
            if loop["status"] != 0:
                raise SystemExit(f"the SDK loop failed: {loop['err']}")
            sdk = json.loads(loop["out"])
            row = {"comparison": f"200 files, tasks processing {processing} s", "processing_seconds": float(processing), "tl_ingest_seconds": round(run["seconds"], 2),
                   "sdk_loop_seconds": round(sdk["seconds"], 2), "sdk_tasks_ready": sdk["ready"], "ratio": round(sdk["seconds"] / run["seconds"], 1)}
            print(json.dumps(row), flush=True)
            results.append(row)
    finally:
        sandbox.terminate()
        sandbox.wait()
        shutil.rmtree(root, ignore_errors=True)

    def target(ok, text):
        print(f"TARGET [{'met' if ok else 'MISS'}] {text}")

    print()
    for row in results:
        if "journal" in row:
            where = f"{row['journal']}, {row['files']} files, --concurrency {row['concurrency']}"
            target(row["items_per_second"] >= 200, f"ingest end to end >= 200 items/s ({where}): {row['items_per_second']} items/s")
            if row["journal"] == "sqlite":
                # The journal's overhead is the CPU its work takes (on the writer thread); its wall time in
                # transactions is reported beside it, since on a saturated machine that also counts waits for a core.
                target(row["journal_cpu_ms_per_item"] <= 1, f"journal overhead <= 1 ms per item ({where}): {row['journal_cpu_ms_per_item']} ms of CPU, "
                       f"{row['journal_ms_per_item']} ms of wall time in transactions "
                       f"({row['journal_transactions_per_item']} transactions in {row['journal_commits_per_item']} commits per item; "
                       f"items waited {row['journal_wait_ms_per_item']} ms each in all)")
            database = "" if row["postgres_cpu_ms_per_item"] is None else f", PostgreSQL {row['postgres_cpu_ms_per_item']} ms"
            print(f"       CPU per item: tl {row['tl_cpu_ms_per_item']} ms, sandbox {row['sandbox_cpu_ms_per_item']} ms{database}")
            target(row["peak_rss_mb"] < 150, f"peak RSS < 150 MB ({where}): {row['peak_rss_mb']} MB; journal {row['journal_bytes'] / 1e6:.1f} MB")
        elif row["processing_seconds"] > 0:
            target(row["ratio"] >= 10, f"tl ingest >= 10x the official SDK's sequential loop ({row['comparison']}): "
                   f"{row['tl_ingest_seconds']} s vs {row['sdk_loop_seconds']} s = {row['ratio']}x")
        else:
            # Not the target (BENCHMARKS.md): with nothing to wait for, this compares CPU per file, of a loop that
            # checks nothing against a tool that fingerprints, probes, journals and uploads every file.
            print(f"INFO   cost per file against the SDK loop ({row['comparison']}): "
                  f"{row['tl_ingest_seconds']} s vs {row['sdk_loop_seconds']} s = {row['ratio']}x")
    for kind in ("sqlite", "postgres"):
        rows = [row for row in results if row.get("journal") == kind and row["concurrency"] == 16]
        if len(rows) == 2:
            growth = rows[1]["peak_rss_mb"] - rows[0]["peak_rss_mb"]
            target(growth < 15, f"peak RSS flat from 1,000 to 10,000 items ({kind}): {rows[0]['peak_rss_mb']} -> {rows[1]['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()

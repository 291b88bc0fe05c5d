// ProbeBench: the measurements behind `make bench` (driven by scripts/bench.sh).
//
//   ProbeBench probe-vs-ffprobe --corpus DIR [--ffprobe PATH]
//       Probes every file in DIR in-process with `MediaProbe.probe`, one after another, then
//       spawns `ffprobe -v error -show_format -show_streams -of json FILE` for each file, and
//       prints the median and p90 time per file both ways and the ratio of the medians.
//
//   ProbeBench corpus --corpus DIR --tl PATH [--pyav-json FILE] [--ffprobe PATH] [--runs R]
//       The realistic corpus (Corpus.swift): fast probe = full probe on every file, then the fast
//       and full probes timed per file, PyAV (from pyav_probe.py's JSON), per-file ffprobe, and
//       `tl preflight --jobs 1` against `--jobs 2`.
//
//   ProbeBench deep --file F --tl PATH [--ffmpeg PATH] [--pairs N]
//       The three deep modes of `tl preflight` against `ffmpeg -f null`, pair by pair.
//
//   ProbeBench list --corpus DIR
//       Prints the corpus's media files in the order `corpus` uses (for pyav_probe.py).
//
//   ProbeBench batch --tl PATH --jobs N [--runs R] --dir DIR [--dir DIR ...]
//       Runs `tl preflight --format jsonl --jobs N DIR` for each DIR (R times each), and prints
//       files/s (wall clock) and the child's peak RSS (`wait4` → `ru_maxrss`).
//
// Every figure is printed next to its target with `met` or `MISS`. The exit status is 0 whenever
// the measurement itself ran, whether or not a target was met: this is a measurement, not a test.
// Children are started with `posix_spawn` and reaped with `wait4`, so the timings contain no
// polling delay (Foundation's `Process.waitUntilExit` polls a run loop).
// Written for Linux (the figures in BENCHMARKS.md are Debian's); it also builds on macOS, where
// the "other processes" load, read from /proc/stat, shows as 0.

import Foundation
import MediaProbe
import Preflight
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Targets (from the issue)

/// The issue's targets. (Static members, not top-level globals, which main.swift would make
/// main-actor isolated.)
enum Target {
    /// In-process median must be at most this many milliseconds per file.
    static let probeMedianMs = 1.0
    /// In-process median must be at least this many times faster than spawning ffprobe per file.
    static let speedup = 50.0
    /// `tl preflight --jobs 2` must check at least this many files per second.
    static let filesPerSecond = 1_000.0
    /// `tl preflight` must peak below this resident set size, in MB (10^6 bytes).
    static let peakRSSMB = 100.0
    /// "Not growing with the number of files", made measurable: peak RSS may rise by at most this
    /// many MB per 1,000 more files between the smallest and the largest corpus. Repeated runs on
    /// one corpus differ by up to ~0.4 MB, so this is the noise floor, not a budget.
    static let rssGrowthMBPerThousandFiles = 0.5
}

// MARK: - Small helpers

/// Reports why the benchmark itself could not run (bad arguments, missing tool) and exits 2.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ProbeBench: \(message)\n".utf8))
    exit(2)
}

extension Duration {
    /// The duration in (fractional) milliseconds.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}

/// Order statistics over a set of samples, in milliseconds.
struct Stats {
    let count: Int
    let median: Double
    let p90: Double
    let mean: Double
    let min: Double
    let max: Double

    init?(_ samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let n = sorted.count
        count = n
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        p90 = sorted[Swift.min(n - 1, Int((0.9 * Double(n)).rounded(.up)) - 1)] // nearest rank
        mean = sorted.reduce(0, +) / Double(n)
        min = sorted[0]
        max = sorted[n - 1]
    }
}

func ms(_ value: Double) -> String { String(format: value < 10 ? "%.3f ms" : "%.1f ms", value) }

func verdict(_ met: Bool) -> String { met ? "met " : "MISS" }

/// Parses `--name value` pairs; a name may repeat (e.g. `--dir`).
func parseOptions(_ arguments: ArraySlice<String>) -> [String: [String]] {
    var options: [String: [String]] = [:]
    var rest = arguments[...]
    while let name = rest.popFirst() {
        guard name.hasPrefix("--"), let value = rest.popFirst() else { fail("expected --name VALUE, got '\(name)'") }
        options[String(name.dropFirst(2)), default: []].append(value)
    }
    return options
}

/// The regular, non-hidden files directly inside `directory`, sorted by name.
func listFiles(_ directory: String) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
        fail("cannot list \(directory)")
    }
    let base = directory.hasSuffix("/") ? directory : directory + "/"
    return names.sorted().filter { !$0.hasPrefix(".") }.map { base + $0 }.filter { path in
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}

// MARK: - Machine load

/// CPU time the whole machine has spent busy, from the first line of /proc/stat (Linux only;
/// 0 elsewhere). Differences of two readings, minus our own CPU time, show how much of the two
/// cores other processes (another engineer's compiler, say) took during a measurement.
func machineBusySeconds() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
          let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
    else { return 0 }
    // user nice system idle iowait irq softirq steal ...: everything but idle and iowait is busy.
    let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard ticks.count >= 5 else { return 0 }
    let busy = ticks.reduce(0, +) - ticks[3] - ticks[4]
    return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Seconds in a `timeval`.
func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }

/// CPU time (user + system) of this process and its reaped children so far, in seconds.
func ownCPUSeconds() -> Double {
    #if canImport(Glibc)
    let whos = [RUSAGE_SELF.rawValue, RUSAGE_CHILDREN.rawValue]
    #else
    let whos = [RUSAGE_SELF, RUSAGE_CHILDREN]
    #endif
    return whos.reduce(0) { total, who in
        var usage = rusage()
        getrusage(who, &usage)
        return total + seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// How busy *other* processes kept the machine since this value was made, in cores on average.
struct OtherLoad {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let machineStart: Double
    private let ownStart: Double

    init() {
        start = clock.now
        machineStart = machineBusySeconds()
        ownStart = ownCPUSeconds()
    }

    /// Average number of cores used by processes other than this one and its children so far.
    var cores: Double {
        let wall = (clock.now - start).milliseconds / 1_000
        let others = (machineBusySeconds() - machineStart) - (ownCPUSeconds() - ownStart)
        return wall > 0 ? Swift.max(0, others / wall) : 0
    }
}

// MARK: - Spawning children

/// What a finished child reported.
struct ChildResult {
    /// The exit code, or `nil` when the child was killed by a signal.
    var exitCode: Int32?
    /// Wall-clock time from just before `posix_spawn` to `wait4` returning.
    var elapsed: Duration
    /// Peak resident set size of the child, in MB (10^6 bytes).
    var maxRSSMB: Double
    /// CPU time the child used, user plus system, in seconds.
    var cpuSeconds: Double
}

/// Runs `arguments[0]` (looked up in `PATH` when it has no slash) with the given arguments,
/// stdin from /dev/null, stdout to `stdoutPath`, stderr to /dev/null unless `keepStderr`,
/// and waits for it. Blocks the calling thread; timing starts just before the spawn.
func spawnAndWait(_ arguments: [String], stdoutPath: String = "/dev/null", keepStderr: Bool = false) -> ChildResult {
    #if canImport(Darwin)
    var actions: posix_spawn_file_actions_t = nil
    #else
    var actions = posix_spawn_file_actions_t()
    #endif
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if !keepStderr {
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
    }

    // C strings for argv and envp, freed after the spawn (the child has its own copy by then).
    let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }

    let clock = ContinuousClock()
    let start = clock.now
    var pid = pid_t()
    let spawnError = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
    guard spawnError == 0 else { fail("cannot run \(arguments[0]): \(String(cString: strerror(spawnError)))") }

    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) == -1 {
        guard errno == EINTR else { fail("wait4 failed for \(arguments[0]): \(String(cString: strerror(errno)))") }
    }
    let elapsed = clock.now - start
    // WIFEXITED / WEXITSTATUS, which Swift does not import (they are macros).
    let exitCode: Int32? = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : nil
    #if canImport(Darwin)
    let maxRSSBytes = Double(usage.ru_maxrss) // bytes on macOS
    #else
    let maxRSSBytes = Double(usage.ru_maxrss) * 1024 // KiB on Linux
    #endif
    return ChildResult(exitCode: exitCode, elapsed: elapsed, maxRSSMB: maxRSSBytes / 1e6,
                       cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

// MARK: - probe-vs-ffprobe

/// One file's timings both ways.
struct FileTiming {
    var path: String
    var inProcessMs: Double
    var probeSucceeded: Bool
    var ffprobeMs: Double
    var ffprobeSucceeded: Bool
}

func printStatsRow(_ label: String, _ stats: Stats?) {
    guard let stats else { print("  \(label): no samples"); return }
    let columns = [ms(stats.median), ms(stats.p90), ms(stats.mean), ms(stats.min), ms(stats.max)]
        .map { $0.padding(toLength: 11, withPad: " ", startingAt: 0) }
    print("  \(label.padding(toLength: 28, withPad: " ", startingAt: 0)) n=\(String(stats.count).padding(toLength: 5, withPad: " ", startingAt: 0)) " + columns.joined(separator: " "))
}

func probeVersusFFprobe(corpus: String, ffprobe: String) async {
    let files = listFiles(corpus)
    guard let first = files.first else { fail("no files in \(corpus)") }
    let clock = ContinuousClock()
    let options = ProbeOptions()

    print("== In-process MediaProbe.probe vs. one ffprobe process per file ==")
    print("corpus: \(files.count) files in \(corpus)")
    print("in-process: \((try? MediaProbe.ffmpegVersions()) ?? "FFmpeg unavailable")")
    print("per file:   \(ffprobe) -v error -show_format -show_streams -of json FILE  (stdout, stderr → /dev/null)")

    // Warm-up, not counted: the first probe in a process pays for FFmpeg's one-time set-up
    // (demuxer/codec registration, log callback, Dispatch thread creation, page faults).
    let coldStart = clock.now
    _ = try? await MediaProbe.probe(path: first, options: options)
    let coldMs = (clock.now - coldStart).milliseconds
    // Same courtesy for ffprobe: one uncounted run so its binary and libraries are in the page cache.
    _ = spawnAndWait([ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", first])

    let inProcessLoad = OtherLoad()
    var timings: [FileTiming] = []
    timings.reserveCapacity(files.count)
    for path in files {
        let start = clock.now
        let succeeded: Bool
        do {
            _ = try await MediaProbe.probe(path: path, options: options)
            succeeded = true
        } catch {
            succeeded = false
        }
        let elapsed = (clock.now - start).milliseconds
        timings.append(FileTiming(path: path, inProcessMs: elapsed, probeSucceeded: succeeded, ffprobeMs: 0, ffprobeSucceeded: false))
    }
    let inProcessOthers = inProcessLoad.cores
    let ffprobeLoad = OtherLoad()
    for index in timings.indices {
        let result = spawnAndWait([ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", timings[index].path])
        timings[index].ffprobeMs = result.elapsed.milliseconds
        timings[index].ffprobeSucceeded = result.exitCode == 0
    }
    let ffprobeOthers = ffprobeLoad.cores
    // What ffprobe costs before it even opens a file: process start, dynamic linking, library set-up.
    let startupOnly = Stats((0..<20).map { _ in spawnAndWait([ffprobe, "-version"]).elapsed.milliseconds })!
    let valid = timings.filter(\.probeSucceeded)
    let all = (Stats(timings.map(\.inProcessMs))!, Stats(timings.map(\.ffprobeMs))!)
    let validStats = (Stats(valid.map(\.inProcessMs)), Stats(valid.map(\.ffprobeMs)))

    print("")
    print("  \("".padding(toLength: 37, withPad: " ", startingAt: 0))median      p90         mean        min         max")
    printStatsRow("in-process, all files", all.0)
    printStatsRow("ffprobe,    all files", all.1)
    printStatsRow("in-process, valid media", validStats.0)
    printStatsRow("ffprobe,    valid media", validStats.1)
    print("  (valid media: files MediaProbe opened, \(valid.count) of \(timings.count); ffprobe exited 0 on "
        + "\(timings.filter(\.ffprobeSucceeded).count); first in-process probe, uncounted: \(ms(coldMs)))")

    print("  ffprobe -version, no file (startup cost only, 20 runs): median \(ms(startupOnly.median)), "
        + "\(String(format: "%.0f", startupOnly.median / all.1.median * 100)) % of ffprobe's median per file")
    print(String(format: "  other processes kept %.2f of the cores busy during the in-process loop, %.2f during the ffprobe loop",
                 inProcessOthers, ffprobeOthers))
    // Group the copies (r1_x, r2_x, ...) by fixture to name the slowest fixtures in-process.
    let byFixture = Dictionary(grouping: timings) { timing in
        let name = (timing.path as NSString).lastPathComponent
        return name.firstIndex(of: "_").map { String(name[name.index(after: $0)...]) } ?? name
    }
    let slowest = byFixture.map { (name: $0.key, median: Stats($0.value.map(\.inProcessMs))!.median) }
        .sorted { $0.median > $1.median }.prefix(5)
    print("  slowest fixtures in-process (median of their copies): "
        + slowest.map { "\($0.name) \(ms($0.median))" }.joined(separator: ", "))

    let ratio = all.1.median / all.0.median
    print("")
    print(String(format: "ratio of medians (ffprobe / in-process), all files: %.0f×", ratio))
    if let probe = validStats.0, let spawned = validStats.1 {
        print(String(format: "ratio of medians (ffprobe / in-process), valid media: %.0f×", spawned.median / probe.median))
    }
    print("")
    print("TARGET [\(verdict(all.0.median <= Target.probeMedianMs))] in-process median ≤ \(ms(Target.probeMedianMs)) per file: "
        + "\(ms(all.0.median)) (\(String(format: "%.2f", all.0.median / Target.probeMedianMs))× the limit)")
    print("TARGET [\(verdict(ratio >= Target.speedup))] in-process ≥ \(Int(Target.speedup))× faster than per-file ffprobe: "
        + String(format: "%.0f×", ratio) + " (\(String(format: "%.1f", ratio / Target.speedup))× the target)")
}

// MARK: - batch

/// One `tl preflight` run over a directory.
struct BatchRun {
    var files: Int
    var seconds: Double
    var maxRSSMB: Double
    var cpuSeconds: Double
    var filesPerSecond: Double { Double(files) / seconds }
}

func runBatch(tl: String, directory: String, jobs: Int, runs: Int) -> [BatchRun] {
    let fileCount = listFiles(directory).count
    // jsonl goes to a scratch file (not a pipe we would have to drain) so the line count can be
    // checked: one line per file proves tl really reported on every file it was timed on.
    let output = FileManager.default.temporaryDirectory
        .appendingPathComponent("probebench-\(getpid())-\(UUID().uuidString).jsonl").path
    defer { try? FileManager.default.removeItem(atPath: output) }

    var results: [BatchRun] = []
    for run in 1...runs {
        let load = OtherLoad()
        let result = spawnAndWait([tl, "preflight", "--format", "jsonl", "--jobs", String(jobs), directory],
                                  stdoutPath: output, keepStderr: true)
        let others = load.cores
        // tl exits 0 (all pass) or 1 (some fail); anything else means the tool itself failed.
        guard let code = result.exitCode, code <= 1 else {
            fail("tl preflight failed on \(directory) (exit \(result.exitCode.map(String.init) ?? "signal"))")
        }
        let lines = (try? Data(contentsOf: URL(fileURLWithPath: output)))?.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } ?? 0
        if lines != fileCount {
            fail("tl preflight reported \(lines) files, expected \(fileCount) in \(directory)")
        }
        let batch = BatchRun(files: fileCount, seconds: result.elapsed.milliseconds / 1_000,
                             maxRSSMB: result.maxRSSMB, cpuSeconds: result.cpuSeconds)
        print(String(format: "  run %d: %5d files in %6.3f s = %6.0f files/s, peak RSS %5.1f MB; tl used %.2f cores, others %.2f; exit %d",
                     run, batch.files, batch.seconds, batch.filesPerSecond, batch.maxRSSMB,
                     batch.cpuSeconds / batch.seconds, others, code))
        results.append(batch)
    }
    return results
}

func batch(tl: String, directories: [String], jobs: Int, runs: Int) {
    print("== tl preflight --format jsonl --jobs \(jobs) DIR (stdout → scratch file, \(runs) run\(runs == 1 ? "" : "s") per corpus) ==")
    print("tl: \(tl)")
    // The fixed cost every batch pays: one process checking a single file.
    if let one = directories.first.flatMap({ listFiles($0).first }) {
        let result = spawnAndWait([tl, "preflight", "--format", "jsonl", one])
        print("baseline: tl preflight on 1 file: \(ms(result.elapsed.milliseconds)), peak RSS "
            + String(format: "%.1f MB", result.maxRSSMB) + " (start-up, libraries, runtime)")
    }
    var summary: [(files: Int, filesPerSecond: Double, maxRSSMB: Double)] = []
    for directory in directories {
        print("corpus \(directory):")
        let runs = runBatch(tl: tl, directory: directory, jobs: jobs, runs: runs)
        let throughput = runs.map(\.filesPerSecond).sorted()
        let median = throughput.count % 2 == 1 ? throughput[throughput.count / 2]
            : (throughput[throughput.count / 2 - 1] + throughput[throughput.count / 2]) / 2
        let peak = runs.map(\.maxRSSMB).max()!
        print(String(format: "  → median %.0f files/s, highest peak RSS %.1f MB", median, peak))
        summary.append((runs[0].files, median, peak))
    }

    print("")
    let largest = summary.max { $0.files < $1.files }!
    let smallest = summary.min { $0.files < $1.files }!
    // The issue's throughput target is stated for 1,000 files.
    let measured = summary.first { $0.files == 1_000 } ?? largest
    print("TARGET [\(verdict(measured.filesPerSecond >= Target.filesPerSecond))] ≥ \(Int(Target.filesPerSecond)) files/s with --jobs \(jobs) "
        + "on \(measured.files) files: " + String(format: "%.0f files/s (%.2f× the target)", measured.filesPerSecond, measured.filesPerSecond / Target.filesPerSecond))
    let highest = summary.map(\.maxRSSMB).max()!
    print("TARGET [\(verdict(highest < Target.peakRSSMB))] peak RSS < \(Int(Target.peakRSSMB)) MB: "
        + String(format: "%.1f MB (%.2f× the limit)", highest, highest / Target.peakRSSMB))
    if largest.files > smallest.files {
        let perThousand = (largest.maxRSSMB - smallest.maxRSSMB) / Double(largest.files - smallest.files) * 1_000
        let threshold = Target.rssGrowthMBPerThousandFiles
        print("TARGET [\(verdict(perThousand <= threshold))] peak RSS not growing with file count (≤ \(threshold) MB per 1,000 files): "
            + String(format: "%d files %.1f MB → %d files %.1f MB = %+.2f MB per 1,000 files",
                     smallest.files, smallest.maxRSSMB, largest.files, largest.maxRSSMB, perThousand)
            + (perThousand > threshold
                ? String(format: "; at that rate 100 MB is reached near %.0f files", Double(smallest.files) + (Target.peakRSSMB - smallest.maxRSSMB) / perThousand * 1_000)
                : ""))
    }
}

// MARK: - Timing any command

/// Runs a command `runs` times (after `warmups` uncounted runs, default one) and prints the median wall
/// time and the largest peak RSS of the child, as `SECONDS` and `RSS_MB` lines for scripts. The child's
/// stdout goes to `stdoutPath` (default /dev/null; the last run's is kept).
func timeCommand(_ command: [String], runs: Int, warmups: Int, stdoutPath: String) {
    for _ in 0..<warmups { _ = spawnAndWait(command, stdoutPath: stdoutPath) }
    var results: [ChildResult] = []
    for _ in 0..<runs { results.append(spawnAndWait(command, stdoutPath: stdoutPath)) }
    guard results.allSatisfy({ $0.exitCode == 0 }) else {
        fail("\(command.joined(separator: " ")) exited \(results.map { $0.exitCode.map(String.init) ?? "by signal" })")
    }
    let seconds = results.map { Double($0.elapsed.components.seconds) + Double($0.elapsed.components.attoseconds) / 1e18 }.sorted()
    let median = seconds[seconds.count / 2]
    let rss = results.map(\.maxRSSMB).max() ?? 0
    print(String(format: "%@: %d runs, median %.1f ms, peak RSS %.1f MB", command.joined(separator: " "), runs, median * 1000, rss))
    print(String(format: "SECONDS %.6f", median))
    print(String(format: "RSS_MB %.1f", rss))
}

// MARK: - Leak check driver

/// Probes (both stream analyses) and deep-checks (every mode) every file, two at a time: the workload `make leakcheck` runs under
/// AddressSanitizer, touching every FFmpeg path (errors included) without the HTTP stack. With `unload`,
/// FFmpeg's libraries are unloaded after each pass, so the next runs on a fresh load.
func exercise(_ paths: [String], unload: Bool) async {
    var checked = 0
    // The quick check on both stream analyses, then the deep check in each of its modes.
    let passes: [(ProbeOptions, DecodeMode?)] = [(ProbeOptions(), nil), (ProbeOptions(streamAnalysis: .full), nil)]
        + DecodeMode.allCases.map { (ProbeOptions(), $0) }
    for (options, mode) in passes {
        await withTaskGroup(of: Void.self) { group in
            for (index, path) in paths.enumerated() {
                if index >= 2 { await group.next() }
                group.addTask {
                    _ = try? await Preflight.evaluate(path: path, options: options, deep: mode != nil,
                                                      decode: DecodeOptions(mode: mode ?? .full))
                }
            }
        }
        checked += paths.count
        if unload, !MediaProbe.unloadLibraries() { fail("exercise: FFmpeg's libraries could not be unloaded when idle") }
    }
    print("checked \(checked) files (quick, fast and full; deep, in every mode)\(unload ? ", unloading FFmpeg after each pass" : "")")
}

// MARK: - Entry point

let arguments = CommandLine.arguments
let usage = """
    usage: ProbeBench probe-vs-ffprobe --corpus DIR [--ffprobe PATH]
           ProbeBench batch --tl PATH --jobs N [--runs R] --dir DIR [--dir DIR ...]
           ProbeBench corpus --corpus DIR --tl PATH [--pyav-json FILE] [--ffprobe PATH] [--runs R]
           ProbeBench deep --file F --tl PATH [--ffmpeg PATH] [--pairs N]
           ProbeBench list --corpus DIR
           ProbeBench exercise [--unload] FILE...
           ProbeBench time --runs N [--warmups W] [--stdout FILE] -- COMMAND [ARG...]
    """
guard arguments.count >= 2 else { fail(usage) }
var options: [String: [String]] { parseOptions(arguments.dropFirst(2)) }

switch arguments[1] {
case "probe-vs-ffprobe":
    guard let corpus = options["corpus"]?.last else { fail(usage) }
    await probeVersusFFprobe(corpus: corpus, ffprobe: options["ffprobe"]?.last ?? "ffprobe")
case "batch":
    guard let tl = options["tl"]?.last, let directories = options["dir"], let jobs = Int(options["jobs"]?.last ?? "2"), jobs > 0,
          let runs = Int(options["runs"]?.last ?? "3"), runs > 0
    else { fail(usage) }
    batch(tl: tl, directories: directories, jobs: jobs, runs: runs)
case "time":
    guard let separator = arguments.firstIndex(of: "--"), separator + 1 < arguments.count,
          let runsIndex = arguments.firstIndex(of: "--runs"), runsIndex + 1 < separator,
          let runs = Int(arguments[runsIndex + 1]), runs > 0
    else { fail(usage) }
    var warmups = 1
    if let index = arguments[..<separator].firstIndex(of: "--warmups") {
        guard index + 1 < separator, let count = Int(arguments[index + 1]), count >= 0 else { fail(usage) }
        warmups = count
    }
    var stdoutPath = "/dev/null"
    if let index = arguments[..<separator].firstIndex(of: "--stdout") {
        guard index + 1 < separator else { fail(usage) }
        stdoutPath = arguments[index + 1]
    }
    timeCommand(Array(arguments[(separator + 1)...]), runs: runs, warmups: warmups, stdoutPath: stdoutPath)
case "corpus":
    guard let corpus = options["corpus"]?.last, let tl = options["tl"]?.last, let runs = Int(options["runs"]?.last ?? "3"), runs > 0 else { fail(usage) }
    await corpusBench(directory: corpus, pyavJSON: options["pyav-json"]?.last, ffprobe: options["ffprobe"]?.last ?? "ffprobe", tl: tl, runs: runs,
                      quick: options["quick"]?.last == "yes")
case "deep":
    guard let file = options["file"]?.last, let tl = options["tl"]?.last, let pairs = Int(options["pairs"]?.last ?? "3"), pairs > 0 else { fail(usage) }
    deepBench(file: file, tl: tl, ffmpeg: options["ffmpeg"]?.last ?? "ffmpeg", pairs: pairs)
case "loop":
    // For profilers: the fast probe of every corpus file, `passes` times, nothing else.
    guard let corpus = options["corpus"]?.last, let passes = Int(options["passes"]?.last ?? "10") else { fail(usage) }
    let files = corpusFiles(corpus)
    for _ in 0..<passes { for path in files { _ = try? await MediaProbe.probe(path: path) } }
    print("probed \(files.count) files \(passes) times")
case "list":
    guard let corpus = options["corpus"]?.last else { fail(usage) }
    corpusFiles(corpus).forEach { print($0) }
case "exercise":
    let rest = Array(arguments.dropFirst(2))
    await exercise(rest.filter { $0 != "--unload" }, unload: rest.contains("--unload"))
default:
    fail(usage)
}

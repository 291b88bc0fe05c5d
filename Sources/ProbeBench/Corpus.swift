// The realistic corpus (scripts/bench-corpus.sh): the fast probe against FFmpeg's full analysis,
// PyAV and per-file ffprobe, and the three deep modes against `ffmpeg -f null`.

import Foundation
import MediaProbe
#if canImport(Glibc)
import Glibc
#endif

/// The issue's targets for the realistic corpus.
enum CorpusTarget {
    static let medianMs = 0.5
    static let versusPyAV = 3.0
    static let versusFFprobe = 200.0
    static let jobsScaling = 1.8
    static let deepWallVersusFFmpeg = 1.0
    static let deepCPUVersusFFmpeg = 1.1
    static let packetsVersusFull = 50.0
    static let keyframesVersusFull = 5.0
}

private let mediaExtensions: Set<String> = ["mp4", "mov", "mkv", "webm", "ts", "m4v"]

/// The corpus's media files, top level only, sorted (the order the PyAV script gets them in).
func corpusFiles(_ directory: String) -> [String] {
    listFiles(directory).filter { mediaExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
}

/// Container family for the per-format rows: MP4/MOV, Matroska, WebM, MPEG-TS.
private func family(_ path: String) -> String {
    switch (path as NSString).pathExtension.lowercased() {
    case "mp4", "mov", "m4v": "mp4/mov"
    case "mkv": "mkv"
    case "webm": "webm"
    default: "ts"
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Times one probe of each file `passes` times and keeps each file's fastest.
private func timeProbes(_ files: [String], analysis: StreamAnalysis, passes: Int) async -> [Double] {
    let clock = ContinuousClock()
    let options = ProbeOptions(streamAnalysis: analysis)
    var best = [Double](repeating: .infinity, count: files.count)
    for _ in 0..<passes {
        for (index, path) in files.enumerated() {
            let start = clock.now
            _ = try? await MediaProbe.probe(path: path, options: options)
            best[index] = min(best[index], seconds(clock.now - start) * 1000)
        }
    }
    return best
}

func corpusBench(directory: String, pyavJSON: String?, ffprobe: String, tl: String, runs: Int, quick: Bool) async {
    let files = corpusFiles(directory)
    guard let first = files.first else { fail("no media files in \(directory)") }
    print("== The realistic corpus: \(files.count) files in \(directory) ==")
    print("in-process: \((try? MediaProbe.ffmpegVersions()) ?? "FFmpeg unavailable")")
    _ = try? await MediaProbe.probe(path: first)

    // 1. Correctness first: the fast path must give the full path's MediaInfo on every file.
    var different: [String] = []
    var fastTaken = 0
    for path in files {
        let fast = try? await MediaProbe.probe(path: path, options: ProbeOptions(streamAnalysis: .fast))
        let full = try? await MediaProbe.probe(path: path, options: ProbeOptions(streamAnalysis: .full))
        if fast != full { different.append((path as NSString).lastPathComponent) }
        if (try? await MediaProbe.takesFastPath(path: path)) == true { fastTaken += 1 }
    }
    print("fast path taken on \(fastTaken) of \(files.count) files; the rest take FFmpeg's full analysis")
    for name in different.prefix(20) { print("  DIFFERENT: \(name)") }
    print("TARGET [\(verdict(different.isEmpty))] the fast probe gives the full probe's MediaInfo on every file: "
        + "\(files.count - different.count) of \(files.count)")

    // 2. Time per file, in-process, one core: fast and full, fastest of three passes.
    let load = OtherLoad()
    let fast = await timeProbes(files, analysis: .fast, passes: 3)
    let full = await timeProbes(files, analysis: .full, passes: 3)
    print(String(format: "other processes kept %.2f of the cores busy while probing", load.cores))
    print("")
    print("  \("".padding(toLength: 37, withPad: " ", startingAt: 0))median      p90         mean        min         max")
    printStatsRow("fast probe, all files", Stats(fast))
    printStatsRow("full probe, all files", Stats(full))
    for group in ["mp4/mov", "mkv", "webm", "ts"] {
        let indices = files.indices.filter { family(files[$0]) == group }
        printStatsRow("fast probe, \(group)", Stats(indices.map { fast[$0] }))
    }
    let codecs = Set(files.map { (($0 as NSString).lastPathComponent).split(separator: "_").first.map(String.init) ?? "" })
    for codec in codecs.sorted() {
        let indices = files.indices.filter { (files[$0] as NSString).lastPathComponent.hasPrefix(codec + "_") && family(files[$0]) != "ts" }
        printStatsRow("fast probe, \(codec), not TS", Stats(indices.map { fast[$0] }))
    }
    let ordinary = files.indices.filter { family(files[$0]) != "ts" }
    let ordinaryStats = Stats(ordinary.map { fast[$0] })!
    let fastStats = Stats(fast)!
    print("TARGET [\(verdict(ordinaryStats.median <= CorpusTarget.medianMs))] median ≤ \(ms(CorpusTarget.medianMs)) per file "
        + "on MP4/MOV/MKV/WebM: \(ms(ordinaryStats.median)) (\(ordinary.count) files; all \(files.count) with TS: \(ms(fastStats.median)))")

    if quick { return }

    // 3. PyAV, timed by scripts/pyav_probe.py over the same list (fastest of three passes).
    if let pyavJSON, let data = FileManager.default.contents(atPath: pyavJSON),
       let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       let perFile = object["per_file_ms"] as? [Any], perFile.count == files.count {
        let pyav = perFile.map { ($0 as? Double) ?? .nan }
        let paired = files.indices.filter { !pyav[$0].isNaN }
        let pyavStats = Stats(paired.map { pyav[$0] })!
        let ours = Stats(paired.map { fast[$0] })!
        let ratios = Stats(paired.map { pyav[$0] / fast[$0] })!
        print("")
        print("PyAV \(object["pyav"] ?? "?") (FFmpeg \(object["ffmpeg"] ?? "?")): av.open + streams + close, fastest of 3 passes")
        printStatsRow("PyAV, all files", pyavStats)
        print(String(format: "  PyAV / in-process: ratio of medians %.1f×, of means %.1f×; per file: median %.1f× (p10–p90 %.1f–%.1f×)",
                     pyavStats.median / ours.median, pyavStats.mean / ours.mean, ratios.median,
                     percentile(paired.map { pyav[$0] / fast[$0] }, 0.1), ratios.p90))
        let ordinaryPaired = paired.filter { family(files[$0]) != "ts" }
        let ordinaryRatio = Stats(ordinaryPaired.map { pyav[$0] })!.median / Stats(ordinaryPaired.map { fast[$0] })!.median
        print(String(format: "  on MP4/MOV/MKV/WebM only: ratio of medians %.1f×", ordinaryRatio))
        print("TARGET [\(verdict(pyavStats.median / ours.median >= CorpusTarget.versusPyAV))] ≥ \(Int(CorpusTarget.versusPyAV))× faster than PyAV per file: "
            + String(format: "%.1f× (ratio of medians; of means %.1f×)", pyavStats.median / ours.median, pyavStats.mean / ours.mean))
    } else {
        print("PyAV: no figures (\(pyavJSON ?? "no --pyav-json given"))")
    }

    // 4. Per-file ffprobe, every sixth file (its cost is the process, whatever the file).
    let sample = stride(from: 0, to: files.count, by: 6).map { $0 }
    _ = spawnAndWait([ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", first])
    let spawned = sample.map { spawnAndWait([ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", files[$0]]).elapsed }
    let ffprobeStats = Stats(spawned.map { seconds($0) * 1000 })!
    let sampleOurs = Stats(sample.map { fast[$0] })!
    print("")
    printStatsRow("ffprobe per file, every 6th", ffprobeStats)
    let ffprobeRatio = ffprobeStats.median / sampleOurs.median
    print("TARGET [\(verdict(ffprobeRatio >= CorpusTarget.versusFFprobe))] ≥ \(Int(CorpusTarget.versusFFprobe))× faster than per-file ffprobe: "
        + String(format: "%.0f× (ratio of medians over the same %d files)", ffprobeRatio, sample.count))

    // 5. tl preflight --jobs 1 vs --jobs 2 over the corpus, alternating, start-up subtracted.
    let startup = Stats((0..<10).map { _ in seconds(spawnAndWait([tl, "--version"]).elapsed) })!.median
    var one: [Double] = [], two: [Double] = []
    for _ in 0..<runs {
        one.append(seconds(spawnAndWait([tl, "preflight", "--format", "jsonl", "--jobs", "1", directory]).elapsed) - startup)
        two.append(seconds(spawnAndWait([tl, "preflight", "--format", "jsonl", "--jobs", "2", directory]).elapsed) - startup)
    }
    let scaling = Stats(one)!.median / Stats(two)!.median
    print("")
    print(String(format: "tl preflight over the corpus (%d runs each, alternating; start-up %.1f ms subtracted): --jobs 1 %.3f s (%.3f ms/file), --jobs 2 %.3f s",
                 runs, startup * 1000, Stats(one)!.median, Stats(one)!.median * 1000 / Double(files.count), Stats(two)!.median))
    print("TARGET [\(verdict(scaling >= CorpusTarget.jobsScaling))] --jobs 2 at least \(CorpusTarget.jobsScaling)× --jobs 1: "
        + String(format: "%.2f× (runs: %@)", scaling, zip(one, two).map { String(format: "%.2f", $0 / $1) }.joined(separator: ", ")))
}

private func percentile(_ samples: [Double], _ p: Double) -> Double {
    let sorted = samples.sorted()
    return sorted[max(0, min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
}

/// The three deep modes of `tl preflight` against `ffmpeg -v error -i F -map 0:v -f null -` on one
/// long file, pair by pair (ffmpeg, then each mode), `pairs` times.
func deepBench(file: String, tl: String, ffmpeg: String, pairs: Int) {
    print("== Deep check of \((file as NSString).lastPathComponent) against the ffmpeg CLI, \(pairs) pairs ==")
    print("ffmpeg: \(ffmpeg) -v error -i F -map 0:v -f null -")
    print("tl:     \(tl) preflight --format json --jobs 1 --decode MODE F")
    var ffmpegRuns: [ChildResult] = []
    var modeRuns: [DecodeMode: [ChildResult]] = [:]
    for _ in 0..<pairs {
        ffmpegRuns.append(spawnAndWait([ffmpeg, "-nostdin", "-v", "error", "-i", file, "-map", "0:v", "-f", "null", "-"]))
        for mode in DecodeMode.allCases {
            let run = spawnAndWait([tl, "preflight", "--format", "json", "--jobs", "1", "--decode", mode.rawValue, file])
            if run.exitCode != 0 { fail("tl preflight --decode \(mode.rawValue) \(file) exited \(run.exitCode.map(String.init) ?? "by signal")") }
            modeRuns[mode, default: []].append(run)
        }
    }
    func wall(_ runs: [ChildResult]) -> [Double] { runs.map { seconds($0.elapsed) } }
    let ffmpegWall = Stats(wall(ffmpegRuns))!, ffmpegCPU = Stats(ffmpegRuns.map(\.cpuSeconds))!
    print(String(format: "  ffmpeg -f null:        wall %.3f s (%.3f–%.3f), CPU %.3f s", ffmpegWall.median, ffmpegWall.min, ffmpegWall.max, ffmpegCPU.median))
    for mode in DecodeMode.allCases {
        let runs = modeRuns[mode]!
        let w = Stats(wall(runs))!, c = Stats(runs.map(\.cpuSeconds))!
        let wallRatios = zip(runs, ffmpegRuns).map { seconds($0.elapsed) / seconds($1.elapsed) }
        let cpuRatios = zip(runs, ffmpegRuns).map { $0.cpuSeconds / $1.cpuSeconds }
        print(String(format: "  --decode %-10@    wall %.3f s (%.3f–%.3f), CPU %.3f s; vs ffmpeg, pair by pair: wall %.2f× (%.2f–%.2f), CPU %.2f× (%.2f–%.2f); peak RSS %.0f MB",
                     mode.rawValue, w.median, w.min, w.max, c.median, Stats(wallRatios)!.median, Stats(wallRatios)!.min, Stats(wallRatios)!.max,
                     Stats(cpuRatios)!.median, Stats(cpuRatios)!.min, Stats(cpuRatios)!.max, runs.map(\.maxRSSMB).max() ?? 0))
    }
    let fullWall = Stats(wall(modeRuns[.full]!))!.median
    let wallRatio = Stats(zip(modeRuns[.full]!, ffmpegRuns).map { seconds($0.elapsed) / seconds($1.elapsed) })!.median
    let cpuRatio = Stats(zip(modeRuns[.full]!, ffmpegRuns).map { $0.cpuSeconds / $1.cpuSeconds })!.median
    let packets = fullWall / Stats(wall(modeRuns[.packets]!))!.median
    let keyframes = fullWall / Stats(wall(modeRuns[.keyframes]!))!.median
    print("TARGET [\(verdict(wallRatio <= CorpusTarget.deepWallVersusFFmpeg))] --decode full wall ≤ \(CorpusTarget.deepWallVersusFFmpeg)× ffmpeg's: " + String(format: "%.2f×", wallRatio))
    print("TARGET [\(verdict(cpuRatio <= CorpusTarget.deepCPUVersusFFmpeg))] --decode full CPU ≤ \(CorpusTarget.deepCPUVersusFFmpeg)× ffmpeg's: " + String(format: "%.2f×", cpuRatio))
    print("TARGET [\(verdict(packets >= CorpusTarget.packetsVersusFull))] --decode packets ≥ \(Int(CorpusTarget.packetsVersusFull))× faster than full: " + String(format: "%.0f×", packets))
    print("TARGET [\(verdict(keyframes >= CorpusTarget.keyframesVersusFull))] --decode keyframes ≥ \(Int(CorpusTarget.keyframesVersusFull))× faster than full: " + String(format: "%.1f×", keyframes))
}

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let root = TLProcess.packageRoot
private func media(_ name: String) -> String { "TestMedia/" + name }

private func json(_ result: TLResult) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "stdout: \(result.out) stderr: \(result.err)")
}

private func reports(_ document: [String: Any]) -> [[String: Any]] {
    document["reports"] as? [[String: Any]] ?? []
}

private func codes(_ report: [String: Any], _ key: String = "violations") -> [String] {
    (report[key] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
}

/// Runs the ffmpeg CLI quietly (make test installs it); `true` when it succeeded.
/// Runs the ffmpeg CLI to its end without blocking a cooperative thread (``Subprocess``).
private func ffmpeg(_ arguments: [String]) async throws -> Bool {
    try await Subprocess.run("/usr/bin/ffmpeg", ["-v", "error", "-nostdin", "-y"] + arguments).status == 0
}

private func scratch() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tl-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Compares two JSON values: same keys, same types, same values, except keys in `ignoring`
/// (whose presence and type must still match).
private func sameJSON(_ a: Any, _ b: Any, ignoring: Set<String> = [], at path: String = "$") -> [String] {
    switch (a, b) {
    case let (x as [String: Any], y as [String: Any]):
        var problems: [String] = []
        if Set(x.keys) != Set(y.keys) { problems.append("\(path): keys \(x.keys.sorted()) vs \(y.keys.sorted())") }
        for key in Set(x.keys).intersection(y.keys) {
            if ignoring.contains(key) {
                if (x[key] is NSNull) != (y[key] is NSNull) { problems.append("\(path).\(key): null vs value") }
                continue
            }
            problems += sameJSON(x[key]!, y[key]!, ignoring: ignoring, at: "\(path).\(key)")
        }
        return problems
    case let (x as [Any], y as [Any]):
        guard x.count == y.count else { return ["\(path): \(x.count) vs \(y.count) items"] }
        return zip(x, y).enumerated().flatMap { sameJSON($1.0, $1.1, ignoring: ignoring, at: "\(path)[\($0)]") }
    case let (x as NSNumber, y as NSNumber):
        return x == y ? [] : ["\(path): \(x) vs \(y)"]
    case let (x as String, y as String):
        return x == y ? [] : ["\(path): \(x) vs \(y)"]
    case (is NSNull, is NSNull):
        return []
    default:
        return ["\(path): \(a) vs \(b)"]
    }
}

@Suite("tl preflight, run as a process")
struct PreflightCLITests {
    @Test("JSON output matches the golden document; exit 1 because one file fails; stderr stays empty")
    func golden() async throws {
        let result = try await TLProcess.run(["preflight", "--format", "json", media("ok_640x360_5s.mp4"), media("text.mp4"), media("sar_2_1.mp4")], currentDirectory: root)
        #expect(result.status == 1)
        #expect(result.err.isEmpty, "FFmpeg must not write to stderr: \(result.err)")
        let golden = try Data(contentsOf: root.appendingPathComponent("Tests/tlTests/Golden/preflight.json"))
        let problems = sameJSON(try JSONSerialization.jsonObject(with: result.stdout), try JSONSerialization.jsonObject(with: golden), ignoring: ["bit_rate"])
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("all files pass: exit 0, summary counts, reports in argument order")
    func allPass() async throws {
        let files = ["ok.mkv", "ok.webm", "ok.ts", "ok.mov", "rotate_90.mp4"].map(media)
        let result = try await TLProcess.run(["preflight", "--format", "json", "--jobs", "3"] + files, currentDirectory: root)
        #expect(result.status == 0, "\(result.err)")
        let document = try json(result)
        #expect(document["schema_version"] as? Int == 3)
        let summary = try #require(document["summary"] as? [String: Int])
        #expect(summary == ["files": 5, "passed": 5, "failed": 0])
        #expect(reports(document).compactMap { $0["path"] as? String } == files)
        let rotated = try #require(reports(document).last?["media"] as? [String: Any])
        #expect(rotated["display_width"] as? Int == 360 && rotated["display_height"] as? Int == 640)
        #expect(rotated["rotation_degrees"] as? Int == 270)
    }

    @Test("JSON Lines: one report per line, each with schema_version")
    func jsonLines() async throws {
        let result = try await TLProcess.run(["preflight", "--format", "jsonl", "TestMedia"], currentDirectory: root)
        #expect(result.status == 1)
        let lines = result.out.split(separator: "\n")
        #expect(lines.count == 40)
        var paths: Set<String> = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["schema_version"] as? Int == 3)
            #expect(object["ok"] is Bool)
            paths.insert(try #require(object["path"] as? String))
        }
        #expect(paths.count == 40)
    }

    @Test("a missing file is a failing report, not a crash")
    func missingFile() async throws {
        let result = try await TLProcess.run(["preflight", "--format", "json", "does/not/exist.mp4", media("ok.mkv")], currentDirectory: root)
        #expect(result.status == 1)
        let first = try #require(reports(try json(result)).first)
        #expect(codes(first) == ["file_not_found"])
        #expect(first["media"] is NSNull)
    }

    @Test("devices, FIFOs and directories never block and fail as not_a_regular_file")
    func specialFiles() async throws {
        let dir = try scratch()
        let fifo = dir.appendingPathComponent("in.mp4").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let link = dir.appendingPathComponent("dirlink.mp4").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/tmp")
        let result = try await TLProcess.run(["preflight", "--format", "json", "--all-files", "/dev/zero", fifo])
        #expect(result.status == 1)
        for report in reports(try json(result)) {
            #expect(codes(report) == ["not_a_regular_file"], "\(report)")
        }
        // A directory argument is expanded; under --all-files the symlink to a directory (not
        // followed while walking) and the FIFO inside it are reported, and nothing blocks.
        let expanded = try await TLProcess.run(["preflight", "--format", "json", "--all-files", dir.path])
        #expect(reports(try json(expanded)).map { codes($0) } == [["not_a_regular_file"], ["not_a_regular_file"]])
    }

    @Test("paths with spaces, non-ASCII characters and a leading dash work")
    func awkwardPaths() async throws {
        let dir = try scratch()
        let names = ["with space.mkv", "vidéo 東京.mkv", "-dash.mkv"]
        for name in names {
            try FileManager.default.copyItem(atPath: root.appendingPathComponent(media("ok.mkv")).path, toPath: dir.appendingPathComponent(name).path)
        }
        let result = try await TLProcess.run(["preflight", "--format", "json", "--"] + names, currentDirectory: dir)
        #expect(result.status == 0, "\(result.err)")
        #expect(reports(try json(result)).compactMap { $0["path"] as? String } == names)
    }

    @Test("usage errors exit 64 with a message on stderr", arguments: [
        ["preflight"], ["preflight", "--jobs", "0", "x.mp4"], ["preflight", "--format", "xml", "x.mp4"],
        ["preflight", "--no-such-flag", "x.mp4"], ["preflight", "--policy", "/nonexistent/policy.json", "x.mp4"],
        ["preflight", "--timeout", "-1", "x.mp4"], ["frobnicate"],
    ])
    func usage(_ arguments: [String]) async throws {
        let result = try await TLProcess.run(arguments, currentDirectory: root)
        #expect(result.status == 64, "\(arguments): \(result.err)")
        #expect(!result.err.isEmpty)
        #expect(result.out.isEmpty)
    }

    @Test("an invalid policy file names the problem and exits 64")
    func badPolicy() async throws {
        let file = try scratch().appendingPathComponent("policy.json")
        try Data(#"{"min_side": -5}"#.utf8).write(to: file)
        let result = try await TLProcess.run(["preflight", "--policy", file.path, media("ok.mkv")], currentDirectory: root)
        #expect(result.status == 64)
        #expect(result.err.contains("min_side"))
    }

    @Test("--policy changes the limits")
    func policyOverride() async throws {
        let file = try scratch().appendingPathComponent("policy.json")
        try Data(#"{"min_duration_seconds": 3.5}"#.utf8).write(to: file)
        let strict = try await TLProcess.run(["preflight", "--format", "json", media("short_3.9s.mp4")], currentDirectory: root)
        #expect(strict.status == 1)
        let relaxed = try await TLProcess.run(["preflight", "--format", "json", "--policy", file.path, media("short_3.9s.mp4")], currentDirectory: root)
        #expect(relaxed.status == 0, "\(relaxed.out)")
    }

    @Test("--strict turns warnings into failures")
    func strict() async throws {
        let lenient = try await TLProcess.run(["preflight", "--format", "json", media("vfr.mp4")], currentDirectory: root)
        #expect(lenient.status == 0)
        let strict = try await TLProcess.run(["preflight", "--format", "json", "--strict", media("vfr.mp4")], currentDirectory: root)
        #expect(strict.status == 1)
        #expect(try json(strict)["summary"] as? [String: Int] == ["files": 1, "passed": 0, "failed": 1])
    }

    @Test("--decode catches the truncated faststart MP4 the quick check passes")
    func deep() async throws {
        let quick = try await TLProcess.run(["preflight", "--format", "json", media("truncated_faststart.mp4")], currentDirectory: root)
        #expect(quick.status == 0)
        let deep = try await TLProcess.run(["preflight", "--format", "json", "--decode", media("truncated_faststart.mp4"), media("corrupt_payload.mp4")], currentDirectory: root)
        #expect(deep.status == 1)
        #expect(reports(try json(deep)).map { codes($0) } == [["truncated"], ["decode_failed"]])
    }

    @Test("--decode keyframes and --decode packets: what each mode catches, in snake_case JSON with every key")
    func deepModes() async throws {
        let files = ["truncated_faststart.mp4", "damaged_keyframe.mp4", "damaged_nonkey.mp4"].map(media)
        var seen: [String: [[String]]] = [:]
        for mode in ["full", "keyframes", "packets"] {
            let result = try await TLProcess.run(["preflight", "--format", "json", "--decode", mode] + files, currentDirectory: root)
            #expect(result.status == 1)
            let all = reports(try json(result))
            seen[mode] = all.map { codes($0) }
            for report in all {
                let decode = try #require(report["decode"] as? [String: Any])
                #expect(Set(decode.keys) == ["outcome", "mode", "frames_decoded", "packets_read", "decoded_seconds",
                                              "declared_seconds", "failed_at_seconds", "message", "ffmpeg_message"])
                #expect(decode["mode"] as? String == mode)
            }
        }
        #expect(seen["full"] == [["truncated"], ["decode_failed"], ["decode_failed"]])
        #expect(seen["keyframes"] == [["truncated"], ["decode_failed"], []])
        #expect(seen["packets"] == [["truncated"], [], []])
        let bad = try await TLProcess.run(["preflight", "--decode", "frames", media("ok.mkv")], currentDirectory: root)
        #expect(bad.status == 64)
    }

    @Test("--decode packets fails a file whose timestamps leap, with the place of the gap")
    func packetGap() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gapped = dir.appendingPathComponent("gap.mp4").path
        // From the 26th frame on, every timestamp is 20 s later: a 20 s hole in the middle.
        try #require(try await ffmpeg(["-i", root.appendingPathComponent(media("ok_640x360_5s.mp4")).path,
                                 "-map", "0:v", "-c", "copy", "-bsf:v", "setts=ts=TS+gte(N\\,25)*20/TB", gapped]),
                     "the ffmpeg CLI (make test installs it) could not make the file")
        let result = try await TLProcess.run(["preflight", "--format", "json", "--decode", "packets", gapped], currentDirectory: root)
        #expect(result.status == 1)
        let report = try #require(reports(try json(result)).first)
        #expect(codes(report) == ["invalid_packets"])
        let message = (report["violations"] as? [[String: Any]])?.first?["message"] as? String ?? ""
        #expect(message.contains("gap of 20.10 s after 2.40 s"), "\(message)")
        let generous = try await TLProcess.run(["preflight", "--format", "json", "--decode", "packets", "--gap-threshold", "30", gapped], currentDirectory: root)
        #expect(generous.status == 0)
        // The threshold means nothing to the other modes: a usage error, not a silent no-op.
        let alone = try await TLProcess.run(["preflight", "--decode", "full", "--gap-threshold", "30", gapped], currentDirectory: root)
        #expect(alone.status == 64)
        #expect(alone.err.contains("--gap-threshold applies only to --decode packets"))
    }

    /// A long deep check shows how far it is on a terminal, and stops at once on Ctrl-C. The file is
    /// 40 s of 720p made here, given 30 times so that the whole run outlasts any machine's speed.
    @Test("--decode on a terminal: progress in percent on stderr, and SIGINT stops it promptly")
    func deepProgressAndInterrupt() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let long = dir.appendingPathComponent("long.mp4").path
        try #require(try await ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "40",
                                 "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", long]),
                     "the ffmpeg CLI (make test installs it) could not make the file")

        // `script` gives tl a pseudo-terminal for stdout and stderr, as a user's shell would.
        let tl = try TLProcess.binary().path
        let transcript = dir.appendingPathComponent("transcript").path
        let session = Process()
        session.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let files = Array(repeating: long, count: 30).joined(separator: " ")
        session.arguments = ["-qfec", "\(tl) preflight --jobs 1 --decode full \(files)", transcript]
        session.standardInput = FileHandle.nullDevice
        session.standardOutput = FileHandle.nullDevice
        let clock = ContinuousClock()
        try session.run()
        // Wait until the progress line has shown a percentage, then interrupt the check.
        var shown = ""
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline, session.isRunning {
            shown = (try? String(contentsOfFile: transcript, encoding: .utf8)) ?? ""
            if shown.range(of: #"decoding [0-9]+% long\.mp4"#, options: .regularExpression) != nil { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(shown.range(of: #"decoding [0-9]+% long\.mp4"#, options: .regularExpression) != nil, "\(shown)")
        try #require(session.isRunning, "the check ended before it could be interrupted")
        let interrupted = clock.now
        // tl is script's child, in the terminal's foreground process group: signal that group.
        let pgid = try #require(Self.childPID(of: session.processIdentifier))
        kill(-getpgid(pgid), SIGINT)
        while session.isRunning, clock.now - interrupted < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!session.isRunning)
        #expect(clock.now - interrupted < .seconds(2), "tl took \(clock.now - interrupted) to stop after SIGINT")
    }

    /// The first child of `pid`, from /proc.
    static func childPID(of pid: Int32) -> Int32? {
        let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)
        return text?.split(separator: " ").first.flatMap { Int32($0) }
    }

    @Test("--decode-timeout overrun is decode_timeout, not probe_timeout")
    func decodeTimeout() async throws {
        let result = try await TLProcess.run(["preflight", "--format", "json", "--decode", "--decode-timeout", "0.000001", media("ok.ts")], currentDirectory: root)
        #expect(result.status == 1)
        let report = try #require(reports(try json(result)).first)
        #expect(codes(report) == ["decode_timeout"])
    }

    @Test("directories expand to media files; --recursive descends")
    func directories() async throws {
        let dir = try scratch()
        let nested = dir.appendingPathComponent("nested")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root.appendingPathComponent(media("ok.mkv")).path, toPath: dir.appendingPathComponent("a.mkv").path)
        try FileManager.default.copyItem(atPath: root.appendingPathComponent(media("ok.webm")).path, toPath: nested.appendingPathComponent("b.webm").path)
        try Data("notes".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        let flat = try await TLProcess.run(["preflight", "--format", "json", dir.path])
        #expect(reports(try json(flat)).count == 1)
        let deep = try await TLProcess.run(["preflight", "--format", "json", "--recursive", dir.path])
        #expect(reports(try json(deep)).compactMap { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } } == ["a.mkv", "b.webm"])
        #expect(deep.status == 0)
    }

    @Test("text output: a row per file, reasons beneath failures, a summary, no colour codes off a terminal")
    func text() async throws {
        let result = try await TLProcess.run(["preflight", "--format", "text", media("ok.mkv"), media("short_3.9s.mp4"), media("vfr.mp4")], currentDirectory: root)
        #expect(result.status == 1)
        let lines = result.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("RESULT"))
        #expect(lines[1].hasPrefix("PASS") && lines[1].hasSuffix("TestMedia/ok.mkv"))
        #expect(lines[2].hasPrefix("FAIL") && lines[2].contains("3.90 s"))
        #expect(lines[3].contains("duration_too_short: Duration 3.90 s is below the 4 s minimum."))
        #expect(lines[4].hasPrefix("WARN"))
        #expect(lines[5].contains("warning variable_frame_rate:"), "warnings are marked as warnings, not only by colour")
        #expect(result.out.contains("3 files: 1 passed, 1 passed with warnings, 1 failed"))
        #expect(!result.out.contains("\u{1B}["))
    }

    @Test("a whole directory in JSON: reports stream in sorted order and the summary adds up")
    func wholeDirectory() async throws {
        let result = try await TLProcess.run(["preflight", "--format", "json", "--jobs", "2", "TestMedia"], currentDirectory: root)
        #expect(result.status == 1)
        let document = try json(result)
        let paths = reports(document).compactMap { $0["path"] as? String }
        #expect(paths.count == 40)
        #expect(paths == paths.sorted())
        let summary = try #require(document["summary"] as? [String: Int])
        #expect(summary["files"] == 40)
        #expect(summary["passed"] == reports(document).filter { $0["ok"] as? Bool == true }.count)
        #expect(summary["passed"]! + summary["failed"]! == 40)
    }

    @Test("a directory with no media: an empty, valid document, exit 0, a note on stderr")
    func emptyDirectory() async throws {
        let dir = try scratch()
        try Data("notes".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        let result = try await TLProcess.run(["preflight", "--format", "json", dir.path])
        #expect(result.status == 0)
        let document = try json(result)
        #expect(reports(document).isEmpty)
        #expect(document["summary"] as? [String: Int] == ["files": 0, "passed": 0, "failed": 0])
        #expect(result.err.contains("no media files found"))
    }

    @Test("on a terminal: text by default, with colours; NO_COLOR turns them off",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux script for a pty"))
    func terminal() async throws {
        func underPTY(_ environment: [String: String]) async throws -> String {
            let files = ["ok.mkv", "text.mp4"].map { root.appendingPathComponent(media($0)).path }.joined(separator: " ")
            let command = try TLProcess.binary().path + " preflight " + files
            return try await Subprocess.run("/usr/bin/script", ["-qec", command, "/dev/null"],
                                            environment: ["PATH": "/usr/bin:/bin", "TERM": "xterm"].merging(environment) { $1 }).out
        }
        let coloured = try await underPTY([:])
        #expect(coloured.contains("RESULT"), "text is the default on a terminal: \(coloured)")
        #expect(coloured.contains("\u{1B}[32mPASS") && coloured.contains("\u{1B}[31mFAIL"))
        let plain = try await underPTY(["NO_COLOR": "1"])
        #expect(plain.contains("PASS") && !plain.contains("\u{1B}["))
    }

    @Test("without --format, output off a terminal is JSON")
    func defaultFormat() async throws {
        let result = try await TLProcess.run(["preflight", media("ok.mkv")], currentDirectory: root)
        #expect(try json(result)["schema_version"] as? Int == 3)
    }

    @Test("--verbose routes FFmpeg's messages to stderr; without it stderr is silent")
    func verbose() async throws {
        let quiet = try await TLProcess.run(["preflight", "--format", "json", media("text.mp4"), media("corrupt_payload.mp4"), "--decode"], currentDirectory: root)
        #expect(quiet.err.isEmpty)
        let loud = try await TLProcess.run(["preflight", "--format", "json", "--verbose", media("text.mp4")], currentDirectory: root)
        #expect(loud.err.contains("moov atom not found"))
    }

    @Test("a failure to write the output is the tool failing: exit 2")
    func toolFailure() async throws {
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let result = try await TLProcess.run(["preflight", "--format", "json", media("ok.mkv")], currentDirectory: root, standardOutput: full)
        #expect(result.status == 2)
        #expect(result.err.contains("cannot write"))
    }

    @Test("help lists the contract's options")
    func help() async throws {
        let result = try await TLProcess.run(["preflight", "--help"])
        #expect(result.status == 0)
        for option in ["--format", "--jobs", "--recursive", "--strict", "--decode", "--policy", "Exit status"] {
            #expect(result.out.contains(option), "\(option)")
        }
    }
}

import Foundation
import Testing

/// Issue 9: the defects a new user hit in `tl`, and the conventions of gh, aws, ffprobe and curl,
/// each checked over the built binary (and, in CI, over the release build too: `make test-release`).
@Suite(.timeLimit(.minutes(3))) struct CLIConventionTests {
    static let root = TLProcess.packageRoot
    static func media(_ name: String) -> String { root.appendingPathComponent("TestMedia/" + name).path }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tl-conv-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A usage error: exit 64, the message, and the usage of the subcommand itself.
    static func expectUsage(_ result: TLResult, _ message: String, usage: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 64, "\(result.err)", sourceLocation: sourceLocation)
        #expect(result.err.contains(message), "\(result.err)", sourceLocation: sourceLocation)
        #expect(result.err.contains("Usage: \(usage)"), "\(result.err)", sourceLocation: sourceLocation)
        #expect(!result.err.contains("Usage: tl <subcommand>") || usage == "tl <subcommand>", "\(result.err)", sourceLocation: sourceLocation)
    }

    // MARK: - Defect 1: tasks wait with many ids

    /// 50 ids and 5 unknown ones, in three orders: every answer is paired with its own id, in the
    /// order given (the release build crashed, or paired results with the wrong ids).
    @Test func waitForFiftyTasksMixedWithUnknownOnesInEveryOrder() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--processing", "0.6", "--queued", "0.05", "--pending", "0.05"])
        var ids: [String] = []
        for index in 0..<50 { ids.append(try await sandbox.createTask(prompt: "clip \(index)", customID: "c\(index)")) }
        let unknown = (0..<5).map { "6710f6f6ffffffffffff000\($0)" }
        var generator = SeededGenerator(seed: 9)
        let given = ids + unknown
        for order in [given, given.reversed(), given.shuffled(using: &generator)] {
            let waited = try await TLProcess.run(["tasks", "wait", "--poll-interval", "0.1", "--format", "json"] + order,
                                                 environment: sandbox.environment)
            #expect(waited.status == 1, "unknown ids make the wait fail: \(waited.err)")
            let results = try #require(try Self.json(waited.out)["results"] as? [[String: Any]])
            #expect(results.map { $0["task_id"] as? String } == order)
            for result in results {
                let id = try #require(result["task_id"] as? String)
                if unknown.contains(id) {
                    #expect(result["outcome"] as? String == "error")
                    #expect((result["error"] as? [String: Any])?["code"] as? String == "not_found")
                } else {
                    #expect(result["outcome"] as? String == "ready")
                    let task = try #require(result["task"] as? [String: Any])
                    #expect(task["task_id"] as? String == id, "the answer for \(id) is another task's")
                    let index = try #require(ids.firstIndex(of: id))
                    #expect(task["custom_id"] as? String == "c\(index)")
                }
            }
        }
        let two = try await TLProcess.run(["tasks", "wait", ids[0], ids[1]], environment: sandbox.environment)
        #expect(two.status == 0, "\(two.err)")
        #expect(two.out.contains("\(ids[0])  ready") && two.out.contains("\(ids[1])  ready"))
        await sandbox.stop()
    }

    // MARK: - Defect 2: --strict agrees with itself

    @Test func strictMakesAWarningAFailureEverywhere() async throws {
        let vfr = Self.media("vfr.mp4")
        let plain = try await TLProcess.run(["preflight", "--format", "json", vfr])
        let plainReport = try #require((try Self.json(plain.out)["reports"] as? [[String: Any]])?.first)
        #expect(plain.status == 0 && plainReport["ok"] as? Bool == true && plainReport["source"] is [String: Any])

        let strict = try await TLProcess.run(["preflight", "--format", "json", "--strict", vfr])
        let document = try Self.json(strict.out)
        let report = try #require((document["reports"] as? [[String: Any]])?.first)
        #expect(strict.status == 1)
        #expect(report["ok"] as? Bool == false)
        #expect(report["source"] is NSNull, "a report that fails has no source plan")
        #expect((document["summary"] as? [String: Int])?["failed"] == 1)

        let jsonl = try await TLProcess.run(["preflight", "--format", "jsonl", "--strict", vfr])
        #expect(try Self.json(jsonl.out)["ok"] as? Bool == false)

        let text = try await TLProcess.run(["preflight", "--format", "text", "--strict", vfr])
        #expect(text.out.split(separator: "\n")[1].hasPrefix("FAIL"))
        #expect(text.out.contains("warning (fails under --strict) variable_frame_rate"))
        #expect(text.out.contains("1 file: 0 passed, 1 failed (1 only for warnings, under --strict)"))
    }

    // MARK: - Defect 3: paths that start with '-', and no arguments

    @Test func dashPathsAndMissingArgumentsAreUsageErrors() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: Self.media("ok.mov"), toPath: dir.appendingPathComponent("-dash.mov").path)
        for name in ["-dash.mov", "-foo.mov", "-x"] {
            let result = try await TLProcess.run(["preflight", name], currentDirectory: dir)
            Self.expectUsage(result, "Unknown option '\(name)'", usage: "tl preflight")
            #expect(result.err.contains("put -- before it: tl preflight -- \(name)"))
            #expect(result.out.isEmpty, "no help, no report")
        }
        let separated = try await TLProcess.run(["preflight", "--format", "json", "--", "-dash.mov"], currentDirectory: dir)
        #expect(separated.status == 0, "\(separated.err)")
        #expect((try Self.json(separated.out)["reports"] as? [[String: Any]])?.first?["path"] as? String == "-dash.mov")

        Self.expectUsage(try await TLProcess.run([]), "Give a subcommand: preflight, submit, tasks", usage: "tl <subcommand>")
        Self.expectUsage(try await TLProcess.run(["preflight"]), "Give at least one PATH", usage: "tl preflight")
        Self.expectUsage(try await TLProcess.run(["tasks"]), "Give a subcommand: list, get, wait", usage: "tl tasks <subcommand>")
        let valueHint = try await TLProcess.run(["submit", "a.mp4", "--prompt", "-hi"])
        Self.expectUsage(valueHint, "write --prompt=-hi", usage: "tl submit")
        // Short options that exist still cluster.
        let cluster = try await TLProcess.run(["preflight", "-rq", "--format", "json", dir.path])
        #expect(cluster.status == 0, "\(cluster.err)")
    }

    @Test func aMistypedSubcommandGetsTheClosestOne() async throws {
        Self.expectUsage(try await TLProcess.run(["tasks", "lst"]), "'lst' is not a subcommand of 'tl tasks'. Did you mean 'list'?", usage: "tl tasks <subcommand>")
        Self.expectUsage(try await TLProcess.run(["prefligt", "x.mp4"]), "Did you mean 'preflight'?", usage: "tl <subcommand>")
        Self.expectUsage(try await TLProcess.run(["uploads", "clear"]), "Did you mean 'clean'?", usage: "tl uploads <subcommand>")
        // ArgumentParser's own help command still works at every level.
        let help = try await TLProcess.run(["help", "tasks", "list"])
        #expect(help.status == 0 && help.out.contains("USAGE: tl tasks list"), "\(help.err)")
        Self.expectUsage(try await TLProcess.run(["tasks", "help", "wait"]), "For help, run 'tl tasks --help' or 'tl help tasks'.", usage: "tl tasks <subcommand>")
    }

    // MARK: - Defect 4: work sent is shown as it is made, and the way on after an interruption

    @Test func submitPrintsEachLineAsItIsKnownAndTheWayOnWhenInterrupted() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--processing", "60"])
        let live = try LiveProcess(["submit", Self.media("ok_640x360_5s.mp4"), "--prompt", "Who appears?", "--prompt", "What is said?", "--wait"],
                                   environment: sandbox.environment)
        #expect(await live.waitFor("(prompt 2 of 2: \"What is said?\")"), "the task lines appear while the tasks run: \(live.out)")
        #expect(live.out.contains("source: direct"))
        #expect(live.out.contains("asset:  "))
        live.signal(SIGINT)
        #expect(await live.finish() == 130)
        let ids = live.out.split(separator: "\n").filter { $0.hasPrefix("task:   ") }.map { String($0.split(separator: " ")[1]) }
        #expect(ids.count == 2)
        #expect(live.err.contains("interrupted"))
        #expect(live.err.contains("follow with: tl tasks wait \(ids.joined(separator: " "))"), "\(live.err)")
        await sandbox.stop()
    }

    @Test func submitSaysWhichTaskExistsWhenTheServerDies() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--processing", "60"])
        let live = try LiveProcess(["submit", Self.media("ok_640x360_5s.mp4"), "--prompt", "x", "--wait", "--retries", "0", "--poll-interval", "0.1"],
                                   environment: sandbox.environment)
        #expect(await live.waitFor("task:   "))
        await sandbox.stop()
        #expect(await live.finish() == 1)
        let id = try #require(live.out.split(separator: "\n").first { $0.hasPrefix("task:   ") }?.split(separator: " ")[1])
        #expect(live.err.contains("follow with: tl tasks wait \(id)"), "\(live.err)")
        #expect(live.err.contains("could not connect to 127.0.0.1:"), "a plain connection message: \(live.err)")
    }

    /// An interrupted multipart upload says, when run again, how much it resumes; `tl uploads list`
    /// shows the saved state, and `tl uploads clean` removes it once the file changed.
    @Test func anInterruptedUploadSaysWhatResumesAndUploadsListsAndCleansIt() async throws {
        // Five chunks a second apart: the interruption lands midway even on a loaded machine.
        let sandbox = try await SandboxProcess(arguments: ["--chunk-size", "12000", "--chunk-delay", "1", "--asset-processing", "0.05"])
        let cache = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: cache) }
        let video = cache.appendingPathComponent("clip.mp4")
        try FileManager.default.copyItem(atPath: Self.media("ok_640x360_5s.mp4"), toPath: video.path)
        var environment = sandbox.environment
        environment["XDG_CACHE_HOME"] = cache.path
        /// Waits until the saved state lists at least `chunks` finished chunks (read from the file itself).
        func saved(_ chunks: Int) async throws -> Bool {
            let states = cache.appendingPathComponent("videopreflight/uploads")
            for _ in 0..<1500 {
                if AssetsCLITests.finished(AssetsCLITests.stateFile(in: states) ?? [:]).count >= chunks { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
        let first = try LiveProcess(["submit", video.path, "--prompt", "x", "--source", "multipart", "--parallel", "1"], environment: environment)
        #expect(await first.waitFor("asset:  "))
        #expect(try await saved(2))
        first.signal(SIGINT)
        #expect(await first.finish() == 130)
        #expect(first.err.contains("run the same command again to send only the missing chunks"), "\(first.err)")

        let listed = try await TLProcess.run(["uploads", "list", "--format", "json"], environment: environment)
        let entry = try #require((try Self.json(listed.out)["data"] as? [[String: Any]])?.first, "\(listed.out)")
        #expect(entry["condition"] as? String == "resumable")
        #expect(entry["file"] as? String == video.path)
        let done = try #require(entry["chunks_done"] as? Int)
        let total = try #require(entry["total_chunks"] as? Int)
        #expect(done > 0 && done < total)
        let text = try await TLProcess.run(["uploads", "list"], environment: environment)
        #expect(text.out.contains("\(done)/\(total)") && text.out.contains("resumable"))

        let again = try await TLProcess.run(["submit", video.path, "--prompt", "x", "--source", "multipart"], environment: environment)
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.contains("resumed \(done) of \(total) chunks"), "\(again.out)")
        let empty = try await TLProcess.run(["uploads", "list"], environment: environment)
        #expect(empty.out.hasPrefix("no saved uploads"))

        // A state whose file then changed is stale, and clean removes it (a resumable one stays).
        let second = try LiveProcess(["submit", video.path, "--prompt", "y", "--source", "multipart", "--parallel", "1"], environment: environment)
        #expect(await second.waitFor("asset:  "))
        #expect(try await saved(1))
        second.signal(SIGTERM)
        #expect(await second.finish() == 143)
        let kept = try await TLProcess.run(["uploads", "clean"], environment: environment)
        #expect(kept.out.contains("0 removed, 1 kept"), "\(kept.out)")
        let handle = try FileHandle(forWritingTo: video)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let stale = try await TLProcess.run(["uploads", "list", "--format", "json"], environment: environment)
        #expect((try Self.json(stale.out)["data"] as? [[String: Any]])?.first?["condition"] as? String == "file_changed")
        let cleaned = try await TLProcess.run(["uploads", "clean"], environment: environment)
        #expect(cleaned.out.contains("1 removed, 0 kept"), "\(cleaned.out)")
        await sandbox.stop()
    }

    // MARK: - Defect 5: stdin, FIFOs and process substitution

    @Test func fileOptionsReadStdinFIFOsAndProcessSubstitution() async throws {
        let clip = Self.media("ok_640x360_5s.mp4")
        let fromStdin = try await TLProcess.run(["submit", clip, "--prompt-file", "-", "--dry-run", "--format", "json"],
                                                stdin: Data("  Describe the scene.\n".utf8))
        #expect(fromStdin.status == 0, "\(fromStdin.err)")
        #expect(fromStdin.out.contains("Describe the scene."))

        let schema = Data(#"{"type":"object","properties":{"title":{"type":"string"}}}"#.utf8)
        let devStdin = try await TLProcess.run(["submit", clip, "--prompt", "x", "--json-schema", "/dev/stdin", "--dry-run", "--format", "json"], stdin: schema)
        #expect(devStdin.status == 0, "\(devStdin.err)")
        #expect(devStdin.out.contains("\"title\""))

        let policy = try await TLProcess.run(["preflight", "--format", "json", "--policy", "-", clip], stdin: Data(#"{"min_duration_seconds": 6}"#.utf8))
        #expect(policy.status == 1, "the policy from stdin applies: \(policy.err)")
        #expect(policy.out.contains("duration_too_short"))

        // Process substitution, as a shell gives it: /dev/fd/N of a pipe.
        let tl = try TLProcess.binary().path
        let substituted = try await Subprocess.run("/bin/bash", [
            "-c", "\"$0\" submit \"$1\" --prompt x --dry-run --format json --json-schema <(printf '%s' '{\"type\":\"object\"}')", tl, clip])
        #expect(substituted.status == 0)
        #expect(substituted.out.contains("json_schema"))

        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("prompt.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        Thread.detachNewThread {
            if let handle = FileHandle(forWritingAtPath: fifo) {
                handle.write(Data("From a FIFO.".utf8))
                try? handle.close()
            }
        }
        let fromFIFO = try await TLProcess.run(["submit", clip, "--prompt-file", fifo, "--dry-run", "--format", "json"])
        #expect(fromFIFO.status == 0, "\(fromFIFO.err)")
        #expect(fromFIFO.out.contains("From a FIFO."))

        let twice = try await TLProcess.run(["submit", clip, "--prompt-file", "-", "--json-schema", "-", "--dry-run"])
        Self.expectUsage(twice, "Only one option can read standard input; --prompt-file and --json-schema both name it.", usage: "tl submit")
        let missing = try await TLProcess.run(["submit", clip, "--prompt", "x", "--json-schema", dir.appendingPathComponent("none.json").path, "--dry-run"])
        Self.expectUsage(missing, "Cannot read the JSON schema file", usage: "tl submit")
        #expect(missing.err.contains("no such file or directory"))
        let directory = try await TLProcess.run(["preflight", "--policy", dir.path, clip])
        Self.expectUsage(directory, "it is a directory", usage: "tl preflight")
        // An option's file is a prompt, schema or policy: past 16 MiB it is refused, not read whole.
        let huge = try await TLProcess.run(["preflight", "--policy", "-", clip], stdin: Data(repeating: UInt8(ascii: " "), count: (16 << 20) + 1))
        Self.expectUsage(huge, "The policy file - (--policy) is larger than 16 MiB.", usage: "tl preflight")
    }

    // MARK: - Defect 6: policy files

    @Test func policyFilesAreStrictAndSpeakPlainly() async throws {
        let clip = Self.media("ok.mov")
        let cases: [(String, String)] = [
            (#"{"min_duration_second": 3}"#, "unknown key 'min_duration_second' (did you mean 'min_duration_seconds'?)"),
            (#"{"max_duration_seconds": "long"}"#, "'max_duration_seconds' must be a number"),
            (#"{"require_decodable_video": 1}"#, "'require_decodable_video' must be true or false"),
            (#"[1, 2]"#, "it must be one JSON object"),
            (#"{"min_side": "#, "it is not valid JSON"),
            (#"{"min_side": 0}"#, "'min_side' must be greater than zero"),
            (#"{"min_duration_seconds": 100, "max_duration_seconds": 10}"#, "'min_duration_seconds' must not exceed max_duration_seconds"),
        ]
        for (body, message) in cases {
            let result = try await TLProcess.run(["preflight", "--policy", "-", clip], stdin: Data(body.utf8))
            Self.expectUsage(result, message, usage: "tl preflight")
            let first = String(result.err.split(separator: "\n").first ?? "")
            for leak in ["Expected to decode", "NSCocoaErrorDomain", "Dictionary<", "..", "codingPath"] {
                #expect(!first.contains(leak), "\(body): \(first)")
            }
        }
    }

    // MARK: - Defect 7: preflight wherever a file is sent

    @Test func assetsUploadAndSubmitCheckBeforeSending() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--asset-processing", "0.05"])
        let short = Self.media("short_3.9s.mp4")
        let refused = try await TLProcess.run(["assets", "upload", short], environment: sandbox.environment)
        #expect(refused.status == 1)
        #expect(refused.err.contains("fails preflight (duration_too_short); nothing was sent"))
        #expect(try await AssetsCLITests.stats(sandbox)["assets"] as? Int == 0)
        let forced = try await TLProcess.run(["assets", "upload", short, "--force", "--no-wait"], environment: sandbox.environment)
        #expect(forced.status == 0, "\(forced.err)")
        #expect(forced.err.contains("is uploaded because of --force"))
        #expect(try await AssetsCLITests.stats(sandbox)["assets"] as? Int == 1)

        // The deep check catches what the probe does not: a truncated faststart MP4.
        let truncated = Self.media("truncated_faststart.mp4")
        let probed = try await TLProcess.run(["submit", truncated, "--prompt", "x", "--dry-run", "--format", "json"])
        #expect(probed.status == 0, "the probe alone passes it: \(probed.err)")
        let decoded = try await TLProcess.run(["submit", truncated, "--prompt", "x", "--decode", "packets"], environment: sandbox.environment)
        #expect(decoded.status == 1, "\(decoded.err)")
        #expect(decoded.err.contains("fails preflight") && decoded.err.contains("nothing was sent"), "\(decoded.err)")

        let vfr = Self.media("vfr.mp4")
        let warned = try await TLProcess.run(["submit", vfr, "--prompt", "x"], environment: sandbox.environment)
        #expect(warned.status == 0, "\(warned.err)")
        #expect(warned.err.contains("warning: variable_frame_rate:"), "submit prints preflight warnings: \(warned.err)")
        let strict = try await TLProcess.run(["submit", vfr, "--prompt", "x", "--strict"], environment: sandbox.environment)
        #expect(strict.status == 1)
        #expect(strict.err.contains("fails preflight (variable_frame_rate); nothing was sent"), "\(strict.err)")
        let policy = try await TLProcess.run(["submit", Self.media("ok.mov"), "--prompt", "x", "--policy", "-"],
                                             environment: sandbox.environment, stdin: Data(#"{"max_duration_seconds": 4.5}"#.utf8))
        #expect(policy.status == 1)
        #expect(policy.err.contains("duration_too_long"), "\(policy.err)")
        await sandbox.stop()
    }

    // MARK: - Defect 9: names and ids

    @Test func aNameThatIsNotUTF8IsCheckedAndShownEscaped() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Build the name from bytes: Foundation cannot spell it.
        let name: [UInt8] = Array("clip-".utf8) + [0xFF, 0xFE] + Array(".mov".utf8)
        let path = Array(dir.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let source = open(Self.media("ok.mov"), O_RDONLY)
        let target = path.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o600) }
        #expect(source >= 0 && target >= 0)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(source, &buffer, buffer.count)
            if count <= 0 { break }
            _ = write(target, buffer, count)
        }
        close(source)
        close(target)
        // Given as a directory (readdir) and as an argument (argv bytes).
        let text = try await Subprocess.run("/bin/bash", [
            "-c", "\"$0\" preflight --format json \"$1\" \"$1\"/clip-$'\\xff\\xfe'.mov \"$1\"/gone-$'\\xff'.mov", try TLProcess.binary().path, dir.path]).out
        let reports = try #require(try Self.json(text)["reports"] as? [[String: Any]])
        #expect(reports.count == 3)
        #expect(reports[0]["path"] as? String == dir.path + "/clip-\\xFF\\xFE.mov")
        #expect(reports[0]["ok"] as? Bool == true, "the file is found and checked")
        #expect(reports[1]["ok"] as? Bool == true)
        let gone = try #require((reports[2]["violations"] as? [[String: Any]])?.first)
        #expect(gone["code"] as? String == "file_not_found")
        #expect((gone["message"] as? String)?.contains("gone-\\xFF.mov does not exist") == true)
    }

    @Test(arguments: [
        (["tasks", "get", ""], "'' is not a valid task id.", "tl tasks get"),
        (["tasks", "delete", "ok", " "], "' ' is not a valid task id.", "tl tasks delete"),
        (["tasks", "cancel"], "Give at least one task id.", "tl tasks cancel"),
        (["assets", "get", ""], "'' is not a valid asset id.", "tl assets get"),
        (["tasks", "list", "--status", "bogus"], "queued", "tl tasks list"),
        (["preflight", "--timeout", "0", "x.mp4"], "--timeout must be more than 0 and at most 86400 seconds.", "tl preflight"),
        (["submit", "x.mp4", "--prompt", "p", "--timeout", "5"], "--timeout applies only with --wait.", "tl submit"),
        (["submit", "x.mp4", "--prompt", "p", "--poll-interval", "1"], "--poll-interval applies only with --wait.", "tl submit"),
        (["submit", "x.mp4", "--prompt", "p", "--source", "base64", "--parallel", "2"], "--parallel applies only to multipart uploads", "tl submit"),
        (["assets", "upload", "x.mp4", "--method", "direct", "--parallel", "2"], "--parallel applies only to multipart uploads, not --method direct.", "tl assets upload"),
        (["submit", "--url", "https://cdn.example.com/a.mp4", "--prompt", "p", "--strict"], "--decode and --strict check a local file", "tl submit"),
        (["uploads", "clean", "--older-than", "-1"], "write --older-than=-1", "tl uploads clean"),
        (["preflight", "--decode-timeout", "5", "x.mp4"], "--decode-timeout applies only with --decode.", "tl preflight"),
        (["uploads", "clean", "--older-than=-1"], "--older-than must be 0 or more days.", "tl uploads clean"),
    ])
    func usageErrors(arguments: [String], message: String, usage: String) async throws {
        let result = try await TLProcess.run(arguments, environment: ["TWELVE_LABS_API_KEY": "unused-key"])
        Self.expectUsage(result, message, usage: usage)
        #expect(!result.err.contains("error: error"))
    }

    @Test func tasksDeleteAndCancelTakeSeveralIDsAndPagePastTheEndFails() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--processing", "60"])
        let a = try await sandbox.createTask(prompt: "a"), b = try await sandbox.createTask(prompt: "b")
        let canceled = try await TLProcess.run(["tasks", "cancel", a, b, "nope"], environment: sandbox.environment)
        #expect(canceled.status == 1, "one unknown id fails the command, the others are canceled")
        #expect(canceled.out.contains("\(a)  canceled") && canceled.out.contains("\(b)  canceled"))
        #expect(canceled.err.contains("error: nope: "))
        let deleted = try await TLProcess.run(["tasks", "delete", a, b], environment: sandbox.environment)
        #expect(deleted.status == 0, "\(deleted.err)")
        #expect(deleted.out == "deleted \(a)\ndeleted \(b)\n")
        _ = try await sandbox.createTask(prompt: "c")
        let past = try await TLProcess.run(["tasks", "list", "--page", "5"], environment: sandbox.environment)
        #expect(past.status == 1)
        #expect(past.err.contains("page 5 is past the last page (1, 1 task at 10 a page)"), "\(past.err)")
        await sandbox.stop()
    }

    // MARK: - Defect 10: messages

    @Test func messagesAreSentencesWithBalancedBrackets() async throws {
        // A port nothing listens on: bind one, note it, close it.
        let port = try Self.freePort()
        let refused = try await TLProcess.run(["tasks", "list", "--retries", "0"],
                                              environment: ["TWELVELABS_BASE_URL": "http://127.0.0.1:\(port)/v1.3", "TWELVE_LABS_API_KEY": "demo-key-1"])
        #expect(refused.status == 1)
        #expect(refused.err.contains("could not connect to 127.0.0.1:\(port) (connection refused)"), "\(refused.err)")
        #expect(refused.err.filter { $0 == "(" }.count == refused.err.filter { $0 == ")" }.count, "\(refused.err)")
        #expect(!refused.err.contains("errno"))

        let sandbox = try await SandboxProcess()
        let busyPort = try #require(URLComponents(string: sandbox.baseURL)?.port)
        let taken = try await TLProcess.run(["sandbox", "--port", "\(busyPort)"])
        #expect(taken.status == 2)
        #expect(taken.err.contains("could not listen on 127.0.0.1:\(busyPort) (address already in use; pick another --port, or --port 0 for a free one)"), "\(taken.err)")

        let temperature = try await TLProcess.run(["submit", Self.media("ok.mov"), "--prompt", "x", "--temperature", "5"], environment: sandbox.environment)
        #expect(temperature.status == 64)
        #expect(temperature.err.contains("error: temperature_out_of_range (temperature): Temperature 5.0 is outside 0.0–1.0."), "\(temperature.err)")

        let long = String(repeating: "word ", count: 3000)
        let tooLong = try await TLProcess.run(["submit", Self.media("ok.mov"), "--prompt", long, "--dry-run"])
        #expect(tooLong.status == 64)
        #expect(tooLong.err.contains("estimated as the larger of 15000 UTF-8 bytes ÷ 3 and 3000 words"), "\(tooLong.err)")
        // --no-prompt-limit sends it with a warning, and the platform judges: the sandbox counts as the
        // platform does here, so its refusal is the proof that the request was sent.
        let through = try await TLProcess.run(["submit", Self.media("ok.mov"), "--prompt", long, "--no-prompt-limit"], environment: sandbox.environment)
        #expect(through.err.contains("warning: prompt_too_long (prompt)"), "\(through.err)")
        #expect(through.err.contains("create_task failed") && through.err.contains("token_limit_exceeded"), "\(through.err)")
        await sandbox.stop()
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: - Conventions

    @Test func retriesPrintALineUnlessQuiet() async throws {
        let sandbox = try await SandboxProcess(arguments: ["--fault-rate", "1", "--fault-kinds", "server-error"])
        let loud = try await TLProcess.run(["tasks", "list", "--retries", "2"], environment: sandbox.environment)
        #expect(loud.status == 1)
        let lines = loud.err.split(separator: "\n").filter { $0.contains("retrying in") }
        #expect(lines.count == 2, "\(loud.err)")
        #expect(lines.first?.contains("500 from the API, retrying in") == true)
        #expect(lines.first?.hasSuffix("(attempt 2 of 3)") == true && lines.last?.hasSuffix("(attempt 3 of 3)") == true, "\(lines)")
        let quiet = try await TLProcess.run(["tasks", "list", "--retries", "2", "-q"], environment: sandbox.environment)
        #expect(quiet.status == 1)
        #expect(!quiet.err.contains("retrying"))
        #expect(quiet.err.contains("error: list_tasks failed"))
        await sandbox.stop()
    }

    @Test func shortOptionsOutputFileAndColour() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = dir.appendingPathComponent("report.json").path
        let result = try await TLProcess.run(["preflight", "-j", "1", "-f", "json", "-o", report, "-q", Self.media("ok.mov")])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.isEmpty)
        let written = try String(contentsOfFile: report, encoding: .utf8)
        #expect(written.contains("\"schema_version\" : 3"))
        var info = stat()
        #expect(stat(report, &info) == 0 && info.st_mode & 0o777 == 0o600, "files tl creates are private")

        let colours = try await TLProcess.run(["preflight", "-f", "text", "--color", "always", Self.media("ok.mov")])
        #expect(colours.out.contains("\u{1B}[32m"))
        let plain = try await TLProcess.run(["preflight", "-f", "text", "--color", "never", Self.media("ok.mov")])
        #expect(!plain.out.contains("\u{1B}["))
        // --no-progress: a deep check on a terminal draws no progress line.
        let long = dir.appendingPathComponent("long.mp4").path
        let made = try await Subprocess.run("/usr/bin/ffmpeg", [
            "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "5",
            "-c:v", "libx264", "-preset", "ultrafast", long])
        try #require(made.status == 0, "the ffmpeg CLI (make test installs it) could not make the file")
        for (flag, drawn) in [("", true), ("--no-progress", false)] {
            let transcript = dir.appendingPathComponent("progress\(drawn)").path
            _ = try await Subprocess.run("/usr/bin/script", [
                "-qfec", "\(try TLProcess.binary().path) preflight --decode full --jobs 1 \(flag) \(long) \(long)", transcript])
            let shown = try String(contentsOfFile: transcript, encoding: .utf8)
            #expect(shown.contains("decoding ") == drawn, "\(flag): \(shown.suffix(300))")
        }

        // NO_COLOR counts only when non-empty; run on a terminal (script) so that auto would colour.
        for (value, coloured) in [("1", false), ("", true)] {
            let transcript = dir.appendingPathComponent("t-\(coloured)").path
            _ = try await Subprocess.run("/usr/bin/script", ["-qfec", "\(try TLProcess.binary().path) preflight \(Self.media("ok.mov"))", transcript],
                                         environment: ["PATH": "/usr/bin:/bin", "TERM": "xterm", "NO_COLOR": value])
            let shown = try String(contentsOfFile: transcript, encoding: .utf8)
            #expect(shown.contains("\u{1B}[32m") == coloured, "NO_COLOR='\(value)': \(shown)")
        }
    }

    @Test func apiKeyFileAndTheCommonSlipInTheVariableName() async throws {
        let sandbox = try await SandboxProcess()
        let key = try #require(sandbox.apiKey)
        let fromFile = try await TLProcess.run(["tasks", "list", "--api-key-file", "-"],
                                               environment: ["TWELVELABS_BASE_URL": sandbox.baseURL, "TWELVE_LABS_API_KEY": "wrong"],
                                               stdin: Data("\(key)\n".utf8))
        #expect(fromFile.status == 0, "--api-key-file wins over the variable: \(fromFile.err)")
        let slip = try await TLProcess.run(["tasks", "list"], environment: ["TWELVELABS_BASE_URL": sandbox.baseURL, "TWELVELABS_API_KEY": key])
        #expect(slip.status == 0, "\(slip.err)")
        #expect(slip.err.contains("note: using TWELVELABS_API_KEY; the variable tl reads is TWELVE_LABS_API_KEY"))
        let missing = try await TLProcess.run(["tasks", "list"], environment: ["TWELVELABS_BASE_URL": sandbox.baseURL])
        #expect(missing.status == 64)
        #expect(missing.err.contains("TWELVE_LABS_API_KEY"))
        let remote = try await TLProcess.run(["tasks", "list"], environment: ["TWELVELABS_BASE_URL": "http://api.example.com/v1.3", "TWELVE_LABS_API_KEY": key])
        Self.expectUsage(remote, "Refusing to send the API key over plain http:// to api.example.com", usage: "tl tasks list")
        #expect(!remote.err.contains(key) && !fromFile.err.contains(key) && !slip.err.contains(key))
        // A name that merely starts like a loopback address is anywhere on the internet.
        let lookalike = try await TLProcess.run(["tasks", "list"], environment: ["TWELVELABS_BASE_URL": "http://127.0.0.1.example.com/v1.3", "TWELVE_LABS_API_KEY": key])
        Self.expectUsage(lookalike, "Refusing to send the API key over plain http:// to 127.0.0.1.example.com", usage: "tl tasks list")
        // --insecure lifts the refusal (0.0.0.0 is not loopback by name, and refuses the connection at once).
        let insecure = try await TLProcess.run(["tasks", "list", "--insecure", "--retries", "0"],
                                               environment: ["TWELVELABS_BASE_URL": "http://0.0.0.0:9/v1.3", "TWELVE_LABS_API_KEY": key])
        #expect(insecure.status == 1 && !insecure.err.contains("Refusing") && !insecure.err.contains(key), "\(insecure.err)")
        // Every request logged at the most verbose level, and the key in none of it.
        let verbose = try await TLProcess.run(["tasks", "list", "--verbose"], environment: ["TWELVELABS_BASE_URL": sandbox.baseURL, "TWELVE_LABS_API_KEY": key])
        #expect(verbose.status == 0 && verbose.err.contains("GET"), "\(verbose.err)")
        #expect(!verbose.err.contains(key) && !verbose.out.contains(key))
        await sandbox.stop()
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) async throws {
        let result = try await TLProcess.run(["completion", shell])
        #expect(result.status == 0, "\(result.err)")
        // fish names options as 'f/format=', the others as --format.
        let options = ["format", "status", "source"].map { shell == "fish" ? $0 + "=" : "--" + $0 }
        for word in ["preflight", "submit", "tasks", "uploads", "multipart", "canceled", "jsonl"] + options {
            #expect(result.out.contains(word), "\(shell) completion lacks \(word)")
        }
        if shell == "bash" { #expect(result.out.contains("complete -o filenames") || result.out.contains("compgen -f") || result.out.contains("_filedir")) }
    }

    @Test func tableShowsLongDurationsAndWideCodecNames() async throws {
        let result = try await TLProcess.run(["preflight", "-f", "text", Self.media("long_7200s.mp4"), Self.media("estimated_duration.m1v")])
        let lines = result.out.split(separator: "\n").map(String.init)
        #expect(lines[1].contains("7200.00 s (2:00:00)"), "\(result.out)")
        let fileColumn = try #require(lines[0].range(of: "FILE")).lowerBound.utf16Offset(in: lines[0])
        for line in lines.filter({ $0.hasPrefix("PASS") || $0.hasPrefix("WARN") || $0.hasPrefix("FAIL") }) {
            let path = try #require(line.range(of: Self.root.path)).lowerBound.utf16Offset(in: line)
            #expect(path == fileColumn, "columns line up: \(line)")
        }
        #expect(lines.contains { $0.contains("mpeg1video  ") }, "\(result.out)")
    }
}

/// A deterministic generator for shuffles (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

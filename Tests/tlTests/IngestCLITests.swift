import AnalyzeAPI
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Ingest
import Logging
import Submission
import Testing

/// `tl ingest` as a user runs it: the built binary against a `tl sandbox` child, killed with real signals.
@Suite(.serialized, .timeLimit(.minutes(10))) struct IngestCLITests {
    static let media = TLProcess.packageRoot.appendingPathComponent("TestMedia")

    /// `good` distinct passing videos and `bad` distinct failing ones (too small), plus one empty file.
    static func library(good: Int, bad: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vp-cli-lib-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let sample = try Data(contentsOf: media.appendingPathComponent("ok_640x360_5s.mp4"))
        let small = try Data(contentsOf: media.appendingPathComponent("res_359x360.mp4"))
        for index in 0..<good { try (sample + Data("vp-unique-\(index)".utf8)).write(to: folder.appendingPathComponent(String(format: "good%03d.mp4", index))) }
        for index in 0..<bad { try (small + Data("vp-unique-\(index)".utf8)).write(to: folder.appendingPathComponent(String(format: "small%03d.mp4", index))) }
        try Data().write(to: folder.appendingPathComponent("empty.mp4"))
        return folder
    }

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("vp-\(name)-\(UUID().uuidString)")
    }

    /// GET `/_sandbox/stats` as JSON.
    static func stats(_ sandbox: SandboxProcess) async throws -> [String: Any] {
        let url = URL(string: sandbox.baseURL.replacingOccurrences(of: "/v1.3", with: "") + "/_sandbox/stats")!
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: url) { data, _, error in
                if let error { return continuation.resume(throwing: error) }
                continuation.resume(returning: data ?? Data())
            }.resume()
        }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func ingestArguments(_ folder: URL, journal: String, extra: [String] = []) -> [String] {
        ["ingest", "run", folder.path, "--prompt", "Summarise.", "--prompt", "Who speaks?", "--journal", journal,
         "--lease-seconds", "2", "--poll-seconds", "0.2", "--retries", "2"] + extra
    }

    @Test("Crash safety: 100 files, 20 % faults with drop-after-create, SIGKILL at 10 seeded moments, then to the end")
    func crashSafety() async throws {
        let folder = try Self.library(good: 88, bad: 11)
        let journalPath = Self.temporary("crash").path + "/ingest.sqlite"
        defer { try? FileManager.default.removeItem(at: folder) }
        let sandbox = try await SandboxProcess(arguments: [
            "--queued", "0.05", "--pending", "0.05", "--processing", "0.2", "--asset-processing", "0.05", "--chunk-size", "16384",
            "--fault-rate", "0.2", "--fault-kinds", "drop-after-create,server-error,drop,rate-limited,delay", "--fault-seed", "7",
            "--fault-delay", "0.3", "--ignore-idempotency-keys",
        ])
        defer { Task { await sandbox.stop() } }
        let environment = sandbox.environment

        // Seeded moments: the same kill points every run.
        var seed: UInt64 = 0x5eed
        func nextDelay() -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return 300 + Int((seed >> 33) % 2200)
        }
        // Every file as a multipart upload, whose committed chunks must never be sent again (small files go
        // directly by default; the fleet and status tests below take that path).
        let multipartOnly = ["--direct-upload-max-mb", "0"]
        var committed: [String: Int] = [:] // "upload/chunk" → PUTs received when its completion was committed
        let journal = try IngestJournal.sqlite(path: journalPath)
        try await journal.migrate() // a first kill may come before tl made the tables
        defer { Task { await journal.close() } }
        for _ in 0..<10 {
            let run = try LiveProcess(ingestArguments(folder, journal: journalPath, extra: multipartOnly), environment: environment)
            try await Task.sleep(for: .milliseconds(nextDelay()))
            run.signal(SIGKILL)
            _ = await run.finish(timeout: .seconds(10))
            try await recordCommittedChunks(journal: journal, sandbox: sandbox, into: &committed)
        }
        var finalStatus: Int32 = -1
        var output = ""
        for _ in 0..<5 where finalStatus != 0 {
            let run = try LiveProcess(ingestArguments(folder, journal: journalPath, extra: multipartOnly + ["-f", "json"]), environment: environment)
            finalStatus = await run.finish(timeout: .seconds(240))
            output = run.out + run.err
        }
        #expect(finalStatus == 0, "\(output)")

        let stats = try await Self.stats(sandbox)
        let creates = stats["creates_by_custom_id"] as? [String: Int] ?? [:]
        #expect(creates.count == 88 * 2, "\(creates.count) custom ids created")
        #expect(creates.filter { $0.value != 1 }.isEmpty, "duplicates: \(creates.filter { $0.value != 1 })")

        let records = try await journal.results(job: "default")
        #expect(records.filter { $0.status == "done" && $0.result != nil && $0.taskID != nil }.count == 88 * 2)
        let rejected = records.filter { $0.status == "rejected" }
        #expect(rejected.count == 12 * 2)
        #expect(rejected.filter { $0.path.contains("small") }.allSatisfy { $0.error == "resolution_too_small" })
        #expect(rejected.filter { $0.path.hasSuffix("empty.mp4") }.allSatisfy { $0.error == "empty_file" })
        // Every task the journal holds is one the sandbox created for that custom_id.
        for (customID, _) in try await journal.taskIDs(job: "default") { #expect(creates[customID] == 1) }

        // No chunk whose completion was committed was sent again.
        #expect(!committed.isEmpty, "no kill caught an upload with committed chunks")
        let uploads = stats["uploads"] as? [String: [String: Any]] ?? [:]
        for (key, received) in committed {
            let parts = key.split(separator: "/")
            let puts = (uploads[String(parts[0])]?["chunk_puts"] as? [String: [String: Int]])?[String(parts[1])]?["received"]
            #expect(puts == received, "chunk \(key) was PUT \(puts ?? 0) times, \(received) when its completion was committed")
        }
        // Nothing is left held.
        let held = try await journal.store.transaction([Statement("SELECT COUNT(*) AS n FROM ingest_items WHERE lease_owner IS NOT NULL")])
        #expect(held[0].first?.integer("n") == 0)
    }

    /// For every upload state in the journal, the PUTs each committed chunk had received by now.
    private func recordCommittedChunks(journal: IngestJournal, sandbox: SandboxProcess, into committed: inout [String: Int]) async throws {
        let rows = try await journal.store.transaction([Statement("SELECT upload_state FROM ingest_items WHERE upload_state IS NOT NULL")])
        let states = rows[0].compactMap { $0.text("upload_state") }.compactMap { try? IngestJournal.decode(UploadState.self, $0) }
        guard !states.isEmpty else { return }
        let uploads = try await Self.stats(sandbox)["uploads"] as? [String: [String: Any]] ?? [:]
        for state in states {
            let puts = uploads[state.uploadID]?["chunk_puts"] as? [String: [String: Int]] ?? [:]
            for chunk in state.finished where !chunk.etag.isEmpty {
                let key = "\(state.uploadID)/\(chunk.chunkIndex)"
                if committed[key] == nil { committed[key] = puts[String(chunk.chunkIndex)]?["received"] ?? 0 }
            }
        }
    }

    @Test("Crash safety in batches mode: killed at seeded moments, every batch intent reconciled, each request created once")
    func crashSafetyBatches() async throws {
        let folder = try Self.library(good: 24, bad: 2)
        let journalPath = Self.temporary("crash-batches").path + "/ingest.sqlite"
        defer { try? FileManager.default.removeItem(at: folder) }
        let sandbox = try await SandboxProcess(arguments: [
            "--queued", "0.05", "--pending", "0.05", "--processing", "0.2", "--asset-processing", "0.05",
            "--fault-rate", "0.2", "--fault-kinds", "drop-after-create,server-error,drop,rate-limited", "--fault-seed", "3",
            "--ignore-idempotency-keys",
        ])
        defer { Task { await sandbox.stop() } }
        let arguments = ingestArguments(folder, journal: journalPath, extra: ["--mode", "batches", "--batch-size", "6"])
        var seed: UInt64 = 0xba7c
        for _ in 0..<6 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let run = try LiveProcess(arguments, environment: sandbox.environment)
            try await Task.sleep(for: .milliseconds(400 + Int((seed >> 33) % 1800)))
            run.signal(SIGKILL)
            _ = await run.finish(timeout: .seconds(10))
        }
        var finalStatus: Int32 = -1
        var output = ""
        for _ in 0..<5 where finalStatus != 0 {
            let run = try LiveProcess(arguments, environment: sandbox.environment)
            finalStatus = await run.finish(timeout: .seconds(240))
            output = run.out + run.err
        }
        #expect(finalStatus == 0, "\(output)")
        let stats = try await Self.stats(sandbox)
        let creates = stats["creates_by_custom_id"] as? [String: Int] ?? [:]
        #expect(creates.filter { $0.value != 1 }.isEmpty, "duplicates: \(creates.filter { $0.value != 1 })")
        let journal = try IngestJournal.sqlite(path: journalPath)
        defer { Task { await journal.close() } }
        let records = try await journal.results(job: "default")
        let done = records.filter { $0.status == "done" && $0.result != nil }
        #expect(done.count == 48)
        for record in done { #expect(creates[record.customID ?? ""] == 1) }
        #expect(records.filter { $0.status == "rejected" }.count == 6)
        #expect(try await journal.activeBatchCount() == 0)
    }

    @Test("SIGINT stops cleanly: exit 130, every lease let go of; the next run finishes and a finished job is a no-op")
    func interruptAndContinue() async throws {
        let folder = try Self.library(good: 12, bad: 1)
        defer { try? FileManager.default.removeItem(at: folder) }
        let journalPath = Self.temporary("sigint").path + "/ingest.sqlite"
        let sandbox = try await SandboxProcess(arguments: ["--queued", "0.5", "--pending", "0.5", "--processing", "1", "--asset-processing", "0.05"])
        defer { Task { await sandbox.stop() } }
        let run = try LiveProcess(ingestArguments(folder, journal: journalPath), environment: sandbox.environment)
        #expect(await run.waitFor("new; journal", onStderr: true))
        try await Task.sleep(for: .milliseconds(800))
        run.signal(SIGINT)
        #expect(await run.finish(timeout: .seconds(30)) == 130)
        #expect(run.err.contains("interrupted; every held item was let go of"))
        let journal = try IngestJournal.sqlite(path: journalPath)
        let held = try await journal.store.transaction([Statement("SELECT COUNT(*) AS n FROM ingest_items WHERE lease_owner IS NOT NULL")])
        #expect(held[0].first?.integer("n") == 0)
        await journal.close()

        let again = try await TLProcess.run(ingestArguments(folder, journal: journalPath), environment: sandbox.environment)
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.contains("12 done, 2 rejected, 0 failed"))
        let requests = (try await Self.stats(sandbox)["creates_by_custom_id"] as? [String: Int]) ?? [:]
        #expect(requests.count == 24 && requests.values.allSatisfy { $0 == 1 })

        let noop = try await TLProcess.run(ingestArguments(folder, journal: journalPath), environment: sandbox.environment)
        #expect(noop.status == 0)
        #expect(noop.err.contains("14 files found, 0 new"))

        // The API key is in none of the journal's files (database, write-ahead log) nor in anything tl printed.
        let key = try #require(sandbox.apiKey)
        let journalFolder = URL(fileURLWithPath: journalPath).deletingLastPathComponent()
        for name in try FileManager.default.contentsOfDirectory(atPath: journalFolder.path) {
            let bytes = try Data(contentsOf: journalFolder.appendingPathComponent(name))
            #expect(bytes.range(of: Data(key.utf8)) == nil, "the API key is in the journal's \(name)")
        }
        for output in [run.out, run.err, again.out, again.err, noop.out, noop.err] { #expect(!output.contains(key)) }

        let status = try await TLProcess.run(["ingest", "status", "--journal", journalPath, "-f", "json"])
        let decoded = try JSONDecoder().decode(JobStatus.self, from: Data(status.out.utf8))
        #expect(decoded.items["done"] == 12 && decoded.items["rejected"] == 2)

        let csv = try await TLProcess.run(["ingest", "results", "--journal", journalPath, "--format", "csv"])
        let lines = csv.out.split(separator: "\n")
        #expect(lines.first == "path,fingerprint,prompt_index,custom_id,task_id,status,result,error")
        #expect(lines.count == 1 + 28)
        let jsonl = try await TLProcess.run(["ingest", "results", "--journal", journalPath])
        let first = try #require(jsonl.out.split(separator: "\n").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(object["custom_id"] is String)
        #expect(object["result"] is [String: Any] || object["status"] as? String == "rejected")

        #expect(try await TLProcess.run(["ingest", "retry", "--rejected", "--journal", journalPath]).out.hasPrefix("2 items back in line"))
        #expect(try await TLProcess.run(["ingest", "forget", "--job", "default", "--journal", journalPath]).status == 0)
        #expect(try await TLProcess.run(["ingest", "status", "--journal", journalPath]).status == 64)
    }

    /// A fresh database on the test server, as a URL without its password (given in `PGPASSWORD`, never argv).
    static func fleetJournal() async throws -> (url: String, environment: [String: String], withPassword: String) {
        let base = try #require(ProcessInfo.processInfo.environment["TL_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 },
                                "TL_TEST_POSTGRES_URL is not set: run the suite with `make test` (scripts/ensure-postgres.sh starts a server)")
        let full = try await PostgresJournalStore.createDatabase(base: base, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        var components = try #require(URLComponents(string: full))
        let password = components.password ?? ""
        components.password = nil
        return (components.string ?? "", ["PGPASSWORD": password], full)
    }

    static var postgresAvailable: Bool {
        ProcessInfo.processInfo.environment["TL_TEST_POSTGRES_URL"] != nil || ProcessInfo.processInfo.environment["CI"] != nil
    }

    @Test("A fleet on one PostgreSQL journal: one worker killed, one paused past its lease; everything done exactly once",
          .enabled(if: postgresAvailable, "needs TL_TEST_POSTGRES_URL (make test starts a server; CI always runs this)"))
    func fleet() async throws {
        let folder = try Self.library(good: 30, bad: 3)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (url, pgEnvironment, ownURL) = try await Self.fleetJournal()
        let sandbox = try await SandboxProcess(arguments: [
            "--queued", "0.1", "--pending", "0.1", "--processing", "0.4", "--asset-processing", "0.05", "--chunk-size", "16384",
            "--chunk-delay", "0.15", "--ignore-idempotency-keys",
        ])
        defer { Task { await sandbox.stop() } }
        let environment = sandbox.environment.merging(pgEnvironment) { $1 }
        let arguments = ingestArguments(folder, journal: url, extra: ["--concurrency", "3"])
        let journal = try IngestJournal.postgres(url: ownURL)
        defer { Task { await journal.close() } }

        let doomed = try LiveProcess(arguments, environment: environment)
        let paused = try LiveProcess(arguments, environment: environment)
        let steady = try LiveProcess(arguments, environment: environment)
        #expect(await doomed.waitFor("new; journal", onStderr: true, timeout: .seconds(60)))
        try await Task.sleep(for: .milliseconds(1500))
        doomed.signal(SIGKILL)

        // Pause a worker while it holds an item, for three leases' time: the others take its items over.
        let owner = "%:\(paused.pid):%"
        var holding = false
        for _ in 0..<200 where !holding {
            let rows = try await journal.store.transaction([Statement(
                "SELECT COUNT(*) AS n FROM ingest_items WHERE lease_owner LIKE ?", [.text(owner)])])
            holding = (rows[0].first?.integer("n") ?? 0) > 0
            if !holding { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(holding, "the worker to pause never held an item")
        paused.signal(SIGSTOP)
        try await Task.sleep(for: .seconds(6))
        paused.signal(SIGCONT)

        let steadyStatus = await steady.finish(timeout: .seconds(300))
        let pausedStatus = await paused.finish(timeout: .seconds(300))
        #expect(steadyStatus == 0, "\(steady.err)")
        #expect(pausedStatus == 0, "\(paused.err)")
        #expect(paused.err.contains("another worker took over"), "\(paused.err)")

        let creates = (try await Self.stats(sandbox)["creates_by_custom_id"] as? [String: Int]) ?? [:]
        #expect(creates.count == 60)
        #expect(creates.filter { $0.value != 1 }.isEmpty, "duplicates: \(creates.filter { $0.value != 1 })")
        let status = try await journal.status(job: "default")
        #expect(status.items["done"] == 30 && status.items["rejected"] == 4)
        let held = try await journal.store.transaction([Statement("SELECT COUNT(*) AS n FROM ingest_items WHERE lease_owner IS NOT NULL")])
        #expect(held[0].first?.integer("n") == 0)
    }

    /// A TCP port that was free a moment ago.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("--webhook-port: finished tasks are learned from verified webhooks, not after the 10-minute poll interval")
    func webhooks() async throws {
        let folder = try Self.library(good: 4, bad: 0)
        defer { try? FileManager.default.removeItem(at: folder) }
        let secretFile = Self.temporary("secret").path
        try Data("whsec-ingest-test".utf8).write(to: URL(fileURLWithPath: secretFile))
        let port = try Self.freePort()
        let sandbox = try await SandboxProcess(arguments: [
            "--queued", "0.05", "--pending", "0.05", "--processing", "0.3", "--asset-processing", "0.05",
            "--webhook-url", "http://127.0.0.1:\(port)/", "--webhook-secret-file", secretFile,
        ])
        defer { Task { await sandbox.stop() } }
        let journalPath = Self.temporary("webhooks").path + "/ingest.sqlite"
        let run = try LiveProcess([
            "ingest", "run", folder.path, "--prompt", "Summarise.", "--journal", journalPath, "--poll-seconds", "600",
            "--webhook-port", "\(port)", "--webhook-host", "127.0.0.1", "--webhook-secret-file", secretFile,
        ], environment: sandbox.environment)
        // Without the webhooks each task would wait out its 600 s poll.
        #expect(await run.finish(timeout: .seconds(150)) == 0, "\(run.err)")
        #expect(run.err.contains("webhooks: listening on http://127.0.0.1:\(port)/"))
        #expect(run.out.contains("4 done, 1 rejected, 0 failed"))

        // A bad secret is refused before anything starts.
        let noSecret = try await TLProcess.run(["ingest", "run", folder.path, "--prompt", "x", "--journal", journalPath, "--webhook-port", "0"],
                                               environment: sandbox.environment)
        #expect(noSecret.status == 64 && noSecret.err.contains("No webhook secret"))
    }

    @Test("--metrics-port serves Prometheus text: items per state, request latency, bytes uploaded; --watch ends at SIGTERM with the status")
    func metrics() async throws {
        let folder = try Self.library(good: 2, bad: 0)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sandbox = try await SandboxProcess(arguments: ["--queued", "0.05", "--pending", "0.05", "--processing", "0.1", "--asset-processing", "0.05"])
        defer { Task { await sandbox.stop() } }
        let port = try Self.freePort()
        let run = try LiveProcess(ingestArguments(folder, journal: Self.temporary("metrics").path + "/ingest.sqlite",
                                                  extra: ["--watch", "--settle-seconds", "0.2", "--metrics-port", "\(port)"]),
                                  environment: sandbox.environment)
        #expect(await run.waitFor("metrics: http://127.0.0.1:\(port)/metrics", onStderr: true))
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        var text = ""
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(90)
        while !text.contains(#"ingest_items{state="done"} 2"#), clock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            text = await withCheckedContinuation { continuation in
                URLSession.shared.dataTask(with: url) { data, _, _ in
                    continuation.resume(returning: String(decoding: data ?? Data(), as: UTF8.self))
                }.resume()
            }
        }
        #expect(text.contains(#"ingest_items{state="done"} 2"#), "\(text)")
        #expect(text.contains(#"ingest_items{state="rejected"} 1"#))
        #expect(text.contains("tl_api_request_duration_seconds_count{"))
        #expect(text.contains(#"operation="create_task""#))
        let bytes = text.split(separator: "\n").first { $0.hasPrefix("ingest_uploaded_bytes_total") }?.split(separator: " ").last.flatMap { Double($0) }
        #expect((bytes ?? 0) > 90_000, "\(text)")
        run.signal(SIGTERM)
        #expect(await run.finish(timeout: .seconds(30)) == 0, "\(run.err)")
        #expect(run.out.contains("2 done, 1 rejected, 0 failed"))
    }

    @Test("Usage and tool errors: exit 64 or 2 with a sentence, never a crash")
    func errors() async throws {
        let journalPath = Self.temporary("errors").path + "/ingest.sqlite"
        let env = ["TWELVE_LABS_API_KEY": "k", "TWELVELABS_BASE_URL": "http://127.0.0.1:9/v1.3"]
        let noPrompt = try await TLProcess.run(["ingest", "run", "/tmp", "--journal", journalPath], environment: env)
        #expect(noPrompt.status == 64 && noPrompt.err.contains("--prompt"))
        let missing = try await TLProcess.run(["ingest", "run", "/nonexistent/videos", "--prompt", "x", "--journal", journalPath], environment: env)
        #expect(missing.status == 64 && missing.err.contains("does not exist"))
        let stdin = try await TLProcess.run(["ingest", "run", "-", "--prompt", "x", "--journal", journalPath], environment: env)
        #expect(stdin.status == 64 && stdin.err.contains("not standard input"))
        let batches = try await TLProcess.run(["ingest", "run", "/tmp", "--prompt", "x", "--mode", "nonsense"], environment: env)
        #expect(batches.status == 64)
        let badPrompt = try await TLProcess.run(["ingest", "run", "/tmp", "--prompt", "", "--journal", journalPath], environment: env)
        #expect(badPrompt.status == 64)
        for limit in ["-1", "201", "lots"] {
            let badLimit = try await TLProcess.run(["ingest", "run", "/tmp", "--prompt", "x", "--journal", journalPath, "--direct-upload-max-mb", limit], environment: env)
            #expect(badLimit.status == 64 && badLimit.err.contains("--direct-upload-max-mb"), "\(limit): \(badLimit.err)")
        }
        let badJournal = try await TLProcess.run(["ingest", "status", "--journal", "postgres://"], environment: env)
        #expect(badJournal.status == 64)
        let unreachable = try await TLProcess.run(["ingest", "status", "--journal", "postgres://nobody@127.0.0.1:9/x?sslmode=disable"], environment: env)
        #expect(unreachable.status == 2 && unreachable.err.contains("journal_unavailable"))
        #expect(!unreachable.err.contains("password"))

        // A journal path through a planted symlink is refused, and the target is left alone.
        let folder = Self.temporary("symlink")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.appendingPathComponent("victim")
        try Data("precious".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("ingest.sqlite").path, withDestinationPath: target.path)
        let planted = try await TLProcess.run(["ingest", "status", "--journal", folder.appendingPathComponent("ingest.sqlite").path])
        #expect(planted.status == 2 && planted.err.contains("symbolic link"))
        #expect(try Data(contentsOf: target) == Data("precious".utf8))

        // The journal and its folder are private.
        let made = try await TLProcess.run(["ingest", "status", "--journal", journalPath])
        #expect(made.status == 64) // no job yet
        let fileMode = try FileManager.default.attributesOfItem(atPath: journalPath)[.posixPermissions] as? Int
        let folderMode = try FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: journalPath).deletingLastPathComponent().path)[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        #expect(folderMode == 0o700)
    }

    @Test("Hostile files in the library: each rejected with its code or passed over, nothing hangs or reaches the network, memory stays bounded; the probe's time budget reaches the worker")
    func hostileLibrary() async throws {
        let folder = Self.temporary("hostile")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func put(_ name: String, _ data: Data) throws { try data.write(to: folder.appendingPathComponent(name)) }
        let trap = try LoopbackTrap()
        try FileManager.default.copyItem(at: Self.media.appendingPathComponent("ok_640x360_5s.mp4"), to: folder.appendingPathComponent("good.mp4"))
        var generator = SystemRandomNumberGenerator()
        try put("random.mp4", Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        try put("playlist.mp4", Data("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:\(trap.port)/segment.ts\n#EXT-X-ENDLIST\n".utf8))
        try put("concat.mov", Data("ffconcat version 1.0\nfile 'http://127.0.0.1:\(trap.port)/clip.mp4'\n".utf8))
        try FileManager.default.copyItem(at: Self.media.appendingPathComponent("truncated_nofaststart.mp4"), to: folder.appendingPathComponent("truncated.mp4"))
        try FileManager.default.copyItem(at: Self.media.appendingPathComponent("text.mp4"), to: folder.appendingPathComponent("text.mp4"))
        let sparse = folder.appendingPathComponent("sparse.mkv").path
        #expect(FileManager.default.createFile(atPath: sparse, contents: nil) && truncate(sparse, 11 << 30) == 0)
        #expect(mkfifo(folder.appendingPathComponent("fifo.mp4").path, 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("zero.mp4").path, withDestinationPath: "/dev/zero")

        let sandbox = try await SandboxProcess(arguments: ["--processing", "0.2", "--asset-processing", "0.05"])
        defer { Task { await sandbox.stop() } }
        let journalPath = Self.temporary("hostile-journal").path + "/ingest.sqlite"
        let run = try LiveProcess(ingestArguments(folder, journal: journalPath), environment: sandbox.environment)
        var peakKiB = 0
        let clock = ContinuousClock(), deadline = clock.now + .seconds(120)
        while run.isRunning, clock.now < deadline {
            if let status = try? String(contentsOfFile: "/proc/\(run.pid)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kib = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peakKiB = max(peakKiB, kib)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await run.finish(timeout: .seconds(120)) == 0, "\(run.err)")
        #expect(run.out.contains("1 done, 6 rejected, 0 failed"), "\(run.out)\n\(run.err)")
        #expect(peakKiB > 0 && peakKiB < 150 * 1024, "peak RSS \(peakKiB) KiB")
        #expect(trap.connections() == 0, "a hostile file made FFmpeg open a connection")

        let journal = try IngestJournal.sqlite(path: journalPath)
        defer { Task { await journal.close() } }
        let rows = try await journal.store.transaction([Statement("SELECT path, state, codes FROM ingest_items ORDER BY path")])
        let codes = Dictionary(uniqueKeysWithValues: rows[0].map {
            (URL(fileURLWithPath: $0.text("path") ?? "").lastPathComponent, ($0.text("state") ?? "") + " " + ($0.text("codes") ?? ""))
        })
        #expect(codes.keys.sorted() == ["concat.mov", "good.mp4", "playlist.mp4", "random.mp4", "sparse.mkv", "text.mp4", "truncated.mp4"],
                "the FIFO and the link to a device are passed over: \(codes)")
        #expect(codes["good.mp4"]?.hasPrefix("done") == true)
        for name in ["concat.mov", "playlist.mp4"] { #expect(codes[name]?.contains("format_refused") == true, "\(name): \(codes[name] ?? "")") }
        for name in ["random.mp4", "sparse.mkv", "text.mp4", "truncated.mp4"] {
            #expect(codes[name]?.hasPrefix("rejected") == true && codes[name]?.contains("_") == true, "\(name): \(codes[name] ?? "")")
        }

        // A budget too short for any probe: the file is rejected with probe_timeout, not waited on.
        let tight = try await TLProcess.run(ingestArguments(folder.appendingPathComponent("good.mp4"), journal: journalPath,
                                                            extra: ["--job", "tight", "--probe-timeout", "0.000001"]),
                                            environment: sandbox.environment)
        #expect(tight.status == 0 && tight.out.contains("0 done, 1 rejected"), "\(tight.out) \(tight.err)")
        let tightRows = try await journal.store.transaction([Statement("SELECT codes FROM ingest_items WHERE job = 'tight'")])
        #expect(tightRows[0].first?.text("codes")?.contains("probe_timeout") == true, "\(tightRows)")
    }
}

/// A loopback port that counts the connections made to it, to prove that nothing was fetched.
final class LoopbackTrap {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    /// The connections waiting to be accepted (each is accepted and closed).
    func connections() -> Int {
        var count = 0
        while true {
            var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, 0) > 0 else { return count }
            let accepted = accept(descriptor, nil, nil)
            if accepted >= 0 { close(accepted) }
            count += 1
        }
    }
}

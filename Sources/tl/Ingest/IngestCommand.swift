import Foundation
import AnalyzeAPI
import MediaProbe
import ArgumentParser
import Ingest
import PlatformRules
import NIOConcurrencyHelpers
import UnixSignals

/// `tl ingest`: durable, exactly-once ingest of whole libraries.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Check, upload and analyse whole folders of videos exactly once, surviving crashes and restarts.",
        discussion: """
            Every file is an item of a job, known by its content (size plus a hash of sampled ranges), not its \
            path. Progress lives in a journal: SQLite at $XDG_DATA_HOME/videopreflight/ingest.sqlite by default, \
            or PostgreSQL (--journal postgres://USER@HOST/DB, the password from PGPASSWORD) for workers on \
            several machines. Running the same command again continues where it stopped.
            """,
        subcommands: [Run.self, Status.self, Results.self, Retry.self, Forget.self])

    /// Where the journal is: `--journal`, else `$TL_JOURNAL`, else the default SQLite file.
    struct JournalOptions: ParsableArguments {
        @Option(help: ArgumentHelp(
            "The journal: a SQLite file path, or postgres://USER@HOST[:PORT]/DB (default: $TL_JOURNAL, else $XDG_DATA_HOME/videopreflight/ingest.sqlite).",
            valueName: "url"))
        var journal: String?

        @Option(help: "The job's name: one journal holds many jobs.")
        var job: String = "default"

        func validate() throws {
            guard !job.isEmpty, job.count <= 100 else { throw ValidationError("--job must be 1–100 characters.") }
        }

        /// Opens and migrates the journal; its failures are tool failures (exit 2).
        func open() async throws -> IngestJournal {
            let location = journal ?? ProcessInfo.processInfo.environment["TL_JOURNAL"].flatMap { $0.isEmpty ? nil : $0 }
            let opened: IngestJournal
            do {
                opened = try IngestJournal.open(location)
            } catch let error as JournalError where error.code == .badLocation {
                throw UsageError("--journal: \(error.message)")
            } catch let error as JournalError {
                throw IngestCommand.failure(error.description, exit: 2)
            }
            do {
                try await opened.migrate()
            } catch {
                await opened.close()
                throw IngestCommand.failure("\(error)", exit: 2)
            }
            return opened
        }
    }

    /// Prints `message` as `tl: …` and returns the exit code to throw.
    static func failure(_ message: String, exit code: Int32) -> ExitCode {
        CLI.err("tl: \(message)")
        return ExitCode(code)
    }

    /// 0 when every item is done or rejected, 1 when some failed.
    static func exitStatus(_ status: JobStatus) -> Int32 {
        (status.items[ItemState.failed.rawValue] ?? 0) > 0 ? 1 : 0
    }

    /// The counts as one line: `12 done, 3 rejected, 1 failed, 4 to go`.
    static func summary(_ status: JobStatus) -> String {
        let open = ItemState.claimable.reduce(0) { $0 + (status.items[$1.rawValue] ?? 0) }
        var parts = ["\(status.items["done"] ?? 0) done", "\(status.items["rejected"] ?? 0) rejected", "\(status.items["failed"] ?? 0) failed"]
        if open > 0 { parts.append("\(open) to go") }
        return parts.joined(separator: ", ")
    }

    /// `tl ingest run`.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest files and folders: check each video, upload each good one once, analyse it once per prompt, store every result.",
            discussion: """
                Folders are walked recursively for video files; files named directly are taken whatever their \
                name. Every file is sent as an asset (never inline): a task on an asset can be found again by \
                its custom_id after a crash, which is what makes creation exactly-once. --mode tasks creates one \
                task per file and prompt; --mode batches packs ready assets into batches (pegasus1.5, at most \
                1,000 requests and 2,000 content hours each, at most 5 unfinished across the journal). SIGINT or \
                SIGTERM stops cleanly: writes in progress finish and every held item is let go of.

                Exit status: 0 every item done or rejected, 1 some failed, 2 tool failure, 64 usage error, 130 \
                interrupted (run again to continue).
                """)

        @Argument(help: ArgumentHelp("Files and folders to ingest.", valueName: "path"), completion: .file())
        var paths: [String] = []

        @Option(name: .customLong("prompt"), help: "What to ask every file (repeatable: one task per prompt).")
        var prompts: [String] = []

        @Option(name: .customLong("json-schema"), help: ArgumentHelp("A JSON Schema file every result must follow.", valueName: "FILE"),
                completion: .file())
        var jsonSchema: String?

        @Option(name: .customLong("model"), help: "The model name (default: the platform's).")
        var model: String?

        @Option(help: "Sampling temperature, 0–1.")
        var temperature: Double?

        @Option(name: .customLong("max-tokens"), help: "The most tokens to generate.")
        var maxTokens: Int?

        @Option(help: "How items are sent: tasks (one task per item and prompt) or batches (ready assets packed into /analyze/batches requests).")
        var mode: String = IngestMode.tasks.rawValue

        @Option(name: .customLong("batch-size"), help: "With --mode batches: the most requests in one batch (at most the platform's 1,000).")
        var batchSize: Int?

        @Option(help: "Items worked on at once.")
        var concurrency: Int = 4

        @Option(name: .customLong("lease-seconds"), help: "Seconds a worker holds an item without a heartbeat before another may take it over.")
        var leaseSeconds: Double = 60

        @Option(name: .customLong("poll-seconds"), help: "Seconds between two looks at an item's unfinished tasks.")
        var pollSeconds: Double = 5

        @Option(name: .customLong("max-attempts"), help: "Failed attempts before an item is given up.")
        var maxAttempts: Int = 6

        @Option(name: .customLong("probe-timeout"), help: "Seconds one file's probe may take; a file still unread then is rejected with probe_timeout.")
        var probeTimeout: Double = 10

        @Option(name: .customLong("direct-upload-max-mb"), help: ArgumentHelp(
            "Files up to this many megabytes go up in one direct request; larger ones as resumable multipart uploads (0: every file as multipart; at most the platform's direct-upload limit).",
            valueName: "MB"))
        var directUploadMaxMB = Int(IngestConfiguration.defaultDirectUploadMaxBytes / 1_000_000)

        @Flag(help: "Keep taking new files from the paths until SIGINT or SIGTERM (each once it has stopped changing).")
        var watch = false

        @Option(name: .customLong("settle-seconds"), help: "With --watch: seconds a file's size and modification time must stay unchanged before it is taken.")
        var settleSeconds: Double = 5

        @Option(name: .customLong("webhook-port"), help: "Also learn finished tasks and batches from verified webhooks on this port (polling stays as the fallback; 0 picks a free port).")
        var webhookPort: Int?

        @Option(name: .customLong("webhook-host"), help: "With --webhook-port: the interface to listen on.")
        var webhookHost: String = "0.0.0.0"

        @Option(name: .customLong("webhook-secret-file"), help: ArgumentHelp(
            "With --webhook-port: read the webhooks' signing secret from FILE (default: $\(WebhooksCommand.Listen.secretVariable)).", valueName: "FILE"),
                completion: .file())
        var webhookSecretFile: String?

        @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics at /metrics on this port (0 picks a free port).")
        var metricsPort: Int?

        @Option(name: .customLong("metrics-host"), help: "With --metrics-port: the interface to listen on.")
        var metricsHost: String = "127.0.0.1"

        @OptionGroup var journal: JournalOptions
        @OptionGroup var api: APIOptions

        func validate() throws {
            guard !paths.isEmpty else { throw ValidationError("Give at least one file or folder to ingest.") }
            guard !prompts.isEmpty else { throw ValidationError("Give at least one --prompt.") }
            guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1–64.") }
            guard leaseSeconds >= 1, leaseSeconds <= 3600 else { throw ValidationError("--lease-seconds must be 1–3600.") }
            guard pollSeconds > 0, pollSeconds <= 600 else { throw ValidationError("--poll-seconds must be more than 0 and at most 600.") }
            guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1–100.") }
            guard probeTimeout > 0, probeTimeout <= 3600 else { throw ValidationError("--probe-timeout must be more than 0 and at most 3600 seconds.") }
            let directLimitMB = PlatformRules.current.sizes.directUploadBytes / 1_000_000
            guard directUploadMaxMB >= 0, Int64(directUploadMaxMB) <= directLimitMB else {
                throw ValidationError("--direct-upload-max-mb must be 0 to \(directLimitMB) (the platform's direct-upload limit).")
            }
            guard settleSeconds >= 0, settleSeconds <= 3600 else { throw ValidationError("--settle-seconds must be 0–3600.") }
            if let webhookPort { guard (0...65_535).contains(webhookPort) else { throw ValidationError("--webhook-port must be 0–65535.") } }
            if let metricsPort { guard (0...65_535).contains(metricsPort) else { throw ValidationError("--metrics-port must be 0–65535.") } }
            if webhookSecretFile != nil, webhookPort == nil { throw ValidationError("--webhook-secret-file applies with --webhook-port.") }
            guard let mode = IngestMode(rawValue: mode) else { throw ValidationError("--mode must be tasks or batches.") }
            if mode == .batches, let model, model != PlatformRules.current.batches.model {
                throw ValidationError("--mode batches takes the model \(PlatformRules.current.batches.model) only, not \(model).")
            }
            if let batchSize {
                guard mode == .batches else { throw ValidationError("--batch-size applies to --mode batches.") }
                guard PlatformRules.current.batches.requests.contains(batchSize) else {
                    throw ValidationError("--batch-size must be \(PlatformRules.current.batches.requests.lowerBound)–\(PlatformRules.current.batches.requests.upperBound).")
                }
            }
        }

        func run() async throws {
            var spec = JobSpec(name: journal.job, prompts: prompts, modelName: model, temperature: temperature, maxTokens: maxTokens, mode: IngestMode(rawValue: mode) ?? .tasks)
            if let jsonSchema {
                let data = try InputFile.contents(of: jsonSchema, option: "--json-schema", what: "the JSON schema file")
                guard let schema = try? JSONDecoder().decode(JSONValue.self, from: data) else {
                    throw UsageError("The JSON schema file \(jsonSchema) (--json-schema) is not valid JSON.")
                }
                spec.responseFormat = ResponseFormat(jsonSchema: schema)
            }
            // The settings are checked by the request rules before anything is read or sent.
            let validator = RequestValidator()
            let issues = spec.prompts.flatMap { prompt in
                validator.issues(in: CreateAsyncAnalyzeRequest(
                    video: .assetID("pending"), prompt: prompt, temperature: spec.temperature, maxTokens: spec.maxTokens.map(MaxTokens.count),
                    responseFormat: spec.responseFormat, modelName: spec.modelName, customID: "vp000000000000000000000000-p0-g0"))
            }.filter { $0.severity == .error }
            guard issues.isEmpty else { throw UsageError(issues.map(\.description).joined(separator: "; ")) }

            for path in paths where !FileManager.default.fileExists(atPath: path) {
                // The journal keeps where each file was seen, so ingest takes files and folders, never a stream.
                if path == "-" { throw UsageError("tl ingest run takes files and folders, not standard input (-).") }
                throw UsageError("\(path) does not exist.")
            }
            let clientConfiguration = try api.configuration()
            let webhookSecret = try webhookPort.map { _ in try IngestWebhooks.secret(file: webhookSecretFile) }
            let started = ContinuousClock.now
            let opened = try await journal.open()
            let format = api.format
            let status: JobStatus
            do {
                try await opened.openJob(spec)
                status = try await AnalyzeClient.withClient(configuration: clientConfiguration) { client in
                    var configuration = IngestConfiguration(job: spec)
                    configuration.concurrency = concurrency
                    configuration.leaseSeconds = leaseSeconds
                    configuration.pollSeconds = pollSeconds
                    configuration.maximumAttempts = maxAttempts
                    configuration.probeOptions = ProbeOptions(timeout: .microseconds(Int64(probeTimeout * 1e6)))
                    configuration.directUploadMaxBytes = Int64(directUploadMaxMB) * 1_000_000
                    configuration.batchSize = batchSize
                    let display = IngestProgress()
                    configuration.onEvent = { event in
                        display.note(event)
                        if case .leaseLost(let path) = event {
                            CLI.endProgress()
                            Console.note("another worker took over \(path) (this one held it past its lease); left it to them")
                        }
                    }
                    let engine = IngestEngine(journal: opened, client: client, configuration: configuration)
                    var listener: Task<Void, any Error>?
                    if let webhookPort, let webhookSecret {
                        listener = try await IngestWebhooks.start(host: webhookHost, port: webhookPort, secret: webhookSecret, journal: opened)
                    }
                    defer { listener?.cancel() }
                    var metrics: Task<Void, any Error>?
                    if let metricsPort {
                        metrics = try await IngestMetrics.start(host: metricsHost, port: metricsPort, journal: opened, job: spec.name)
                    }
                    defer { metrics?.cancel() }
                    let discovery = try await engine.discover(paths: paths)
                    for skipped in discovery.skipped { Console.note("skipped \(skipped.path): \(skipped.reason)") }
                    Console.note("\(discovery.seen) file\(discovery.seen == 1 ? "" : "s") found, \(discovery.new) new; journal \(opened.location), job \(spec.name)")
                    guard watch else { return try await Self.untilSignal { try await engine.run() } }
                    // Watching ends with a signal: that is its normal end, and the status says how it went.
                    let watching = IngestEngine.Watch(paths: paths, settleSeconds: settleSeconds)
                    _ = try? await Self.untilSignal { try await engine.run(watching: watching) }
                    return try await opened.status(job: spec.name)
                }
            } catch let error as JournalError {
                await opened.close()
                throw IngestCommand.failure(error.description, exit: error.code == .jobMismatch ? 64 : 2)
            } catch let error as IngestError {
                await opened.close()
                throw IngestCommand.failure(error.description, exit: error.code == .pathMissing ? 64 : 2)
            } catch is CancellationError {
                CLI.endProgress()
                let now = try? await opened.status(job: spec.name)
                await opened.close()
                throw IngestCommand.failure("interrupted; every held item was let go of\(now.map { " (\(IngestCommand.summary($0)))" } ?? ""); run the same command to continue", exit: 130)
            } catch let error as ExitCode {
                await opened.close()
                throw error
            } catch {
                await opened.close()
                throw IngestCommand.failure("\(error)", exit: 2)
            }
            await opened.close()
            CLI.endProgress()
            if format.isJSON {
                // The job's status, and what this run cost: its wall time and its journal transactions.
                var object = (try? JSONDecoder().decode([String: JSONValue].self, from: JSONEncoder().encode(status))) ?? [:]
                let elapsed = ContinuousClock.now - started
                object["run"] = .object([
                    "elapsed_seconds": .number(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18),
                    "journal_transactions": .integer(opened.meter.transactions),
                    "journal_seconds": .number(opened.meter.seconds),
                    "journal_busy_seconds": .number(opened.busyMeter.seconds),
                    "journal_commits": .integer(opened.busyMeter.transactions),
                    "journal_cpu_seconds": opened.cpuMeter.map { .number($0.seconds) } ?? .null,
                ])
                CLI.printJSON(JSONValue.object(object), format: format)
            } else {
                CLI.out(IngestCommand.summary(status))
            }
            let code = IngestCommand.exitStatus(status)
            if code != 0 { throw ExitCode(code) }
        }

        /// Runs `body`; the first SIGINT or SIGTERM cancels it (a clean stop), and it is then a `CancellationError`.
        static func untilSignal<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
            let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
            let result: T? = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    for await _ in signals { return nil }
                    return nil
                }
                defer { group.cancelAll() }
                // The first to finish: the work's value, or a signal. After a signal the work is canceled, ends
                // its writes and lets go of its items before it returns.
                if let first = try await group.next(), let value = first { return value }
                group.cancelAll()
                while try await group.next() != nil {}
                return nil
            }
            guard let result else { throw CancellationError() }
            return result
        }
    }

    /// `tl ingest status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts per state, throughput, ETA and recent errors of a job.")

        @OptionGroup var journal: JournalOptions

        @Option(name: .shortAndLong, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let opened = try await journal.open()
            defer { Task { await opened.close() } }
            guard try await opened.job(named: journal.job) != nil else {
                throw IngestCommand.failure("no job \(journal.job) in \(opened.location)", exit: 64)
            }
            let status = try await opened.status(job: journal.job)
            if format.isJSON {
                CLI.printJSON(status, format: format)
                return
            }
            var lines = ["job \(status.job): \(IngestCommand.summary(status))"]
            lines.append(ItemState.allCases.map { "\($0.rawValue) \(status.items[$0.rawValue] ?? 0)" }.joined(separator: ", "))
            lines.append(String(format: "throughput %.2f items/s", status.itemsPerSecond)
                + (status.etaSeconds.map { $0 > 0 ? String(format: ", about %.0f s to go", $0) : "" } ?? ""))
            if let backoff = status.backoffSeconds { lines.append(String(format: "backing off after a 429: %.0f s left", backoff)) }
            for error in status.recentErrors {
                lines.append("error: \(error.path) (\(error.state), attempt \(error.attempts)): \(error.error)")
            }
            CLI.out(lines.joined(separator: "\n"))
        }
    }

    /// `tl ingest results`.
    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One record per item and prompt: path, fingerprint, custom_id, task id, status, result or error.")

        enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

        @OptionGroup var journal: JournalOptions

        @Option(help: "jsonl (one JSON object per line) or csv.")
        var format: Format = .jsonl

        func run() async throws {
            let opened = try await journal.open()
            defer { Task { await opened.close() } }
            guard try await opened.job(named: journal.job) != nil else {
                throw IngestCommand.failure("no job \(journal.job) in \(opened.location)", exit: 64)
            }
            let records = try await opened.results(job: journal.job)
            switch format {
            case .jsonl:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for record in records {
                    var line = String(decoding: try encoder.encode(record), as: UTF8.self)
                    // The result is the API's JSON: embedded as JSON, not as a string of it.
                    if let result = record.result, let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(result.utf8)),
                       var object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8)) {
                        object["result"] = parsed
                        line = String(decoding: try encoder.encode(object), as: UTF8.self)
                    }
                    CLI.out(line)
                }
            case .csv:
                CLI.out("path,fingerprint,prompt_index,custom_id,task_id,status,result,error")
                for record in records {
                    CLI.out([record.path, record.fingerprint, record.promptIndex.map(String.init) ?? "", record.customID ?? "",
                             record.taskID ?? "", record.status, record.result ?? "", record.error ?? ""].map(Self.csvField).joined(separator: ","))
                }
            }
        }

        /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
        static func csvField(_ text: String) -> String {
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }

    /// `tl ingest retry`.
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put failed items (their failed tasks under a new custom_id) or rejected items back in line.")

        @OptionGroup var journal: JournalOptions

        @Flag(help: "Failed items.")
        var failed = false

        @Flag(help: "Rejected items (checked again, for example after a policy change).")
        var rejected = false

        func validate() throws {
            guard failed || rejected else { throw ValidationError("Say which: --failed, --rejected, or both.") }
        }

        func run() async throws {
            let opened = try await journal.open()
            defer { Task { await opened.close() } }
            guard try await opened.job(named: journal.job) != nil else {
                throw IngestCommand.failure("no job \(journal.job) in \(opened.location)", exit: 64)
            }
            let count = try await opened.retry(job: journal.job, failed: failed, rejected: rejected)
            CLI.out("\(count) item\(count == 1 ? "" : "s") back in line; run `tl ingest run` with the job's paths to send them")
        }
    }

    /// `tl ingest forget`.
    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a job with its items and results from the journal (the platform's tasks and assets stay).")

        @Option(help: "The job to forget (required: nothing is forgotten by default).")
        var job: String

        @Option(help: ArgumentHelp("The journal (as for tl ingest run).", valueName: "url"))
        var journal: String?

        func run() async throws {
            let opened = try await JournalOptions.parse(["--job", job] + (journal.map { ["--journal", $0] } ?? [])).open()
            defer { Task { await opened.close() } }
            guard try await opened.forget(job: job) else {
                throw IngestCommand.failure("no job \(job) in \(opened.location)", exit: 64)
            }
            CLI.out("forgot job \(job)")
        }
    }
}

/// The live line on a terminal: counts of what happened so far. Quiet when stderr is not a terminal, and then
/// it makes no line at all (building one per event was 2 % of an ingest's CPU).
final class IngestProgress: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])
    /// Decided once: the output settings and the terminal do not change during a run.
    private let shown = Console.showsProgress
    private static let labels = ["checked", "rejected", "asset_ready", "tasks", "batches", "done", "failed", "retries", "429s", "lost leases"]
        .map { ($0, $0.replacingOccurrences(of: "_", with: " ")) }

    func note(_ event: IngestEvent) {
        guard shown else { return }
        let line: String? = counts.withLockedValue { counts in
            switch event {
            case .state(_, let state): counts[state.rawValue, default: 0] += 1
            case .taskCreated: counts["tasks", default: 0] += 1
            case .retrying: counts["retries", default: 0] += 1
            case .rateLimited: counts["429s", default: 0] += 1
            case .leaseLost: counts["lost leases", default: 0] += 1
            case .batchCreated: counts["batches", default: 0] += 1
            case .uploaded, .discovered, .batchEnded: return nil
            }
            return Self.labels.compactMap { key, label in counts[key].map { "\($0) \(label)" } }.joined(separator: ", ")
        }
        if let line { CLI.progress(line) }
    }
}

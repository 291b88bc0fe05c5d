import AnalyzeAPI
import ArgumentParser
import Foundation
import NIOCore
import Logging
import MediaProbe
import PlatformRules
import Preflight
import Sandbox

/// `tl sandbox`: a local server speaking the TwelveLabs task API.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a local server that speaks the TwelveLabs analysis-task and asset API.",
        discussion: """
            Prints the base URL to use on its first line (point TWELVELABS_BASE_URL at it). \
            The accepted key is --api-key, else TWELVE_LABS_API_KEY, else a generated one printed on the second line. \
            Presigned chunk URLs point at the sandbox's own /storage route; /_sandbox/stats reports its counters. \
            Logs each request to stderr; stops on SIGINT or SIGTERM.
            """
    )

    @Option(help: "Interface to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free port).")
    var port = 8787

    @Option(name: .customLong("api-key"), help: "The API key to accept.")
    var apiKey: String?

    @Option(help: "Seconds a task stays queued.")
    var queued: Double = 0.1

    @Option(help: "Seconds a task stays pending.")
    var pending: Double = 0.1

    @Option(help: "Seconds a task stays processing.")
    var processing: Double = 0.3

    @Option(name: .customLong("rate-limit"), help: "Requests per minute per key (none when omitted).")
    var rateLimit: Int?

    @Option(name: .customLong("fault-rate"), help: "Fraction of requests to fault, 0–1.")
    var faultRate: Double = 0

    @Option(name: .customLong("fault-seed"), help: "Seed of the fault generator.")
    var faultSeed: UInt64 = 1

    @Option(name: .customLong("fault-kinds"), help: "Comma-separated faults: server-error, rate-limited, drop, delay, drop-after-create (creates only; not in the default set).")
    var faultKinds: String = FaultInjection.Kind.general.map(\.rawValue).joined(separator: ",")

    @Option(name: .customLong("fault-delay"), help: "Seconds a delay fault holds its answer.")
    var faultDelay: Double = 0.2

    @Option(name: .customLong("error-shape"), help: "Error body shape: published (each endpoint as the platform's contract gives it), flat or nested.")
    var errorShape: String = "published"

    @Option(name: .customLong("asset-processing"), help: "Seconds an uploaded asset stays processing.")
    var assetProcessing: Double = 0.3

    @Option(name: .customLong("chunk-size"), help: "Bytes per chunk of a multipart upload.")
    var chunkSize: Int64 = 5_242_880

    @Option(name: .customLong("initial-urls"), help: "Presigned URLs listed when a multipart upload is created.")
    var initialURLs: Int = 20

    @Option(name: .customLong("url-ttl"), help: "Seconds a presigned chunk URL stays valid.")
    var urlTTL: Double = 3600

    @Option(name: .customLong("storage-fault-rate"), help: "Fraction of chunk PUTs to fault, 0–1 (same kinds, seed and delay as --fault-*).")
    var storageFaultRate: Double = 0

    @Option(name: .customLong("chunk-delay"), help: "Seconds each chunk PUT is held before it is stored and answered.")
    var chunkDelay: Double = 0

    @Option(name: .customLong("webhook-url"), help: "Announce each finished task, signed, to this URL (repeatable).")
    var webhookURLs: [String] = []

    @Option(name: .customLong("webhook-secret-file"), help: ArgumentHelp(
        "The webhook signing secret, from FILE ('-' for standard input); else $TWELVE_LABS_WEBHOOK_SECRET.", valueName: "FILE"),
            completion: .file())
    var webhookSecretFile: String?

    @Flag(name: .customLong("strict-upload-headers"), help: "Refuse (403) a chunk PUT without the announced upload_headers. Off by default, as the platform's own SDK sends none.")
    var strictUploadHeaders = false

    @Flag(name: .customLong("ignore-idempotency-keys"), help: "Create a new task or batch for every create, even one repeating an Idempotency-Key: a platform that does not keep the key, where only reconciliation prevents duplicates.")
    var ignoreIdempotencyKeys = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535.") }
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1.") }
        guard (0...1).contains(storageFaultRate) else { throw ValidationError("--storage-fault-rate must be between 0 and 1.") }
        guard chunkSize >= 1 else { throw ValidationError("--chunk-size must be 1 or more.") }
        guard initialURLs >= 0 else { throw ValidationError("--initial-urls cannot be negative.") }
        guard urlTTL > 0 else { throw ValidationError("--url-ttl must be positive.") }
        guard assetProcessing >= 0, chunkDelay >= 0 else {
            throw ValidationError("--asset-processing and --chunk-delay cannot be negative.")
        }
        guard faultDelay >= 0 else { throw ValidationError("--fault-delay cannot be negative.") }
        guard queued >= 0, pending >= 0, processing >= 0 else { throw ValidationError("Lifecycle seconds cannot be negative.") }
        if let rateLimit, rateLimit < 1 { throw ValidationError("--rate-limit must be 1 or more.") }
        guard errorShape == "published" || ErrorShape(rawValue: errorShape) != nil else {
            throw ValidationError("--error-shape must be published, flat or nested.")
        }
        _ = try kinds()
    }

    private func kinds() throws -> [FaultInjection.Kind] {
        try faultKinds.split(separator: ",").map { name in
            guard let kind = FaultInjection.Kind(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("Unknown fault kind '\(name)'.")
            }
            return kind
        }
    }

    /// Judges an uploaded video as the platform does: probed by MediaProbe, checked against the
    /// platform's policy; a video that breaks a limit makes its task end `failed` with the reasons.
    /// Judges a video as preflight does, except that it may last up to 4 h (a clipped file's limit): a
    /// request's window, or an inline video's 2 h, is judged when the task is created.
    static let preflightInspector: VideoInspector = { url in
        var policy = Policy.platformDefault
        policy.maxDurationMicroseconds = PlatformRules.current.video.maxClippedFileMicroseconds
        guard let report = try? await Preflight.evaluate(path: url.path, policy: policy) else { return "The video could not be checked." }
        guard !report.ok else { return nil }
        return report.violations.map { "\($0.code): \($0.message.replacingOccurrences(of: url.path, with: "the video"))" }
            .joined(separator: " ")
    }

    func run() async throws {
        var generated = false
        let key: String
        if let apiKey, !apiKey.isEmpty {
            key = apiKey
        } else if let fromEnvironment = ProcessInfo.processInfo.environment[AnalyzeClient.Configuration.apiKeyVariable],
                  !fromEnvironment.isEmpty {
            key = fromEnvironment
        } else {
            key = "tlsk_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            generated = true
        }
        var configuration = SandboxConfiguration(apiKey: key)
        configuration.host = host
        configuration.port = port
        configuration.lifecycle = TaskLifecycle(
            queued: .seconds(double: queued), pending: .seconds(double: pending), processing: .seconds(double: processing))
        configuration.requestsPerMinute = rateLimit
        configuration.faults = FaultInjection(
            rate: faultRate, kinds: try kinds(), seed: faultSeed, delay: .seconds(double: faultDelay))
        configuration.uploads.assetProcessing = .seconds(double: assetProcessing)
        configuration.uploads.chunkSize = chunkSize
        configuration.uploads.initialURLCount = initialURLs
        configuration.uploads.urlLifetime = .seconds(double: urlTTL)
        configuration.uploads.chunkDelay = .seconds(double: chunkDelay)
        configuration.uploads.requiresUploadHeaders = strictUploadHeaders
        configuration.honorsIdempotencyKeys = !ignoreIdempotencyKeys
        if !webhookURLs.isEmpty {
            for url in webhookURLs {
                guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
                      components.host?.isEmpty == false
                else { throw UsageError("--webhook-url must be an http(s) URL, got '\(url)'.") }
            }
            let secret = try webhookSecretFile.map {
                String(decoding: try InputFile.contents(of: $0, option: "--webhook-secret-file", what: "the webhook secret file"), as: UTF8.self)
            } ?? ProcessInfo.processInfo.environment[WebhooksCommand.Listen.secretVariable] ?? ""
            guard !secret.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw UsageError("--webhook-url needs a signing secret: --webhook-secret-file FILE, or set \(WebhooksCommand.Listen.secretVariable).")
            }
            configuration.webhooks.urls = webhookURLs
            configuration.webhooks.secret = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        configuration.uploads.storageFaults = FaultInjection(
            rate: storageFaultRate, kinds: try kinds(), seed: faultSeed, delay: .seconds(double: faultDelay))
        configuration.errorShape = ErrorShape(rawValue: errorShape)
        configuration.inspector = Self.preflightInspector
        configuration.durationProbe = { url in (try? await MediaProbe.probe(url))?.durationSeconds }
        var logger = Logger(label: "tl-sandbox", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = output.quiet ? .warning : .info
        configuration.logger = logger

        let sandbox = Sandbox(configuration: configuration)
        let printKey = generated
        do {
            try await sandbox.run { url in
                CLI.out(url)
                if printKey { CLI.out("TWELVE_LABS_API_KEY=\(key)") }
                Console.note("tl sandbox listening on \(url); set TWELVELABS_BASE_URL=\(url)")
            }
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EADDRNOTAVAIL || error.errnoCode == EACCES {
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            let reason = error.errnoCode == EADDRINUSE ? "address already in use; pick another --port, or --port 0 for a free one"
                : error.errnoCode == EACCES ? "permission denied; ports below 1024 need privileges" : "no such address on this machine"
            CLI.err("error: could not listen on \(address) (\(reason))")
            throw ExitCode(2)
        } catch {
            CLI.err("error: the sandbox stopped: \(error)")
            throw ExitCode(2)
        }
    }
}

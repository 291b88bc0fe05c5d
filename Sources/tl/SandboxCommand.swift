import AnalyzeAPI
import ArgumentParser
import Foundation
import Logging
import Preflight
import Sandbox

/// `tl sandbox`: a local server speaking the TwelveLabs task API.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a local server that speaks the TwelveLabs analysis-task API.",
        discussion: """
            Prints the base URL to use on its first line (point TWELVELABS_BASE_URL at it). \
            The accepted key is --api-key, else TWELVE_LABS_API_KEY, else a generated one printed on the second line. \
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

    @Option(name: .customLong("fault-kinds"), help: "Comma-separated faults: server-error, rate-limited, drop, delay.")
    var faultKinds: String = FaultInjection.Kind.allCases.map(\.rawValue).joined(separator: ",")

    @Option(name: .customLong("fault-delay"), help: "Seconds a delay fault holds its answer.")
    var faultDelay: Double = 0.2

    @Option(name: .customLong("error-shape"), help: "Error body shape: flat or nested.")
    var errorShape: String = "flat"

    @Flag(help: "Do not log each request to stderr.")
    var quiet = false

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535.") }
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1.") }
        guard faultDelay >= 0 else { throw ValidationError("--fault-delay cannot be negative.") }
        guard queued >= 0, pending >= 0, processing >= 0 else { throw ValidationError("Lifecycle seconds cannot be negative.") }
        if let rateLimit, rateLimit < 1 { throw ValidationError("--rate-limit must be 1 or more.") }
        guard ErrorShape(rawValue: errorShape) != nil else { throw ValidationError("--error-shape must be flat or nested.") }
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
    static let preflightInspector: VideoInspector = { url in
        guard let report = try? await Preflight.evaluate(path: url.path) else { return "The video could not be checked." }
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
        configuration.errorShape = ErrorShape(rawValue: errorShape) ?? .flat
        configuration.inspector = Self.preflightInspector
        var logger = Logger(label: "tl-sandbox", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = quiet ? .warning : .info
        configuration.logger = logger

        let sandbox = Sandbox(configuration: configuration)
        let printKey = generated
        do {
            try await sandbox.run { url in
                CLI.out(url)
                if printKey { CLI.out("TWELVE_LABS_API_KEY=\(key)") }
                CLI.err("tl sandbox listening on \(url); set TWELVELABS_BASE_URL=\(url)")
            }
        } catch {
            CLI.err("error: the sandbox stopped: \(error)")
            throw ExitCode(2)
        }
    }
}

import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import Webhooks

/// `tl webhooks`: receive TwelveLabs webhook deliveries.
struct WebhooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Receive and verify TwelveLabs webhook deliveries.",
        subcommands: [Listen.self])

    /// `tl webhooks listen`.
    struct Listen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Listen for webhook deliveries; print each verified event as one JSON line.",
            discussion: """
                The signing secret comes from --secret-file (a file, FIFO or '-'), else $\(secretVariable); never from \
                argv, where every user of the machine could read it. A delivery whose TL-Signature does not verify \
                (missing, malformed, older than --tolerance, or not matching) is answered 401 and not printed. \
                The listener is bounded: bodies over --max-body are refused (413), a connection idle for \
                --idle-timeout is closed (so a slow client cannot hold one), and at most --max-connections are open. \
                Stops on SIGINT or SIGTERM.
                """)

        static let secretVariable = "TWELVE_LABS_WEBHOOK_SECRET"

        @Option(help: "Interface to listen on.")
        var host = "127.0.0.1"

        @Option(help: "Port to listen on (0 picks a free port).")
        var port = 8788

        @Option(name: .customLong("secret-file"), help: ArgumentHelp("Read the signing secret from FILE ('-' for standard input).", valueName: "FILE"),
                completion: .file())
        var secretFile: String?

        @Option(help: "Seconds the signed timestamp may be from now.")
        var tolerance: Double = 300

        @Option(name: .customLong("max-body"), help: "The largest body accepted, in bytes.")
        var maxBody = 1 << 20

        @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may stay idle (or trickle a request) before it is closed.")
        var idleTimeout: Double = 10

        @Option(name: .customLong("max-connections"), help: "Connections open at once.")
        var maxConnections = 256

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535.") }
            guard tolerance > 0, tolerance.isFinite else { throw ValidationError("--tolerance must be more than 0 seconds.") }
            guard (1...(64 << 20)).contains(maxBody) else { throw ValidationError("--max-body must be 1 byte to 64 MiB.") }
            guard idleTimeout > 0, idleTimeout <= 3600 else { throw ValidationError("--idle-timeout must be more than 0 and at most 3600 seconds.") }
            guard (1...100_000).contains(maxConnections) else { throw ValidationError("--max-connections must be 1–100000.") }
        }

        func run() async throws {
            let secret: String
            if let secretFile {
                secret = String(decoding: try InputFile.contents(of: secretFile, option: "--secret-file", what: "the webhook secret file"), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                secret = ProcessInfo.processInfo.environment[Self.secretVariable] ?? ""
            }
            guard !secret.isEmpty else {
                throw UsageError("No webhook secret: give --secret-file FILE, or set \(Self.secretVariable).")
            }
            let quiet = output.quiet
            var receiver = WebhookReceiver<BasicRequestContext>(secret: secret) { event in
                // One event per line: the raw body, compacted if it spans lines.
                var line = String(decoding: event.body, as: UTF8.self)
                if line.contains("\n"), let object = try? JSONSerialization.jsonObject(with: event.body),
                   let compact = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
                    line = String(decoding: compact, as: UTF8.self)
                }
                CLI.out(line)
            }
            receiver.tolerance = .seconds(tolerance)
            receiver.maxBodyBytes = maxBody
            receiver.onRefusal = { status, reason in
                if !quiet { CLI.err("tl: refused a delivery (\(status)): \(reason)") }
            }
            let limit = ConnectionLimit(limit: maxConnections)
            let host = self.host
            let application = Application(
                responder: receiver,
                server: .http1(configuration: .init(additionalChannelHandlers: [limit.handler()],
                                                    idleTimeout: .nanoseconds(Int64(idleTimeout * 1e9)))),
                configuration: .init(address: .hostname(host, port: port), serverName: "tl-webhooks"),
                onServerRunning: { channel in
                    let shown = host.contains(":") ? "[\(host)]" : host
                    Console.note("tl webhooks listening on http://\(shown):\(channel.localAddress?.port ?? 0)/")
                },
                logger: Logger(label: "tl-webhooks", factory: { _ in SwiftLogNoOpLogHandler() }))
            let group = ServiceGroup(services: [application], gracefulShutdownSignals: [.sigterm, .sigint],
                                     logger: Logger(label: "tl-webhooks", factory: { _ in SwiftLogNoOpLogHandler() }))
            do {
                try await group.run()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                CLI.err("error: could not listen on \(host):\(port) (address already in use; pick another --port, or --port 0 for a free one)")
                throw ExitCode(2)
            }
        }
    }
}

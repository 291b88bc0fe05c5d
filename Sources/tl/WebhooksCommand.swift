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
                An event seen before (the same id: a retry, or a replay inside the tolerance) is answered 200 and \
                not printed again; the last --remember-events ids are kept. \
                The listener is bounded: bodies over --max-body are refused (413); a client must send a request's \
                head within --header-timeout and all of it within --read-timeout, and a connection idle for \
                --idle-timeout is closed (so a slow client cannot hold one); at most --max-connections are open. \
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

        @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may stay idle before it is closed.")
        var idleTimeout: Double = 10

        @Option(name: .customLong("header-timeout"), help: "Seconds a client has to send a request's head.")
        var headerTimeout: Double = 10

        @Option(name: .customLong("read-timeout"), help: "Seconds a client has to send a whole request, head and body.")
        var readTimeout: Double = 30

        @Option(name: .customLong("remember-events"), help: "Event ids remembered to refuse repeats and replays.")
        var rememberEvents = 100_000

        @Option(name: .customLong("max-connections"), help: "Connections open at once.")
        var maxConnections = 256

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535.") }
            guard tolerance > 0, tolerance.isFinite else { throw ValidationError("--tolerance must be more than 0 seconds.") }
            guard (1...(64 << 20)).contains(maxBody) else { throw ValidationError("--max-body must be 1 byte to 64 MiB.") }
            for (name, value) in [("--idle-timeout", idleTimeout), ("--header-timeout", headerTimeout), ("--read-timeout", readTimeout)] {
                guard value > 0, value <= 3600 else { throw ValidationError("\(name) must be more than 0 and at most 3600 seconds.") }
            }
            guard headerTimeout <= readTimeout else { throw ValidationError("--header-timeout must not be longer than --read-timeout.") }
            guard (1...10_000_000).contains(rememberEvents) else { throw ValidationError("--remember-events must be 1–10000000.") }
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
            receiver.replayGuard = ReplayGuard(capacity: rememberEvents)
            receiver.onRepeat = { event in
                if !quiet { CLI.err("tl: acknowledged a repeated delivery of \(event.id ?? "an event without an id") without printing it") }
            }
            let limits = ListenerLimits(maxConnections: maxConnections, idleTimeout: .seconds(idleTimeout),
                                        headerTimeout: .seconds(headerTimeout), readTimeout: .seconds(readTimeout))
            let host = self.host
            let application = Application(
                responder: receiver,
                server: limits.http1Server(),
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

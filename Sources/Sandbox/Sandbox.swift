import AnalyzeAPI
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A local server speaking TwelveLabs' async-analysis wire format, for development and tests.
///
/// It serves `POST/GET /analyze/tasks`, `GET/DELETE /analyze/tasks/{id}` and `POST /analyze/tasks/{id}/cancel`
/// under `/v1.3` (and at the root), with the platform's validation, status codes and error bodies, a task
/// lifecycle on an injectable clock, `Idempotency-Key` handling, per-key rate limits and seeded fault injection.
/// It also serves `POST /assets`, `GET /assets/{id}` and the multipart-upload endpoints, with presigned URLs that
/// point at its own storage route (`PUT /storage/uploads/{upload_id}/{chunk_index}?token=…`); see ``UploadSettings``.
///
/// ```swift
/// try await Sandbox.withRunning(SandboxConfiguration(apiKey: "test")) { sandbox in
///     // point an AnalyzeClient at sandbox.baseURL
/// }
/// ```
public final class Sandbox: Sendable {
    /// How this sandbox behaves.
    public let configuration: SandboxConfiguration
    /// Tasks, request log and the test API.
    public let state: SandboxState

    /// A sandbox for `configuration`; start it with ``run(handleSignals:onListening:)`` or ``withRunning(_:_:)``.
    public init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        state = SandboxState(configuration: configuration)
    }

    /// Serves until the surrounding task is cancelled or a graceful shutdown is signalled (SIGINT/SIGTERM when
    /// `handleSignals`). `onListening` gets the base URL to use (`http://host:port/v1.3`) once the port is bound.
    public func run(
        handleSignals: Bool = true,
        onListening: @escaping @Sendable (String) async -> Void = { _ in }
    ) async throws {
        let group = ServiceGroup(
            services: [makeApplication(onListening: onListening)],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: configuration.logger)
        defer { state.removeStorage() }
        try await group.run()
    }

    /// Starts a sandbox for `configuration` (use port 0 in tests), runs `body` with it, then shuts it down.
    public static func withRunning<T: Sendable>(
        _ configuration: SandboxConfiguration,
        _ body: (RunningSandbox) async throws -> T
    ) async throws -> T {
        let sandbox = Sandbox(configuration: configuration)
        defer { sandbox.state.removeStorage() }
        let (urls, continuation) = AsyncStream.makeStream(of: String.self)
        let group = ServiceGroup(
            services: [sandbox.makeApplication(onListening: { url in continuation.yield(url) })],
            gracefulShutdownSignals: [], logger: configuration.logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = urls.makeAsyncIterator()
            guard let url = await iterator.next() else { throw CancellationError() }
            let running = RunningSandbox(baseURL: url, state: sandbox.state)
            do {
                let result = try await body(running)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    private func makeApplication(onListening: @escaping @Sendable (String) async -> Void) -> some Service {
        let host = configuration.host
        let state = state
        return Application(
            router: SandboxResponder(state: state).makeRouter(),
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "tl-sandbox"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shownHost = host.contains(":") ? "[\(host)]" : host
                state.setListeningOrigin("http://\(shownHost):\(port)")
                await onListening("http://\(shownHost):\(port)\(SandboxConfiguration.pathPrefix)")
            },
            logger: configuration.logger)
    }
}

/// A sandbox started by ``Sandbox/withRunning(_:_:)``.
public struct RunningSandbox: Sendable {
    /// The base URL to give a client: `http://127.0.0.1:PORT/v1.3`.
    public let baseURL: String
    /// The sandbox's state and test API.
    public let state: SandboxState
}

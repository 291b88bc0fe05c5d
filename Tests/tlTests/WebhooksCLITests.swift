import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `tl webhooks listen` as a receiver would run it, with signatures computed by `openssl` from the
/// documented formula (hex(HMAC-SHA256(secret, t + "." + body))), not by our signer.
@Suite(.timeLimit(.minutes(3))) struct WebhooksCLITests {
    static let secret = "whsec_cli_5d1c"

    static func signature(_ body: String, t: Int) async throws -> String {
        let out = try await Subprocess.run("/bin/sh", ["-c", "printf '%s' \"$0\" | openssl dgst -sha256 -hmac \"$1\" -hex", "\(t).\(body)", secret])
        return try #require(out.out.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(out.out)")
    }

    static func post(_ url: String, _ body: Data, headers: [String: String], method: String = "POST") async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if method == "POST" { request.httpBody = body }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { _, response, error in
                if let error { return continuation.resume(throwing: error) }
                continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode ?? 0)
            }.resume()
        }
    }

    @Test func verifiedEventsArePrintedAndEverythingElseIsRefused() async throws {
        let live = try LiveProcess(["webhooks", "listen", "--port", "0", "--idle-timeout", "1", "--read-timeout", "60", "--max-body", "4096", "--max-connections", "4"],
                                   environment: ["TWELVE_LABS_WEBHOOK_SECRET": Self.secret])
        #expect(await live.waitFor("listening on http://127.0.0.1:", onStderr: true))
        let url = try #require(live.err.firstMatch(of: /http:\/\/127\.0\.0\.1:\d+\//).map { String($0.output) })
        let port = try #require(Int(url.split(separator: ":").last!.dropLast()))
        let now = Int(Date().timeIntervalSince1970)

        let event = #"{"id":"evt_1","created_at":"2026-12-01T12:00:00Z","type":"analyze.task.ready","data":{"id":"t1","status":"ready"}}"#
        let good = try await Self.post(url, Data(event.utf8), headers: ["TL-Signature": "t=\(now),v1=\(try await Self.signature(event, t: now))"])
        #expect(good == 200)
        #expect(await live.waitFor(event))

        let forged = #"{"id":"evt_2","type":"analyze.task.failed","data":{"id":"t2"}}"#
        let wrongSecret = try await Self.post(url, Data(forged.utf8), headers: ["TL-Signature": "t=\(now),v1=\(try await Self.signature(event, t: now))"])
        #expect(wrongSecret == 401, "a signature of another body")
        let stale = now - 600
        let old = try await Self.post(url, Data(event.utf8), headers: ["TL-Signature": "t=\(stale),v1=\(try await Self.signature(event, t: stale))"])
        #expect(old == 401, "older than the 5-minute tolerance")
        #expect(try await Self.post(url, Data(event.utf8), headers: [:]) == 401)
        let large = String(repeating: "x", count: 5000)
        #expect(try await Self.post(url, Data(large.utf8), headers: ["TL-Signature": "t=\(now),v1=\(try await Self.signature(large, t: now))"]) == 413)
        #expect(try await Self.post(url, Data(), headers: [:], method: "GET") == 405)

        // A client that opens a request and never finishes it is dropped after the idle timeout (1 s). The read
        // deadline is 60 s, so only the idle timer can close it within the wait; the upper bound (8 s, below the
        // 10 s default) says it was this option's timer, with room for a loaded machine to notice late.
        let clock = ContinuousClock()
        let slow = try RawSocket(port: port)
        slow.send(Data("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".utf8))
        let started = clock.now
        let closed = await slow.waitForClose(timeout: 30)
        let idle = clock.now - started
        #expect(closed && idle >= .milliseconds(900) && idle < .seconds(8), "the idle connection was closed after \(idle) (closed: \(closed)), the idle timeout is 1 s")

        try await Task.sleep(for: .milliseconds(200))
        #expect(!live.out.contains("evt_2") && live.out.split(separator: "\n").count == 1, "only the verified event is printed: \(live.out)")
        #expect(live.err.contains("refused a delivery (401)") && live.err.contains("refused a delivery (413)"))
        live.signal(SIGTERM)
        #expect(await live.finish() == 0)
    }

    /// End to end: `tl sandbox --webhook-url` announces a finished task to `tl webhooks listen`, which prints it.
    @Test func theSandboxAnnouncesFinishedTasksToTheListener() async throws {
        let live = try LiveProcess(["webhooks", "listen", "--port", "0"], environment: ["TWELVE_LABS_WEBHOOK_SECRET": Self.secret])
        #expect(await live.waitFor("listening on http://127.0.0.1:", onStderr: true))
        let url = try #require(live.err.firstMatch(of: /http:\/\/127\.0\.0\.1:\d+\//).map { String($0.output) })
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("tl-webhook-secret-\(UUID().uuidString)")
        try Data(Self.secret.utf8).write(to: secretFile)
        defer { try? FileManager.default.removeItem(at: secretFile) }
        let sandbox = try await SandboxProcess(arguments: ["--processing", "0.05", "--webhook-url", url + "hooks", "--webhook-secret-file", secretFile.path])
        let id = try await sandbox.createTask(prompt: "describe", customID: "clip-7")
        #expect(await live.waitFor("evt_\(id)_ready"), "\(live.out) \(live.err)")
        let event = try #require(live.out.split(separator: "\n").first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(event["type"] as? String == "analyze.task.ready")
        #expect((event["data"] as? [String: Any])?["custom_id"] as? String == "clip-7")
        let task = try await TLProcess.run(["tasks", "get", id, "-f", "json"], environment: sandbox.environment)
        let webhooks = try #require((try JSONSerialization.jsonObject(with: Data(task.out.utf8)) as? [String: Any])?["webhooks"] as? [[String: Any]])
        #expect(webhooks.first?["delivered"] as? Bool == true && webhooks.first?["attempts"] as? Int == 1 && webhooks.first?["url"] as? String == url + "hooks")
        await sandbox.stop()
        live.signal(SIGINT)
        #expect(await live.finish() == 0)
    }

    /// Connections beyond --max-connections are closed at once; those within stay open, and a closed one frees
    /// its place. Every deadline is 120 s, so within the waits only the limit can close a connection.
    @Test func connectionsAreBounded() async throws {
        let live = try LiveProcess(["webhooks", "listen", "--port", "0", "--idle-timeout", "120", "--header-timeout", "120",
                                    "--read-timeout", "120", "--max-connections", "2"],
                                   environment: ["TWELVE_LABS_WEBHOOK_SECRET": Self.secret])
        #expect(await live.waitFor("listening on http://127.0.0.1:", onStderr: true))
        let port = try #require(live.err.firstMatch(of: /127\.0\.0\.1:(\d+)\//).flatMap { Int($0.output.1) })
        // An answer on each of the first two proves the listener has taken and counted them, so the third is
        // the one over the limit however slowly a loaded machine accepts (the three may land on different
        // event loops). The waits are backstops: each returns as soon as its condition holds.
        let probe = Data("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        func served(_ socket: RawSocket) async -> Bool {
            socket.send(probe)
            return await socket.readAvailable(timeout: 30).hasPrefix("HTTP/1.1 405")
        }
        let first = try RawSocket(port: port)
        var second: RawSocket? = try RawSocket(port: port)
        let firstServed = await served(first), secondServed = await served(second!)
        #expect(firstServed && secondServed, "connections within the limit are served")
        let third = try RawSocket(port: port)
        #expect(await third.waitForClose(timeout: 30), "a third connection is closed")
        let firstClosed = await first.waitForClose(timeout: 0), secondClosed = await second!.waitForClose(timeout: 0)
        #expect(!firstClosed && !secondClosed, "the first two stay open")
        #expect(await served(first), "and are still served")
        // Closing one frees its place: a new connection is served.
        second = nil
        let clock = ContinuousClock(), deadline = clock.now + .seconds(30)
        var replacement = try RawSocket(port: port), replacementServed = await served(replacement)
        while !replacementServed, clock.now < deadline {
            // The listener may not have seen the close yet, and closed this one as the third: try again.
            try await Task.sleep(for: .milliseconds(100))
            replacement = try RawSocket(port: port)
            replacementServed = await served(replacement)
        }
        #expect(replacementServed, "a connection opened after one closed is served")
        live.signal(SIGTERM)
        #expect(await live.finish() == 0)
    }

    /// The platform's retry of an event (same id, signed again later) and a captured delivery sent again
    /// inside the tolerance are both acknowledged with 200, and printed once.
    @Test func repeatsAndReplaysArePrintedOnce() async throws {
        let live = try LiveProcess(["webhooks", "listen", "--port", "0", "--remember-events", "2"],
                                   environment: ["TWELVE_LABS_WEBHOOK_SECRET": Self.secret])
        #expect(await live.waitFor("listening on http://127.0.0.1:", onStderr: true))
        let url = try #require(live.err.firstMatch(of: /http:\/\/127\.0\.0\.1:\d+\//).map { String($0.output) })
        let now = Int(Date().timeIntervalSince1970)
        func deliver(_ body: String, at t: Int) async throws -> Int {
            try await Self.post(url, Data(body.utf8), headers: ["TL-Signature": "t=\(t),v1=\(try await Self.signature(body, t: t))"])
        }
        let first = #"{"id":"evt_a","type":"analyze.task.ready","data":{"id":"ta"}}"#
        #expect(try await deliver(first, at: now) == 200)
        #expect(try await deliver(first, at: now) == 200, "a replay of the same delivery")
        #expect(try await deliver(first, at: now + 1) == 200, "the platform's retry, signed again")
        let noID = #"{"type":"analyze.task.ready","data":{"id":"tb"}}"#
        #expect(try await deliver(noID, at: now) == 200)
        #expect(try await deliver(noID, at: now) == 200, "a replay of a delivery without an id: the same signature")
        #expect(await live.waitFor("\"tb\""))
        let clock = ContinuousClock(), deadline = clock.now + .seconds(10)
        func repeats() -> Int { live.err.components(separatedBy: "acknowledged a repeated delivery").count - 1 }
        while repeats() < 3, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(live.out.split(separator: "\n").map(String.init) == [first, noID], "\(live.out)")
        #expect(repeats() == 3, "\(live.err)")
        // With room for two, the oldest is forgotten once two newer ones came: bounded memory, by design.
        let third = #"{"id":"evt_c","type":"analyze.task.ready","data":{"id":"tc"}}"#
        #expect(try await deliver(third, at: now) == 200)
        #expect(try await deliver(first, at: now + 2) == 200)
        #expect(await live.waitFor("\"tc\""))
        #expect(await live.waitFor(first + "\n" + noID + "\n" + third + "\n" + first))
        live.signal(SIGTERM)
        #expect(await live.finish() == 0)
    }

    /// A slowloris client trickles its request a byte at a time, so it is never idle: the header and read
    /// deadlines close it anyway, long before its trickle would end, while a client that sends each request in
    /// time keeps its connection for longer than one read deadline. Only lower bounds are tight: under the
    /// whole suite's load this process may notice a close late, never early.
    @Test func slowClientsAreClosedAtTheirDeadlines() async throws {
        let live = try LiveProcess(["webhooks", "listen", "--port", "0", "--idle-timeout", "60", "--header-timeout", "6", "--read-timeout", "10"],
                                   environment: ["TWELVE_LABS_WEBHOOK_SECRET": Self.secret])
        #expect(await live.waitFor("listening on http://127.0.0.1:", onStderr: true))
        let port = try #require(live.err.firstMatch(of: /127\.0\.0\.1:(\d+)\//).flatMap { Int($0.output.1) })
        let clock = ContinuousClock()

        /// Sends `bytes` one every 250 ms until the listener closes; the time it took, or `nil` if it never did.
        func trickle(_ bytes: Data, on socket: RawSocket) async -> Duration? {
            let started = clock.now
            for byte in bytes {
                socket.send(Data([byte]))
                if await socket.waitForClose(timeout: 0) { return clock.now - started }
                try? await Task.sleep(for: .milliseconds(250))
            }
            return await socket.waitForClose(timeout: 10) ? clock.now - started : nil
        }

        // 200 bytes at 4 a second would take 50 s; the deadlines are 6 s and 10 s.
        let head = Data("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Padding: \(String(repeating: "p", count: 140))\r\n\r\n".utf8)
        let headTime = try #require(await trickle(head, on: try RawSocket(port: port)), "a trickled head was never closed")
        #expect(headTime >= .milliseconds(5800) && headTime < .seconds(40), "the head deadline is 6 s: \(headTime)")

        let slowBody = try RawSocket(port: port)
        slowBody.send(Data("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n".utf8))
        let bodyTime = try #require(await trickle(Data(repeating: 0x62, count: 200), on: slowBody), "a trickled body was never closed")
        #expect(bodyTime >= .milliseconds(9500) && bodyTime < .seconds(40), "the read deadline is 10 s: \(bodyTime)")

        // Seven requests in time on one connection, 2 s apart (a third of the head deadline): it outlives the
        // first request's read deadline. The signatures are made first: under load, starting openssl takes seconds.
        let now = Int(Date().timeIntervalSince1970)
        var requests: [Data] = []
        for index in 0..<7 {
            let event = #"{"id":"evt_k\#(index)","type":"analyze.task.ready","data":{"id":"tk"}}"#
            let signature = "t=\(now),v1=\(try await Self.signature(event, t: now))"
            requests.append(Data("POST / HTTP/1.1\r\nHost: x\r\nTL-Signature: \(signature)\r\nContent-Length: \(event.utf8.count)\r\n\r\n\(event)".utf8))
        }
        let kept = try RawSocket(port: port)
        let started = clock.now
        for (index, request) in requests.enumerated() {
            kept.send(request)
            let answer = await kept.readAvailable(timeout: 20)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "request \(index + 1): \(answer)")
            if index < requests.count - 1 { try await Task.sleep(for: .seconds(2)) }
        }
        #expect(clock.now - started > .seconds(10))
        #expect(live.out.split(separator: "\n").count == 7)
        live.signal(SIGTERM)
        #expect(await live.finish() == 0)
    }

    @Test func noSecretIsAUsageErrorAndTheSecretIsNeverInArgv() async throws {
        let result = try await TLProcess.run(["webhooks", "listen", "--port", "0"])
        #expect(result.status == 64)
        #expect(result.err.contains("give --secret-file FILE, or set TWELVE_LABS_WEBHOOK_SECRET"), "\(result.err)")
        let secretOption = try await TLProcess.run(["webhooks", "listen", "--secret", "x"])
        #expect(secretOption.status == 64)
    }
}

/// A raw loopback connection for the slow-client and connection-limit checks (polled, with timeouts).
final class RawSocket {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(descriptor) }

    /// Sends `data`, ignoring failures (the peer may have closed: no SIGPIPE).
    func send(_ data: Data) {
        data.withUnsafeBytes { _ = Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What arrives within `timeout` seconds, as text, once something has and nothing more follows for 100 ms.
    func readAvailable(timeout: Int) async -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeout)
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var quietSince = clock.now
        while clock.now < deadline {
            var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, 0) > 0 {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count <= 0 { break }
                received += buffer.prefix(count)
                quietSince = clock.now
            } else if !received.isEmpty, clock.now - quietSince > .milliseconds(100) {
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the peer closed the connection within `timeout` seconds (polled without blocking a
    /// cooperative thread).
    func waitForClose(timeout: Int) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeout)
        repeat {
            var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, 0) > 0 {
                var byte: UInt8 = 0
                return recv(descriptor, &byte, 1, 0) <= 0
            }
            try? await Task.sleep(for: .milliseconds(20))
        } while clock.now < deadline
        return false
    }
}

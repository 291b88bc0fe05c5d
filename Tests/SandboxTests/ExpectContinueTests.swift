import AnalyzeAPI
import Foundation
import Sandbox
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `Expect: 100-continue` over a raw socket: the sandbox says `100 Continue` before the body is sent.
@Suite(.timeLimit(.minutes(3))) struct ExpectContinueTests {
    /// A blocking loopback TCP connection with a receive timeout.
    final class RawConnection {
        let descriptor: Int32

        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw POSIXError(.EIO) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
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

        func send(_ data: Data) {
            data.withUnsafeBytes { _ = Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
        }

        /// Reads until `marker` has arrived (or 10 s passed), returning everything read. It polls
        /// without blocking, so a cooperative thread is never held while the sandbox needs one.
        func read(until marker: String) async -> String {
            var received = Data()
            var buffer = [UInt8](repeating: 0, count: 4096)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(10)
            while !String(decoding: received, as: UTF8.self).contains(marker), clock.now < deadline {
                let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count > 0 {
                    received.append(contentsOf: buffer[0..<count])
                } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                    break
                } else {
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            return String(decoding: received, as: UTF8.self)
        }
    }

    @Test func aChunkPutWithExpectContinueGetsTheGoAheadFirst() async throws {
        try await AssetClient.with({ $0.uploads.chunkSize = 1000 }) { client in
            let session = try await client.post(
                "/assets/multipart-uploads", json: #"{"filename": "a.mp4", "type": "video", "total_size": 1000}"#)
            let url = try #require(session.json?["upload_urls"]?.arrayValue?.first?["url"]?.stringValue)
            let components = try #require(URLComponents(string: url))
            let connection = try RawConnection(port: try #require(components.port))
            let target = components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
            connection.send(Data("PUT \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nx-sandbox-upload: 1\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n".utf8))
            let interim = await connection.read(until: "\r\n\r\n")
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
            connection.send(Data(repeating: 42, count: 1000))
            let final = await connection.read(until: "\r\n\r\n")
            #expect(final.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(final)")
            #expect(final.lowercased().contains("etag: \"\(fnv1a(Data(repeating: 42, count: 1000)))\""))
        }
    }
}

import Foundation
import Testing
@testable import MediaProbe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP listener on 127.0.0.1 that never accepts: afterwards, a non-blocking `accept` tells
/// whether anything tried to connect (the kernel completes handshakes into the backlog).
final class TrapListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Number of connections that arrived (drains the backlog).
    func connectionsSeen() -> Int {
        var count = 0
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return count }
            close(client)
            count += 1
        }
    }

    deinit { close(fd) }
}

@Suite("Hostile and odd inputs")
struct HostileInputTests {
    private func probeError(_ path: String, options: ProbeOptions = ProbeOptions()) async -> ProbeError? {
        await #expect(throws: ProbeError.self) { try await MediaProbe.probe(path: path, options: options) }
    }

    private func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }

    @Test("a missing file, a dangling symlink and a symlink loop are file_not_found")
    func missing() async throws {
        let dir = try Fixtures.scratchDirectory()
        #expect(await probeError(dir.appendingPathComponent("nope.mp4").path)?.code == .fileNotFound)
        #expect(await probeError("")?.code == .fileNotFound)
        let dangling = dir.appendingPathComponent("dangling.mp4")
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: dir.appendingPathComponent("gone").path)
        let error = await probeError(dangling.path)
        #expect(error?.code == .fileNotFound)
        #expect(error?.message.contains("symbolic link") == true)
        let loop = dir.appendingPathComponent("loop")
        try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
        #expect(await probeError(loop.path)?.code == .fileNotFound)
    }

    @Test("directories, symlinks to directories, FIFOs, sockets and devices are refused at once")
    func specialFiles() async throws {
        let dir = try Fixtures.scratchDirectory()
        #expect(await probeError(dir.path)?.code == .notARegularFile)
        let link = dir.appendingPathComponent("dirlink.mp4")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: dir.path)
        #expect(await probeError(link.path)?.code == .notARegularFile)

        // Opening a FIFO for reading blocks until a writer appears: the gate must not open it.
        let fifo = dir.appendingPathComponent("pipe.mp4")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let fifoError = await probeError(fifo.path)
        #expect(fifoError?.code == .notARegularFile)
        #expect(fifoError?.message.contains("FIFO") == true)

        for device in ["/dev/zero", "/dev/null", "/dev/urandom"] {
            let error = await probeError(device)
            #expect(error?.code == .notARegularFile, "\(device)")
            #expect(error?.message.contains("character device") == true)
        }

        let socketPath = dir.appendingPathComponent("s.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        #expect(await probeError(socketPath)?.code == .notARegularFile)
    }

    @Test("a file this process cannot read is unreadable", .enabled(if: geteuid() != 0, "root reads every file"))
    func unreadable() async throws {
        let file = try Fixtures.scratchDirectory().appendingPathComponent("secret.mp4")
        try FileManager.default.copyItem(atPath: Fixtures.path("ok.mkv"), toPath: file.path)
        chmod(file.path, 0)
        #expect(await probeError(file.path)?.code == .unreadable)
    }

    @Test("an HLS playlist pointing at a loopback port is refused and opens no connection")
    func hlsPlaylist() async throws {
        let trap = try TrapListener()
        let dir = try Fixtures.scratchDirectory()
        let playlist = """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-TARGETDURATION:10
            #EXTINF:10.0,
            http://127.0.0.1:\(trap.port)/segment0.ts
            #EXT-X-ENDLIST

            """
        for name in ["list.m3u8", "disguised.mp4"] {
            let url = dir.appendingPathComponent(name)
            try write(playlist, to: url)
            let error = await probeError(url.path)
            if name == "disguised.mp4", FFmpegRelease.libavformatMajor >= 61 {
                // FFmpeg 7.1 and 9.0 (libavformat 61, 63; 6.x not tested): the HLS demuxer claims a
                // playlist only under a playlist's name or MIME type, so no demuxer takes this one.
                #expect(error?.code == .notMedia, "\(name): \(String(describing: error))")
                continue
            }
            #expect(error?.code == .formatRefused, "\(name): \(String(describing: error))")
            #expect(error?.message.contains("hls") == true)
        }
        #expect(trap.connectionsSeen() == 0)
    }

    @Test("concat lists, SDP files and DASH manifests naming network URLs open nothing")
    func otherReferrers() async throws {
        let trap = try TrapListener()
        let dir = try Fixtures.scratchDirectory()
        let documents = [
            "list.ffconcat": "ffconcat version 1.0\nfile 'http://127.0.0.1:\(trap.port)/a.mp4'\nfile 'tcp://127.0.0.1:\(trap.port)'\n",
            "concat.mp4": "ffconcat version 1.0\nfile 'http://127.0.0.1:\(trap.port)/a.mp4'\n",
            "session.sdp": "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video \(trap.port) RTP/AVP 96\na=rtpmap:96 H264/90000\n",
            "manifest.mpd": """
                <?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT5S"><Period><AdaptationSet><Representation id="1" bandwidth="1000" mimeType="video/mp4"><BaseURL>http://127.0.0.1:\(trap.port)/v.mp4</BaseURL></Representation></AdaptationSet></Period></MPD>
                """,
        ]
        for (name, text) in documents.sorted(by: { $0.key < $1.key }) {
            let url = dir.appendingPathComponent(name)
            try write(text, to: url)
            let error = await probeError(url.path)
            #expect(error?.code == .formatRefused || error?.code == .notMedia, "\(name): \(String(describing: error))")
        }
        #expect(trap.connectionsSeen() == 0)
    }

    @Test("a still image is refused, not handed to an image decoder")
    func stillImage() async throws {
        // A valid 1x1 PNG.
        let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!
        let url = try Fixtures.scratchDirectory().appendingPathComponent("frame.png")
        try png.write(to: url)
        let error = await probeError(url.path)
        #expect(error?.code == .formatRefused)
    }

    @Test("random bytes fail cleanly")
    func randomBytes() async throws {
        var generator = SplitMix64(seed: 42)
        let bytes = (0..<(256 * 1024)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let url = try Fixtures.scratchDirectory().appendingPathComponent("noise.mp4")
        try Data(bytes).write(to: url)
        let error = await probeError(url.path)
        #expect(error?.code == .notMedia || error?.code == .formatRefused)
    }

    @Test("names that look like protocols, with spaces, non-ASCII or a leading dash are plain local files")
    func awkwardNames() async throws {
        let dir = try Fixtures.scratchDirectory()
        for name in ["http:evil.mkv", "concat:a.mkv|b.mkv", "with space.mkv", "vidéo – 東京.mkv", "-leading.mkv", "pipe:0"] {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.copyItem(atPath: Fixtures.path("ok.mkv"), toPath: url.path)
            let info = try await MediaProbe.probe(path: url.path)
            #expect(info.video?.width == 640, "\(name)")
            #expect(info.path == url.path)
        }
        // A symlink to a regular file is followed.
        let link = dir.appendingPathComponent("link.mkv")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: Fixtures.path("ok.mkv"))
        #expect(try await MediaProbe.probe(path: link.path).durationMicroseconds == 5_023_000)
    }

    @Test("a file larger than 10 GB (sparse) is probed and its size reported")
    func hugeSparseFile() async throws {
        let url = try Fixtures.scratchDirectory().appendingPathComponent("huge.mp4")
        try FileManager.default.copyItem(atPath: Fixtures.path("ok_640x360_5s.mp4"), toPath: url.path)
        #expect(truncate(url.path, 11_000_000_000) == 0)
        defer { try? FileManager.default.removeItem(at: url) }
        let info = try await MediaProbe.probe(path: url.path)
        #expect(info.sizeBytes == 11_000_000_000)
        #expect(info.video?.codec == "h264")
    }

    @Test("an exhausted time budget fails with probe_timeout")
    func timeout() async throws {
        let error = await probeError(Fixtures.path("ok.ts"), options: ProbeOptions(timeout: .nanoseconds(1)))
        #expect(error?.code == .probeTimeout)
        let deep = await #expect(throws: ProbeError.self) {
            try await MediaProbe.decodeCheck(path: Fixtures.path("ok.ts"), options: ProbeOptions(timeout: .nanoseconds(1)))
        }
        #expect(deep?.code == .probeTimeout)
    }

    @Test("a cancelled task stops the probe with CancellationError")
    func cancellation() async throws {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await MediaProbe.probe(path: Fixtures.path("ok_640x360_5s.mp4"))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

/// A tiny deterministic generator for test bytes.
struct SplitMix64: RandomNumberGenerator {
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

@Suite("Concurrent probing")
struct ConcurrencyTests {
    static let files = ["ok_640x360_5s.mp4", "ok.mkv", "ok.webm", "ok.ts", "rotate_90.mp4", "cover_art.mp3", "webm_no_duration.webm", "text.mp4", "truncated_nofaststart.mp4"]

    private func outcome(_ file: String) async -> String {
        do {
            let info = try await MediaProbe.probe(path: Fixtures.path(file))
            return "\(info.container) \(info.durationMicroseconds ?? -1) \(info.video?.displayWidth ?? 0)"
        } catch let error as ProbeError {
            // The FFmpeg line must be this file's own: it names the file's failure.
            return "\(error.code.rawValue) \(error.ffmpegMessage ?? "") \(error.path.hasSuffix(file))"
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("200 probes at once give the same answers as one at a time, errors keep their own FFmpeg line")
    func manyAtOnce() async throws {
        var sequential: [String: String] = [:]
        for file in Self.files { sequential[file] = await outcome(file) }
        let results = await withTaskGroup(of: (String, String).self) { group in
            for i in 0..<200 {
                let file = Self.files[i % Self.files.count]
                group.addTask { (file, await outcome(file)) }
            }
            return await group.reduce(into: [(String, String)]()) { $0.append($1) }
        }
        #expect(results.count == 200)
        for (file, result) in results {
            #expect(result == sequential[file], "\(file)")
        }
        #expect(sequential["text.mp4"]?.contains("moov atom not found") == true)
    }
}

@Suite("Pure helpers")
struct GeometryTests {
    @Test("rotation snaps to quarter turns", arguments: [
        (0.0, 0), (89.97, 90), (-89.97, 270), (90, 90), (-90, 270), (180, 180), (-180, 180), (270, 270),
        (359.9, 0), (44.9, 0), (45.1, 90), (Double.nan, 0), (Double.infinity, 0), (450, 90),
    ])
    func snap(_ degrees: Double, _ expected: Int) {
        #expect(Inspector.snapRotation(clockwise: degrees) == expected)
    }

    @Test("display size applies SAR to the width, then rotation", arguments: [
        (640, 360, Ratio(1, 1), 0, 640, 360), (640, 360, Ratio(2, 1), 0, 1280, 360),
        (720, 576, Ratio(16, 15), 0, 768, 576), (720, 480, Ratio(8, 9), 90, 480, 640),
        (640, 360, Ratio(1, 1), 270, 360, 640), (640, 360, Ratio(0, 1), 0, 640, 360),
        (1440, 1080, Ratio(4, 3), 180, 1920, 1080),
    ])
    func display(_ w: Int, _ h: Int, _ sar: Ratio, _ rotation: Int, _ dw: Int, _ dh: Int) {
        let size = VideoStreamInfo.displaySize(width: w, height: h, sar: sar, rotation: rotation)
        #expect(size.width == dw && size.height == dh)
    }
}

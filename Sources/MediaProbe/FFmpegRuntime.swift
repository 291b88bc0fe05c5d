import CFFmpeg
import CFFmpegLoader
import Dispatch
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// FFmpeg's function table, valid while a probe holds the libraries (inside ``FFmpegRuntime/run(_:_:)``).
/// Debug builds check that they are loaded: after an unload every entry is a null pointer.
var ff: vp_ff_api {
    assert(vp_ff_is_loaded() != 0, "FFmpeg called while its libraries are not loaded")
    return vp_ff().pointee
}

/// Process-wide FFmpeg set-up, done at each load of the libraries: the log goes to a callback that hands each line to
/// the probe running on the calling thread (never to stderr).
enum FFmpegRuntime {
    /// Thread-local slot holding the `ProbeSession` of the probe running on this thread.
    /// FFmpeg logs from the thread that called it, so a line lands with the file it is about.
    static let sessionKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    /// Loads FFmpeg's libraries if they are not loaded (installing the log callback) and pins
    /// them until ``release()``.
    static func acquire(path: String) throws(ProbeError) {
        var message = [CChar](repeating: 0, count: 512)
        guard vp_ff_acquire(logCallback, &message, message.count) == 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ProbeError(.ffmpegUnavailable, path: path, message: text + ".")
        }
    }

    static func release() { vp_ff_release() }

    /// How many times the libraries have been loaded in this process.
    static var loadCount: Int { Int(vp_ff_load_count()) }

    /// FFmpeg's message text for an `AVERROR` code.
    static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if ff.av_strerror(code, &buffer, buffer.count) < 0 { return "FFmpeg error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `body` on a Dispatch worker thread, outside Swift's cooperative pool, with `session`
    /// installed for FFmpeg's log callback and interrupt callback. Task cancellation reaches
    /// FFmpeg through the interrupt callback.
    static func run<T: Sendable>(
        _ session: ProbeSession,
        _ body: @escaping @Sendable (ProbeSession) throws(ProbeError) -> T
    ) async throws -> T {
        let result: Result<T, ProbeError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    // Loading the libraries (dlopen, tens of ms the first time) happens here too, off the
                    // cooperative pool. They are held while the body runs and let go before the caller
                    // resumes, so a caller that unloads them right after a probe finds them idle.
                    let outcome: Result<T, ProbeError>
                    do throws(ProbeError) {
                        outcome = .success(try runOnThisThread(session, body))
                    } catch {
                        outcome = .failure(error)
                    }
                    continuation.resume(returning: outcome)
                }
            }
        } onCancel: {
            session.cancel()
        }
        if session.isCancelled { throw CancellationError() }
        return try result.get()
    }
}

extension FFmpegRuntime {
    /// Runs `body` on the calling thread with the libraries held and `session` installed for
    /// FFmpeg's log callback, its budget starting now. ``run(_:_:)`` calls it on its worker thread;
    /// the synchronous memory probe (``MediaProbe/probe(bytes:mode:options:)``) calls it directly.
    static func runOnThisThread<T>(
        _ session: ProbeSession, _ body: (ProbeSession) throws(ProbeError) -> T
    ) throws(ProbeError) -> T {
        session.start()
        try acquire(path: session.path)
        let opaque = Unmanaged.passRetained(session).toOpaque()
        let previous = pthread_getspecific(sessionKey)
        pthread_setspecific(sessionKey, opaque)
        defer {
            pthread_setspecific(sessionKey, previous)
            Unmanaged<ProbeSession>.fromOpaque(opaque).release()
            release()
        }
        return try body(session)
    }
}

/// The state of one probe that FFmpeg's C callbacks reach through an opaque pointer: the
/// deadline and cancellation flag (interrupt callback) and the log lines (log callback).
final class ProbeSession: Sendable {
    let path: String
    let logger: Logger
    /// The budget runs from ``start()`` (FFmpeg starting on the file), not from the call: a probe
    /// queued behind others for a Dispatch worker does not spend its budget waiting its turn.
    private let timeoutNanoseconds: Int64
    /// When ``start()`` was called, in nanoseconds since ``epoch``; `Int64.max` before.
    private let startedNanoseconds = Atomic<Int64>(.max)
    private static let epoch = ContinuousClock.now
    private let cancelled = Atomic<Bool>(false)
    private let expired = Atomic<Bool>(false)
    private let lastLines = Mutex<(error: String?, warning: String?)>((nil, nil))
    private let codecLinesDropped = Atomic<Bool>(false)
    private let fastAnalysis = Atomic<Bool>(false)

    /// Set once the probe's facts came from the fast stream analysis (for tests and benchmarks).
    var usedFastAnalysis: Bool {
        get { fastAnalysis.load(ordering: .relaxed) }
        set { fastAnalysis.store(newValue, ordering: .relaxed) }
    }

    init(path: String, timeout: Duration, logger: Logger) {
        self.path = path
        self.logger = logger
        let parts = timeout.components
        self.timeoutNanoseconds = parts.seconds > Int64.max / 1_000_000_000 / 2 ? Int64.max / 2
            : parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }

    private static func nanosecondsSinceEpoch() -> Int64 {
        let parts = (ContinuousClock.now - epoch).components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }

    /// Starts the budget (called on the worker thread, just before FFmpeg runs).
    func start() {
        startedNanoseconds.store(Self.nanosecondsSinceEpoch(), ordering: .relaxed)
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    /// True once the interrupt callback stopped FFmpeg because the budget ran out.
    var timedOut: Bool { expired.load(ordering: .relaxed) }

    /// Called by FFmpeg, often, from blocking I/O and analysis loops.
    func shouldInterrupt() -> Bool {
        if cancelled.load(ordering: .relaxed) { return true }
        let started = startedNanoseconds.load(ordering: .relaxed)
        if started != .max, Self.nanosecondsSinceEpoch() - started >= timeoutNanoseconds {
            expired.store(true, ordering: .relaxed)
            return true
        }
        return false
    }

    /// The last error FFmpeg logged for this file, else its last warning.
    var lastMessage: String? {
        lastLines.withLock { $0.error ?? $0.warning }
    }

    func clearMessages() { lastLines.withLock { $0 = (nil, nil) } }

    /// While set, lines logged by codec contexts are dropped (the fast stream analysis refuses every
    /// decoder on purpose, and that refusal says nothing about the file).
    var dropsCodecLines: Bool {
        get { codecLinesDropped.load(ordering: .relaxed) }
        set { codecLinesDropped.store(newValue, ordering: .relaxed) }
    }

    fileprivate func record(level: Int32, line: String) {
        lastLines.withLock { lines in
            if level <= AV_LOG_ERROR { lines.error = line } else { lines.warning = line }
        }
        let swiftLevel: Logger.Level = level <= AV_LOG_ERROR ? .error : .warning
        logger.log(level: swiftLevel, "\(line)", metadata: ["path": "\(path)"], source: "FFmpeg")
    }

    /// The interrupt callback to install on FFmpeg contexts, with `self` as its opaque pointer.
    /// The pointer is unretained: the caller keeps the session alive for the whole call.
    var interruptCallback: AVIOInterruptCB {
        vp_interrupt_cb(interruptTrampoline, Unmanaged.passUnretained(self).toOpaque())
    }
}

private func interruptTrampoline(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque else { return 0 }
    return Unmanaged<ProbeSession>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt() ? 1 : 0
}

private func logCallback(_ avcl: UnsafeMutableRawPointer?, _ level: Int32, _ format: UnsafePointer<CChar>?, _ args: CVaListPointer?) {
    guard level <= AV_LOG_WARNING, let format, let args else { return }
    // A decoder's worker threads carry no probe of their own: their lines reach the probe through
    // the codec context's opaque pointer (DeepDecoder sets it). Other lines without a probe are
    // dropped: there is no file to attach them to, and FFmpeg must never write to stderr.
    guard let opaque = pthread_getspecific(FFmpegRuntime.sessionKey)
            ?? vp_log_codec_opaque(avcl, ff.avcodec_get_class()) else { return }
    let session = Unmanaged<ProbeSession>.fromOpaque(opaque).takeUnretainedValue()
    if session.dropsCodecLines, vp_log_is_class(avcl, ff.avcodec_get_class()) != 0 { return }
    var buffer = [CChar](repeating: 0, count: 1024)
    vp_log_format(avcl, level, format, args, &buffer, Int32(buffer.count))
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let line = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    guard !line.isEmpty else { return }
    session.record(level: level, line: line)
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

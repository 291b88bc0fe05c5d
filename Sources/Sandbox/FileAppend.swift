#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends whole files to an open file without passing the bytes through Swift: `sendfile(2)` on
/// Linux (the kernel copies page-cache pages), else `read`/`write` with a 1 MiB buffer.
///
/// Foundation's `FileHandle.read(upToCount:)` reads in `st_blksize` steps on Linux (4 KiB here):
/// assembling a 200 MB upload that way took 50,000 `read(2)` calls and most of the sandbox's CPU.
enum FileAppend {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Appends the file at `path` to `output` (a descriptor open for writing at its end).
    static func append(_ path: String, to output: Int32) throws(Failure) {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        #if os(Linux)
        while true {
            let sent = sendfile(output, input, nil, 1 << 30)
            if sent > 0 { continue }
            if sent == 0 { return }
            if errno == EINTR { continue }
            // sendfile cannot serve this pair of files: copy through a buffer from where it stopped.
            if errno == EINVAL || errno == ENOSYS { break }
            throw Failure(description: "cannot copy \(path): \(String(cString: strerror(errno)))")
        }
        #endif
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if got == 0 { return }
            if got < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            var done = 0
            while done < got {
                let wrote = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, got - done) }
                if wrote < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "cannot write: \(String(cString: strerror(errno)))")
                }
                done += wrote
            }
        }
    }
}

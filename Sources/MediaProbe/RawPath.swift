#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File names that are not valid UTF-8, carried losslessly in a `String`.
///
/// POSIX names are bytes; Swift's `CommandLine.arguments` and `String(cString:)` replace bytes that
/// are not UTF-8 with U+FFFD, after which the file "does not exist". Here each such byte `b` becomes
/// the private-use scalar U+10FF00 + `b` (U+10FF80…U+10FFFF, which no real name contains), so the
/// name goes through `String` APIs unchanged and turns back into the same bytes when opened.
public enum RawPath {
    private static let base: UInt32 = 0x10FF00

    /// A `String` for the C string `bytes`: UTF-8 as it is, every other byte escaped.
    public static func string(_ bytes: UnsafePointer<CChar>) -> String {
        let buffer = UnsafeBufferPointer(start: UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt8.self), count: strlen(bytes))
        if let text = String(validating: buffer, as: UTF8.self) { return text }
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < buffer.count {
            // The longest valid UTF-8 sequence here, else one escaped byte.
            var decoded = false
            for length in (1...4).reversed() where index + length <= buffer.count {
                if let piece = String(validating: UnsafeBufferPointer(rebasing: buffer[index..<index + length]), as: UTF8.self),
                   piece.unicodeScalars.count == 1 {
                    scalars.append(contentsOf: piece.unicodeScalars)
                    index += length
                    decoded = true
                    break
                }
            }
            if !decoded {
                scalars.append(Unicode.Scalar(base + UInt32(buffer[index]))!)
                index += 1
            }
        }
        return String(scalars)
    }

    /// Whether `path` carries escaped bytes.
    public static func hasEscapes(_ path: String) -> Bool {
        path.unicodeScalars.contains { $0.value > base + 0x7F }
    }

    /// Whether `path` (a ``RawPath`` string) names a directory; with `followLinks` false a symlink to one is not.
    ///
    /// Here rather than in `tl`: which clang module owns `struct stat` in a compiler batch depends on the order
    /// of other files' imports, and `stat()` in `tl` has broken the build that way.
    public static func isDirectory(_ path: String, followLinks: Bool) -> Bool {
        var info = stat()
        let result = withCString(path) { followLinks ? stat($0, &info) : lstat($0, &info) }
        return result == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether the open file `descriptor` is a directory.
    public static func isDirectory(descriptor: Int32) -> Bool {
        var info = stat()
        return fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Calls `body` with the original bytes of `path`, NUL-terminated.
    public static func withCString<T, E: Error>(_ path: String, _ body: (UnsafePointer<CChar>) throws(E) -> T) throws(E) -> T {
        guard hasEscapes(path) else {
            return try path.utf8CString.withUnsafeBufferPointer { (buffer) throws(E) -> T in try body(buffer.baseAddress!) }
        }
        var bytes: [CChar] = []
        for scalar in path.unicodeScalars {
            if scalar.value > base + 0x7F {
                bytes.append(CChar(bitPattern: UInt8(scalar.value - base)))
            } else {
                bytes.append(contentsOf: String(scalar).utf8.map { CChar(bitPattern: $0) })
            }
        }
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(E) -> T in try body(buffer.baseAddress!) }
    }

    /// `path` for people and JSON: each escaped byte shown as `\xNN`.
    public static func display(_ path: String) -> String {
        guard hasEscapes(path) else { return path }
        var text = ""
        for scalar in path.unicodeScalars {
            if scalar.value > base + 0x7F {
                let hex = String(scalar.value - base, radix: 16, uppercase: true)
                text += "\\x" + hex
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}

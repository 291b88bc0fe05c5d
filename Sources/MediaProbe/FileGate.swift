#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the gate learned about a path that FFmpeg may open.
struct GatedFile: Sendable {
    /// Absolute path with symlinks resolved: what FFmpeg is given (behind `file:`).
    var resolvedPath: String
    var sizeBytes: Int64
}

/// Checks a path before FFmpeg sees it: it must exist, resolve to a regular file, be readable
/// and non-empty. Directories, FIFOs, sockets and devices are refused here, at once, so that
/// nothing ever blocks opening `/dev/zero`, a FIFO or a terminal.
enum FileGate {
    static func check(_ path: String) throws(ProbeError) -> GatedFile {
        guard !path.isEmpty else {
            throw ProbeError(.fileNotFound, path: path, message: "The path is empty.")
        }
        var info = stat()
        if RawPath.withCString(path, { stat($0, &info) }) != 0 {
            let err = errno
            throw statError(path: path, errno: err)
        }
        try requireRegular(path: path, mode: info.st_mode)

        // Open without blocking (a FIFO swapped in after stat would otherwise block open) and
        // check the descriptor again: this is the object FFmpeg will read.
        let fd = RawPath.withCString(path) { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        if fd < 0 {
            let err = errno
            throw statError(path: path, errno: err)
        }
        defer { close(fd) }
        if fstat(fd, &info) != 0 {
            let err = errno
            throw ProbeError(.unreadable, path: path, message: "Cannot inspect \(path): \(describe(errno: err)).", underlyingCode: err)
        }
        try requireRegular(path: path, mode: info.st_mode)
        guard info.st_size > 0 else {
            throw ProbeError(.emptyFile, path: path, message: "\(path) is empty (0 bytes).")
        }
        var probeByte: UInt8 = 0
        if read(fd, &probeByte, 1) < 0 {
            let err = errno
            throw ProbeError(.unreadable, path: path, message: "Cannot read \(path): \(describe(errno: err)).", underlyingCode: err)
        }
        guard let resolved = RawPath.withCString(path, { realpath($0, nil) }) else {
            let err = errno
            throw statError(path: path, errno: err)
        }
        defer { free(resolved) }
        return GatedFile(resolvedPath: RawPath.string(resolved), sizeBytes: Int64(info.st_size))
    }

    private static func requireRegular(path: String, mode: mode_t) throws(ProbeError) {
        let kind = mode & S_IFMT
        guard kind != S_IFREG else { return }
        let name: String
        switch kind {
        case S_IFDIR: name = "a directory"
        case S_IFIFO: name = "a FIFO (named pipe)"
        case S_IFSOCK: name = "a socket"
        case S_IFCHR: name = "a character device"
        case S_IFBLK: name = "a block device"
        default: name = "not a regular file"
        }
        throw ProbeError(.notARegularFile, path: path, message: "\(path) is \(name), not a regular file.")
    }

    private static func statError(path: String, errno err: Int32) -> ProbeError {
        switch err {
        case ENOENT, ENOTDIR:
            var link = stat()
            let dangling = RawPath.withCString(path, { lstat($0, &link) }) == 0 && (link.st_mode & S_IFMT) == S_IFLNK
            let message = dangling ? "\(path) is a symbolic link to a file that does not exist." : "\(path) does not exist."
            return ProbeError(.fileNotFound, path: path, message: message, underlyingCode: err)
        case ELOOP:
            return ProbeError(.fileNotFound, path: path, message: "\(path) is a loop of symbolic links.", underlyingCode: err)
        case EACCES, EPERM:
            return ProbeError(.unreadable, path: path, message: "\(path) cannot be read: permission denied.", underlyingCode: err)
        case ENAMETOOLONG:
            return ProbeError(.fileNotFound, path: path, message: "The path is too long.", underlyingCode: err)
        default:
            return ProbeError(.unreadable, path: path, message: "\(path) cannot be read: \(describe(errno: err)).", underlyingCode: err)
        }
    }

    static func describe(errno err: Int32) -> String {
        guard let text = strerror(err) else { return "error \(err)" }
        return String(cString: text)
    }
}

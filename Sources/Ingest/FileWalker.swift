import Foundation

/// The files an ingest takes from its paths.
enum FileWalker {
    /// Extensions of the video files taken from folders (a file named directly is taken whatever its name).
    static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "mkv", "webm", "avi", "wmv", "flv", "mpg", "mpeg", "ts", "mts", "m2ts", "3gp", "ogv"]

    /// Every file under `paths`, sorted, each once. Hidden files and folders are skipped; symbolic links to
    /// folders are not followed (a loop would never end).
    static func files(under paths: [String]) throws -> [String] {
        var found: Set<String> = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw IngestError(.pathMissing, "\(path) does not exist", path: path)
            }
            guard isFolder.boolValue else {
                found.insert(path)
                continue
            }
            let root = URL(fileURLWithPath: path)
            guard let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
            else { continue }
            for case let url as URL in walker {
                guard videoExtensions.contains(url.pathExtension.lowercased()),
                      (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true
                else { continue }
                found.insert(url.path)
            }
        }
        return found.sorted()
    }

    /// A file's size and modification time in nanoseconds, or `nil` when it is not a regular file now.
    static func signature(of path: String) -> FileSignature? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if os(macOS)
        let modified = info.st_mtimespec
        #else
        let modified = info.st_mtim
        #endif
        return FileSignature(size: Int64(info.st_size), modified: Int64(modified.tv_sec) * 1_000_000_000 + Int64(modified.tv_nsec))
    }
}

/// What tells whether a file is still changing.
struct FileSignature: Hashable, Sendable {
    var size: Int64
    var modified: Int64
}

/// Decides when watched files are stable: unchanged for the settle time. Each stable state is taken once; a
/// file that changes again is watched again (its new content becomes a new item).
struct StabilityTracker {
    let settleSeconds: Double
    private var seen: [String: (signature: FileSignature, since: ContinuousClock.Instant)] = [:]
    private var taken: [String: FileSignature] = [:]

    init(settleSeconds: Double) {
        self.settleSeconds = settleSeconds
    }

    /// The paths that have just become stable, given what each path looks like `now`.
    mutating func observe(_ files: [(String, FileSignature)], at now: ContinuousClock.Instant) -> [String] {
        var ready: [String] = []
        for (path, signature) in files {
            if taken[path] == signature { continue }
            if let previous = seen[path], previous.signature == signature {
                if now - previous.since >= .seconds(settleSeconds) {
                    ready.append(path)
                    taken[path] = signature
                    seen[path] = nil
                }
            } else {
                seen[path] = (signature, now)
            }
        }
        return ready
    }

    /// Forgets that `path` was taken (it could not be read after all): it is looked at again.
    mutating func forget(_ path: String) {
        taken[path] = nil
    }
}

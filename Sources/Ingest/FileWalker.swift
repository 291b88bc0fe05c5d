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
}

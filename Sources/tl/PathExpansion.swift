import Foundation
import MediaProbe

/// Turns the command line's paths into the list of files to check, in a stable order.
///
/// A path that names a file (or anything that is not a directory: missing paths, FIFOs,
/// devices) is taken as given, so it gets its own report. A directory contributes the media
/// files directly inside it (by extension, hidden files skipped), sorted by name; with
/// `recursive`, those of its subdirectories too. Symbolic links to directories met while
/// walking are not followed (no loops); one named on the command line is.
struct PathExpansion {
    var recursive: Bool
    var allFiles: Bool

    static let mediaExtensions: Set<String> = [
        "mp4", "m4v", "mov", "qt", "mkv", "webm", "avi", "ts", "mts", "m2ts", "mpg", "mpeg", "m1v", "m2v", "vob",
        "flv", "f4v", "mxf", "wmv", "asf", "ogv", "ogg", "3gp", "3g2", "mj2", "dv", "nut", "ivf", "y4m",
        "h264", "264", "hevc", "265", "rm", "rmvb", "wtv", "m4a", "mp3", "aac", "wav", "flac",
    ]

    func expand(_ arguments: [String]) -> [String] {
        var files: [String] = []
        for argument in arguments {
            if RawPath.isDirectory(argument, followLinks: true) {
                walk(argument, into: &files)
            } else {
                files.append(argument)
            }
        }
        return files
    }

    private func walk(_ directory: String, into files: inout [String]) {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        var subdirectories: [String] = []
        for name in Self.names(in: directory) where !name.hasPrefix(".") {
            let path = base + name
            if RawPath.isDirectory(path, followLinks: false) {
                subdirectories.append(path)
            } else if allFiles || Self.mediaExtensions.contains((name as NSString).pathExtension.lowercased()) {
                files.append(path)
            }
        }
        if recursive {
            for subdirectory in subdirectories { walk(subdirectory, into: &files) }
        }
    }

    /// The entries of `directory`, sorted, read with `readdir` so that names that are not UTF-8
    /// keep their bytes (``RawPath``); empty when it cannot be read.
    private static func names(in directory: String) -> [String] {
        guard let stream = RawPath.withCString(directory, { opendir($0) }) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { RawPath.string($0) }
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

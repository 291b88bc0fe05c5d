import Foundation

/// Files and folders of ours that hold private data (the journal): created `0700`/`0600`, owned by the user,
/// and never reached through a symbolic link someone else planted.
enum PrivateFiles {
    /// Creates `path` and its missing parents `0700`; an existing final folder must be a real folder (not a
    /// symlink) owned by this user.
    static func ensureDirectory(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw JournalError(.unsafePath, "\(path) is not a folder (a symbolic link or a file is in its place)")
            }
            guard info.st_uid == geteuid() else {
                throw JournalError(.unsafePath, "\(path) belongs to another user (uid \(info.st_uid))")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw JournalError(.unavailable, "cannot create \(path): \(error.localizedDescription)")
        }
    }

    /// Creates `path` `0600` when missing, without following a symlink; an existing one must be a regular file
    /// owned by this user.
    static func ensureFile(_ path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == ELOOP { throw JournalError(.unsafePath, "\(path) is a symbolic link; the journal is never opened through one") }
            throw JournalError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw JournalError(.unsafePath, "\(path) is not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw JournalError(.unsafePath, "\(path) belongs to another user (uid \(info.st_uid))")
        }
    }
}

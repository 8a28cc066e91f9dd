extension Checkpoint {
    /// Writes this checkpoint's folder form (spec §2) into the new folder `directory`:
    /// `manifest.json` as canonical bytes, then each shard and asset copied byte for byte, each
    /// file fsynced. The caller renames the folder into place, so a reader never sees half of it.
    /// The files and digests are exactly ``FolderForm/files(of:modelDigest:)``.
    public func writeFolderForm(to directory: String) throws(FormatError) {
        do throws(IOError) { try FileSystem.makeDirectories(directory) } catch { throw FormatError(file: directory, reason: .io(error)) }
        let manifestBytes = manifest.canonicalBytes
        try Self.create(directory + "/" + FolderForm.manifestPath) { fd, path throws(IOError) in
            try FileSystem.writeAll(fd, manifestBytes, path: path)
        }
        for (i, entry) in manifest.shards.enumerated() {
            let (bytes, owner) = try shardBytes(i)
            try Self.create(directory + "/" + entry.path) { fd, path throws(IOError) in try FileSystem.writeAll(fd, bytes, path: path) }
            withExtendedLifetime(owner) {}
        }
        for (i, entry) in manifest.assets.enumerated() {
            let (bytes, owner) = try assetBytes(i)
            try Self.create(directory + "/" + entry.path) { fd, path throws(IOError) in try FileSystem.writeAll(fd, bytes, path: path) }
            withExtendedLifetime(owner) {}
        }
    }

    /// Creates the new file `path` (and its folders), lets `body` write it, then fsyncs and closes it.
    private static func create(_ path: String, _ body: (Int32, String) throws(IOError) -> Void) throws(FormatError) {
        do throws(IOError) {
            try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path))
            let fd = try FileSystem.createExclusive(path)
            do throws(IOError) {
                try body(fd, path)
                try FileSystem.sync(fd, path: path)
            } catch {
                _ = try? FileSystem.close(fd, path: path)
                throw error
            }
            try FileSystem.close(fd, path: path)
        } catch {
            throw FormatError(file: path, reason: .io(error))
        }
    }
}

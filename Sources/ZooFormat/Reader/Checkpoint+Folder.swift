extension Checkpoint {
    /// The file-system rules of the folder form (spec §2): no symbolic link anywhere inside the
    /// folder, neither `manifest.json`, `shards/`, `assets/`, a folder under `assets/`, nor a
    /// declared file. Checked with `lstat` component by component, so a linked `shards/` cannot
    /// lend its target's files to a checkpoint whose members look regular through it.
    enum Folder {
        /// Checks `manifest.json` and the `shards/` and `assets/` folders (when present) before
        /// anything in the folder is opened: a linked manifest could name a FIFO or a device.
        static func checkLayout(of directory: String) throws(FormatError) {
            try checkComponent(directory, "manifest.json", expect: .regular, missing: .missingFile("manifest.json"))
            for folder in ["shards", "assets"] where FileSystem.kind(of: directory + "/" + folder) != .missing {
                try checkComponent(directory, folder, expect: .directory, missing: nil)
            }
        }

        /// The folders on the way to the declared file `relative` (`shards/00000.bin`,
        /// `assets/tok/vocab.txt`) must be real folders; the file itself is checked by the caller's
        /// own lstat, which also gives its size (one lstat per file on the open path).
        static func checkFolders(of relative: String, in directory: String) throws(FormatError) {
            let components = relative.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            var prefix = ""
            for component in components {
                prefix += (prefix.isEmpty ? "" : "/") + component
                // shards/ and assets/ were checked by checkLayout(of:); only deeper asset folders remain.
                if prefix == "shards" || prefix == "assets" { continue }
                try checkComponent(directory, prefix, expect: .directory, missing: .missingFile(relative))
            }
        }

        /// `directory/relative` must be of kind `expect`; a link or other kind is refused, naming it.
        private static func checkComponent(
            _ directory: String, _ relative: String, expect: FileSystem.FileKind, missing: FormatError.Reason?
        ) throws(FormatError) {
            let path = directory + "/" + relative
            switch FileSystem.kind(of: path) {
            case expect: return
            case .missing:
                if let missing { throw FormatError(file: path, reason: missing) }
            case .symbolicLink: throw FormatError(file: path, reason: .symbolicLink(relative))
            default:
                throw FormatError(file: path, reason: .invalidPath(
                    relative, why: expect == .directory ? "not a folder" : "not a regular file"))
            }
        }
    }
}

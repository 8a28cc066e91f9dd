#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The framing FuzzCheckpointFolder reads its input in, and the corpus script writes.
public enum FolderInput {
    /// Where record `index % paths.count` goes, relative to the folder.
    public static let paths = [
        "manifest.json", "shards/00000.bin", "shards/00001.bin", "shards/00002.bin",
        "assets/config.json", "assets/tokenizer/vocab.txt", "assets/vocab.txt", "shards/extra.bin",
    ]

    /// Makes `folder` (with `shards/`, `assets/tokenizer/`) and writes the records of `input` into it.
    public static func write(_ input: UnsafeRawBufferPointer, to folder: String) {
        for sub in ["", "/shards", "/assets", "/assets/tokenizer"] {
            guard mkdir(folder + sub, 0o700) == 0 else { fuzzFailure("cannot create \(folder + sub): errno \(errno)") }
        }
        var offset = 0
        while offset + 5 <= input.count {
            let index = Int(input[offset]) % paths.count
            var length = 0
            for i in 0..<4 { length |= Int(input[offset + 1 + i]) << (8 * i) }
            let start = offset + 5
            let end = min(input.count, start + length)
            writeFile(folder + "/" + paths[index], UnsafeRawBufferPointer(rebasing: input[start..<end]))
            offset = end
        }
    }
}

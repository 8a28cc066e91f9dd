/// The lines of a tokenizer text file (`vocab.txt`, `merges.txt`): `\n` or `\r\n` line ends, the
/// last one optional (a final line end starts no empty line).
enum TextLines {
    /// Calls `body` for each line in order with its text (`nil` when it is not valid UTF-8), its
    /// 1-based number and the byte offset where it starts.
    static func forEach<Failure: Error>(
        in bytes: [UInt8], _ body: (_ text: String?, _ line: Int, _ offset: Int) throws(Failure) -> Void
    ) throws(Failure) {
        var start = 0
        var line = 1
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var end = newline
            if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            try body(String(validating: bytes[start..<end], as: UTF8.self), line, start)
            start = newline + 1
            line += 1
        }
    }
}

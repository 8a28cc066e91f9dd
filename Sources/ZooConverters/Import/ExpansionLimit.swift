/// How much larger than its input an import's output may be: the rule that refuses expansion
/// bombs (a 610-byte `torch.save` zip whose stride-0 view declares 4 PiB) before anything is
/// written.
///
/// Real checkpoints store every byte they hold: safetensors, GGUF and `.npy` data must lie in
/// the file; a PyTorch tensor is a view of stored bytes and only shared storages (tied
/// embeddings, about 2x) or expanded views (`expand`, stride 0) make the output larger than the
/// file; a compressed `.npz` of ordinary weights inflates about 1.1x. An import whose declared
/// output exceeds ``factor`` times its input's size, and ``floorBytes`` (so that small files
/// with a broadcast buffer still import), is refused naming the tensor that crosses the limit.
public enum ExpansionLimit {
    /// The output may be at most this many times the input's size.
    public static let factor = 16
    /// ... or this many bytes, whichever is larger.
    public static let floorBytes = 64 << 20

    /// The most output bytes an input of `inputBytes` may declare.
    public static func maxOutputBytes(inputBytes: Int) -> Int {
        let (scaled, overflow) = max(0, inputBytes).multipliedReportingOverflow(by: factor)
        return overflow ? Int.max : max(scaled, floorBytes)
    }
}

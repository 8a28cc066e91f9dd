import TrainingCore

/// What ``CheckpointLoader`` takes from a checkpoint and how strictly it checks the fit.
///
/// ```swift
/// var options = LoadOptions()
/// options.prefix = "bert."                        // the encoder without the old head
/// options.keyMapping = [.stripPrefix("bert.")]    // into a BertModel
/// let report = try CheckpointLoader.load(checkpoint, into: encoder, options: options)
/// ```
public struct LoadOptions: Sendable {
    /// Renames checkpoint tensors to model keys (applied after ``prefix`` selects them).
    public var keyMapping: KeyMapping = []
    /// Only checkpoint tensors whose name starts with this (before mapping); `nil` takes all.
    public var prefix: String? = nil
    /// Model keys (after mapping) whose checkpoint tensors are left out, e.g. an old head
    /// that a new one replaces; they appear in ``LoadSummary/skippedTensors``.
    public var exclude: [NamePattern] = []
    /// The checks that must pass before anything is loaded (TrainingCore's
    /// ``TrainingCore/LoadVerification``): `.all` is PyTorch's `strict=True`, `[]` its
    /// `strict=False` (load what fits, report the rest).
    public var verify: LoadVerification = .all
    /// Model parameters that may be missing even when ``verify`` has `.noMissingKeys` (a new
    /// head); any other missing key still fails.
    public var allowMissing: [NamePattern] = []
    /// A NaN or infinity in a tensor about to be loaded throws, naming the tensor; `false`
    /// loads it and lists it in ``LoadSummary/nonFiniteKeys``.
    public var rejectNonFinite: Bool = true
    /// Float32 tensors are read in place from the memory-mapped checkpoint (no copy; a tensor
    /// is copied the first time it is changed, e.g. by an optimiser step). `false` copies
    /// every tensor at load.
    public var zeroCopy: Bool = true

    /// Every check on (the default): PyTorch's `load_state_dict(strict=True)`.
    public static var strict: LoadOptions { LoadOptions() }

    /// No check fails: loads what fits and reports the rest, PyTorch's `strict=False`.
    public static var lenient: LoadOptions { LoadOptions(verify: []) }

    public init(
        keyMapping: KeyMapping = [], prefix: String? = nil, exclude: [NamePattern] = [],
        verify: LoadVerification = .all, allowMissing: [NamePattern] = [], rejectNonFinite: Bool = true,
        zeroCopy: Bool = true
    ) {
        self.keyMapping = keyMapping
        self.prefix = prefix
        self.exclude = exclude
        self.verify = verify
        self.allowMissing = allowMissing
        self.rejectNonFinite = rejectNonFinite
        self.zeroCopy = zeroCopy
    }
}

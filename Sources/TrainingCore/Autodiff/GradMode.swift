/// Whether operations record the graph that `backward()` walks.
///
/// Recording is on by default. Inside ``withNoGrad(_:)`` operations compute values only: no
/// graph, no saved intermediates, nothing for `backward()`. The switch is task-local (and
/// thread-local outside tasks), so it never leaks into other work.
public enum GradMode {
    @TaskLocal static var isRecordingDisabled = false

    /// Whether operations currently record gradients.
    public static var isEnabled: Bool { !isRecordingDisabled }
}

/// Runs `body` without recording gradients: the inference path, e.g. for feature extraction.
///
/// ```swift
/// let features = withNoGrad { model(batch) }
/// ```
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isRecordingDisabled.withValue(true, operation: body)
}

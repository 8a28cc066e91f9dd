#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser

/// The entry point: parses with swift-argument-parser, but exits 2 (not its 64) on usage
/// errors, and prints library errors as one `Error: ...` line with status 1.
@main
enum ZooMain {
    /// Usage errors (unknown option, missing argument, failed validation) exit with this.
    static let usageExitCode: Int32 = 2

    static func main() {
        var command: ParsableCommand
        do {
            command = try Zoo.parseAsRoot(GlobalOptions.movingLeadingOptions(Array(CommandLine.arguments.dropFirst())))
        } catch {
            fail(with: error)
        }
        // -v: how long the whole command took, on stderr, after its result (or its error).
        let output = (command as? CommandWithGlobalOptions)?.global.output
        let name = type(of: command)._commandName
        do {
            try command.run()
        } catch {
            output?.timing("zoo \(name) failed")
            fail(with: error)
        }
        output?.timing("zoo \(name) finished")
        exit(0)
    }

    private static func fail(with error: Error) -> Never {
        let code = Zoo.exitCode(for: error)
        if code == .validationFailure {
            var message = Zoo.fullMessage(for: error)
            let arguments = Array(CommandLine.arguments.dropFirst())
            if let name = SubcommandSuggestion.suggestion(for: arguments, among: SubcommandSuggestion.subcommandNames) {
                message = message.replacingFirstLine { $0 + " (did you mean 'zoo \(name)'?)" }
            }
            Terminal.writeError(message)
            exit(usageExitCode)
        }
        if error is ExitCode || error is CleanExit || code != .failure {
            Zoo.exit(withError: error)
        }
        // A library error: its description names the file, tensor and offset. One line.
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        Terminal.writeError("Error: " + text)
        exit(1)
    }
}

extension String {
    /// The text with its first line transformed.
    fileprivate func replacingFirstLine(_ transform: (String) -> String) -> String {
        guard let end = firstIndex(where: \.isNewline) else { return transform(self) }
        return transform(String(self[..<end])) + self[end...]
    }
}

import Foundation
import XCTest
import ZooFormat

/// `-o -` (standard output) and `-q`/`-v`, as the built `zoo` does them.
final class OutputOptionsTests: CLITestCase {
    /// Runs zoo with standard output going to the file `path` (raw bytes, as `> path` does).
    private func runToFile(_ arguments: [String], stdout path: String) throws -> (status: Int32, stderr: String) {
        let process = try ZooProcess.makeProcess(arguments, home: zoo.home, environment: [:])
        FileManager.default.createFile(atPath: path, contents: nil)
        let out = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        defer { try? out.close() }
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errData, as: UTF8.self))
    }

    private func contents(_ path: String) throws -> Data {
        try XCTUnwrap(FileManager.default.contents(atPath: path), path)
    }

    /// The store's tmp/ entries (an export to stdout stages there and must leave nothing).
    private func storeTemporaries() -> [String] {
        ((try? FileSystem.listDirectory(storeRoot + "/tmp")) ?? []).filter { !$0.hasPrefix(".") }
    }

    // MARK: -o -

    func testExportToStdout_EverySingleFileFormat_SameBytesAsAFile() throws {
        _ = try importBertTiny()
        for format in ["zoo", "zoo.zst", "safetensors", "gguf", "npz"] {
            let file = scratch + "/file." + format
            try run(["export", "bert-tiny", "--format", format, "-o", file])
            let piped = scratch + "/piped." + format
            let result = try runToFile(["export", "bert-tiny", "--format", format, "-o", "-"], stdout: piped)
            XCTAssertEqual(result.status, 0, "\(format): \(result.stderr)")
            let expected = try contents(file)
            XCTAssertGreaterThan(expected.count, 100_000, format)
            XCTAssertEqual(try contents(piped), expected, "\(format): -o - and -o FILE differ")
            // Diagnostics stay on stderr: the single-file formats name the assets they leave out.
            XCTAssertTrue(result.stderr.hasPrefix("warning: \(format == "safetensors" ? "safetensors" : format) files hold no assets")
                          || format.hasPrefix("zoo"), "\(format): \(result.stderr)")
        }
        XCTAssertEqual(storeTemporaries(), [])
    }

    func testExportToStdout_NoFormat_WritesAZooArchiveThatImportsBack() throws {
        let digest = try importBertTiny()
        let piped = scratch + "/piped"
        let result = try runToFile(["export", "bert-tiny", "-o", "-"], stdout: piped)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let checkpoint = try CheckpointArchive.open(piped)
        XCTAssertEqual(checkpoint.digest.description, digest)
    }

    func testExportToStdout_DTypeConversion_SameBytesAsAFile() throws {
        _ = try importBertTiny()
        try run(["export", "bert-tiny", "--dtype", "f16", "-o", scratch + "/f16.safetensors"])
        let result = try runToFile(["export", "bert-tiny", "--dtype", "f16", "--format", "safetensors", "-o", "-"],
                                   stdout: scratch + "/piped")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try contents(scratch + "/piped"), try contents(scratch + "/f16.safetensors"))
    }

    /// A reader that stops early (`| head -c 10`): an error naming stdout, exit 1, the staging removed.
    func testExportToStdout_ReaderGoesAway_Exit1AndNothingLeft() throws {
        _ = try importBertTiny()
        let process = try ZooProcess.makeProcess(["export", "bert-tiny", "-o", "-"], home: zoo.home, environment: [:])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let head = try XCTUnwrap(out.fileHandleForReading.readData(ofLength: 10))
        try out.fileHandleForReading.close()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(String(decoding: head, as: UTF8.self), "manifest.j", "a .zoo starts with its manifest member")
        XCTAssertEqual(process.terminationStatus, 1, errors)
        XCTAssertEqual(errors, "Error: write(<stdout>) failed: Broken pipe\n")
        XCTAssertEqual(storeTemporaries(), [])
    }

    /// zoo, zoo.zst, safetensors and gguf stream: when the first bytes arrive nothing is staged in
    /// the store's tmp/ (the old copy-out wrote the whole file there first); npz still stages its
    /// file. Each then meets a reader that goes away: exit 1 naming stdout, nothing left.
    func testExportToStdout_StreamingFormats_NothingStagedAndBrokenPipeCleansUp() throws {
        _ = try importBertTiny()
        for format in ["zoo", "zoo.zst", "safetensors", "gguf", "npz"] {
            let process = try ZooProcess.makeProcess(["export", "bert-tiny", "--format", format, "-o", "-"],
                                                     home: zoo.home, environment: [:])
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // The model (> 100 kB) overfills the 64 KiB pipe: zoo is now blocked writing to it.
            let head = try XCTUnwrap(out.fileHandleForReading.readData(ofLength: 16))
            XCTAssertEqual(head.count, 16, format)
            let staged = storeTemporaries()
            try out.fileHandleForReading.close()
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if format == "npz" {
                XCTAssertEqual(staged.count, 1, "npz is written to tmp/ before it is copied out: \(staged)")
            } else {
                XCTAssertEqual(staged, [], "\(format) streams: nothing staged")
            }
            XCTAssertEqual(process.terminationStatus, 1, "\(format): \(errors)")
            XCTAssertTrue(errors.hasSuffix("Error: write(<stdout>) failed: Broken pipe\n"), "\(format): \(errors)")
            XCTAssertEqual(storeTemporaries(), [], format)
        }
    }

    func testExportToStdout_FolderOutputsOrJSON_UsageErrorNothingWritten() throws {
        _ = try importBertTiny()
        let cases: [[String]] = [["--format", "hf"], ["--format", "safetensors", "--max-shard-size", "100kB"], ["--json"]]
        for extra in cases {
            let result = try run(["export", "bert-tiny", "-o", "-"] + extra, expect: 2)
            XCTAssertEqual(result.stdout, "", "\(extra)")
            let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertTrue(first.hasPrefix("Error: ") && (first.contains("needs -o DIR/") || first.contains("--json cannot be combined")),
                          "\(extra): \(result.stderr)")
        }
        XCTAssertEqual(storeTemporaries(), [])
    }

    /// Runs zoo under script(1), which gives it a pty for stdin, stdout and stderr; returns the
    /// status and everything it wrote to the terminal.
    private func runOnTerminal(_ arguments: [String]) throws -> (status: Int32, text: String) {
        guard FileSystem.kind(of: "/usr/bin/script") == .regular else { throw XCTSkip("script(1) (util-linux) is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let command = ([try ZooProcess.binary()] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process.arguments = ["-qec", command, "/dev/null"]
        process.environment = try ZooProcess.makeProcess([], home: zoo.home, environment: [:]).environment
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// Like `docker save`, never writes a model to a terminal.
    func testExportToStdout_Terminal_RefusedWithUsageError() throws {
        _ = try importBertTiny()
        let (status, text) = try runOnTerminal(["export", "bert-tiny", "-o", "-"])
        XCTAssertEqual(status, 2, text)
        XCTAssertTrue(text.hasPrefix("Error: refusing to write a model to a terminal"), text)
        XCTAssertLessThan(text.utf8.count, 1_000, "no model bytes on the terminal")
    }

    // MARK: -q / -v

    func testQuiet_Import_PrintsOnlyTheDigest() throws {
        let result = try run(["import", try Fixtures.bertTiny(), "-q"])
        XCTAssertTrue(result.stdout.hasPrefix("sha256:") && result.stdout.count == 72, result.stdout)
        XCTAssertEqual(result.stderr, "")
        let shown = try json(try run(["show", "bert-tiny", "--json"]).stdout)
        XCTAssertEqual(shown["digest"]?.stringValue, String(result.stdout.dropLast()))
    }

    func testQuiet_BeforeTheSubcommand_Accepted() throws {
        let result = try run(["-q", "--store", storeRoot, "import", try Fixtures.bertTiny()])
        XCTAssertTrue(result.stdout.hasPrefix("sha256:") && !result.stdout.contains("Imported"), result.stdout)
        let verbose = try run(["--verbose", "list"])
        XCTAssertTrue(verbose.stderr.hasPrefix("zoo list finished in "), verbose.stderr)
    }

    func testQuiet_ResultCommands_PrintTheIdentifier() throws {
        let digest = try importBertTiny()
        XCTAssertEqual(try run(["tag", "bert-tiny", "copy:v1", "-q"]).stdout, "copy:v1\n")
        XCTAssertEqual(try run(["list", "-q"]).stdout, "bert-tiny:latest\ncopy:v1\n")
        XCTAssertEqual(try run(["verify", "copy:v1", "-q"]).stdout, digest + "\n")
        XCTAssertEqual(try run(["export", "copy:v1", "-o", scratch + "/c.zoo", "-q"]).stdout, scratch + "/c.zoo\n")
        let layout = scratch + "/layout"
        let pushed = try run(["push", "copy:v1", layout + ":models/copy:v1", "-q"])
        XCTAssertEqual(pushed.stderr, "")
        XCTAssertEqual(pushed.stdout.split(separator: "\n").count, 1, pushed.stdout)
        XCTAssertEqual(pushed.stdout, layout + ":models/copy:v1\n")
        XCTAssertEqual(try run(["rm", "copy:v1", "-q"]).stdout, "copy:v1\n")
        let pulled = try run(["pull", layout + ":models/copy:v1", "--name", "back:v1", "-q"])
        XCTAssertEqual(pulled.stdout, "back:v1\n")
        XCTAssertEqual(pulled.stderr, "")
    }

    func testQuiet_SilencesNotesButNotErrors() throws {
        let source = scratch + "/hf"
        try FileSystem.makeDirectories(source)
        for file in ["model.safetensors", "config.json"] {
            try FileManager.default.copyItem(atPath: try Fixtures.bertTiny() + "/" + file, toPath: source + "/" + file)
        }
        try Data("not read".utf8).write(to: URL(fileURLWithPath: source + "/tf_model.h5"))
        let noisy = try run(["import", source, "--name", "a"])
        XCTAssertEqual(noisy.stderr, "note: not imported (weights the import does not read): tf_model.h5\n")
        let quiet = try run(["import", source, "--name", "b", "-q"])
        XCTAssertEqual(quiet.stderr, "")
        let failed = try run(["import", scratch + "/missing", "-q"], expect: 1)
        XCTAssertTrue(failed.stderr.hasPrefix("Error: "), failed.stderr)
    }

    /// The signing commands and verify --deep's architecture lines follow -q too: only the
    /// identifier (the signature bundle's digest, the rule's number, the model digest).
    func testQuiet_SignTrustAndDeepVerify_PrintOnlyTheIdentifier() throws {
        let digest = try importBertTiny()
        let key = scratch + "/k.pem", publicKey = scratch + "/k.pub"
        for arguments in [["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key], ["ec", "-in", key, "-pubout", "-out", publicKey]] {
            let process = try Process.run(URL(fileURLWithPath: "/usr/bin/openssl"), arguments: arguments)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "openssl \(arguments)")
        }
        let signed = try run(["sign", "bert-tiny", "--key", key, "-q"])
        XCTAssertEqual(signed.stderr, "")
        let shown = try json(try run(["show", "bert-tiny", "--json"]).stdout)
        let bundle = try XCTUnwrap(shown["signatures"]?.arrayValue?.first?["bundle"]?.stringValue, "\(shown)")
        XCTAssertEqual(signed.stdout, bundle + "\n")
        XCTAssertTrue(try run(["sign", "bert-tiny", "--key", key]).stdout.hasPrefix("Signed bert-tiny:latest \(digest) "))

        let empty = try run(["trust", "list", "-q"])
        XCTAssertEqual(empty.stdout + empty.stderr, "", "no rules: a note, silenced")
        XCTAssertTrue(try run(["trust", "list"]).stderr.hasPrefix("No trust rules in "))
        XCTAssertEqual(try run(["trust", "add", "--name", "bert", "--key", publicKey, "-q"]).stdout, "1\n")
        XCTAssertEqual(try run(["trust", "rm", "1", "-q"]).stdout, "1\n")

        let deep = try run(["verify", "bert-tiny", "--deep"])
        XCTAssertTrue(deep.stdout.contains("\narchitecture: "), deep.stdout)
        let quiet = try run(["verify", "bert-tiny", "--deep", "-q"])
        XCTAssertEqual(quiet.stdout, digest + "\n")
        XCTAssertEqual(quiet.stderr, "")
    }

    /// On a terminal, verify draws its progress bar (erased with ESC [K); -q draws none.
    func testQuiet_OnATerminal_NoProgressBar() throws {
        let digest = try importBertTiny()
        let noisy = try runOnTerminal(["verify", "bert-tiny"])
        XCTAssertEqual(noisy.status, 0, noisy.text)
        XCTAssertTrue(noisy.text.contains("verifying [") && noisy.text.contains("\u{1B}[K"), noisy.text)
        let quiet = try runOnTerminal(["verify", "bert-tiny", "-q"])
        XCTAssertEqual(quiet.status, 0, quiet.text)
        XCTAssertEqual(quiet.text, digest + "\r\n")
    }

    func testVerbose_Import_ListsEveryStoredFileAndTheTime() throws {
        let result = try run(["import", try Fixtures.bertTiny(), "-v"])
        XCTAssertTrue(result.stdout.hasPrefix("Imported bert-tiny:latest sha256:"), result.stdout)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("read huggingface: 41 tensors, 4 assets") == true, result.stderr)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  shards/00000.bin ") }, result.stderr)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  assets/config.json ") }, result.stderr)
        XCTAssertTrue(lines.last?.hasPrefix("zoo import finished in ") == true, result.stderr)
        // Without -v none of it.
        XCTAssertEqual(try run(["import", try Fixtures.bertTiny(), "--name", "again"]).stderr, "")

        let size = try XCTUnwrap(FileManager.default.contents(atPath: try Fixtures.bertTiny() + "/model.safetensors")).count
        let exported = try run(["export", "again", "-o", scratch + "/a.safetensors", "-v"]).stderr
        XCTAssertTrue(exported.contains("wrote safetensors to \(scratch)/a.safetensors: "), exported)
        XCTAssertEqual(try FileSystem.fileSize(scratch + "/a.safetensors"), size)
    }

    func testQuietAndVerbose_Together_UsageError() throws {
        let result = try run(["list", "-q", "-v"], expect: 2)
        XCTAssertTrue(result.stderr.hasPrefix("Error: -q/--quiet and -v/--verbose cannot be used together."), result.stderr)
    }

    func testHelp_EveryCommand_ListsQuietAndVerbose() throws {
        for command in [["import"], ["export"], ["convert"], ["list"], ["show"], ["verify"], ["rm"], ["embed"], ["diff"],
                        ["pull"], ["push"], ["remote", "add"], ["remote", "rm"], ["remote", "list"], ["tag"], ["gc"], ["du"],
                        ["sign"], ["trust", "list"], ["trust", "add"], ["trust", "rm"]] {
            let help = try run(["help"] + command).stdout
            XCTAssertTrue(help.contains("-q, --quiet") && help.contains("-v, --verbose"), "\(command): \(help)")
        }
    }
}

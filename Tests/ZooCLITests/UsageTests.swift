import Foundation
import XCTest

final class UsageTests: CLITestCase {
    func testHelp_Root_Exit0ListsSubcommands() throws {
        let result = try run(["--help"])
        for command in ["import", "export", "list", "show", "verify", "rm"] {
            XCTAssertTrue(result.stdout.contains("\n  \(command) ") || result.stdout.contains("\n  \(command), "),
                          "\(command) missing from:\n\(result.stdout)")
        }
        XCTAssertEqual(result.stderr, "")
    }

    func testHelp_Subcommand_Exit0() throws {
        let result = try run(["export", "--help"])
        XCTAssertTrue(result.stdout.contains("USAGE: zoo export [--store <path>] [--quiet] [--verbose] <ref> --output <path>"), result.stdout)
    }

    func testVersion_PrintsTheReleaseAndTheFormatItWrites() throws {
        let result = try run(["--version"])
        XCTAssertNotNil(result.stdout.range(of: #"^zoo \d+\.\d+\.\d+ \(checkpoint format 1\.\d+\)\n$"#, options: .regularExpression),
                        result.stdout)
        XCTAssertEqual(result.stderr, "")
    }

    func testCompletionScripts_GeneratedForBashZshAndFish() throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try run(["--generate-completion-script", shell])
            XCTAssertTrue(result.stdout.contains("import") && result.stdout.contains("verify"), "\(shell): \(result.stdout.prefix(200))")
        }
        // Path arguments complete as files: bash's script calls its file completer for them.
        let bash = try run(["--generate-completion-script", "bash"]).stdout
        XCTAssertTrue(bash.contains("__zoo_add_completions -f") || bash.contains("compgen -f") || bash.contains("-A file"),
                      String(bash.prefix(400)))
    }

    func testUsage_UnknownSubcommand_Exit2() throws {
        let result = try run(["frobnicate"], expect: 2)
        XCTAssertTrue(result.stderr.hasPrefix("Error: Unexpected argument 'frobnicate'"), result.stderr)
        XCTAssertEqual(result.stdout, "")
    }

    func testUsage_MistypedSubcommand_SuggestsTheNearestOne() throws {
        let result = try run(["imprt", "x.safetensors"], expect: 2)
        XCTAssertTrue(result.stderr.hasPrefix("Error: 2 unexpected arguments: 'imprt', 'x.safetensors' (did you mean 'zoo import'?)"), result.stderr)
        let far = try run(["frobnicate"], expect: 2)
        XCTAssertFalse(far.stderr.contains("did you mean"), far.stderr)
    }

    func testStoreBeforeTheSubcommand_IsTheSameAsAfterIt() throws {
        let other = scratch + "/other-store"
        let imported = try run(["--store", other, "import", try Fixtures.bertTiny(), "--name", "elsewhere"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let listed = try json(try run(["--store=" + other, "list", "--json"]).stdout)
        XCTAssertEqual(listed.arrayValue?.compactMap { $0["name"]?.stringValue }, ["elsewhere"])
        XCTAssertEqual(try json(try run(["list", "--store", other, "--json"]).stdout), listed)
        XCTAssertEqual(try run(["list", "--json"]).stdout, "[]\n", "the default store is untouched")
        try run(["--store", other, "remote", "list"])
    }

    func testUsage_UnknownOption_Exit2() throws {
        let result = try run(["list", "--colour"], expect: 2)
        XCTAssertTrue(result.stderr.contains("Unknown option '--colour'"), result.stderr)
    }

    func testUsage_MissingArgument_Exit2() throws {
        let result = try run(["export", "bert-tiny"], expect: 2)
        XCTAssertTrue(result.stderr.contains("Missing expected argument '--output <path>'"), result.stderr)
    }

    func testUsage_NoArguments_PrintsHelpExit0() throws {
        let result = try run([])
        XCTAssertTrue(result.stdout.contains("USAGE: zoo <subcommand>"), result.stdout)
    }

    func testUsage_BadFormatValue_Exit2() throws {
        let result = try run(["export", "x", "-o", "y", "--format", "onnx"], expect: 2)
        XCTAssertTrue(result.stderr.contains("onnx"), result.stderr)
    }
}

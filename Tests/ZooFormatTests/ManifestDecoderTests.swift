import Foundation
import XCTest
import ZooFormat

/// The direct manifest decoder against the generic path: over the golden vectors (good, bad,
/// non-canonical), the bundled checkpoints, generated manifests and thousands of seeded mutations
/// of them, both must give the same ``Manifest`` or the same ``FormatError``.
final class ManifestDecoderTests: XCTestCase {
    private let file = "manifest.json"

    // MARK: Differential harness

    /// What `Manifest(parsing:)` (direct, falling back) and the generic path make of `bytes`;
    /// also checks that whatever the direct decoder accepts alone is the generic decoding.
    /// Returns whether the direct decoder handled the bytes itself.
    @discardableResult
    private func assertSameResult(_ bytes: [UInt8], _ label: String, line: UInt = #line) -> Bool {
        let direct = Result { () throws(FormatError) in try Manifest(parsing: bytes, file: file) }
        let generic = bytes.withUnsafeBytes { raw in
            Result { () throws(FormatError) in try Manifest(genericParsing: raw, file: file) }
        }
        switch (direct, generic) {
        case let (.success(a), .success(b)):
            XCTAssertEqual(a, b, label, line: line)
            XCTAssertEqual(a.canonicalBytes, b.canonicalBytes, label, line: line)
        case let (.failure(a), .failure(b)):
            XCTAssertEqual(a, b, label, line: line)
        case let (.success(a), .failure(b)):
            XCTFail("\(label): direct accepted (\(a.tensors.count) tensors), generic refused: \(b)", line: line)
        case let (.failure(a), .success):
            XCTFail("\(label): direct refused, generic accepted: \(a)", line: line)
        }
        // Unvalidated: the direct decoding alone must equal the generic tree decoding.
        let alone = bytes.withUnsafeBytes { ManifestDecoder.decode($0) }
        if let alone {
            do {
                let tree = try JSONValue(parsing: bytes)
                XCTAssertEqual(alone, try Manifest(json: tree, file: file), label, line: line)
            } catch {
                XCTFail("\(label): the direct decoder accepted what the generic decoding refuses: \(error)", line: line)
            }
        }
        return alone != nil
    }

    private func goldenManifests() throws -> [(String, [UInt8])] {
        let golden = repositoryRoot + "/spec/golden"
        var found: [(String, [UInt8])] = []
        for name in ["tiny-f32", "mixed", "lineage", "future-minor", "source-order"] {
            found.append((name, try readBytes("\(golden)/\(name)/manifest.json")))
        }
        for name in listing(golden + "/noncanonical") {
            found.append(("noncanonical/" + name, try readBytes("\(golden)/noncanonical/\(name)")))
        }
        for name in listing(golden + "/bad") where FileSystem.kind(of: "\(golden)/bad/\(name)") == .directory {
            found.append(("bad/" + name, try readBytes("\(golden)/bad/\(name)/manifest.json")))
        }
        for name in listing(repositoryRoot + "/zoo/checkpoints") {
            let path = "\(repositoryRoot)/zoo/checkpoints/\(name)/manifest.json"
            if FileSystem.kind(of: path) == .regular { found.append(("zoo/" + name, try readBytes(path))) }
        }
        return found
    }

    /// A valid canonical manifest of `count` MoE-style tensors over two shards, with extras.
    private func generated(count: Int) -> [UInt8] {
        var tensors: [TensorEntry] = []
        var offsets = [0, 0]
        for i in 0..<count {
            let shard = i < count / 2 ? 0 : 1
            let shape = i % 5 == 0 ? [] : [(i % 7) + 1, 4]
            let dtype: DType = [.f32, .bf16, .u8, .i64][i % 4]
            let length = dtype.byteCount(elementCount: Shape.elementCount(shape) ?? 0) ?? 0
            let offset = Manifest.alignUp(offsets[shard])
            var entry = TensorEntry(name: "model.layers.\(i / 8).block_sparse_moe.experts.\(i % 8).w1.weight",
                                    dtype: dtype, shape: shape, shard: shard, offset: offset, length: length,
                                    digest: fakeDigest(i % 2 == 0 ? "a" : "3"))
            if i == 3 { entry.extraMembers = ["x-quant": ["bits": 4, "scale": 0.5]] }
            tensors.append(entry)
            offsets[shard] = offset + length
        }
        var manifest = Manifest(
            name: "moe-\(count)", architecture: Architecture(family: .autoregressive, type: "mixtral",
                                                           config: ["hidden": 64, "rope": 1.5e6, "act": "silu"]),
            tensors: tensors,
            shards: [FileEntry(path: "shards/00000.bin", length: offsets[0], digest: fakeDigest("b")),
                     FileEntry(path: "shards/00001.bin", length: offsets[1], digest: fakeDigest("c"))],
            assets: [FileEntry(path: "assets/config.json", length: 2, digest: fakeDigest("d"))],
            metadata: ["safetensors.metadata": ["format": "pt"], "n": -3],
            lineage: Lineage(parent: fakeDigest("e"), recipe: ["kind": "finetune", "steps": 10]))
        manifest.architecture.parameterCount = tensors.reduce(0) { $0 + $1.elementCount }
        manifest.formatVersion = Manifest.currentVersion
        manifest.sourceOrder = Array((0..<count).reversed())
        return manifest.canonicalBytes
    }

    // MARK: Tests

    func testDecode_GoldenAndBundledManifests_SameResultBothWays() throws {
        var direct = 0
        let manifests = try goldenManifests()
        XCTAssertGreaterThanOrEqual(manifests.count, 30)
        for (label, bytes) in manifests where assertSameResult(bytes, label) { direct += 1 }
        // Every canonical good vector takes the direct path (mixed has escapes and non-ASCII names: it may not).
        for name in ["tiny-f32", "lineage", "future-minor", "source-order", "zoo/glyphs-mlp"] {
            let bytes = try XCTUnwrap(manifests.first { $0.0 == name }?.1, name)
            XCTAssertNotNil(bytes.withUnsafeBytes { ManifestDecoder.decode($0) }, "\(name) falls back to the generic path")
        }
        XCTAssertGreaterThan(direct, 10)
    }

    func testDecode_GeneratedManifest_IsDecodedDirectlyAndEqual() throws {
        let bytes = generated(count: 200)
        XCTAssertTrue(assertSameResult(bytes, "generated"), "the direct decoder handles a canonical manifest")
        let manifest = try Manifest(parsing: bytes, file: file)
        XCTAssertEqual(manifest.tensors.count, 200)
        XCTAssertEqual(manifest.tensors[3].extraMembers, ["x-quant": ["bits": 4, "scale": 0.5]])
        XCTAssertEqual(manifest.sourceOrder?.first, 199)
        XCTAssertEqual(manifest.canonicalBytes, bytes)
    }

    func testDecode_SeededMutations_SameResultBothWays() throws {
        var generator = SplitMix64(seed: 0x5eed_0009)
        let pieces: [[UInt8]] = [",", "\"", "\\", "-", "0", "01", ".5", "e3", "E+2", " ", "\n", "\u{e9}", "{}", "[]", "null",
                                 "true", "1e21", "1000000000000000000000", "9007199254740992", "\\u0041", "\\ud800",
                                 "+1", "\u{0}", "}", "]", ":", "\"x\":1,"].map { Array($0.utf8) }
        var bases = try goldenManifests().filter { !$0.0.hasPrefix("bad/") }.map(\.1)
        bases.append(generated(count: 12))
        var mutations = 0
        var accepted = 0
        for base in bases {
            for round in 0..<220 {
                var bytes = base
                for _ in 0..<(1 + round % 3) {
                    let at = Int.random(in: 0...bytes.count, using: &generator)
                    switch round % 5 {
                    case 0 where at < bytes.count: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                    case 1: bytes.removeSubrange(at...)
                    case 2 where at < bytes.count: bytes.remove(at: at)
                    default: bytes.insert(contentsOf: pieces.randomElement(using: &generator)!, at: at)
                    }
                }
                mutations += 1
                assertSameResult(bytes, "base \(base.count) bytes, round \(round)")
                if (try? Manifest(parsing: bytes, file: file)) != nil { accepted += 1 }
            }
        }
        XCTAssertGreaterThan(mutations, 2_000)
        XCTAssertGreaterThan(accepted, 0, "some mutations (white space, digest digits) stay valid")
    }

    func testDecode_NumberFormsAndWhitespace_SameResultBothWays() throws {
        let canonical = String(decoding: generated(count: 3), as: UTF8.self)
        let length = #""length":16"#
        XCTAssertTrue(canonical.contains(length))
        let variants = [
            length: [#""length":16.0"#, #""length":1.6e1"#, #""length":016"#, #""length":+16"#, #""length":-16"#,
                     #""length": 16 "#, #""length":1e21"#, #""length":1000000000000000000000"#, #""length":"16""#],
            #""shard":0"#: [#""shard":-0"#, #""shard":0.0"#, #""shard":00"#, #""shard":0, "shard" :0"#, #""shard":0,"x-y":[1]"#,
                            #""shard":0,"shard":0"#, #""shard":0,"sh\u0061rd":0"#],
            #""dtype":"F32""#: [#""dtype":"F\u0033\u0032""#, #""dtype":"F32 ""#, #""dtype":"Q4_K""#],
            #""name":"moe-3""#: [#""name":"moe\u002d3""#, #""name":"mo\u{e9}-3""#, #""name":"moe-3","name":"x""#],
            #""steps":10"#: [#""steps":1000000000000000000000"#, #""steps":1e21"#, #""steps":1e20"#, #""steps":-0"#],
            #""recipe":{"#: [#""recipe":[],"x":{"#, #""recipe":"x","x":{"#, #""recipe":null,"x":{"#, #""recipe":1,"x":{"#],
        ]
        for (original, replacements) in variants {
            XCTAssertTrue(canonical.contains(original), original)
            for replacement in replacements {
                let text = canonical.replacingOccurrences(of: original, with: replacement)
                assertSameResult(Array(text.utf8), replacement)
            }
        }
        let pretty = canonical.replacingOccurrences(of: ",", with: " ,\n\t").replacingOccurrences(of: "\":", with: "\" : ")
        XCTAssertTrue(assertSameResult(Array(pretty.utf8), "pretty"), "white space stays on the direct path")
    }

    // MARK: Issue 9: strictness, identical in both decoders

    func testDecode_IntegerTokenOf10To21_IsIntegerOutOfRange() {
        let text = String(decoding: generated(count: 3), as: UTF8.self)
            .replacingOccurrences(of: #""steps":10"#, with: #""steps":1000000000000000000000"#)
        XCTAssertThrowsFormatReason(try Manifest(parsing: Array(text.utf8), file: file),
                                    .integerOutOfRange("manifest.lineage.recipe.steps"))
        let huge = String(decoding: generated(count: 3), as: UTF8.self)
            .replacingOccurrences(of: #""steps":10"#, with: "\"steps\":-" + String(repeating: "9", count: 400))
        XCTAssertThrowsFormatReason(try Manifest(parsing: Array(huge.utf8), file: file),
                                    .integerOutOfRange("manifest.lineage.recipe.steps"))
        // The same value as a number (not an integer token) is a valid double.
        let double = String(decoding: generated(count: 3), as: UTF8.self)
            .replacingOccurrences(of: #""steps":10"#, with: #""steps":1e21"#)
        XCTAssertEqual(try Manifest(parsing: Array(double.utf8), file: file).lineage?.recipe?["steps"], .number(1e21))
    }

    func testDecode_RecipeNotAnObjectOrNull_IsRefused() throws {
        for recipe in [#"[]"#, #""x""#, "1", "true"] {
            let text = String(decoding: generated(count: 3), as: UTF8.self)
                .replacingOccurrences(of: #""recipe":{"kind":"finetune","steps":10}"#, with: #""recipe":"# + recipe)
            XCTAssertThrowsFormatReason(try Manifest(parsing: Array(text.utf8), file: file),
                                        .invalidMember("lineage.recipe", expected: "an object or null"), recipe)
        }
        let null = String(decoding: generated(count: 3), as: UTF8.self)
            .replacingOccurrences(of: #""recipe":{"kind":"finetune","steps":10}"#, with: #""recipe":null"#)
        XCTAssertEqual(try Manifest(parsing: Array(null.utf8), file: file).lineage?.recipe, .null)
    }
}

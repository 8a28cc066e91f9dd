import XCTest
@testable import ZooConverters
import ZooFormat

/// The restricted unpickler on hand-made pickles: what state dicts need works, everything else
/// is refused with the exact opcode or global and its offset, and hostile shapes (huge lengths,
/// deep nesting, self-containing lists, stack abuse) give errors, never crashes.
final class UnpicklerTests: XCTestCase {
    private let member = "archive/data.pkl"

    private func load(_ bytes: [UInt8], limits: Unpickler.Limits = .default) throws -> Unpickler.Result {
        try bytes.withUnsafeBytes { raw in try Unpickler.load(raw, file: "m.pt", member: member, limits: limits) }
    }

    private func loadError(
        _ bytes: [UInt8], limits: Unpickler.Limits = .default, file: StaticString = #filePath, line: UInt = #line
    ) -> PyTorchError? {
        pytorchError(file: file, line: line) { _ = try load(bytes, limits: limits) }
    }

    private func error(at offset: Int, _ reason: PyTorchError.Reason) -> PyTorchError {
        PyTorchError(file: "m.pt", member: member, offset: offset, reason: reason)
    }

    // MARK: What state dicts use

    func testLoad_StateDict_BuildsDictOfTensors() throws {
        let pickle = PickleBuilder.stateDict([("w", [2, 3]), ("b", [3])])
        let result = try load(pickle.bytes)
        guard case let .dict(root) = result.root else { return XCTFail("root is \(result.root)") }
        XCTAssertEqual(result.graph.dicts[root].keys, [.string("w"), .string("b")])
        XCTAssertEqual(result.graph.tensors.map(\.shape), [[2, 3], [3]])
        XCTAssertEqual(result.graph.tensors.map(\.strides), [[3, 1], [1]])
        XCTAssertEqual(result.graph.storages.map(\.key), ["0", "1"])
        XCTAssertEqual(result.graph.storages.map(\.byteCount), [24, 12])
        XCTAssertEqual(result.graph.tensors[0].dtype, .f32)
    }

    func testLoad_Scalars_DecodeLikePython() throws {
        var bad = PickleBuilder()
        bad.op(0x8c, [2, UInt8(ascii: "h"), 0xc3])  // SHORT_BINUNICODE: "h" and half of "é"
        bad.stop()
        XCTAssertEqual(loadError(bad.bytes), error(at: 2, .invalidString))

        var good = PickleBuilder()
        good.mark()
        good.op(0x4a, le(Int32(-5)))
        good.op(0x4d, le(UInt16(65535)))
        good.op(0x8a, [0x01, 0xff])
        good.op(0x8a, [0x05, 0, 0, 0, 0, 0x01])
        good.op(0x8a, [0x00])
        good.op(0x47, Array(le(Double(0.1).bitPattern).reversed()))
        good.op(0x4e)
        good.op(0x8c, [3] + Array("hé".utf8))
        good.op(0x8d, le(UInt64(1)) + [0x41])                // BINUNICODE8 "A"
        good.bool(true)
        good.tuple()
        good.stop()
        let result = try load(good.bytes)
        guard case let .tuple(index) = result.root else { return XCTFail("root is \(result.root)") }
        XCTAssertEqual(result.graph.tuples[index], [
            .int(-5), .int(65535), .int(-1), .int(1 << 32), .int(0), .float(0.1), .none, .string("hé"), .string("A"), .bool(true),
        ])
    }

    func testLoad_Protocol4Opcodes_FrameMemoizeStackGlobal() throws {
        var pickle = PickleBuilder(protocol: 4)
        pickle.op(0x95, le(UInt64(30)))          // FRAME
        pickle.op(0x8c, [11] + Array("collections".utf8))
        pickle.op(0x94)                          // MEMOIZE -> 0
        pickle.op(0x8c, [11] + Array("OrderedDict".utf8))
        pickle.op(0x94)                          // MEMOIZE -> 1
        pickle.op(0x93)                          // STACK_GLOBAL
        pickle.op(0x94)                          // MEMOIZE -> 2
        pickle.emptyTuple()
        pickle.reduce()
        pickle.op(0x94)
        pickle.get(2)
        pickle.emptyTuple()
        pickle.reduce()
        pickle.op(0x86)                          // TUPLE2
        pickle.stop()
        let result = try load(pickle.bytes)
        guard case let .tuple(index) = result.root else { return XCTFail("root is \(result.root)") }
        XCTAssertEqual(result.graph.tuples[index], [.dict(0), .dict(1)])
    }

    func testLoad_ModuleMetadataBuild_IsAcceptedAndIgnored() throws {
        var pickle = PickleBuilder()
        pickle.global("collections", "OrderedDict")
        pickle.put(0)
        pickle.emptyTuple()
        pickle.reduce()
        pickle.emptyDict()
        pickle.string("_metadata")
        pickle.emptyDict()
        pickle.op(0x73)  // SETITEM
        pickle.op(0x62)  // BUILD
        pickle.stop()
        XCTAssertEqual(try load(pickle.bytes).root, .dict(0))
    }

    func testLoad_SharedStorageKey_IsOneStorage() throws {
        var pickle = PickleBuilder()
        pickle.mark()
        pickle.tensor(key: "0", numel: 6, size: [2, 3], stride: [3, 1])
        pickle.tensor(key: "0", numel: 6, offset: 3, size: [3], stride: [1])
        pickle.tuple()
        pickle.stop()
        let result = try load(pickle.bytes)
        XCTAssertEqual(result.graph.storages.count, 1)
        XCTAssertEqual(result.graph.tensors.map(\.storage), [0, 0])
        XCTAssertEqual(result.graph.tensors.map(\.storageOffset), [0, 3])
    }

    // MARK: Refused globals and opcodes

    func testLoad_ForbiddenGlobals_NameTheGlobalAndOffset() {
        for (module, name) in [("os", "system"), ("posix", "system"), ("builtins", "eval"), ("__builtin__", "getattr"),
                               ("subprocess", "Popen"), ("torch", "load"), ("torch._utils", "_rebuild_wrapper_subclass"),
                               ("torch.storage", "_load_from_bytes"), ("builtins", "set"), ("numpy.core.multiarray", "scalar")]
        {
            var pickle = PickleBuilder()
            pickle.string("padding")
            let offset = pickle.offset
            pickle.global(module, name)
            pickle.stop()
            XCTAssertEqual(loadError(pickle.bytes), error(at: offset, .globalNotAllowed("\(module).\(name)")), "\(module).\(name)")
        }
    }

    func testLoad_StackGlobalOfForbiddenName_IsRefusedAtTheStackGlobal() {
        var pickle = PickleBuilder(protocol: 4)
        pickle.op(0x8c, [2] + Array("os".utf8))
        pickle.op(0x8c, [6] + Array("system".utf8))
        let offset = pickle.offset
        pickle.op(0x93)
        pickle.stop()
        XCTAssertEqual(loadError(pickle.bytes), error(at: offset, .globalNotAllowed("os.system")))
    }

    func testLoad_UnsupportedDTypes_AreNamedAsSuch() {
        var pickle = PickleBuilder()
        pickle.global("torch", "ComplexFloatStorage")
        pickle.stop()
        XCTAssertEqual(loadError(pickle.bytes), error(at: 2, .unsupportedDType("torch.ComplexFloatStorage")))
    }

    func testLoad_EveryOtherOpcode_IsRefusedByName() {
        let supported = Set(PickleOpcode.allCases.map(\.rawValue))
        for code in UInt8.min...UInt8.max where !supported.contains(code) {
            let error = loadError([0x80, 0x02, 0x4e, code, 0x2e])
            XCTAssertEqual(error, self.error(at: 3, .unsupportedOpcode(code: code, name: PickleOpcode.name(of: code))))
        }
        XCTAssertEqual(PickleOpcode.name(of: 0x81), "NEWOBJ")
        XCTAssertEqual(PickleOpcode.name(of: 0x69), "INST")
        XCTAssertEqual(PickleOpcode.name(of: 0xff), "unknown")
    }

    func testLoad_ReduceOfNonCallables_IsRefused() {
        var pickle = PickleBuilder()
        pickle.global("torch", "FloatStorage")
        pickle.emptyTuple()
        let offset = pickle.offset
        pickle.reduce()
        pickle.stop()
        XCTAssertEqual(loadError(pickle.bytes), error(at: offset, .wrongType(
            opcode: "REDUCE", expected: "an allow-listed function", found: "torch.FloatStorage")))

        var string = PickleBuilder()
        string.string("os.system")
        string.emptyTuple()
        string.reduce()
        string.stop()
        XCTAssertEqual(loadError(string.bytes), error(at: 17, .wrongType(opcode: "REDUCE", expected: "an allow-listed function", found: "str")))
    }

    func testLoad_RebuildWithWrongArguments_SaysWhich() {
        func rebuild(_ arguments: (inout PickleBuilder) -> Void) -> (bytes: [UInt8], offset: Int) {
            var pickle = PickleBuilder()
            pickle.global("torch._utils", "_rebuild_tensor_v2")
            pickle.mark()
            arguments(&pickle)
            pickle.tuple()
            let offset = pickle.offset
            pickle.reduce()
            pickle.stop()
            return (pickle.bytes, offset)
        }
        let function = "torch._utils._rebuild_tensor_v2"
        let noArguments = rebuild { _ in }
        XCTAssertEqual(loadError(noArguments.bytes), error(at: noArguments.offset, .invalidCall(
            function: function, why: "expected 6 or 7 arguments, got 0")))
        let stringStorage = rebuild { pickle in
            pickle.string("storage")
            for _ in 0..<5 { pickle.int(0) }
        }
        XCTAssertEqual(loadError(stringStorage.bytes), error(at: stringStorage.offset, .invalidCall(
            function: function, why: "argument 1 (storage) is a str, not a storage")))

        var ordered = PickleBuilder()
        ordered.global("collections", "OrderedDict")
        ordered.mark()
        ordered.int(1)
        ordered.tuple()
        let reduce = ordered.offset
        ordered.reduce()
        ordered.stop()
        XCTAssertEqual(loadError(ordered.bytes), error(at: reduce, .invalidCall(
            function: "collections.OrderedDict", why: "expected no arguments, got 1")))
    }

    func testLoad_NegativeSizeOrMismatchedStride_IsRefused() {
        var pickle = PickleBuilder()
        pickle.tensor(key: "0", numel: 4, size: [2, 2], stride: [2])
        pickle.stop()
        XCTAssertEqual(loadError(pickle.bytes)?.reason, .invalidCall(
            function: "torch._utils._rebuild_tensor_v2", why: "size has 2 dimensions, stride 1"))

        var negative = PickleBuilder()
        negative.tensor(key: "0", numel: 4, size: [-1], stride: [1])
        negative.stop()
        XCTAssertEqual(loadError(negative.bytes)?.reason, .invalidCall(
            function: "torch._utils._rebuild_tensor_v2",
            why: "argument 3 (size) holds something other than a non-negative integer"))
    }

    func testLoad_BadPersistentIDs_AreRefused() {
        func persid(_ fields: (inout PickleBuilder) -> Void) -> PyTorchError.Reason? {
            var pickle = PickleBuilder()
            pickle.mark()
            fields(&pickle)
            pickle.tuple()
            pickle.op(0x51)
            pickle.stop()
            return loadError(pickle.bytes)?.reason
        }
        XCTAssertEqual(persid { $0.string("storage") }, .invalidPersistentID(why: "1 fields, not 5"))
        XCTAssertEqual(persid { p in
            p.string("storage"); p.global("torch", "FloatStorage"); p.string("../../etc/passwd"); p.string("cpu"); p.int(1)
        }, .invalidPersistentID(why: "the storage key is not a plain member name"))
        XCTAssertEqual(persid { p in
            p.string("module"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(1)
        }, .invalidPersistentID(why: "the first field is not 'storage'"))
        XCTAssertEqual(persid { p in
            p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu")
            p.op(0x8a, [8] + le(Int64.max))
        }, .invalidPersistentID(why: "numel is not a non-negative integer of a sane size"))
    }

    func testLoad_ConflictingStorageReferences_AreRefused() {
        var pickle = PickleBuilder()
        pickle.mark()
        pickle.tensor(key: "0", numel: 6, size: [6], stride: [1])
        pickle.tensor(storageType: "HalfStorage", key: "0", numel: 6, size: [6], stride: [1])
        pickle.tuple()
        pickle.stop()
        XCTAssertEqual(loadError(pickle.bytes)?.reason, .storageConflict(key: "0"))
    }

    func testLoad_TensorWithNegBit_KeepsTheFlag() throws {
        var pickle = PickleBuilder()
        pickle.global("torch._utils", "_rebuild_tensor_v2")
        pickle.mark()
        pickle.mark()
        pickle.string("storage"); pickle.global("torch", "FloatStorage"); pickle.string("0"); pickle.string("cpu"); pickle.int(2)
        pickle.tuple()
        pickle.op(0x51)
        pickle.int(0); pickle.ints([2]); pickle.ints([1]); pickle.bool(false)
        pickle.global("collections", "OrderedDict"); pickle.emptyTuple(); pickle.reduce()
        pickle.emptyDict(); pickle.string("neg"); pickle.bool(true); pickle.op(0x73)
        pickle.tuple()
        pickle.reduce()
        pickle.stop()
        XCTAssertEqual(try load(pickle.bytes).graph.tensors.first?.flag, "neg")
    }

    // MARK: Structure and bounds

    func testLoad_StackAbuse_IsAnErrorNotACrash() {
        XCTAssertEqual(loadError([0x80, 0x02, 0x2e]), error(at: 2, .stackUnderflow(opcode: "STOP")))
        XCTAssertEqual(loadError([0x80, 0x02, 0x74, 0x2e]), error(at: 2, .missingMark(opcode: "TUPLE")))
        XCTAssertEqual(loadError([0x80, 0x02, 0x4e, 0x28, 0x52, 0x2e]), error(at: 4, .stackUnderflow(opcode: "REDUCE")))
        XCTAssertEqual(loadError([0x80, 0x02, 0x4e, 0x61, 0x2e]), error(at: 3, .stackUnderflow(opcode: "APPEND")))
        XCTAssertEqual(loadError([0x80, 0x02, 0x4e, 0x4e, 0x61, 0x2e]), error(at: 4, .wrongType(opcode: "APPEND", expected: "a list", found: "None")))
        XCTAssertEqual(loadError([0x80, 0x02, 0x5d, 0x4e, 0x4e, 0x73, 0x2e]), error(at: 5, .wrongType(opcode: "SETITEM", expected: "a dict", found: "list")))
        XCTAssertEqual(loadError([0x80, 0x02, 0x7d, 0x28, 0x4e, 0x75, 0x2e]), error(at: 5, .stackUnderflow(opcode: "SETITEMS")))
        XCTAssertEqual(loadError([0x80, 0x02, 0x7d, 0x4e, 0x4e, 0x73, 0x2e]), error(at: 5, .unsupportedKey(found: "None")))
        XCTAssertEqual(loadError([0x80, 0x02, 0x68, 0x07, 0x2e]), error(at: 2, .missingMemo(index: 7)))
        XCTAssertEqual(loadError([0x80, 0x02, 0x71, 0x00, 0x2e]), error(at: 2, .stackUnderflow(opcode: "BINPUT")))
        XCTAssertEqual(loadError([0x80, 0x07, 0x4e, 0x2e]), error(at: 0, .unsupportedProtocol(7)))
        XCTAssertEqual(loadError([0x80, 0x02, 0x4e, 0x7d, 0x62, 0x2e]), error(at: 4, .invalidBuild(found: "None with a dict state")))
    }

    func testLoad_LengthsPastTheEnd_AreTruncationErrors() {
        XCTAssertEqual(loadError([0x80, 0x02, 0x58] + le(UInt32.max) + [0x2e]), error(at: 2, .truncatedPickle))
        XCTAssertEqual(loadError([0x80, 0x02, 0x8d] + le(UInt64.max) + [0x2e]), error(at: 2, .truncatedPickle))
        XCTAssertEqual(loadError([0x80, 0x04, 0x95] + le(UInt64(1) << 40) + [0x4e, 0x2e]), error(at: 2, .truncatedPickle))
        XCTAssertEqual(loadError([0x80, 0x02, 0x8a, 0x09] + [UInt8](repeating: 0, count: 9) + [0x2e]),
                       error(at: 2, .integerTooLarge(byteCount: 9)))
        XCTAssertEqual(loadError([0x80, 0x02, 0x4e]), PyTorchError(file: "m.pt", member: member, offset: 3, reason: .truncatedPickle))
        XCTAssertEqual(loadError([0x80, 0x02, 0x4e, 0x2e, 0x4e]), PyTorchError(
            file: "m.pt", member: member, offset: 4, reason: .bytesAfterStop(count: 1)))
        let longLine = [0x80, 0x02, 0x63] + [UInt8](repeating: UInt8(ascii: "a"), count: 300) + [0x0a, 0x61, 0x0a, 0x2e]
        XCTAssertEqual(loadError(longLine), error(at: 2, .invalidString))
    }

    func testLoad_EveryPrefixOfARealPickle_ThrowsNeverCrashes() {
        let bytes = PickleBuilder.stateDict([("w", [2, 3]), ("b", [3])]).bytes
        for count in 0..<bytes.count {
            XCTAssertNotNil(loadError(Array(bytes.prefix(count))), "prefix \(count)")
        }
    }

    func testValues_ExtremeIntegersAndFloats_AreLeftOutNotTrapped() throws {
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.mark()
        pickle.string("min"); pickle.op(0x8a, [8] + le(Int64.min))
        pickle.string("big"); pickle.op(0x8a, [8] + le(Int64(1) << 53))
        pickle.string("ok"); pickle.op(0x8a, [8] + le(-(Int64(1) << 53) + 1))
        pickle.string("nan"); pickle.op(0x47, Array(le(Double.nan.bitPattern).reversed()))
        pickle.string("long"); pickle.string(String(repeating: "x", count: PyTorchZip.maxRecordedStringBytes + 1))
        pickle.setItems()
        pickle.stop()
        let result = try load(pickle.bytes)
        let walker = PickleWalker(graph: result.graph, file: "m.pt", member: member)
        XCTAssertEqual(walker.values(root: result.root, skipping: []), ["ok": .integer(-(Int64(1) << 53) + 1)])
    }

    private let nestingError = PyTorchError.Reason.limitExceeded(what: "levels of nested containers", limit: 1000)

    func testLoad_DeepTuples_AreRefusedAtTheLevelPastTheBound() throws {
        // ((((...)))) 100,000 deep, one byte per level with TUPLE1: the empty tuple at byte 2 is
        // level 1, the TUPLE1 at byte 2 + k makes level k + 1, so level 1001 is byte 1002.
        let deep: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 100_000) + [0x2e]
        XCTAssertEqual(loadError(deep), error(at: 1002, nestingError))
        // Exactly 1,000 levels load (and walk).
        let bound: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 999) + [0x2e]
        let result = try load(bound)
        XCTAssertEqual(result.graph.tuples.count, 1000)
        XCTAssertEqual(try PickleWalker(graph: result.graph, file: "m.pt", member: member).tensors(under: result.root).count, 0)
    }

    func testLoad_DeepListsAndDicts_AreRefusedAtTheBound() {
        // 100,000 empty lists, then APPENDs folding each into the one below: the 1,000th APPEND
        // makes level 1001.
        let lists: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5d, count: 100_000)
            + [UInt8](repeating: 0x61, count: 99_999) + [0x2e]
        XCTAssertEqual(loadError(lists), error(at: 2 + 100_000 + 999, nestingError))
        // The same with dicts and SETITEM: {0: {0: ...}}, 3 bytes a level (EMPTY_DICT, BININT1 0).
        var dicts: [UInt8] = [0x80, 0x02]
        for _ in 0..<2000 { dicts += [0x7d, 0x4b, 0x00] }
        dicts += [0x4e] + [UInt8](repeating: 0x73, count: 2000) + [0x2e]
        // SETITEM k (from 1) stores a level-(k - 1) value into a dict: level 1001 is the 1,001st.
        XCTAssertEqual(loadError(dicts), error(at: 2 + 6000 + 1 + 1000, nestingError))
        // MARK-based containers too: 1,001 nested MARK ... TUPLE.
        let marks: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x28, count: 1001) + [UInt8](repeating: 0x74, count: 1001) + [0x2e]
        XCTAssertEqual(loadError(marks), error(at: 2 + 1001 + 1000, nestingError))
    }

    func testWalk_900NestedDicts_NameTheTensorByItsFullPath() throws {
        // {"a": {"a": ... {"a": tensor}}}, 900 dicts deep.
        var pickle = PickleBuilder()
        for _ in 0..<900 {
            pickle.emptyDict()
            pickle.string("a")
        }
        pickle.tensor(key: "0", numel: 1, size: [], stride: [])
        for _ in 0..<900 { pickle.op(0x73) }
        pickle.stop()
        let result = try load(pickle.bytes)
        let walker = PickleWalker(graph: result.graph, file: "m.pt", member: member)
        let found = try walker.tensors(under: result.root)
        XCTAssertEqual(found.map(\.name), [Array(repeating: "a", count: 900).joined(separator: ".")])
    }

    func testWalk_ListsFilledAfterNesting_AreBoundedByTheWalk() throws {
        // A = [B], then B (from the memo) gets [C], C gets [D], ...: each list is level 2 when it
        // is filled, so the unpickler's count stays low, but the chain is 1,500 deep.
        var bytes: [UInt8] = [0x80, 0x02, 0x5d, 0x72] + le(UInt32(0))
        for i in 1...1500 {
            if i > 1 { bytes += [0x6a] + le(UInt32(i - 1)) }  // LONG_BINGET the previous list
            bytes += [0x5d, 0x72] + le(UInt32(i)) + [0x61]    // EMPTY_LIST, LONG_BINPUT i, APPEND
        }
        bytes += [0x6a] + le(UInt32(0)) + [0x2e]  // the root is A
        let result = try load(bytes)
        let walker = PickleWalker(graph: result.graph, file: "m.pt", member: member)
        XCTAssertEqual(pytorchError { _ = try walker.tensors(under: result.root) },
                       PyTorchError(file: "m.pt", member: member, reason: nestingError))
        // Values are walked through dicts only, and a deep chain is left out, not an error.
        XCTAssertEqual(walker.values(root: result.root, skipping: []), [:])
    }

    func testSelect_ManyKeysSharingOneBigContainer_EachIsSkippedOnce() throws {
        // {"model": {"w": t}, "k0": L, ..., "k4999": L} with L a 5,000-item list holding the same
        // tensor at its end: every k<i> holds a tensor (one pass finds them all, however many
        // keys share L), and the self-containing list does not loop.
        var pickle = PickleBuilder()
        pickle.emptyDict()
        pickle.string("model")
        pickle.emptyDict()
        pickle.string("w")
        pickle.tensor(key: "0", numel: 1, size: [], stride: [])
        pickle.op(0x72, le(UInt32(0)))  // LONG_BINPUT 0: the tensor
        pickle.op(0x73)                 // model["w"] = t
        pickle.op(0x73)                 // root["model"] = {...}
        pickle.mark()
        pickle.string("k0")
        pickle.op(0x5d)                 // L = [], LONG_BINPUT 1
        pickle.op(0x72, le(UInt32(1)))
        pickle.mark()
        for _ in 0..<5000 { pickle.op(0x4e) }
        pickle.op(0x6a, le(UInt32(0)))  // the tensor
        pickle.op(0x6a, le(UInt32(1)))  // L itself
        pickle.op(0x65)                 // APPENDS
        for i in 1..<5000 {
            pickle.string("k\(i)")
            pickle.op(0x6a, le(UInt32(1)))
        }
        pickle.setItems()
        pickle.stop()
        let result = try load(pickle.bytes)
        let walker = PickleWalker(graph: result.graph, file: "m.pt", member: member)
        let selection = try walker.select(.automatic, root: result.root)
        XCTAssertEqual(selection.key, "model")
        XCTAssertEqual(selection.tensors.map(\.name), ["w"])
        XCTAssertEqual(selection.skipped, (0..<5000).map { "k\($0)" })
    }

    func testLoad_SelfContainingList_WalksOnce() throws {
        let cyclic = try load([0x80, 0x02, 0x5d, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2e])
        XCTAssertEqual(cyclic.graph.lists[0], [.list(0)])
        let walker = PickleWalker(graph: cyclic.graph, file: "m.pt", member: member)
        XCTAssertTrue(try walker.tensors(under: cyclic.root).isEmpty)
    }

    func testLoad_Limits_AreErrorsAtTheOpcodeThatPassesThem() {
        var limits = Unpickler.Limits()
        limits.values = 100
        // BINGET pushes an existing value but still costs a slot: a list of copies counts each.
        var copies: [UInt8] = [0x80, 0x02, 0x4e, 0x71, 0x00, 0x5d]
        for _ in 0..<20 { copies += [0x28] + [UInt8](repeating: 0, count: 10).flatMap { _ in [0x68, 0x00] } + [0x65] }
        copies += [0x2e]
        // None is value 1, the list 2, then batches of 10 gets: value 101 is the 10th batch's last get.
        XCTAssertEqual(loadError(copies, limits: limits), error(at: 6 + 9 * 22 + 1 + 8 * 2, .limitExceeded(what: "pickle values", limit: 100)))

        limits = Unpickler.Limits()
        limits.stackDepth = 10
        XCTAssertEqual(loadError([0x80, 0x02] + [UInt8](repeating: 0x4e, count: 11) + [0x2e], limits: limits),
                       error(at: 12, .limitExceeded(what: "stack entries", limit: 10)))

        limits = Unpickler.Limits()
        limits.memo = 2
        XCTAssertEqual(loadError([0x80, 0x02, 0x4e, 0x71, 0x00, 0x71, 0x01, 0x71, 0x01, 0x71, 0x02, 0x2e], limits: limits),
                       error(at: 9, .limitExceeded(what: "memo entries", limit: 2)))

        limits = Unpickler.Limits()
        limits.marks = 3
        XCTAssertEqual(loadError([0x80, 0x02, 0x28, 0x28, 0x28, 0x28, 0x2e], limits: limits),
                       error(at: 5, .limitExceeded(what: "open MARKs", limit: 3)))
    }
}

import TrainingCore
import XCTest
import ZooFormat
import ZooLoaders

final class CheckpointDiffTests: LoaderTestCase {
    func testDiff_AddedRemovedChangedUnchanged_Exact() throws {
        let before = try writeCheckpoint([
            RawTensor("same", [4]), RawTensor("w", [2], floats: [1, 2]), RawTensor("gone", [3]),
            RawTensor("half", .f16, [2], bytes: Self.bytes([UInt16(0x3C00), 0xC000])),
            RawTensor("grow", [2]), RawTensor("ids", .i32, [2], bytes: Self.bytes([Int32(1), 2])),
        ])
        let after = try writeCheckpoint([
            RawTensor("same", [4]), RawTensor("w", [2], floats: [1, 2.5]),
            RawTensor("half", [2], floats: [1, -2.25]), RawTensor("grow", [3]),
            RawTensor("ids", .i32, [2], bytes: Self.bytes([Int32(1), 3])), RawTensor("new", [1]),
        ])
        let diff = try CheckpointDiff(from: before, to: after)
        XCTAssertEqual(diff.added.map(\.name), ["new"])
        XCTAssertEqual(diff.removed.map(\.name), ["gone"])
        XCTAssertEqual(diff.unchanged, ["same"])
        XCTAssertEqual(diff.unchangedByteCount, 16)
        XCTAssertEqual(diff.changed.map(\.name), ["w", "half", "grow", "ids"])
        XCTAssertEqual(diff.changed.map(\.maxAbsDifference), [0.5, 0.25, nil, nil])
        XCTAssertEqual(diff.changed.map(\.isValueChange), [true, false, false, true])
        XCTAssertFalse(diff.isEmpty)
    }

    func testDiff_NaNAgainstNumber_FlaggedNotANumberDifference() throws {
        let before = try writeCheckpoint([RawTensor("x", [3], floats: [.nan, .infinity, 1])])
        let same = try writeCheckpoint([RawTensor("x", [3], floats: [.nan, .infinity, 1.5])])
        let differ = try writeCheckpoint([RawTensor("x", [3], floats: [0, .infinity, 1])])
        let first = try CheckpointDiff(from: before, to: same).changed[0]
        XCTAssertEqual(first.maxAbsDifference, 0.5)
        XCTAssertFalse(first.hasNonFiniteDifference)
        let second = try CheckpointDiff(from: before, to: differ).changed[0]
        XCTAssertNil(second.maxAbsDifference)
        XCTAssertTrue(second.hasNonFiniteDifference)
    }

    func testDiff_SameCheckpoint_Empty() throws {
        let checkpoint = try save(MLPClassifier(inputSize: 4, hiddenSizes: [3], classCount: 2, seed: 1))
        let diff = try CheckpointDiff(from: checkpoint, to: checkpoint)
        XCTAssertTrue(diff.isEmpty)
        XCTAssertEqual(diff.unchangedCount, 4)
        XCTAssertEqual(diff.unchangedByteCount, (12 + 3 + 6 + 2) * 4)
    }
}

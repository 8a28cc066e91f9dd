import TrainingCore
import XCTest

/// TrainingCore's borrowed tensors, as the loader uses them for zero-copy loading.
final class BorrowedTensorTests: XCTestCase {
    /// Memory that outlives the tensors reading it.
    private final class Owner: @unchecked Sendable {
        let storage: UnsafeMutableBufferPointer<Float>
        init(_ values: [Float]) {
            storage = .allocate(capacity: values.count)
            _ = storage.initialize(from: values)
        }
        deinit { storage.deallocate() }
        var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(storage) }
    }

    func testBorrowed_ReadsInPlaceEqualToOwned() throws {
        let owner = Owner([1, 2, 3, 4, 5, 6])
        let tensor = try Tensor(shape: [2, 3], borrowing: owner.buffer, owner: owner)
        XCTAssertTrue(tensor.isBorrowed)
        XCTAssertEqual(tensor, Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(tensor[1, 2], 6)
        XCTAssertEqual(tensor.count, 6)
        XCTAssertEqual(tensor.withUnsafeBufferPointer { $0.baseAddress }, owner.buffer.baseAddress)
        let reshaped = tensor.reshaped([3, 2])
        XCTAssertTrue(reshaped.isBorrowed)
        XCTAssertEqual(reshaped.withUnsafeBufferPointer { $0.baseAddress }, owner.buffer.baseAddress)
    }

    func testBorrowed_MutationCopiesAndNeverWritesTheMemory() throws {
        let owner = Owner([1, 2, 3])
        var tensor = try Tensor(shape: [3], borrowing: owner.buffer, owner: owner)
        let copy = tensor
        tensor[1] = 20
        XCTAssertFalse(tensor.isBorrowed)
        XCTAssertEqual(tensor.scalars, [1, 20, 3])
        XCTAssertEqual(Array(owner.buffer), [1, 2, 3])
        XCTAssertTrue(copy.isBorrowed)
        XCTAssertEqual(copy.scalars, [1, 2, 3])
    }

    func testBorrowed_KeepsItsOwnerAlive() throws {
        weak var weakOwner: Owner?
        var tensor: Tensor?
        do {
            let owner = Owner([7, 8])
            weakOwner = owner
            tensor = try Tensor(shape: [2], borrowing: owner.buffer, owner: owner)
        }
        XCTAssertNotNil(weakOwner)
        XCTAssertEqual(tensor?.scalars, [7, 8])
        tensor = nil
        XCTAssertNil(weakOwner)
    }

    func testBorrowed_WrongCount_Throws() {
        let owner = Owner([1, 2, 3])
        XCTAssertThrowsError(try Tensor(shape: [2, 2], borrowing: owner.buffer, owner: owner)) {
            XCTAssertEqual($0 as? TensorError, TensorError(reason: .scalarCountMismatch(shape: [2, 2], expected: 4, actual: 3)))
        }
    }

    func testBorrowed_NaNNeverEqual() throws {
        let owner = Owner([.nan])
        let tensor = try Tensor(shape: [1], borrowing: owner.buffer, owner: owner)
        XCTAssertNotEqual(tensor, Tensor(shape: [1], scalars: [.nan]))
    }
}

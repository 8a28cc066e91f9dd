import ZooFormat

extension ZipArchive {
    /// Checks that a zip whose members are decoded by a streaming reader (an `.npz`) means the
    /// same thing to every reader: beyond what ``init(_:file:)`` checks, each member is stored
    /// or deflated; its local header agrees with the central directory on method, encryption,
    /// data-descriptor flag and CRC-32; and the members tile the file from byte 0 to the central
    /// directory, with nothing between them but their data descriptors (whose CRC must agree).
    /// A member the directory does not list, or a directory that lost entries, leaves bytes
    /// that belong to no member and is refused.
    func checkStrictLayout() throws(PyTorchError) {
        let ordered = members.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        var expectedStart = 0
        for (position, member) in ordered.enumerated() {
            guard member.localHeaderOffset == expectedStart else {
                throw PyTorchError(file: file, offset: expectedStart, reason: .bytesOutsideMembers(
                    count: member.localHeaderOffset - expectedStart))
            }
            guard member.method == 0 || member.method == 8 else {
                throw PyTorchError(file: file, offset: member.localHeaderOffset,
                                   reason: .unsupportedCompression(member.name, method: member.method))
            }
            try checkLocalHeader(of: member)
            let next = position + 1 < ordered.count ? ordered[position + 1].localHeaderOffset : centralDirectoryOffset
            expectedStart = try endOfDescriptor(of: member, before: next)
        }
        guard expectedStart == centralDirectoryOffset else {
            throw PyTorchError(file: file, offset: expectedStart, reason: .bytesOutsideMembers(
                count: centralDirectoryOffset - expectedStart))
        }
    }

    /// The local header's method, flags and (without a data descriptor) CRC against the directory's.
    private func checkLocalHeader(of member: ZipMember) throws(PyTorchError) {
        // Bounds were checked when the directory was read: 30 bytes are there.
        let base = member.localHeaderOffset
        let flags = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 6, as: UInt16.self))
        let method = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 8, as: UInt16.self))
        let crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 14, as: UInt32.self))
        func mismatch(_ field: String) -> PyTorchError {
            PyTorchError(file: file, offset: base, reason: .localFieldMismatch(member.name, field: field))
        }
        guard flags & Self.encryptionFlags == 0 else {
            throw PyTorchError(file: file, offset: base, reason: .encryptedMember(member.name))
        }
        guard method == member.method else { throw mismatch("compression method") }
        guard flags & Self.dataDescriptorFlag == member.flags & Self.dataDescriptorFlag else { throw mismatch("data descriptor flag") }
        if flags & Self.dataDescriptorFlag == 0, crc != member.crc32 { throw mismatch("CRC-32") }
    }

    /// Where the member's data descriptor (if it has one) ends; `next` is where the next record starts.
    private func endOfDescriptor(of member: ZipMember, before next: Int) throws(PyTorchError) -> Int {
        let end = member.dataEnd
        guard member.flags & Self.dataDescriptorFlag != 0 else { return end }
        // CRC, then 4- or 8-byte sizes, with or without the optional signature: 12, 16, 20 or 24 bytes.
        let gap = next - end
        guard [12, 16, 20, 24].contains(gap) else {
            throw PyTorchError(file: file, offset: end, reason: .localFieldMismatch(member.name, field: "data descriptor"))
        }
        let signed = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: end, as: UInt32.self)) == Self.dataDescriptorSignature
        let crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: end + (signed ? 4 : 0), as: UInt32.self))
        guard signed == (gap == 16 || gap == 24), crc == member.crc32 else {
            throw PyTorchError(file: file, offset: end, reason: .localFieldMismatch(member.name, field: "data descriptor"))
        }
        return next
    }

    static let dataDescriptorSignature: UInt32 = 0x0807_4b50
}

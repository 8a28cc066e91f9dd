/// The pickle opcodes the restricted ``Unpickler`` implements: exactly those `torch.save`
/// writes for state dicts (protocol 2, its default, and protocols 3 to 5 when asked for with
/// `pickle_protocol=`). Raw values are the opcode bytes.
enum PickleOpcode: UInt8, CaseIterable {
    case mark = 0x28                // (
    case emptyTuple = 0x29          // )
    case stop = 0x2e                // .
    case binFloat = 0x47            // G: 8-byte big-endian double
    case binInt = 0x4a              // J: 4-byte signed
    case binInt1 = 0x4b             // K: 1-byte unsigned
    case binInt2 = 0x4d             // M: 2-byte unsigned
    case none = 0x4e                // N
    case binPersID = 0x51           // Q
    case reduce = 0x52              // R
    case binUnicode = 0x58          // X: 4-byte length
    case emptyList = 0x5d           // ]
    case append = 0x61              // a
    case build = 0x62               // b
    case global = 0x63              // c: "module\nname\n"
    case appends = 0x65             // e
    case binGet = 0x68              // h: 1-byte memo index
    case longBinGet = 0x6a          // j: 4-byte memo index
    case binPut = 0x71              // q
    case longBinPut = 0x72          // r
    case setItem = 0x73             // s
    case tuple = 0x74               // t
    case setItems = 0x75            // u
    case emptyDict = 0x7d           // }
    case proto = 0x80
    case tuple1 = 0x85
    case tuple2 = 0x86
    case tuple3 = 0x87
    case newTrue = 0x88
    case newFalse = 0x89
    case long1 = 0x8a               // 1-byte length, little-endian two's complement
    case shortBinUnicode = 0x8c     // 1-byte length
    case binUnicode8 = 0x8d         // 8-byte length
    case stackGlobal = 0x93
    case memoize = 0x94
    case frame = 0x95               // 8-byte frame length (ignored)

    /// The opcode's name as `pickletools` spells it.
    var name: String { Self.name(of: rawValue) }

    /// The `pickletools` name of any opcode byte, so that a refused one is named in the error.
    static func name(of code: UInt8) -> String {
        allNames[code] ?? "unknown"
    }

    private static let allNames: [UInt8: String] = [
        0x28: "MARK", 0x29: "EMPTY_TUPLE", 0x2e: "STOP", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP",
        0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x46: "FLOAT", 0x47: "BINFLOAT", 0x49: "INT", 0x4a: "BININT",
        0x4b: "BININT1", 0x4c: "LONG", 0x4d: "BININT2", 0x4e: "NONE", 0x50: "PERSID", 0x51: "BINPERSID",
        0x52: "REDUCE", 0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING", 0x56: "UNICODE",
        0x58: "BINUNICODE", 0x5d: "EMPTY_LIST", 0x61: "APPEND", 0x62: "BUILD", 0x63: "GLOBAL", 0x64: "DICT",
        0x65: "APPENDS", 0x67: "GET", 0x68: "BINGET", 0x69: "INST", 0x6a: "LONG_BINGET", 0x6c: "LIST",
        0x6f: "OBJ", 0x70: "PUT", 0x71: "BINPUT", 0x72: "LONG_BINPUT", 0x73: "SETITEM", 0x74: "TUPLE",
        0x75: "SETITEMS", 0x7d: "EMPTY_DICT", 0x80: "PROTO", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2",
        0x84: "EXT4", 0x85: "TUPLE1", 0x86: "TUPLE2", 0x87: "TUPLE3", 0x88: "NEWTRUE", 0x89: "NEWFALSE",
        0x8a: "LONG1", 0x8b: "LONG4", 0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8", 0x8e: "BINBYTES8",
        0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x92: "NEWOBJ_EX", 0x93: "STACK_GLOBAL",
        0x94: "MEMOIZE", 0x95: "FRAME", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]
}

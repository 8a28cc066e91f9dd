/// DSSE v1 (github.com/secure-systems-lab/dsse, protocol.md): what is signed is the
/// pre-authentication encoding of the payload type and the raw payload bytes.
enum DSSE {
    /// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal bytes.
    static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        var out = Array("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8)
        out += payload
        return out
    }
}

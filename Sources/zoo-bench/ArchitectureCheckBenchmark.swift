import ZooFormat

/// `zoo-bench --manifest`'s architecture-check row: ``ArchitectureCheck`` on a 100,009-tensor
/// Mixtral manifest whose config and shapes agree (so the check does all of its work: scheme
/// choice, every expected tensor, parameter counts), timed beside the decode of the same
/// manifest bytes, so that its cost next to opening a checkpoint is visible.
extension ManifestBenchmark {
    /// 3,226 layers of attention, router and 8 experts x 3, norms: 31 tensors a layer.
    static let checkLayers = 3226

    func architectureCheckRow() throws(BenchError) -> (row: Row, fact: String) {
        let folder = scratch + "/mixtral-check"
        let (hidden, width, experts, vocabulary) = (8, 16, 8, 32)
        let config: [String: JSONValue] = [
            "model_type": "mixtral", "num_hidden_layers": .integer(Int64(Self.checkLayers)), "hidden_size": .integer(Int64(hidden)),
            "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": .integer(Int64(width)),
            "num_local_experts": .integer(Int64(experts)), "vocab_size": .integer(Int64(vocabulary)), "tie_word_embeddings": false,
        ]
        var tensors: [(String, [Int])] = [("model.embed_tokens.weight", [vocabulary, hidden])]
        for layer in 0..<Self.checkLayers {
            let l = "model.layers.\(layer)."
            tensors += [(l + "input_layernorm.weight", [hidden]), (l + "self_attn.q_proj.weight", [hidden, hidden]),
                        (l + "self_attn.k_proj.weight", [hidden / 2, hidden]), (l + "self_attn.v_proj.weight", [hidden / 2, hidden]),
                        (l + "self_attn.o_proj.weight", [hidden, hidden]), (l + "post_attention_layernorm.weight", [hidden]),
                        (l + "block_sparse_moe.gate.weight", [experts, hidden])]
            for e in 0..<experts {
                let x = l + "block_sparse_moe.experts.\(e)."
                tensors += [(x + "w1.weight", [width, hidden]), (x + "w2.weight", [hidden, width]), (x + "w3.weight", [width, hidden])]
            }
        }
        tensors += [("model.norm.weight", [hidden]), ("lm_head.weight", [vocabulary, hidden])]

        let manifest: Manifest
        let bytes: [UInt8]
        do {
            let writer = try CheckpointWriter(destination: folder, name: "mixtral-check",
                                              architecture: Architecture(family: .autoregressive, type: "mixtral", config: config))
            let zeros = [UInt8](repeating: 0, count: vocabulary * hidden * 2)
            for (name, shape) in tensors {
                let length = shape.reduce(1, *) * 2
                try zeros.withUnsafeBytes { raw in
                    try writer.addTensor(name: name, dtype: .bf16, shape: shape, bytes: UnsafeRawBufferPointer(rebasing: raw[0..<length]))
                }
            }
            _ = try writer.finish()
            guard let read = try FileSystem.readFile(folder + "/manifest.json", limit: Manifest.maxByteCount) else {
                throw BenchError.zoo("\(folder)/manifest.json is over the manifest size limit")
            }
            bytes = read
            manifest = try Manifest(parsing: bytes, file: "manifest.json")
        } catch let error as BenchError {
            throw error
        } catch {
            throw .zoo("writing the \(tensors.count)-tensor Mixtral manifest: \(error)")
        }
        let report = ArchitectureCheck.run(on: manifest)
        guard report.isChecked, report.findings.isEmpty else {
            throw .mismatch("the architecture check of the Mixtral manifest did not pass cleanly: \(report.verdict)")
        }
        let decode = try time { () throws(BenchError) in
            do { _ = try Manifest(parsing: bytes, file: "manifest.json") } catch { throw .zoo("\(error)") }
        }
        let check = try time { () throws(BenchError) in _ = ArchitectureCheck.run(on: manifest) }
        let row = Row(operation: "architecture check, \(tensors.count)-tensor Mixtral manifest", zoo: .time(check),
                      peerName: "decode same manifest", peer: .time(decode), target: nil)
        return (row, "\(tensors.count) tensors (\(Self.checkLayers) layers x 8 experts, config and shapes consistent), "
            + "manifest \(Figure.byteSize(Double(bytes.count))); \(report.verdict)")
    }
}

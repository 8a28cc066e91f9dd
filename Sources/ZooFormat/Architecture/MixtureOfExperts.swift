/// The sparse MLP of a mixture-of-experts decoder layer (Mixtral; llama.cpp's MoE llama), in
/// place of the dense gated MLP: a router giving each of E experts a score, then E gated MLPs
/// of width I.
///
/// - Hugging Face (`MixtralSparseMoeBlock`): `block_sparse_moe.gate.weight` [E, h] and, per
///   expert e, `block_sparse_moe.experts.e.w1.weight` (gate) and `w3` (up) [I, h], `w2`
///   (down) [h, I].
/// - GGUF (llama.cpp): `ffn_gate_inp.weight` [E, h] and the experts stacked on the outermost
///   dimension: `ffn_gate_exps.weight` / `ffn_up_exps.weight` [E, I, h], `ffn_down_exps.weight`
///   [E, h, I] (zoo order; ggml's `ne` is the reverse, spec/gguf.md §3.2).
extension LayoutBuilder {
    /// The dense gated MLP the experts replace: gate and up [width, hidden], down [hidden, width], no biases.
    mutating func gatedMLP(_ layer: String, _ gate: String, _ up: String, _ down: String, hidden: Int?, width: Int?) {
        linear(layer + gate, rows: width, columns: hidden, bias: nil)
        linear(layer + up, rows: width, columns: hidden, bias: nil)
        linear(layer + down, rows: hidden, columns: width, bias: nil)
    }

    mutating func huggingFaceExperts(_ layer: String, experts: Int, hidden: Int?, width: Int?) {
        let block = layer + "block_sparse_moe."
        add(block + "gate.weight", [experts, hidden])
        for expert in 0..<experts {
            let e = block + "experts.\(expert)."
            add(e + "w1.weight", [width, hidden])
            add(e + "w2.weight", [hidden, width])
            add(e + "w3.weight", [width, hidden])
        }
    }

    mutating func ggufExperts(_ layer: String, experts: Int, hidden: Int?, width: Int?) {
        add(layer + "ffn_gate_inp.weight", [experts, hidden])
        add(layer + "ffn_gate_exps.weight", [experts, width, hidden])
        add(layer + "ffn_up_exps.weight", [experts, width, hidden])
        add(layer + "ffn_down_exps.weight", [experts, hidden, width])
    }
}

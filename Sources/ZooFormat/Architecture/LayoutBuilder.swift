/// Builds a layout's tensor list; `product` multiplies sizes (either `nil` gives `nil`).
struct LayoutBuilder {
    private(set) var tensors: [ExpectedTensor] = []

    mutating func add(_ name: String, _ shape: [Int?], _ role: ExpectedTensor.Role = .required) {
        tensors.append(ExpectedTensor(name, shape, role))
    }

    /// A `.weight` [rows, columns] and, when `bias` is given, a `.bias` [rows].
    mutating func linear(_ name: String, rows: Int?, columns: Int?, bias: ExpectedTensor.Role? = .required,
                         _ role: ExpectedTensor.Role = .required)
    {
        add(name + ".weight", [rows, columns], role)
        if let bias { add(name + ".bias", [rows], bias) }
    }

    /// A norm's `.weight` [size] and, when `bias` is given, `.bias` [size].
    mutating func norm(_ name: String, _ size: Int?, bias: Bool = true, _ role: ExpectedTensor.Role = .required) {
        add(name + ".weight", [size], role)
        if bias { add(name + ".bias", [size], role) }
    }

    static func product(_ a: Int?, _ b: Int?) -> Int? {
        guard let a, let b else { return nil }
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }
}

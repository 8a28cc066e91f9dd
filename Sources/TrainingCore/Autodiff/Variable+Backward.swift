extension Variable {
    /// Computes the gradient of this variable with respect to every leaf that requires one and
    /// adds it to the leaves' gradients.
    ///
    /// - Parameter seed: the gradient of the final objective with respect to this variable; `nil`
    ///   means 1 and requires a one-element variable (a loss).
    public func backward(seed: Tensor? = nil) {
        guard requiresGrad else { return }
        let start = seed ?? {
            precondition(value.count == 1, "backward() without a seed needs a scalar, got shape \(shape)")
            return Tensor(shape: shape, repeating: 1)
        }()
        precondition(start.shape == shape, "seed shape \(start.shape) differs from \(shape)")

        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): start]
        for variable in topologicallySorted().reversed() {
            guard let gradient = pending.removeValue(forKey: ObjectIdentifier(variable)) else { continue }
            guard let node = variable.node else {
                variable.accumulateLeaf(gradient)
                continue
            }
            let inputGradients = node.backward(gradient)
            for (input, inputGradient) in zip(node.inputs, inputGradients) {
                guard input.requiresGrad, let inputGradient else { continue }
                let key = ObjectIdentifier(input)
                if var existing = pending.removeValue(forKey: key) {
                    existing.add(inputGradient)
                    pending[key] = existing
                } else {
                    pending[key] = inputGradient
                }
            }
        }
    }

    /// The variables that lead to this one and need a gradient, inputs before the results that use them.
    private func topologicallySorted() -> [Variable] {
        var order: [Variable] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(self)]
        // Depth-first without recursion: (variable, index of the next input to visit).
        var stack: [(Variable, Int)] = [(self, 0)]
        while let (variable, next) = stack.popLast() {
            let inputs = variable.node?.inputs ?? []
            if next < inputs.count {
                stack.append((variable, next + 1))
                let input = inputs[next]
                if input.requiresGrad, visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(variable)
            }
        }
        return order
    }

    private func accumulateLeaf(_ gradient: Tensor) {
        if let parameter {
            parameter.accumulateGradient(gradient)
        } else if grad == nil {
            grad = gradient
        } else {
            grad?.add(gradient)
        }
    }
}

import TrainingCore

/// Synthetic 16x16 "glyph" images, drawn procedurally from the strokes of a seven-segment display.
///
/// Every glyph is a set of segments (top, middle, bottom bars; upper and lower left and right
/// verticals) rendered with anti-aliased strokes of random thickness and brightness, then moved
/// (±2 px), scaled (±15 %), slanted, its segment ends jittered, a stray stroke added now and
/// then, and Gaussian pixel noise on top. Raw pixels of two drawings of one glyph hardly
/// overlap; what identifies a glyph is which strokes it has.
///
/// The SOURCE task is the ten digits, with plenty of examples: a network learns stroke detectors
/// in its lower layers. The TARGET task has five new classes, letters made of the same strokes in
/// new combinations, with only a few labelled examples each: the stroke detectors transfer, the
/// class boundaries do not.
struct GlyphTask: Sendable {
    /// One of the seven strokes, as a segment in a unit box (x right, y down).
    struct Stroke: Sendable {
        let from: SIMD2<Float>
        let to: SIMD2<Float>
    }

    static let top = Stroke(from: [0, 0], to: [1, 0])
    static let middle = Stroke(from: [0, 0.5], to: [1, 0.5])
    static let bottom = Stroke(from: [0, 1], to: [1, 1])
    static let upperLeft = Stroke(from: [0, 0], to: [0, 0.5])
    static let lowerLeft = Stroke(from: [0, 0.5], to: [0, 1])
    static let upperRight = Stroke(from: [1, 0], to: [1, 0.5])
    static let lowerRight = Stroke(from: [1, 0.5], to: [1, 1])

    /// The image side in pixels.
    static let side = 16
    static var pixelCount: Int { side * side }

    let name: String
    let labels: [String]
    let glyphs: [[Stroke]]

    /// The ten seven-segment digits.
    static let digits = GlyphTask(
        name: "glyphs-digits", labels: (0...9).map(String.init),
        glyphs: [
            [top, upperLeft, upperRight, lowerLeft, lowerRight, bottom],  // 0
            [upperRight, lowerRight],  // 1
            [top, upperRight, middle, lowerLeft, bottom],  // 2
            [top, upperRight, middle, lowerRight, bottom],  // 3
            [upperLeft, upperRight, middle, lowerRight],  // 4
            [top, upperLeft, middle, lowerRight, bottom],  // 5
            [top, upperLeft, middle, lowerLeft, lowerRight, bottom],  // 6
            [top, upperRight, lowerRight],  // 7
            [top, upperLeft, upperRight, middle, lowerLeft, lowerRight, bottom],  // 8
            [top, upperLeft, upperRight, middle, lowerRight, bottom],  // 9
        ])

    /// Five letters drawn with the same strokes, none of them a digit.
    static let letters = GlyphTask(
        name: "glyphs-letters", labels: ["A", "C", "E", "H", "L"],
        glyphs: [
            [top, upperLeft, upperRight, middle, lowerLeft, lowerRight],  // A
            [top, upperLeft, lowerLeft, bottom],  // C
            [top, upperLeft, middle, lowerLeft, bottom],  // E
            [upperLeft, upperRight, middle, lowerLeft, lowerRight],  // H
            [upperLeft, lowerLeft, bottom],  // L
        ])

    var classCount: Int { glyphs.count }

    /// `perClass` drawings of every class, classes interleaved (0, 1, ..., 0, 1, ...), as
    /// `[count, 256]` pixels and labels; the same seed always gives the same images.
    func sample(perClass: Int, seed: UInt64) -> (images: Tensor, labels: [Int]) {
        var generator = SeededGenerator(seed: seed)
        var pixels: [Float] = []
        pixels.reserveCapacity(perClass * classCount * Self.pixelCount)
        var labels: [Int] = []
        for _ in 0..<perClass {
            for label in 0..<classCount {
                pixels += Self.draw(glyphs[label], generator: &generator)
                labels.append(label)
            }
        }
        return (Tensor(shape: [labels.count, Self.pixelCount], scalars: pixels), labels)
    }

    /// One randomly distorted drawing of a glyph.
    static func draw(_ strokes: [Stroke], generator: inout SeededGenerator) -> [Float] {
        func uniform(_ range: ClosedRange<Float>) -> Float {
            range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUniform()
        }
        // The glyph box: 7 x 10 px centred on the canvas, moved, scaled and slanted.
        let scale = uniform(0.85...1.15)
        let size = SIMD2<Float>(7, 10) * scale
        let origin = SIMD2<Float>(Float(side) / 2, Float(side) / 2) - size / 2
            + SIMD2(uniform(-2...2), uniform(-2...2))
        let slant = uniform(-0.25...0.25)
        let thickness = uniform(0.8...1.4)
        func place(_ point: SIMD2<Float>) -> SIMD2<Float> {
            let jittered = point + SIMD2(uniform(-0.06...0.06), uniform(-0.06...0.06))
            let p = origin + jittered * size
            return SIMD2(p.x + slant * (p.y - Float(side) / 2), p.y)
        }
        var segments: [(SIMD2<Float>, SIMD2<Float>, Float)] = strokes.map { (place($0.from), place($0.to), uniform(0.7...1)) }
        // A stray short stroke in about one drawing out of three.
        if generator.nextUniform() < 0.3 {
            let start = SIMD2(uniform(0...Float(side)), uniform(0...Float(side)))
            let end = start + SIMD2(uniform(-4...4), uniform(-4...4))
            segments.append((start, end, uniform(0.3...0.7)))
        }
        var image = [Float](repeating: 0, count: pixelCount)
        for y in 0..<side {
            for x in 0..<side {
                let p = SIMD2(Float(x) + 0.5, Float(y) + 0.5)
                var value: Float = 0
                for (a, b, brightness) in segments {
                    let coverage = min(max(thickness - distance(p, a, b), 0), 1)
                    value = max(value, coverage * brightness)
                }
                image[y * side + x] = value + 0.15 * generator.nextNormal()
            }
        }
        return image
    }

    /// The distance from `p` to the segment `a`-`b`.
    static func distance(_ p: SIMD2<Float>, _ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float {
        let ab = b - a
        let length2 = (ab * ab).sum()
        let t = length2 > 0 ? min(max(((p - a) * ab).sum() / length2, 0), 1) : 0
        let d = p - (a + t * ab)
        return (d * d).sum().squareRoot()
    }

    /// A picture of one image in text, for the terminal: darker pixels, denser characters.
    static func ascii(_ image: ArraySlice<Float>) -> [String] {
        let ramp = Array(" .:-=+*#%@")
        return (0..<side).map { y in
            String((0..<side).map { x in
                let v = min(max(image[image.startIndex + y * side + x], 0), 0.999)
                return ramp[Int(v * Float(ramp.count))]
            })
        }
    }
}

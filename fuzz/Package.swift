// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for zoo's parsers of outside bytes, one executable per parser.
// A package of its own (see README.md): normal builds of the root package never compile these,
// and `scripts/fuzz.sh` builds them with `-sanitize=fuzzer,address` into `.build-fuzz`.
// Each target's test function (main.swift, handed to libFuzzer's driver) calls the libraries'
// public API and swallows thrown errors: an error is a correct answer; a trap, a sanitizer
// report, a timeout or an out-of-memory is a finding.
let targets = [
    "FuzzSafetensors", "FuzzGGUF", "FuzzNpy", "FuzzNpz", "FuzzPyTorch", "FuzzUnpickler",
    "FuzzManifest", "FuzzArchive", "FuzzCheckpointFolder", "FuzzSignature",
]

let package = Package(
    name: "zoo-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "zoo", path: "..")],
    targets: [
        // libFuzzer's driver entry point, declared for Swift.
        .target(name: "CFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CFuzzer",
                .product(name: "ZooFormat", package: "zoo"),
                .product(name: "ZooConverters", package: "zoo"),
            ]),
    ] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "ZooFormat", package: "zoo"),
                .product(name: "ZooConverters", package: "zoo"),
                .product(name: "ZooSigning", package: "zoo"),
            ])
    }
)

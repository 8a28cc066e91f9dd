// swift-tools-version:6.0
import PackageDescription

// Layers point one way: the CLI and the benchmark on top; converters and the store on the
// format library; the format library on the two system-library shims.
let package = Package(
    name: "zoo",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "zoo", targets: ["zoo"]),
        .library(name: "ZooFormat", targets: ["ZooFormat"]),
        .library(name: "ZooConverters", targets: ["ZooConverters"]),
        .library(name: "ZooStore", targets: ["ZooStore"]),
        .library(name: "ZooRemote", targets: ["ZooRemote"]),
        .library(name: "TrainingCore", targets: ["TrainingCore"]),
        .library(name: "ZooLoaders", targets: ["ZooLoaders"]),
        .library(name: "ZooSigning", targets: ["ZooSigning"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "ZooFormat", dependencies: ["COpenSSL", "CArchive"]),
        // The training core knows nothing of checkpoints or the zoo.
        .target(name: "TrainingCore", dependencies: ["CBLAS"]),
        .target(name: "ZooConverters", dependencies: ["ZooFormat", "CArchive", "COpenSSL"]),
        .target(name: "ZooStore", dependencies: ["ZooFormat"]),
        // OpenSSF Model Signing bundles (ECDSA keys via OpenSSL); knows nothing of the store.
        .target(name: "ZooSigning", dependencies: ["ZooFormat", "COpenSSL"]),
        // Remote verifies signatures itself, mid-pull: after the manifest, before any blob or name.
        .target(name: "ZooRemote", dependencies: ["ZooStore", "ZooFormat", "ZooSigning", "CCurl"]),
        // The bridge from checkpoints to the training core.
        .target(name: "ZooLoaders", dependencies: ["ZooFormat", "TrainingCore"]),
        .executableTarget(
            name: "zoo",
            dependencies: [
                "ZooFormat", "ZooConverters", "ZooStore", "ZooRemote", "ZooLoaders", "TrainingCore", "ZooSigning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "zoo-bench",
            dependencies: ["ZooFormat", "ZooConverters", "ZooStore", "ZooRemote", "ZooLoaders", "TrainingCore"]),
        // Worked examples of transfer learning, run by `make demo`.
        .executableTarget(
            name: "zoo-examples",
            dependencies: [
                "ZooFormat", "ZooConverters", "ZooStore", "ZooLoaders", "TrainingCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "ZooFormatTests", dependencies: ["ZooFormat"]),
        .testTarget(name: "ZooSigningTests", dependencies: ["ZooSigning", "ZooFormat"]),
        .testTarget(name: "ZooConvertersTests", dependencies: ["ZooConverters", "ZooFormat"]),
        .testTarget(name: "ZooStoreTests", dependencies: ["ZooStore", "ZooConverters", "ZooFormat"]),
        .testTarget(name: "ZooCLITests", dependencies: ["ZooFormat"]),
        .testTarget(name: "TrainingCoreTests", dependencies: ["TrainingCore"]),
        .testTarget(name: "ZooRemoteTests", dependencies: ["ZooRemote", "ZooStore", "ZooFormat", "ZooSigning"]),
        .testTarget(name: "ZooLoadersTests", dependencies: ["ZooLoaders", "TrainingCore", "ZooFormat", "ZooConverters", "ZooStore"]),
    ]
)

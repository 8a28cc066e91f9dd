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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .target(name: "ZooFormat", dependencies: ["COpenSSL", "CArchive"]),
        .target(name: "ZooConverters", dependencies: ["ZooFormat"]),
        .target(name: "ZooStore", dependencies: ["ZooFormat"]),
        .executableTarget(
            name: "zoo",
            dependencies: [
                "ZooFormat", "ZooConverters", "ZooStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "zoo-bench", dependencies: ["ZooFormat", "ZooConverters", "ZooStore"]),
        .testTarget(name: "ZooFormatTests", dependencies: ["ZooFormat"]),
        .testTarget(name: "ZooConvertersTests", dependencies: ["ZooConverters", "ZooFormat"]),
        .testTarget(name: "ZooStoreTests", dependencies: ["ZooStore", "ZooConverters", "ZooFormat"]),
        .testTarget(name: "ZooCLITests", dependencies: ["ZooFormat"]),
    ]
)

// swift-tools-version:6.1
import PackageDescription

// libFuzzer harness for the Trailmark wire decoders (`make fuzz` from the repository root).
// Built with `-sanitize=fuzzer,address -parse-as-library`; see FuzzTesting/Makefile.
let package = Package(
    name: "TrailmarkFuzzTesting",
    dependencies: [.package(name: "Trailmark", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "FuzzWireDecoders",
            dependencies: ["CFuzzDriver", .product(name: "TrailmarkWire", package: "Trailmark")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)

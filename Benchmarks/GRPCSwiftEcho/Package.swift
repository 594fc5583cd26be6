// swift-tools-version:6.1
// The benchmark anchor: grpc-swift-2 with grpc-swift-nio-transport serving the same echo RPC
// as Trailmark's transport benchmark. Built only by `make bench` in its own scratch path
// (`.build-grpc-echo`), so the product never depends on grpc-swift.
import PackageDescription

let package = Package(
    name: "GRPCSwiftEcho",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
    ],
    targets: [
        .executableTarget(
            name: "GRPCSwiftEcho",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)

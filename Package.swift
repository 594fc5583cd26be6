// swift-tools-version:6.1
import PackageDescription

/// One settings block for every target: Swift 6 language mode (strict concurrency),
/// `any` spelled out for existentials.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioEmbedded = Target.Dependency.product(name: "NIOEmbedded", package: "swift-nio")
let atomics = Target.Dependency.product(name: "Atomics", package: "swift-atomics")
let dequeModule = Target.Dependency.product(name: "DequeModule", package: "swift-collections")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
// --- lifecycle ---
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals = Target.Dependency.product(name: "UnixSignals", package: "swift-service-lifecycle")

let package = Package(
    name: "Trailmark",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TrailmarkWire", targets: ["TrailmarkWire"]),
        .library(name: "TrailmarkTransport", targets: ["TrailmarkTransport"]),
        .executable(name: "trailmark", targets: ["trailmark"]),
        // --- clients ---
        .library(name: "TrailmarkSDK", targets: ["TrailmarkSDK"]),
        .executable(name: "trailmark-load", targets: ["trailmark-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // --- lifecycle ---
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // --- clients ---
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // MARK: Wire — codec, framing, messages, limits, typed wire errors. Standard library only.
        .target(name: "TrailmarkWire", swiftSettings: swiftSettings),

        // MARK: Storage — segment log, CRC32C, ring, group commit, recovery.
        .target(name: "CCRC32C"),
        .target(
            name: "TrailmarkStorage",
            dependencies: ["TrailmarkWire", "CCRC32C", atomics, dequeModule, logging],
            swiftSettings: swiftSettings
        ),

        // MARK: Transport — OpenSSL + nghttp2 under NIO, RPC router, HTTP/1.1, client.
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "TrailmarkTransport",
            dependencies: ["TrailmarkWire", "CNGHTTP2", "COpenSSL", nioCore, nioPosix, nioHTTP1, dequeModule, logging],
            swiftSettings: swiftSettings
        ),

        // MARK: Engine — columnar store, attribution, stitching, funnels, experiments.
        .target(name: "TrailmarkEngine", dependencies: ["TrailmarkWire"], swiftSettings: swiftSettings),

        // MARK: Services — the actors that join storage, transport and engine.
        .target(
            name: "TrailmarkServices",
            dependencies: ["TrailmarkWire", "TrailmarkStorage", "TrailmarkTransport", "TrailmarkEngine", logging, metrics, crypto],
            swiftSettings: swiftSettings
        ),

        // MARK: Executables.
        .executableTarget(
            name: "trailmark",
            dependencies: ["TrailmarkServices", "TrailmarkTransport", "TrailmarkStorage", "TrailmarkWire", "TrailmarkSDK", argumentParser, logging, metrics, prometheus,
                           serviceLifecycle, unixSignals],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TrailmarkBench",
            dependencies: ["TrailmarkWire", "TrailmarkStorage", "TrailmarkTransport", "TrailmarkEngine", "TrailmarkServices", atomics, dequeModule, logging],
            path: "Benchmarks/TrailmarkBench",
            swiftSettings: swiftSettings
        ),

        // MARK: Clients (--- clients ---): the Swift SDK and the load harness.
        .target(
            name: "TrailmarkSDK",
            dependencies: ["TrailmarkTransport", "TrailmarkWire", dequeModule],
            path: "Clients/swift/Sources/TrailmarkSDK",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "trailmark-load",
            dependencies: ["TrailmarkSDK", "TrailmarkTransport", "TrailmarkWire", argumentParser, dequeModule,
                           .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "Clients/load",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrailmarkLoadTests",
            dependencies: ["trailmark-load", "TrailmarkWire"],
            path: "Clients/load-tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrailmarkSDKTests",
            dependencies: ["TrailmarkSDK", "TrailmarkTransport", "TrailmarkWire"],
            path: "Clients/swift/Tests/TrailmarkSDKTests",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests.
        .testTarget(name: "TrailmarkWireTests", dependencies: ["TrailmarkWire"], swiftSettings: swiftSettings),
        .testTarget(name: "TrailmarkStorageTests", dependencies: ["TrailmarkStorage", "TrailmarkWire", atomics], swiftSettings: swiftSettings),
        // The crash test's victim process (Tests/TrailmarkStorageTests/Log/CrashTests.swift kills it).
        .executableTarget(
            name: "TrailmarkStorageCrashHelper",
            dependencies: ["TrailmarkStorage"],
            path: "Tests/StorageCrashHelper",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrailmarkTransportTests",
            dependencies: ["TrailmarkTransport", "TrailmarkWire", nioCore, nioPosix, nioEmbedded],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TrailmarkEngineTests", dependencies: ["TrailmarkEngine", "TrailmarkWire"], swiftSettings: swiftSettings),
        .testTarget(name: "TrailmarkServicesTests", dependencies: ["TrailmarkServices", "TrailmarkWire", "TrailmarkEngine", "TrailmarkStorage"], swiftSettings: swiftSettings),
    ]
)

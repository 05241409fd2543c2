// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "courier",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "courier", targets: ["courier"]),
        .executable(name: "courier-bench", targets: ["CourierBench"]),
        .executable(name: "courier-ceiling", targets: ["CourierCeiling"]),
        .library(name: "CourierTesting", targets: ["CourierTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(name: "CLMDB", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CCourierNative"),
        .target(
            name: "CourierCore",
            dependencies: ["CCourierNative"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierLog",
            dependencies: [
                "CourierCore", "CLMDB", "CZlib", "CCourierNative",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CourierCrypto", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        .target(
            name: "CourierLogging",
            dependencies: ["CZlib", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierStore",
            dependencies: [
                "CourierCore", "CourierLog", "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierGateway",
            dependencies: ["CourierCore", "CourierCrypto", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierShards",
            dependencies: [
                "CourierCore", "CourierLog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierHTTP",
            dependencies: [
                "CourierCore", "CourierShards", "CourierCrypto", "CourierGateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierApp",
            dependencies: [
                "CourierCore", "CourierLog", "CourierShards", "CourierHTTP", "CourierStore", "CourierGateway", "CourierCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierTesting",
            dependencies: ["CourierCore", "CourierLog", "CourierShards", "CourierStore", "CourierCrypto"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "courier",
            dependencies: [
                "CourierApp", "CourierCore", "CourierLogging", "CourierHTTP", "CourierGateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CourierBench",
            dependencies: [
                "CourierCore", "CourierLog", "CourierShards", "CourierStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CourierCeiling",
            dependencies: [
                "CourierCore",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CourierCoreTests", dependencies: ["CourierCore", "CourierTesting"]),
        .testTarget(name: "CourierLogTests", dependencies: ["CourierLog", "CourierCore", "CourierTesting"]),
        .testTarget(
            name: "CourierShardsTests",
            dependencies: ["CourierShards", "CourierCore", "CourierTesting"]
        ),
        .testTarget(
            name: "CourierHTTPTests",
            dependencies: [
                "CourierHTTP", "CourierApp", "CourierTesting", "CourierCrypto",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "CourierAppTests",
            dependencies: [
                "CourierApp", "CourierTesting", "CourierCore", "CourierLog", "CourierShards", "CourierStore", "CourierGateway",
            ]
        ),
        .testTarget(name: "CourierCryptoTests", dependencies: ["CourierCrypto"]),
        .testTarget(name: "CourierGatewayTests", dependencies: ["CourierGateway", "CourierCore"]),
        .testTarget(name: "CourierLoggingTests", dependencies: ["CourierLogging"]),
        .testTarget(name: "CourierStoreTests", dependencies: ["CourierStore", "CourierCore", "CourierLog", "CourierTesting"]),
    ]
)

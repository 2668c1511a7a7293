// swift-tools-version:6.1
import PackageDescription

/// One settings block for every target, as swift-log does.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tokenmeter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tokenmeter", targets: ["tokenmeter"]),
        .library(name: "TokenMeterCore", targets: ["TokenMeterCore"]),
        .library(name: "TokenMeterResults", targets: ["TokenMeterResults"]),
        .library(name: "TokenMeterBench", targets: ["TokenMeterBench"]),
        .library(name: "TokenMeterCost", targets: ["TokenMeterCost"]),
        .library(name: "TokenMeterModel", targets: ["TokenMeterModel"]),
        .library(name: "TokenMeterTarget", targets: ["TokenMeterTarget"]),
        .library(name: "TokenMeterReport", targets: ["TokenMeterReport"]),
        .library(name: "TokenMeterStore", targets: ["TokenMeterStore"]),
        .library(name: "TokenMeterServer", targets: ["TokenMeterServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .target(
            name: "TokenMeterCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(name: "TokenMeterResults", dependencies: ["TokenMeterCore"], swiftSettings: swiftSettings),
        .target(
            name: "TokenMeterCost",
            dependencies: ["TokenMeterCore"],
            resources: [.copy("Resources/gpus.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TokenMeterModel",
            dependencies: ["TokenMeterCore", "TokenMeterCost"],
            resources: [.copy("Resources/models.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TokenMeterBench",
            dependencies: [
                "TokenMeterCore",
                "TokenMeterResults",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TokenMeterTarget",
            dependencies: [
                "TokenMeterCore",
                "TokenMeterModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TokenMeterStore",
            dependencies: [
                "TokenMeterCore",
                "TokenMeterResults",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TokenMeterReport",
            dependencies: ["TokenMeterCore", "TokenMeterResults", "TokenMeterCost"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TokenMeterServer",
            dependencies: [
                "TokenMeterCore", "TokenMeterResults", "TokenMeterCost", "TokenMeterReport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tokenmeter",
            dependencies: [
                "TokenMeterCore",
                "TokenMeterResults",
                "TokenMeterBench",
                "TokenMeterTarget",
                "TokenMeterReport",
                "TokenMeterCost",
                "TokenMeterModel",
                "TokenMeterStore",
                "TokenMeterServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TokenMeterCoreTests", dependencies: ["TokenMeterCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TokenMeterCostTests",
            dependencies: ["TokenMeterCost", "TokenMeterCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenMeterModelTests",
            dependencies: ["TokenMeterModel", "TokenMeterCore", "TokenMeterCost", "TokenMeterTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenMeterBenchTests",
            dependencies: [
                "TokenMeterBench", "TokenMeterResults", "TokenMeterTarget", "TokenMeterCore", "TokenMeterCost", "TokenMeterTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenMeterTargetTests",
            dependencies: ["TokenMeterTarget", "TokenMeterCore", "TokenMeterBench", "TokenMeterModel", "TokenMeterCost"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenMeterReportTests",
            dependencies: ["TokenMeterReport", "TokenMeterResults", "TokenMeterBench", "TokenMeterCore", "TokenMeterTestSupport"],
            swiftSettings: swiftSettings
        ),
        // Test helpers shared by test targets: real PostgreSQL and llama.cpp servers, child processes, a headless browser.
        .target(name: "TokenMeterTestSupport", dependencies: ["TokenMeterBench", "TokenMeterResults", "TokenMeterTarget", "TokenMeterCore"], path: "Tests/TokenMeterTestSupport",
                swiftSettings: swiftSettings),
        .testTarget(
            name: "TokenMeterStoreTests",
            dependencies: ["TokenMeterStore", "TokenMeterResults", "TokenMeterBench", "TokenMeterTarget", "TokenMeterCore", "TokenMeterTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenMeterServerTests",
            dependencies: ["TokenMeterServer", "TokenMeterStore", "TokenMeterResults", "TokenMeterBench", "TokenMeterCore", "TokenMeterTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenMeterCLITests",
            dependencies: ["TokenMeterBench", "TokenMeterResults", "TokenMeterCore", "TokenMeterTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)

// scripts/bench-http-client builds a comparison of tokenmeter's client with AsyncHTTPClient on the same closed loop; only then
// is AsyncHTTPClient part of the package, so neither CI nor a plain build compiles it.
if Context.environment["TOKENMETER_CLIENT_COMPARISON"] != nil {
    package.dependencies.append(.package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"))
    package.targets.append(.executableTarget(
        name: "http-client-comparison",
        dependencies: [
            "TokenMeterBench", "TokenMeterCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ],
        path: "Benchmarks/HTTPClientComparison",
        swiftSettings: swiftSettings
    ))
}

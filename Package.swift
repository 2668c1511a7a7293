// swift-tools-version:6.1
import PackageDescription

/// One settings block for every target, as swift-log does.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The SwiftNIO products a networking module links.
let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
]
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
let propertyBased: Target.Dependency = .product(name: "PropertyBased", package: "swift-property-based")
let nioEmbedded: Target.Dependency = .product(name: "NIOEmbedded", package: "swift-nio")

/// A library target of the layer map in docs/architecture.md.
func module(_ name: String, _ dependencies: [Target.Dependency], resources: [Resource]? = nil) -> Target {
    .target(name: name, dependencies: dependencies, resources: resources, swiftSettings: swiftSettings)
}

/// The test target of a module.
func tests(_ module: String, _ dependencies: [Target.Dependency], exclude: [String] = []) -> Target {
    .testTarget(name: module + "Tests", dependencies: [.target(name: module)] + dependencies, exclude: exclude, swiftSettings: swiftSettings)
}

let package = Package(
    name: "tokenmeter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tokenmeter", targets: ["tokenmeter"]),
    ] + [
        "TokenMeterCore", "TokenMeterResults", "TokenMeterTokenizer", "TokenMeterCost", "TokenMeterHTTP", "TokenMeterModel",
        "TokenMeterWorkloads", "TokenMeterDialects", "TokenMeterTelemetry", "TokenMeterBench", "TokenMeterTarget", "TokenMeterStore",
        "TokenMeterReport", "TokenMeterServer", "TokenMeterCLI",
    ].map { .library(name: $0, targets: [$0]) },
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
        // Layer 0
        module("TokenMeterCore", [.product(name: "Yams", package: "Yams")]),
        // Layer 1
        module("TokenMeterResults", ["TokenMeterCore"]),
        module("TokenMeterTokenizer", ["TokenMeterCore"]),
        module("TokenMeterCost", ["TokenMeterCore"], resources: [.copy("Resources/gpus.json"), .copy("Resources/price-cards.json")]),
        module("TokenMeterHTTP", ["TokenMeterCore", nioSSL, .product(name: "NIOTLS", package: "swift-nio")] + nio),
        // Layer 2
        module("TokenMeterModel", ["TokenMeterCore", "TokenMeterCost"],
               resources: [.copy("Resources/models.json"), .copy("Resources/calibration-hopper.json")]),
        module("TokenMeterWorkloads", ["TokenMeterCore", "TokenMeterTokenizer", .product(name: "Yams", package: "Yams")],
               resources: [.copy("Resources/workloads")]),
        module("TokenMeterDialects", ["TokenMeterCore", "TokenMeterHTTP", "TokenMeterTokenizer", .product(name: "NIOHTTP1", package: "swift-nio")]),
        module("TokenMeterTelemetry", ["TokenMeterCore", "TokenMeterResults", "TokenMeterHTTP", .product(name: "NIOHTTP1", package: "swift-nio")]),
        // Layer 3
        module("TokenMeterBench", [
            "TokenMeterCore", "TokenMeterResults", "TokenMeterTokenizer", "TokenMeterHTTP", "TokenMeterWorkloads", "TokenMeterDialects",
            "TokenMeterTelemetry", "TokenMeterCost", .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        module("TokenMeterTarget", ["TokenMeterCore", "TokenMeterModel", "TokenMeterDialects"] + nio),
        module("TokenMeterStore", [
            "TokenMeterCore", "TokenMeterResults", nioSSL,
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        module("TokenMeterReport", ["TokenMeterCore", "TokenMeterResults", "TokenMeterCost", "TokenMeterModel"],
               resources: [.copy("Resources/llmd-benchmark-report-v0.2.1.schema.json")]),
        // Layer 4
        module("TokenMeterServer", [
            "TokenMeterCore", "TokenMeterResults", "TokenMeterCost", "TokenMeterReport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // Layer 5: every command, its options and the terminal
        module("TokenMeterCLI", [
            "TokenMeterCore", "TokenMeterResults", "TokenMeterTokenizer", "TokenMeterCost", "TokenMeterHTTP", "TokenMeterModel",
            "TokenMeterWorkloads", "TokenMeterDialects", "TokenMeterTelemetry", "TokenMeterBench", "TokenMeterTarget", "TokenMeterStore",
            "TokenMeterReport", "TokenMeterServer", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Layer 6
        .executableTarget(name: "tokenmeter", dependencies: ["TokenMeterCLI"], swiftSettings: swiftSettings),

        // Test helpers shared by test targets: real PostgreSQL and llama.cpp servers, child processes, a headless browser.
        .target(name: "TokenMeterTestSupport",
                dependencies: ["TokenMeterCore", "TokenMeterResults", "TokenMeterHTTP", "TokenMeterDialects", "TokenMeterWorkloads",
                               "TokenMeterModel", "TokenMeterBench", "TokenMeterTarget", "TokenMeterCLI", nioSSL] + nio,
                path: "Tests/TokenMeterTestSupport", swiftSettings: swiftSettings),
        tests("TokenMeterCore", []),
        tests("TokenMeterResults", ["TokenMeterCore"]),
        tests("TokenMeterTokenizer", ["TokenMeterCore", "TokenMeterTestSupport"], exclude: ["Fixtures"]),
        tests("TokenMeterCost", ["TokenMeterCore", propertyBased]),
        tests("TokenMeterHTTP", ["TokenMeterCore", "TokenMeterDialects", "TokenMeterTestSupport", propertyBased, nioSSL, nioEmbedded] + nio),
        tests("TokenMeterModel", ["TokenMeterCore", "TokenMeterCost", "TokenMeterTestSupport"]),
        tests("TokenMeterWorkloads", ["TokenMeterCore", "TokenMeterTokenizer"], exclude: ["Fixtures"]),
        tests("TokenMeterDialects", ["TokenMeterCore", "TokenMeterHTTP", "TokenMeterTestSupport", propertyBased]),
        tests("TokenMeterTelemetry", ["TokenMeterCore", "TokenMeterResults", "TokenMeterHTTP", propertyBased]),
        tests("TokenMeterBench", [
            "TokenMeterCore", "TokenMeterResults", "TokenMeterHTTP", "TokenMeterDialects", "TokenMeterWorkloads", "TokenMeterTelemetry",
            "TokenMeterModel", "TokenMeterTarget", "TokenMeterCost", "TokenMeterCLI", "TokenMeterTestSupport", propertyBased,
        ]),
        tests("TokenMeterTarget", ["TokenMeterCore", "TokenMeterHTTP", "TokenMeterDialects", "TokenMeterModel", "TokenMeterCost", nioEmbedded] + nio),
        tests("TokenMeterStore", [
            "TokenMeterCore", "TokenMeterResults", "TokenMeterBench", "TokenMeterTarget", "TokenMeterTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        tests("TokenMeterReport", ["TokenMeterCore", "TokenMeterResults", "TokenMeterBench", "TokenMeterTestSupport"]),
        tests("TokenMeterServer", [
            "TokenMeterCore", "TokenMeterResults", "TokenMeterCost", "TokenMeterStore", "TokenMeterBench", "TokenMeterTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(
            name: "TokenMeterCLITests",
            dependencies: ["TokenMeterCLI", "TokenMeterCore", "TokenMeterResults", "TokenMeterCost", "TokenMeterBench", "TokenMeterWorkloads",
                           "TokenMeterModel", "TokenMeterTarget", "TokenMeterDialects", "TokenMeterHTTP", "TokenMeterTestSupport", propertyBased,
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
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
            "TokenMeterCore", "TokenMeterHTTP",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ] + nio,
        path: "Benchmarks/HTTPClientComparison",
        swiftSettings: swiftSettings
    ))
}

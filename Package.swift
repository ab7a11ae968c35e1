// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    // Linux only: see "Linux only, by decision" in the README.
    name: "swift-graph-wal",
    products: [
        .library(name: "WriteAheadLog", targets: ["WriteAheadLog"]),
        .library(name: "GraphStore", targets: ["GraphStore"]),
        .library(name: "GraphDatabase", targets: ["GraphDatabase"]),
        .library(name: "WALArchive", targets: ["WALArchive"]),
        .executable(name: "walctl", targets: ["walctl"]),
        .executable(name: "graph-server", targets: ["graph-server"]),
    ],
    dependencies: [
        // The core library depends on swift-metrics only.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // GraphStore only: persistent hash tries for the property indexes.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // Executables only.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The server only: HTTP, Prometheus exposition, graceful shutdown.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // HTTPS, and the HTTP part types of the server's connection handlers.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // The archive only: SHA-256 for the object chain, HMAC for SigV4, MD5 for S3 ETags.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The archive's S3 transport.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // `swift package generate-documentation` (a plugin: nothing links it).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CCRC32C"),
        .target(name: "CEventCount"),
        // fallocate and fstatfs, which Glibc's Swift module does not export.
        .target(name: "CFileSpace"),
        // mallopt, which Glibc's Swift module does not export either.
        .target(name: "CProcessHeap"),
        .target(
            name: "WriteAheadLog",
            dependencies: [
                "CCRC32C",
                "CEventCount",
                "CFileSpace",
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "GraphStore",
            dependencies: [
                "WriteAheadLog",
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "GraphDatabase",
            dependencies: [
                "CProcessHeap",
                "GraphStore",
                "WriteAheadLog",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Continuous archive of a log to object storage, and restore from it.
        .target(
            name: "WALArchive",
            dependencies: [
                "WriteAheadLog",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "walctl",
            dependencies: [
                "WriteAheadLog",
                "GraphStore",
                "GraphDatabase",
                "WALArchive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // The server's application (routes, JSON, configuration) as a library,
        // so tests build it in-process; the executable only parses flags,
        // bootstraps metrics and runs it.
        .target(
            name: "GraphServerCore",
            dependencies: [
                "GraphDatabase",
                "GraphStore",
                "WriteAheadLog",
                // --archive: the log shipped to object storage as it is written.
                "WALArchive",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "graph-server",
            dependencies: [
                "GraphServerCore",
                "GraphDatabase",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "wal-example",
            dependencies: ["WriteAheadLog"],
            swiftSettings: strictSettings
        ),
        // A simulated file system with crashes and fault injection, for the
        // crash tests and the fuzzer; not a product.
        .target(
            name: "WALTestSupport",
            dependencies: ["WriteAheadLog"],
            swiftSettings: strictSettings
        ),
        // moto's S3 server on a free loopback port, for the archive tests
        // of the library and of graph-server; not a product.
        .target(
            name: "ArchiveTestSupport",
            dependencies: ["WALArchive", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // Commits in `always` mode and prints each acknowledged LSN; the
        // crash tests kill it with SIGKILL.
        .executableTarget(
            name: "wal-crash-child",
            dependencies: ["WriteAheadLog", "WALTestSupport"],
            swiftSettings: strictSettings
        ),
        // One step of a graph database crash sequence per run, on a data
        // directory whose fsyncs are recorded so the test can simulate a
        // power loss after SIGKILL.
        .executableTarget(
            name: "graph-crash-child",
            dependencies: [
                "GraphDatabase", "GraphStore", "WriteAheadLog", "WALTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WALCrashTests",
            dependencies: [
                "WriteAheadLog", "WALTestSupport", "wal-crash-child", "graph-crash-child", "GraphDatabase", "GraphStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WriteAheadLogTests",
            dependencies: [
                "WriteAheadLog", "WALTestSupport",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WALArchiveTests",
            dependencies: [
                "ArchiveTestSupport",
                "WALArchive", "WriteAheadLog", "WALTestSupport",
                // MD5, for the ETags S3 gives uploads.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GraphStoreTests",
            dependencies: ["GraphStore", "WriteAheadLog", "WALTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GraphDatabaseTests",
            dependencies: ["GraphDatabase", "GraphStore", "WriteAheadLog", "WALTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GraphServerTests",
            dependencies: [
                "graph-server",
                "GraphServerCore",
                "WALArchive",
                "ArchiveTestSupport",
                "WALTestSupport",
                "GraphDatabase",
                "GraphStore",
                "WriteAheadLog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WalctlTests",
            dependencies: ["walctl", "WriteAheadLog", "GraphStore", "GraphDatabase", "WALArchive", "WALTestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)

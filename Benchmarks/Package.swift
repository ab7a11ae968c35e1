// swift-tools-version: 6.1
import PackageDescription

// Side-by-side benchmarks of the WriteAheadLog library and the graph
// database on top of it against SQLite, RocksDB and the raw device. A package of its own so that the peers'
// system libraries never become a requirement of the library or of CI.
let package = Package(
    name: "WriteAheadLogBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-graph-wal", path: ".."),
    ],
    targets: [
        // The peers come from the system (Debian: libsqlite3-dev, librocksdb-dev).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .systemLibrary(
            name: "CRocksDB",
            pkgConfig: "rocksdb",
            providers: [.apt(["librocksdb-dev"]), .brew(["rocksdb"])]
        ),
        .executableTarget(
            name: "walbench",
            dependencies: [
                "CSQLite",
                "CRocksDB",
                .product(name: "WriteAheadLog", package: "swift-graph-wal"),
                .product(name: "GraphDatabase", package: "swift-graph-wal"),
                // Property values and ids of the nodes the graph workloads create.
                .product(name: "GraphStore", package: "swift-graph-wal"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

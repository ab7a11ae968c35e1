// A graph database process for the real-process crash-sequence test: one
// step of a sequence per run, on a data directory whose fsyncs are
// recorded in a shadow folder (WALTestSupport.ShadowFileSystem), so that
// after SIGKILL the test can also simulate a power loss.
//
// Usage: graph-crash-child DATA SHADOW always|groupsync|none STEP
//   write FIRST COUNT durable|plain   writes nodes FIRST..<FIRST+COUNT,
//                                     printing `ack N` as each write returns
//   checkpoint                        prints `checkpoint LSN`
//   list                              prints `node N` for every node, closes
// Every step first prints `ready NODES`, and ends by printing `done`; then
// it waits to be killed (`list` closes the database cleanly and exits).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GraphDatabase
import GraphStore
import Logging
import WALTestSupport
import WriteAheadLog

func emit(_ line: String) { emitLine(line) }

func fail(_ message: String) -> Never {
    emit("error \(message)")
    exit(1)
}

func waitToBeKilled() -> Never {
    while true { pause() }
}

func run() -> Never {
    let arguments = CommandLine.arguments
    guard arguments.count >= 5 else { fail("usage: graph-crash-child DATA SHADOW always|groupsync|none STEP [ARGUMENTS]") }
    let (data, shadow, step) = (arguments[1], arguments[2], arguments[4])
    let syncMode: SyncMode
    switch arguments[3] {
    case "always": syncMode = .always
    case "groupsync": syncMode = .groupSync(interval: .seconds(3600))
    case "none": syncMode = .none
    case let other: fail("unknown sync mode \(other)")
    }
    var wal = WALOptions(syncMode: syncMode, segmentTargetBytes: 64 << 10)
    wal.fileSystem = ShadowFileSystem(root: data, shadow: shadow)
    let configuration = GraphDatabaseConfiguration(
        storage: .dataDirectory(data), wal: wal, checkpointEveryBytes: nil,
        logger: Logger(label: "graph-crash-child", factory: { _ in SwiftLogNoOpLogHandler() }))
    let database: GraphDatabase
    do {
        database = try GraphDatabase.open(configuration).database
    } catch {
        fail("open: \(error)")
    }
    emit("ready \(database.snapshot.nodeCount)")
    do {
        switch step {
        case "write":
            guard arguments.count >= 8, let first = Int(arguments[5]), let count = Int(arguments[6]) else { fail("write FIRST COUNT durable|plain") }
            let durable = arguments[7] == "durable"
            for number in first..<(first + count) {
                let result = try database.write(durable: durable) { transaction in
                    _ = try transaction.createNode(labels: ["Step"], properties: ["number": .int(Int64(number))])
                }
                emit("ack \(number) \(result.isDurable ? "durable" : "written")")
            }
        case "checkpoint":
            let result = try database.checkpoint()
            emit("checkpoint \(result.walLSN.rawValue)")
        case "list":
            var after: NodeID?
            while true {
                let page = database.snapshot.nodes(label: "Step", limit: 1000, after: after)
                for node in page.items {
                    if case .int(let number) = node.properties["number"] { emit("node \(number)") }
                }
                guard let next = page.nextCursor else { break }
                after = next
            }
            try database.close()
            emit("done")
            exit(0)
        default:
            fail("unknown step \(step)")
        }
    } catch {
        fail("\(step): \(error)")
    }
    emit("done")
    waitToBeKilled()
}

run()

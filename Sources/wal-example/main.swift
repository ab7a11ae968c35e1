#if canImport(Glibc)
import Glibc
#endif
import WriteAheadLog

/// A small event type of the application's own: a counter's changes.
enum CounterEvent: WALEvent, CustomStringConvertible {
    case add(Int64)
    case reset

    func encode(into buffer: inout [UInt8]) throws {
        switch self {
        case .add(let amount):
            buffer.append(1)
            LittleEndian.append(amount, to: &buffer)
        case .reset:
            buffer.append(2)
        }
    }

    init(from reader: inout ByteReader) throws {
        switch try reader.readByte() {
        case 1: self = .add(try reader.read(Int64.self))
        case 2: self = .reset
        case let tag: throw WALError(.eventDecoding, "unknown CounterEvent tag \(tag)")
        }
    }

    var description: String {
        switch self {
        case .add(let amount): "add(\(amount))"
        case .reset: "reset"
        }
    }
}

let directory = CommandLine.arguments.dropFirst().first ?? "./data/wal-example"

do {
    // First run of this process: recover whatever an earlier run left, then add to it.
    var (wal, events, report) = try WAL<CounterEvent>.open(directory: directory)
    print("opened \(directory): replayed \(report.transactionsReplayed) transactions, \(events.count) events; next LSN \(wal.nextLSN)")
    for amount in 1...3 {
        let commit = try wal.commit([.add(Int64(amount)), .add(Int64(amount * 10))])
        print("committed transaction at LSN \(commit.map { String($0.commitLSN.rawValue) } ?? "-")")
    }
    try wal.close()

    // Reopen and show what recovery hands back.
    (wal, events, report) = try WAL<CounterEvent>.open(directory: directory)
    let total = events.reduce(Int64(0)) { sum, event in
        if case .add(let amount) = event { return sum + amount }
        return 0
    }
    print("reopened: \(report.transactionsReplayed) transactions, \(events.count) events, durable LSN \(wal.durableLSN), counter = \(total)")
    try wal.close()
} catch {
    print("error: \(error)")
    exitWithFailure()
}

func exitWithFailure() -> Never {
    #if canImport(Glibc)
    exit(1)
    #else
    fatalError("exit")
    #endif
}

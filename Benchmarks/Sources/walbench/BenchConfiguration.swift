/// What a `walbench` invocation asked for.
struct BenchConfiguration {
    enum Mode {
        /// The workloads, as a table or JSON.
        case compare
        /// `--recovery-child DIR`: the recovery measurement's child process.
        case recoveryChild(String)
        /// `--graph-recovery-child DIR`: the graph recovery measurements' child process.
        case graphRecoveryChild(String)
        /// `--micro`: record encode/decode and CRC-32C microbenchmarks.
        case micro
        case help
    }

    var mode = Mode.compare
    var json = false
    var scale = Scale.full
    var workloads = WorkloadName.allCases.filter(\.runsByDefault)
    var systems = SystemName.allCases
    var dataParent = "/tmp"
    var keepData = false
    /// `--glibc-heap-defaults`: skip ``ProcessHeap/growInLargeSteps(tunables:)``.
    var glibcHeapDefaults = false
    /// Turns the systems of a workload take (see WorkloadRunner).
    var rounds = 8

    static let usage = """
        usage: walbench [--quick] [--json] [--workload NAME,...] [--system NAME,...]
                        [--data-dir DIR] [--keep-data] [--duration SECONDS] [--count N]
                        [--rounds N] [--labels N] [--index-elsewhere] [--index-own]
                        [--checkpoint-ratio R] [--glibc-heap-defaults]
               walbench --micro
               walbench --recovery-child DIR         (used by walbench itself)
               walbench --graph-recovery-child DIR   (used by walbench itself)

          --quick          scaled-down run (under a minute)
          --json           print the rows as a JSON array instead of the table
          --workload       run only these: \(WorkloadName.allCases.map(\.rawValue).joined(separator: ", "))
          --system         run only these: \(SystemName.allCases.map(\.rawValue).joined(separator: ", "))
          --data-dir       parent of the temporary data directory (default /tmp)
          --keep-data      leave the data directory in place (to inspect or profile it)
          --duration       seconds per system in each durable workload
          --count          commits of groupsync-single and graph-create-groupsync,
                           transactions of recovery, nodes of the graph recoveries
                           and of graph-create-scaling, relationships of graph-hub
                           (batch-100 runs count/100 batches); graph-create-scaling
                           and graph-hub run only when named with --workload
          --rounds         turns the systems take in each workload (default 8, quick 2)
          --labels         distinct labels the graph database's nodes take turns
                           carrying in graph-create-* (default 1: Person)
          --index-elsewhere
                           graph-recovery-*: the database also has a unique
                           property index on a label its nodes do not carry
          --index-own      graph-recovery-*: each node also has a `seq` property,
                           its number, under a unique index on its label
          --checkpoint-ratio
                           graph-create-scaling: the database's
                           checkpointLogToSnapshotRatio (0: a checkpoint every
                           256 MiB of log whatever the graph's size)
          --glibc-heap-defaults
                           leave glibc's heap settings alone; by default
                           walbench grows heaps as graph-server does
                           (ProcessHeap), for every system alike
        """

    init(arguments: [String]) throws {
        var quick = false
        var duration: Double?
        var count: Int?
        var labels = 1
        var indexElsewhere = false
        var indexOwn = false
        var checkpointRatio: Double?
        var roundsGiven: Int?
        var remaining = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = remaining.popFirst() else { throw BenchError("\(flag) needs a value\n\n\(Self.usage)") }
            return next
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--quick": quick = true
            case "--json": json = true
            case "--micro": mode = .micro
            case "--help", "-h": mode = .help
            case "--recovery-child": mode = .recoveryChild(try value(argument))
            case "--graph-recovery-child": mode = .graphRecoveryChild(try value(argument))
            case "--data-dir": dataParent = try value(argument)
            case "--keep-data": keepData = true
            case "--index-elsewhere": indexElsewhere = true
            case "--index-own": indexOwn = true
            case "--glibc-heap-defaults": glibcHeapDefaults = true
            case "--checkpoint-ratio":
                let text = try value(argument)
                guard let ratio = Double(text), ratio.isFinite, ratio >= 0 else {
                    throw BenchError("--checkpoint-ratio needs a number of at least 0, not \(text)")
                }
                checkpointRatio = ratio
            case "--workload":
                workloads = try Self.names(try value(argument), as: WorkloadName.self)
            case "--system":
                systems = try Self.names(try value(argument), as: SystemName.self)
            case "--duration":
                guard let seconds = Double(try value(argument)), seconds > 0 else {
                    throw BenchError("--duration needs a positive number of seconds")
                }
                duration = seconds
            case "--rounds":
                guard let number = Int(try value(argument)), (1...100).contains(number) else {
                    throw BenchError("--rounds needs a whole number from 1 to 100")
                }
                roundsGiven = number
            case "--labels":
                guard let number = Int(try value(argument)), (1...1_000_000).contains(number) else {
                    throw BenchError("--labels needs a whole number from 1 to 1000000")
                }
                labels = number
            case "--count":
                guard let number = Int(try value(argument)), number >= 100 else {
                    throw BenchError("--count needs a whole number of at least 100")
                }
                count = number
            default:
                throw BenchError("unknown argument \(argument)\n\n\(Self.usage)")
            }
        }
        scale = quick ? .quick : .full
        rounds = roundsGiven ?? (quick ? 2 : 8)
        if let duration { scale.durableNanos = UInt64(duration * 1e9) }
        scale.graphLabels = labels
        scale.graphRecoveryIndexElsewhere = indexElsewhere
        scale.graphRecoveryIndexOwn = indexOwn
        scale.graphCheckpointRatio = checkpointRatio
        if let count {
            scale.singleCommits = count
            scale.batchCommits = max(count / 100, 1)
            scale.recoveryTransactions = count
            scale.graphCreateCommits = count
            scale.graphRecoveryNodes = count
            scale.graphScalingNodes = count
            scale.graphHubRelationships = count
        }
    }

    private static func names<Name: RawRepresentable & CaseIterable>(_ list: String, as: Name.Type) throws -> [Name]
    where Name.RawValue == String {
        var chosen: [Name] = []
        for part in list.split(separator: ",") {
            guard let name = Name(rawValue: String(part)) else {
                let known = Name.allCases.map(\.rawValue).joined(separator: ", ")
                throw BenchError("unknown name \(part); known: \(known)")
            }
            chosen.append(name)
        }
        // Keep the canonical order, whatever order they were given in.
        return Name.allCases.filter { name in chosen.contains { $0.rawValue == name.rawValue } }
    }
}

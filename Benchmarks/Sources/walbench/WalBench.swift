import Foundation
import GraphDatabase
import WriteAheadLog

/// `walbench`: every workload against this WAL (and the graph database on
/// it), SQLite, RocksDB and the device, in one process and one run, printed
/// as one table (or `--json`).
@main
enum WalBench {
    static func main() {
        do {
            let configuration = try BenchConfiguration(arguments: Array(CommandLine.arguments.dropFirst()))
            // Before any workload's thread allocates: graph-server does the same.
            let heap = configuration.glibcHeapDefaults ? "glibc's defaults" : "\(ProcessHeap.growInLargeSteps())"
            if case .compare = configuration.mode {
                FileHandle.standardError.write(Data("walbench: heap: \(heap)\n".utf8))
            }
            switch configuration.mode {
            case .help:
                print(BenchConfiguration.usage)
            case .recoveryChild(let directory):
                try RecoveryWorkload.runChild(directory: directory)
            case .graphRecoveryChild(let directory):
                try GraphRecoveryWorkload.runChild(directory: directory)
            case .micro:
                print(MicroBenchmarks.run())
            case .compare:
                let (rows, failures) = try compare(configuration)
                if configuration.json {
                    print(ResultJSON(rows: rows).render(), terminator: "")
                } else {
                    print(ResultTable(rows: rows).render(), terminator: "")
                }
                if failures > 0 { exit(1) }
            }
        } catch {
            FileHandle.standardError.write(Data("walbench: \(error)\n".utf8))
            exit(1)
        }
    }

    /// Runs the chosen workloads system by system; a system that fails is
    /// reported on stderr and left out of the table, and the run goes on.
    static func compare(_ configuration: BenchConfiguration) throws -> (rows: [ResultRow], failures: Int) {
        let progress: (String) -> Void = { line in FileHandle.standardError.write(Data("\(line)\n".utf8)) }
        let scratch = try ScratchDirectory(parent: configuration.dataParent, keep: configuration.keepData)
        defer { scratch.remove() }
        progress("walbench: data in \(scratch.path)")
        var rows: [ResultRow] = []
        var failures = 0
        let runner = WorkloadRunner(scratch: scratch, rounds: configuration.rounds, progress: progress)
        for spec in WorkloadSpec.writeWorkloads(configuration.scale) where configuration.workloads.contains(spec.name) {
            let systems = spec.systems.filter { configuration.systems.contains($0) }
            guard !systems.isEmpty else { continue }
            let outcome = runner.run(spec, systems: systems)
            rows.append(contentsOf: outcome.rows)
            for (system, error) in outcome.failures {
                failures += 1
                progress("\(spec.name.rawValue): \(system.rawValue) failed: \(error)")
            }
        }
        if configuration.workloads.contains(.recovery), configuration.systems.contains(.wal) {
            do {
                let recovery = RecoveryWorkload(scratch: scratch, progress: progress)
                rows.append(try recovery.run(transactions: configuration.scale.recoveryTransactions))
            } catch {
                failures += 1
                progress("recovery: wal failed: \(error)")
            }
        }
        if configuration.workloads.contains(.graphCreateScaling), configuration.systems.contains(.graphdb) {
            do {
                let scaling = GraphScalingWorkload(
                    scratch: scratch, progress: progress, checkpointRatio: configuration.scale.graphCheckpointRatio)
                rows.append(contentsOf: try scaling.run(nodes: configuration.scale.graphScalingNodes))
            } catch {
                failures += 1
                progress("graph-create-scaling: graphdb failed: \(error)")
            }
        }
        if configuration.workloads.contains(.graphHub), configuration.systems.contains(.graphdb) {
            do {
                let hub = GraphHubWorkload(scratch: scratch, progress: progress)
                rows.append(contentsOf: try hub.run(relationships: configuration.scale.graphHubRelationships))
            } catch {
                failures += 1
                progress("graph-hub: graphdb failed: \(error)")
            }
        }
        if configuration.systems.contains(.graphdb) {
            let graphRecovery = GraphRecoveryWorkload(
                scratch: scratch, progress: progress, indexElsewhere: configuration.scale.graphRecoveryIndexElsewhere,
                indexOwn: configuration.scale.graphRecoveryIndexOwn)
            for source in [GraphRecoveryWorkload.Source.walOnly, .snapshotAndWAL]
            where configuration.workloads.contains(source.workload) {
                do {
                    rows.append(try graphRecovery.run(source, nodes: configuration.scale.graphRecoveryNodes))
                } catch {
                    failures += 1
                    progress("\(source.workload.rawValue): graphdb failed: \(error)")
                }
            }
        }
        // The table groups the log's workloads, then the graph's, in the
        // order WorkloadName lists them, whatever order they ran in.
        let order = Dictionary(uniqueKeysWithValues: WorkloadName.allCases.enumerated().map { ($1.rawValue, $0) })
        let sorted = rows.enumerated().sorted { left, right in
            // "graph-create-scaling@100k": one row per decade of one workload.
            func rank(_ workload: String) -> Int { order[String(workload.prefix { $0 != "@" })] ?? 0 }
            let (a, b) = (rank(left.element.workload), rank(right.element.workload))
            return a != b ? a < b : left.offset < right.offset
        }
        return (sorted.map(\.element), failures)
    }
}

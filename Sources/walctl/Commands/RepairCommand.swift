import ArgumentParser
import WriteAheadLog

/// `walctl repair DIR`: cut a torn tail, or with `--salvage` set damage aside.
struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Cut a torn tail, or with --salvage set damaged segments aside; never deletes.",
        discussion: """
            Takes the directory lock and refuses while a live process holds it. A torn tail (bytes \
            after the last valid record of the active segment) is cut, as the next open would. \
            Other damage is refused unless --salvage is given: then the damaged segment is copied \
            into quarantine/ and cut to its valid prefix, and every later segment is moved there \
            whole, as the salvage recovery mode does. Stale temporary segment files are moved into \
            quarantine/ too. Nothing is ever deleted. Prints exactly what it did, or with \
            --dry-run what it would do, without changing anything.

            Examples:
              walctl repair /var/lib/graph/wal --dry-run
              walctl repair /var/lib/graph/wal --salvage

            Exit codes: 0 repaired, nothing to repair, or dry run printed; 2 damage that is not a \
            torn tail and no --salvage (nothing changed); 3 a live process holds the lock (nothing \
            changed); 4 I/O error; 64 bad arguments; 66 no such directory, or no segments in it.
            """)

    @OptionGroup var directory: LogDirectoryArgument

    @Flag(help: "Print what would be done, and change nothing.")
    var dryRun = false

    @Flag(help: "Set damaged segments aside into quarantine/ instead of refusing, keeping what precedes the damage.")
    var salvage = false

    func run() throws {
        let log = try directory.check()
        if case .held(let pid) = log.lockHolder {
            throw WalctlFailure(
                .locked,
                "refusing to repair \(log.path): a live process\(pid.map { " (pid \($0))" } ?? "") holds its lock; stop it first (nothing was changed)")
        }
        let plan = try RepairPlan(log, salvage: salvage)
        guard !plan.steps.isEmpty else {
            Console.line("nothing to repair in \(log.path): no torn tail and no damage")
            return
        }
        if dryRun {
            plan.steps.forEach { Console.line($0.sentence(done: false)) }
            Console.line("dry run: nothing was changed")
            return
        }
        for step in try perform(plan) {
            Console.line(step.sentence(done: true))
        }
        Console.line("repaired \(log.path); nothing was deleted")
    }

    /// Carries out the plan and returns what was actually done, read back
    /// from the library's report rather than assumed from the plan.
    private func perform(_ plan: RepairPlan) throws -> [RepairStep] {
        var done: [RepairStep] = []
        if !plan.temporaryFileSteps.isEmpty {
            // The library's open would delete these; move them aside under
            // the lock, so no live process is creating one right now.
            let lock = try PosixFileSystem().lockDirectory(plan.directory.path)
            defer { lock.release() }
            var quarantine = QuarantineFolder(logDirectory: plan.directory.path)
            for case .moveTemporaryFile(let path, _) in plan.temporaryFileSteps {
                let name = String(path.split(separator: "/").last ?? Substring(path))
                let destination = try quarantine.move(path, named: name)
                done.append(.moveTemporaryFile(path: path, to: destination))
            }
        }
        guard plan.needsLibraryRepair else { return done }
        let report = try WALInspector.repair(directory: plan.directory.path, recoveryMode: plan.mode)
        for file in report.quarantined {
            if file.keptValidPrefix, let damage = report.damage {
                done.append(
                    .keepValidPrefix(path: file.original, copy: file.quarantined, offset: damage.offset, lastGoodLSN: damage.lastGoodLSN))
            } else {
                done.append(.moveSegment(path: file.original, to: file.quarantined))
            }
        }
        if let torn = report.tornTail {
            let lastLSN = report.segments.first { $0.id == torn.segment }?.lastLSN ?? report.maxLSN
            done.append(.cutTornTail(path: torn.path, fileBytes: torn.fileBytes, offset: torn.offset, lastLSN: lastLSN, reason: torn.reason))
        }
        // A segment moved aside whole may come back under the same name as
        // the new active segment, so compare paths net of those moves.
        var kept = Set(plan.directory.segments.map(\.path))
        for file in report.quarantined where !file.keptValidPrefix { kept.remove(file.original) }
        let after = try LogDirectory(checking: plan.directory.path)
        for segment in after.segments where !kept.contains(segment.path) {
            done.append(.createSegment(path: segment.path, baseLSN: LSN(report.maxLSN.rawValue + 1)))
        }
        return done
    }
}

extension LogEngine {
    /// Blocks until an fsync covers `lsn`, running it if nobody else is:
    /// ``GroupCommit`` decides whether this thread leads, sleeps on the
    /// generation in flight, or registers for the next.
    ///
    /// Only leaders write pending bytes: a waiter that wrote its own first
    /// would queue on the write lock behind the others only to find its
    /// bytes already written.
    @usableFromInline
    func waitDurable(_ lsn: LSN) throws {
        var registeredFor: UInt64?
        while true {
            if registeredFor == nil, durableMirror.load(ordering: .acquiring) >= lsn.rawValue { return }
            // The ticket is taken under the progress lock, before the
            // generation's leader can end it, so its notification is never missed.
            let (step, ticket): (GroupCommit.Step, UInt32?) = progress.withLock { progress in
                let step = progress.group.nextStep(
                    toward: lsn, registeredFor: &registeredFor, durableLSN: progress.durableLSN,
                    poisoned: progress.failure != nil)
                guard case .sleep(let generation) = step else { return (step, nil) }
                return (step, signal(for: generation).prepareWait())
            }
            switch step {
            case .done: return
            case .lead: try leadSync()
            case .sleep(let generation): signal(for: generation).wait(ticket ?? 0)
            case .failed:
                let failure = progress.withLock { $0.failure }.map { "\($0)" } ?? "an earlier write or fsync failed"
                throw WALError(.poisoned, "the log is poisoned: \(failure)", operation: "sync", path: directory.root, lsn: lsn)
            }
        }
    }

    private func signal(for generation: UInt64) -> EventCount {
        generation % 2 == 0 ? generationSignals.even : generationSignals.odd
    }

    /// Runs the current generation's group fsync as its leader: writes what
    /// is pending, fsyncs the active segment, then ends the generation.
    func leadSync() throws {
        do {
            try writePending()
            let (file, target, written) = writer.withLock { writer in
                (writer.file, writer.writtenLSN, Self.takeWrittenPages(&writer))
            }
            progress.withLock { $0.group.target = target }
            if target > durableLSN {
                if let written { written.mapping.unmapPages(written.range) }
                let started = ContinuousClock.now
                try fsyncing("fsync") { try file.sync() }
                metrics.recordFsync(took: ContinuousClock.now - started)
            }
            endGeneration(durable: target)
            metrics.recordDurableLag(Int64(nextLSN.rawValue - 1 - target.rawValue))
        } catch {
            poison(error)
            endGeneration(durable: nil)
            throw error
        }
    }

    /// The part of the mapping the writer is done with (everything below
    /// the page it writes into) and has not been unmapped yet; marks it
    /// unmapped. The fsync then writes those pages back without
    /// write-protecting each (see `MappedRegion.unmapPages`). The mapping
    /// is held by reference: a rotation dropping it meanwhile makes the
    /// unmapping moot, not unsafe.
    private static func takeWrittenPages(_ writer: inout WriterState) -> (mapping: any MappedRegion, range: Range<Int>)? {
        guard let mapping = writer.mapping else { return nil }
        let page: UInt64 = 4096  // the region rounds to its own page size
        let end = min(writer.fileOffset / page * page, UInt64(mapping.size))
        guard end > writer.unmappedEnd else { return nil }
        defer { writer.unmappedEnd = end }
        return (mapping, Int(writer.unmappedEnd)..<Int(end))
    }

    /// Publishes what the leader's fsync made durable, wakes the threads it
    /// covered and, when threads registered for the next generation, begins
    /// it and wakes one of them to lead it.
    private func endGeneration(durable target: LSN?) {
        let commits = commitCount.load(ordering: .relaxed)
        let (ready, ended, handedOff, previousCommits) = progress.withLock { progress in
            let ready = target.map { progress.recordDurable($0, mirror: durableMirror) } ?? []
            let (ended, handedOff) = progress.group.end(poisoned: progress.failure != nil)
            defer { progress.commitsAtLastSync = commits }
            return (ready, ended, handedOff, progress.commitsAtLastSync)
        }
        // The covered first: they commit again while the next leader wakes,
        // so its write can take their new commits in.
        signal(for: ended).notifyAll()
        if handedOff { signal(for: ended + 1).notifyOne() }
        resume(ready)
        if target != nil { metrics.recordCommitsPerFsync(commits - previousCommits) }
    }
}

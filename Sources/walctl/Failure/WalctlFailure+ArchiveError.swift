import WALArchive

extension WalctlFailure {
    /// The exit code an operator expects for an archive error: damage and a
    /// broken chain are "damaged", a missing archive or restore point "no
    /// input", a bad URL "usage", everything else a failure. The
    /// description names the object, the file and the errno.
    init(archive error: ArchiveError) {
        switch error.code {
        case .corruption, .brokenChain:
            self.init(.damaged, "\(error)")
        case .notFound:
            self.init(.noInput, "\(error)")
        case .invalidArgument:
            self.init(.usage, "\(error)")
        default:
            self.init(.failed, "\(error)")
        }
    }
}

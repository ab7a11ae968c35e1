import WriteAheadLog

extension WalctlFailure {
    /// Maps any error out of the library to the exit code an operator
    /// expects: a lock conflict is "locked", damage is "damaged", the rest
    /// is a failure. The library's own description already names the
    /// operation, file, offset and LSN, so it is kept whole.
    init(_ error: any Error) {
        if let failure = error as? WalctlFailure {
            self = failure
            return
        }
        guard let error = error as? WALError else {
            self.init(.failed, "\(error)")
            return
        }
        switch error.code {
        case .alreadyOpen:
            self.init(.locked, "\(error)")
        case .corruption, .structural, .tooLarge, .eventDecoding:
            self.init(.damaged, "\(error)")
        case .invalidArgument:
            self.init(.noInput, "\(error)")
        case .poisoned, .closed, .io, .eventEncoding, .exhausted:
            self.init(.failed, "\(error)")
        }
    }
}

import ArgumentParser
import WriteAheadLog

/// An LSN typed on the command line: a whole number.
///
/// A wrapper rather than a conformance of `LSN` itself, so the library's
/// type does not grow a command-line protocol it knows nothing about.
struct LSNArgument: ExpressibleByArgument, CustomStringConvertible {
    let lsn: LSN

    init?(argument: String) {
        guard let value = UInt64(argument) else { return nil }
        lsn = LSN(value)
    }

    var description: String { lsn.description }

    static var defaultCompletionKind: CompletionKind { .default }
}

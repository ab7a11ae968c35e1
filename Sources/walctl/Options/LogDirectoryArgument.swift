import ArgumentParser

/// The log directory every log command takes as its first argument.
struct LogDirectoryArgument: ParsableArguments {
    @Argument(
        help: ArgumentHelp("The write-ahead log directory (it holds the NNNNNNNNNN.wal segment files).", valueName: "dir"),
        completion: .directory)
    var path: String

    /// Checks and lists the directory; never creates it.
    func check() throws(WalctlFailure) -> LogDirectory {
        try LogDirectory(checking: path)
    }
}

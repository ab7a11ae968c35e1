/// Who holds a log directory's lock.
enum LockHolder: Equatable {
    /// Nobody: no live handle has the log open.
    case none
    /// A live handle; `pid` is what it wrote into the lock file, if readable.
    case held(pid: Int32?)

    var isHeld: Bool { self != .none }

    /// The holder's pid, when the lock is held and the file names one.
    var pid: Int32? {
        if case .held(let pid) = self { return pid }
        return nil
    }
}

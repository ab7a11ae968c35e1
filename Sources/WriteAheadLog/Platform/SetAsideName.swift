/// The name a file gets when it is set aside (salvage's `quarantine/`, a
/// log continued above its fence's `superseded/`): its own name, or with
/// `.1`, `.2`, ... appended while that is taken, so nothing set aside
/// before is ever overwritten. walctl follows the same rule, so its dry
/// runs name the files a real run will create.
package func setAsideName(for fileName: String, taken: Set<String>) -> String {
    var name = fileName
    var suffix = 1
    while taken.contains(name) {
        name = fileName + ".\(suffix)"
        suffix += 1
    }
    return name
}

extension LogEngine {
    /// `folder/<segment name>` by ``setAsideName(for:taken:)``.
    static func uniqueName(for id: SegmentID, in folder: String, fileSystem: any FileSystem) throws -> String {
        joinPath(folder, setAsideName(for: id.fileName, taken: Set(try fileSystem.listDirectory(folder))))
    }
}

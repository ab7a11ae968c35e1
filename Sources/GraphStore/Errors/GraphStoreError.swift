/// The one error type of the `GraphStore` layer.
///
/// `code` says what kind of failure it was, for programs to match on (an HTTP
/// layer maps ``Code/nodeNotFound`` to 404, say); `message` names the entity,
/// key or byte offset involved, for people. ``description`` reads as one
/// sentence. A mutation that throws has changed nothing and emitted nothing.
public struct GraphStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// A node the operation needs does not exist.
        case nodeNotFound
        /// A relationship the operation needs does not exist.
        case relationshipNotFound
        /// A plain delete was asked of a node that still has relationships;
        /// detach-delete it, or delete its relationships first.
        case nodeHasRelationships
        /// An event asks to create an entity under an id that is already in use.
        case idInUse
        /// The node or relationship id counter reached its end; ids never wrap.
        case idSpaceExhausted
        /// A property value nests deeper than ``PropertyValue/maximumNestingDepth``.
        case invalidValue
        /// Snapshot bytes are not a well-formed snapshot: wrong magic, wrong
        /// length, a malformed body, or counts that disagree with it.
        case snapshotCorrupt
        /// A snapshot checksum (header or body) does not match its bytes.
        case snapshotChecksumMismatch
        /// The snapshot was written in a format version this build cannot read.
        case unsupportedSnapshotVersion
        /// A node would share the value of a uniquely indexed key with
        /// another node of the same label.
        case uniqueConstraintViolation
        /// An index on that label and key exists with the other uniqueness.
        case indexConflict
        /// The operation needs a property index that does not exist
        /// (``GraphStore/mergeNode(label:key:value:labels:properties:events:)``
        /// needs a unique one).
        case indexNotFound
    }

    /// What kind of failure this is, for programs to match on.
    public var code: Code
    /// What went wrong, naming the id, key or field involved.
    public var message: String
    /// For snapshot errors, the byte offset in the snapshot where the problem was found.
    public var offset: Int?

    /// An error of kind `code`; `message` names the entity, key or field involved.
    public init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// `GraphStore <code>[ at snapshot offset N]: <message>`.
    public var description: String {
        var text = "GraphStore \(code.rawValue)"
        if let offset { text += " at snapshot offset \(offset)" }
        return text + ": " + message
    }
}

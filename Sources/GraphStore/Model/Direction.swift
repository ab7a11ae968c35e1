/// Which of a node's relationships a query follows.
public enum Direction: String, Sendable, Hashable, CaseIterable {
    /// Relationships whose source is the node.
    case outgoing
    /// Relationships whose target is the node.
    case incoming
    /// Both; a self-loop is listed once.
    case both
}

extension ArchiveLocation {
    /// The store this location names, encrypting every object with the key
    /// in `keyFile` (see ``EncryptedArchiveStore/loadKey(path:)``) when one
    /// is given.
    public func makeStore(environment: [String: String], keyFile: String?) throws -> any ArchiveStore {
        let store = try makeStore(environment: environment)
        guard let keyFile else { return store }
        return try EncryptedArchiveStore(base: store, key: try EncryptedArchiveStore.loadKey(path: keyFile))
    }
}

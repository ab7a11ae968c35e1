import Foundation

/// A small JSON object of the archive (the head, the lease): readable with
/// any tool, written with sorted keys, and carrying its own format number,
/// which a reader checks before trusting the rest.
protocol ArchiveJSONDocument: Codable {
    /// What the document is called in errors: "head", "lease".
    static var documentName: String { get }
    static var currentFormat: Int { get }
    var format: Int { get }
}

extension ArchiveJSONDocument {
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return Array(try encoder.encode(self))
    }

    /// Decodes the object stored under `key`, refusing an encrypted one read
    /// without its key, invalid JSON and a format this build does not read.
    static func decodeDocument(_ bytes: [UInt8], key: String) throws -> Self {
        if let encrypted = ArchiveError.encryptedWithoutKey(bytes, key: key) { throw encrypted }
        let document: Self
        do {
            document = try JSONDecoder().decode(Self.self, from: Data(bytes))
        } catch {
            throw ArchiveError(.corruption, "the \(documentName) object is not valid JSON: \(error)", key: key)
        }
        guard document.format == currentFormat else {
            throw ArchiveError(
                .corruption, "the \(documentName) has format \(document.format); this build reads \(currentFormat)", key: key)
        }
        return document
    }
}

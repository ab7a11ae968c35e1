import Crypto
import Foundation

/// An ``ArchiveStore`` that encrypts every object before it reaches the
/// store underneath and decrypts it on the way back (AES-256-GCM, from
/// swift-crypto), so the bucket holds no plaintext.
///
/// Each object is `"WALAEAD1"`, a random 12-byte nonce, the ciphertext and
/// the 16-byte tag. The object's key is authenticated with it (GCM's
/// additional data), so an object copied under another key fails to
/// decrypt instead of posing as a different piece. Keys, sizes and the
/// number of objects stay visible; versions and conditions pass through.
public struct EncryptedArchiveStore: ArchiveStore {
    static let magic = Array("WALAEAD1".utf8)
    /// Magic, nonce and tag.
    static let overhead = 8 + 12 + 16

    public let base: any ArchiveStore
    private let key: SymmetricKey

    /// - Parameters:
    ///   - base: the store that holds the encrypted objects.
    ///   - key: 32 bytes.
    public init(base: any ArchiveStore, key: [UInt8]) throws {
        guard key.count == 32 else {
            throw ArchiveError(.invalidArgument, "an archive key is 32 bytes (AES-256); this one has \(key.count)")
        }
        self.base = base
        self.key = SymmetricKey(data: key)
    }

    /// Reads a key file: 32 raw bytes, or 64 hex digits (a trailing newline
    /// allowed), as `head -c 32 /dev/urandom` or `openssl rand -hex 32` make.
    public static func loadKey(path: String) throws -> [UInt8] {
        guard let bytes = try FileArchiveStore.readFile(path, key: "(key file)") else {
            throw ArchiveError(.notFound, "the archive key file does not exist", path: path)
        }
        if bytes.count == 32 { return bytes }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let decoded = parseHex(text), decoded.count == 32 { return decoded }
        throw ArchiveError(
            .invalidArgument, "an archive key file holds 32 bytes or 64 hex digits (openssl rand -hex 32); this one holds \(bytes.count) bytes",
            path: path)
    }

    public func put(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion {
        try await base.put(key, try seal(bytes, key: key), condition: condition)
    }

    public func get(_ key: String) async throws -> StoredObject? {
        guard var object = try await base.get(key) else { return nil }
        object.bytes = try open(object.bytes, key: key)
        object.info.size = object.bytes.count
        return object
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        guard var info = try await base.head(key) else { return nil }
        info.size = max(0, info.size - Self.overhead)
        return info
    }

    public func list(prefix: String, after: String?, limit: Int) async throws -> ListPage {
        var page = try await base.list(prefix: prefix, after: after, limit: limit)
        for index in page.objects.indices { page.objects[index].size = max(0, page.objects[index].size - Self.overhead) }
        return page
    }

    public func delete(_ key: String) async throws {
        try await base.delete(key)
    }

    func seal(_ bytes: [UInt8], key name: String) throws -> [UInt8] {
        do {
            let box = try AES.GCM.seal(bytes, using: key, nonce: AES.GCM.Nonce(), authenticating: Array(name.utf8))
            guard let combined = box.combined else {
                throw ArchiveError(.invalidArgument, "AES-GCM gave no combined form", key: name)
            }
            return Self.magic + Array(combined)
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.invalidArgument, "cannot encrypt the object: \(error)", key: name)
        }
    }

    func open(_ bytes: [UInt8], key name: String) throws -> [UInt8] {
        guard bytes.count >= Self.overhead, Array(bytes.prefix(8)) == Self.magic else {
            throw ArchiveError(
                .corruption, "the object is not encrypted (or not by this archive): an encrypted archive holds no plaintext objects",
                key: name)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: bytes.dropFirst(8))
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(name.utf8)))
        } catch {
            throw ArchiveError(
                .corruption, "the object does not decrypt: the wrong key, an object moved from another key, or damage", key: name)
        }
    }
}

extension ArchiveError {
    /// The error for an encrypted object read without the key, or `nil`
    /// when `bytes` are not an encrypted object.
    static func encryptedWithoutKey(_ bytes: [UInt8], key: String) -> ArchiveError? {
        guard Array(bytes.prefix(8)) == EncryptedArchiveStore.magic else { return nil }
        return ArchiveError(.invalidArgument, "the object is encrypted: give the archive's key file", key: key)
    }
}

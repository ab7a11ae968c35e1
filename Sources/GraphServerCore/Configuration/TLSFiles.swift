/// The PEM files HTTPS is served with (`--tls-cert`, `--tls-key`).
public struct TLSFiles: Sendable, Equatable {
    /// The certificate chain, leaf first.
    public var certificatePath: String
    /// The private key of the leaf certificate, unencrypted.
    public var keyPath: String

    /// Both files; they are read when the server starts.
    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

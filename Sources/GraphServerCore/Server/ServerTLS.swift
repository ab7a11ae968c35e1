import NIOSSL

/// The TLS settings HTTPS is served with, from the PEM files the operator names.
enum ServerTLS {
    /// TLS 1.2 or newer, HTTP/1.1 by ALPN, the chain and key from `files`.
    ///
    /// Throws `invalid_configuration` naming the flag and file when a file
    /// cannot be read, holds no certificate or key, or the key does not
    /// belong to the certificate.
    static func configuration(_ files: TLSFiles) throws(GraphServerError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw GraphServerError(.invalidConfiguration, "--tls-cert \(files.certificatePath): cannot read a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else {
            throw GraphServerError(.invalidConfiguration, "--tls-cert \(files.certificatePath): the file holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw GraphServerError(.invalidConfiguration, "--tls-key \(files.keyPath): cannot read an unencrypted PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw GraphServerError(
                .invalidConfiguration, "--tls-key \(files.keyPath): the key does not fit the certificate in \(files.certificatePath) (\(error))")
        }
        return configuration
    }
}

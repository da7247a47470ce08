import COpenSSL
import Foundation

/// SHA-256 (FIPS 180-4) through OpenSSL's libcrypto (`EVP_Digest` with `EVP_sha256`), which every Debian system has.
///
/// Thread-safety: stateless; safe from any thread.
enum SHA256Digest {
    /// The lowercase hex SHA-256 (64 characters) of `bytes`.
    static func hex<Bytes: ContiguousBytes>(_ bytes: Bytes) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { raw -> Int32 in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(raw.baseAddress, raw.count, out.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        // EVP_Digest fails only when libcrypto cannot allocate a context; a digest that cannot be computed must not
        // match any expected hash, so the caller reports a mismatch rather than accepting the file.
        guard ok == 1 else { return "" }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}

import COpenSSL

/// AES-256-GCM through OpenSSL's EVP cipher interface.
enum AESGCM {
    static let keyBytes = 32
    static let nonceBytes = 12
    static let tagBytes = 16
    /// EVP_*Update takes an `int` length, so input goes in pieces no larger than this.
    private static let chunkBytes = 1 << 20

    /// Encrypts `plaintext` and authenticates it together with `associatedData`.
    static func seal(
        _ plaintext: [UInt8],
        key: [UInt8],
        nonce: [UInt8],
        associatedData: [UInt8]
    ) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        let context = try Context(encrypting: true, key: key, nonce: nonce)
        try context.authenticate(associatedData)
        let ciphertext = try context.transform(plaintext)
        var finalBytes: Int32 = 0
        var unused = [UInt8](repeating: 0, count: tagBytes)
        guard EVP_EncryptFinal_ex(context.pointer, &unused, &finalBytes) == 1 else {
            throw CryptoError.openSSL("AES-GCM encryption")
        }
        // GCM is a stream mode: everything was written by the updates.
        assert(finalBytes == 0)
        var tag = [UInt8](repeating: 0, count: tagBytes)
        guard EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tagBytes), &tag) == 1 else {
            throw CryptoError.openSSL("reading the AES-GCM tag")
        }
        return (ciphertext, tag)
    }

    /// Decrypts `ciphertext`, or returns nil when the tag does not match (wrong key, or altered input).
    static func open(
        _ ciphertext: ArraySlice<UInt8>,
        tag: ArraySlice<UInt8>,
        key: [UInt8],
        nonce: [UInt8],
        associatedData: [UInt8]
    ) throws -> [UInt8]? {
        precondition(tag.count == tagBytes, "AES-GCM tag of \(tag.count) bytes")
        let context = try Context(encrypting: false, key: key, nonce: nonce)
        try context.authenticate(associatedData)
        let plaintext = try context.transform(Array(ciphertext))
        var expectedTag = Array(tag)
        guard EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(tagBytes), &expectedTag) == 1 else {
            throw CryptoError.openSSL("setting the AES-GCM tag")
        }
        var finalBytes: Int32 = 0
        var unused = [UInt8](repeating: 0, count: tagBytes)
        guard EVP_DecryptFinal_ex(context.pointer, &unused, &finalBytes) == 1 else {
            // A tag mismatch is an answer, not a library failure; drop whatever OpenSSL queued for it.
            OpenSSLErrorQueue.drain()
            return nil
        }
        return plaintext
    }

    /// One EVP_CIPHER_CTX, freed with its owner; never shared, so it needs no locking.
    private final class Context {
        let pointer: OpaquePointer
        let encrypting: Bool

        init(encrypting: Bool, key: [UInt8], nonce: [UInt8]) throws {
            precondition(key.count == AESGCM.keyBytes && nonce.count == AESGCM.nonceBytes, "AES-GCM key or nonce size")
            guard let pointer = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL("allocating a cipher context") }
            self.pointer = pointer
            self.encrypting = encrypting
            // 12 bytes is GCM's default nonce length, so no EVP_CTRL_GCM_SET_IVLEN is needed.
            let status =
                encrypting
                ? EVP_EncryptInit_ex(pointer, EVP_aes_256_gcm(), nil, key, nonce)
                : EVP_DecryptInit_ex(pointer, EVP_aes_256_gcm(), nil, key, nonce)
            guard status == 1 else { throw CryptoError.openSSL("initialising AES-256-GCM") }
        }

        deinit { EVP_CIPHER_CTX_free(pointer) }

        func authenticate(_ associatedData: [UInt8]) throws {
            guard !associatedData.isEmpty else { return }
            precondition(associatedData.count <= AESGCM.chunkBytes, "oversized AES-GCM associated data")
            var written: Int32 = 0
            guard update(output: nil, written: &written, input: associatedData[...]) == 1 else {
                throw CryptoError.openSSL("authenticating AES-GCM associated data")
            }
        }

        /// Encrypts or decrypts `input` piece by piece; GCM output is exactly as long as its input.
        func transform(_ input: [UInt8]) throws -> [UInt8] {
            var output = [UInt8](repeating: 0, count: input.count)
            var offset = 0
            while offset < input.count {
                let end = min(offset + AESGCM.chunkBytes, input.count)
                var written: Int32 = 0
                let status = output.withUnsafeMutableBufferPointer { buffer in
                    update(output: buffer.baseAddress! + offset, written: &written, input: input[offset..<end])
                }
                guard status == 1, Int(written) == end - offset else {
                    throw CryptoError.openSSL(encrypting ? "AES-GCM encryption" : "AES-GCM decryption")
                }
                offset = end
            }
            return output
        }

        private func update(
            output: UnsafeMutablePointer<UInt8>?,
            written: inout Int32,
            input: ArraySlice<UInt8>
        ) -> Int32 {
            input.withUnsafeBufferPointer { buffer in
                encrypting
                    ? EVP_EncryptUpdate(pointer, output, &written, buffer.baseAddress, Int32(buffer.count))
                    : EVP_DecryptUpdate(pointer, output, &written, buffer.baseAddress, Int32(buffer.count))
            }
        }
    }
}

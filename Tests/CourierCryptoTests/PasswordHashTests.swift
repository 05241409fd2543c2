import Testing

@testable import CourierCrypto

@Suite struct PasswordHashTests {
    /// Made by Python's hashlib with salt 00 01 … 0f, so the string format is checked against another writer.
    static let pythonScrypt = "$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$GDwdJac+JmJpSDHi9jsS5W7r6v91HPgiJDkcv6g1SUY"
    static let pythonPBKDF2 =
        "$pbkdf2-sha256$i=600000$AAECAwQFBgcICQoLDA0ODw$w9WVtl/u2gOJIEDNYObiwJSmy+NAbitO4cpDcqPoY0E"
    static let pythonPassword = "correct horse B4ttery!"
    /// A cheap hash (1000 PBKDF2 iterations, salt "saltsaltsaltsalt", non-ASCII password), made by Python's hashlib,
    /// to mangle in the malformed cases.
    static let cheap = "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk"
    static let cheapPassword = "pässwörd"

    @Test(arguments: PasswordHash.Scheme.allCases)
    func hashThenVerifyRoundTrips(scheme: PasswordHash.Scheme) throws {
        let stored = try PasswordHash.hash(password: "Str0ng!pass", scheme: scheme)
        #expect(PasswordHash.verify(password: "Str0ng!pass", against: stored))
        #expect(!PasswordHash.verify(password: "Str0ng!pasS", against: stored))
        #expect(!PasswordHash.verify(password: "", against: stored))
    }

    @Test func scryptIsTheDefaultWithTheSpecParameters() throws {
        let stored = try PasswordHash.hash(password: "Str0ng!pass")
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
        #expect(fields.count == 5)
        #expect(stored.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        #expect(fields.last?.count == 43)  // 32 bytes
        #expect(fields.dropLast().last?.count == 22)  // 16 bytes of salt
    }

    @Test func pbkdf2UsesTheSpecIterationCount() throws {
        let stored = try PasswordHash.hash(password: "Str0ng!pass", scheme: .pbkdf2SHA256)
        #expect(stored.hasPrefix("$pbkdf2-sha256$i=600000$"))
    }

    @Test func hashesOfOnePasswordDifferBySalt() throws {
        let first = try PasswordHash.hash(password: "Str0ng!pass")
        let second = try PasswordHash.hash(password: "Str0ng!pass")
        #expect(first != second)
        #expect(PasswordHash.verify(password: "Str0ng!pass", against: first))
        #expect(PasswordHash.verify(password: "Str0ng!pass", against: second))
    }

    @Test(arguments: [pythonScrypt, pythonPBKDF2])
    func verifiesHashesFromAnotherImplementation(stored: String) {
        #expect(PasswordHash.verify(password: Self.pythonPassword, against: stored))
        #expect(!PasswordHash.verify(password: "correct horse B4ttery", against: stored))
    }

    @Test func formatsWhatItParses() throws {
        let stored = try PasswordHash.hash(
            password: Self.cheapPassword,
            parameters: .pbkdf2SHA256(iterations: 1000),
            salt: Array("saltsaltsaltsalt".utf8)
        )
        #expect(stored == Self.cheap)
        #expect(EncodedPasswordHash(parsing: stored)?.string == stored)
        #expect(PasswordHash.verify(password: Self.cheapPassword, against: Self.cheap))
    }

    @Test func emptyPasswordsHashAndVerify() throws {
        let stored = try PasswordHash.hash(
            password: "",
            parameters: .scrypt(costLog2: 4, blockSize: 1, parallelism: 1),
            salt: Array(repeating: 7, count: 16)
        )
        #expect(PasswordHash.verify(password: "", against: stored))
        #expect(!PasswordHash.verify(password: " ", against: stored))
    }

    @Test(arguments: [
        "",
        "$",
        "$$$$",
        "pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",  // no leading $
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk$",  // trailing field
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA",  // no hash
        "$pbkdf2-sha512$i=1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",  // unknown id
        "$PBKDF2-SHA256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",
        // Passlib's bare count.
        "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",
        "$pbkdf2-sha256$i=01000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",  // leading zero
        "$pbkdf2-sha256$i=+1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",
        "$pbkdf2-sha256$i=0$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",
        "$pbkdf2-sha256$i=99999999$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",  // over the cap
        "$pbkdf2-sha256$i=99999999999999999999999$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",
        "$pbkdf2-sha256$i=1000,x=1$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",
        "$pbkdf2-sha256$$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA==$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",  // padded salt
        // Non-canonical salt.
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdB$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2Fs$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMOk",  // 15-byte salt
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMUw",  // its first 16 bytes, which would match
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3-juZMOk",  // URL alphabet
        "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$LNfel4YEPKt6PZ8TDuIMU4OcvJwohBLHvor3SjuZMO",  // hash cut short
        "$scrypt$r=8,ln=15,p=1$AAECAwQFBgcICQoLDA0ODw$GDwdJac+JmJpSDHi9jsS5W7r6v91HPgiJDkcv6g1SUY",  // order
        "$scrypt$ln=15,r=8$AAECAwQFBgcICQoLDA0ODw$GDwdJac+JmJpSDHi9jsS5W7r6v91HPgiJDkcv6g1SUY",  // missing p
        "$scrypt$ln=0,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$GDwdJac+JmJpSDHi9jsS5W7r6v91HPgiJDkcv6g1SUY",
        "$scrypt$ln=64,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$GDwdJac+JmJpSDHi9jsS5W7r6v91HPgiJDkcv6g1SUY",
        "$scrypt$ln=15,r=8,p=100$AAECAwQFBgcICQoLDA0ODw$GDwdJac+JmJpSDHi9jsS5W7r6v91HPgiJDkcv6g1SUY",
        // Parses, but needs 2 GiB: scrypt refuses it and verify answers false.
        "$scrypt$ln=20,r=16,p=1$AAECAwQFBgcICQoLDA0ODw$GDwdJac+JmJpSDHi9jsS5W7r6v91HPgiJDkcv6g1SUY",
    ])
    func malformedHashesNeverVerify(stored: String) {
        #expect(!PasswordHash.verify(password: Self.cheapPassword, against: stored))
        #expect(!PasswordHash.verify(password: Self.pythonPassword, against: stored))
    }
}

import CLMDB
import Glibc
import CourierCore
import Synchronization

/// One LMDB environment (one segment file) and its single unnamed database.
///
/// LMDB caveats this type enforces (lmdb.h, "Caveats"): opened with `MDB_NOTLS` so read slots follow
/// transactions, not threads; a transaction lives inside one synchronous closure and is never held
/// across `await`; the environment is opened once per process. Resizing the map requires that no
/// transaction of this process is active, so readers hold `resizeLock` shared and the writer takes it
/// exclusively to grow the map.
final class LMDBEnvironment: @unchecked Sendable {
    // @unchecked: `handle` is immutable after init; LMDB allows concurrent read transactions with
    // MDB_NOTLS, write transactions come only from the log's writer thread, and `resizeLock` orders
    // map growth against every transaction.
    let path: String
    let readOnly: Bool
    private let handle: OpaquePointer
    private let database: MDB_dbi
    private let resizeLock = ReadWriteLock()

    init(path: String, readOnly: Bool, mapSizeBytes: Int) throws {
        self.path = path
        self.readOnly = readOnly
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "create environment", path: path)
        guard let env else { throw LogError(.storage, "mdb_env_create returned no environment for \(path)") }
        var flags = UInt32(MDB_NOTLS) | UInt32(MDB_NOSUBDIR)
        // Writable: a commit syncs its data pages but not its meta page; the log's writer acknowledges
        // a commit only after the next commit's sync (same file) or an explicit `sync()` covered it.
        flags |= readOnly ? UInt32(MDB_RDONLY) : UInt32(MDB_NOMETASYNC)
        do {
            try check(mdb_env_set_mapsize(env, mapSizeBytes), "set map size", path: path)
            try check(mdb_env_set_maxreaders(env, 256), "set max readers", path: path)
            try check(mdb_env_open(env, path, flags, 0o644), "open", path: path)
        } catch {
            mdb_env_close(env)
            throw error
        }
        handle = env
        var dbi: MDB_dbi = 0
        var txn: OpaquePointer?
        do {
            try check(mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn), "begin transaction", path: path)
            let rc = mdb_dbi_open(txn, nil, 0, &dbi)
            if rc != 0 {
                mdb_txn_abort(txn)
                try check(rc, "open database", path: path)
            }
            try check(mdb_txn_commit(txn), "commit", path: path)
        } catch {
            mdb_env_close(env)
            throw error
        }
        database = dbi
    }

    deinit { mdb_env_close(handle) }

    /// Runs `body` in a read transaction that ends before this returns.
    func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try resizeLock.withReadLock {
            var txn: OpaquePointer?
            var rc = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn)
            if rc == MDB_MAP_RESIZED {
                // Another process (the node's writer) grew the map: adopt its size and retry.
                _ = mdb_env_set_mapsize(handle, 0)
                rc = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn)
            }
            try check(rc, "begin read transaction", path: path)
            defer { mdb_txn_abort(txn) }
            var cursor: OpaquePointer?
            try check(mdb_cursor_open(txn, database, &cursor), "open cursor", path: path)
            defer { mdb_cursor_close(cursor) }
            return try body(ReadTransaction(cursor: cursor!))
        }
    }

    /// Runs `body` in a write transaction and commits it (with LMDB's default durable sync).
    /// Writer thread only. On `MDB_MAP_FULL` the map grows and `body` runs again from scratch.
    func write(_ body: (WriteTransaction) throws -> Void) throws {
        precondition(!readOnly, "write to read-only segment \(path)")
        while true {
            var txn: OpaquePointer?
            try check(mdb_txn_begin(handle, nil, 0, &txn), "begin write transaction", path: path)
            do {
                try body(WriteTransaction(txn: txn!, database: database, path: path))
                try check(mdb_txn_commit(txn), "commit", path: path)
                return
            } catch let error as LMDBMapFull {
                _ = error
                mdb_txn_abort(txn)
                try grow()
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
        }
    }

    /// Flushes everything committed so far to stable storage (`mdb_env_sync` forced): with
    /// `MDB_NOMETASYNC` this is what makes the newest commit's meta page durable.
    func sync() throws {
        precondition(!readOnly, "sync of read-only segment \(path)")
        try check(mdb_env_sync(handle, 1), "sync", path: path)
    }

    /// Doubles the map; only between transactions of this process.
    func grow() throws {
        try resizeLock.withWriteLock {
            let size = info().mapSizeBytes
            try check(mdb_env_set_mapsize(handle, size * 2), "grow map", path: path)
        }
    }

    struct Info {
        var mapSizeBytes: Int
        var usedBytes: Int
    }

    func info() -> Info {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(handle, &info)
        mdb_env_stat(handle, &stat)
        return Info(mapSizeBytes: info.me_mapsize, usedBytes: (info.me_last_pgno + 1) * Int(stat.ms_psize))
    }
}

/// Thrown inside a write transaction to make `write` grow the map and retry.
struct LMDBMapFull: Error {}

/// A read transaction's cursor over `(shard, seq)` keys.
struct ReadTransaction {
    let cursor: OpaquePointer

    /// Positions at the first key ≥ (shard, seq) and returns it with the value bytes (valid only
    /// inside the transaction), or nil past the end.
    func seek(shard: UInt16, seq: UInt64) throws -> (shard: UInt16, seq: UInt64, value: UnsafeRawBufferPointer)? {
        var keyBytes = Record.key(shard: shard, seq: seq)
        return try keyBytes.withUnsafeMutableBytes { buffer in
            var key = MDB_val(mv_size: buffer.count, mv_data: buffer.baseAddress)
            return try get(&key, MDB_SET_RANGE)
        }
    }

    /// Positions at the first key after `key` (exclusive), or at the very first key when nil: how
    /// chunked scans resume in a new read transaction.
    func seek(after key: (shard: UInt16, seq: UInt64)?) throws -> (shard: UInt16, seq: UInt64, value: UnsafeRawBufferPointer)? {
        guard let key else { return try first() }
        let found = try seek(shard: key.shard, seq: key.seq)
        if let found, found.shard == key.shard, found.seq == key.seq { return try next() }
        return found
    }

    func next() throws -> (shard: UInt16, seq: UInt64, value: UnsafeRawBufferPointer)? {
        var key = MDB_val()
        return try get(&key, MDB_NEXT)
    }

    func previous() throws -> (shard: UInt16, seq: UInt64, value: UnsafeRawBufferPointer)? {
        var key = MDB_val()
        return try get(&key, MDB_PREV)
    }

    func last() throws -> (shard: UInt16, seq: UInt64, value: UnsafeRawBufferPointer)? {
        var key = MDB_val()
        return try get(&key, MDB_LAST)
    }

    func first() throws -> (shard: UInt16, seq: UInt64, value: UnsafeRawBufferPointer)? {
        var key = MDB_val()
        return try get(&key, MDB_FIRST)
    }

    private func get(_ key: inout MDB_val, _ op: MDB_cursor_op) throws -> (shard: UInt16, seq: UInt64, value: UnsafeRawBufferPointer)? {
        var value = MDB_val()
        let rc = mdb_cursor_get(cursor, &key, &value, op)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "read", path: "")
        let keyBuffer = UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)
        guard let position = Record.position(fromKey: keyBuffer) else {
            throw LogError(.corrupted, "key of \(key.mv_size) bytes is not a (shard, seq) key")
        }
        return (position.shard, position.seq, UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }
}

struct WriteTransaction {
    let txn: OpaquePointer
    let database: MDB_dbi
    let path: String

    /// Reserves `count` bytes at (shard, seq) and lets `fill` write the record in place (`MDB_RESERVE`,
    /// no copy). With `append`, the key must sort after every key in the segment, and LMDB skips the
    /// tree search (`MDB_APPEND`); the writer sorts each batch so that is the common case.
    func put(shard: UInt16, seq: UInt64, count: Int, append: Bool, fill: (UnsafeMutableRawBufferPointer) -> Void) throws {
        var keyBytes = Record.key(shard: shard, seq: seq)
        try keyBytes.withUnsafeMutableBytes { buffer in
            var key = MDB_val(mv_size: buffer.count, mv_data: buffer.baseAddress)
            var value = MDB_val(mv_size: count, mv_data: nil)
            let flags = UInt32(append ? MDB_APPEND : MDB_NOOVERWRITE) | UInt32(MDB_RESERVE)
            let rc = mdb_put(txn, database, &key, &value, flags)
            if rc == MDB_MAP_FULL { throw LMDBMapFull() }
            precondition(rc != MDB_KEYEXIST, "shard \(shard) seq \(seq) written out of order or twice in \(path)")
            try check(rc, "write shard \(shard) seq \(seq)", path: path)
            fill(UnsafeMutableRawBufferPointer(start: value.mv_data, count: count))
        }
    }
}

/// The one place LMDB return codes become errors.
func check(_ rc: Int32, _ action: String, path: String) throws {
    guard rc != 0 else { return }
    let text = String(cString: mdb_strerror(rc))
    let where_ = path.isEmpty ? "" : " (\(path))"
    switch rc {
    case ENOSPC: throw LogError(.diskFull, "no space left on device while trying to \(action)\(where_)")
    case ENOENT: throw LogError(.notADataDirectory, "cannot \(action): \(text)\(where_)")
    case MDB_VERSION_MISMATCH, MDB_INVALID:
        throw LogError(.corrupted, "cannot \(action): \(text)\(where_); run `courier log verify`")
    default: throw LogError(.storage, "cannot \(action): \(text)\(where_)")
    }
}

/// A pthread read-write lock (Swift's `Mutex` has no shared mode).
final class ReadWriteLock: @unchecked Sendable {
    // @unchecked: the pthread lock is the synchronization; it lives at a stable heap address.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func withReadLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func withWriteLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}

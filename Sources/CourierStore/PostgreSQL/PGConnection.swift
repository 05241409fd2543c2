import CLibPQ
import Foundation

/// One libpq connection. Not thread-safe: a connection belongs to one `PGWorker` thread, which is
/// the only caller (STYLE.md §3: each connection on its own thread).
public final class PGConnection {
    private var handle: OpaquePointer?
    public let url: String

    /// Connects, or throws `.connection` with libpq's message (which never contains the password).
    public init(url: String) throws {
        self.url = url
        handle = PQconnectdb(url)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { Self.errorMessage($0) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw StoreError(.connection, "cannot connect to PostgreSQL: \(message)")
        }
        // Notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { if let handle { PQfinish(handle) } }

    public var isHealthy: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Runs SQL without parameters (DDL, BEGIN/COMMIT); returns the rows of the last statement.
    @discardableResult
    public func execute(_ sql: String) throws -> PGRows {
        let result = PQexec(try connection(), sql)
        return try consume(result)
    }

    /// Runs one statement with text parameters (`$1`, `$2`, …): values are never spliced into SQL.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?]) throws -> PGRows {
        let connection = try connection()
        let cStrings = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        let result = cStrings.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) { values in
                PQexecParams(connection, sql, Int32(parameters.count), nil, parameters.isEmpty ? nil : values, nil, nil, 0)
            }
        }
        return try consume(result)
    }

    /// `COPY … FROM STDIN (FORMAT binary)` with `data` already in PostgreSQL's binary copy format.
    public func copyIn(_ sql: String, data: [UInt8]) throws {
        let connection = try connection()
        let start = PQexec(connection, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try consume(start)
            throw StoreError(.query, "COPY did not start")
        }
        PQclear(start)
        let sent = data.withUnsafeBytes { bytes in
            PQputCopyData(connection, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
        guard sent == 1, PQputCopyEnd(connection, nil) == 1 else {
            throw StoreError(.connection, "COPY failed: \(Self.errorMessage(connection))")
        }
        var failure: (any Error)? = nil
        while let result = PQgetResult(connection) {
            do { _ = try consume(result) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    private func connection() throws -> OpaquePointer {
        guard let handle else { throw StoreError(.closed, "the PostgreSQL connection is closed") }
        return handle
    }

    /// The one place libpq results become rows or errors.
    private func consume(_ result: OpaquePointer?) throws -> PGRows {
        guard let result else {
            throw StoreError(.connection, "PostgreSQL returned no result: \(handle.map(Self.errorMessage) ?? "closed")")
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return PGRows(columns: [], rows: [], affected: Int(String(cString: PQcmdTuples(result))) ?? 0)
        case PGRES_TUPLES_OK:
            return PGRows(result)
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            let lost = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
            throw StoreError(lost ? .connection : .query, message.isEmpty ? "PostgreSQL error" : message, sqlState: state)
        }
    }

    static func errorMessage(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A query's rows as text (libpq's text format), copied out before the result is freed.
public struct PGRows: Sendable {
    public var columns: [String]
    public var rows: [[String?]]
    public var affected: Int

    init(columns: [String], rows: [[String?]], affected: Int) {
        self.columns = columns
        self.rows = rows
        self.affected = affected
    }

    init(_ result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        rows = (0..<Int(PQntuples(result))).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1
                    ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
        }
        affected = rows.count
    }

    public subscript(row: Int, column: String) -> String? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return rows[row][index]
    }
}

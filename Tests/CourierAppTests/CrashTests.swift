import CourierApp
import CourierCore
import CourierLog
import CourierTesting
import Foundation
import Logging
import Testing

/// kill -9 during concurrent appends: every acknowledged append is present exactly once afterwards,
/// no record is half-present, and `courier log verify` passes (eventlog.md §3).
@Suite struct CrashTests {
    @Test(arguments: [1, 2, 3])
    func acknowledgedAppendsSurviveKillNine(round: Int) async throws {
        let directory = try TemporaryDirectory("courier-crash")
        defer { directory.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try courierExecutable())
        process.arguments = ["debug", "append-load", "--data-dir", directory.path, "--appenders", "64", "--shards", "4"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Let it run a random while (seeded by the round so a failure can be rerun), then kill -9.
        var random = SeededRandom(seed: UInt64(round) * 7919)
        let deadline = Date().addingTimeInterval(0.4 + Double(random.next() % 1000) / 1000)
        var acknowledged = Data()
        let reader = output.fileHandleForReading
        while Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            acknowledged.append(chunk)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        acknowledged.append(reader.readDataToEndOfFile())
        #expect(process.terminationReason == .uncaughtSignal)

        let acks = String(decoding: acknowledged, as: UTF8.self).split(separator: "\n").compactMap { line -> (UInt16, UInt64, String)? in
            let parts = line.split(separator: " ")
            guard parts.count == 4, parts[0] == "ack", let shard = UInt16(parts[1]), let seq = UInt64(parts[2]) else { return nil }
            return (shard, seq, String(parts[3]))
        }
        #expect(acks.count > 100, "the appender acknowledged only \(acks.count) appends before the kill")

        let log = try LMDBEventLog(directory: directory.path + "/log", clock: { .zero }, logger: Logger(label: "test"))
        var seen: [String: Int] = [:]
        var records: [UInt16: [UInt64: String]] = [:]
        for stream in log.streams() {
            var expected: UInt64 = 1
            try log.forEachRecord(shard: stream.shard) { record in
                #expect(record.seq == expected, "gap in shard \(stream.shard)")
                expected = record.seq + 1
                let id = try SendEvent(decoding: record.payload).messageID
                seen[id, default: 0] += 1
                records[record.shard, default: [:]][record.seq] = id
            }
        }
        for (shard, seq, tag) in acks {
            #expect(records[shard]?[seq] == tag, "acknowledged \(tag) at \(shard):\(seq) is missing after kill -9")
        }
        #expect(seen.values.allSatisfy { $0 == 1 }, "some message is present twice")
        // A two-event append is all-or-nothing.
        for id in seen.keys where id.hasSuffix("-twin") {
            #expect(seen[String(id.dropLast(5))] == 1, "\(id) present without its pair")
        }
        for id in seen.keys where !id.hasSuffix("-twin") {
            if let index = id.split(separator: "-").last.flatMap({ Int($0) }), index % 5 == 0 {
                #expect(seen[id + "-twin"] == 1, "\(id) present without its pair")
            }
        }
        await log.close()
        let verify = try runCourier(["log", "verify", "--data-dir", directory.path])
        #expect(verify.code == 0, "\(verify.out)")
    }
}

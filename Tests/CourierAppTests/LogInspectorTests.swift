import CourierApp
import CourierCore
import CourierLog
import CourierTesting
import Foundation
import Testing

@Suite struct LogInspectorTests {
    @Test func listDumpStatsShowWhatWasWritten() async throws {
        let directory = try await makeDataDirectory(sends: 20)
        defer { directory.remove() }
        let lines = Lines()
        let inspector = try LogInspector(dataDirectoryPath: directory.path, output: lines.append)
        inspector.list(.init())
        #expect(lines.all[0].hasPrefix("node 0123456789ab"))
        #expect(lines.all.contains { $0.hasPrefix("0        1      1          10 ") })
        #expect(lines.all.last == "divergent: none")

        let dumped = Lines()
        let dumper = try LogInspector(dataDirectoryPath: directory.path, output: dumped.append)
        var options = LogInspector.DumpOptions()
        options.filter.shard = 1
        options.filter.fromSeq = 3
        options.limit = 2
        try dumper.dump(options)
        #expect(dumped.all.count == 2)
        #expect(dumped.all[0].hasPrefix("1:3 "))
        #expect(dumped.all[0].contains("send"))
        #expect(dumped.all[0].contains("id=m-1-5"))
        options.json = true
        options.limit = 1
        let json = Lines()
        try LogInspector(dataDirectoryPath: directory.path, output: json.append).dump(options)
        let object = try JSONParser.parse(Array(json.all[0].utf8))
        #expect(object["shard"] == 1)
        #expect(object["seq"] == 3)
        #expect(object["kind"] == "send")
        #expect(object["payload"]?["id"] == "m-1-5")
        #expect(object["checksum"]?.stringValue?.hasPrefix("crc32c:") == true)

        let byID = Lines()
        var idOptions = LogInspector.DumpOptions()
        idOptions.filter.messageID = "m-0-8"
        try LogInspector(dataDirectoryPath: directory.path, output: byID.append).dump(idOptions)
        #expect(byID.all.count == 1)
        #expect(byID.all[0].hasPrefix("0:5 "))

        let stats = Lines()
        try LogInspector(dataDirectoryPath: directory.path, output: stats.append).stats(.init())
        #expect(stats.all.contains { $0.hasPrefix("stream 0   epoch 1   records 10") })
        #expect(stats.all.contains("  send 10"))
    }

    @Test func tailShowsTheNewestRecordsAcrossStreamsByTime() async throws {
        let directory = try await makeDataDirectory(sends: 30, shards: 3)
        defer { directory.remove() }
        let lines = Lines()
        var options = LogInspector.TailOptions()
        options.count = 4
        try LogInspector(dataDirectoryPath: directory.path, output: lines.append).tail(options)
        #expect(lines.all.map { String($0.prefix(4)) } == ["2:9 ", "0:10", "1:10", "2:10"])
    }

    @Test func verifyPassesOnAHealthyLogWithSealedSegments() async throws {
        let directory = try await makeDataDirectory(sends: 3000, segmentSizeBytes: 256 << 10)
        defer { directory.remove() }
        let lines = Lines()
        let report = try LogInspector(dataDirectoryPath: directory.path, output: lines.append).verify(.init())
        #expect(report.healthy, "\(report.problems)")
        #expect(report.records == 3000)
        #expect(report.segments > 2)
        #expect(lines.all.last?.hasPrefix("ok: 3000 records in") == true)
    }

    @Test func verifyReportsAFlippedByteWithItsPosition() async throws {
        let directory = try await makeDataDirectory(sends: 20)
        defer { directory.remove() }
        // Damage the payload of message m-1-7 (shard 1, seq 4) in the segment file: every copy of it,
        // since LMDB's copy-on-write leaves stale copies in free pages and only the live one counts.
        let segment = directory.path + "/log/000000000001.mdb"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
        let marker = Array("m-1-7".utf8)
        let offsets = bytes.indices.filter { bytes[$0..<min($0 + marker.count, bytes.count)].elementsEqual(marker) }
        #expect(!offsets.isEmpty)
        for offset in offsets { bytes[offset + 2] ^= 0x01 }
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        let lines = Lines()
        let report = try LogInspector(dataDirectoryPath: directory.path, output: lines.append).verify(.init())
        #expect(!report.healthy)
        #expect(report.firstProblemPosition == "shard 1 seq 4")
        #expect(lines.all.first?.contains("checksum mismatch") == true)
        #expect(lines.all.first?.contains("shard 1, seq 4") == true)
        #expect(lines.all.last == "verify failed: 1 problems, first at shard 1 seq 4")

        let cli = try runCourier(["log", "verify", "--data-dir", directory.path])
        #expect(cli.code == 1)
        #expect(cli.out.contains("checksum mismatch"))

        // A node refuses to start on a damaged active segment, naming the place and the tool.
        let serve = try runCourier(
            ["serve", "--data-dir", directory.path, "--listen", "127.0.0.1:0"], environment: ["COURIER_MIN_FREE_BYTES": "0"])
        #expect(serve.code == 2)
        #expect(serve.err.contains("shard 1, seq 4"))
        #expect(serve.err.contains("courier log verify"))
    }

    @Test func badArgumentsAndDirectoriesExitTwoWithOneLine() async throws {
        let directory = try await makeDataDirectory(sends: 1)
        defer { directory.remove() }
        let empty = try TemporaryDirectory("courier-empty")
        defer { empty.remove() }
        let cases: [[String]] = [
            ["log", "list", "--data-dir", "/nonexistent/courier"],
            ["log", "list", "--data-dir", empty.path],
            ["log", "dump", "--data-dir", directory.path, "--kind", "nonsense"],
            ["log", "dump", "--data-dir", directory.path, "--shard", "99"],
            ["log", "dump", "--data-dir", directory.path, "--since", "yesterday"],
            ["log", "dump", "--data-dir", directory.path, "--from-seq", "x"],
            ["log", "frobnicate"],
            ["serve", "--role", "chief"],
            ["serve", "--listen", "nowhere", "--data-dir", empty.path],
        ]
        for arguments in cases {
            let result = try runCourier(arguments)
            #expect(result.code == 2, "\(arguments): \(result)")
            #expect(result.err.split(separator: "\n").count == 1, "\(arguments): \(result.err)")
            #expect(!result.err.contains("Fatal error"))
        }
        let ok = try runCourier(["log", "dump", "--data-dir", directory.path, "--json"])
        #expect(ok.code == 0)
        #expect(ok.out.split(separator: "\n").count == 1)
    }
}

import CourierApp
import CourierCore
import CourierLog
import CourierShards
import CourierTesting
import Foundation
import Logging
import Testing

/// kill -9 at seeded random points while message GC runs under traffic: the restarted node replays
/// from its snapshots, no acknowledged unsent message was collected, a new GC run completes, and
/// `courier log verify` passes (eventlog.md §7).
@Suite struct GCCrashTests {
    @Test(arguments: [1, 2, 3])
    func gcSurvivesKillNine(round: Int) async throws {
        let directory = try TemporaryDirectory("courier-gc-crash")
        defer { directory.remove() }
        var random = SeededRandom(seed: UInt64(round) * 104_729)
        var unsent: Set<String> = []
        var runs = 0
        var users: Set<String> = []
        // Two lives, each killed at a random point.
        for life in 0..<2 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try courierExecutable())
            process.arguments = ["debug", "gc-load", "--data-dir", directory.path]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let delay = 1.0 + Double(random.next() % 2000) / 1000
            var deadline = Date().addingTimeInterval(delay)
            var data = Data()
            let reader = output.fileHandleForReading
            // The first life runs until a GC run completed (on a busy machine that can take longer than the
            // random delay), then for the random delay more: the kill lands in a later run or between runs.
            var waitingForARun = life == 0
            let giveUp = Date().addingTimeInterval(120)
            while Date() < deadline || (waitingForARun && Date() < giveUp) {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
                if waitingForARun, String(decoding: data, as: UTF8.self).contains(" complete\n") {
                    waitingForARun = false
                    deadline = Date().addingTimeInterval(delay)
                }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            data.append(reader.readDataToEndOfFile())
            #expect(process.terminationReason == .uncaughtSignal, "life \(life) ended before the kill")
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 3, parts[0] == "ack" { unsent.insert(String(parts[1])) }
                if parts.count == 3, parts[0] == "gc", parts[2] == "complete" { runs += 1 }
                if parts.count == 3, parts[0] == "user" { users.insert(String(parts[1])) }
            }
        }
        #expect(unsent.count > 50, "only \(unsent.count) sends acknowledged before the kills")
        #expect(runs > 0, "no GC run completed before the kills")

        let (log, shards, gc, control) = try await GCLoadRunner.openWithControl(
            dataDirectory: directory.path, logger: Logger(label: "test"))
        // Users acknowledged before a kill (control snapshots were written every 3 records) are all back.
        #expect(users.count > 0)
        for username in users { #expect(await control.user(named: username) != nil, "user \(username) lost") }
        var present: Set<String> = []
        for actor in shards.actors { present.formUnion(await actor.snapshot.messages.keys) }
        #expect(unsent.isSubset(of: present), "\(unsent.subtracting(present).count) unsent messages were lost")
        await gc.start()
        let result = await gc.waitForCompletion()
        #expect(result?.status == "complete")
        for actor in shards.actors {
            let state = await actor.snapshot
            #expect(state.gcRun == nil)
            #expect(state.messages.values.allSatisfy { $0.status == .accepted }, "a read message survived a complete run")
        }
        await log.close()
        let verify = try runCourier(["log", "verify", "--data-dir", directory.path])
        #expect(verify.code == 0, "\(verify.out)\(verify.err)")
        let stats = try runCourier(["log", "stats", "--shard", "0", "--data-dir", directory.path])
        #expect(stats.out.contains("last gc: gc-") && stats.out.contains("complete"), "\(stats.out)")
        let dump = try runCourier(["log", "dump", "--shard", "0", "--kind", "gc,snapshot,rotation", "--json", "--data-dir", directory.path])
        #expect(dump.out.contains("\"phase\":\"end\"") && dump.out.contains("\"covered_seq\""), "\(dump.out.prefix(500))")
    }
}

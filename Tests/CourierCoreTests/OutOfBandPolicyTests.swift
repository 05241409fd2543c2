@testable import CourierCore
import CourierTesting
import Testing

/// Out-of-band errors (webhooks.md §6), driven by a manual clock: which conditions fire, at most once per
/// condition per 5 minutes, at most 3 posts each.
@Suite struct OutOfBandPolicyTests {
    let clock = ManualClock(Timestamp(microseconds: 1_000_000_000))

    func seconds(_ value: Int64) { clock.advance(microseconds: value * 1_000_000) }

    func policy(floor: Int = 1000) -> OutOfBandPolicy {
        var thresholds = OutOfBandPolicy.Thresholds()
        thresholds.minimumFreeBytes = floor
        return OutOfBandPolicy(nodeKey: "wacore1:3f9a0c2b7d41", thresholds: thresholds)
    }

    @Test func aGatewaySessionLostFor30SecondsIsReportedOnceWithTheSpecBody() throws {
        var policy = policy()
        #expect(policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now).isEmpty)
        seconds(29)
        #expect(policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now).isEmpty)
        seconds(1)
        let errors = policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now)
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.condition == .gatewaySessionLost)
        #expect(
            error.body == [
                "errors": [["code": 1011, "title": "Service not ready", "details": "gateway session lost on wacore1:3f9a0c2b7d41 for 30 s"]]
            ])
        #expect(error.delivery(nodeKey: "wacore1:3f9a0c2b7d41") == "wacore1:3f9a0c2b7d41:oob-1011-\(clock.now.microseconds / 1000)")
        // Still lost: nothing more within 5 minutes.
        for _ in 0..<299 {
            seconds(1)
            #expect(policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now).isEmpty)
        }
        seconds(1)
        #expect(policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now).map(\.condition) == [.gatewaySessionLost])
    }

    @Test func aSessionBackBeforeTheThresholdRestartsTheCount() {
        var policy = policy()
        _ = policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now)
        seconds(20)
        #expect(policy.observe(OutOfBandObservation(gatewayConnected: true), now: clock.now).isEmpty)
        #expect(policy.gatewayLostSince == nil)
        seconds(1)
        _ = policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now)
        seconds(20)
        #expect(policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now).isEmpty)
        seconds(10)
        #expect(policy.observe(OutOfBandObservation(gatewayConnected: false), now: clock.now).map(\.condition) == [.gatewaySessionLost])
    }

    @Test func replicationLagAbove60SecondsIsReported() throws {
        var policy = policy()
        #expect(policy.observe(OutOfBandObservation(replicationLagSeconds: 60), now: clock.now).isEmpty)
        let error = try #require(policy.observe(OutOfBandObservation(replicationLagSeconds: 61.5), now: clock.now).first)
        #expect(error.condition.code == 1023)
        #expect(error.body["errors"]?.arrayValue?.first?["title"] == "Database error occurred")
        #expect(error.details.contains("lagging 61 s"))
        #expect(policy.observe(OutOfBandObservation(replicationLagSeconds: 600), now: clock.now).isEmpty)
    }

    @Test func freeSpaceBelowTheFloorNamesThePathsBelowIt() throws {
        var policy = policy(floor: 1000)
        let fine = OutOfBandObservation(freeBytes: [(path: "/data", bytes: 1000), (path: "/media", bytes: nil)])
        #expect(policy.observe(fine, now: clock.now).isEmpty)
        let low = OutOfBandObservation(freeBytes: [(path: "/data", bytes: 5000), (path: "/media", bytes: 999)])
        let error = try #require(policy.observe(low, now: clock.now).first)
        #expect(error.condition.code == 1016)
        #expect(error.body["errors"]?.arrayValue?.first?["title"] == "System overloaded")
        #expect(error.details.contains("/media has 999 bytes free"))
        #expect(!error.details.contains("/data"))
    }

    @Test func conditionsAreRateLimitedIndependently() {
        var policy = policy(floor: 1000)
        let everything = OutOfBandObservation(gatewayConnected: false, replicationLagSeconds: 90, freeBytes: [(path: "/data", bytes: 1)])
        #expect(policy.observe(everything, now: clock.now).map(\.condition) == [.replicationLag, .freeSpaceLow])
        seconds(30)
        #expect(policy.observe(everything, now: clock.now).map(\.condition) == [.gatewaySessionLost])
        #expect(policy.report(.reshardRolledBack, details: "cutover of shard 1 not done within 10 s", now: clock.now)?.condition.code == 1014)
        #expect(policy.report(.reshardRolledBack, details: "again", now: clock.now) == nil)
        seconds(270)
        // 5 minutes after the first two: those fire again; the gateway one is 30 s younger.
        #expect(policy.observe(everything, now: clock.now).map(\.condition) == [.replicationLag, .freeSpaceLow])
        seconds(30)
        #expect(policy.observe(everything, now: clock.now).map(\.condition) == [.gatewaySessionLost])
        #expect(policy.report(.reshardRolledBack, details: "later", now: clock.now)?.details == "later")
    }

    @Test func aCallbackIsPostedAtMostThreeTimes() {
        let policy = policy()
        #expect(policy.retryDelay(afterFailedAttempt: 1) == .seconds(1))
        #expect(policy.retryDelay(afterFailedAttempt: 2) == .seconds(2))
        #expect(policy.retryDelay(afterFailedAttempt: 3) == nil)
    }
}

extension OutOfBandPolicyTests {
    @Test func aStreamWhoseWatermarkStopsMovingLagsEvenWhenTheReplicatorsFigureIsStale() {
        var policy = policy()
        func observe(_ replicated: UInt64, _ last: UInt64) -> [OutOfBandError] {
            let progress = [ReplicationProgress(shard: 0, replicatedSeq: replicated, lastSeq: last), ReplicationProgress(shard: 1, replicatedSeq: 9, lastSeq: 9)]
            return policy.observe(OutOfBandObservation(replicationLagSeconds: 0, replication: progress), now: clock.now)
        }
        #expect(observe(5, 8).isEmpty)
        seconds(40)
        // The watermark moved: the count restarts.
        #expect(observe(6, 8).isEmpty)
        seconds(60)
        #expect(observe(6, 9).isEmpty)
        seconds(1)
        let error = observe(6, 9).first
        #expect(error?.condition == .replicationLag)
        #expect(error?.details.contains("lagging 61 s") == true)
        // Caught up: nothing is stalled any more.
        #expect(observe(9, 9).isEmpty)
        #expect(policy.stalled.isEmpty)
    }
}

import Synchronization
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterWorkloads

/// Plays conversations against an endpoint: each call at its time (the end of what came before plus the program's or the
/// trace's wait), its answer back into the context, its branches in parallel. The decisions are the `ConversationPlayer`'s;
/// this only sends, waits and records.
struct ConversationDriver: Sendable {
    let client: StreamingHTTPClient
    /// Whether responses stream (a recorded call may say otherwise).
    let streamed: Bool
    /// The dialect.
    let api: APIKind
    /// True when prompt token counts are exact (synthetic words against the reference target or a matched tokenizer).
    let exactPrompts: Bool
    /// Waits are divided by this; nil: no waits.
    let speedup: Double?
    let requestIDPrefix: String
    let requestIDs: Counter
    let progress: ProgressCounters?

    /// A thread-safe counter.
    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        /// The current value, then one more.
        func next() -> Int { count.add(1, ordering: .relaxed).oldValue }
        /// Adds `n` (negative to take away).
        func add(_ n: Int) { count.add(n, ordering: .relaxed) }
        /// The current value.
        var value: Int { count.load(ordering: .relaxed) }
    }

    /// What playing (a branch of) a conversation left.
    struct Outcome: Sendable {
        var player: ConversationPlayer
        var records: [RequestRecord]
        /// When its last call ended, or when it would have gone on.
        var end: UInt64
    }

    /// A wait of `seconds` as this run plays it, in ns.
    func delay(_ seconds: Double) -> UInt64 { speedup.map { UInt64(max(0, seconds) / $0 * 1e9) } ?? 0 }

    /// Plays a conversation (or one of its branches) from `readyAt` until it is done, failed or cancelled.
    func play(_ initialPlayer: ConversationPlayer, conversation: Int, phase: RequestPhase, encoder initialEncoder: HistoryEncoder,
              readyAt initialReady: UInt64, calls: Counter) async -> Outcome {
        var player = initialPlayer
        var encoder = initialEncoder
        var readyAt = initialReady
        var records: [RequestRecord] = []
        while !Task.isCancelled {
            switch player.next() {
            case .done:
                return Outcome(player: player, records: records, end: readyAt)
            case let .call(call):
                let record = await send(call, at: readyAt + delay(call.waitSeconds), conversation: conversation, phase: phase,
                                        encoder: &encoder, call: calls.next())
                records.append(record)
                readyAt = record.completedNanoseconds ?? MonotonicClock.nowNanoseconds()
                if record.succeeded {
                    player.answered(record.joinedContent, tokens: record.answerTokens)
                } else {
                    player.failed()
                }
            case let .fork(branches, wait):
                let start = readyAt + delay(wait)
                let shared = encoder
                let outcomes = await withTaskGroup(of: (Int, Outcome).self, returning: [Outcome].self) { group in
                    for (i, branch) in branches.enumerated() {
                        group.addTask {
                            (i, await play(branch, conversation: conversation, phase: phase, encoder: shared, readyAt: start, calls: calls))
                        }
                    }
                    var all: [(Int, Outcome)] = []
                    for await outcome in group { all.append(outcome) }
                    return all.sorted { $0.0 < $1.0 }.map(\.1)
                }
                records += outcomes.flatMap(\.records)
                readyAt = max(start, outcomes.map(\.end).max() ?? start)
                player.joined(outcomes.map(\.player))
            }
        }
        return Outcome(player: player, records: records, end: readyAt)
    }

    /// Sends one call at `scheduled` and records it. A long wait is slept off first, so no connection idles through it (a
    /// server may close an idle keep-alive connection after a few seconds).
    func send(_ call: ConversationCall, at scheduled: UInt64, conversation: Int, phase: RequestPhase, encoder: inout HistoryEncoder,
              call index: Int) async -> RequestRecord {
        let lead: UInt64 = 200_000_000
        let now = MonotonicClock.nowNanoseconds()
        if scheduled > now + 5 * lead { try? await Task.sleep(nanoseconds: scheduled - lead - now) }
        let messages = call.messages.map { HistoryMessage(id: $0.id, role: $0.role.rawValue, text: $0.text) }
        let request = encoder.request(messages, maxTokens: call.maxTokens, stream: call.stream)
        let id = requestIDs.next()
        let raw = await client.execute(request, requestID: requestIDPrefix + String(id), sendAt: scheduled)
        var record = RequestRecord(id: id, phase: phase, scheduledNanoseconds: scheduled, promptTokensPlanned: call.promptTokens,
                                   promptTokensExact: exactPrompts, maxTokens: call.maxTokens)
        record.conversation = conversation
        record.call = index
        ResponseInterpreter.apply(raw, streamed: call.stream.map { $0 && api.generates } ?? streamed, api: api, to: &record)
        if record.succeeded { encoder.answered(messages, responseID: record.responseID) }
        progress?.record(record)
        return record
    }
}

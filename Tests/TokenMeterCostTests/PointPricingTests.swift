import Testing
import TokenMeterCore
import TokenMeterCost

/// The worked examples of docs/cost-model.md ("Every bench point ends in a price"), computed by hand there and here.
@Suite struct PointPricingTests {
    func call(_ id: Int, prompt: Int, read: Int = 0, write1h: Int = 0, output: Int, reasoning: Int? = nil, at second: Double,
              conversation: Int = 0) -> RequestRecord {
        var r = RequestRecord(id: id, phase: .measured, scheduledNanoseconds: UInt64((second - 1) * 1e9), promptTokensPlanned: prompt,
                              promptTokensExact: true, maxTokens: output)
        r.sentNanoseconds = UInt64((second - 1) * 1e9)
        r.completedNanoseconds = UInt64(second * 1e9)
        r.streamed = false
        r.events = [StreamEvent(timeNanoseconds: UInt64(second * 1e9), readIndex: 0, content: "answer")]
        r.usage = Usage(promptTokens: prompt, completionTokens: output, reasoningTokens: reasoning, cachedPromptTokens: read,
                        cacheWriteTokens: write1h, cacheWrite5mTokens: 0, cacheWrite1hTokens: write1h)
        r.conversation = conversation
        r.call = id
        return r
    }

    func conversation(_ kind: String) -> ConversationRecord {
        ConversationRecord(id: 0, phase: .measured, kind: kind, startNanoseconds: 0, endNanoseconds: 9_000_000_000, calls: 3, toolSeconds: 0,
                           thinkSeconds: 0, truncatedTokens: 0, stoppedByFailure: false, cutShort: false)
    }

    /// Three turns of a chat session on Claude Sonnet 4.6's card, with 1-hour cache breakpoints.
    @Test func aCachedSessionOnAnAnthropicCard() throws {
        let card = try PriceCatalog.load(environment: [:]).card("anthropic/claude-sonnet-4-6")
        let records = [
            call(0, prompt: 2200, write1h: 2000, output: 300, at: 2),             // 200 uncached, 2,000 written
            call(1, prompt: 2650, read: 2000, write1h: 500, output: 250, at: 4),  // 150 uncached
            call(2, prompt: 3000, read: 2500, write1h: 400, output: 200, reasoning: 80, at: 6),  // 100 uncached
        ]
        let window = MeasurementWindow(startNanoseconds: 0, endNanoseconds: 10_000_000_000)
        let metrics = PointMetrics.compute(records: records, window: window)
        let price = PointPricing.price(.card(card), records: records, conversations: [conversation("session")], metrics: metrics, today: "2026-12-06")
        // Turn 1: 200×3 + 2,000×6 + 300×15 = 17,100 µ$; turn 2: 150×3 + 500×6 + 2,000×0.30 + 250×15 = 7,800; turn 3: 100×3 +
        // 400×6 + 2,500×0.30 + 200×15 = 6,450. Together $0.03135.
        #expect(abs(try #require(price.usdTotal) - 0.03135) < 1e-12)
        #expect(abs(try #require(price.usdPerConversation) - 0.03135) < 1e-12 && price.conversationKind == "session")
        #expect(abs(try #require(price.usdPerRequest) - 0.01045) < 1e-12)
        #expect(abs(try #require(price.usdPerMtokBlended) - 0.03135 / 8600 * 1e6) < 1e-9)        // $3.6453
        #expect(abs(try #require(price.usdPerMtokInput) - 0.0201 / 7850 * 1e6) < 1e-9)           // $2.5605
        #expect(try #require(price.usdPerMtokOutput) == 15)
        #expect(abs(try #require(price.usdPerMtokAnswer) - 0.03135 / 670 * 1e6) < 1e-9)          // $46.79, reasoning excluded
        let b = try #require(price.breakdown)
        #expect(b.cacheReadTokens == 4500 && b.cacheWrite1hTokens == 2900 && b.uncachedInputTokens == 450 && b.cacheWrite5mTokens == 0)
        #expect(abs(b.cacheWriteUSD - 2900 * 6 / 1e6) < 1e-12 && abs(b.cacheReadUSD - 4500 * 0.3 / 1e6) < 1e-12)
        #expect(price.notes.isEmpty, "\(price.notes)")
    }

    /// Long context: past the threshold every token of the request is billed at the higher rates; no usage falls back to counts.
    @Test func longContextAndFallbacksAreSaid() throws {
        let card = try PriceCatalog.load(environment: [:]).card("anthropic/claude-haiku-5-5")
        let long = RequestBill(call(0, prompt: 150_000, output: 1000, at: 2), card: card)
        #expect(long.breakdown.longContextRequests == 1 && abs(long.usd - (150_000 * 0.5 + 1000 * 2.5) / 1e6) < 1e-12)
        var bare = call(1, prompt: 100, output: 10, at: 2)
        bare.usage = nil
        let counted = RequestBill(bare, card: card)
        #expect(counted.fromCounts && counted.breakdown.uncachedInputTokens == 100 && counted.breakdown.outputTokens == 1)
        let noCache = PriceCard(id: "custom/x", input: 1, output: 2)
        let read = RequestBill(call(2, prompt: 1000, read: 600, output: 10, at: 2), card: noCache)
        #expect(read.readUnpriced && abs(read.usd - (1000 * 1 + 10 * 2) / 1e6) < 1e-12, "an unpriced read is billed as input, and said")
    }

    /// A four-call agentic task on one H100 at the hyperscaler tier ($1.30/GPU-hour): the GPU-hours of the window are charged
    /// to the tokens delivered.
    @Test func anAgenticTaskOnASelfHostedH100() throws {
        let profile = try CostProfile.tier("hyperscaler", gpu: try HardwareCatalog.load(environment: [:]).gpu("h100"))
        let records = [
            call(0, prompt: 2000, output: 250, reasoning: 100, at: 2), call(1, prompt: 2500, output: 250, reasoning: 100, at: 4),
            call(2, prompt: 2200, output: 250, reasoning: 100, at: 6), call(3, prompt: 2300, output: 250, reasoning: 100, at: 8),
        ]
        let window = MeasurementWindow(startNanoseconds: 0, endNanoseconds: 10_000_000_000)
        let metrics = PointMetrics.compute(records: records, window: window)
        #expect(metrics.inputTokensPerSecond == 900 && metrics.outputTokensPerSecond == 100)
        let price = PointPricing.price(.profile(profile, assumed: nil), records: records, conversations: [conversation("task")], metrics: metrics,
                                       today: "2026-12-06")
        let blended = 1.30 * 1e6 / (3600 * 1000)  // $0.3611/Mtok at 1,000 tok/s/GPU
        #expect(abs(try #require(price.usdPerMtokBlended) - blended) < 1e-12)
        #expect(abs(try #require(price.usdTotal) - 1.30 * 10 / 3600) < 1e-12)                      // ten seconds of one GPU-hour
        #expect(abs(try #require(price.usdPerConversation) - blended * 10_000 / 1e6) < 1e-12)      // $0.003611 per task
        #expect(abs(try #require(price.usdPerRequest) - blended * 10_000 / 1e6 / 4) < 1e-12)
        #expect(abs(try #require(price.usdPerMtokAnswer) - blended * 10_000 / 600) < 1e-9)        // $6.02 per 1M answer tokens
        #expect(price.conversationKind == "task")
    }

    /// A server whose usage claims more than it streamed: the card bills the usage (what the provider charges), and the
    /// price says how many of those tokens never arrived.
    @Test func usageBeyondTheStreamIsBilledAndSaid() throws {
        var lying = call(0, prompt: 10, output: 80, at: 2)
        lying.streamed = true
        lying.events = (0..<8).map { StreamEvent(timeNanoseconds: UInt64(1_100_000_000 + $0 * 1_000_000), readIndex: $0, content: " w\($0)") }
        #expect(lying.usageExceedsStream && lying.outputTokens == 8 && lying.billedNotDeliveredTokens == 72)
        let card = PriceCard(id: "custom/x", input: 1, output: 2)
        #expect(abs(RequestBill(lying, card: card).usd - (10 * 1 + 80 * 2) / 1e6) < 1e-12)
        let window = MeasurementWindow(startNanoseconds: 0, endNanoseconds: 10_000_000_000)
        let metrics = PointMetrics.compute(records: [lying], window: window)
        #expect(metrics.usageExceedsStreamRequests == 1 && metrics.billedNotDeliveredTokens == 72 && metrics.outputTokensSucceeded == 8)
        let price = PointPricing.price(.card(card), records: [lying], conversations: [], metrics: metrics, today: "2026-12-06")
        #expect(price.notes.contains("72 output tokens are billed by usage but never arrived (1 requests)"), "\(price.notes)")
    }

    /// And a usage that claims less than arrived: the request counts what arrived (by events, or the local tokenizer's
    /// count of the text, beyond its tolerance), the card bills the usage, and the price says what went unbilled.
    @Test func usageBelowTheStreamCountsWhatArrived() throws {
        var low = call(0, prompt: 10, output: 3, at: 2)
        low.streamed = true
        low.events = (0..<8).map { StreamEvent(timeNanoseconds: UInt64(1_100_000_000 + $0 * 1_000_000), readIndex: $0, content: " w\($0)") }
        #expect(low.usageBelowStream && !low.usageExceedsStream && low.outputTokens == 8 && low.deliveredNotBilledTokens == 5)
        // Fewer events than the usage: honest by events; the tokenizer's count decides, with 5% and 2 tokens of slack.
        var batched = call(1, prompt: 10, output: 40, at: 2)
        batched.streamed = true
        batched.events = (0..<4).map { StreamEvent(timeNanoseconds: UInt64(1_100_000_000 + $0 * 1_000_000), readIndex: $0, content: " w w w w w w w w w w w w") }
        batched.localOutputTokens = 44
        #expect(!batched.usageBelowStream && batched.outputTokens == 40)
        batched.localOutputTokens = 48
        #expect(batched.usageBelowStream && batched.outputTokens == 48 && batched.deliveredNotBilledTokens == 8)
        // Replacement characters (a token that was part of a UTF-8 character) make the local count meaningless.
        var garbled = batched
        garbled.events[1].content = " w \u{FFFD}\u{FFFD} w"
        #expect(!garbled.usageBelowStream && garbled.outputTokens == 40)
        let card = PriceCard(id: "custom/x", input: 1, output: 2)
        #expect(abs(RequestBill(low, card: card).usd - (10 * 1 + 3 * 2) / 1e6) < 1e-12)
        let window = MeasurementWindow(startNanoseconds: 0, endNanoseconds: 10_000_000_000)
        let metrics = PointMetrics.compute(records: [low, batched], window: window)
        #expect(metrics.usageBelowStreamRequests == 2 && metrics.deliveredNotBilledTokens == 13 && metrics.outputTokensSucceeded == 56)
        #expect(metrics.usageExceedsStreamRequests == nil)
        let price = PointPricing.price(.card(card), records: [low, batched], conversations: [], metrics: metrics, today: "2026-12-06")
        #expect(price.notes.contains { $0.hasPrefix("13 output tokens arrived that usage does not bill (2 requests)") }, "\(price.notes)")
    }

    @Test func cardsAreFlaggedByDateAndSource() throws {
        let cards = try PriceCatalog.load(environment: [:])
        #expect(try cards.card("anthropic/claude-sonnet-4-5").id == "anthropic/claude-sonnet-4-6", "aliases")
        #expect(try cards.card("google/gemini-2.5-pro").dateProblem(today: "2026-12-06")?.contains("undated") == true)
        var expired = PriceCard(id: "x/y", input: 1, output: 1, effectiveFrom: "2025-01-01")
        expired.effectiveUntil = "2025-12-31"
        #expect(expired.dateProblem(today: "2026-12-06") == "expired on 2025-12-31")
        #expect(try cards.card("openai/gpt-5.6-sol").confidence == "unconfirmed")
        #expect(throws: ConfigError.self) { try cards.card("acme/none") }
    }
}

import TokenMeterCore

/// What one request costs under a price card, from the usage it reported (PROTOCOLS.md §7.2): uncached input, cache
/// reads, cache writes by TTL (no split: all at the 5-minute rate), and output with its reasoning; every token at the
/// long-context rates when the input passes the card's threshold.
public struct RequestBill: Sendable, Equatable {
    /// The bill by kind of token.
    public var breakdown = PriceBreakdown()
    /// The request had no usage: its planned input and its counted output were billed.
    public var fromCounts = false
    /// Cache reads were billed as uncached input (the card has no read price).
    public var readUnpriced = false
    /// Cache writes were billed as uncached input (the card has no write price for their TTL).
    public var writeUnpriced = false

    /// The bill of `record` under `card`.
    public init(_ record: RequestRecord, card: PriceCard) {
        // What the provider bills: its usage's output, even where it claims more than arrived (said by the point's price).
        let output = record.usage?.completionTokens ?? record.outputTokens
        let reasoning = min(record.reasoningTokens, output)
        guard let usage = record.usage else {
            fromCounts = true
            bill(input: record.promptTokensPlanned, read: 0, write5m: 0, write1h: 0, output: output, reasoning: reasoning,
                 rates: card.rates(inputTokens: record.promptTokensPlanned))
            return
        }
        let read = usage.cachedPromptTokens ?? 0
        var write1h = usage.cacheWrite1hTokens ?? 0
        var write5m = usage.cacheWrite5mTokens ?? max(0, (usage.cacheWriteTokens ?? 0) - write1h)
        if write5m + write1h == 0, let total = usage.cacheWriteTokens { write5m = total }
        write1h = min(write1h, max(0, usage.promptTokens - read))
        write5m = min(write5m, max(0, usage.promptTokens - read - write1h))
        let uncached = max(0, usage.promptTokens - read - write5m - write1h)
        bill(input: uncached, read: read, write5m: write5m, write1h: write1h, output: output, reasoning: reasoning,
             rates: card.rates(inputTokens: usage.promptTokens))
    }

    private mutating func bill(input: Int, read: Int, write5m: Int, write1h: Int, output: Int, reasoning: Int, rates: TokenRates) {
        func usd(_ tokens: Int, _ rate: Double) -> Double { Double(tokens) * rate / 1e6 }
        var b = PriceBreakdown()
        b.uncachedInputTokens = input
        b.cacheReadTokens = read
        b.cacheWrite5mTokens = write5m
        b.cacheWrite1hTokens = write1h
        b.outputTokens = output
        b.reasoningTokens = reasoning
        b.uncachedInputUSD = usd(input, rates.input)
        b.cacheReadUSD = usd(read, rates.cachedInput ?? rates.input)
        readUnpriced = read > 0 && rates.cachedInput == nil
        writeUnpriced = (write5m > 0 && rates.cacheWrite5m == nil) || (write1h > 0 && rates.cacheWrite1h == nil)
        b.cacheWriteUSD = usd(write5m, rates.cacheWrite5m ?? rates.input) + usd(write1h, rates.cacheWrite1h ?? rates.input)
        b.outputUSD = usd(output - reasoning, rates.output) + usd(reasoning, rates.reasoningOutput)
        b.longContextRequests = rates.longContext ? 1 : 0
        breakdown = b
    }

    /// The bill in dollars.
    public var usd: Double { breakdown.usd }
}

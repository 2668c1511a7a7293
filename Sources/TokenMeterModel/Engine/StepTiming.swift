/// The shape of one engine step, which decides how long it takes.
public struct StepShape: Sendable, Equatable {
    /// Sequences decoding one token this step.
    public var decodingSequences: Int
    /// KV context summed over the decoding sequences (tokens).
    public var contextTokens: Int
    /// Prompt tokens prefilled this step (chunks of one or more prompts).
    public var prefillTokens: Int
    /// Sequences with a prefill chunk in this step.
    public var prefillSequences: Int
    /// The whole prompts (history included) of those sequences, summed: what their chunks attend to.
    public var prefillPromptTokens: Int

    /// Creates a step shape; `prefillPromptTokens` defaults to the chunks themselves (whole prompts in one step).
    public init(decodingSequences: Int, contextTokens: Int, prefillTokens: Int, prefillSequences: Int, prefillPromptTokens: Int? = nil) {
        self.decodingSequences = decodingSequences
        self.contextTokens = contextTokens
        self.prefillTokens = prefillTokens
        self.prefillSequences = prefillSequences
        self.prefillPromptTokens = prefillPromptTokens ?? prefillTokens
    }

    /// A decode-only step `steps` steps after this one: each decoding sequence holds one more context token a step.
    func afterDecodeSteps(_ steps: Int) -> StepShape {
        var later = self
        later.contextTokens += steps * decodingSequences
        return later
    }
}

/// How long an engine step of a given shape takes.
public protocol StepTiming: Sendable {
    /// Duration of a step in nanoseconds.
    func nanoseconds(for shape: StepShape) -> UInt64
}

extension StepTiming {
    /// `steps` decode-only steps from `first`, each with one more context token per decoding sequence than the last, summed:
    /// in pieces of up to 32 steps, each at the mean of its first and last step (exact where a step's time is linear in its
    /// context, as a decode step's is until it crosses from memory- to compute-bound).
    public func nanoseconds(decodeSteps steps: Int, from first: StepShape) -> UInt64 {
        var total: UInt64 = 0
        var k = 0
        while k < steps {
            let n = min(32, steps - k)
            let a = first.afterDecodeSteps(k), b = first.afterDecodeSteps(k + n - 1)
            total += n == 1 ? nanoseconds(for: a) : (nanoseconds(for: a) + nanoseconds(for: b)) * UInt64(n) / 2
            k += n
        }
        return total
    }
}

/// A small parametric step time: a fixed overhead plus costs that grow with batch, context and prefill.
///
/// `t = scale × (fixed + perSequence·decoding + perContextToken·context + perPrefillToken·prefill)`.
public struct ParametricStepTime: StepTiming, Equatable, Codable {
    /// Per-step overhead in ms (launches, scheduling, sampling).
    public var fixedMilliseconds: Double
    /// Cost per decoding sequence in ms (weights are shared, so this is small).
    public var perSequenceMilliseconds: Double
    /// Cost per token of KV context read in µs (attention).
    public var perContextTokenMicroseconds: Double
    /// Cost per prefilled prompt token in µs.
    public var perPrefillTokenMicroseconds: Double
    /// Multiplier on every step (0.1 runs ten times faster than the parameters say).
    public var timeScale: Double

    /// The defaults: roughly a small model on one modern GPU.
    public static let `default` = ParametricStepTime(fixedMilliseconds: 4, perSequenceMilliseconds: 0.02, perContextTokenMicroseconds: 0.02,
                                                     perPrefillTokenMicroseconds: 2, timeScale: 1)

    /// Creates a model; a parameter left out takes its value from `default`.
    public init(fixedMilliseconds: Double = Self.default.fixedMilliseconds, perSequenceMilliseconds: Double = Self.default.perSequenceMilliseconds,
                perContextTokenMicroseconds: Double = Self.default.perContextTokenMicroseconds,
                perPrefillTokenMicroseconds: Double = Self.default.perPrefillTokenMicroseconds, timeScale: Double = 1) {
        self.fixedMilliseconds = fixedMilliseconds
        self.perSequenceMilliseconds = perSequenceMilliseconds
        self.perContextTokenMicroseconds = perContextTokenMicroseconds
        self.perPrefillTokenMicroseconds = perPrefillTokenMicroseconds
        self.timeScale = timeScale
    }

    public func nanoseconds(for shape: StepShape) -> UInt64 {
        let ms = fixedMilliseconds + perSequenceMilliseconds * Double(shape.decodingSequences)
            + perContextTokenMicroseconds * Double(shape.contextTokens) / 1000
            + perPrefillTokenMicroseconds * Double(shape.prefillTokens) / 1000
        return UInt64(max(0, ms * timeScale * 1e6))
    }

    enum CodingKeys: String, CodingKey {
        case fixedMilliseconds = "fixed_ms", perSequenceMilliseconds = "per_sequence_ms"
        case perContextTokenMicroseconds = "per_context_token_us", perPrefillTokenMicroseconds = "per_prefill_token_us"
        case timeScale = "time_scale"
    }
}

/// Step times from the roofline performance model of a deployment (model × hardware × precision × layout).
public struct RooflineStepTime: StepTiming {
    /// The deployment's model.
    public var model: PerformanceModel
    /// Multiplier on every step.
    public var timeScale: Double
    /// Speculative decoding: a step with decoding sequences verifies γ + 1 tokens of each after γ drafting passes.
    public var speculation: Speculation?
    /// With KV offload, the KV tokens HBM holds: what the decoding sequences hold beyond it is read from host memory.
    public var hbmKVTokens: Int?

    /// Creates the timing.
    public init(model: PerformanceModel, timeScale: Double = 1, speculation: Speculation? = nil, hbmKVTokens: Int? = nil) {
        self.model = model
        self.timeScale = timeScale
        self.speculation = speculation
        self.hbmKVTokens = hbmKVTokens
    }

    public func nanoseconds(for shape: StepShape) -> UInt64 {
        UInt64(max(0, seconds(for: shape) * timeScale * 1e9))
    }

    /// The step in seconds, unscaled: the decoding sequences at their mean context, the prefill chunks at their prompts' mean
    /// length.
    public func seconds(for shape: StepShape) -> Double {
        let decoding = Double(shape.decodingSequences)
        let context = decoding > 0 ? Double(shape.contextTokens) / decoding : 0
        let prompt = shape.prefillSequences > 0 ? Double(shape.prefillPromptTokens) / Double(shape.prefillSequences) : 0
        let held = Double(shape.contextTokens)
        let hostShare = hbmKVTokens.map { hbm in held > Double(hbm) ? (held - Double(hbm)) / held : 0 } ?? 0
        if let speculation, decoding > 0 {
            let d = model.decodeTime(running: decoding, context: context, prefillTokens: Double(shape.prefillTokens), promptLength: prompt,
                                     speculation: speculation, hostShare: hostShare)
            return d.perToken * speculation.tokensPerStep
        }
        return model.step(decoding: decoding, context: context, prefillTokens: Double(shape.prefillTokens), promptLength: prompt,
                          hostResidentShare: hostShare).total
    }
}

import TokenMeterModel

/// The shape of one engine step, which decides how long it takes.
public struct StepShape: Sendable, Equatable {
    /// Sequences decoding one token this step.
    public var decodingSequences: Int
    /// KV context summed over the decoding sequences (tokens).
    public var contextTokens: Int
    /// Prompt tokens prefilled this step.
    public var prefillTokens: Int
    /// Sequences whose prefill is in this step.
    public var prefillSequences: Int

    /// Creates a step shape.
    public init(decodingSequences: Int, contextTokens: Int, prefillTokens: Int, prefillSequences: Int) {
        self.decodingSequences = decodingSequences
        self.contextTokens = contextTokens
        self.prefillTokens = prefillTokens
        self.prefillSequences = prefillSequences
    }
}

/// Step time of the simulated engine: a fixed overhead plus costs that grow with batch, context and prefill.
///
/// `t = scale × (fixed + perSequence·decoding + perContextToken·context + perPrefillToken·prefill)`.
/// The performance model of the "Predict" work replaces these parameters with a calibrated roofline.
public struct StepTimeModel: Sendable, Equatable, Codable {
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

    /// Creates a model; the defaults resemble a small model on one modern GPU.
    public init(fixedMilliseconds: Double = 4, perSequenceMilliseconds: Double = 0.02, perContextTokenMicroseconds: Double = 0.02,
                perPrefillTokenMicroseconds: Double = 2, timeScale: Double = 1) {
        self.fixedMilliseconds = fixedMilliseconds
        self.perSequenceMilliseconds = perSequenceMilliseconds
        self.perContextTokenMicroseconds = perContextTokenMicroseconds
        self.perPrefillTokenMicroseconds = perPrefillTokenMicroseconds
        self.timeScale = timeScale
    }

    /// Duration of a step in nanoseconds.
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

/// Where the engine's step times come from: a small parameter set, or the roofline performance model.
///
/// `indirect`: with the roofline's `PerformanceModel` (a large struct) inline, Swift 6.3 miscompiled the enum's outlined
/// copy/destroy in a debug build (a crash destroying `TargetConfiguration`); boxing the payloads avoids it.
public indirect enum StepTiming: Sendable {
    /// The parametric model.
    case parametric(StepTimeModel)
    /// The roofline model of a deployment (model × hardware × precision × layout), scaled by `timeScale`.
    case roofline(PerformanceModel, timeScale: Double)

    /// Duration of a step in nanoseconds.
    public func nanoseconds(for shape: StepShape) -> UInt64 {
        switch self {
        case let .parametric(model):
            return model.nanoseconds(for: shape)
        case let .roofline(model, scale):
            let decoding = Double(shape.decodingSequences)
            let context = decoding > 0 ? Double(shape.contextTokens) / decoding : 0
            let prompt = shape.prefillSequences > 0 ? Double(shape.prefillTokens) / Double(shape.prefillSequences) : 0
            let seconds = model.step(decoding: decoding, context: context, prefillTokens: Double(shape.prefillTokens), promptLength: prompt).total
            return UInt64(max(0, seconds * scale * 1e9))
        }
    }
}

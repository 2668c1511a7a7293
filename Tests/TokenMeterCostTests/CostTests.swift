import Foundation
import PropertyBased
import Testing
import TokenMeterCore
@testable import TokenMeterCost

let catalog = try! HardwareCatalog.load(environment: [:])

@Suite struct CatalogTests {
    @Test func holdsEveryReferenceGPUWithSourcedFigures() throws {
        #expect(Set(catalog.gpus.map(\.id)) == ["h100", "h200", "b200", "b300", "gb200", "gb300", "mi300x", "mi325x", "mi355x"])
        for gpu in catalog.gpus {
            #expect(gpu.usdPerGPUHour.keys.sorted() == ["hyperscaler", "neocloud", "rental"], "\(gpu.id)")
            let figures = Array(gpu.usdPerGPUHour.values) + Array(gpu.peakTFLOPSDense.values) + [gpu.allInKilowatts].compactMap { $0 }
            for figure in figures {
                #expect(!figure.source.isEmpty && !figure.date.isEmpty, "\(gpu.id) figure without provenance")
            }
        }
        let h200 = try catalog.gpu("H200-SXM")
        #expect(h200.usdPerGPUHour["hyperscaler"]?.value == 1.41)
        #expect(h200.allInKilowatts?.value == 1.73)
        #expect(h200.peakTFLOPSDense["fp8"]?.value == 1979)
        #expect(h200.peakTFLOPSDense["fp4"] == nil)  // Hopper has no FP4 tensor peak
        #expect(try catalog.gpu("gb300").usdPerGPUHour["hyperscaler"]?.value == 2.65)
    }

    @Test func unknownGPUListsTheKnownOnes() throws {
        let error = try #require(throws: ConfigError.self) { try catalog.gpu("tpu-v9") }
        #expect(error.message.contains("h200"))
    }

    @Test func userCatalogFilesAddAndReplaceGPUs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try #"{"gpus":[{"id":"x1","name":"X1","usd_per_gpu_hour":{"rental":{"value":0.5,"source":"me","date":"2026-11-29"}}},"#
            .appending(#"{"id":"h200","name":"H200 repriced","usd_per_gpu_hour":{"rental":{"value":9,"source":"me","date":"2026-11-29"}}}]}"#)
            .write(to: dir.appendingPathComponent("mine.json"), atomically: true, encoding: .utf8)
        let merged = try HardwareCatalog.load(extraDirectory: dir.path, environment: [:])
        #expect(try merged.gpu("x1").usdPerGPUHour["rental"]?.value == 0.5)
        #expect(try merged.gpu("h200").name == "H200 repriced")
        #expect(merged.gpus.count == 10)
    }
}

@Suite struct TokenCostTests {
    @Test func publishedWorkedExamples() throws {
        // REFERENCE.md: H200 at $1.41 and 90 tok/s/GPU ≈ $4.35/Mtok; GB300 at $2.65 and 6,000 ≈ $0.12.
        let h200 = try #require(usdPerMillionTokens(usdPerGPUHour: 1.41, tokensPerSecondPerGPU: 90))
        #expect(abs(h200 - 4.352) < 0.001)
        let gb300 = try #require(usdPerMillionTokens(usdPerGPUHour: 2.65, tokensPerSecondPerGPU: 6000))
        #expect(abs(gb300 - 0.1227) < 0.0001)
        #expect(usdPerMillionTokens(usdPerGPUHour: 1, tokensPerSecondPerGPU: 0) == nil)
        // The same through a catalog tier profile.
        let profile = try CostProfile.tier("hyperscaler", gpu: try catalog.gpu("h200"))
        let cost = CostCalculator().price(Delivery(inputPerGPU: 0, outputPerGPU: 90), profile: profile)
        #expect(abs((cost.usdPerMtokOutput ?? 0) - 4.352) < 0.001)
    }

    @Test func capitalRecoveryFactor() {
        #expect(abs(TokenMeterCost.capitalRecoveryFactor(rate: 0.10, years: 4) - 0.315471) < 1e-6)
        #expect(abs(TokenMeterCost.capitalRecoveryFactor(rate: 0.08, years: 5) - 0.250456) < 1e-6)
        #expect(TokenMeterCost.capitalRecoveryFactor(rate: 0, years: 4) == 0.25)
    }

    @Test func ownedCostIsBuiltBottomUpAndItsPartsAddUp() throws {
        let profile = try CostProfile.parse(yaml: """
            kind: owned
            gpu: b200
            gpus_per_server: 8
            capex_usd_per_gpu: 30000
            capex_usd_per_server: 40000
            network_usd_per_server: 8000
            residual_fraction: 0.1
            life_years: 4
            cost_of_capital: 0.1
            power: {kw_per_gpu: 1.2, boundary: node-measured}
            pue: 1.25
            usd_per_kwh: 0.10
            idle_power_fraction: 0.5
            hosting_usd_per_kw_month: 100
            software_usd_per_gpu_year: 2000
            operations_usd_per_gpu_year: 1000
            utilisation: 0.5
            """, catalog: catalog)
        let hour = try #require(GPUHourCost(profile))
        // capex 36,000 per GPU; residual 3,600 discounted 4 years at 10%; annualised with CRF(10%, 4).
        let capex = (36000 - 3600 / pow(1.1, 4)) * 0.3154708 / 8760
        let energy = 1.2 * 1.25 * 8760 * (0.5 + 0.5 * 0.5) * 0.10 / 8760
        let hosting = 1.2 * 100 * 12 / 8760
        let fixed = (2000 + 1000) / 8760.0
        let wall = capex + energy + hosting + fixed
        #expect(abs(hour.usdPerWallGPUHour - wall) < 1e-6)
        #expect(abs(hour.usdPerUsedGPUHour - wall / 0.5) < 1e-6)
        #expect(abs(hour.breakdown.reduce(0) { $0 + $1.usdPerGPUHour } - hour.usdPerUsedGPUHour) < 1e-9)
        #expect(hour.breakdown.map(\.name) == ["capex", "energy", "hosting", "software", "operations", "idle time"])
    }

    @Test func loadScheduleSetsUtilisation() throws {
        let schedule = (0..<24).map { $0 < 8 ? "0.2" : "1.0" }.joined(separator: ", ")
        let profile = try CostProfile.parse(yaml: """
            kind: owned
            capex_usd_per_gpu: 20000
            life_years: 5
            usd_per_kwh: 0.1
            power: {kw_per_gpu: 1.0, boundary: provisioned-all-in}
            load_schedule: [\(schedule)]
            """, catalog: catalog)
        let hour = try #require(GPUHourCost(profile))
        #expect(abs(hour.utilisation - (8 * 0.2 + 16) / 24) < 1e-12)
    }

    @Test func powerFiguresCarryTheirBoundary() throws {
        let profile = try CostProfile.tier("neocloud", gpu: try catalog.gpu("gb200"))
        let cost = CostCalculator().price(Delivery(inputPerGPU: 3000, outputPerGPU: 1000), profile: profile)
        let power = try #require(cost.power)
        #expect(power.boundary == .provisionedAllIn)
        #expect(abs(power.totalTokensPerSecondPerMW - 4000 * 1000 / 2.10) < 1e-6)
        #expect(abs(try #require(power.joulesPerToken) - 2100.0 / 4000) < 1e-12)
        #expect(abs(try #require(power.joulesPerOutputToken) - 2.1) < 1e-12)
    }

    @Test func fleetSizingNeedsAllInPowerAndFloorsTheGPUCount() throws {
        let profile = try CostProfile.tier("neocloud", gpu: try catalog.gpu("gb200"))
        let fleet = try FleetSizing(megawatts: 10, profile: profile, delivery: Delivery(inputPerGPU: 0, outputPerGPU: 100, interactivity: 50))
        #expect(fleet.gpus == 4761)  // floor(10,000 / 2.10)
        #expect(fleet.outputTokensPerSecond == 476_100)
        #expect(fleet.usersServed == 9522)
        var measured = profile
        measured.power = PowerSpec(kilowattsPerGPU: 1.1, boundary: .gpuBoardMeasured, source: "nvidia-smi")
        let error = try #require(throws: ConfigError.self) {
            try FleetSizing(megawatts: 10, profile: measured, delivery: Delivery(inputPerGPU: 0, outputPerGPU: 1))
        }
        #expect(error.message.contains("gpu-board-measured"))
    }

    @Test func marginAtASellingPrice() throws {
        let profile = try CostProfile.rental(usdPerGPUHour: 2, gpu: try catalog.gpu("h100"))
        let cost = CostCalculator().price(Delivery(inputPerGPU: 1000, outputPerGPU: 500), profile: profile,
                                          selling: SellingPrice(input: 0.5, output: 2))
        let margin = try #require(cost.margin)
        #expect(abs(margin.revenueUSDPerGPUHour - (1000 * 0.5 + 500 * 2) * 3600 / 1e6) < 1e-12)  // $5.40
        #expect(abs(try #require(margin.grossMargin) - (5.4 - 2) / 5.4) < 1e-12)
        let gpusPerMW = (1000 / 1.73).rounded(.down)
        #expect(abs((margin.costUSDPerMWYear ?? 0) - 2 * 8760 * gpusPerMW) < 1e-6)
    }

    @Test func apiCardPricesTheMeasuredMix() throws {
        let card = try CostProfile.parse(yaml: "kind: api\nname: card\nusd_per_mtok_input: 1\nusd_per_mtok_output: 4\nusd_per_mtok_cached_input: 0.1",
                                         catalog: catalog)
        var delivery = Delivery(inputPerGPU: 300, outputPerGPU: 100)
        let cost = CostCalculator().price(delivery, profile: card)
        #expect(cost.usdPerMtokTotal == 700.0 / 400)
        #expect(cost.usdPerMtokBlendedCard == 7.0 / 4)
        #expect(cost.gpuHour == nil && cost.power == nil)
        delivery.cachedInputFraction = 0.5
        #expect(CostCalculator().price(delivery, profile: card).usdPerMtokInput == 0.55)
        let reasoningCard = try CostProfile.parse(yaml: "kind: api\nusd_per_mtok_input: 1\nusd_per_mtok_output: 4\nusd_per_mtok_reasoning_output: 8",
                                                  catalog: catalog)
        delivery.reasoningOutputFraction = 0.25
        #expect(CostCalculator().price(delivery, profile: reasoningCard).usdPerMtokOutput == 5)
        #expect(CostCalculator(blendInput: 1, blendOutput: 1).price(delivery, profile: card).usdPerMtokBlendedCard == 2.5)
    }

    @Test func measuredCacheAndReasoningSharesReachTheCard() throws {
        var cached = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 0, promptTokensPlanned: 100, promptTokensExact: true, maxTokens: 2)
        cached.sentNanoseconds = 0
        cached.events = [StreamEvent(timeNanoseconds: 1_000_000, readIndex: 0, reasoning: "r"), StreamEvent(timeNanoseconds: 2_000_000, readIndex: 1, content: "c")]
        cached.completedNanoseconds = 3_000_000
        cached.usage = Usage(promptTokens: 100, completionTokens: 2, reasoningTokens: 1, cachedPromptTokens: 40)
        let m = PointMetrics.compute(records: [cached], window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 10_000_000))
        let d = Delivery(metrics: m)
        #expect(d.cachedInputFraction == 0.4)
        #expect(d.reasoningOutputFraction == 0.5)
    }

    @Test func disaggregatedChargesDecodeToOutputAndPrefillToInput() throws {
        let profile = try CostProfile.rental(usdPerGPUHour: 3.6, gpu: nil)
        // 4 GPUs: 1 prefill, 3 decode; per-GPU figures over all 4.
        let d = Delivery(inputPerGPU: 1000, outputPerGPU: 300, split: DisaggregatedSplit(prefillGPUs: 1, decodeGPUs: 3))
        let cost = CostCalculator().price(d, profile: profile)
        #expect(abs((cost.usdPerMtokOutput ?? 0) - 3.6e6 / (3600 * 400)) < 1e-9)  // 300 × 4 / 3 per decode GPU
        #expect(abs((cost.usdPerMtokInput ?? 0) - 3.6e6 / (3600 * 4000)) < 1e-9)  // 1000 × 4 per prefill GPU
        #expect(abs((cost.usdPerMtokTotal ?? 0) - 3.6e6 / (3600 * 1300)) < 1e-9)
    }

    @Test func slicesGiveAConfidenceIntervalOnCost() throws {
        let profile = try CostProfile.rental(usdPerGPUHour: 3.6, gpu: nil)
        let d = Delivery(inputPerGPU: 0, outputPerGPU: 1000, totalSlicesPerGPU: [950, 1000, 1050, 980, 1020],
                         outputSlicesPerGPU: [950, 1000, 1050, 980, 1020])
        let ci = try #require(CostCalculator().price(d, profile: profile).usdPerMtokOutputInterval)
        let high = try #require(ci.high)
        #expect(ci.low < 1 && high > 1 && high - ci.low < 0.2)
        #expect(ci.samples == 5)
        // A throughput interval reaching zero leaves the cost unbounded above, and still encodes as JSON.
        let noisy = Delivery(inputPerGPU: 0, outputPerGPU: 10, outputSlicesPerGPU: [0, 0, 0, 0, 50])
        let wide = try #require(CostCalculator().price(noisy, profile: profile).usdPerMtokOutputInterval)
        #expect(wide.high == nil)
        _ = try JSONEncoder().encode(CostCalculator().price(noisy, profile: profile))
    }

    @Test func costPerGoodTokenAndWaste() throws {
        let profile = try CostProfile.rental(usdPerGPUHour: 3.6, gpu: nil)
        let d = Delivery(inputPerGPU: 0, outputPerGPU: 1000, goodOutputPerGPU: 500, wastedOutputPerGPU: 250)
        let cost = CostCalculator().price(d, profile: profile)
        #expect(cost.usdPerMtokGoodOutput == 2)
        #expect(cost.wastedOutputFraction == 0.2)
    }

    @Test func threeMetricInversionsAreSaidInWords() throws {
        let calc = CostCalculator()
        let cheapHour = calc.price(Delivery(inputPerGPU: 0, outputPerGPU: 90), profile: try CostProfile.tier("hyperscaler", gpu: try catalog.gpu("h200")))
        let cheapToken = calc.price(Delivery(inputPerGPU: 0, outputPerGPU: 6000), profile: try CostProfile.tier("hyperscaler", gpu: try catalog.gpu("gb300")))
        let comparison = ThreeMetricComparison([cheapHour, cheapToken])
        #expect(comparison.rows[0].rankByHour == 1 && comparison.rows[0].rankByToken == 2)
        #expect(comparison.rows[1].rankByFLOPS == 1)
        #expect(comparison.inversions == [
            "h200-hyperscaler is cheaper per hour ($1.41 vs $2.65) but 35.5× dearer per token than gb300-hyperscaler ($4.35 vs $0.12 per Mtok)",
        ])
    }

    @Test func costAtAnInteractivityComesFromTheFrontAndIsNeverExtrapolated() throws {
        let points = [
            Delivery(inputPerGPU: 3000, outputPerGPU: 1000, interactivity: 20),
            Delivery(inputPerGPU: 1500, outputPerGPU: 500, interactivity: 50),
            Delivery(inputPerGPU: 300, outputPerGPU: 100, interactivity: 100),
        ]
        let at50 = try ServiceLevelCost.delivery(atInteractivity: 50, points: points)
        #expect(abs(at50.outputPerGPU - 500) < 1e-9 && abs(at50.totalPerGPU - 2000) < 1e-9)
        let at70 = try ServiceLevelCost.delivery(atInteractivity: 70, points: points)
        #expect(at70.outputPerGPU < 500 && at70.outputPerGPU > 100)
        let error = try #require(throws: ConfigError.self) { try ServiceLevelCost.delivery(atInteractivity: 150, points: points) }
        #expect(error.message.contains("never extrapolated"))
    }
}

@Suite struct CostProfileTests {
    @Test func rentalAndTierProfiles() throws {
        let rental = try CostProfile.parse(yaml: "kind: rental\ngpu: h200\nusd_per_gpu_hour: 2.10", catalog: catalog)
        #expect(GPUHourCost(rental)?.usdPerUsedGPUHour == 2.10)
        #expect(rental.power?.boundary == .provisionedAllIn)
        let tier = try CostProfile.parse(yaml: "kind: tier\ngpu: mi300x\ntier: neocloud\nutilisation: 0.5", catalog: catalog)
        #expect(GPUHourCost(tier)?.usdPerUsedGPUHour == 2.80)
        #expect(GPUHourCost(tier)?.breakdown.last?.name == "idle time")
    }

    /// Each bad profile names its field.
    @Test(arguments: [
        ("kind", "kind: lease"),
        ("kind", "name: x"),
        ("usd_per_gpu_hour", "kind: rental"),
        ("usd_per_gpu_hour", "kind: rental\nusd_per_gpu_hour: -1"),
        ("usd_per_gpu_hour", "kind: rental\nusd_per_gpu_hour: cheap"),
        ("gpu", "kind: rental\ngpu: tpu\nusd_per_gpu_hour: 1"),
        ("usd_per_gpu_hou", "kind: rental\nusd_per_gpu_hou: 1"),
        ("tier", "kind: tier\ngpu: h200\ntier: spot"),
        ("gpu", "kind: tier\ntier: rental"),
        ("utilisation", "kind: rental\nusd_per_gpu_hour: 1\nutilisation: 1.5"),
        ("capex_usd_per_gpu", "kind: owned\ngpu: h100\nlife_years: 4\nusd_per_kwh: 0.1"),
        ("life_years", "kind: owned\ngpu: h100\ncapex_usd_per_gpu: 1\nlife_years: 0\nusd_per_kwh: 0.1"),
        ("pue", "kind: owned\ngpu: h100\ncapex_usd_per_gpu: 1\nlife_years: 4\nusd_per_kwh: 0.1\npue: 0.9"),
        ("residual_fraction", "kind: owned\ngpu: h100\ncapex_usd_per_gpu: 1\nlife_years: 4\nusd_per_kwh: 0.1\nresidual_fraction: 1.2"),
        ("load_schedule", "kind: owned\ngpu: h100\ncapex_usd_per_gpu: 1\nlife_years: 4\nusd_per_kwh: 0.1\nload_schedule: [0.5, 0.5]"),
        ("power", "kind: owned\ncapex_usd_per_gpu: 1\nlife_years: 4\nusd_per_kwh: 0.1"),
        ("boundary", "kind: owned\ncapex_usd_per_gpu: 1\nlife_years: 4\nusd_per_kwh: 0.1\npower: {kw_per_gpu: 1, boundary: wall}"),
        ("usd_per_mtok_output", "kind: api\nusd_per_mtok_input: 1"),
        ("gpu", "kind: api\nusd_per_mtok_input: 1\nusd_per_mtok_output: 2\ngpu: h100"),
        ("precision", "kind: tier\ngpu: h100\ntier: rental\nprecision: fp4"),
        ("profile", "- a list"),
        ("profile", "kind: [unclosed"),
    ])
    func badProfilesNameTheField(field: String, yaml: String) throws {
        let error = try #require(throws: ConfigError.self) { try CostProfile.parse(yaml: yaml, catalog: catalog) }
        #expect(error.field == field, "\(error)")
    }
}

@Suite struct CostProperties {
    @Test func moreThroughputNeverCostsMorePerToken() async {
        await propertyCheck(input: Gen.double(in: 0.01...100), Gen.double(in: 0.1...100_000), Gen.double(in: 0...100_000)) { price, rate, extra in
            let base = usdPerMillionTokens(usdPerGPUHour: price, tokensPerSecondPerGPU: rate)!
            let faster = usdPerMillionTokens(usdPerGPUHour: price, tokensPerSecondPerGPU: rate + extra)!
            #expect(faster <= base)
        }
    }

    @Test func aHigherPriceNeverCostsLessPerToken() async {
        await propertyCheck(input: Gen.double(in: 0.01...100), Gen.double(in: 0...100), Gen.double(in: 0.1...100_000)) { price, extra, rate in
            let base = usdPerMillionTokens(usdPerGPUHour: price, tokensPerSecondPerGPU: rate)!
            let dearer = usdPerMillionTokens(usdPerGPUHour: price + extra, tokensPerSecondPerGPU: rate)!
            #expect(dearer >= base)
        }
    }

    @Test func frontInterpolationStaysBetweenItsNeighbours() async {
        await propertyCheck(input: Gen.double(in: 1...1000).array(of: 2...12), Gen.double(in: 0...1)) { ys, fraction in
            // Interactivity 1, 2, 3, …; throughputs in any order: the front keeps the monotone part.
            let points = ys.enumerated().map { FrontPoint(interactivity: Double($0.offset + 1), throughputPerGPU: $0.element) }
            let front = ParetoFront(points)
            guard let range = front.interactivityRange else { return }
            #expect(front.throughput(atInteractivity: range.upperBound + 0.5) == nil)
            #expect(front.throughput(atInteractivity: range.lowerBound - 0.5) == nil)
            let x = range.lowerBound + fraction * (range.upperBound - range.lowerBound)
            guard let y = front.throughput(atInteractivity: x) else {
                Issue.record("no value inside the front at \(x)")
                return
            }
            let below = front.points.last { $0.interactivity <= x }!
            let above = front.points.first { $0.interactivity >= x }!
            #expect(y <= below.throughputPerGPU + 1e-9 && y >= above.throughputPerGPU - 1e-9)
        }
    }
}

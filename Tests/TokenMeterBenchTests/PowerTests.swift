import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterCost

@Suite struct PowerTests {
    @Test func parsesNvidiaSMILinesAndDCGMScrapes() throws {
        let sample = try #require(PowerCollector.parseCSVLine("2026/11/29 13:00:00.123, 3, 287.45", now: 7))
        #expect(sample == PowerSample(timeNanoseconds: 7, gpu: "3", watts: 287.45))
        #expect(PowerCollector.parseCSVLine("timestamp, index, power.draw [W]", now: 0) == nil)
        #expect(PowerCollector.parseCSVLine("2026/11/29 13:00:00.123, 0, [N/A]", now: 0) == nil)
        let scrape = MetricsScrape(timeNanoseconds: 9, exposition: try PrometheusExposition(parsing: """
            # TYPE DCGM_FI_DEV_POWER_USAGE gauge
            DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 612.5
            DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-b",modelName="NVIDIA H100 80GB HBM3"} 598
            DCGM_FI_DEV_GPU_UTIL{gpu="0"} 99
            """))
        #expect(PowerCollector.dcgmSamples(scrape) == [PowerSample(timeNanoseconds: 9, gpu: "0", watts: 612.5),
                                                      PowerSample(timeNanoseconds: 9, gpu: "1", watts: 598)])
    }

    /// A stand-in for nvidia-smi printing readings of two GPUs every 50 ms (bounded: 60 s at most).
    func fakeSidecar() throws -> URL {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("fake-smi-\(UUID().uuidString).sh")
        try """
            #!/bin/sh
            i=0
            while [ $i -lt 1200 ]; do
              echo "2026/11/29 13:00:00.000, 0, 300.0"
              echo "2026/11/29 13:00:00.000, 1, 200.0"
              sleep 0.05
              i=$((i+1))
            done
            """.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script
    }

    @Test func sidecarReadingsBecomeJoulesPerTokenAndAMeasuredBoundaryInCost() async throws {
        let script = try fakeSidecar()
        defer { try? FileManager.default.removeItem(at: script) }
        let (result, directory) = try await runSession("""
            concurrency: 2
            requests: 12
            osl: 32
            gpus: 2
            power: nvidia-smi
            power-command: \(script.path)
            power-interval: 100ms
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let point = result.points[0]
        let energy = try #require(point.energy)
        #expect(energy.measurement.valid, "\(energy.measurement.problems)")
        #expect(energy.measurement.gpus == 2)
        #expect(abs(energy.measurement.meanWatts - 500) < 1e-6)
        #expect(abs((energy.joulesPerToken ?? 0) - 500 / point.metrics.totalTokensPerSecond) < 1e-9)
        // The cost model shows the measured boundary next to the profile's, never instead of it.
        var delivery = Delivery(metrics: point.metrics)
        delivery.measuredWattsPerGPU = energy.measurement.meanWattsPerGPU
        let cost = CostCalculator().price(delivery, profile: try CostProfile.rental(usdPerGPUHour: 2, gpu: try HardwareCatalog.load(environment: [:]).gpu("h100")))
        #expect(cost.measuredPower?.boundary == .gpuBoardMeasured)
        #expect(cost.power?.boundary == .provisionedAllIn)
        #expect(abs((cost.measuredPower?.joulesPerToken ?? 0) - 250 / delivery.totalPerGPU) < 1e-9)
    }

    @Test func dcgmExporterReadingsAndAnInvalidMeasurementIsSaidSo() async throws {
        let exporter = try await ScriptedServer([.status(200, "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 450.0\n", contentType: "text/plain")])
        defer { Task { await exporter.stop() } }
        let (result, directory) = try await runSession("""
            concurrency: 2
            requests: 12
            osl: 32
            gpus: 8
            power: dcgm
            power-url: http://127.0.0.1:\(exporter.port)/metrics
            power-interval: 100ms
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let energy = try #require(result.points[0].energy)
        #expect(abs(energy.measurement.meanWatts - 450) < 1e-6)
        #expect(!energy.measurement.valid)
        #expect(result.points[0].warnings.contains { $0.contains("1 GPUs reported power, 8 expected") })
    }

    @Test func aMissingSidecarIsAWarningNotAFailedRun() async throws {
        let (result, directory) = try await runSession("concurrency: 1\nrequests: 2\nosl: 4\npower: nvidia-smi\npower-command: /nonexistent/smi")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.points[0].metrics.requestsSucceeded == 2)
        #expect(result.points[0].warnings.contains { $0.hasPrefix("power measurement not valid") })
    }
}

import Foundation
import Testing
import TokenMeterCore
import TokenMeterTelemetry

/// GPU power readings as the sidecars and the DCGM exporter print them.
@Suite struct PowerReaderTests {
    @Test func parsesNvidiaSMILinesAndDCGMScrapes() throws {
        func line(_ text: String, now: UInt64) -> PowerSample? {
            var reader = PowerCSVReader()
            return reader.read(text, arrivalNanoseconds: now, arrivalDate: nil).first
        }
        let sample = try #require(line("2026/11/29 13:00:00.123, 3, 287.45", now: 7))
        #expect(sample == PowerSample(timeNanoseconds: 7, gpu: "3", watts: 287.45))
        #expect(line("timestamp, index, power.draw [W]", now: 0) == nil)
        #expect(line("2026/11/29 13:00:00.123, 0, [N/A]", now: 0) == nil)
        let scrape = MetricsScrape(timeNanoseconds: 9, exposition: try PrometheusExposition(parsing: """
            # TYPE DCGM_FI_DEV_POWER_USAGE gauge
            DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 612.5
            DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-b",modelName="NVIDIA H100 80GB HBM3"} 598
            DCGM_FI_DEV_GPU_UTIL{gpu="0"} 99
            """))
        #expect(PowerCollector.dcgmSamples(scrape) == [PowerSample(timeNanoseconds: 9, gpu: "0", watts: 612.5),
                                                      PowerSample(timeNanoseconds: 9, gpu: "1", watts: 598)])
    }

    @Test func nvidiaSMIAndAMDSMIOutputWithHeadersUnitsAndTimestamps() throws {
        var nvidia = PowerCSVReader()
        let arrival = Date()
        let stamp = { (d: Date) -> String in
            let f = DateFormatter()
            f.dateFormat = "yyyy/MM/dd HH:mm:ss.SSS"
            return f.string(from: d)
        }
        // `--format=csv` (with header and units), lines flushed two seconds after they were taken.
        #expect(nvidia.read("timestamp, index, power.draw [W]", arrivalNanoseconds: 10_000_000_000, arrivalDate: arrival).isEmpty)
        let late = nvidia.read("\(stamp(arrival.addingTimeInterval(-2))), 1, 612.34 W", arrivalNanoseconds: 10_000_000_000, arrivalDate: arrival)
        #expect(late.count == 1 && late[0].gpu == "1" && late[0].watts == 612.34)
        #expect(abs(Double(late[0].timeNanoseconds) - 8e9) < 2e6)
        #expect(nvidia.read("\(stamp(arrival)), 0, [N/A]", arrivalNanoseconds: 1, arrivalDate: arrival).isEmpty)
        // A reordered query: `--query-gpu=index,power.draw.instant,timestamp`.
        var reordered = PowerCSVReader()
        _ = reordered.read("index, power.draw.instant [W], timestamp", arrivalNanoseconds: 0, arrivalDate: arrival)
        let r = reordered.read("3, 97.10 W, \(stamp(arrival))", arrivalNanoseconds: 5_000_000_000, arrivalDate: arrival)
        #expect(r.count == 1 && r[0].gpu == "3" && r[0].watts == 97.1)
        #expect(abs(Double(r[0].timeNanoseconds) - 5e9) < 2e6)  // the stamp has millisecond resolution
        // A stamp taken after the line "arrived" (clock skew) keeps the arrival time; one older than ten minutes too.
        #expect(reordered.read("3, 1 W, \(stamp(arrival.addingTimeInterval(5)))", arrivalNanoseconds: 77, arrivalDate: arrival)[0].timeNanoseconds == 77)
        #expect(reordered.read("3, 1 W, \(stamp(arrival.addingTimeInterval(-3600)))", arrivalNanoseconds: 77, arrivalDate: arrival)[0].timeNanoseconds == 77)
        // amd-smi metric --power --csv.
        var amd = PowerCSVReader()
        #expect(amd.read("gpu,socket_power,gfx_voltage,soc_voltage,mem_voltage,power_management,throttle_status", arrivalNanoseconds: 0,
                         arrivalDate: arrival).isEmpty)
        #expect(amd.read("0,748,N/A,N/A,N/A,ENABLED,UNTHROTTLED", arrivalNanoseconds: 42, arrivalDate: arrival)
            == [PowerSample(timeNanoseconds: 42, gpu: "0", watts: 748)])
        // Headerless two-column lines.
        var plain = PowerCSVReader()
        #expect(plain.read("2, 300", arrivalNanoseconds: 7, arrivalDate: nil) == [PowerSample(timeNanoseconds: 7, gpu: "2", watts: 300)])
    }
}

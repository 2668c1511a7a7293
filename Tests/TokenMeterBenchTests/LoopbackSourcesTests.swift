import NIOCore
import Testing
@testable import TokenMeterBench

/// Past 4,096 open connections to a 127.x.y.z target, new connections take turns over 62 other loopback sources; below
/// that, and for any other host, the system picks the source.
@Suite struct LoopbackSourcesTests {
    @Test func spreadsOnlyPastTheThresholdAndOnlyForLoopbackLiterals() throws {
        let sources = LoopbackSources(host: "127.0.0.1")
        for _ in 0..<LoopbackSources.threshold { #expect(sources.sourceForNewConnection() == nil) }
        let spread = (0..<(2 * LoopbackSources.count)).compactMap { _ in sources.sourceForNewConnection()?.ipAddress }
        #expect(spread.count == 2 * LoopbackSources.count)
        #expect(Set(spread).count == LoopbackSources.count)
        #expect(spread.allSatisfy { $0.hasPrefix("127.0.0.") && $0 != "127.0.0.1" })
        // Closing connections brings the count back under the threshold.
        for _ in 0..<(2 * LoopbackSources.count + 1) { sources.closed() }
        #expect(sources.sourceForNewConnection() == nil)

        for host in ["localhost", "10.0.0.1", "::1", "127.0.0", "127.0.0.300", "example.com"] {
            let other = LoopbackSources(host: host)
            for _ in 0...LoopbackSources.threshold { _ = other.sourceForNewConnection() }
            #expect(other.sourceForNewConnection() == nil, "\(host)")
        }
    }
}

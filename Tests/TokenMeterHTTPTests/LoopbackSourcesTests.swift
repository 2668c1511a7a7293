import NIOCore
import Testing
@testable import TokenMeterHTTP

/// Past 4,096 open connections to a 127.x.y.z target, new connections take turns over 62 other loopback sources; below
/// that, and for any other host, the system picks the source.
@Suite struct LoopbackSourcesTests {
    @Test func spreadsOnlyPastTheThresholdAndOnlyForLoopbackLiterals() throws {
        let sources = LoopbackSources(host: "127.0.0.1")
        for open in 1...LoopbackSources.threshold { #expect(sources.source(whenOpen: open) == nil) }
        let spread = (1...(2 * LoopbackSources.count)).compactMap { sources.source(whenOpen: LoopbackSources.threshold + $0)?.ipAddress }
        #expect(spread.count == 2 * LoopbackSources.count)
        #expect(Set(spread).count == LoopbackSources.count)
        #expect(spread.allSatisfy { $0.hasPrefix("127.0.0.") && $0 != "127.0.0.1" })
        // Back under the threshold, the system picks again.
        #expect(sources.source(whenOpen: LoopbackSources.threshold) == nil)

        for host in ["localhost", "10.0.0.1", "::1", "127.0.0", "127.0.0.300", "example.com"] {
            #expect(LoopbackSources(host: host).source(whenOpen: LoopbackSources.threshold + 1) == nil, "\(host)")
        }
    }
}

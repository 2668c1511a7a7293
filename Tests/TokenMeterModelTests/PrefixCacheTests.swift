import Testing
import TokenMeterModel

@Suite struct PrefixCacheTests {
    func hashes(_ tokens: [UInt32]) -> [UInt64] { PrefixCache.blockHashes(tokens, blockTokens: 4) }

    @Test func blocksAreChainedSoEqualBlocksAfterADifferentStartDiffer() {
        let a = hashes(Array(0..<12))
        let b = hashes([99] + Array(1..<12))
        #expect(a.count == 3 && hashes(Array(0..<11)).count == 2, "only full blocks are hashed")
        #expect(a[0] != b[0] && a[1] != b[1], "the same tokens 4..<8 follow a different block")
        #expect(hashes(Array(0..<12)) == a)
    }

    @Test func theLeadingHeldBlocksAreServedButNeverTheWholePrompt() {
        var cache = PrefixCache(blockTokens: 4, capacityTokens: 1000)
        let prompt = Array(UInt32(0)..<UInt32(12))
        #expect(cache.lookUp(hashes(prompt), promptTokens: 12) == 0)
        #expect(cache.lookUp(hashes(prompt + [50, 51]), promptTokens: 14) == 12)
        #expect(cache.lookUp(hashes(prompt), promptTokens: 12) == 8, "a fully cached prompt still computes its last block")
        #expect(cache.lookUp(hashes([7] + prompt), promptTokens: 13) == 0)
        #expect(cache.queriedTokens == 51 && cache.hitTokens == 20)
    }

    @Test func theLeastRecentlyUsedBlocksGoFirst() {
        var cache = PrefixCache(blockTokens: 4, capacityTokens: 16)  // 4 blocks
        let a = hashes(Array(0..<8)), b = hashes(Array(100..<108)), c = hashes(Array(200..<208))
        _ = cache.lookUp(a, promptTokens: 9)
        _ = cache.lookUp(b, promptTokens: 9)
        _ = cache.lookUp(a, promptTokens: 9)   // a is now newer than b
        _ = cache.lookUp(c, promptTokens: 9)   // evicts b's two blocks
        #expect(cache.heldBlocks == 4)
        #expect(cache.lookUp(a, promptTokens: 9) == 8)
        #expect(cache.lookUp(b, promptTokens: 9) == 0)
    }
}

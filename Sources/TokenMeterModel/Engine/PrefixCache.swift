/// A prefix cache as vLLM's and SGLang's work, as a value: prompts are cut into blocks of `blockTokens`, each identified by
/// a hash of itself and everything before it, and the blocks are kept least-recently-used first up to a capacity in
/// tokens. A prompt's cached tokens are its leading blocks already held; all of its full blocks are then held (and touched).
///
/// Simplifications, said in docs/workloads.md: a prompt's blocks are held from the moment it arrives (an engine holds them
/// once computed), its output's when it finishes; a block in use by a running sequence may be evicted like any other.
public struct PrefixCache: Sendable {
    /// Tokens per block.
    public let blockTokens: Int
    /// Blocks held at most.
    public let capacityBlocks: Int
    /// Prompt tokens looked up so far (`vllm:prefix_cache_queries`).
    public private(set) var queriedTokens = 0
    /// Of those, tokens served from the cache (`vllm:prefix_cache_hits`).
    public private(set) var hitTokens = 0

    private struct Node: Sendable {
        var hash: UInt64
        var older: Int32
        var newer: Int32
    }

    private var slots: [UInt64: Int32] = [:]
    private var nodes: [Node] = []
    private var free: [Int32] = []
    /// Least and most recently used nodes (-1: none).
    private var oldest: Int32 = -1
    private var newest: Int32 = -1

    /// Creates an empty cache of `capacityTokens` (rounded down to whole blocks, at least one).
    public init(blockTokens: Int, capacityTokens: Int) {
        self.blockTokens = max(1, blockTokens)
        capacityBlocks = max(1, capacityTokens / max(1, blockTokens))
    }

    /// Blocks held now.
    public var heldBlocks: Int { slots.count }

    /// The chained hashes of a prompt's full blocks, from its token ids.
    public static func blockHashes(_ tokens: [UInt32], blockTokens: Int) -> [UInt64] {
        guard blockTokens > 0 else { return [] }
        var hashes: [UInt64] = []
        hashes.reserveCapacity(tokens.count / blockTokens)
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        var i = 0
        while i + blockTokens <= tokens.count {
            for t in tokens[i..<(i + blockTokens)] { h = (h ^ UInt64(t)) &* 0x100_0000_01B3 }
            h ^= h >> 29
            hashes.append(h)
            i += blockTokens
        }
        return hashes
    }

    /// Looks a prompt up: returns its cached tokens (its leading held blocks, never the whole prompt: at least its last
    /// block is computed), then holds every one of its full blocks as the most recently used.
    public mutating func lookUp(_ hashes: [UInt64], promptTokens: Int) -> Int {
        var leading = 0
        while leading < hashes.count, slots[hashes[leading]] != nil { leading += 1 }
        var cached = leading * blockTokens
        if cached >= promptTokens, leading > 0 { cached = (leading - 1) * blockTokens }
        queriedTokens += promptTokens
        hitTokens += cached
        hold(hashes)
        return cached
    }

    /// Holds these blocks as the most recently used (a finished sequence's prompt and output, as engines keep them).
    public mutating func hold(_ hashes: [UInt64]) {
        for hash in hashes { hold(hash) }
    }

    private mutating func hold(_ hash: UInt64) {
        if let slot = slots[hash] {
            unlink(slot)
            link(slot)
            return
        }
        if slots.count >= capacityBlocks, oldest >= 0 {
            let victim = oldest
            unlink(victim)
            slots[nodes[Int(victim)].hash] = nil
            free.append(victim)
        }
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            nodes[Int(slot)] = Node(hash: hash, older: -1, newer: -1)
        } else {
            slot = Int32(nodes.count)
            nodes.append(Node(hash: hash, older: -1, newer: -1))
        }
        slots[hash] = slot
        link(slot)
    }

    /// Makes a node the newest.
    private mutating func link(_ slot: Int32) {
        nodes[Int(slot)].older = newest
        nodes[Int(slot)].newer = -1
        if newest >= 0 { nodes[Int(newest)].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int32) {
        let node = nodes[Int(slot)]
        if node.older >= 0 { nodes[Int(node.older)].newer = node.newer } else { oldest = node.newer }
        if node.newer >= 0 { nodes[Int(node.newer)].older = node.older } else { newest = node.older }
    }
}

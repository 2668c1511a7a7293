import Foundation
import Testing
import TokenMeterCore
import TokenMeterWorkloads

@Suite struct ValueDistributionTests {
    @Test func parsesEveryForm() throws {
        #expect(try ValueDistribution(parsing: "220", unit: .count, field: "x") == .fixed(220))
        #expect(try ValueDistribution(parsing: "2-4", unit: .count, field: "x") == .uniform(min: 2, max: 4))
        #expect(try ValueDistribution(parsing: "uniform:2-4", unit: .count, field: "x") == .uniform(min: 2, max: 4))
        #expect(try ValueDistribution(parsing: "normal:100,10,50,150", unit: .count, field: "x") == .normal(mean: 100, stddev: 10, min: 50, max: 150))
        #expect(try ValueDistribution(parsing: "lognormal:220,900,16000", unit: .count, field: "x") == .lognormal(median: 220, p90: 900, max: 16000))
        #expect(try ValueDistribution(parsing: "exponential:3", unit: .count, field: "x") == .exponential(mean: 3, max: nil))
        #expect(try ValueDistribution(parsing: "lognormal:500ms,15s,10m", unit: .seconds, field: "x") == .lognormal(median: 0.5, p90: 15, max: 600))
        #expect(try ValueDistribution(parsing: "1.5h", unit: .seconds, field: "x") == .fixed(5400))
    }

    @Test(arguments: ["abc", "-3", "4-2", "lognormal:900,220", "lognormal:0,5", "normal:1,2", "gamma:2", "2s"])
    func rejectsImpossibleValues(_ text: String) throws {
        let error = try #require(throws: ConfigError.self) { try ValueDistribution(parsing: text, unit: .count, field: "steps[0].llm") }
        #expect(error.field == "steps[0].llm")
    }

    @Test func lognormalHasItsMedianAndNinetiethPercentile() {
        var rng = SeededGenerator(seed: 11)
        let d = ValueDistribution.lognormal(median: 200, p90: 800, max: nil)
        let draws = (0..<40000).map { _ in d.sample(using: &rng) }.sorted()
        #expect(abs(draws[20000] / 200 - 1) < 0.05)
        #expect(abs(draws[36000] / 800 - 1) < 0.06)
        let mean = draws.reduce(0, +) / Double(draws.count)
        #expect(abs(mean / d.mean - 1) < 0.05)
        let capped = ValueDistribution.lognormal(median: 200, p90: 800, max: 300)
        #expect((0..<2000).allSatisfy { _ in capped.sample(using: &rng) <= 300 })
    }
}

@Suite struct ConversationProgramTests {
    @Test(arguments: ConversationProgram.presets)
    func everyPresetLoadsAndCallsTheModel(_ name: String) throws {
        let program = try ConversationProgram.named(name)
        #expect(program.name == name)
        #expect(program.callsTheModel)
        #expect(program.systemTokens > 0)
    }

    @Test func aWorkloadFileWithAMistakeNamesTheLineAndTheField() throws {
        let yaml = """
            name: mine
            steps:
              - user: 100
              - loop:
                  count: 3
                  steps:
                    - llm: 200
                    - tool: {wait: soon, output: 30}
            """
        let error = try #require(throws: ConfigError.self) { try ConversationProgram.load(yaml: yaml, source: "mine.yaml") }
        #expect(error.field == "steps[1].loop.steps[1].tool.wait")
        #expect(error.message.hasPrefix("mine.yaml:8:"))
        let unknown = try #require(throws: ConfigError.self) {
            try ConversationProgram.load(yaml: "steps:\n  - lm: 200\n", source: "w.yaml")
        }
        #expect(unknown.field == "steps[0].lm" && unknown.message.contains("did you mean 'llm'"))
        let noCall = try #require(throws: ConfigError.self) {
            try ConversationProgram.load(yaml: "steps:\n  - user: 20\n  - think: 2s\n", source: "w.yaml")
        }
        #expect(noCall.field == "steps" && noCall.message.contains("no step calls the model"))
        #expect(throws: ConfigError.self) { try ConversationProgram.named("no-such-workload") }
    }

    @Test func turnsOverrideTheFirstLoop() throws {
        let chat = try ConversationProgram.named("chat").withTurns(8)
        guard case let .loop(count, _, _) = chat.steps[0] else { Issue.record("chat starts with its turn loop"); return }
        #expect(count == .fixed(8))
    }
}

@Suite struct ConversationPlayerTests {
    let text = SyntheticText(seed: 5)

    func chat(turns: Int, contextLimit: Int? = nil) -> ConversationProgram {
        ConversationProgram(name: "t", kind: .session, systemTokens: 10, contextLimit: contextLimit, steps: [
            .loop(count: .fixed(Double(turns)), max: 100, steps: [.user(tokens: .fixed(5)), .llm(output: .fixed(4)), .think(.fixed(2))]),
        ])
    }

    func call(_ action: ConversationAction) -> ConversationCall? {
        if case let .call(c) = action { return c }
        return nil
    }

    @Test func eachTurnResendsTheWholeHistoryVerbatim() throws {
        var player = ConversationPlayer(program: chat(turns: 3), conversation: 1, text: text)
        var previous: [String] = []
        for turn in 0..<3 {
            let c = try #require(call(player.next()))
            let sent = c.messages.map { "\($0.role):\($0.text)" }
            #expect(c.waitSeconds == (turn == 0 ? 0 : 2))
            #expect(c.maxTokens == 4)
            #expect(Array(sent.prefix(previous.count)) == previous, "turn \(turn) holds every earlier message unchanged")
            #expect(c.messages.first?.role == .system && c.messages.last?.role == .user)
            #expect(c.promptTokens == 10 + turn * 9 + 5)
            player.answered("answer \(turn) w x", tokens: 4)
            previous = sent + ["assistant:answer \(turn) w x"]
        }
        if case .done = player.next() {} else { Issue.record("the last think time is not waited: the session ends at its last answer") }
        #expect(player.calls == 3 && player.thinkSeconds == 6)
    }

    @Test func theSystemPromptIsSharedAndEverythingElseIsTheConversationsOwn() throws {
        var a = ConversationPlayer(program: chat(turns: 1), conversation: 1, text: text)
        var b = ConversationPlayer(program: chat(turns: 1), conversation: 2, text: text)
        var again = ConversationPlayer(program: chat(turns: 1), conversation: 1, text: text)
        let (ca, cb, cagain) = (try #require(call(a.next())), try #require(call(b.next())), try #require(call(again.next())))
        #expect(ca.messages[0] == cb.messages[0])
        #expect(ca.messages[1].text != cb.messages[1].text)
        #expect(ca.messages == cagain.messages)
        #expect(ca.messages[1].text.split(separator: " ").count == 5)
    }

    @Test func theContextLimitDropsTheOldestMessagesAfterTheSystemPrompt() throws {
        var player = ConversationPlayer(program: chat(turns: 4, contextLimit: 30), conversation: 3, text: text)
        for _ in 0..<4 {
            let c = try #require(call(player.next()))
            #expect(c.promptTokens + c.maxTokens <= 30)
            #expect(c.messages.first?.role == .system)
            player.answered("a b c d", tokens: 4)
        }
        #expect(player.truncatedTokens > 0)
    }

    @Test func aFailedCallEndsTheConversation() throws {
        var player = ConversationPlayer(program: chat(turns: 5), conversation: 4, text: text)
        _ = try #require(call(player.next()))
        player.failed()
        if case .done = player.next() {} else { Issue.record("no call after a failure") }
        #expect(player.stoppedByFailure && player.calls == 1)
    }

    @Test func fanOutBranchesStartFromTheContextAndTheirAnswersJoinIt() throws {
        let program = ConversationProgram(name: "f", kind: .task, steps: [
            .user(tokens: .fixed(6)),
            .fanout(count: .fixed(3), steps: [.tool(wait: .fixed(1), output: .fixed(4)), .llm(output: .fixed(2))]),
            .llm(output: .fixed(3)),
        ])
        var player = ConversationPlayer(program: program, conversation: 9, text: text)
        guard case let .fork(branches, wait) = player.next() else { Issue.record("expected a fork"); return }
        #expect(branches.count == 3 && wait == 0)
        var done: [ConversationPlayer] = []
        for var branch in branches {
            let c = try #require(call(branch.next()))
            #expect(c.waitSeconds == 1 && c.messages.count == 2 && c.messages[0] == player.messages[0])
            branch.answered("x y", tokens: 2)
            if case .done = branch.next() {} else { Issue.record("a branch ends after its call") }
            done.append(branch)
        }
        #expect(done[0].messages[1].text != done[1].messages[1].text, "each branch's tool output is its own")
        player.joined(done)
        let last = try #require(call(player.next()))
        #expect(last.messages.count == 2 && last.messages[1].tokens == 6)
        #expect(last.messages[1].text == "x y\nx y\nx y")
        player.answered("a b c", tokens: 3)
        #expect(player.calls == 4 && player.toolSeconds == 3)
    }

    @Test func aRecordedCallSendsItsSynthesizedPromptAfterItsWait() throws {
        let shape = PromptShape.blocks(scope: 0, ids: [4, 7], blockSize: 16, tokens: 20)
        let program = ConversationProgram(name: "r", kind: .session, steps: [.recorded(RecordedCall(waitSeconds: 1.5, prompt: shape, outputTokens: 9, stream: false))])
        var player = ConversationPlayer(program: program, conversation: 1, text: text)
        let c = try #require(call(player.next()))
        #expect(c.waitSeconds == 1.5 && c.maxTokens == 9 && c.stream == false && c.promptTokens == 20)
        #expect(c.messages.map(\.text) == [text.prompt(shape)])
    }
}

@Suite struct SyntheticTextTests {
    @Test func equalIdsGiveEqualBlocksAndAPartialBlockIsAPrefix() {
        let text = SyntheticText(seed: 1)
        let a = text.prompt(.blocks(scope: 0, ids: [0, 1, 2], blockSize: 512, tokens: 1200))
        let b = text.prompt(.blocks(scope: 0, ids: [0, 3, 4, 5], blockSize: 512, tokens: 1800))
        let words = (a.split(separator: " "), b.split(separator: " "))
        #expect(words.0.count == 1200 && words.1.count == 1800)
        #expect(words.0.prefix(512) == words.1.prefix(512))
        #expect(words.0[512..<1024] != words.1[512..<1024])
        #expect(text.block(scope: 0, id: 2, length: 176) == words.0[1024...].joined(separator: " "))
        #expect(text.block(scope: 0, id: 2, length: 512).hasPrefix(text.block(scope: 0, id: 2, length: 176)))
        #expect(text.block(scope: 1, id: 0, length: 16) != text.block(scope: 0, id: 0, length: 16), "scopes keep local ids apart")
        #expect(SyntheticText(seed: 2).block(scope: 0, id: 0, length: 16) != text.block(scope: 0, id: 0, length: 16), "another seed busts the cache")
    }

    @Test func aVocabularyIsNarrowedToWordsATokenizerKeepsWhole() {
        let kept = SyntheticText.vocabulary { $0.trimmingCharacters(in: .whitespaces).count <= 3 }
        #expect(kept != nil && kept!.allSatisfy { $0.count <= 3 })
        #expect(SyntheticText.vocabulary { _ in false } == nil)
    }
}

import Foundation
import Testing
import TokenMeterTestSupport

/// On a terminal the progress line redraws in place; an interrupt must leave the terminal clean: the line cleared before the
/// results, no escape sequence after it, nothing hidden (no cursor or mode changes to undo), exit code 130. Run under
/// script(1) (Debian's bsdutils) so tokenmeter sees a real pseudo-terminal; Ctrl-C is typed once, as a user would.
@Suite struct TerminalTests {
    @Test func interruptOnATerminalLeavesItClean() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let transcript = dir.appendingPathComponent("typescript")
        // The second point at 1 request/s lasts 10 s: the single Ctrl-C lands inside it, whatever the machine's load.
        // exec: tokenmeter replaces the shell, so it alone is the terminal's foreground process and gets the one SIGINT.
        let command = "exec \(binary.path) bench --rate 4,1 --requests 10 --isl 16 --osl 8 --output \(dir.appendingPathComponent("out").path)"
        var env = ProcessInfo.processInfo.environment
        env["TOKENMETER_STORE"] = dir.appendingPathComponent("runs.sqlite").path
        env["TERM"] = "xterm"
        let process = try ChildProcess.spawn(["/usr/bin/script", "-q", "-e", "-f", "-c", command, transcript.path], environment: env, stdin: .pipe)
        defer { process.kill() }
        func typed() -> String { (try? String(contentsOf: transcript, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, !typed().contains("[2/2]") { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(typed().contains("[2/2]"), "the second point never started: \(typed())")
        do {
            try process.write(Data([0x03]))  // Ctrl-C, once
        } catch {
            Issue.record("script(1) no longer reads its input (\(error)); running: \(process.isRunning); transcript: \(typed())")
            return
        }
        let status = try await process.wait(timeout: max(1, deadline.timeIntervalSinceNow))
        let output = typed()
        #expect(status == 130, "exit \(String(describing: status)): \(output)")
        #expect(output.contains("interrupted: the measured requests were kept"), "\(output)")
        #expect(!output.contains("interrupted twice"))
        // The progress line redrew in place and was cleared; nothing after the last clear moves the cursor or changes modes.
        let clear = "\u{1B}[2K"
        #expect(output.contains(clear))
        let afterLastClear = output.components(separatedBy: clear).last ?? ""
        #expect(!afterLastClear.contains("\u{1B}["), "\(afterLastClear)")
        for hidden in ["\u{1B}[?25l", "\u{1B}[?1049h", "\u{1B}[?1h"] { #expect(!output.contains(hidden)) }
    }
}

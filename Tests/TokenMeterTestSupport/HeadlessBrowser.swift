import Foundation

/// Headless Chromium (Debian's `chromium` package, installed by scripts/test) for tests that must see a page as a browser
/// renders it: the DOM after load, and a screenshot kept as a test artifact.
public enum HeadlessBrowser {
    /// The browser binary, or nil when none is installed.
    public static var binary: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Where screenshots go: `.build/test-artifacts` of the package.
    public static var artifacts: URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/test-artifacts")
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The DOM of `url` after it loaded, serialized.
    public static func dom(_ url: String) async throws -> String {
        try await run(["--dump-dom", url], output: nil)
    }

    /// Takes a screenshot of `url` into `artifacts/name`; returns its path.
    public static func screenshot(_ url: String, name: String, height: Int = 4000) async throws -> String {
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let path = artifacts.appendingPathComponent(name).path
        try? FileManager.default.removeItem(atPath: path)
        _ = try await run(["--screenshot=\(path)", "--window-size=1200,\(height)", "--hide-scrollbars", url], output: path)
        return path
    }

    private static func run(_ arguments: [String], output: String?) async throws -> String {
        guard let binary else { throw Failure(description: "no headless browser: install Debian's chromium (scripts/test does)") }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tm-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        // No network: the report and dashboard must render from what they carry (and loopback).
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(profile.path)",
                     "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1", "--virtual-time-budget=5000"]
        // Output to a file, not a pipe: Chromium's helper processes may hold a pipe open after it exits.
        let dump = profile.appendingPathExtension("out")
        defer { try? FileManager.default.removeItem(at: dump) }
        let browser = try ChildProcess.spawn([binary] + flags + arguments, stdout: .file(dump.path, append: false))
        // Bounded: a browser that hangs is killed after 90 s and the test fails.
        guard let status = try await browser.wait(timeout: 90) else {
            await browser.stop(signal: SIGKILL)
            throw Failure(description: "chromium did not finish within 90 s")
        }
        guard status == 0, !browser.signaled else { throw Failure(description: "chromium did not finish cleanly (exit \(status))") }
        return (try? String(contentsOf: dump, encoding: .utf8)) ?? ""
    }
}

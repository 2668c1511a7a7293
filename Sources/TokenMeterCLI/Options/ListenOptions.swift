import ArgumentParser
import TokenMeterCore

/// `--host`, `--port`: where a server listens.
struct ListenOptions: ParsableArguments {
    @Option(help: "Address to bind (anything but loopback needs care: see the command's description).") var host = "127.0.0.1"
    @Option(help: "Port to bind, 0 for any free one (serve default 8080, target 8000).") var port: Int?

    /// The port, or `fallback`, checked.
    func port(default fallback: Int) throws(ConfigError) -> Int {
        let p = port ?? fallback
        guard (0...65535).contains(p) else { throw ConfigError(field: "port", message: "must be 0...65535, got \(p)") }
        return p
    }
}

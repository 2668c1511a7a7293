import Foundation
import NIOHTTP1
import TokenMeterCore
import TokenMeterHTTP

/// A worker of an Indexed Job (`tokenmeter deploy k8s`) starting each point through one ConfigMap, by the Kubernetes API
/// only (`KubernetesStartProtocol` decides; this reads and merge-patches the ConfigMap). Rank from `JOB_COMPLETION_INDEX`,
/// size from `TOKENMETER_WORKERS`, the ConfigMap from `TOKENMETER_START_CONFIGMAP`, the API at
/// `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` with the pod's service-account token and CA.
public final class KubernetesStartGate: WorkerStartGate, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    public var job: String { "k8s \(namespace)/\(configMap)" }
    let namespace: String
    let configMap: String
    let token: String
    let client: StreamingHTTPClient
    let host: String
    /// How long a worker waits for the others at a point before giving up.
    public var timeoutSeconds: Double = 600

    static let serviceAccount = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// From the pod's environment and service account; an error names what is missing.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) {
        func required(_ name: String) throws(ConfigError) -> String {
            guard let v = environment[name], !v.isEmpty else {
                throw ConfigError(field: "worker", message: "\(name) is not set: run the worker from the Job that tokenmeter deploy k8s writes")
            }
            return v
        }
        guard let rank = Int(try required("JOB_COMPLETION_INDEX")), let size = Int(try required("TOKENMETER_WORKERS")), (0..<size).contains(rank) else {
            throw ConfigError(field: "worker", message: "JOB_COMPLETION_INDEX and TOKENMETER_WORKERS are not a rank of the workers")
        }
        self.rank = rank
        self.size = size
        configMap = try required("TOKENMETER_START_CONFIGMAP")
        let file = { (name: String) in FileContents.read(Self.serviceAccount + "/" + name).map { String(decoding: $0, as: UTF8.self) } }
        namespace = environment["POD_NAMESPACE"] ?? file("namespace")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "default"
        guard let token = file("token")?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw ConfigError(field: "worker", message: "no service-account token at \(Self.serviceAccount)/token: the pod needs its service account mounted")
        }
        self.token = token
        host = try required("KUBERNETES_SERVICE_HOST")
        guard let port = Int(environment["KUBERNETES_SERVICE_PORT"] ?? "443") else {
            throw ConfigError(field: "worker", message: "KUBERNETES_SERVICE_PORT is not a port")
        }
        client = StreamingHTTPClient(host: host, port: port, threads: 1,
                                     tls: try StreamingHTTPClient.tlsContext(caFile: Self.serviceAccount + "/ca.crt"))
    }

    var path: String { "/api/v1/namespaces/\(namespace)/configmaps/\(configMap)" }

    public func startInstant(point: Int) async throws -> (startAt: UInt64, barrierExit: UInt64) {
        var state = KubernetesStartProtocol(rank: rank, size: size, point: point)
        let deadline = MonotonicClock.nowNanoseconds() + UInt64(timeoutSeconds * 1e9)
        var data = try await read()
        while MonotonicClock.nowNanoseconds() < deadline {
            switch state.next(data: data, now: WallClock.nowNanoseconds()) {
            case let .start(at): return (at, WallClock.nowNanoseconds())
            case let .patch(keys): try await patch(keys)
            case .poll: try await Task.sleep(nanoseconds: 20_000_000)
            }
            data = try await read()
        }
        throw ConfigError(field: "worker", message: "point \(point): the other workers did not reach ConfigMap \(configMap) within \(Int(timeoutSeconds)) s")
    }

    public func leave() { Task { [client] in await client.shutdown() } }

    /// The ConfigMap's data.
    func read() async throws -> [String: String] {
        let json = try await send(.GET, body: nil)
        guard case let .object(members)? = json["data"] else { return [:] }
        return Dictionary(members.compactMap { k, v in v.stringValue.map { (k, $0) } }, uniquingKeysWith: { a, _ in a })
    }

    /// Adds keys to the ConfigMap's data (JSON merge patch: other workers' keys are kept).
    func patch(_ keys: [String: String]) async throws {
        let data = JSONValue.object(keys.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        _ = try await send(.PATCH, body: JSONValue.object([("data", data)]).serialized)
    }

    func send(_ method: HTTPMethod, body: String?) async throws -> JSONValue {
        var headers = [("Host", host), ("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/merge-patch+json")) }
        let response = await client.execute(PreparedRequest(method: method, uri: path, headers: headers, body: Array((body ?? "").utf8),
                                                            expectsEventStream: false))
        if let failure = response.failure { throw ConfigError(field: "worker", message: "the Kubernetes API did not answer: \(failure.message)") }
        guard response.status == 200, let json = try? JSONValue.parse(response.body) else {
            throw ConfigError(field: "worker", message: "the Kubernetes API answered \(method) \(path) with HTTP \(response.status ?? 0): "
                              + "the worker's service account needs get and patch on that ConfigMap (the Role deploy k8s writes)")
        }
        return json
    }
}

import Foundation
import TokenMeterCore

/// The Kubernetes objects of a scaled-out benchmark (`tokenmeter deploy k8s`): an Indexed Job of `workers` pods, one per
/// node (rank from `JOB_COMPLETION_INDEX`), its headless Service, a ServiceAccount with a Role that may only read and patch
/// the one ConfigMap through which every point starts, that ConfigMap, and a ReadWriteMany volume for the results, which
/// `tokenmeter merge /results` merges. Written as YAML documents.
public struct KubernetesManifests: Sendable {
    public var name: String
    public var namespace: String?
    public var workers: Int
    public var image: String
    /// The worker's `bench` arguments (the load, the endpoint), without `--worker` and `--output`.
    public var benchArguments: [String]
    public var resultsSize: String
    public var storageClass: String?

    public init(name: String, namespace: String?, workers: Int, image: String, benchArguments: [String], resultsSize: String, storageClass: String?) {
        self.name = name
        self.namespace = namespace
        self.workers = workers
        self.image = image
        self.benchArguments = benchArguments
        self.resultsSize = resultsSize
        self.storageClass = storageClass
    }

    var startConfigMap: String { "\(name)-start" }
    var labels: JSONValue { .object([("app.kubernetes.io/name", .string("tokenmeter")), ("tokenmeter.dev/job", .string(name))]) }

    func metadata(_ objectName: String) -> JSONValue {
        .object([("name", .string(objectName))] + (namespace.map { [("namespace", .string($0))] } ?? []) + [("labels", labels)])
    }

    /// Every object, in the order to apply them.
    public var objects: [JSONValue] {
        let strings = { (values: [String]) in JSONValue.array(values.map { .string($0) }) }
        let serviceAccount: JSONValue = .object([("apiVersion", .string("v1")), ("kind", .string("ServiceAccount")), ("metadata", metadata(name))])
        let role: JSONValue = .object([
            ("apiVersion", .string("rbac.authorization.k8s.io/v1")), ("kind", .string("Role")), ("metadata", metadata(startConfigMap)),
            ("rules", .array([.object([("apiGroups", strings([""])), ("resources", strings(["configmaps"])), ("resourceNames", strings([startConfigMap])),
                                       ("verbs", strings(["get", "patch"]))])])),
        ])
        let binding: JSONValue = .object([
            ("apiVersion", .string("rbac.authorization.k8s.io/v1")), ("kind", .string("RoleBinding")), ("metadata", metadata(startConfigMap)),
            ("subjects", .array([.object([("kind", .string("ServiceAccount")), ("name", .string(name))] + (namespace.map { [("namespace", .string($0))] } ?? []))])),
            ("roleRef", .object([("apiGroup", .string("rbac.authorization.k8s.io")), ("kind", .string("Role")), ("name", .string(startConfigMap))])),
        ])
        let configMap: JSONValue = .object([("apiVersion", .string("v1")), ("kind", .string("ConfigMap")), ("metadata", metadata(startConfigMap)),
                                            ("data", .object([("workers", .string(String(workers)))]))])
        let service: JSONValue = .object([
            ("apiVersion", .string("v1")), ("kind", .string("Service")), ("metadata", metadata(name)),
            ("spec", .object([("clusterIP", .string("None")), ("selector", .object([("tokenmeter.dev/job", .string(name))]))])),
        ])
        var volumeSpec: [(String, JSONValue)] = [("accessModes", strings(["ReadWriteMany"])),
                                                 ("resources", .object([("requests", .object([("storage", .string(resultsSize))]))]))]
        if let storageClass { volumeSpec.append(("storageClassName", .string(storageClass))) }
        let volume: JSONValue = .object([("apiVersion", .string("v1")), ("kind", .string("PersistentVolumeClaim")), ("metadata", metadata("\(name)-results")),
                                         ("spec", .object(volumeSpec))])
        return [serviceAccount, role, binding, configMap, service, volume, job]
    }

    var job: JSONValue {
        let strings = { (values: [String]) in JSONValue.array(values.map { .string($0) }) }
        let env: JSONValue = .array([
            .object([("name", .string("TOKENMETER_WORKERS")), ("value", .string(String(workers)))]),
            .object([("name", .string("TOKENMETER_START_CONFIGMAP")), ("value", .string(startConfigMap))]),
            .object([("name", .string("POD_NAMESPACE")), ("valueFrom", .object([("fieldRef", .object([("fieldPath", .string("metadata.namespace"))]))]))]),
        ])
        let container: JSONValue = .object([
            ("name", .string("worker")), ("image", .string(image)), ("command", strings(["tokenmeter"])),
            ("args", strings(["bench"] + benchArguments + ["--worker", "k8s", "--output", "/results", "--quiet", "--no-store"])),
            ("env", env), ("volumeMounts", .array([.object([("name", .string("results")), ("mountPath", .string("/results"))])])),
        ])
        // One worker per node: more client machines, more client IPs.
        let antiAffinity: JSONValue = .object([("podAntiAffinity", .object([("requiredDuringSchedulingIgnoredDuringExecution", .array([.object([
            ("labelSelector", .object([("matchLabels", .object([("tokenmeter.dev/job", .string(name))]))])), ("topologyKey", .string("kubernetes.io/hostname")),
        ])]))]))])
        let pod: JSONValue = .object([
            ("subdomain", .string(name)), ("serviceAccountName", .string(name)), ("restartPolicy", .string("Never")), ("affinity", antiAffinity),
            ("containers", .array([container])),
            ("volumes", .array([.object([("name", .string("results")), ("persistentVolumeClaim", .object([("claimName", .string("\(name)-results"))]))])])),
        ])
        return .object([
            ("apiVersion", .string("batch/v1")), ("kind", .string("Job")), ("metadata", metadata(name)),
            ("spec", .object([
                ("completionMode", .string("Indexed")), ("completions", .number(Double(workers))), ("parallelism", .number(Double(workers))),
                // One failing worker fails the Job: a partial benchmark is not retried into a different one.
                ("backoffLimit", .number(0)),
                ("template", .object([("metadata", .object([("labels", labels)])), ("spec", pod)])),
            ])),
        ])
    }

    /// The objects as one YAML stream.
    public var yaml: String { objects.map { "---\n" + YAMLText.block($0) }.joined() }
}

/// JSON values as block-style YAML: mappings and sequences indented, every string double-quoted (JSON's quoting is valid
/// YAML), numbers and booleans plain.
public enum YAMLText {
    public static func block(_ value: JSONValue, indent: Int = 0) -> String {
        var out = ""
        write(value, indent: indent, into: &out)
        return out
    }

    /// A key written without quotes: letters, digits, `_ . / -`, starting with a letter, and not a word YAML reads as a
    /// boolean or null.
    static func plainKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, CharacterSet.letters.contains(first) else { return false }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_./-"))
        let reserved: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
        return key.unicodeScalars.allSatisfy { allowed.contains($0) } && !reserved.contains(key.lowercased())
    }

    static func scalar(_ v: JSONValue) -> String? {
        switch v {
        case .null: "null"
        case let .bool(b): b ? "true" : "false"
        case let .number(n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string: v.serialized
        case let .array(a) where a.isEmpty: "[]"
        case let .object(o) where o.isEmpty: "{}"
        default: nil
        }
    }

    static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case let .object(members) where !members.isEmpty:
            for (key, child) in members {
                let k = plainKey(key) ? key : JSONValue.string(key).serialized
                if let s = scalar(child) { out += "\(pad)\(k): \(s)\n" } else {
                    out += "\(pad)\(k):\n"
                    write(child, indent: indent + 2, into: &out)
                }
            }
        case let .array(items) where !items.isEmpty:
            for item in items {
                if let s = scalar(item) { out += "\(pad)- \(s)\n"; continue }
                var nested = ""
                write(item, indent: indent + 2, into: &nested)
                out += pad + "- " + nested.dropFirst(indent + 2)
            }
        default:
            out += pad + (scalar(value) ?? "null") + "\n"
        }
    }
}

import Foundation
import Testing
import TokenMeterCore
import TokenMeterTestSupport

/// `tokenmeter deploy k8s` writes manifests that the Kubernetes API's own schema accepts, strictly (kubernetes-validate
/// 1.37 from PyPI, scripts/k8s-validate): an Indexed Job of one worker per node, its headless Service, a Role that can only
/// read and patch the one start ConfigMap, and the results volume. Running them needs a cluster, which this machine does
/// not have: docs/scale-out.md says what was and was not tried.
@Suite struct DeployK8sTests {
    static let validate = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/k8s-validate").path

    @Test func manifestsAreValidKubernetesObjects() async throws {
        let dir = scratch()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bench.yaml")
        let r = try await tokenmeter(["deploy", "k8s", "--workers", "8", "--image", "registry.example/tokenmeter:0.1", "--namespace", "bench",
                                      "--storage-class", "nfs", "-o", file.path, "--", "--url", "http://vllm.bench.svc:8000/v1",
                                      "--concurrency", "1024,4096", "--requests", "20000", "--osl", "512"])
        #expect(r.status == 0, "\(r.stderr)")
        let child = try ChildProcess.spawn(["/bin/bash", Self.validate, file.path], stdout: .pipe, stderr: .pipe)
        async let out = child.output()
        async let err = child.errorOutput()
        let status = try await child.wait(timeout: 300)
        let log = String(decoding: await out, as: UTF8.self) + String(decoding: await err, as: UTF8.self)
        #expect(status == 0, "kubernetes-validate: \(log)")
        // What the objects say, read back.
        let objects = try YAMLDocument.jsonDocuments(try String(contentsOf: file, encoding: .utf8), source: "bench.yaml")
        #expect(objects.compactMap { $0["kind"]?.stringValue } == ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Service", "PersistentVolumeClaim", "Job"])
        let job = try #require(objects.last)
        #expect(job["spec"]?["completionMode"] == .string("Indexed") && job["spec"]?["completions"] == .number(8)
                && job["spec"]?["parallelism"] == .number(8) && job["spec"]?["backoffLimit"] == .number(0))
        let pod = job["spec"]?["template"]?["spec"]
        #expect(pod?["affinity"]?["podAntiAffinity"] != nil && pod?["subdomain"] == .string("tokenmeter-bench"))
        let args = pod?["containers"]?[0]?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(args.suffix(6) == ["--worker", "k8s", "--output", "/results", "--quiet", "--no-store"] && args.contains("1024,4096"))
        let rule = objects[1]["rules"]?[0]
        #expect(rule?["resourceNames"] == .array([.string("tokenmeter-bench-start")]) && rule?["verbs"] == .array([.string("get"), .string("patch")]))
        #expect(objects[5]["spec"]?["storageClassName"] == .string("nfs"))
    }

    @Test(arguments: [
        (["--workers", "4", "--image", "x", "--", "--concurrency", "8"], "--url"),
        (["--workers", "4", "--image", "x", "--", "--url", "http://e/v1", "--concurrency", "2"], "cannot be split over 4 workers"),
        (["--workers", "2", "--image", "x", "--name", "Bad_Name", "--", "--url", "http://e/v1"], "not a Kubernetes name"),
        (["--workers", "2", "--image", "x", "--", "--url", "http://e/v1", "--no-such-option"], "do not parse"),
    ])
    func badInputIsAClearError(_ arguments: [String], _ says: String) async throws {
        let r = try await tokenmeter(["deploy", "k8s"] + arguments)
        #expect(r.status == 2 && r.stderr.contains(says), "\(r.stderr)")
    }
}

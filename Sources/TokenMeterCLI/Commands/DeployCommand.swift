import ArgumentParser
import Foundation
import TokenMeterBench
import TokenMeterCore
import TokenMeterReport

/// `tokenmeter deploy k8s`: the manifests of a scaled-out benchmark on Kubernetes (docs/scale-out.md).
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Write what runs a scaled-out benchmark on an engine you operate.", subcommands: [Kubernetes.self])

    struct Kubernetes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "k8s",
            abstract: "Write the Kubernetes objects of a benchmark split over many pods: an Indexed Job, one worker per node, starting each point through one ConfigMap.",
            discussion: """
                Give the benchmark's bench options after --, e.g. tokenmeter deploy k8s --workers 8 --image REGISTRY/tokenmeter:0.1 \\
                -- --url http://vllm:8000/v1 --concurrency 4096 --requests 100000. Apply with kubectl apply -f; when the Job is \\
                complete, tokenmeter merge /results in a pod that mounts the results volume gives the one merged run.
                """)

        @Option(help: "Worker pods (one per node).") var workers: Int
        @Option(help: "Container image holding the tokenmeter binary on PATH.") var image: String
        @Option(help: "Name of the Job and its objects.") var name = "tokenmeter-bench"
        @Option(help: "Namespace (default: the one kubectl applies to).") var namespace: String?
        @Option(help: "Size of the ReadWriteMany results volume.") var resultsSize = "10Gi"
        @Option(help: "Storage class of the results volume (default: the cluster's).") var storageClass: String?
        @Option(name: .shortAndLong, help: "Write the manifests to this file instead of standard output.") var output: String?
        @Argument(parsing: .postTerminator, help: "The bench options of every worker (after --).") var bench: [String] = []

        func run() async throws {
            guard (1...4096).contains(workers) else { throw ConfigError(field: "workers", message: "must be 1 to 4096, got \(workers)") }
            guard name.range(of: #"^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$"#, options: .regularExpression) != nil else {
                throw ConfigError(field: "name", message: "'\(name)' is not a Kubernetes name (lower-case letters, digits and '-', at most 42)")
            }
            // The workers' options are checked here, split included, so that a mistake shows now and not in every pod.
            let command: BenchCommand
            do { command = try BenchCommand.parse(bench) } catch {
                throw ConfigError(field: "bench", message: "the bench options after -- do not parse: \(BenchCommand.message(for: error))")
            }
            guard command.endpoint.effectiveURL != nil else {
                throw ConfigError(field: "bench", message: "give the workers --url: the endpoint every pod loads")
            }
            try command.checkSplit(over: workers)
            let manifests = KubernetesManifests(name: name, namespace: namespace, workers: workers, image: image,
                                                benchArguments: BenchCommand.workerArguments(bench), resultsSize: resultsSize, storageClass: storageClass)
            if let output {
                do { try manifests.yaml.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    throw ConfigError(field: "output", message: "cannot write \(output): \(error.localizedDescription)")
                }
                Terminal.error("wrote \(output): \(manifests.objects.count) objects; kubectl apply -f \(output)")
            } else {
                print(manifests.yaml, terminator: "")
            }
        }
    }
}

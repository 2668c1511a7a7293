import ArgumentParser

/// `--json`: print JSON instead of text.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of text.") var json = false
}

/// `--label`: a free-text label kept with a run.
struct LabelOption: ParsableArguments {
    @Option(help: "Free-text label stored with the run.") var label: String?
}

/// `-o`, `--output`: where to write.
struct OutputFileOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Where to write: bench's folder for result.json and timeline.jsonl (default tokenmeter-results/<time>), or the file of report and runs export.")
    var output: String?
}

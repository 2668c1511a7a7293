import ArgumentParser

/// `--result`: result files of bench.
struct ResultOption: ParsableArguments {
    @Option(help: "A tokenmeter result.json (cost: repeat it for repeated runs of the same sweep).") var result: [String] = []
}

/// `--data`: a measured serving CSV.
struct DataOption: ParsableArguments {
    @Option(help: "A CSV in the format of measured-hopper.csv.") var data: String?
}

/// `--tokenizer`: a Hugging Face tokenizer.
struct TokenizerOption: ParsableArguments {
    @Option(help: "A Hugging Face tokenizer.json (or its folder): exact prompt lengths and a local count of every output.") var tokenizer: String?
}

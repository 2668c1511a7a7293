import ArgumentParser

/// One run id.
struct RunIDArgument: ParsableArguments {
    @Argument(help: "Run id (or a unique prefix).") var id: String
}

/// Several run (or prediction) ids.
struct RunIDsArgument: ParsableArguments {
    @Argument(help: "Run ids (or unique prefixes); runs compare also takes prediction ids (p-…).") var ids: [String] = []
}

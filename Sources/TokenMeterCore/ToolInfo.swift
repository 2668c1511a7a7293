/// The tool's name and version, stamped on every result.
public enum ToolInfo {
    /// Semantic version of this build.
    public static let version = "0.1.0"
    /// Version of the JSON result schema.
    public static let resultSchema = "tokenmeter.result/v1"
}

import ArgumentParser
import TokenMeterCore
import TokenMeterResults

/// What `bench` records about a run beside its measurements: the GPUs and objective it is measured against, where its
/// files go, and what it ran on.
struct RunOptions: ParsableArguments {
    @OptionGroup var gpus: GPUCountOption
    @OptionGroup var slo: SLOOption
    @OptionGroup var output: OutputFileOption
    @OptionGroup var label: LabelOption
    @OptionGroup var gpu: GPUOption
    @OptionGroup var engine: EngineOption
    @Option(help: "The engine's version, kept with the run.") var engineVersion: String?

    /// What the store keeps about the run.
    var metadata: RunMetadata {
        RunMetadata(hardware: gpu.gpu, engine: engine.engine, engineVersion: engineVersion, label: label.label)
    }
}

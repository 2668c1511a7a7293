import ArgumentParser
import TokenMeterBench
import TokenMeterDialects
import TokenMeterReport
import TokenMeterResults
import TokenMeterWorkloads

extension APIKind: ExpressibleByArgument {}
extension MaxTokensField: ExpressibleByArgument {}
extension ArrivalProcess: ExpressibleByArgument {}
extension DrainRule: ExpressibleByArgument {}
extension TokenizeMode: ExpressibleByArgument {}
extension TraceFormat: ExpressibleByArgument {}
extension Exporter.Format: ExpressibleByArgument {}
extension Importer.Format: ExpressibleByArgument {}

import ArgumentParser
import TokenMeterBench
import TokenMeterOpenAI
import TokenMeterReport
import TokenMeterResults

extension APIKind: ExpressibleByArgument {}
extension ArrivalProcess: ExpressibleByArgument {}
extension DrainRule: ExpressibleByArgument {}
extension TokenizeMode: ExpressibleByArgument {}
extension Exporter.Format: ExpressibleByArgument {}
extension Importer.Format: ExpressibleByArgument {}

import ArgumentParser
import TokenMeterBench
import TokenMeterOpenAI
import TokenMeterResults

extension APIKind: ExpressibleByArgument {}
extension ArrivalProcess: ExpressibleByArgument {}
extension DrainRule: ExpressibleByArgument {}

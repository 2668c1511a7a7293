import ArgumentParser
import TokenMeterBench
import TokenMeterResults

extension APIKind: ExpressibleByArgument {}
extension ArrivalProcess: ExpressibleByArgument {}
extension DrainRule: ExpressibleByArgument {}

import ArgumentParser
import TokenMeterBench

extension APIKind: ExpressibleByArgument {}
extension ArrivalProcess: ExpressibleByArgument {}
extension DrainRule: ExpressibleByArgument {}

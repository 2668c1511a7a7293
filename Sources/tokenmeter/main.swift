import TokenMeterCLI

await TokenMeterCommand.main()

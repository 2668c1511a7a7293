# vLLM's `vllm bench serve` without vLLM's CLI entry point (which imports the server stack): the same parser and main().
import argparse, sys
import vllm.benchmarks.serve as serve
parser = argparse.ArgumentParser(prog="vllm bench serve")
serve.add_cli_args(parser)
serve.main(parser.parse_args(sys.argv[1:]))

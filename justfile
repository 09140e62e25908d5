# actlab recipes. `just --list` shows them.

# Run an experiment by name or path, e.g. `just run sigmoid-vs-relu --set train.lr=0.1`.
run experiment *args:
    cargo run --release --quiet --bin actlab -- run {{experiment}} {{args}}

# Run an experiment on a GPU through wgpu (builds the wgpu feature; long the first time).
run-wgpu experiment *args:
    cargo run --release --quiet --features wgpu --bin actlab -- run {{experiment}} --backend wgpu {{args}}

# Run an experiment on an NVIDIA GPU through Burn's CUDA backend (builds the cuda feature).
run-cuda experiment *args:
    cargo run --release --quiet --features cuda --bin actlab -- run {{experiment}} --backend cuda {{args}}

# List the experiments and their questions.
list:
    cargo run --release --quiet --bin actlab -- list

# Rebuild a run folder's figures and report from its files.
analyze run_dir:
    cargo run --release --quiet --bin actlab -- analyze {{run_dir}}

# Check the published claims actlab reproduces: `just verify` (--quick, at most 10 min), `just verify --full`, `just verify --list`.
verify *args:
    cargo run --release --quiet --bin actlab -- verify {{args}}

# The test suite (release build: it trains networks).
test:
    cargo test --release

# Training-speed benchmarks, printed as a table (`just bench fused` or `just bench burn`: one engine; `just bench gpt`: the GPT recipe beside PyTorch; `just bench pytorch`: every row measured beside PyTorch).
bench *args:
    cargo run --release --quiet --bin actlab-bench -- {{args}}

# The Burn engine's benchmarks on wgpu (builds the wgpu feature; long the first time).
bench-wgpu *args:
    cargo run --release --quiet --features wgpu --bin actlab-bench -- burn --backend wgpu {{args}}

# Regenerate the golden fixtures (needs Python with numpy, scipy, scikit-learn, statsmodels, mnist1d and torch).
golden:
    python3 tests/golden/make_golden.py
    python3 tests/golden/make_data_golden.py
    python3 tests/golden/make_math_golden.py
    python3 tests/golden/make_gpt_golden.py

#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run calls this script).
# Formatting, lints as errors, then every test of the workspace (unit, property, integration,
# golden-file, fuzz-corpus replay and doc tests), then the Qdrant conformance tests (Python,
# qdrant-client pinned, installed in a venv under target/). Benchmarks never run here.
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-shot build gains nothing from incremental caches, which would double target/ on disk.
export CARGO_INCREMENTAL=0

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

echo "== cargo doc (broken links and doc warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --locked

echo "== cargo test"
cargo test --workspace --locked

echo "== shard crash test: SIGKILL a writer of every update kind 30 times (the bench runs 500)"
target/debug/sextant-bench shard-crash --kills 30 --max-run-ms 400

echo "== cargo test: the payload index without its default stemmer feature"
cargo test --locked -p sextant-payload-index --no-default-features --test text

echo "== Qdrant conformance: payload filters against qdrant-client's Local Mode (pinned, in a venv)"
python3 -m venv target/conformance-venv
target/conformance-venv/bin/pip install --quiet --disable-pip-version-check \
    -r crates/payload-index/conformance/requirements.txt
cargo build --locked -p sextant-payload-index --example filter_ids
target/conformance-venv/bin/python crates/payload-index/conformance/filters.py \
    --bin target/debug/examples/filter_ids

echo "== Qdrant conformance: shard operations and queries against qdrant-client's Local Mode"
cargo build --locked -p sextant-shard --example shard_script
for args in "--seed 7" "--seed 8" "--seed 9 --no-deletes"; do
    # shellcheck disable=SC2086
    target/conformance-venv/bin/python crates/shard/conformance/shard.py \
        --bin target/debug/examples/shard_script --steps 600 $args
done

echo "== Qdrant REST API: the server driven by qdrant-client, against its Local Mode (pytest)"
target/conformance-venv/bin/pip install --quiet --disable-pip-version-check \
    -r crates/server/tests/requirements.txt
cargo build --locked -p sextant-server
SEXTANT_SERVER_BIN=target/debug/sextant-server \
    target/conformance-venv/bin/python -m pytest -q -p no:cacheprovider crates/server/tests

echo "== Python package: sextant.Index, and the server's tests again through sextant.local()"
target/conformance-venv/bin/pip install --quiet --disable-pip-version-check ./crates/python
target/conformance-venv/bin/python -m pytest -q -p no:cacheprovider crates/python/tests
SEXTANT_TARGET=local \
    target/conformance-venv/bin/python -m pytest -q -p no:cacheprovider crates/server/tests

echo "== ci/test.sh: all green"

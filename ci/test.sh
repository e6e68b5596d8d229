#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run calls this script).
# Formatting, lints as errors, then every test of the workspace (unit, property, integration,
# golden-file, fuzz-corpus replay and doc tests). Benchmarks never run here.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

echo "== cargo doc (broken links and doc warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --locked

echo "== cargo test"
cargo test --workspace --locked

echo "== ci/test.sh: all green"

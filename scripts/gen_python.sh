#!/usr/bin/env bash
# Generate the Python stubs for proto/aegis/v1 into OUTDIR (default: the repo root),
# as aegis/v1/*_pb2{,_grpc}.py{,i}. The generated package mirrors the proto package
# name, so generated imports ("from aegis.v1 import evaluation_pb2") resolve as-is.
# tests/test_generated.py runs this into a temporary directory and fails when the
# committed stubs differ: regenerate with `make generate`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root}"
python="${PYTHON:-$root/.venv/bin/python}"
mkdir -p "$out/aegis/v1"
rm -f "$out"/aegis/v1/*_pb2*.py "$out"/aegis/v1/*_pb2*.pyi
cd "$root"
"$python" -m grpc_tools.protoc -I proto -I third_party/googleapis \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  proto/aegis/v1/*.proto
cat > "$out/aegis/v1/__init__.py" <<'PY'
"""Generated from proto/aegis/v1 by scripts/gen_python.sh (`make generate`). Do not edit."""
PY

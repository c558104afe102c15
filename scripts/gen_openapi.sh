#!/usr/bin/env bash
# Generate the OpenAPI document of the REST surface, aegis/api/openapi.json, under OUTDIR
# (default: the repo root): protoc-gen-openapiv2 through `buf generate --template
# buf.gen.openapi.yaml`, then scripts/finish_openapi.py. tests/api/test_openapi.py runs this
# into a temporary directory and fails when the committed document differs: regenerate
# with `make generate`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root}"
python="${PYTHON:-$root/.venv/bin/python}"
export PATH="$root/.cache/bin:$root/tools/node_modules/.bin:$PATH"

for tool in buf protoc-gen-openapiv2; do
  if ! command -v "$tool" >/dev/null; then
    echo "gen_openapi.sh: $tool not found on PATH or in .cache/bin, tools/node_modules/.bin: run \`make tools\`" >&2
    exit 1
  fi
done

mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
buf generate --template buf.gen.openapi.yaml -o "$work"
"$python" scripts/finish_openapi.py "$work/openapi.swagger.json" "$out/aegis/api/openapi.json"

#!/usr/bin/env bash
# Generate the Go (clients/go/aegis/v1) and TypeScript (clients/ts/src/gen) clients for
# proto/aegis/v1 into OUTDIR (default: the repo root) with `buf generate` and buf.gen.yaml.
# The pinned plugins (`make tools`: .cache/bin, tools/node_modules/.bin) come first on PATH.
# tests/clients/test_clients_generated.py runs this into a temporary directory and fails
# when the committed clients differ: regenerate with `make generate`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root}"
export PATH="$root/.cache/bin:$root/tools/node_modules/.bin:$PATH"

for tool in buf protoc-gen-go protoc-gen-go-grpc protoc-gen-es; do
  if ! command -v "$tool" >/dev/null; then
    echo "gen_clients.sh: $tool not found on PATH or in .cache/bin, tools/node_modules/.bin: run \`make tools\`" >&2
    exit 1
  fi
done

# Generated Go code refuses to build against an older runtime, and newer-runtime drift
# shows up as a stale header: keep the generator and clients/go/go.mod in step.
want="$(awk '$1 == "google.golang.org/protobuf" { print $2 }' "$root/clients/go/go.mod")"
have="$(protoc-gen-go --version | awk '{ print $2 }')"
if [ "$want" != "$have" ]; then
  echo "gen_clients.sh: protoc-gen-go is $have but clients/go/go.mod requires google.golang.org/protobuf $want: run \`make tools\`" >&2
  exit 1
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
# Start clean so files of a removed .proto do not linger.
rm -f "$out"/clients/go/aegis/v1/*.pb.go
rm -rf "$out/clients/ts/src/gen"
cd "$root"
buf generate --template buf.gen.yaml -o "$out"

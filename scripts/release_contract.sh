#!/usr/bin/env bash
# Freeze the contract of a release as the image `buf breaking` compares against (make lint):
#   scripts/release_contract.sh v0.3.0      # any git revision: a tag, a commit
# builds proto/ of that revision, as committed there, into proto/released/aegis-v1.binpb and
# records the revision in proto/released/aegis-v1.revision (tests/test_contract.py rebuilds
# the image from it and compares). docs/contract.md says when to run it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rev="${1:?usage: scripts/release_contract.sh GIT-REVISION}"
buf="${BUF:-$root/tools/node_modules/.bin/buf}"
[ -x "$buf" ] || { echo "release_contract.sh: $buf not found: run \`make tools\`" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The revision's own workspace: its buf.yaml, its proto/ and its vendored google/api files.
git -C "$root" archive "$rev" buf.yaml proto third_party | tar -x -C "$work"
out="${OUT:-$root/proto/released}"
mkdir -p "$out"
(cd "$work" && "$buf" build --exclude-source-info -o "$out/aegis-v1.binpb")
git -C "$root" rev-parse --verify "$rev^{commit}" > "$out/aegis-v1.revision"
echo "$out/aegis-v1.binpb: the contract of $rev ($(cat "$out/aegis-v1.revision"))"

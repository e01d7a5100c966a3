#!/usr/bin/env bash
# Builds a local stand-in for the official Node base image the Dockerfile names (NODE_IMAGE,
# e.g. node:26.12.1-trixie-slim), for machines that reach no container registry: a Debian
# minbase root filesystem from debootstrap of the same suite, the official Node binary of the
# same version from the npm registry (test/deploy/lts-node.sh), npm from the npm registry, and
# the official image's `node` user (1000:1000). Tagged with the Dockerfile's name, so
# `buildah build --pull=never` builds the real Dockerfile against it unchanged.
#
# The host's CA bundle replaces Debian's in the stand-in and NODE_EXTRA_CA_CERTS points Node
# at it: this machine reaches the registries through its own trust chain, and TLS stays
# verified. The official image needs neither.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
image=$(sed -n 's/^ARG NODE_IMAGE=\(.*\)$/\1/p' "$root/deploy/docker/Dockerfile")
[[ "$image" =~ ^node:([0-9.]+)-([a-z]+)-slim$ ]] || { echo "node-base-image: NODE_IMAGE '$image' is not node:<version>-<suite>-slim" >&2; exit 1; }
version=${BASH_REMATCH[1]}
suite=${BASH_REMATCH[2]}
name="docker.io/library/$image"
if podman image exists "$name"; then
  echo "node-base-image: $name already in local storage"
  exit 0
fi
node_bin=$(bash "$root/test/deploy/lts-node.sh")
work=$(mktemp -d /var/tmp/node-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "--- debootstrap $suite (minbase) for $name"
debootstrap --variant=minbase --include=ca-certificates,libatomic1 "$suite" "$rootfs" \
  http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

install -D -m 0755 "$node_bin/node" "$rootfs/usr/local/bin/node"
(cd "$work" && npm pack --silent npm@11 >/dev/null)
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
# What the official slim images leave out.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*
chroot "$rootfs" node --version >/dev/null

tar -C "$rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$version" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  - "$name" >/dev/null
echo "node-base-image: $name ($(podman image inspect --format '{{.Size}}' "$name" | numfmt --to=iec))"

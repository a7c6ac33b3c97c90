#!/usr/bin/env bash
# Builds kube-network-policies (sigs.k8s.io/kube-network-policies, a NetworkPolicy enforcer that runs as a
# DaemonSet beside any CNI) from its Go module, and its image as a docker-archive, for the e2e test that our
# NetworkPolicies are enforced: the test cluster's CNI (static ptp) enforces none. Cached by version under
# ${PJ_CACHE:-~/.cache/parallel-job}/images; prints the archive's path. A cold build takes 1-3 minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${PJ_CACHE:-$HOME/.cache/parallel-job}/images
VERSION=v0.8.0
IMAGE=registry.k8s.io/networking/kube-network-policies:$VERSION
out=$cache/kube-network-policies-$VERSION.tar
mkdir -p "$cache"
if [[ ! -f $out ]]; then
  tmp=$(mktemp -d)
  # The module's main package is ./cmd; a static binary, as its own Dockerfile builds it (distroless/static).
  GOBIN=$tmp/bin CGO_ENABLED=0 go install "sigs.k8s.io/kube-network-policies/cmd@$VERSION" >&2
  mkdir -p "$tmp/root/bin"
  mv "$tmp/bin/cmd" "$tmp/root/bin/netpol"
  tar -C "$tmp/root" --owner=0 --group=0 --sort=name --mtime=@0 -cf "$tmp/layer.tar" .
  "$here/image-tar.py" --tag "$IMAGE" --layer "$tmp/layer.tar" --entrypoint '["/bin/netpol"]' "$out.part"
  mv "$out.part" "$out"
  rm -rf "$tmp"
fi
echo "$out"

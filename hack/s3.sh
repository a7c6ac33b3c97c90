#!/usr/bin/env bash
# SeaweedFS (github.com/seaweedfs/seaweedfs, Apache-2.0; version pinned in hack/s3/go.mod), the S3-compatible
# server of the S3 results tests (the e2e suite's in-cluster store and S3StoreTest on the host), built offline:
#   s3.sh build     the `weed` binary (CGO_ENABLED=0, -trimpath), cached in ${PJ_CACHE:-~/.cache/parallel-job}/s3-<key>/weed
#   s3.sh path      that folder
#   s3.sh version   the SeaweedFS module version
#   s3.sh image     the image name (hack/images.sh s3 builds it)
# Not in hack/build-binaries.sh on purpose: its cache key hashes versions.env (see hack/kueue.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mod=$here/s3
cache=${PJ_CACHE:-$HOME/.cache/parallel-job}
# Comments of go.mod do not change what is built.
key=$(grep -v "^//" "$mod/go.mod" | cat - "$mod/go.sum" | sha256sum | cut -c1-12)
out=$cache/s3-$key
export GOFLAGS=-trimpath CGO_ENABLED=0

version() { (cd "$mod" && go list -m -f '{{.Version}}' github.com/seaweedfs/seaweedfs); }
# A pseudo-version is no valid tag: its date and commit are.
image() { local v; v=$(version); echo "docker.io/parallel-dev/seaweedfs:${v#v0.0.0-}"; }

binary() {
  if [[ -x $out/weed ]]; then echo "[s3] weed: cached ($out/weed)"; return; fi
  # A PJ_CACHE set for images only (a branch's own images) still finds the default cache's binary.
  local shared=$HOME/.cache/parallel-job/s3-$key/weed
  if [[ -x $shared ]]; then mkdir -p "$out"; cp "$shared" "$out/weed"; echo "[s3] weed: from $shared"; return; fi
  local t0=$SECONDS
  echo "[s3] weed $(version): building (about 6 minutes on 2 cores the first time: downloads, then compile)..."
  mkdir -p "$out"
  (cd "$mod" && go build -ldflags "-s -w" -o "$out/.weed.tmp" github.com/seaweedfs/seaweedfs/weed)
  mv "$out/.weed.tmp" "$out/weed"
  echo "[s3] weed: built in $((SECONDS - t0)) s ($out/weed)"
}

case ${1:-build} in
  build) binary ;;
  path) echo "$out" ;;
  version) version ;;
  image) image ;;
  *) echo "usage: $0 build|path|version|image" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Kueue (sigs.k8s.io/kueue, version pinned in hack/kueue/go.mod) for the e2e suite, built offline:
#   kueue.sh build      the manager binary (CGO_ENABLED=0, -trimpath) and the install manifests, cached in
#                       ${PJ_CACHE:-~/.cache/parallel-job}/kueue-<key>/{kueue,manifests.yaml}
#   kueue.sh path       that folder
#   kueue.sh manifests  (re)renders manifests.yaml only and prints its path
#   kueue.sh image      the image name the manifests use (hack/images.sh kueue builds it)
# The manifests are upstream's config/default (kustomize, from the module zip) with hack/kueue/overlay on top:
# only what a test cluster shared with other work should get (see the overlay's kustomization.yaml).
# Not in hack/build-binaries.sh on purpose: its cache key hashes versions.env, so a Kueue version there would
# force a rebuild of every cluster binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mod=$here/kueue
cache=${PJ_CACHE:-$HOME/.cache/parallel-job}
key=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-12)
out=$cache/kueue-$key
export GOFLAGS=-trimpath CGO_ENABLED=0

version() { (cd "$mod" && go list -m -f '{{.Version}}' sigs.k8s.io/kueue); }
image() { echo "docker.io/parallel-dev/kueue:$(version)"; } # hack/images.sh kueue builds it

binary() {
  if [[ -x $out/kueue ]]; then echo "[kueue] manager: cached ($out/kueue)"; return; fi
  local t0=$SECONDS v; v=$(version)
  echo "[kueue] manager $v: building (about 4 minutes on 2 cores the first time)..."
  mkdir -p "$out"
  (cd "$mod" && go build -ldflags "-s -w -X sigs.k8s.io/kueue/pkg/version.GitVersion=$v" \
    -o "$out/.kueue.tmp" sigs.k8s.io/kueue/cmd/kueue)
  mv "$out/.kueue.tmp" "$out/kueue"
  echo "[kueue] manager: built in $((SECONDS - t0)) s ($out/kueue)"
}

# What the overlay promises, checked on the output (a new Kueue version may add webhooks or objects): no
# aggregated API, and webhooks only for Jobs (namespace-selected) and Kueue's own kinds.
check() {
  local bad
  if grep -q '^kind: APIService' "$1"; then echo "kueue manifests: an APIService is left in $1" >&2; exit 1; fi
  bad=$(grep -o 'path: /\(mutate\|validate\)-[a-z0-9-]*' "$1" | sed 's/path: //' \
    | grep -v -x -e '/\(mutate\|validate\)-batch-v1-job' -e '/\(mutate\|validate\)-kueue-x-k8s-io-v1beta2-[a-z]*' || true)
  if [[ -n $bad ]]; then echo "kueue manifests: webhooks beyond Jobs and Kueue's kinds: $bad" >&2; exit 1; fi
  if [[ $(grep -c 'kueue.parallel.dev/managed: "true"' "$1") -lt 3 ]]; then
    echo "kueue manifests: the Job webhooks or managedJobsNamespaceSelector lost the kueue.parallel.dev/managed selector" >&2; exit 1
  fi
}

manifests() {
  local t0=$SECONDS src tmp kubectl
  src=$(cd "$mod" && go mod download -json sigs.k8s.io/kueue | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -d $src/config/default ]] || { echo "no config/default in $src" >&2; exit 1; }
  # Our kubectl (kustomize v5.7): an older one (v5.5) crashes on the overlay's delete patches. A PJ_CACHE set
  # for images only still finds the default cache's binaries.
  kubectl=$("$here/build-binaries.sh" path)/kubectl
  [[ -x $kubectl ]] || kubectl=$(PJ_CACHE= "$here/build-binaries.sh" path)/kubectl
  [[ -x $kubectl ]] || { echo "no kubectl: run hack/build-binaries.sh kube first" >&2; exit 1; }
  # kustomize loads only below the overlay's root: upstream's config/ (read-only in the module cache) and
  # our overlay go side by side in a scratch copy.
  tmp=$(mktemp -d)
  cp -r "$src/config" "$tmp/config" && chmod -R u+w "$tmp/config"
  cp -r "$mod/overlay" "$tmp/config/parallel-job"
  local img; img=$(image)
  printf 'images:\n- name: us-central1-docker.pkg.dev/k8s-staging-images/kueue/kueue\n  newName: %s\n  newTag: %s\n' \
    "${img%:*}" "${img##*:}" >> "$tmp/config/parallel-job/kustomization.yaml"
  mkdir -p "$out"
  "$kubectl" kustomize "$tmp/config/parallel-job" > "$out/manifests.yaml.tmp"
  rm -rf "$tmp"
  check "$out/manifests.yaml.tmp"
  mv "$out/manifests.yaml.tmp" "$out/manifests.yaml"
  echo "[kueue] manifests: rendered in $((SECONDS - t0)) s ($out/manifests.yaml, $(grep -c '^kind:' "$out/manifests.yaml") objects)"
}

case ${1:-build} in
  build) binary; manifests ;;
  manifests) manifests >&2; echo "$out/manifests.yaml" ;;
  path) echo "$out" ;;
  image) image ;;
  *) echo "usage: $0 build|path|manifests|image" >&2; exit 2 ;;
esac

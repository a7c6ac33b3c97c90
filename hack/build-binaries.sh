#!/usr/bin/env bash
# Builds the cluster binaries from upstream Go modules into a cache keyed by version:
#   ${PJ_CACHE:-~/.cache/parallel-job}/bin-<versions hash>/{kube-apiserver,...,etcd,coredns,helm}
# Only the first run on a machine pays the (long) Go build; later runs print "cached".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
cache=${PJ_CACHE:-$HOME/.cache/parallel-job}
key=$(cat "$here/versions.env" "$here/k8s/go.mod" "$here/etcd/go.mod" "$here/etcd/main.go" | sha256sum | cut -c1-12)
out="$cache/bin-$key"
mkdir -p "$out"
export GOFLAGS=-trimpath CGO_ENABLED=0

step() { # step NAME CHECKFILE COMMAND...
  local name=$1 check=$2; shift 2
  if [[ -x "$out/$check" ]]; then echo "[build] $name: cached ($out/$check)"; return; fi
  local t0=$SECONDS
  echo "[build] $name: building..."
  "$@"
  echo "[build] $name: done in $((SECONDS - t0)) s"
}

kube_ldflags() {
  local v=${KUBE_VERSION#v}
  echo "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
-X k8s.io/component-base/version.gitMajor=${v%%.*} \
-X k8s.io/component-base/version.gitMinor=$(echo "$v" | cut -d. -f2) \
-X k8s.io/component-base/version.gitTreeState=clean \
-X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
}

build_kube() {
  (cd "$here/k8s" && go build -ldflags "$(kube_ldflags)" -o "$out/.tmp-kube/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes/cmd/kubeadm)
  mv "$out"/.tmp-kube/* "$out/" && rmdir "$out/.tmp-kube"
}
build_etcd() { (cd "$here/etcd" && go build -ldflags "-s -w" -o "$out/etcd" .); }
build_coredns() {
  GOBIN="$out/.tmp-coredns" go install -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  mv "$out/.tmp-coredns/coredns" "$out/" && rmdir "$out/.tmp-coredns"
}
# kind's node image and CLI: crictl, the kind CLI, the local-path storage provisioner.
gobin_install() { # gobin_install BINARY MODULE@VERSION [ldflags]
  GOBIN="$out/.tmp-$1" go install -ldflags "-s -w ${3:-}" "$2"
  mv "$out/.tmp-$1/$1" "$out/" && rmdir "$out/.tmp-$1"
}
build_helm() {
  GOBIN="$out/.tmp-helm" go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$out/.tmp-helm/helm" "$out/" && rmdir "$out/.tmp-helm"
}

what=${1:-all}
case $what in
  kube|all) step kubernetes kubeadm build_kube ;;&
  etcd|all) step etcd etcd build_etcd ;;&
  coredns|all) step coredns coredns build_coredns ;;&
  helm|all) step helm helm build_helm ;;&
  kind|all) step kind kind gobin_install kind "sigs.k8s.io/kind@$KIND_VERSION" ;;&
  kind|all) step crictl crictl gobin_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" ;;&
  kind|all) step local-path-provisioner local-path-provisioner \
    gobin_install local-path-provisioner "github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION" ;;&
  path) ;;
esac
[[ $what == path ]] && echo "$out" || ln -sfn "$out" "$cache/bin"

#!/usr/bin/env bash
# Puts the operator on a cluster: the current one when KUBECONFIG points at a reachable cluster, else a
# local kind cluster (Docker from hack/docker.sh, node image from hack/kind-node.sh, kind CLI built from
# its Go module). Builds our images offline and loads them into the kind node, applies the CRD and
# `helm upgrade --install`s the chart. Prints the KUBECONFIG to use.
#   deploy.sh [--skip-build]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
NS=${PJ_OPERATOR_NAMESPACE:-parallel-job-system}
KIND_CLUSTER=${PJ_KIND_CLUSTER:-parallel-job}
STATE=${PJ_STATE:-$HOME/.local/state/parallel-job}
KIND_KUBECONFIG=$STATE/kind-$KIND_CLUSTER.kubeconfig
IMAGES=${PJ_CACHE:-$HOME/.cache/parallel-job}/images
# kubectl, helm and kind as hack/build-binaries.sh builds them (matching versions even where none is installed).
export PATH=$("$here/build-binaries.sh" path):$PATH
log() { echo "[deploy] $*" >&2; }
t0=$SECONDS

if [[ -n ${KUBECONFIG:-} && $KUBECONFIG != "$KIND_KUBECONFIG" ]] && kubectl get --raw /readyz >/dev/null 2>&1; then
  log "using the cluster KUBECONFIG points at ($KUBECONFIG); its nodes must be able to pull the images"
  local_cluster=false
else
  "$here/docker.sh" up >&2
  mkdir -p "$STATE"
  export KUBECONFIG=$KIND_KUBECONFIG
  if kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
    log "kind cluster $KIND_CLUSTER already running"
  else
    image=$("$here/kind-node.sh" image)
    log "creating kind cluster $KIND_CLUSTER from node image $image"
    kind create cluster --name "$KIND_CLUSTER" --image "$image" --kubeconfig "$KIND_KUBECONFIG" --wait 300s >&2
  fi
  local_cluster=true
fi
HELM=$(command -v helm)

if [[ ${1:-} != --skip-build ]]; then
  log "building (mvn package, tests skipped)"
  (cd "$root" && mvn -B -q package -DskipTests) >&2
fi
if $local_cluster; then
  "$here/images.sh" all >&2
  for tar in "$IMAGES"/{operator,job,busybox}.tar; do
    kind load image-archive "$tar" --name "$KIND_CLUSTER" >&2
  done
  log "images loaded into the kind node"
fi

kubectl apply --server-side -f "$root/crds/" >/dev/null   # helm installs CRDs only on first install, never upgrades them
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# Every pod we create must pass the restricted Pod Security profile: enforce it where they run.
kubectl label namespace "$NS" pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null
if $local_cluster; then
  kubectl label namespace default pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null
fi
"$HELM" upgrade --install pj "$root/helm/parallel-job-operator" -n "$NS" --wait --timeout 180s >/dev/null
# A new image under the same tag needs new pods.
kubectl -n "$NS" rollout restart deployment/pj-parallel-job-operator >/dev/null
kubectl -n "$NS" rollout status deployment/pj-parallel-job-operator --timeout 180s >&2
log "operator ready in namespace $NS ($((SECONDS - t0)) s)"
echo "$KUBECONFIG"

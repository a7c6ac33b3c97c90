#!/usr/bin/env bash
# Puts the operator on a cluster: the current one when KUBECONFIG points at a reachable cluster,
# else the local one (hack/cluster.sh up). Builds the images offline, imports them into the local
# cluster, applies the CRD and `helm upgrade --install`s the chart. Prints the KUBECONFIG to use.
#   deploy.sh [--skip-build]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
NS=${PJ_OPERATOR_NAMESPACE:-parallel-job-system}
# kubectl and helm built with the cluster (a matching kubectl even where none is installed).
export PATH=$("$here/build-binaries.sh" path):$PATH
log() { echo "[deploy] $*" >&2; }
t0=$SECONDS

if [[ -n ${KUBECONFIG:-} ]] && kubectl get --raw /readyz >/dev/null 2>&1 \
   && [[ $KUBECONFIG != "$("$here/cluster.sh" env | cut -d= -f2)" ]]; then
  log "using the cluster KUBECONFIG points at ($KUBECONFIG); its nodes must be able to pull the images"
  local_cluster=false
else
  "$here/cluster.sh" up >&2
  export KUBECONFIG=$("$here/cluster.sh" env | cut -d= -f2)
  local_cluster=true
fi
HELM=$(command -v helm)

if [[ ${1:-} != --skip-build ]]; then
  log "building (mvn package, tests skipped)"
  (cd "$root" && mvn -B -q package -DskipTests) >&2
fi
if $local_cluster; then "$here/images.sh" all >&2; fi

kubectl apply -f "$root/crds/" >&2   # helm installs CRDs only on first install, never upgrades them
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

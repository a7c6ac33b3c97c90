#!/usr/bin/env bash
# The quick start: a cluster (a local kind cluster unless KUBECONFIG points at one), the operator via Helm,
# then k8s-examples/pi.yaml run on it and its gathered result printed.
#   demo.sh [--skip-build] | demo.sh down (deletes the kind cluster and stops the Docker engine we started)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export PATH=$("$here/build-binaries.sh" path):$PATH   # kubectl, kind and helm as built
if [[ ${1:-} == down ]]; then
  kind delete cluster --name "${PJ_KIND_CLUSTER:-parallel-job}" 2>/dev/null || true
  exec "$here/docker.sh" down
fi
t0=$SECONDS
kubeconfig=$("$here/deploy.sh" "$@")   # (not `export X=$(...)`: that would hide a failure)
export KUBECONFIG=$kubeconfig
kubectl delete pj pi --ignore-not-found --wait=true >/dev/null
kubectl apply -f "$root/k8s-examples/pi.yaml"
echo "waiting for pi (kubectl get pj -w shows it live)..."
kubectl wait pj/pi --for=jsonpath='{.status.phase}'=Succeeded --timeout=300s >/dev/null || {
  kubectl describe pj pi; exit 1; }
kubectl get pj pi
echo
echo "ran on node(s): $(kubectl get pods -l parallel.dev/job-name=pi -o jsonpath='{range .items[*]}{.spec.nodeName} {end}')"
echo "gathered result: $(kubectl get pj pi -o jsonpath='{.status.result}')"
echo "per-part summaries and per-task results: kubectl get configmap pi-results -o yaml"
echo "to use this cluster: export KUBECONFIG=$KUBECONFIG   (remove it: make demo-down)"
echo "[demo] done in $((SECONDS - t0)) s"

#!/usr/bin/env bash
# The quick start: a cluster (local unless KUBECONFIG points at one), the operator via Helm, then
# k8s-examples/pi.yaml run on it and its gathered result printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
kubeconfig=$("$here/deploy.sh" "$@")   # (not `export X=$(...)`: that would hide a failure)
export KUBECONFIG=$kubeconfig
export PATH=$("$here/build-binaries.sh" path):$PATH   # the kubectl built with the cluster
kubectl delete pj pi --ignore-not-found --wait=true >/dev/null
kubectl apply -f "$root/k8s-examples/pi.yaml"
echo "waiting for pi (kubectl get pj -w shows it live)..."
kubectl wait pj/pi --for=jsonpath='{.status.phase}'=Succeeded --timeout=300s >/dev/null || {
  kubectl describe pj pi; exit 1; }
kubectl get pj pi
echo
echo "gathered result: $(kubectl get pj pi -o jsonpath='{.status.result}')"
echo "per-part summaries and per-task results: kubectl get configmap pi-results -o yaml"
echo "to use this cluster: export KUBECONFIG=$KUBECONFIG"

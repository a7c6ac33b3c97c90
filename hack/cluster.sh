#!/usr/bin/env bash
# A real single-node Kubernetes from upstream binaries (hack/build-binaries.sh): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy, CoreDNS, on Debian's containerd, runc
# and CNI plugins. Root only (kubelet and containerd need it).
#   cluster.sh up       start (idempotent); waits for a Ready node, DNS and the default ServiceAccount
#   cluster.sh down     stop exactly what up started (PID files) and unmount what pods left
#   cluster.sh status   health of each component, and where its log is
#   cluster.sh env      prints the KUBECONFIG export
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
STATE=${PJ_STATE:-$HOME/.local/state/parallel-job}
PKI=$STATE/pki RUN=$STATE/run LOGS=$STATE/logs PIDS=$STATE/pids
KUBECONFIG_ADMIN=$STATE/admin.kubeconfig
NODE=${PJ_NODE_NAME:-pj-node}
SERVICE_CIDR=10.96.0.0/16 API_SERVICE_IP=10.96.0.1 DNS_IP=10.96.0.10 POD_CIDR=10.88.0.0/16
CLUSTER_DOMAIN=cluster.local
PACKAGES="containerd runc containernetworking-plugins iptables conntrack socat openssl debootstrap gcc busybox-static"

log() { echo "[cluster] $*"; }
die() { echo "[cluster] error: $*" >&2; exit 1; }
node_ip() { ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1; }
bin() { echo "$BIN/$1"; }
kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

alive() { [[ -f $PIDS/$1.pid ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

start() { # start NAME CMD...: runs in the background, log in $LOGS/NAME.log, pid in $PIDS/NAME.pid
  local name=$1; shift
  if alive "$name"; then return; fi
  # fd 9 is the up/down lock: the daemons must not inherit (and hold) it.
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  echo $! > "$PIDS/$name.pid"
}

wait_for() { # wait_for DESCRIPTION SECONDS CMD...
  local what=$1 secs=$2; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - t0 > secs )); then die "$what not ready after ${secs}s; logs: $LOGS"; fi
    sleep 0.5
  done
  log "$what ready ($((SECONDS - t0)) s)"
}

ensure_packages() {
  local missing=()
  for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

cert() { # cert NAME CN O SANS(comma list or "")
  local name=$1 cn=$2 o=$3 sans=$4
  [[ -f $PKI/$name.crt ]] && return
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  local subj="/CN=$cn"; [[ -n $o ]] && subj="/O=$o$subj"
  local ext; ext=$(mktemp)
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"; [[ -n $sans ]] && echo "subjectAltName=$sans"; } > "$ext"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$ext" "$PKI/$name.csr"
}

kubeconfig() { # kubeconfig NAME CERT
  local out=$STATE/$1.kubeconfig
  [[ -f $out ]] && return
  cat > "$out" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://$IP:6443
    certificate-authority: $PKI/ca.crt
users:
- name: $1
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: local
  context: {cluster: local, user: $1}
current-context: local
KC
}

pki() {
  mkdir -p "$PKI"
  if [[ ! -f $PKI/ca.crt ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 3650 \
      -subj "/CN=parallel-job-local-ca" 2>/dev/null
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  cert apiserver kube-apiserver "" "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,DNS:$NODE,IP:127.0.0.1,IP:$IP,IP:$API_SERVICE_IP"
  cert apiserver-kubelet-client kube-apiserver "" ""
  cert admin admin system:masters ""
  cert controller-manager system:kube-controller-manager "" ""
  cert scheduler system:kube-scheduler "" ""
  cert kubelet "system:node:$NODE" system:nodes "DNS:$NODE,IP:$IP,IP:127.0.0.1"
  cert kube-proxy system:kube-proxy "" ""
  cert coredns coredns "" ""
  kubeconfig admin admin; kubeconfig controller-manager controller-manager; kubeconfig scheduler scheduler
  kubeconfig kubelet kubelet; kubeconfig kube-proxy kube-proxy; kubeconfig coredns coredns
}

containerd_up() {
  mkdir -p "$STATE/containerd" "$RUN" "$STATE/cni/net.d"
  cat > "$STATE/containerd.toml" <<TOML
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd"
[grpc]
  address = "$RUN/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # This VM lacks CAP_SYS_RESOURCE: runc cannot raise oom_score_adj (shared notes).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
TOML
  cat > "$STATE/cni/net.d/10-pj-bridge.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "pj-pods", "plugins": [
  {"type": "bridge", "bridge": "pj0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}]}
CNI
  start containerd containerd --config "$STATE/containerd.toml"
  wait_for containerd 30 ctr --address "$RUN/containerd.sock" version
}

control_plane_up() {
  mkdir -p "$STATE/etcd"
  start etcd "$BIN/etcd" --data-dir "$STATE/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --quota-backend-bytes 4294967296
  wait_for etcd 30 curl -sf http://127.0.0.1:2379/health
  start kube-apiserver "$BIN/kube-apiserver" --etcd-servers http://127.0.0.1:2379 \
    --advertise-address "$IP" --bind-address 0.0.0.0 --secure-port 6443 \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --enable-admission-plugins NodeRestriction --allow-privileged=true --profiling=false \
    --event-ttl 1h
  wait_for kube-apiserver 90 kc get --raw /readyz
  start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials --service-cluster-ip-range "$SERVICE_CIDR" --leader-elect=false \
    --profiling=false
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --leader-elect=false --profiling=false
  # The API server reaches kubelets (logs, exec) as user kube-apiserver.
  kc create clusterrolebinding pj-apiserver-kubelet --clusterrole system:kubelet-api-admin --user kube-apiserver \
    >/dev/null 2>&1 || true
}

node_up() {
  mkdir -p "$STATE/kubelet" "$STATE/pods-logs"
  cat > "$STATE/kubelet-config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  x509: {clientCAFile: "$PKI/ca.crt"}
  webhook: {enabled: true}
  anonymous: {enabled: false}
authorization: {mode: Webhook}
# containerd 1.6 does not answer the CRI RuntimeConfig call: say the driver explicitly.
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$RUN/containerd.sock
clusterDNS: ["$DNS_IP"]
clusterDomain: $CLUSTER_DOMAIN
failSwapOn: false
tlsCertFile: "$PKI/kubelet.crt"
tlsPrivateKeyFile: "$PKI/kubelet.key"
podLogsDir: "$STATE/pods-logs"
maxPods: 250
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {"memory.available": "200Mi", "nodefs.available": "2%", "imagefs.available": "2%"}
YAML
  start kubelet "$BIN/kubelet" --config "$STATE/kubelet-config.yaml" --kubeconfig "$STATE/kubelet.kubeconfig" \
    --hostname-override "$NODE" --node-ip "$IP" --root-dir "$STATE/kubelet" --v 1
  start kube-proxy "$BIN/kube-proxy" --kubeconfig "$STATE/kube-proxy.kubeconfig" --hostname-override "$NODE" \
    --cluster-cidr "$POD_CIDR" --proxy-mode iptables --conntrack-max-per-core 0 --profiling=false
  wait_for "node $NODE" 120 node_ready
}

node_ready() { kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -q True; }

dns_up() {
  # CoreDNS runs on the host (no registry for its image) behind the usual kube-dns Service.
  kc apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pj-coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:coredns}
subjects: [{kind: User, name: coredns, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:coredns}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_IP
  ports: [{name: dns, port: 53, protocol: UDP, targetPort: 1053}, {name: dns-tcp, port: 53, protocol: TCP, targetPort: 1053}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: kube-dns-host, namespace: kube-system, labels: {kubernetes.io/service-name: kube-dns}}
addressType: IPv4
endpoints: [{addresses: ["$IP"]}]
ports: [{name: dns, port: 1053, protocol: UDP}, {name: dns-tcp, port: 1053, protocol: TCP}]
YAML
  cat > "$STATE/Corefile" <<CF
.:1053 {
    bind $IP 127.0.0.1
    errors
    health 127.0.0.1:18080
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $STATE/coredns.kubeconfig local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
    loop
}
CF
  start coredns "$BIN/coredns" -conf "$STATE/Corefile"
  wait_for "CoreDNS (kubernetes.default.svc)" 60 dns_answers
}

dns_answers() { python3 "$here/dnsquery.py" 127.0.0.1 1053 "kubernetes.default.svc.$CLUSTER_DOMAIN" | grep -q "$API_SERVICE_IP"; }

up() {
  [[ $(id -u) == 0 ]] || die "run as root (kubelet and containerd need it)"
  local t0=$SECONDS
  ensure_packages
  BIN=$("$here/build-binaries.sh" all >&2 && "$here/build-binaries.sh" path)
  IP=$(node_ip)
  mkdir -p "$STATE" "$LOGS" "$PIDS" "$RUN"
  echo "$BIN" > "$STATE/bin-dir"
  modprobe br_netfilter 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
  pki
  containerd_up
  "$here/images.sh" pause
  control_plane_up
  node_up
  dns_up
  wait_for "default ServiceAccount" 60 kc get serviceaccount default -n default
  log "up in $((SECONDS - t0)) s; node $NODE at $IP; logs in $LOGS"
  log "export KUBECONFIG=$KUBECONFIG_ADMIN"
}

down() {
  [[ -d $PIDS ]] || { log "not running"; return; }
  BIN=$(cat "$STATE/bin-dir" 2>/dev/null || true)
  # Pods first, while kubelet and containerd can still stop them cleanly.
  if alive kubelet && [[ -n $BIN ]]; then
    kc delete pods --all -A --grace-period=1 --wait=false >/dev/null 2>&1 || true
  fi
  for name in coredns kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do
    if alive "$name"; then kill "$(cat "$PIDS/$name.pid")" 2>/dev/null || true; fi
  done
  sleep 2
  # Stop the containers containerd still runs (shims outlive containerd otherwise).
  if alive containerd; then
    for c in $(ctr --address "$RUN/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$RUN/containerd.sock" -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    done
    sleep 1
    kill "$(cat "$PIDS/containerd.pid")" 2>/dev/null || true
  fi
  for name in coredns kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do
    if [[ -f $PIDS/$name.pid ]]; then
      local pid; pid=$(cat "$PIDS/$name.pid")
      for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$PIDS/$name.pid"
    fi
  done
  pkill -9 -f "containerd-shim-runc-v2 -namespace k8s.io -address $RUN/containerd.sock" 2>/dev/null || true
  # Unmount whatever pods and containerd left under our state directory (deepest first).
  { grep -o " $STATE/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  ip link del pj0 2>/dev/null || true
  log "down"
}

status() {
  local bad=0
  for name in containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy coredns; do
    if alive "$name"; then printf '%-24s running (pid %s)\n' "$name" "$(cat "$PIDS/$name.pid")"
    else printf '%-24s NOT RUNNING: see %s\n' "$name" "$LOGS/$name.log"; bad=1; fi
  done
  if ((bad == 0)); then
    BIN=$(cat "$STATE/bin-dir")
    kc get nodes -o wide 2>&1 | sed 's/^/  /'
  fi
  return $bad
}

# up and down never overlap: one waits for the other (a half-stopped cluster is not restartable).
# restart NAME [DOWNTIME]: stop one component (SIGTERM, SIGKILL after 20 s) and start it again after
# DOWNTIME seconds, with the configuration `up` gave it. For fault tests: kubelet, containerd or the
# API server going away mid-run. Containers survive a containerd or kubelet restart (their shims stay).
restart() {
  local name=$1 downtime=${2:-0}
  [[ -f $PIDS/$name.pid ]] || die "$name was not started by this script (no $PIDS/$name.pid)"
  BIN=$(cat "$STATE/bin-dir") IP=$(node_ip)
  local pid; pid=$(cat "$PIDS/$name.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDS/$name.pid"
  log "$name stopped (pid $pid); down for $downtime s"
  sleep "$downtime"
  case $name in
    containerd) containerd_up ;;
    kubelet|kube-proxy) node_up ;;
    etcd|kube-apiserver|kube-controller-manager|kube-scheduler) control_plane_up ;;
    coredns) dns_up ;;
    *) die "unknown component $name" ;;
  esac
}

# kill-container ID SIGNAL: signal a container's main process through containerd, as the kernel's
# OOM killer or a crash would (kubectl cannot send SIGKILL).
kill_container() {
  ctr --address "$RUN/containerd.sock" -n k8s.io tasks kill -s "$2" "${1#containerd://}"
}

lock() { mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock 9; }

case ${1:-} in
  up) lock; up ;;
  down) lock; down ;;
  status) status ;;
  env) echo "export KUBECONFIG=$KUBECONFIG_ADMIN" ;;
  restart) [[ -n ${2:-} ]] || die "usage: $0 restart COMPONENT [DOWNTIME_SECONDS]"; lock; restart "$2" "${3:-0}" ;;
  kill-container) [[ -n ${3:-} ]] || die "usage: $0 kill-container CONTAINER_ID SIGNAL"; kill_container "$2" "$3" ;;
  *) echo "usage: $0 up|down|status|env|restart COMPONENT [DOWNTIME]|kill-container ID SIGNAL" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A Docker engine for kind and Testcontainers.
#   docker.sh up       use the Docker that answers, or install Debian's docker.io and start dockerd
#   docker.sh down     stop the dockerd that `up` started (by PID) and remove what it left behind
#   docker.sh status   who runs the daemon, its API version, what is running
#   docker.sh env      export lines for clients (DOCKER_API_VERSION: docker-java asks for more
#                      than Debian's dockerd 20.10 offers)
# A Docker that already answers is used as it is and never stopped. The dockerd started here listens
# on the default socket (/var/run/docker.sock, where Testcontainers looks), keeps its data in the
# default /var/lib/docker (images survive a restart), and logs to $PJ_STATE/docker/dockerd.log.
# On a machine whose capability bounding set lacks CAP_SYS_RESOURCE (this project's VMs) it runs
# containers through a runc wrapper that drops that capability: privileged containers (kind nodes)
# fail to start otherwise.
set -euo pipefail
state=${PJ_STATE:-$HOME/.local/state/parallel-job}/docker
pidfile=$state/dockerd.pid
logfile=$state/dockerd.log
wrapper=$state/runc-no-sys-resource
REAL_RUNC=${PJ_REAL_RUNC:-/usr/sbin/runc}
SOCK=/var/run/docker.sock
# dockerd 20.10 starts its own containerd; its shims and mounts live here.
DOCKER_CONTAINERD_RE='/var/run/docker/containerd/containerd\.(sock|toml)'

log() { echo "[docker $(date -u +%H:%M:%S)] $*"; }
die() { echo "[docker] ERROR: $*" >&2; exit 1; }
answers() { timeout 10 docker -H "unix://$SOCK" info >/dev/null 2>&1; }
# Any Docker the client reaches as configured (DOCKER_HOST, context): used as it is.
answers_any() { timeout 10 docker info >/dev/null 2>&1; }
ours_alive() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# CAP_SYS_RESOURCE is capability 24: is it in this process's bounding set?
has_sys_resource() { (( (16#$(awk '/^CapBnd/ {print $2}' /proc/self/status) >> 24) & 1 )); }

install_docker() {
  local pkgs=()
  command -v dockerd >/dev/null || pkgs+=(docker.io)
  [[ -x $REAL_RUNC ]] || pkgs+=(runc)
  has_sys_resource || command -v jq >/dev/null || pkgs+=(jq)
  (( ${#pkgs[@]} )) || return 0
  [[ $(id -u) == 0 ]] || die "installing ${pkgs[*]} needs root"
  log "installing ${pkgs[*]} (apt)"
  # Keep the package's init script from starting a dockerd we would not own.
  local policy=/usr/sbin/policy-rc.d added_policy=
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; added_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >"$state/apt.log" 2>&1 \
    || { [[ -n $added_policy ]] && rm -f "$policy"; die "apt-get install failed, see $state/apt.log"; }
  [[ -n $added_policy ]] && rm -f "$policy"
  return 0
}

write_wrapper() {
  # runc reads the capabilities from the bundle's config.json (create, run) or from the process
  # spec of `exec --process FILE`; drop CAP_SYS_RESOURCE there, then become the real runc.
  cat >"$wrapper.part" <<EOF
#!/bin/sh
# Written by hack/docker.sh: this machine's capability bounding set lacks CAP_SYS_RESOURCE, which
# Docker grants privileged containers; runc then fails with "unable to apply caps".
strip() { # strip FILE JQ-PATH
  [ -f "\$1" ] || return 0
  jq -c "if \$2 then \$2 |= with_entries(.value |= (if type == \"array\" then map(select(. != \"CAP_SYS_RESOURCE\")) else . end)) else . end" "\$1" >"\$1.pj" && mv "\$1.pj" "\$1"
}
cmd= bundle=. process=
prev=
for a in "\$@"; do
  case \$prev in
    --bundle|-b) bundle=\$a ;;
    --process|-p) process=\$a ;;
  esac
  case \$a in
    --bundle=*) bundle=\${a#--bundle=} ;;
    --process=*) process=\${a#--process=} ;;
    create|run|exec) [ -z "\$cmd" ] && cmd=\$a ;;
  esac
  prev=\$a
done
case \$cmd in
  create|run) strip "\$bundle/config.json" .process.capabilities ;;
  exec) [ -n "\$process" ] && strip "\$process" .capabilities ;;
esac
exec $REAL_RUNC "\$@"
EOF
  chmod +x "$wrapper.part" && mv "$wrapper.part" "$wrapper"
}

up() {
  mkdir -p "$state"
  if answers && ours_alive; then log "dockerd already running (ours, pid $(cat "$pidfile"))"; return; fi
  if answers_any; then
    log "a Docker daemon already answers ($(docker context show 2>/dev/null || echo default): $(docker version -f '{{.Server.Version}}, API {{.Server.APIVersion}}')): using it as it is"
    return
  fi
  if ours_alive; then die "our dockerd (pid $(cat "$pidfile")) runs but does not answer; see $logfile or run: $0 down"; fi
  [[ $(id -u) == 0 ]] || die "starting dockerd needs root"
  local t0=$SECONDS
  install_docker
  local args=(-H "unix://$SOCK" --pidfile "$pidfile" --storage-driver overlay2)
  if has_sys_resource; then
    log "CAP_SYS_RESOURCE is available: plain runc"
  else
    write_wrapper
    args+=(--add-runtime "pj-runc=$wrapper" --default-runtime pj-runc)
    log "CAP_SYS_RESOURCE missing from the bounding set: default runtime is the wrapper $wrapper"
  fi
  # What dockerd changes in the host's networking, to put back on `down`.
  { echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
    echo "forward_policy=$(iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" {print $3}')"; } >"$state/host-before"
  log "starting dockerd (log $logfile)"
  # setsid: the daemon outlives this shell and the terminal.
  setsid dockerd "${args[@]}" >>"$logfile" 2>&1 </dev/null &
  local i
  for ((i = 0; i < 60; i++)); do
    answers && break
    kill -0 $! 2>/dev/null || die "dockerd exited; last lines of $logfile:
$(tail -n 20 "$logfile")"
    sleep 1
  done
  answers || die "dockerd did not answer within 60 s; see $logfile"
  log "dockerd up (pid $(cat "$pidfile"), API $(docker version -f '{{.Server.APIVersion}}')) in $((SECONDS - t0)) s"
}

# Delete the rules dockerd added (they all name a DOCKER chain or its bridges), then its chains.
iptables_cleanup() {
  local bridges_re=$1 table rule chain
  for table in filter nat; do
    iptables-save -t "$table" 2>/dev/null | grep -E "^-A .*(DOCKER|$bridges_re)" | while read -r rule; do
      # shellcheck disable=SC2086  # the rule is a list of words as iptables-save printed it
      eval "iptables -t $table -D ${rule#-A }" 2>/dev/null || true
    done
    for chain in $(iptables-save -t "$table" 2>/dev/null | awk '/^:DOCKER/ {print substr($1, 2)}'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables-save -t "$table" 2>/dev/null | awk '/^:DOCKER/ {print substr($1, 2)}'); do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

# Kind nodes made from hack/kind-node.sh's image give themselves a cgroup in the controllers this
# host does not mount (hugetlb, perf_event, net_cls,net_prio here; see hack/kind/entrypoint), under
# /docker/ID or /pj-node-HOST; nothing removes those when a node goes. Remove the ones no process uses.
cgroup_leftovers() {
  [[ -f /sys/fs/cgroup/cgroup.controllers ]] && return 0 # cgroup v2: Docker mounts everything
  local ctrls tmp n=0 mounted
  mounted=$(findmnt -rn -t cgroup -o OPTIONS | tr ',' '\n' | sort -u)
  while IFS=: read -r _ ctrls _; do
    [[ -z $ctrls || $ctrls == name=* ]] && continue
    grep -qx "${ctrls%%,*}" <<<"$mounted" && continue
    tmp=$(mktemp -d)
    if mount -t cgroup -o "$ctrls" cgroup "$tmp" 2>/dev/null; then
      # Keep the hierarchy bound: with no child cgroup left and no mount, the kernel unbinds it, the
      # controller drops out of /proc/self/cgroup, and the next kind node no longer sees it to mount it
      # (its kubelet then fails: "cgroup [kubelet] has some missing paths: /sys/fs/cgroup/hugetlb/...").
      mkdir -p "$tmp/pj-hold"
      # Deepest first; rmdir refuses a cgroup that still has processes or children.
      n=$((n + $(find "$tmp" -mindepth 1 -depth -type d \( -path "$tmp/docker*" -o -path "$tmp/pj-node-*" \) \
        -exec rmdir {} \; -print 2>/dev/null | wc -l)))
      umount "$tmp"
    fi
    rmdir "$tmp"
  done </proc/self/cgroup
  (( n == 0 )) || log "removed $n cgroups kind nodes left in controllers the host does not mount"
}

down() {
  if ! ours_alive; then
    if answers; then log "the Docker daemon on $SOCK is not ours: leaving it alone"; return; fi
    [[ -f $pidfile || -f $state/host-before ]] || { log "no dockerd of ours is running: nothing to do"; return; }
    log "our dockerd is gone: cleaning up what it left"
  fi
  local t0=$SECONDS pid bridges=docker0 net
  # Bridges of the networks it made (kind's "kind" network is br-<id>), named before it stops.
  if answers; then
    for net in $(docker network ls -q --filter driver=bridge 2>/dev/null); do
      [[ $(docker network inspect -f '{{.Name}}' "$net") == bridge ]] || bridges+="|br-${net:0:12}"
    done
    log "running containers: $(docker ps -q | wc -l) (dockerd stops them)"
  fi
  if ours_alive; then
    pid=$(cat "$pidfile")
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then log "dockerd still alive after 40 s: SIGKILL"; kill -KILL "$pid" || true; fi
  fi
  # Its containerd and shims, if they outlived it (each found by the socket only it uses).
  local p
  for p in $(pgrep -f -- "$DOCKER_CONTAINERD_RE" || true); do
    log "stopping leftover $(ps -o comm= -p "$p" || echo process) (pid $p)"; kill -KILL "$p" 2>/dev/null || true
  done
  # Mounts under its data and exec roots (container layers, netns, shm), deepest first.
  local m
  for m in $(awk '$2 ~ "^(/var/lib/docker|/var/run/docker|/run/docker)(/|$)" {print $2}' /proc/self/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  local b
  for b in ${bridges//|/ }; do
    if ip link show "$b" >/dev/null 2>&1; then ip link delete "$b" && log "removed bridge $b"; fi
  done
  iptables_cleanup "$bridges"
  cgroup_leftovers
  if [[ -f $state/host-before ]]; then
    local ip_forward forward_policy
    ip_forward=$(sed -n 's/^ip_forward=//p' "$state/host-before")
    forward_policy=$(sed -n 's/^forward_policy=//p' "$state/host-before")
    [[ -n $ip_forward ]] && echo "$ip_forward" >/proc/sys/net/ipv4/ip_forward
    [[ -n $forward_policy ]] && iptables -P FORWARD "$forward_policy"
    log "restored ip_forward=$ip_forward, FORWARD policy $forward_policy"
    rm -f "$state/host-before"
  fi
  rm -f "$pidfile"
  log "down in $((SECONDS - t0)) s"
}

status() {
  if answers; then
    local who="not started by hack/docker.sh"
    ours_alive && who="ours, pid $(cat "$pidfile"), log $logfile"
    log "Docker $(docker version -f '{{.Server.Version}}') answers on $SOCK ($who); API $(docker version -f '{{.Server.APIVersion}}'), default runtime $(docker info -f '{{.DefaultRuntime}}')"
    log "containers running: $(docker ps -q | wc -l), volumes: $(docker volume ls -q | wc -l)"
  else
    log "no Docker daemon answers on $SOCK"
    return 1
  fi
}

env_lines() {
  answers || die "no Docker daemon answers on $SOCK (run: $0 up)"
  # docker-java (Testcontainers 2) asks for API 1.44 unless told the daemon's own version.
  echo "export DOCKER_API_VERSION=$(docker version -f '{{.Server.APIVersion}}')"
}

case ${1:-status} in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_lines ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The kind node image, built offline: no registry, no `kind build node-image` (that one pulls).
#   kind-node.sh build   build (or reuse) the image and make sure the Docker daemon has it
#   kind-node.sh image   the same, then print only the image name (for --image / KindContainer)
#   kind-node.sh choice  print which image would be used and why, build nothing
# Where a registry is reachable, the official kindest/node:$KUBE_VERSION is pulled and nothing is
# built (PJ_KIND_NODE=build or =official forces a side). The built image is cached as a docker-archive
# tar under ${PJ_CACHE:-~/.cache/parallel-job}/kind/, keyed by hack/versions.env, hack/kind/, this
# script and the binaries' key, and `docker load`ed whenever the daemon lacks it.
# Node contents and why: hack/kind/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
cache=${PJ_CACHE:-$HOME/.cache/parallel-job}/kind
files=$here/kind
mkdir -p "$cache"
OFFICIAL_IMAGE=${PJ_KIND_OFFICIAL_IMAGE:-docker.io/kindest/node:$KUBE_VERSION}
# kindcontainer 2.0.0 asks kubeadm for v1.34.0 (its newest enum constant): the control-plane images
# carry that tag as well as ours.
EXTRA_KUBE_TAGS=${PJ_KIND_EXTRA_KUBE_TAGS:-v1.34.0}
BUSYBOX_IMAGE=docker.io/parallel-dev/busybox:1.35
LOCAL_PATH_IMAGE=docker.io/parallel-dev/local-path-provisioner:$LOCAL_PATH_VERSION
# Debian packages of the node: systemd as PID 1, the runtime, what kubelet/kubeadm/kube-proxy exec.
NODE_PACKAGES=systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,iptables,nftables,conntrack,socat,iproute2,ethtool,kmod,mount,util-linux,procps,ca-certificates,curl,jq,libseccomp2,bash
PROXY_PACKAGES=iptables,conntrack,kmod

log() { echo "[kind-node] $*" >&2; }
die() { echo "[kind-node] ERROR: $*" >&2; exit 1; }
timed() { local t0=$SECONDS; "$@"; log "$1: $((SECONDS - t0)) s"; }

# A registry answers /v2/ with 200 or 401; anything else within 3 s counts as offline.
registry_reachable() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 https://registry-1.docker.io/v2/ 2>/dev/null || true)
  [[ $code == 200 || $code == 401 ]]
}

choose() { # sets CHOICE=official|build and prints why
  case ${PJ_KIND_NODE:-auto} in
    official) CHOICE=official; log "node image: official $OFFICIAL_IMAGE (PJ_KIND_NODE=official)" ;;
    build) CHOICE=build; log "node image: built offline (PJ_KIND_NODE=build)" ;;
    auto)
      if registry_reachable; then CHOICE=official; log "node image: official $OFFICIAL_IMAGE (a registry is reachable)"
      else CHOICE=build; log "node image: built offline (no registry reachable within 3 s)"; fi ;;
    *) die "PJ_KIND_NODE must be auto, build or official" ;;
  esac
}

bins() { # the binaries hack/build-binaries.sh built (kubeadm, kubelet, ... in one folder)
  BIN=$("$here/build-binaries.sh" path)
  for b in kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns crictl local-path-provisioner; do
    [[ -x $BIN/$b ]] || die "missing $BIN/$b: run hack/build-binaries.sh first"
  done
}

# debootstrap_tar OUT VARIANT PACKAGES: a trimmed Debian bookworm rootfs as one tar, cached by name.
debootstrap_tar() {
  local out=$1 variant=$2 packages=$3
  if [[ -f $out ]]; then log "rootfs cached: $out"; return; fi
  local dir; dir=$(mktemp -d "$cache/rootfs.XXXXXX")
  log "debootstrap bookworm ($variant) + $packages"
  debootstrap --variant="$variant" --include="$packages" bookworm "$dir" http://deb.debian.org/debian \
    >"$out.log" 2>&1 || { rm -rf "$dir"; die "debootstrap failed, see $out.log"; }
  # Neither image needs apt's caches, docs, man pages or locales; /dev, /proc, /sys come at run time.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* \
    "$dir"/usr/share/man/* "$dir"/usr/share/locale/* "$dir"/dev/* "$dir"/proc/* "$dir"/sys/* "$dir"/run/*
  tar -C "$dir" --numeric-owner --xattrs -cf "$out.part" . && mv "$out.part" "$out"
  rm -rf "$dir"
}

node_rootfs_tar() { echo "$cache/node-rootfs-$(echo "bookworm minbase $NODE_PACKAGES" | sha256sum | cut -c1-12).tar"; }
proxy_rootfs_tar() { echo "$cache/proxy-rootfs-$(echo "bookworm minbase $PROXY_PACKAGES" | sha256sum | cut -c1-12).tar"; }
rootfs() { # both Debian root file systems; the two debootstraps run side by side
  local a b pa pb
  a=$(node_rootfs_tar); b=$(proxy_rootfs_tar)
  debootstrap_tar "$a" minbase "$NODE_PACKAGES" & pa=$!
  debootstrap_tar "$b" minbase "$PROXY_PACKAGES" & pb=$!
  wait $pa && wait $pb
}

# --- images the node holds -----------------------------------------------------------------------
# layer_of OUT SRC:DEST...: a layer with each SRC file at DEST (@TARGET:DEST: a symbolic link), plus
# a world-writable /tmp.
layer_of() {
  local out=$1 tmp spec; shift
  tmp=$(mktemp -d "$cache/layer.XXXXXX")
  mkdir -p "$tmp/tmp" && chmod 1777 "$tmp/tmp"
  for spec in "$@"; do
    mkdir -p "$tmp/$(dirname "${spec#*:}")"
    if [[ $spec == @* ]]; then ln -s "$(cut -c2- <<<"${spec%%:*}")" "$tmp/${spec#*:}"
    else cp -a "${spec%%:*}" "$tmp/${spec#*:}"; fi
  done
  tar -C "$tmp" --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -cf "$out" .
  rm -rf "$tmp"
}

tags() { # tags IMAGE...: --tag arguments for image-tar.py, one word a line
  local t; for t in "$@"; do printf -- '--tag\n%s\n' "$t"; done
}

# Image names kubeadm asks for (its own list: the etcd, CoreDNS and pause tags follow kubeadm), for
# our version and the extra ones.
kubeadm_images() { # kubeadm_images PATTERN
  local v
  for v in $KUBE_VERSION $EXTRA_KUBE_TAGS; do "$BIN/kubeadm" config images list --kubernetes-version "$v" 2>/dev/null; done \
    | grep -E "$1" | sort -u
}

# kube_image NAME: registry.k8s.io/NAME for our version and EXTRA_KUBE_TAGS, the binary in
# /usr/local/bin (kubeadm's static pods and kube-proxy's DaemonSet call it by name or that path).
kube_image() {
  local name=$1 t=() layers=()
  mapfile -t t < <(tags $(kubeadm_images "/$name:"))
  layer_of "$work/$name.layer.tar" "$BIN/$name:usr/local/bin/$name"
  # kube-proxy programs iptables (and conntrack): it runs on a Debian root file system.
  if [[ $name == kube-proxy ]]; then layers+=(--layer "$(proxy_rootfs_tar)"); fi
  layers+=(--layer "$work/$name.layer.tar")
  "$here/image-tar.py" "${t[@]}" "${layers[@]}" --entrypoint "[\"/usr/local/bin/$name\"]" "$imgdir/$name.tar"
}

images() {
  imgdir=$work/images
  mkdir -p "$imgdir"
  local n t=()
  for n in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do kube_image "$n"; done

  mapfile -t t < <(tags $(kubeadm_images '/etcd:'))
  if "$BIN/etcd" --version | grep -q 'Version: 3\.5\.' && kubeadm_images '/etcd:3\.6\.' | grep -q .; then
    # etcd 3.5 under kubeadm's 3.6 tag: a shell shim renames the flags 3.5 does not know.
    layer_of "$work/etcd.layer.tar" "$BIN/etcd:usr/local/bin/etcd-server" "$files/etcd-3.5-shim:usr/local/bin/etcd" \
      /bin/busybox:bin/busybox @busybox:bin/sh
  else
    layer_of "$work/etcd.layer.tar" "$BIN/etcd:usr/local/bin/etcd"
  fi
  "$here/image-tar.py" "${t[@]}" --layer "$work/etcd.layer.tar" --entrypoint '["/usr/local/bin/etcd"]' "$imgdir/etcd.tar"

  mapfile -t t < <(tags $(kubeadm_images '/coredns:'))
  layer_of "$work/coredns.layer.tar" "$BIN/coredns:coredns"
  "$here/image-tar.py" "${t[@]}" --layer "$work/coredns.layer.tar" --entrypoint '["/coredns"]' "$imgdir/coredns.tar"

  # pause: 3.10 is the sandbox image of the containerd config, kubeadm names its own (3.10.1).
  gcc -Os -static -o "$work/pause" "$here/pause/pause.c" && strip "$work/pause"
  mapfile -t t < <(tags registry.k8s.io/pause:3.10 $(kubeadm_images '/pause:'))
  layer_of "$work/pause.layer.tar" "$work/pause:pause"
  "$here/image-tar.py" "${t[@]}" --layer "$work/pause.layer.tar" --entrypoint '["/pause"]' "$imgdir/pause.tar"

  layer_of "$work/lpp.layer.tar" "$BIN/local-path-provisioner:usr/local/bin/local-path-provisioner"
  "$here/image-tar.py" --tag "$LOCAL_PATH_IMAGE" --layer "$work/lpp.layer.tar" \
    --entrypoint '["/usr/local/bin/local-path-provisioner"]' "$imgdir/local-path-provisioner.tar"

  # busybox (Debian's busybox-static): the local-path helper pods' shell, and a small image for tests.
  local bb; bb=$(mktemp -d "$cache/busybox.XXXXXX")
  mkdir -p "$bb/bin" "$bb/tmp" && chmod 1777 "$bb/tmp"
  cp /bin/busybox "$bb/bin/busybox"
  for n in $(/bin/busybox --list); do [[ -e $bb/bin/$n ]] || ln -s busybox "$bb/bin/$n"; done
  tar -C "$bb" --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -cf "$work/busybox.layer.tar" .
  rm -rf "$bb"
  "$here/image-tar.py" --tag "$BUSYBOX_IMAGE" --layer "$work/busybox.layer.tar" --cmd '["/bin/sh"]' "$imgdir/busybox.tar"
  rm -f "$work"/*.layer.tar
  log "images: $(cd "$imgdir" && echo *.tar) ($(du -sm "$imgdir" | cut -f1) MB)"
}

# preload DIR: import every image into DIR/kind/containerd-seed, a containerd root (namespace k8s.io,
# overlayfs snapshots) that the entrypoint copies to /var/lib/containerd when that is empty. Not into
# /var/lib/containerd itself: Testcontainers' kind module mounts a volume there with "nocopy", so the
# image's content there would never be seen. A private containerd on the host does it (own
# root, state and socket, no CRI plugin, stopped afterwards). The layer blobs are deleted after the
# import: containers run from the unpacked snapshots, and the node image is half the size.
preload() {
  local dir=$1 run=$work/containerd pid tar digest
  mkdir -p "$dir/kind/containerd-seed" "$run"
  printf '%s\n' 'version = 2' "root = \"$dir/kind/containerd-seed\"" "state = \"$run/state\"" \
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]' '[grpc]' "  address = \"$run/containerd.sock\"" \
    '[ttrpc]' "  address = \"$run/containerd.sock.ttrpc\"" >"$run/config.toml"
  containerd --config "$run/config.toml" >"$run/containerd.log" 2>&1 &
  pid=$! CTD_PID=$!
  local c=(ctr --address "$run/containerd.sock" -n k8s.io)
  for _ in $(seq 50); do "${c[@]}" version >/dev/null 2>&1 && break; sleep 0.2; done
  for tar in "$imgdir"/*.tar; do "${c[@]}" images import --snapshotter overlayfs "$tar" >/dev/null; done
  for digest in $("${c[@]}" images ls | awk 'NR > 1 {print $3}' | sort -u); do
    "${c[@]}" content get "$digest" | jq -r '.layers[].digest' | xargs -r "${c[@]}" content rm >/dev/null
  done
  # content rm only unlinks; the files go at containerd's next garbage collection, which `images rm
  # --sync` runs and waits for (of a second name for an image that stays).
  "${c[@]}" images tag "$BUSYBOX_IMAGE" docker.io/parallel-dev/gc-trigger:0 >/dev/null
  "${c[@]}" images rm --sync docker.io/parallel-dev/gc-trigger:0 >/dev/null
  log "preloaded $("${c[@]}" images ls -q | wc -l) image names into the node's containerd seed ($(du -sm "$dir/kind/containerd-seed" | cut -f1) MB)"
  kill "$pid"; wait "$pid" || true
  CTD_PID=
}

# --- the node's own files ---------------------------------------------------------------------
# node_layer DIR: everything the node adds to Debian, as a layer over the debootstrap tar (".wh."
# files delete what Debian enables and a node container does not need).
node_layer() {
  local d=$1
  install -D -m 755 "$BIN/kubeadm" "$d/usr/bin/kubeadm"
  install -D -m 755 "$BIN/kubelet" "$d/usr/bin/kubelet"
  install -D -m 755 "$BIN/kubectl" "$d/usr/bin/kubectl"
  install -D -m 755 "$BIN/crictl" "$d/usr/bin/crictl"
  install -D -m 755 "$files/entrypoint" "$d/usr/local/bin/entrypoint"
  install -D -m 755 "$files/kubelet-cgroup-v2.sh" "$d/kind/bin/kubelet-cgroup-v2.sh"
  install -D -m 644 "$files/containerd.toml" "$d/etc/containerd/config.toml"
  install -D -m 644 "$files/crictl.yaml" "$d/etc/crictl.yaml"
  install -D -m 644 "$files/kubelet.default" "$d/etc/default/kubelet"
  install -D -m 644 "$files/sysctl.conf" "$d/etc/sysctl.d/10-pj-node.conf"
  install -D -m 644 "$files/journald.conf" "$d/etc/systemd/journald.conf.d/10-pj-node.conf"
  install -D -m 644 "$files/kubelet.service" "$d/etc/systemd/system/kubelet.service"
  install -D -m 644 "$files/kubelet.slice" "$d/etc/systemd/system/kubelet.slice"
  install -D -m 644 "$files/10-kubeadm.conf" "$d/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"
  install -D -m 644 "$files/11-pj-node.conf" "$d/etc/systemd/system/kubelet.service.d/11-pj-node.conf"
  install -D -m 644 "$files/10-pj-ptp.conflist" "$d/etc/cni/net.d/10-pj-ptp.conflist"
  install -D -m 644 "$files/default-cni.yaml" "$d/kind/manifests/default-cni.yaml"
  sed "s/LOCAL_PATH_VERSION/$LOCAL_PATH_VERSION/" "$files/default-storage.yaml" >"$d/kind/manifests/default-storage.yaml"
  echo "$KUBE_VERSION" >"$d/kind/version"
  mkdir -p "$d/etc/kubernetes/manifests" "$d/opt/cni" "$d/etc/systemd/system/multi-user.target.wants" \
    "$d/etc/systemd/system/sysinit.target.wants"
  ln -s /usr/lib/cni "$d/opt/cni/bin"
  ln -s /etc/systemd/system/kubelet.service "$d/etc/systemd/system/multi-user.target.wants/kubelet.service"
  # A login prompt on the console (Docker's tty) is of no use to anyone.
  ln -s /dev/null "$d/etc/systemd/system/console-getty.service"
  # binfmt_misc is the host's business.
  ln -s /dev/null "$d/etc/systemd/system/systemd-binfmt.service"
  # Each container gets its own id (the entrypoint makes it): empty here.
  : >"$d/etc/machine-id"
  # Timers (apt, fstrim, e2scrub), gettys, pstore: nothing a node container uses.
  touch "$d/etc/systemd/system/.wh.timers.target.wants" "$d/etc/systemd/system/.wh.getty.target.wants" \
    "$d/etc/systemd/system/multi-user.target.wants/.wh.e2scrub_reap.service" \
    "$d/etc/systemd/system/sysinit.target.wants/.wh.systemd-pstore.service"
}

# systemd stops on SIGRTMIN+3 (SIGTERM makes it re-execute itself). image-tar.py has no flag for a
# stop signal: append a new config and manifest.json; docker load takes the last member of a name.
stop_signal() {
  python3 -c '
import hashlib, io, json, sys, tarfile
path = sys.argv[1]
with tarfile.open(path) as t:
    manifest = json.load(t.extractfile("manifest.json"))
    config = json.load(t.extractfile(manifest[0]["Config"]))
config["config"]["StopSignal"] = "SIGRTMIN+3"
data = json.dumps(config, sort_keys=True).encode()
manifest[0]["Config"] = hashlib.sha256(data).hexdigest() + ".json"
with tarfile.open(path, "a") as t:
    for name, blob in ((manifest[0]["Config"], data), ("manifest.json", json.dumps(manifest).encode())):
        info = tarfile.TarInfo(name); info.size = len(blob); t.addfile(info, io.BytesIO(blob))
' "$1"
}

node_key() {
  { cat "$here/versions.env" "$0" "$here/image-tar.py" "$here/pause/pause.c"; basename "$BIN"
    (cd "$files" && find . -type f ! -name '*.md' | sort | xargs sha256sum); } | sha256sum | cut -c1-12
}

build_node() { # writes $NODE_TAR
  local t0=$SECONDS t1
  timed rootfs
  work=$(mktemp -d "$cache/work.XXXXXX")
  CTD_PID=
  # On failure: stop the private containerd first (it holds files under $work), then remove $work.
  trap '[[ -z $CTD_PID ]] || { kill "$CTD_PID"; wait "$CTD_PID"; } 2>/dev/null; rm -rf "$work"' EXIT
  timed images
  t1=$SECONDS
  mkdir -p "$work/files" "$work/containerd-root"
  node_layer "$work/files"
  tar -C "$work/files" --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -cf "$work/files.layer.tar" .
  preload "$work/containerd-root"
  tar -C "$work/containerd-root" --numeric-owner -cf "$work/containerd.layer.tar" .
  log "node layers: $((SECONDS - t1)) s"
  t1=$SECONDS
  "$here/image-tar.py" --tag "docker.io/$NODE_IMAGE" --layer "$(node_rootfs_tar)" --layer "$work/files.layer.tar" \
    --layer "$work/containerd.layer.tar" --entrypoint '["/usr/local/bin/entrypoint", "/sbin/init"]' \
    --env container=docker --label "pj.kind-node.key=$KEY" --label "pj.kind-node.kubernetes=$KUBE_VERSION" "$NODE_TAR.part"
  stop_signal "$NODE_TAR.part"
  mv "$NODE_TAR.part" "$NODE_TAR"
  rm -rf "$work"; trap - EXIT
  # One node image in the cache at a time (each is about a gigabyte).
  find "$cache" -maxdepth 1 -name 'node-*.tar' ! -name 'node-rootfs-*' ! -name "$(basename "$NODE_TAR")" -delete
  log "image tar: $((SECONDS - t1)) s"
  log "node image $NODE_TAR ($(du -m "$NODE_TAR" | cut -f1) MB) built in $((SECONDS - t0)) s"
}

ensure_loaded() {
  local have t0=$SECONDS
  have=$(docker image inspect -f '{{index .Config.Labels "pj.kind-node.key"}}' "$NODE_IMAGE" 2>/dev/null || true)
  if [[ $have == "$KEY" ]]; then log "docker already has $NODE_IMAGE (key $KEY)"; return; fi
  docker load -q -i "$NODE_TAR" >/dev/null
  # The image it replaced (same name, older key) is now untagged: drop it.
  docker image prune -f --filter label=pj.kind-node.key >/dev/null
  log "docker load $NODE_TAR: $((SECONDS - t0)) s"
}

node() { # sets NODE_IMAGE to an image the daemon has
  choose
  if [[ $CHOICE == official ]]; then
    NODE_IMAGE=$OFFICIAL_IMAGE
    if ! docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
      log "docker pull $NODE_IMAGE"
      docker pull -q "$NODE_IMAGE" >&2 || die "pulling $NODE_IMAGE failed (PJ_KIND_NODE=build builds one offline)"
    fi
    return
  fi
  bins
  KEY=$(node_key)
  NODE_IMAGE=parallel-dev/kind-node:$KUBE_VERSION
  NODE_TAR=$cache/node-$KEY.tar
  if [[ -f $NODE_TAR ]]; then log "node image cached: $NODE_TAR"; else build_node; fi
  ensure_loaded
}

case ${1:-build} in
  build) node; log "node image: $NODE_IMAGE" ;;
  image) node; echo "$NODE_IMAGE" ;;
  choice) choose ;;
  rootfs) timed rootfs ;;
  *) echo "usage: $0 build|image|choice" >&2; exit 2 ;;
esac

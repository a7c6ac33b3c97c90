#!/usr/bin/env bash
# Builds every image our pods run, without a registry or a Docker daemon, as docker-archive tarballs
# under ${PJ_CACHE:-~/.cache/parallel-job}/images ({job,operator,busybox,pause,kueue,s3}.tar), which the testkit
# and hack/deploy.sh load into the kind node.
#   images.sh pause | base | job | operator | busybox | kueue | s3 | all
# Image names are fully qualified: CRI does not resolve short names.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${PJ_CACHE:-$HOME/.cache/parallel-job}/images
mkdir -p "$cache"
source "$here/versions.env"
PAUSE_IMAGE=registry.k8s.io/pause:3.10
JOB_IMAGE=${JOB_IMAGE:-docker.io/parallel-dev/job:0.1.0}
OPERATOR_IMAGE=${OPERATOR_IMAGE:-docker.io/parallel-dev/operator:0.1.0}
BUSYBOX_IMAGE=docker.io/parallel-dev/busybox:1.35
# Packages of the base image: a JRE for the job image and the operator; coreutils for command tasks;
# Open MPI and OpenSSH for executor: mpi (launcher and worker pods).
BASE_PACKAGES=openjdk-17-jre-headless,ca-certificates,openmpi-bin,libopenmpi3,openssh-server,openssh-client
# v3: the user is uid/gid 10000 (was 1000): the key changes with anything base() writes.
base_key=$(echo "bookworm $BASE_PACKAGES v3" | sha256sum | cut -c1-12)
BASE_TAR=$cache/base-$base_key.layer.tar

log() { echo "[images] $*"; }
timed() { local t0=$SECONDS; "$@"; log "$1 done in $((SECONDS - t0)) s"; }

pause() {
  local out=$cache/pause.tar
  if [[ ! -f $out ]]; then
    local tmp; tmp=$(mktemp -d)
    gcc -Os -static -o "$tmp/pause" "$here/pause/pause.c"
    strip "$tmp/pause"
    tar -C "$tmp" --owner=0 --group=0 -cf "$tmp/layer.tar" pause
    "$here/image-tar.py" --tag "$PAUSE_IMAGE" --layer "$tmp/layer.tar" --entrypoint '["/pause"]' "$out"
    rm -rf "$tmp"
  fi
}

base() {
  if [[ -f $BASE_TAR ]]; then log "base: cached ($BASE_TAR)"; return; fi
  local dir; dir=$(mktemp -d)
  log "base: debootstrap bookworm minbase + $BASE_PACKAGES (about a minute)"
  debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$dir" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
    || { echo "debootstrap failed, see $cache/debootstrap.log" >&2; exit 1; }
  # Trim what a container never uses; add the unprivileged user job pods run as.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* \
    "$dir"/usr/share/man/* "$dir"/usr/share/locale/* "$dir"/dev/* "$dir"/proc/* "$dir"/sys/*
  # A login shell: mpirun starts its daemons on the workers through ssh as this user (ssh needs it in
  # /etc/passwd). uid 10000: above the host's users, so a container escape lands on nobody's files.
  echo "app:x:10000:10000:app:/app:/bin/sh" >> "$dir/etc/passwd"
  # The image's own ssh host keys would be shared by every pod: each ParallelJob brings its own.
  rm -f "$dir"/etc/ssh/ssh_host_*
  # Debian ships libmpi_java.so.40 without the unversioned name that System.loadLibrary looks for.
  ln -sf ../../libmpi_java.so.40 "$dir/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi_java.so"
  echo "app:x:10000:" >> "$dir/etc/group"
  tar -C "$dir" --numeric-owner -cf "$BASE_TAR.part" . && mv "$BASE_TAR.part" "$BASE_TAR"
  rm -rf "$dir"
}

app_layer() { # app_layer OUT SRC DEST: a layer with SRC copied to DEST (owned by root, world-readable)
  local tmp; tmp=$(mktemp -d)
  mkdir -p "$tmp/$(dirname "$3")"
  cp -r "$2" "$tmp/$3"
  chmod -R a+rX "$tmp"
  tar -C "$tmp" --owner=0 --group=0 --sort=name --mtime=@0 -cf "$1" .
  rm -rf "$tmp"
}

# The job image's JVM flags. The kernel flags (the Vector API module, loop and JIT flags) are the jar's own
# list, Executors.KERNEL_JVM_ARGS, written into the image as /app/kernel-jvm.args by `parallel-job jvm-flags`
# and read by the entrypoint (ExecutorsTest checks it, here and in job-image/Dockerfile). The class archive
# (AppCDS) halves a JVM's start (pods, worker processes, MPI ranks); a JVM that cannot use it (another JRE
# or jar) starts without it, silently.
KERNEL_ARGS=/app/kernel-jvm.args
JOB_JAVA=(/usr/bin/java -XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError @$KERNEL_ARGS
  -XX:SharedArchiveFile=/app/parallel-job.jsa)

cds_archive() { # cds_archive APPDIR: writes APPDIR/app/parallel-job.jsa, dumped by the image's own JRE
  local jar_sum; jar_sum=$(sha256sum "$1/app/parallel-job.jar" | cut -c1-16)
  local cached=$cache/job-cds-$(basename "$BASE_TAR" .layer.tar)-$jar_sum.jsa
  if [[ ! -f $cached ]]; then
    local rootfs; rootfs=$(mktemp -d)
    tar -C "$rootfs" -xf "$BASE_TAR"
    cp -a "$1/app/." "$rootfs/app/"
    cp "$root/k8s-examples/pi.yaml" "$rootfs/tmp/pi.yaml"
    # A dump needs the jar as the pods see it: same path, size and mtime (the layer's, 0).
    if mount -t proc proc "$rootfs/proc" 2>"$cache/cds.log"; then
      chroot "$rootfs" "${JOB_JAVA[0]}" -XX:ArchiveClassesAtExit=/tmp/parallel-job.jsa "${JOB_JAVA[@]:1:3}" \
        -jar /app/parallel-job.jar run /tmp/pi.yaml >"$cache/cds.log" 2>&1 || true
      umount "$rootfs/proc" || true
    fi
    rm -f "$cache"/job-cds-*.jsa # one jar at a time
    if [[ -s $rootfs/tmp/parallel-job.jsa ]]; then cp "$rootfs/tmp/parallel-job.jsa" "$cached"; fi
    mountpoint -q "$rootfs/proc" || rm -rf "$rootfs" # never rm -r through a mounted /proc
  fi
  if [[ -f $cached ]]; then cp "$cached" "$1/app/parallel-job.jsa"
  else log "job: no class archive (see $cache/cds.log); the image works without it, pods start slower"; fi
}

job() {
  base
  local jar=$root/job-image/target/parallel-job.jar
  [[ -f $jar ]] || { echo "missing $jar: run mvn package first" >&2; exit 1; }
  local tmp; tmp=$(mktemp -d)
  mkdir -p "$tmp/app" "$tmp/etc/ssh/ssh_config.d" "$tmp/etc/ssh/parallel-job"
  cp "$jar" "$tmp/app/parallel-job.jar"
  touch -d @0 "$tmp/app/parallel-job.jar" # as the layer records it (--mtime=@0)
  java -jar "$jar" jvm-flags > "$tmp$KERNEL_ARGS"
  cds_archive "$tmp"
  cp "$root/job-image/src/main/docker/ssh/sshd_config" "$tmp/etc/ssh/parallel-job/sshd_config"
  cp "$root/job-image/src/main/docker/ssh/ssh_config" "$tmp/etc/ssh/ssh_config.d/parallel-job.conf"
  chmod -R a+rX "$tmp"
  tar -C "$tmp" --owner=0 --group=0 --sort=name --mtime=@0 -cf "$cache/job-app.layer.tar" .
  rm -rf "$tmp"
  "$here/image-tar.py" --tag "$JOB_IMAGE" --layer "$BASE_TAR" --layer "$cache/job-app.layer.tar" \
    --entrypoint "$(printf '"%s", ' "${JOB_JAVA[@]}" -jar /app/parallel-job.jar | sed 's/, $//; s/^/[/; s/$/]/')" \
    --user 10000:10000 --workdir /app "$cache/job.tar"
}

operator() {
  base
  local app=$root/operator/target/quarkus-app
  [[ -d $app ]] || { echo "missing $app: run mvn package first" >&2; exit 1; }
  app_layer "$cache/operator-app.layer.tar" "$app" app/quarkus-app
  "$here/image-tar.py" --tag "$OPERATOR_IMAGE" --layer "$BASE_TAR" --layer "$cache/operator-app.layer.tar" \
    --entrypoint '["/usr/bin/java", "-XX:MaxRAMPercentage=50", "-jar", "/app/quarkus-app/quarkus-run.jar"]' \
    --user 10000:10000 --workdir /app "$cache/operator.tar"
}

busybox() { # an image with a shell and no Java: stands in for "any user image" (command + image)
  local out=$cache/busybox.tar
  if [[ ! -f $out ]]; then
    local tmp; tmp=$(mktemp -d)
    mkdir -p "$tmp/bin" "$tmp/tmp"
    cp /bin/busybox "$tmp/bin/busybox"
    for applet in $(/bin/busybox --list); do [[ -e $tmp/bin/$applet ]] || ln -s busybox "$tmp/bin/$applet"; done
    chmod 1777 "$tmp/tmp"
    tar -C "$tmp" --owner=0 --group=0 -cf "$tmp.layer.tar" .
    "$here/image-tar.py" --tag "$BUSYBOX_IMAGE" --layer "$tmp.layer.tar" --cmd '["/bin/sh"]' "$out"
    rm -rf "$tmp" "$tmp.layer.tar"
  fi
}

kueue() { # Kueue's manager (hack/kueue.sh builds it) alone, as upstream's distroless image runs it: /manager, uid 65532
  "$here/kueue.sh" build
  local bin; bin=$("$here/kueue.sh" path)/kueue
  local image; image=$("$here/kueue.sh" image)
  if [[ $cache/kueue.tar -nt $bin ]]; then log "kueue: cached ($cache/kueue.tar)"; return; fi
  local tmp; tmp=$(mktemp -d)
  mkdir -p "$tmp/etc" "$tmp/tmp"
  cp "$bin" "$tmp/manager"
  echo "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" > "$tmp/etc/passwd"
  echo "nonroot:x:65532:" > "$tmp/etc/group"
  chmod 1777 "$tmp/tmp"
  tar -C "$tmp" --owner=0 --group=0 --sort=name --mtime=@0 -cf "$tmp.layer.tar" .
  "$here/image-tar.py" --tag "$image" --layer "$tmp.layer.tar" --entrypoint '["/manager"]' --user 65532:65532 "$cache/kueue.tar"
  rm -rf "$tmp" "$tmp.layer.tar"
}

s3() { # SeaweedFS's weed alone (hack/s3.sh builds it), as uid/gid 65534: the S3-compatible server of the e2e suite (testkit ObjectStore)
  "$here/s3.sh" build
  local bin; bin=$("$here/s3.sh" path)/weed
  local image; image=$("$here/s3.sh" image)
  if [[ $cache/s3.tar -nt $bin ]]; then log "s3: cached ($cache/s3.tar)"; return; fi
  local tmp; tmp=$(mktemp -d)
  mkdir -p "$tmp/etc" "$tmp/tmp" "$tmp/data"
  cp "$bin" "$tmp/weed"
  echo "nobody:x:65534:65534:nobody:/data:/sbin/nologin" > "$tmp/etc/passwd"
  echo "nogroup:x:65534:" > "$tmp/etc/group"
  # weed always puts unix sockets in /tmp; the pod mounts emptyDirs on /tmp and /data (read-only root file system).
  chmod 1777 "$tmp/tmp"
  tar -C "$tmp" --owner=0 --group=0 --sort=name --mtime=@0 -cf "$tmp.layer.tar" .
  "$here/image-tar.py" --tag "$image" --layer "$tmp.layer.tar" --entrypoint '["/weed"]' --user 65534:65534 --workdir /data "$cache/s3.tar"
  rm -rf "$tmp" "$tmp.layer.tar"
}

case ${1:-all} in
  pause) timed pause ;;
  base) timed base ;;
  job) timed job ;;
  operator) timed operator ;;
  busybox) timed busybox ;;
  kueue) timed kueue ;;
  s3) timed s3 ;;
  all) timed pause; timed base; timed job; timed operator; timed busybox ;;
  *) echo "usage: $0 pause|base|job|operator|busybox|kueue|s3|all" >&2; exit 2 ;;
esac

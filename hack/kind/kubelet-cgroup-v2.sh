#!/bin/sh
# cgroup v2 node: enable every available controller for the root, /kubelet and /kubelet.slice,
# which kubelet uses as its cgroup root (cgroupRoot: /kubelet). Run from kubelet's unit, after
# systemd moved every process out of the root cgroup (a cgroup with processes cannot delegate).
set -eu
enable() { sed -e 's/^/+/' -e 's/ / +/g' "/sys/fs/cgroup/$1/cgroup.controllers" >"/sys/fs/cgroup/$1/cgroup.subtree_control"; }
enable /
for g in kubelet kubelet.slice; do mkdir -p "/sys/fs/cgroup/$g"; enable "$g"; done

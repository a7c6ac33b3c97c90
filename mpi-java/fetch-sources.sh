#!/usr/bin/env bash
# Extracts Open MPI's Java bindings (ompi/mpi/java/java/*.java) from Debian's own source package of
# the Open MPI the job image installs, so mpi.jar matches libmpi_java.so exactly. Debian ships the
# native library but no mpi.jar. The tarball is cached and checked against its pinned sha256.
#   fetch-sources.sh OUT_DIR
set -euo pipefail
VERSION=4.1.4
SHA256=ddaee7dbdb01eb4fab1fda5b5e03e8bbff026711806c095c1f39bb410f99f263
URL=http://deb.debian.org/debian/pool/main/o/openmpi/openmpi_${VERSION}.orig.tar.xz
out=$1
cache=${PJ_CACHE:-$HOME/.cache/parallel-job}/src
tarball=$cache/openmpi_${VERSION}.orig.tar.xz
if [[ -d $out/mpi && -f $out/mpi/MPI.java ]]; then exit 0; fi
mkdir -p "$cache" "$out"
if [[ ! -f $tarball ]] || ! echo "$SHA256  $tarball" | sha256sum -c --quiet 2>/dev/null; then
  echo "[mpi-java] downloading $URL"
  curl -fsSL --retry 3 -o "$tarball.part" "$URL"
  echo "$SHA256  $tarball.part" | sha256sum -c --quiet || { echo "[mpi-java] sha256 mismatch for $URL" >&2; exit 1; }
  mv "$tarball.part" "$tarball"
fi
tmp=$(mktemp -d)
tar -C "$tmp" -xJf "$tarball" --wildcards "openmpi-$VERSION/ompi/mpi/java/java/*.java"
mkdir -p "$out/mpi"
cp "$tmp/openmpi-$VERSION/ompi/mpi/java/java/"*.java "$out/mpi/"
rm -rf "$tmp"
echo "[mpi-java] Open MPI $VERSION Java binding sources in $out/mpi"

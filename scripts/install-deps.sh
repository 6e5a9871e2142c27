#!/usr/bin/env bash
# Installs everything gzcore needs to build, test and benchmark, from Debian's packages.
set -eu
export DEBIAN_FRONTEND=noninteractive
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential pkg-config make gcc clang libclang-rt-dev \
  zlib1g-dev libisal-dev isal libelf-dev libdw-dev libjson-c-dev libfuse3-dev fuse3 libcriterion-dev \
  gdb elfutils binutils gzip pigz p7zip-full qpdf zstd gztool python3 python3-indexed-gzip \
  util-linux procps e2fsprogs coreutils passwd bc \
  dpkg-dev groff-base man-db systemd >/dev/null

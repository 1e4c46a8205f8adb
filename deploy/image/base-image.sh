#!/usr/bin/env bash
# Makes the default base image, localhost/debian-minbase:bookworm, on a machine without a
# registry: a Debian minbase root file system from debootstrap, brought up to date from the
# security and updates suites, slimmed (no package caches, docs, man pages or
# translations) and imported into podman's store. Needs root and Debian's debootstrap.
#
#   bash deploy/image/base-image.sh [tag]      # DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR override the mirrors
set -euo pipefail

tag=${1:-localhost/debian-minbase:bookworm}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

command -v debootstrap >/dev/null || { echo "base-image: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "base-image: debootstrap needs root" >&2; exit 1; }

dir=$(mktemp -d /var/tmp/sovereign-rootfs.XXXXXX)
trap 'rm -rf "$dir"' EXIT
debootstrap --variant=minbase "$suite" "$dir" "$mirror"
cat > "$dir/etc/apt/sources.list" <<LIST
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
LIST
# Security fixes published since the point release debootstrap installed.
chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  sh -c 'apt-get update -qq && apt-get upgrade -y -qq && apt-get clean'
rm -rf "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
  "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
tar --numeric-owner -C "$dir" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  --message "debootstrap --variant=minbase $suite $mirror" - "$tag"
podman image inspect --format '{{.Size}}' "$tag" | awk -v t="$tag" '{ printf "base-image: %s, %.0f MB\n", t, $1 / 1e6 }'

#!/usr/bin/env bash
# `npm run image:build`: builds deploy/image/Dockerfile with podman (no Docker daemon), as
# localhost/sovereign-relay:<package version> (SOVEREIGN_IMAGE overrides the name and tag).
#
# The flags are the ones that work in a sandbox without systemd: runc as the runtime,
# cgroupfs as the cgroup manager, host networking for the build's apt and npm, and explicit
# ulimits (the defaults cannot be raised there). --format docker keeps the HEALTHCHECK
# (the OCI image format has no field for it). The base image is BASE_IMAGE (build arg);
# the default, localhost/debian-minbase:bookworm, is made by base-image.sh when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v podman >/dev/null || { echo "image:build: needs podman (apt-get install podman runc)" >&2; exit 1; }
version=$(node -p "require('./package.json').version")
image=${SOVEREIGN_IMAGE:-localhost/sovereign-relay:$version}
base=${SOVEREIGN_BASE_IMAGE:-localhost/debian-minbase:bookworm}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
podman=(podman --runtime runc --cgroup-manager cgroupfs)

if ! "${podman[@]}" image exists "$base"; then
  if [ "$base" = localhost/debian-minbase:bookworm ]; then
    bash deploy/image/base-image.sh "$base"
  else
    "${podman[@]}" pull "$base"
  fi
fi

# npm's own CA setting (a TLS-intercepting proxy's bundle, say) reaches the build's
# `npm ci` as a build secret, so it is in no layer of the image.
ca=$(npm config get cafile 2>/dev/null || true)
secret=$(mktemp)
trap 'rm -f "$secret"' EXIT
if [ -n "$ca" ] && [ "$ca" != null ] && [ "$ca" != undefined ] && [ -s "$ca" ]; then cat "$ca" > "$secret"; fi

start=$(date +%s)
"${podman[@]}" build --network host --ulimit nofile=20000:20000 --ulimit nproc=1024:1024 \
  --format docker --secret "id=npm-ca,src=$secret" \
  --build-arg "BASE_IMAGE=$base" --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
  -f deploy/image/Dockerfile -t "$image" "$@" .
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$image")
awk -v i="$image" -v s="$size" -v t="$(( $(date +%s) - start ))" 'BEGIN { printf "image:build: %s, %.0f MB, built in %d s\n", i, s / 1e6, t }'

#!/bin/sh
# Builds the service image with podman on a machine that reaches Debian's mirror and the npm registry but no
# image registry: the base image is built locally first (build-base-image.sh), then the Dockerfile with it.
#   usage: scripts/container/build-image.sh [image name, default localhost/wsm:latest]
# Extra `podman build` flags can be given in $PODMAN_BUILD_FLAGS (e.g. --no-cache).
set -eu

image=${1:-localhost/wsm:latest}
base=${BASE_IMAGE:-localhost/debian:trixie}
here=$(dirname "$0")
root=$(cd "$here/../.." && pwd)

"$here/build-base-image.sh" "$base"

# The CAs this host added to its trust store (a TLS-intercepting proxy's, say), for the build stages' downloads
# from the npm registry; BUILD_CA_CERTS=none leaves them out. They never reach the runtime image.
extra_ca=''
if [ "${BUILD_CA_CERTS:-}" != none ]; then
  for cert in ${BUILD_CA_CERTS:-/usr/local/share/ca-certificates/*.crt}; do
    [ -f "$cert" ] && extra_ca="$extra_ca$(cat "$cert")
"
  done
fi
# --format docker: an OCI image has no HEALTHCHECK; --network host: the build reaches the mirrors as the host does.
# shellcheck disable=SC2086
podman build --runtime runc --network host --format docker --build-arg "BASE_IMAGE=$base" \
  --build-arg "EXTRA_CA_CERTS=$extra_ca" \
  ${PODMAN_BUILD_FLAGS:-} -t "$image" -f "$root/Dockerfile" "$root"

#!/bin/sh
# Builds the Debian trixie base image locally, for machines that reach Debian's package mirror but no image
# registry. Elsewhere the Dockerfile's default BASE_IMAGE (docker.io/library/debian:trixie-slim) is used.
#   usage: scripts/container/build-base-image.sh [image name, default localhost/debian:trixie]
# Mirror: $DEBIAN_MIRROR, else the one this machine's apt uses, else deb.debian.org; security updates from
# $DEBIAN_SECURITY_MIRROR, else <mirror>-security (right for deb.debian.org).
set -eu

image=${1:-localhost/debian:trixie}
here=$(dirname "$0")
"$here/setup-podman.sh"

if podman image exists "$image"; then
  echo "build-base-image.sh: $image exists (podman rmi $image to rebuild)" >&2
  exit 0
fi

mirror=${DEBIAN_MIRROR:-$(grep -hoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security=${DEBIAN_SECURITY_MIRROR:-${mirror}-security}

root=$(mktemp -d /var/tmp/wsm-trixie.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "build-base-image.sh: debootstrap trixie from $mirror into $root" >&2
debootstrap --variant=minbase trixie "$root" "$mirror"

# What debian:trixie-slim has too: trixie's updates and security suites, no docs or man pages in later
# installs, no kept .deb files or package lists.
rm -f "$root/etc/apt/sources.list"
cat > "$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
cat > "$root/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
DPKG
cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
printf 'Acquire::GzipIndexes "true";\n' > "$root/etc/apt/apt.conf.d/docker-gzip-indexes"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/* "$root"/tmp/* "$root"/usr/share/doc/*/changelog* "$root"/usr/share/man/*

tar -C "$root" --numeric-owner -c . | podman import --change 'CMD ["bash"]' - "$image" >&2
echo "build-base-image.sh: built $image ($(podman image inspect --format '{{.Size}}' "$image") bytes)" >&2

#!/bin/sh
# Makes this machine able to build and run the image with rootful podman; safe to run again.
# Needed on Debian 12 hosts like ours: crun fails on a kernel with hybrid cgroups (v1 controllers + a v2
# mount), podman's default ulimits are refused there, and no systemd runs to manage cgroups.
set -eu

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-podman.sh: run as root (rootful podman is what was verified)" >&2
  exit 1
fi

missing=''
for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "setup-podman.sh: installing$missing" >&2
  apt-get install -y podman runc debootstrap >&2
fi

# A drop-in leaves any containers.conf of the machine's own untouched (podman ≥ 4 reads containers.conf.d/).
conf=/etc/containers/containers.conf.d/50-wsm.conf
want='[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"'
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$want" > "$conf"
  echo "setup-podman.sh: wrote $conf" >&2
fi

podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}}' | grep -q '^runc cgroupfs$' || {
  echo "setup-podman.sh: podman does not use runc with cgroupfs; check $conf" >&2
  exit 1
}

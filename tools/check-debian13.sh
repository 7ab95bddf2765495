#!/usr/bin/env bash
# Reproduces a fresh Debian 13 "trixie" install on a Debian 12 machine and runs
# the README's two commands in it (issue 24). Not part of CI (about an hour on
# 2 cores). Run as root from anywhere:
#   bash tools/check-debian13.sh [DIR]     # DIR: the trixie system (default /var/tmp/spooflens-trixie)
# Steps: debootstrap --variant=minbase trixie into DIR (kept and reused if it
# is already there: SPOOFLENS_FRESH=1 removes it first), bind-mount /proc, /sys
# and /dev, clone this repository's HEAD into DIR/root/spooflens (a clean
# clone: uncommitted changes are not in it), then inside, as a new user would:
#   bash tools/quickstart.sh    (headless: writes build/spooflens-demo.png)
#   bash tools/run-tests.sh
# and prints one "check-debian13:" line per step with its time, then the test
# summary. Logs: DIR/root/check-debian13-*.log. Needs the Debian archive
# (DEBIAN_MIRROR, default http://deb.debian.org/debian). Mounts are undone on exit.
# SPOOFLENS_RELEASE=bookworm does the same for a fresh Debian 12 (the release CI
# runs; default DIR then /var/tmp/spooflens-bookworm).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E bash "$0" "$@"
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
suite="${SPOOFLENS_RELEASE:-trixie}"
case "$suite" in trixie | bookworm) ;; *) echo "check-debian13: SPOOFLENS_RELEASE must be trixie or bookworm, not '$suite'"; exit 2 ;; esac
dir="$(realpath -m "${1:-/var/tmp/spooflens-$suite}")"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
say() { echo "check-debian13: $*"; }
now() { date +%s; }

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() {
  mkdir -p "$dir$1"
  if ! mountpoint -q "$dir$1"; then
    mount --bind "$1" "$dir$1"
    mounted+=("$dir$1")
  fi
}

if [ "${SPOOFLENS_FRESH:-0}" = 1 ] && [ -d "$dir" ]; then
  for m in /dev/shm /dev/pts /dev /sys /proc; do ! mountpoint -q "$dir$m" || umount -l "$dir$m"; done
  rm -rf --one-file-system "$dir"
fi
t0=$(now)
if [ ! -x "$dir/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null || { say "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
  say "debootstrap $suite into $dir ($mirror)"
  debootstrap --variant=minbase "$suite" "$dir" "$mirror" > "$dir.debootstrap.log" 2>&1 \
    || { tail -20 "$dir.debootstrap.log"; exit 1; }
  say "debootstrap $(( $(now) - t0 )) s"
else
  say "reusing the $suite system in $dir (SPOOFLENS_FRESH=1 starts from scratch)"
fi
grep -q "VERSION_CODENAME=$suite" "$dir/etc/os-release" || { say "$dir is not a Debian $suite system"; exit 1; }
bind /proc
bind /sys
bind /dev
bind /dev/pts
# A /dev/shm of its own, as on a real machine: the bind of /dev shows
# devtmpfs' shm directory, shared by every system made this way, where one
# release's libjack (PortAudio's JACK back-end) left a Berkeley DB environment
# that the other release's libjack then complains about on stderr ("BDB1539
# Build signature doesn't match environment", which failed TestGui's
# output check in a fresh Debian 12 after a Debian 13 run).
if ! mountpoint -q "$dir/dev/shm"; then
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$dir/dev/shm"
  mounted+=("$dir/dev/shm")
fi
cp /etc/resolv.conf "$dir/etc/resolv.conf"

rm -rf "$dir/root/spooflens"
git clone -q "$root" "$dir/root/spooflens"
git -C "$dir/root/spooflens" checkout -q "$(git -C "$root" rev-parse HEAD)"
say "repository $(git -C "$root" rev-parse --short HEAD) cloned into $dir/root/spooflens"

inside() {   # a login-like environment: no DISPLAY, no variables of this machine
  chroot "$dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /root/spooflens && $1"
}
status=0
t1=$(now)
if inside "bash tools/quickstart.sh" > "$dir/root/check-debian13-quickstart.log" 2>&1; then
  say "command 1 (bash tools/quickstart.sh): ok, $(( $(now) - t1 )) s"
else
  status=1
  say "command 1 (bash tools/quickstart.sh): FAILED after $(( $(now) - t1 )) s; last lines:"
  tail -20 "$dir/root/check-debian13-quickstart.log"
fi
grep -E '^quickstart: screenshot|demo detector|EER' "$dir/root/check-debian13-quickstart.log" | tail -5 || true
t2=$(now)
if inside "bash tools/run-tests.sh" > "$dir/root/check-debian13-tests.log" 2>&1; then
  say "command 2 (bash tools/run-tests.sh): ok, $(( $(now) - t2 )) s"
else
  status=1
  say "command 2 (bash tools/run-tests.sh): FAILED after $(( $(now) - t2 )) s"
fi
grep -E '^run-tests: |tests passed|^\s+[0-9]+ - .*\((Failed|Timeout|Not Run|SEGFAULT|Subprocess)' \
  "$dir/root/check-debian13-tests.log" || true
say "toolchain: $(inside 'g++ --version | head -1'); libtorch-dev $(inside "dpkg-query -W -f='\${Version}' libtorch-dev"); qt6-base-dev $(inside "dpkg-query -W -f='\${Version}' qt6-base-dev")"
say "total $(( $(now) - t0 )) s; logs in $dir/root/check-debian13-*.log"
exit $status

#!/usr/bin/env bash
# Installs every build, run and test dependency of SpoofLens from Debian's
# archive: Debian 12 "bookworm" or Debian 13 "trixie" (read from
# /etc/os-release). One package list; the few names that differ between the
# two releases are in the case below. Run as root (or through sudo). Idempotent.
# On any other system it installs nothing: it prints the packages it needs (by
# their Debian names) and exits with status 1. SPOOFLENS_DEBIAN_RELEASE=12 or 13
# forces a release's list (e.g. on a Debian derivative with the same names).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-pthread libopenblas-pthread-dev
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev
  libsndfile1-dev libsoxr-dev portaudio19-dev libasound2-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libxxhash-dev zlib1g-dev libssl-dev libfftw3-dev
  python3-torch python3-torchaudio python3-numpy sox libsox-fmt-all opus-tools
  xvfb xauth clang
  # the demo corpus (docs/demo.md): human recordings and speech synthesisers
  pocketsphinx-testdata espeak-ng flite festival
  festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
)
# Per release: clang's runtime (sanitizers, fuzzing) and the demo's 8 kHz human
# speech: codec2's samples, which Debian 13 no longer packages; there the demo
# uses Asterisk's prompts instead (core/training/DemoCorpus.cpp, docs/demo.md).
bookworm=(libclang-rt-14-dev codec2-examples)
trixie=(libclang-rt-dev asterisk-core-sounds-en-wav)

release="${SPOOFLENS_DEBIAN_RELEASE:-}"
if [ -z "$release" ] && [ -r /etc/os-release ]; then
  # shellcheck disable=SC1091
  id="$(. /etc/os-release && echo "${ID:-}")"
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  case "$id:$codename" in
    debian:bookworm) release=12 ;;
    debian:trixie) release=13 ;;
  esac
fi
case "$release" in
  12) packages+=("${bookworm[@]}") ;;
  13) packages+=("${trixie[@]}") ;;
  *)
    {
      echo "install-deps: this is not Debian 12 (bookworm) or 13 (trixie) ($( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}") || echo 'no /etc/os-release')); nothing installed."
      echo "install-deps: SpoofLens needs these packages (Debian names; install your system's equivalents):"
      echo "  ${packages[*]}"
      echo "  Debian 12 adds: ${bookworm[*]}"
      echo "  Debian 13 adds: ${trixie[*]}"
      echo "install-deps: on a Debian derivative with the same names, set SPOOFLENS_DEBIAN_RELEASE=12 or 13."
    } >&2
    exit 1 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E SPOOFLENS_DEBIAN_RELEASE="$release" bash "$0" "$@"
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: Debian $release: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: Debian $release: all ${#packages[@]} packages present"
fi

#!/usr/bin/env bash
# Installs every build, run and test dependency of SpoofLens from Debian 12's
# archive. Run as root (or through sudo). Idempotent.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E bash "$0" "$@"
fi
packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-pthread libopenblas-pthread-dev
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev
  libsndfile1-dev libsoxr-dev portaudio19-dev libasound2-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev zlib1g-dev libssl-dev libfftw3-dev
  python3-torch python3-torchaudio python3-numpy sox libsox-fmt-all opus-tools
  xvfb xauth clang libclang-rt-14-dev
  # the demo corpus (docs/demo.md): human recordings and speech synthesisers
  pocketsphinx-testdata codec2-examples espeak-ng flite festival
  festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

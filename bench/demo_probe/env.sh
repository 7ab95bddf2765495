# Settings of the demo probe experiment (docs/demo.md, "Speaker augmentation does
# not fix it"). WORK: where the corpus, features and copies go; BUILD: a build
# folder of this repository. One thread, low priority.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export WORK=${WORK:-/tmp/demo_probe}
SL=${BUILD:-$HERE/../../build}/app/spooflens
DEMO=$WORK/demo
FEATS=$WORK/feats
AUG=$WORK/aug
DET=$HERE/../../tests/data/fixtures/detector_tiny.pth
PY=/usr/bin/python3
mkdir -p "$WORK"

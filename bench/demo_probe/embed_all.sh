#!/bin/bash
# h(t) of every corpus file + partials (FEATS/orig) and every augmented copy (FEATS/<variant>)
set -e; . "$(dirname "$0")/env.sh"
emb() { [ -s "$2" ] || nice -n 19 $SL embed --detector $DET --device cpu --threads 1 --cut full --quiet --out "$2" "$1"; }
mkdir -p $FEATS/orig
if [ "$1" != "aug" ]; then
  $PY -c "import json;[print(f['id'],f['path']) for f in json.load(open('$DEMO/manifest.json'))['files']]" |
  while read id path; do emb $DEMO/$path $FEATS/orig/$id.npy; done
  for w in $DEMO/data/audio/partial_eval_*.wav; do s=$(basename $w .wav); emb $w $FEATS/orig/$s.npy; done
fi
if [ "$1" != "orig" ]; then
  for d in $AUG/*/; do v=$(basename $d); mkdir -p $FEATS/$v
    for w in $d*.wav; do emb $w $FEATS/$v/$(basename $w .wav).npy; done; done
fi
echo embed done

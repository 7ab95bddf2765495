#!/bin/bash
# Augmented copies of every train file (both classes): AUG/<variant>/<id>.wav
set -e; . "$(dirname "$0")/env.sh"
$PY -c "import json;[print(f['id'],f['path']) for f in json.load(open('$DEMO/manifest.json'))['files'] if f['split']=='train']" > $WORK/train_list.txt
while read id path; do
  in=$DEMO/$path
  for F in 0.85 0.9 1.1 1.15; do
    o=$AUG/speed$F/$id.wav; mkdir -p $(dirname $o)
    [ -s $o ] || nice -n 19 sox -G "$in" -b 16 "$o" speed $F rate 16000
  done
  for C in -500 -300 300 500; do
    o=$AUG/pitch$C/$id.wav; mkdir -p $(dirname $o)
    [ -s $o ] || nice -n 19 sox -G "$in" -b 16 "$o" pitch $C rate 16000
  done
done < $WORK/train_list.txt
for A in 0.85 0.9 1.1 1.15; do
  mkdir -p $AUG/formant$A
  args=(); while read id path; do [ -s $AUG/formant$A/$id.wav ] || args+=("$DEMO/$path" "$AUG/formant$A/$id.wav"); done < $WORK/train_list.txt
  [ ${#args[@]} -eq 0 ] || nice -n 19 $PY $HERE/formant.py $A "${args[@]}"
done
echo augment done

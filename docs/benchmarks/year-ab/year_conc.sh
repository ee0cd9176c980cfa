#!/bin/bash
# one root, alternate maxConcurrency values for N rounds
ROOT=$1; LEVELS=$2; N=$3; OUT=$4
for r in $(seq 1 $N); do
  if [ $((r % 2)) -eq 1 ]; then order=$(echo $LEVELS | tr , ' '); else order=$(echo $LEVELS | tr , '\n' | tac | tr '\n' ' '); fi
  for c in $order; do
    /work/main/.venv/bin/python /tmp/nc/year_one.py $ROOT $c 2>>/tmp/nc/year_conc.err | grep '^RESULT' | sed 's/^RESULT //' >> $OUT
    python3 -c "import json;d=[json.loads(l) for l in open('$OUT')][-1];print(d['input'].get('maxConcurrency'),d['executionSeconds'],d['bronzeStepSeconds'],d['silver'],d['gold'],round(sum(d['bronzeDecode']),1))"
  done
done

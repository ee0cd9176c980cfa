#!/bin/bash
# Session 9's side-by-side probe (a record, not a tool): the 12-month, 10-location, month-chunk backfill
# with the code of two checkouts, alternating, N rounds. A is a `git worktree` of the old commit with
# node_modules and .venv linked from the main checkout; the archive is the one `npm run bench -- --series e`
# generates (.local/bench/archive-10-2024). Run from anywhere:
#   year_ab.sh <root A> <root B> <rounds> <maxConcurrency> <out.jsonl>
# It expects year_one.py at /tmp/nc/ (copy it there), and prints one line per run:
#   root, maxConcurrency, execution s, Bronze step-seconds, Silver s, Gold s, Bronze decode s (sum).
# alternate A (arg1 root) and B (arg2 root) for N rounds; extra arg: maxConcurrency
A=$1; B=$2; N=$3; C=$4; OUT=$5
for r in $(seq 1 $N); do
  if [ $((r % 2)) -eq 1 ]; then order="$A $B"; else order="$B $A"; fi
  for root in $order; do
    /work/main/.venv/bin/python /tmp/nc/year_one.py $root $C 2>>/tmp/nc/year_ab.err | grep '^RESULT' | sed 's/^RESULT //' >> $OUT
    python3 -c "import json;d=[json.loads(l) for l in open('$OUT')][-1];print(d['root'],d['input'].get('maxConcurrency'),d['executionSeconds'],d['bronzeStepSeconds'],d['silver'],d['gold'],sum(d['bronzeDecode']))"
  done
done

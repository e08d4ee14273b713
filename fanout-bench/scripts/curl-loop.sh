#!/usr/bin/env bash
# The shell-loop pattern: one curl after another over the pod list.
# Usage: curl-loop.sh <n> <warmup> <reps> [port]
set -euo pipefail
n=$1; warmup=$2; reps=$3; port=${4:-8080}
body='{"id":"bench","paths":["/blog/hello"],"tags":["post:42"]}'
urls=()
for ((i = 0; i < n; i++)); do urls+=("http://127.1.$((i / 250)).$((i % 250 + 1)):$port/api/revalidate"); done
fan_out() {
  for u in "${urls[@]}"; do
    curl -s -o /dev/null -X POST -H 'content-type: application/json' -d "$body" "$u"
  done
}
for ((r = 0; r < warmup; r++)); do fan_out; done
for ((r = 0; r < reps; r++)); do
  start=$(date +%s%N); fan_out; end=$(date +%s%N)
  awk -v ns=$((end - start)) 'BEGIN { printf "RESULT %.3f\n", ns / 1e6 }'
done

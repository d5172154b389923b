#!/usr/bin/env bash
# Where a call setup's server CPU goes: a spawned Zvonim pinned to core 0 (the generator on core 1), CALLS setups at a
# time; after WAIT seconds of setups (past the JIT's tier-up), `perf stat` for 10 s (task-clock, context switches,
# syscalls; divide by the setups in the same window) and `perf record -g` for 12 s, reported as the hottest symbols
# by self time and by managed layer (perf-buckets.py). JIT frames resolve through the server's perf map.
#
#   Zvonim.Bench/scripts/profile-setup.sh [calls]      (results in $OUT, default /tmp/setup-profile)
#   TARGET=bare Zvonim.Bench/scripts/profile-setup.sh  (the bench's bare relay, spawned the same way, to compare)
set -euo pipefail
cd "$(dirname "$0")/../.."
CALLS=${1:-32} WAIT=${WAIT:-40} OUT=${OUT:-/tmp/setup-profile}
mkdir -p "$OUT"; L=$OUT/run.txt
. Zvonim.Bench/scripts/spawned-bench.sh
start_bench "$L" "setups/s" setup --target "${TARGET:-zvonim}" --spawn --pin --calls "$CALLS" --duration $((WAIT + 30)) --warmup 5 \
  --json "$OUT/run.json"
sleep "$WAIT"
done_count() { grep "setups/s" "$L" | tail -1 | grep -o "done [0-9,]*" | tr -d ',' | awk '{print $2}'; }
S0=$(done_count)
perf stat -e task-clock,context-switches,raw_syscalls:sys_enter -p "$P" -o "$OUT/stat.txt" sleep 10
S1=$(done_count)
echo "setups in the window (from progress lines, ±1 s): $((S1 - S0))" | tee -a "$OUT/stat.txt"
grep -E "task-clock|context-switches|sys_enter" "$OUT/stat.txt"
perf record -g -e cpu-clock -F 999 -p "$P" -o "$OUT/perf.data" sleep 12 2>/dev/null
{ perf report -i "$OUT/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8
  perf report -i "$OUT/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -60; } > "$OUT/top.txt" || true
cat "$OUT/top.txt"
perf script -i "$OUT/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null > "$OUT/perf.txt"
python3 Zvonim.Bench/scripts/perf-buckets.py "$OUT/perf.txt"
wait $BENCH || true

#!/usr/bin/env bash
# Per-message profile of one relay target under the pinned closed loop (server on core 0, generator on core 1):
# after WAIT seconds of load (past the JIT's tier-up), `perf stat` for 10 s (task-clock, context switches, syscalls,
# divided by the messages received in the same 10 s) and, for Zvonim and the bare relay, `perf record -g` for 12 s
# bucketed by perf-buckets.py. JIT frames resolve through the perf map the spawned server writes.
#
#   Zvonim.Bench/scripts/profile-relay.sh zvonim|bare|peerjs [calls]      (results in $OUT, default /tmp/relay-profile)
#   SERVER_DLL=/other/build/Zvonim.Web.dll Zvonim.Bench/scripts/profile-relay.sh zvonim   (another build of Zvonim)
set -euo pipefail
cd "$(dirname "$0")/../.."
T=$1 CALLS=${2:-1000} WAIT=${WAIT:-30} OUT=${OUT:-/tmp/relay-profile}
mkdir -p "$OUT"; L=$OUT/run-$T.txt
. Zvonim.Bench/scripts/spawned-bench.sh
start_bench "$L" "relay-closed $T\]" relay --target "$T" --spawn --pin --mode closed --calls "$CALLS" \
  --duration $((WAIT + 30)) --warmup 5 --json "$OUT/run-$T.json" ${SERVER_DLL:+--server-dll "$SERVER_DLL"}
sleep "$WAIT"
received() { grep "relay-closed $T\]" "$L" | tail -1 | awk '{gsub(",", "", $10); print $10}'; }
R0=$(received)
perf stat -e task-clock,context-switches,raw_syscalls:sys_enter -p "$P" -o "$OUT/stat-$T.txt" sleep 10
R1=$(received)
echo "messages received in the window (from progress lines, ±1 s): $((R1 - R0))" | tee -a "$OUT/stat-$T.txt"
grep -E "task-clock|context-switches|sys_enter" "$OUT/stat-$T.txt"
if [ "$T" != peerjs ]; then
  perf record -g -e cpu-clock -F 999 -p "$P" -o "$OUT/perf-$T.data" sleep 12
  perf script -i "$OUT/perf-$T.data" -F comm,tid,ip,sym,dso 2>/dev/null > "$OUT/perf-$T.txt"
  python3 Zvonim.Bench/scripts/perf-buckets.py "$OUT/perf-$T.txt"
fi
wait $BENCH || true

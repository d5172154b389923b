#!/usr/bin/env bash
# Relay across nodes against relay on one node, in the same cluster and the same minutes (issue 15's cross-node goal):
# three clustered Zvonim nodes of this build on this machine, closed loop, every call made on node 1 with its first
# socket there and its second on node 1 ("same") or node 2 ("cross"), in rotation. CPU per message counts every
# node's CPU over the whole run (connecting 50 calls included, a few ms), divided by the messages relayed in it.
#
#   dotnet build -c Release && Zvonim.Bench/scripts/cluster-relay.sh
# Settings: CALLS (50), WARM and WIN (5 and 10 s per run), ROT (3 rotations after one unmeasured), NODES (3);
# EXTRA='KEY=VALUE …' is given to every node.
set -euo pipefail
cd "$(dirname "$0")/../.."
B="dotnet Zvonim.Bench/bin/Release/net10.0/Zvonim.Bench.dll"
WARM=${WARM:-5} WIN=${WIN:-10} ROT=${ROT:-3} CALLS=${CALLS:-50} NODES=${NODES:-3}
dir=$(mktemp -d /tmp/zvonim-cluster-relay.XXXX)
# shellcheck source=cluster-nodes.sh
. Zvonim.Bench/scripts/cluster-nodes.sh
trap 'kill "${pids[@]}" 2>/dev/null || true; mkdir -p /tmp/cluster-relay-logs; cp "$dir"/*.log /tmp/cluster-relay-logs/ 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
# shellcheck disable=SC2086
start_cluster "$NODES" ${EXTRA:-}
node1="http://127.0.0.1:${http[0]}"
wait_cluster "$node1"

ticks() { local t=0 p; for p in "${pids[@]}"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
run() {
  local peer=() out before after rate p99 us
  [ "$1" = cross ] && peer=(--peer-url "http://127.0.0.1:${http[1]}")
  before=$(ticks)
  out=$($B relay --target zvonim --url "$node1" "${peer[@]}" --mode closed --calls "$CALLS" --duration "$WIN" --warmup "$WARM" -q) ||
    { echo "$out" >&2; echo "$1: the run failed" >&2; exit 1; }
  after=$(ticks)
  rate=$(awk '$1 == "msgs_per_s" { gsub(",", "", $3); print $3 }' <<< "$out")
  p99=$(awk '$1 == "latency_p99_ms" { gsub(",", "", $3); print $3 }' <<< "$out")
  # clock ticks are 1/100 s; messages relayed ≈ rate × (warm-up + window)
  us=$(python3 -c "print(round(($after - $before) * 1e4 / ($rate * ($WARM + $WIN)), 1))")
  echo "$rate $us ${p99:-?}"
}
run same > /dev/null; run cross > /dev/null # unmeasured: the nodes' JIT and connections warm up
declare -A OUT
for _ in $(seq 1 "$ROT"); do for kind in same cross; do OUT[$kind]="${OUT[$kind]:-} | $(run "$kind")"; done; done
echo "msg/s, µs of cluster CPU per message, p99 ms; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for kind in same cross; do echo "$kind node:${OUT[$kind]}"; done

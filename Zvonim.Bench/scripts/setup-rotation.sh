#!/usr/bin/env bash
# Steady-state CPU per call setup of several Zvonim builds, measured fairly on a shared machine: every server is
# started at once, warmed for WARM seconds (the JIT's tier-up takes about 20 s of setups; a short run measures mostly
# that), then measured in WIN-second setup windows taken in rotation, ROT times, so that whatever else the machine
# does falls on every build alike. Prints each build's server CPU per setup (ms) per window and the median.
#
#   Zvonim.Bench/scripts/setup-rotation.sh kernel=/path/a/Zvonim.Web.dll akka=Zvonim.Web/bin/Release/net10.0/Zvonim.Web.dll
#
# ENV_<name>="K=V K2=V2" gives one build its own environment (a runtime knob against the same build, say).
set -euo pipefail
cd "$(dirname "$0")/../.."
B="dotnet Zvonim.Bench/bin/Release/net10.0/Zvonim.Bench.dll"
WARM=${WARM:-20} WIN=${WIN:-8} ROT=${ROT:-6} CALLS=${CALLS:-32}
declare -A DLL PID PORT RES
names=()
for arg in "$@"; do names+=("${arg%%=*}"); DLL[${arg%%=*}]=${arg#*=}; done
lifted=$(for k in CreatesPerMinute JoinsPerMinute SocketsPerMinute MissesPerMinute MaxSocketsPerAddress MaxConnectionsPerAddress; do echo "Zvonim__Limits__$k=1000000"; done)
trap 'for n in "${names[@]}"; do kill "${PID[$n]}" 2>/dev/null || true; done' EXIT
for n in "${names[@]}"; do
  PORT[$n]=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # shellcheck disable=SC2086
  own="ENV_$n"
  # shellcheck disable=SC2086
  env Serilog__MinimumLevel__Default=Warning $lifted ${!own:-} dotnet "${DLL[$n]}" --urls "http://127.0.0.1:${PORT[$n]}" > "/tmp/setup-rotation-$n.log" 2>&1 &
  PID[$n]=$!
done
# Several servers starting at once on two cores take a while: wait until each answers.
for n in "${names[@]}"; do
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:${PORT[$n]}/healthz" > /dev/null && break; sleep 0.5; done
done
window() { $B setup --url "http://127.0.0.1:${PORT[$1]}" --server-pid "${PID[$1]}" --calls "$CALLS" --duration "$2" --warmup 0 -q; }
# A setup that fails while a cold server warms up (two of them and the generator share the cores) is not measured;
# its line is kept in the log.
for n in "${names[@]}"; do window "$n" "$WARM" > "/tmp/setup-rotation-$n-warm.txt" || grep -i "fail" "/tmp/setup-rotation-$n-warm.txt" | head -3 >&2; done
for _ in $(seq 1 "$ROT"); do
  for n in "${names[@]}"; do RES[$n]="${RES[$n]:-} $(window "$n" "$WIN" | awk '$1 == "server_cpu_ms_per_setup" {print $3}')"; done
done
for n in "${names[@]}"; do
  median=$(tr ' ' '\n' <<< "${RES[$n]}" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
  echo "$n: ms per setup${RES[$n]}  median $median"
done

#!/usr/bin/env bash
# The forwarder bench (`zvonim-bench sfu ...`) in a network namespace of its own whose loopback hands its receive
# work (the UDP receive path, queueing into the subscriber's socket, waking its thread) to core 1 by RPS, as a
# real network hands it to the receivers' machines. Without it, loopback does that work on the sender's CPU inside
# sendmmsg, and the packet thread's CPU per forwarded packet includes the 50 receivers' kernel work too.
# AWAKE=1 also keeps idle cores polling rather than halting while the bench runs (a PM QoS request on
# /dev/cpu_dma_latency, as tuned's latency-performance profile makes): on a virtual machine, a packet that wakes a
# halted core waits for the host to run it again. Needs root (unshare, a private /sys, the sysctl and PM QoS below).
#
#   Zvonim.Bench/scripts/sfu-netns.sh --subscribers 50 --rate 600 --pin --json /tmp/sfu.json
#   RPS=0 RFS=0 Zvonim.Bench/scripts/sfu-netns.sh ...   # the same namespace, loopback work on the sender's CPU
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dll="${DLL:-$root/Zvonim.Bench/bin/Release/net10.0/Zvonim.Bench.dll}"
rps="${RPS:-3}" # a hex CPU mask of the cores loopback's receive work may go to
flows="${RFS:-32768}" # receive flow steering: each flow's work to the core its socket's reader last ran on (0: off)
[[ -f "$dll" ]] || { echo "build first: dotnet build Zvonim.Bench -c Release" >&2; exit 1; }
# RFS's table of which socket was read on which core is the machine's (net.core.rps_sock_flow_entries exists only
# in the first namespace); it steers nothing where no device has RPS, as none outside this namespace does here.
# Put back as it was when the bench ends (so two of these at once would disturb each other: run one at a time).
table=/proc/sys/net/core/rps_sock_flow_entries
was=$(cat $table)
if [[ "$flows" != 0 && "$was" -lt "$flows" ]]; then
  trap 'echo "$was" > $table' EXIT
  echo "$flows" > $table
fi
if [[ "${AWAKE:-0}" == 1 ]]; then
  exec 3>/dev/cpu_dma_latency # the request lasts as long as this descriptor is open: until the bench ends
  printf '\x00\x00\x00\x00' >&3
fi
unshare --net --mount -- bash -c '
  set -e
  mount -t sysfs sysfs /sys
  ip link set lo up
  echo "$1" > /sys/class/net/lo/queues/rx-0/rps_cpus
  echo "$2" > /sys/class/net/lo/queues/rx-0/rps_flow_cnt
  shift 2
  exec "$@"' sfu-netns "$rps" "$flows" "${DOTNET:-dotnet}" "$dll" sfu "$@"

# Sourced by the profile scripts: start_bench LOG PROGRESS ARGS... runs Zvonim.Bench with ARGS in the background,
# the spawned server with its perf map on (JIT frames resolve in perf), output to LOG; it returns once the server
# has started and LOG shows a line matching PROGRESS, with the server's pid in $P and the bench's in $BENCH.
start_bench() {
  local log=$1 progress=$2; shift 2
  dotnet Zvonim.Bench/bin/Release/net10.0/Zvonim.Bench.dll "$@" \
    --server-env DOTNET_PerfMapEnabled=1 --server-env DOTNET_EnableWriteXorExecute=0 > "$log" 2>&1 &
  BENCH=$!
  trap 'kill $BENCH 2>/dev/null || true' EXIT
  P=""
  for _ in $(seq 1 120); do
    P=$(grep -o "started pid [0-9]*" "$log" | awk '{print $3}' || true)
    [ -n "$P" ] && grep -q -- "$progress" "$log" && return 0
    sleep 1
  done
  echo "the bench did not start (see $log)" >&2
  return 1
}

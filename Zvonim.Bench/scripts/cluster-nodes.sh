# Sourced by the cluster scripts: starts Zvonim nodes of this repository's Release build on loopback, each with the
# per-address limits lifted (every bench socket comes from a few loopback addresses), logs in $dir/nodes.log.
#   free                      a free loopback port
#   start PORT [KEY=VALUE…]   one node on http://127.0.0.1:PORT with these settings; its pid is appended to pids
#   start_cluster N [KEY=VALUE…]  N clustered nodes, each its own seed list; their HTTP ports in http, pids in pids
#   wait_cluster URL          returns once a call made at URL is known on every node of http
DLL=${DLL:-Zvonim.Web/bin/Release/net10.0/Zvonim.Web.dll}
pids=()
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
lifted=$(for k in CreatesPerMinute JoinsPerMinute SocketsPerMinute MissesPerMinute MaxSocketsPerAddress MaxConnectionsPerAddress; do echo "Zvonim__Limits__$k=1000000"; done)
# shellcheck disable=SC2086
start() { env Serilog__MinimumLevel__Default=Warning $lifted "${@:2}" dotnet "$DLL" --urls "http://127.0.0.1:$1" >> "$dir/nodes.log" 2>&1 & pids+=($!); }
start_cluster() {
  local n=$1 i seeds=(); shift
  local key; key=$(openssl rand -base64 32) # every node of the cluster signs access tokens with the same key
  http=(); remoting=()
  for ((i = 0; i < n; i++)); do http+=("$(free)"); remoting+=("$(free)"); done
  for ((i = 0; i < n; i++)); do seeds+=("Zvonim__Cluster__SeedNodes__$i=127.0.0.1:${remoting[$i]}"); done
  for ((i = 0; i < n; i++)); do
    start "${http[$i]}" "$@" Zvonim__Accounts__SigningKey="$key" Zvonim__Cluster__Enabled=true Zvonim__Cluster__Port="${remoting[$i]}" "${seeds[@]}"
  done
}
wait_cluster() {
  local id known p
  for _ in $(seq 1 300); do
    id=$(curl -s -X POST "$1/apiv2/calls" | python3 -c 'import json,sys; print(json.load(sys.stdin)["call_id"])' 2>/dev/null) || true
    known=0
    for p in "${http[@]}"; do curl -sf "http://127.0.0.1:$p/apiv2/calls/${id:-none}" > /dev/null && known=$((known + 1)); done
    [ "$known" -eq "${#http[@]}" ] && return 0
    sleep 0.2
  done
  echo "the cluster did not form (see $dir/nodes.log)" >&2
  return 1
}

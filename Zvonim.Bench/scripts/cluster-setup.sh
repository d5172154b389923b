#!/usr/bin/env bash
# Setups/s through a real nginx doing round-robin (deploy/nginx/zvonim.conf, over plain http): in front of one Zvonim node (not
# clustered) and in front of a three-node cluster, all on this machine, measured in rotation so that the machine's
# other load falls on both alike. On one machine the three nodes share its cores: this measures what clustering
# costs a setup (a call lives on one node, so two of three requests cross to it), not what more machines would add.
#
#   dotnet build -c Release && Zvonim.Bench/scripts/cluster-setup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
B="dotnet Zvonim.Bench/bin/Release/net10.0/Zvonim.Bench.dll"
WARM=${WARM:-20} WIN=${WIN:-15} ROT=${ROT:-3} CALLS=${CALLS:-32}
dir=$(mktemp -d /tmp/zvonim-cluster-setup.XXXX); chmod 755 "$dir"
# shellcheck source=cluster-nodes.sh
. Zvonim.Bench/scripts/cluster-nodes.sh
trap 'kill "${pids[@]}" 2>/dev/null || true; mkdir -p /tmp/cluster-setup-logs; cp "$dir"/*.log /tmp/cluster-setup-logs/ 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM

# STORE=postgres: the cluster keeps its calls in a PostgreSQL of its own (Debian's package, started here) instead of
# DistributedData. The single node keeps its SQLite file either way (STORE=none: neither keeps anything).
store=()
case "${STORE:-ddata}" in
  postgres)
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); pgport=$(free)
    mkdir -p "$dir/pg"; chown postgres:postgres "$dir/pg"
    runuser -u postgres -- "$bin/initdb" -D "$dir/pg/data" -U zvonim --auth=trust --no-sync > /dev/null
    runuser -u postgres -- "$bin/postgres" -D "$dir/pg/data" -p "$pgport" -k "$dir/pg" -c listen_addresses=127.0.0.1 >> "$dir/pg.log" 2>&1 & pids+=($!)
    sleep 3
    store=("Zvonim__Store__ConnectionString=Host=127.0.0.1;Port=$pgport;Username=zvonim;Database=postgres") ;;
  none) store=("Zvonim__Store__Path=") ;;
esac

single=$(free); start "$single" "Zvonim__Store__Path=$dir/single.db"
start_cluster 3 "${store[@]}"

# One nginx per layout, each with the shipped site configuration pointed at its upstreams.
proxy() {
  local name=$1 port=$2; shift 2
  mkdir -p "$dir/$name"
  python3 - deploy/nginx/zvonim.conf "$port" "$@" > "$dir/$name/zvonim.conf" <<'PY'
import re, sys
port, upstreams = sys.argv[2], sys.argv[3:]
site = open(sys.argv[1]).read()
servers = "".join(f"\n    server 127.0.0.1:{u};" for u in upstreams)
site = re.sub(r"(?m)^upstream zvonim \{[^}]*\}", lambda m: "upstream zvonim {" + servers + "".join(
    "\n" + line for line in m.group(0).split("\n")[1:] if not line.lstrip().startswith("server ")), site, count=1)
# Plain http to nginx (TLS would cost both layouts alike): no redirect server, no certificate.
site = re.sub(r"(?ms)^server \{\n    listen 80;.*?^\}\n", "", site, count=1)
site = re.sub(r"(?m)^    ssl_.*\n", "", site)
print(site.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};"))
PY
  cat > "$dir/$name/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $dir/$name/nginx.pid; error_log stderr error;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $dir/$name/body; proxy_temp_path $dir/$name/proxy;
  fastcgi_temp_path $dir/$name/f; uwsgi_temp_path $dir/$name/u; scgi_temp_path $dir/$name/s; include $dir/$name/zvonim.conf; }
CONF
  /usr/sbin/nginx -p "$dir/$name" -c "$dir/$name/nginx.conf" -e stderr >> "$dir/nginx.log" 2>&1 & pids+=($!)
}
declare -A PORT=([one]=$(free) [three]=$(free))
proxy one "${PORT[one]}" "$single"
proxy three "${PORT[three]}" "${http[@]}"

# The cluster is ready when a call made through the proxy is known on every node.
wait_cluster "http://127.0.0.1:${PORT[three]}"

# A window whose integrity check fails is shown whole and stops the run.
window() { $B setup --target zvonim --url "http://127.0.0.1:${PORT[$1]}" --calls "$CALLS" --duration "$2" --warmup 0 -q || { echo "$1: the run failed" >&2; exit 1; }; }
metric() { awk -v name="$1" '$1 == name { gsub(",", "", $3); print $3 }'; }
declare -A RATE P99
for n in one three; do window "$n" "$WARM" >&2; done
for _ in $(seq 1 "$ROT"); do
  for n in one three; do
    out=$(window "$n" "$WIN")
    RATE[$n]="${RATE[$n]:-} $(metric setups_per_s <<< "$out")"
    P99[$n]="${P99[$n]:-} $(metric setup_p99_ms <<< "$out")"
  done
done
for n in one three; do echo "$n node(s) behind nginx: setups/s${RATE[$n]}  p99 ms${P99[$n]}"; done

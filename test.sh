#!/usr/bin/env bash
# Runs every Zvonim test: unit, actor simulations, API against real Kestrel, and real-Chromium/coturn end-to-end.
# Installs what the end-to-end tests need (Debian's chromium, coturn, nginx and postgresql) when it is missing.
# Last line: "Tests: N passed, N failed, N skipped", taken from the test results.
set -uo pipefail
cd "$(dirname "$0")"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v turnserver >/dev/null 2>&1 || missing+=(coturn)
command -v ip >/dev/null 2>&1 || missing+=(iproute2) # ip netns: the media forwarder's browser tests run in a namespace of their own
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm) # the bench's PeerJS target (npm "peer"), smoke-tested
[ -x /usr/sbin/nginx ] || missing+=(nginx)
has_postgres() { compgen -G "/usr/lib/postgresql/*/bin/postgres" > /dev/null; }
has_postgres || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} for the browser, TURN, proxy and database tests..."
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" fonts-dejavu-core >/dev/null \
    || echo "apt-get reported a problem (a package's service may not start here: the tests start their own)"
  # What counts is that the programs are there; the tests start each of them themselves.
  command -v chromium >/dev/null 2>&1 && command -v turnserver >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    && [ -x /usr/sbin/nginx ] && has_postgres \
    || { echo "Could not install ${missing[*]}"; exit 1; }
fi

results=TestResults
rm -rf "$results"
dotnet restore --verbosity quiet || exit 1
dotnet build -c Release --no-restore --verbosity quiet -nologo || exit 1
dotnet test Zvonim.Tests/Zvonim.Tests.csproj -c Release --no-build --verbosity quiet \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?

trx="$results/results.trx"
if [ ! -f "$trx" ]; then
  echo "Tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
passed=$(count passed); failed=$(count failed); skipped=$(count notExecuted)
errors=$(count error)
failed=$(( ${failed:-0} + ${errors:-0} ))
# CI shows only the end of the output: name each failed test and the first lines of its message here, above the count.
if [ "$failed" -gt 0 ]; then
  # The first failure's own output, cut to what explains a cluster's behaviour (the nodes' warnings, errors and
  # membership and failover lines, 15 a node), since the whole of it is far longer than what CI shows.
  awk '/<UnitTestResult / { failing = !done && /outcome="Failed"/ }
       failing && /<StdOut>/ { out = 1 }
       out && /--- node [0-9] ---/ { lines[n++] = "  " $0; shown = 0; next }
       out && /AssociationError|associate with unreachable|gated for/ { next }
       out && (/ (WRN|ERR|FTL)\]/ || /attaching again|UNREACHABLE|SBR took|[Dd]owning|[Rr]ebalanc|Leader is|killed|created by/) {
         if (shown++ < 15) lines[n++] = "  " substr($0, 1, 240) }
       out && /<\/StdOut>/ { out = 0 }
       failing && /<\/UnitTestResult>/ { failing = 0; done = 1 }
       END { if (n > 0) { print "What the first failed test printed, in brief:"; for (i = 0; i < n; i++) print lines[i] } }' "$trx"
  echo "Failed tests:"
  awk '/<UnitTestResult / && /outcome="Failed"/ { match($0, /testName="[^"]*"/); print "  " substr($0, RSTART + 10, RLENGTH - 11); grab = 1; next }
       grab && /<Message>/ { shown = 0; inmsg = 1 }
       inmsg { if (shown++ < 8) print "    " substr($0, 1, 300); if (/<\/Message>/) { inmsg = 0; grab = 0 } }' "$trx"
fi
echo "Tests: ${passed:-0} passed, ${failed} failed, ${skipped:-0} skipped"
[ "${passed:-0}" -gt 0 ] || exit 1
exit $status

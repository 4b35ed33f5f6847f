#!/usr/bin/env bash
# Sustained accepted pin-failure reports per second into `pinwarden serve`
# (each answered 202 only after its batch committed durably), against nginx
# answering 204 to the same requests; same wrk, same run. Then the same load
# against pinwarden on PostgreSQL. See bench/BENCHMARKS.md.
#
#   bash bench/reports.sh                   # 5 rounds x 10 s per server
#   ROUNDS=3 SECS=5 CONNS=32 bash bench/reports.sh
#   PG=postgres://postgres@127.0.0.1:5432/postgres bash bench/reports.sh   # where to make the bench database
#   PW=/tmp/old/pinwarden bash bench/reports.sh   # another build (e.g. the commit before), not built here
set -euo pipefail
# shellcheck source=bench/nginx.sh
. "$(dirname "${BASH_SOURCE[0]}")/nginx.sh"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
rounds="${ROUNDS:-5}"
secs="${SECS:-10}"
conns="${CONNS:-32}"
pg="${PG:-postgres://postgres@127.0.0.1:5432/postgres}"
case "$rounds$secs$conns" in *[!0-9]*) echo "reports.sh: ROUNDS, SECS and CONNS must be numbers" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] && [ "$secs" -ge 1 ] && [ "$secs" -le 60 ] \
  || { echo "reports.sh: ROUNDS 1-20, SECS 1-60" >&2; exit 2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for tool in nginx wrk curl openssl psql; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    pkg="$tool"; [ "$tool" = psql ] && pkg=postgresql-client
    echo "reports.sh: installing $pkg" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null
  fi
done

if [ -n "${PW:-}" ]; then
  pw="$PW"
else
  (cd "$root" && cargo build --release --quiet -p pinwarden)
  pw="$root/target/release/pinwarden"
fi
work="$(mktemp -d)"
chmod 755 "$work"
pids=()
dbname="pinwarden_bench_$$"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg" -q -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# A report body: TrustKit's fields, a real (throwaway) certificate, and a
# hostname wrk makes unique per request (so nothing is deduplicated).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/k.pem" \
  -out "$work/c.pem" -days 30 -subj "/CN=Bench Proxy CA" 2>/dev/null
python3 - "$work/c.pem" "$work/report.lua" <<'PY'
import json, sys
pem = open(sys.argv[1]).read()
body = json.dumps({
    "app-bundle-id": "com.northwind.mobile", "app-version": "5.1", "app-platform": "IOS",
    "app-platform-version": "17.4", "app-vendor-id": "V", "trustkit-version": "3.0.3",
    "date-time": "2026-11-29T06:00:00Z", "hostname": "HOSTNAME", "port": 443,
    "noted-hostname": "api.northwind.example", "include-subdomains": False, "enforce-pinning": True,
    "validated-certificate-chain": [pem],
    "known-pins": ["pin-sha256=\"E9CZ9INDbd+2eRQozYqqbQ2yXLVKB9+xcprMF+44U1g=\""],
    "validation-result": 1})
head, tail = body.split("HOSTNAME")
lua = f"""
local head = {json.dumps(head)}
local tail = {json.dumps(tail)}
local n = 0
math.randomseed(os.time())
local prefix = tostring(math.random(1, 1000000000))
request = function()
  n = n + 1
  return wrk.format("POST", "/v1/reports", {{["Content-Type"] = "application/json"}}, head .. "h" .. prefix .. "-" .. n .. ".example.com" .. tail)
end
"""
open(sys.argv[2], "w").write(lua)
PY

start_nginx "$work" 18492 'location /v1/reports { return 204; }'

# Every report is a new failure from one address: lift the per-source and
# new-failure limits too, where the build has them (issue 15).
limits=(--report-rate 1000000)
if "$pw" serve --help | grep -q -- --report-new-failures; then
  limits+=(--report-source-rate 1000000 --report-source-new-failures 100000000 --report-new-failures 100000000)
fi

start_pw() { # $1 = port, $2 = database URL
  "$pw" serve --listen "127.0.0.1:$1" --policy "$root/examples/pinwarden.toml" --database "$2" \
    "${limits[@]}" >"$work/serve-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/api/v1/assess" && return; sleep 0.2; done
  echo "reports.sh: pinwarden on $1 did not start" >&2; cat "$work/serve-$1.log" >&2; exit 1
}
start_pw 18491 "sqlite://$work/data/pw.db"
psql "$pg" -q -c "CREATE DATABASE $dbname" >/dev/null
start_pw 18493 "${pg%/*}/$dbname"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:18492/" && break; sleep 0.2; done

# One request first: it must be accepted (202) by both pinwarden servers.
for port in 18491 18493; do
  code=$(python3 - "$work/report.lua" <<'PY' | curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary @- "http://127.0.0.1:$port/v1/reports"
import json, re, sys
lua = open(sys.argv[1]).read()
head = json.loads(re.search(r'local head = (".*")\n', lua).group(1))
tail = json.loads(re.search(r'local tail = (".*")\n', lua).group(1))
sys.stdout.write(head + "probe.example.com" + tail)
PY
)
  [ "$code" = 202 ] || { echo "reports.sh: pinwarden on $port answered $code" >&2; exit 1; }
done

run() { # $1 = url; prints 2xx answers per second and the count of others
  # Every server starts with no dirty pages left by the one before (or by a
  # build): on ext4 an fsync can wait for all of them, and PostgreSQL leaves
  # hundreds of MB behind.
  sync
  out=$(wrk -t1 -c"$conns" -d"${secs}s" -s "$work/report.lua" "$1")
  echo "$out" | awk -v secs="$secs" '
    /requests in/ { total = $1; sub(/s,$/, "", $4); took = $4 }
    /Non-2xx or 3xx responses:/ { bad = $5 }
    END { printf "%.0f %d\n", (total - bad) / took, bad + 0 }'
}
pw_all=(); ng_all=(); pg_all=()
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    read -r p pbad < <(run http://127.0.0.1:18491); read -r n nbad < <(run http://127.0.0.1:18492)
  else
    read -r n nbad < <(run http://127.0.0.1:18492); read -r p pbad < <(run http://127.0.0.1:18491)
  fi
  read -r g gbad < <(run http://127.0.0.1:18493)
  pw_all+=("$p"); ng_all+=("$n"); pg_all+=("$g")
  echo "round $round: pinwarden/SQLite $p accepted/s ($pbad not 2xx), nginx $n/s, pinwarden/PostgreSQL $g accepted/s ($gbad not 2xx)"
done
rows=$(curl -s "http://127.0.0.1:18491/api/v1/reports/summary?days=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "SQLite holds $rows reports"
python3 - "$conns" "$secs" "${pw_all[*]}" "${ng_all[*]}" "${pg_all[*]}" <<'PY'
import statistics, sys
conns, secs = sys.argv[1:3]
pw, ng, pg = ([float(x) for x in a.split()] for a in sys.argv[3:6])
ratios = [p / n for p, n in zip(pw, ng)]
print(f"wrk -t1 -c{conns} -d{secs}s, {len(pw)} rounds")
print(f"median: pinwarden/SQLite {statistics.median(pw):,.0f} reports/s, nginx {statistics.median(ng):,.0f} req/s, "
      f"ratio {statistics.median(ratios):.0%} (per round: {', '.join(f'{r:.0%}' for r in ratios)}); "
      f"pinwarden/PostgreSQL {statistics.median(pg):,.0f} reports/s")
PY

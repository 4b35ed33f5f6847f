#!/usr/bin/env bash
# Replicas on one PostgreSQL database (issue 15), two measurements in one run:
#
# 1. Propagation: a manifest uploaded on replica A, how long until replica B
#    serves it (p50, p99 over N uploads), against the same upload served by
#    A itself (the peer: no propagation at all).
# 2. Report ingestion through two replicas at once against one replica, on
#    the same database, same wrk and report stream: no collapse when a
#    second replica shares the load.
#
#   bash bench/replicas.sh                         # 100 uploads, 3 rounds x 10 s
#   UPLOADS=50 ROUNDS=3 SECS=5 CONNS=32 bash bench/replicas.sh
#   PG=postgres://postgres@127.0.0.1:5432/postgres bash bench/replicas.sh   # where to make the bench database
#   OVERLAP=1 bash bench/replicas.sh               # both replicas get the same failures (worst case for locks)
#
# build release ==> key, N signed manifests ==> replicas A, B on one new
#   database ==> upload i on A; poll A and B ==> latencies ==> wrk on A alone,
#   then on A and B together (half the connections each) ==> medians, ratio
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
uploads="${UPLOADS:-100}"
rounds="${ROUNDS:-3}"
secs="${SECS:-10}"
conns="${CONNS:-32}"
pg="${PG:-postgres://postgres@127.0.0.1:5432/postgres}"
case "$uploads$rounds$secs$conns" in *[!0-9]*) echo "replicas.sh: UPLOADS, ROUNDS, SECS and CONNS must be numbers" >&2; exit 2 ;; esac
[ "$uploads" -ge 10 ] && [ "$uploads" -le 1000 ] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] \
  && [ "$secs" -ge 1 ] && [ "$secs" -le 60 ] \
  || { echo "replicas.sh: UPLOADS 10-1000, ROUNDS 1-20, SECS 1-60" >&2; exit 2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for tool in wrk curl openssl psql; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    pkg="$tool"; [ "$tool" = psql ] && pkg=postgresql-client
    echo "replicas.sh: installing $pkg" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null
  fi
done

(cd "$root" && cargo build --release --quiet -p pinwarden)
pw="$root/target/release/pinwarden"
work="$(mktemp -d)"
pids=()
dbname="pinwarden_bench_replicas_$$"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg" -q -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$pw" manifest keygen --out "$work/signer" >/dev/null
(umask 077; head -c 24 /dev/urandom | base64 > "$work/token")
echo "replicas.sh: signing $uploads manifests" >&2
for v in $(seq "$uploads"); do
  "$pw" manifest sign --key "$work/signer.key" --policy "$root/examples/pinwarden.toml" \
    --app northwind-mobile --version "$v" -o "$work/v$v.json" 2>/dev/null
done

psql "$pg" -q -c "CREATE DATABASE $dbname" >/dev/null
db="${pg%/*}/$dbname"
limits=(--report-rate 1000000 --report-source-rate 1000000 --report-source-new-failures 100000000
        --report-new-failures 100000000)
start_pw() { # $1 = port
  "$pw" serve --listen "127.0.0.1:$1" --policy "$root/examples/pinwarden.toml" --database "$db" \
    --manifest-trust "$work/signer.pub" --admin-token-file "$work/token" --reconcile-interval 30 \
    "${limits[@]}" >"$work/serve-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/api/v1/assess" && return; sleep 0.2; done
  echo "replicas.sh: pinwarden on $1 did not start" >&2; cat "$work/serve-$1.log" >&2; exit 1
}
start_pw 18591
start_pw 18592

echo "replicas.sh: propagation, $uploads uploads" >&2
python3 - "$work" "$uploads" "$(cat "$work/token")" <<'PY'
import http.client, statistics, sys, time
work, uploads, token = sys.argv[1], int(sys.argv[2]), sys.argv[3].strip()
A, B = 18591, 18592
path = "/v1/manifests/northwind-mobile"

def get(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.read()

local, remote = [], []
for v in range(1, uploads + 1):
    body = open(f"{work}/v{v}.json", "rb").read()
    c = http.client.HTTPConnection("127.0.0.1", A, timeout=10)
    c.request("PUT", "/v1/admin/manifests/northwind-mobile", body, {"authorization": f"Bearer {token}"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
    done = time.perf_counter()
    # Poll both until each serves the new bytes (bounded: 5 s).
    got = {}
    while len(got) < 2 and time.perf_counter() - done < 5:
        for port in (A, B):
            if port not in got:
                status, served = get(port)
                if status == 200 and served == body:
                    got[port] = time.perf_counter() - done
    assert len(got) == 2, f"version {v} not served everywhere within 5 s: {got}"
    local.append(got[A] * 1000); remote.append(got[B] * 1000)

def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
print(f"propagation over {uploads} uploads (ms after the upload's answer): "
      f"replica B p50 {pct(remote, 50):.1f}, p99 {pct(remote, 99):.1f}, max {max(remote):.1f}; "
      f"replica A itself p50 {pct(local, 50):.1f}, p99 {pct(local, 99):.1f}; "
      f"B/A at p50 {pct(remote, 50) / max(pct(local, 50), 0.001):.1f}x")
PY

echo "replicas.sh: ingestion, one replica vs two" >&2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/k.pem" \
  -out "$work/c.pem" -days 30 -subj "/CN=Bench Proxy CA" 2>/dev/null
python3 - "$work/c.pem" "$work/report.lua" <<'PY'
import json, sys
pem = open(sys.argv[1]).read()
body = json.dumps({
    "app-bundle-id": "com.northwind.mobile", "app-version": "5.1", "app-platform": "IOS",
    "date-time": "2026-11-29T06:00:00Z", "hostname": "HOSTNAME", "port": 443,
    "validated-certificate-chain": [pem],
    "known-pins": ["pin-sha256=\"E9CZ9INDbd+2eRQozYqqbQ2yXLVKB9+xcprMF+44U1g=\""],
    "validation-result": 1})
head, tail = body.split("HOSTNAME")
open(sys.argv[2], "w").write(f"""
local head = {json.dumps(head)}
local tail = {json.dumps(tail)}
local n = 0
local prefix = "p"
-- wrk ... -- PREFIX: each wrk names its own hosts (the same PREFIX on two
-- replicas sends them the same failures).
init = function(args)
  prefix = args[1] or prefix
end
request = function()
  n = n + 1
  return wrk.format("POST", "/v1/reports", {{["Content-Type"] = "application/json"}}, head .. "h" .. prefix .. "-" .. n .. ".example.com" .. tail)
end
""")
PY
accepted() { # wrk output on stdin; prints 2xx answers per second
  awk '/requests in/ { total = $1; sub(/s,$/, "", $4); took = $4 }
       /Non-2xx or 3xx responses:/ { bad = $5 }
       END { printf "%.0f\n", (total - bad) / took }'
}
one_all=(); two_all=()
half=$((conns / 2))
for round in $(seq "$rounds"); do
  sync
  one=$(wrk -t1 -c"$conns" -d"${secs}s" -s "$work/report.lua" http://127.0.0.1:18591 -- "one$round" | accepted)
  sync
  pa="a$round"; pb="b$round"; [ "${OVERLAP:-0}" = 1 ] && pb="$pa"
  wrk -t1 -c"$half" -d"${secs}s" -s "$work/report.lua" http://127.0.0.1:18591 -- "$pa" | accepted >"$work/a" &
  wa=$!
  wrk -t1 -c"$half" -d"${secs}s" -s "$work/report.lua" http://127.0.0.1:18592 -- "$pb" | accepted >"$work/b" &
  wb=$!
  wait "$wa" "$wb"
  two=$(( $(cat "$work/a") + $(cat "$work/b") ))
  one_all+=("$one"); two_all+=("$two")
  echo "round $round: one replica $one accepted/s; two replicas $two accepted/s ($(cat "$work/a") + $(cat "$work/b"))"
done
python3 - "$conns" "$secs" "${one_all[*]}" "${two_all[*]}" <<'PY'
import statistics, sys
conns, secs = sys.argv[1:3]
one, two = ([float(x) for x in a.split()] for a in sys.argv[3:5])
ratios = [t / o for o, t in zip(one, two)]
print(f"ingestion, wrk -t1 -c{conns} -d{secs}s ({int(conns)//2} connections per replica for two), {len(one)} rounds: "
      f"median one replica {statistics.median(one):,.0f} reports/s, two replicas {statistics.median(two):,.0f} reports/s, "
      f"two/one {statistics.median(ratios):.2f} (per round: {', '.join(f'{r:.2f}' for r in ratios)})")
PY

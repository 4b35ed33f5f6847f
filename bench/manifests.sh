#!/usr/bin/env bash
# Requests per second of `GET /v1/manifests/{app}` from `pinwarden serve`
# against nginx serving the same envelope as a static file, both loaded by
# the same wrk in the same run; see bench/BENCHMARKS.md.
#
#   bash bench/manifests.sh                 # 3 rounds x 10 s per server
#   ROUNDS=5 SECS=5 CONNS=32 bash bench/manifests.sh
#
# build release ==> key, signed manifest, token ==> pinwarden serve (SQLite
#   in a temp dir) + upload ==> nginx with the same bytes ==> check both
#   answer the same body ==> wrk, rounds alternating the order ==> medians, ratio
set -euo pipefail
# shellcheck source=bench/nginx.sh
. "$(dirname "${BASH_SOURCE[0]}")/nginx.sh"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
rounds="${ROUNDS:-3}"
secs="${SECS:-10}"
conns="${CONNS:-16}"
case "$rounds$secs$conns" in *[!0-9]*) echo "manifests.sh: ROUNDS, SECS and CONNS must be numbers" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] && [ "$secs" -ge 1 ] && [ "$secs" -le 60 ] \
  || { echo "manifests.sh: ROUNDS 1-20, SECS 1-60" >&2; exit 2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for tool in nginx wrk curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "manifests.sh: installing $tool" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null
  fi
done

(cd "$root" && cargo build --release --quiet -p pinwarden)
pw="$root/target/release/pinwarden"
work="$(mktemp -d)"
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$pw" manifest keygen --out "$work/signer" >/dev/null
"$pw" manifest sign --key "$work/signer.key" --policy "$root/examples/pinwarden.toml" \
  --app northwind-mobile --version 1 -o "$work/v1.json" 2>/dev/null
(umask 077; head -c 24 /dev/urandom | base64 > "$work/token")  # the server refuses a token others can read

pw_port=18481
nginx_port=18482
"$pw" serve --listen "127.0.0.1:$pw_port" --policy "$root/examples/pinwarden.toml" \
  --database "sqlite://$work/data/pw.db" --manifest-trust "$work/signer.pub" \
  --admin-token-file "$work/token" >"$work/serve.log" 2>&1 &
pids+=($!)

mkdir -p "$work/www/v1/manifests"
start_nginx "$work" "$nginx_port" 'location /v1/manifests/ {
      root '"$work"'/www;
      default_type application/json;
      add_header Cache-Control "public, max-age=60";
    }'

for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$pw_port/api/v1/assess" && curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break
  sleep 0.2
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "authorization: Bearer $(cat "$work/token")" \
  --data-binary @"$work/v1.json" "http://127.0.0.1:$pw_port/v1/admin/manifests/northwind-mobile")
[ "$code" = 201 ] || { echo "manifests.sh: upload answered $code" >&2; exit 1; }
cp "$work/v1.json" "$work/www/v1/manifests/northwind-mobile"

pw_url="http://127.0.0.1:$pw_port/v1/manifests/northwind-mobile"
nginx_url="http://127.0.0.1:$nginx_port/v1/manifests/northwind-mobile"
cmp <(curl -s "$pw_url") <(curl -s "$nginx_url") || { echo "manifests.sh: the two bodies differ" >&2; exit 1; }
bytes=$(curl -s "$pw_url" | wc -c)

rps() { wrk -t1 -c"$conns" -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
pw_all=(); nginx_all=()
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    p=$(rps "$pw_url"); n=$(rps "$nginx_url")
  else
    n=$(rps "$nginx_url"); p=$(rps "$pw_url")
  fi
  pw_all+=("$p"); nginx_all+=("$n")
  echo "round $round: pinwarden $p req/s, nginx $n req/s"
done
python3 - "$bytes" "$conns" "$secs" "${pw_all[*]}" "${nginx_all[*]}" <<'PY'
import statistics, sys
size, conns, secs = sys.argv[1:4]
pw = [float(x) for x in sys.argv[4].split()]
ng = [float(x) for x in sys.argv[5].split()]
ratios = [p / n for p, n in zip(pw, ng)]
print(f"body {size} bytes, wrk -t1 -c{conns} -d{secs}s, {len(pw)} rounds")
print(f"median: pinwarden {statistics.median(pw):,.0f} req/s, nginx {statistics.median(ng):,.0f} req/s, "
      f"pinwarden/nginx {statistics.median(ratios):.0%} (per-round ratios: {', '.join(f'{r:.0%}' for r in ratios)})")
PY

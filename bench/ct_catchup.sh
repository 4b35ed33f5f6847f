#!/usr/bin/env bash
# Catching up a local RFC 6962 log of ENTRIES entries (default 1,000,000)
# with a 100-item watchlist: `pinwarden ct once` versus Debian's certspotter,
# the same log served by the same process, in the same run; see
# bench/BENCHMARKS.md.
#
#   bash bench/ct_catchup.sh                  # 3 rounds, 1,000,000 entries
#   ROUNDS=5 ENTRIES=200000 bash bench/ct_catchup.sh
#
# build release ==> pinwarden-ct-log fills and serves the log, writes the log
#   list and watchlist ==> per round (order alternating): pinwarden from an
#   empty state dir until it exits; certspotter from an empty state dir until
#   its state file says the whole tree is verified ==> both must report the
#   same 100 certificates ==> entries/s, medians, ratio
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
rounds="${ROUNDS:-3}"
entries="${ENTRIES:-1000000}"
batch="${BATCH:-1000}"
case "$rounds$entries$batch" in *[!0-9]*) echo "ct_catchup.sh: ROUNDS, ENTRIES, BATCH must be numbers" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] && [ "$entries" -ge 1000 ] && [ "$entries" -le 5000000 ] \
  || { echo "ct_catchup.sh: ROUNDS 1-20, ENTRIES 1000-5000000" >&2; exit 2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for tool in certspotter python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ct_catchup.sh: installing $tool" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null
  fi
done

(cd "$root" && cargo build --release --quiet -p pinwarden -p pinwarden-test-support --bins)
pw="$root/target/release/pinwarden"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The log lives as long as its stdin (a fifo we hold open).
mkfifo "$work/hold"
"$root/target/release/pinwarden-ct-log" --entries "$entries" --dir "$work" <"$work/hold" >"$work/log.out" &
pids+=($!)
exec 3>"$work/hold"
for _ in $(seq 1 600); do [ -s "$work/log.out" ] && break; sleep 0.2; done
[ -s "$work/log.out" ] || { echo "ct_catchup.sh: the log did not start" >&2; exit 1; }
echo "log: $(cat "$work/log.out")"

now() { date +%s.%N; }

run_pinwarden() {
  local dir="$work/pw-$1"
  rm -rf "$dir"; mkdir -p "$dir"
  local t0 t1
  t0=$(now)
  "$pw" ct once --logs "$work/logs.json" --watchlist "$work/watchlist" --state-dir "$dir/state" \
    --jsonl "$dir/alerts.jsonl" --quiet --no-caa --rps 0 --batch-size "$batch" --parallel 4 2>"$dir/err" \
    || { cat "$dir/err" >&2; exit 1; }
  t1=$(now)
  found=$(wc -l <"$dir/alerts.jsonl")
  [ "$found" = 100 ] || { echo "ct_catchup.sh: pinwarden found $found, not 100" >&2; exit 1; }
  python3 -c "print(round($entries / ($t1 - $t0)))"
}

run_certspotter() {
  local dir="$work/cs-$1"
  rm -rf "$dir"; mkdir -p "$dir"
  local t0 t1 pid
  t0=$(now)
  certspotter -logs "$work/logs.json" -watchlist "$work/watchlist" -state_dir "$dir/state" \
    -stdout -no_save -batch_size "$batch" >"$dir/out" 2>"$dir/err" &
  pid=$!
  # Done when its state says the whole tree is verified (polled every 50 ms).
  for _ in $(seq 1 36000); do
    if python3 - "$dir/state" "$entries" <<'PY' 2>/dev/null
import glob, json, sys
files = glob.glob(sys.argv[1] + "/logs/*/state.json")
sys.exit(0 if files and json.load(open(files[0]))["verified_position"]["size"] == int(sys.argv[2]) else 1)
PY
    then break; fi
    sleep 0.05
  done
  t1=$(now)
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  found=$(grep -c 'DNS Name' "$dir/out" || true)
  [ "$found" = 100 ] || { echo "ct_catchup.sh: certspotter found $found, not 100" >&2; tail "$dir/err" >&2; exit 1; }
  python3 -c "print(round($entries / ($t1 - $t0)))"
}

pw_rates=(); cs_rates=()
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    p=$(run_pinwarden "$r"); c=$(run_certspotter "$r")
  else
    c=$(run_certspotter "$r"); p=$(run_pinwarden "$r")
  fi
  echo "round $r: pinwarden $p entries/s, certspotter $c entries/s"
  pw_rates+=("$p"); cs_rates+=("$c")
done
python3 - "${pw_rates[*]}" "${cs_rates[*]}" <<'PY'
import statistics, sys
pw = [int(x) for x in sys.argv[1].split()]
cs = [int(x) for x in sys.argv[2].split()]
mp, mc = statistics.median(pw), statistics.median(cs)
print(f"median: pinwarden {mp:.0f} entries/s, certspotter {mc:.0f} entries/s, ratio {mp / mc:.2f}x")
print("per-round ratios:", ", ".join(f"{p / c:.2f}" for p, c in zip(pw, cs)))
PY

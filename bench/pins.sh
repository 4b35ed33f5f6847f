#!/usr/bin/env bash
# End-to-end benchmark of `pinwarden pin` on a large PEM bundle against an
# independent Python peer (cryptography + hashlib), see bench/BENCHMARKS.md.
#
#   bash bench/pins.sh            # 10,000 certificates, 3 x 7 runs per tool
#   COUNT=1000 RUNS=11 bash bench/pins.sh
#
# ensure cryptography, hyperfine ==> build release ==> gen_bundle ==> check outputs
#   identical ==> time (hyperfine, 3 rounds of RUNS runs each, order swapped
#   between rounds) ==> medians and their ratio
#
# Each timed run is a whole process (start-up, reading the bundle, parsing,
# hashing, writing the pins to /dev/null). Raw times go to bench/out/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out"
count="${COUNT:-10000}"
runs="${RUNS:-7}"
bundle="$out/bundle-$count.pem"
bin="$root/target/release/pinwarden"

case "$count$runs" in *[!0-9]*) echo "pins.sh: COUNT and RUNS must be numbers" >&2; exit 2 ;; esac
if [ "$runs" -lt 1 ] || [ "$runs" -gt 100 ]; then
    echo "pins.sh: RUNS must be between 1 and 100" >&2
    exit 2
fi

if ! python3 -c 'import cryptography' 2>/dev/null; then
    echo "pins.sh: installing Python cryptography" >&2
    python3 -m pip install --quiet cryptography
fi

(cd "$root" && cargo build --release -p pinwarden)

mkdir -p "$out"
python3 "$here/gen_bundle.py" "$bundle" --count "$count"

# Fails (and so stops this script) unless both print the same bytes.
python3 "$here/pins_peer.py" "$bundle" --check "$bin"

if ! command -v hyperfine >/dev/null 2>&1; then
    echo "pins.sh: installing hyperfine" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q hyperfine >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q hyperfine >/dev/null; }
    else sudo apt-get install -y -q hyperfine >/dev/null; fi
fi

# hyperfine starts each process directly (-N: no shell in between), so the
# times are the tools' own. Three rounds, the order swapped each round, so
# that both tools share the machine's drifts; medians over all runs.
py_cmd="python3 $here/pins_peer.py $bundle"
pw_cmd="$bin pin $bundle --format plain --roots none"
for round in 1 2 3; do
    if [ $((round % 2)) = 1 ]; then first="$py_cmd"; second="$pw_cmd"; else first="$pw_cmd"; second="$py_cmd"; fi
    hyperfine -N --style none --warmup 2 --runs "$runs" \
        --export-json "$out/pins-round$round.json" "$first" "$second" >/dev/null
done

python3 - "$out" "$count" "$runs" "$py_cmd" "$pw_cmd" <<'PY'
import json, statistics, sys

out, count, runs, py_cmd, pw_cmd = sys.argv[1:]
count, runs = int(count), int(runs)
times = {"python": [], "pinwarden": []}
for n in (1, 2, 3):
    for r in json.load(open(f"{out}/pins-round{n}.json"))["results"]:
        times["python" if r["command"] == py_cmd else "pinwarden"].extend(r["times"])

median = {name: statistics.median(t) for name, t in times.items()}
print(f"\n{count} certificates, {3 * runs} runs per tool (3 rounds), end to end (process start included)")
print(f"{'tool':<10} {'median':>10} {'min':>10} {'max':>10} {'per cert':>12}")
for name, t in times.items():
    print(f"{name:<10} {median[name] * 1e3:>7.1f} ms {min(t) * 1e3:>7.1f} ms "
          f"{max(t) * 1e3:>7.1f} ms {median[name] / count * 1e6:>8.2f} µs")
ratio = median["python"] / median["pinwarden"]
print(f"ratio python/pinwarden (medians): {ratio:.2f}x")
with open(f"{out}/pins-times.json", "w") as f:
    json.dump({"count": count, "runs_per_round": runs, "rounds": 3,
               "commands": {"python": py_cmd, "pinwarden": pw_cmd}, "seconds": times,
               "median_seconds": median, "ratio_python_over_pinwarden": ratio}, f, indent=2)
print(f"raw times: {out}/pins-times.json")
PY

#!/usr/bin/env bash
# End-to-end benchmark of `pinwarden pin` on a large PEM bundle against an
# independent Python peer (cryptography + hashlib), see bench/BENCHMARKS.md.
#
#   bash bench/pins.sh            # 10,000 certificates, 7 runs per tool
#   COUNT=1000 RUNS=11 bash bench/pins.sh
#
# ensure cryptography ==> build release ==> gen_bundle ==> check outputs identical
#   ==> time (warm-up, then RUNS rounds alternating python / pinwarden) ==> medians
#
# Each timed run is a whole process (start-up, reading the bundle, parsing,
# hashing, writing the pins to /dev/null), measured with time.perf_counter
# around subprocess.run. Raw times go to bench/out/pins-times.json.
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

python3 - "$bin" "$here/pins_peer.py" "$bundle" "$count" "$runs" "$out/pins-times.json" <<'PY'
import json, statistics, subprocess, sys, time

pinwarden, peer, bundle, count, runs, json_out = sys.argv[1:]
count, runs = int(count), int(runs)
tools = {
    "python": [sys.executable, peer, bundle],
    "pinwarden": [pinwarden, "pin", bundle, "--format", "plain", "--roots", "none"],
}

def once(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0

for cmd in tools.values():  # warm-up: page cache, dynamic loader
    once(cmd)
times = {name: [] for name in tools}
for _ in range(runs):  # alternate, so both tools share the machine's noise
    for name, cmd in tools.items():
        times[name].append(once(cmd))

median = {name: statistics.median(t) for name, t in times.items()}
print(f"\n{count} certificates, {runs} runs per tool, end to end (process start included)")
print(f"{'tool':<10} {'median':>10} {'min':>10} {'max':>10} {'per cert':>12}")
for name, t in times.items():
    print(f"{name:<10} {median[name] * 1e3:>7.1f} ms {min(t) * 1e3:>7.1f} ms "
          f"{max(t) * 1e3:>7.1f} ms {median[name] / count * 1e6:>8.2f} µs")
ratio = median["python"] / median["pinwarden"]
print(f"ratio python/pinwarden (medians): {ratio:.2f}x")
with open(json_out, "w") as f:
    json.dump({"count": count, "runs": runs, "commands": tools, "seconds": times,
               "median_seconds": median, "ratio_python_over_pinwarden": ratio}, f, indent=2)
print(f"raw times: {json_out}")
PY

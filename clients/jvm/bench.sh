#!/bin/sh
# The pin check's cost per TLS handshake: OkHttp + pinwarden against the same OkHttp client with a
# static CertificatePinner, and with no pinning (bench/PinCheckBench.java; results in
# ../../bench/BENCHMARKS.md). Compiles the library and the bench against the Debian jars, as
# build.sh does, into bench/out/, then runs it.
#   apt-get install -y --no-install-recommends default-jdk libokhttp-java libandroid-json-java
# Environment: ROUNDS (15), N (200 handshakes per batch), WARMUP (2), MAX_SECONDS (120),
#   BENCH_JAVA_OPTS (-Xms512m -Xmx512m).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
J=${JAVA_LIBS:-/usr/share/java}
for jar in okhttp.jar okio.jar com.android.json.jar okhttp-tls.jar bcprov.jar; do
    [ -f "$J/$jar" ] || { echo "missing $J/$jar: apt-get install libokhttp-java libandroid-json-java" >&2; exit 2; }
done
MAIN_CP="$J/okhttp.jar:$J/okio.jar:$J/com.android.json.jar"
BENCH_CP="$MAIN_CP:$J/okhttp-tls.jar:$J/bcprov.jar"
out="$here/bench/out"
rm -rf "$out"
mkdir -p "$out/main" "$out/bench"
javac --release 8 -Xlint:all,-try,-options -Werror -encoding UTF-8 -cp "$MAIN_CP" -d "$out/main" \
    $(find "$here/src/main/java" -name '*.java')
javac --release 17 -encoding UTF-8 -cp "$out/main:$BENCH_CP" -d "$out/bench" "$here/bench/PinCheckBench.java"
# shellcheck disable=SC2086
exec java ${BENCH_JAVA_OPTS:--Xms512m -Xmx512m} -cp "$out/main:$out/bench:$BENCH_CP" PinCheckBench

#!/bin/sh
# Compiles the library (Java 8 language level) and its tests against the Debian jars, then runs
# the JUnit 5 console launcher. Exits non-zero when anything fails.
#   apt-get install -y --no-install-recommends default-jdk libokhttp-java libandroid-json-java junit5
# Environment: PINWARDEN_BIN (default: ../../target/debug/pinwarden) for the end-to-end tests.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
J=${JAVA_LIBS:-/usr/share/java}
for jar in okhttp.jar okio.jar com.android.json.jar okhttp-tls.jar bcprov.jar junit-platform-console-standalone.jar junit-jupiter-api.jar; do
    [ -f "$J/$jar" ] || { echo "missing $J/$jar: apt-get install libokhttp-java libandroid-json-java junit5" >&2; exit 2; }
done
MAIN_CP="$J/okhttp.jar:$J/okio.jar:$J/com.android.json.jar"
TEST_CP="$MAIN_CP:$J/okhttp-tls.jar:$J/bcprov.jar:$J/junit-jupiter-api.jar:$J/junit-jupiter-params.jar:$J/apiguardian-api.jar:$J/opentest4j.jar:$J/junit-platform-commons.jar"
out="$here/build"
rm -rf "$out"
mkdir -p "$out/main" "$out/test"
javac --release 8 -Xlint:all,-try,-options -Werror -encoding UTF-8 -cp "$MAIN_CP" -d "$out/main" \
    $(find "$here/src/main/java" -name '*.java')
javac --release 17 -encoding UTF-8 -cp "$out/main:$TEST_CP" -d "$out/test" \
    $(find "$here/src/test/java" -name '*.java')
(cd "$out/main" && jar cf "$out/pinwarden-jvm.jar" .)
bin=${PINWARDEN_BIN:-$root/target/debug/pinwarden}
# Arguments select tests (e.g. --select-class dev.pinwarden.EndToEndTest); none: all of them.
[ $# -gt 0 ] || set -- --scan-class-path "$out/test"
exec java -Dpinwarden.root="$root" -Dpinwarden.bin="$bin" \
    -jar "$J/junit-platform-console-standalone.jar" \
    --class-path "$out/main:$out/test:$TEST_CP" \
    --fail-if-no-tests --disable-banner --disable-ansi-colors --details=tree "$@"

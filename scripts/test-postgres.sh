# Sourced by scripts/test: makes $PINWARDEN_TEST_POSTGRES name a PostgreSQL
# server that answers. The machine's server when one answers there (CI's
# case); otherwise Debian's postgresql is installed when missing and a
# throwaway cluster is started in a temporary directory, on a free loopback
# port, trust auth, stopped and deleted when the tests end.

pg_answers() { psql "$1" --no-psqlrc --quiet -c 'SELECT 1' >/dev/null 2>&1; }

if ! pg_answers "$PINWARDEN_TEST_POSTGRES"; then
  echo "scripts/test: no PostgreSQL answers at $PINWARDEN_TEST_POSTGRES: starting a throwaway cluster" >&2
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "scripts/test: installing postgresql" >&2
    as_root apt-get update -q >/dev/null
    # Don't start the package's own cluster: this script runs its own.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      postgresql postgresql-common >/dev/null
  fi
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pg_dir=$(mktemp -d /tmp/pinwarden-pg.XXXXXX)
  # PostgreSQL refuses to run as root: the cluster belongs to `postgres`
  # (the package's user) when the tests run as root.
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$pg_dir"
    as_pg() { runuser -u postgres -- "$@"; }
  else
    as_pg() { "$@"; }
  fi
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >/dev/null
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  stop_pg() { as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pg_dir"; }
  trap stop_pg EXIT
  psql "postgres://postgres@127.0.0.1:$pg_port/postgres" --no-psqlrc --quiet -c 'CREATE DATABASE test' >/dev/null
  export PINWARDEN_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/test"
  echo "scripts/test: PostgreSQL for the tests at $PINWARDEN_TEST_POSTGRES" >&2
fi

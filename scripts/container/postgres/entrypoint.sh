#!/bin/sh
# First start: an empty PGDATA gets a cluster, a role POSTGRES_USER (no superuser) with POSTGRES_PASSWORD, and
# its own database POSTGRES_DB; then PostgreSQL runs in the foreground, reachable with a password from anywhere,
# with any arguments given (e.g. -c port=5433).
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user=${POSTGRES_USER:-wsm}
db=${POSTGRES_DB:-$user}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
  "$bin/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=/tmp" start >/dev/null
  psql -h /tmp -U postgres -v ON_ERROR_STOP=1 -q \
    -v user="$user" -v db="$db" -v password="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
  "$bin/pg_ctl" -D "$PGDATA" -w -m fast stop >/dev/null
  echo "wsm-postgres: created role $user and database $db" >&2
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp "$@"

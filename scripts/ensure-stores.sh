#!/usr/bin/env bash
# Makes sure the local store servers named as arguments (postgres, mariadb, redis) are up and that
# the database servers have the project's login. Starts a server with this machine kind's own
# start command when it is not running. Idempotent: safe to run before every start and test run.
#
# Called by scripts/dev-stores.ts (`ensureStores`) with the kinds the services in
# services/registry.ts use and the settings below (the login comes from there, too). By hand:
# `APP_USER=shop APP_PASSWORD=shop bash scripts/ensure-stores.sh postgres redis`.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: ensure-stores.sh postgres|mariadb|redis ..." >&2
  exit 2
fi

POSTGRES_HOST=${POSTGRES_HOST:-127.0.0.1}
POSTGRES_PORT=${POSTGRES_PORT:-5432}
PG_SUPERUSER=${PG_SUPERUSER:-postgres}
MARIADB_HOST=${MARIADB_HOST:-127.0.0.1}
MARIADB_PORT=${MARIADB_PORT:-3306}
MARIADB_SUPERUSER=${MARIADB_SUPERUSER:-root}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "ensure-stores: $name did not come up" >&2; return 1
}

need_login() {
  : "${APP_USER:?APP_USER (the database login of the services) is not set}"
  : "${APP_PASSWORD?APP_PASSWORD is not set}"
}

ensure_postgres() {
  need_login
  if ! pg_isready -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT"; then
    echo "ensure-stores: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    wait_for PostgreSQL pg_isready -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT"
  fi
  # The services log in as an ordinary role that may create its own databases (migrations do).
  psql -q -v ON_ERROR_STOP=1 -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$PG_SUPERUSER" -d postgres \
    -v user="$APP_USER" -v password="$APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'user', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
SQL
}

ensure_mariadb() {
  need_login
  local admin=(mariadb-admin --protocol=tcp -h "$MARIADB_HOST" -P "$MARIADB_PORT" -u "$MARIADB_SUPERUSER")
  if ! "${admin[@]}" ping >/dev/null 2>&1; then
    echo "ensure-stores: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_for MariaDB "${admin[@]}" ping
  fi
  # Like the PostgreSQL role: a login that may create (and so migrate) its own databases.
  if [[ ! $APP_USER =~ ^[A-Za-z0-9_]+$ || $APP_PASSWORD == *"'"* || $APP_PASSWORD == *\\* ]]; then
    echo "ensure-stores: APP_USER must be a plain name and APP_PASSWORD free of quotes" >&2
    return 1
  fi
  # Schema work only: no administrative privileges (SUPER, SHUTDOWN, users, grants).
  local SCHEMA_PRIVILEGES="SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES,
    CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE,
    ALTER ROUTINE, TRIGGER, EVENT"
  mariadb --protocol=tcp -h "$MARIADB_HOST" -P "$MARIADB_PORT" -u "$MARIADB_SUPERUSER" <<SQL
CREATE USER IF NOT EXISTS '$APP_USER'@'%' IDENTIFIED BY '$APP_PASSWORD';
CREATE USER IF NOT EXISTS '$APP_USER'@'localhost' IDENTIFIED BY '$APP_PASSWORD';
GRANT $SCHEMA_PRIVILEGES ON *.* TO '$APP_USER'@'%';
GRANT $SCHEMA_PRIVILEGES ON *.* TO '$APP_USER'@'localhost';
SQL
}

ensure_redis() {
  if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "ensure-stores: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for Redis redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping
  fi
}

for kind in "$@"; do
  case $kind in
    postgres) ensure_postgres ;;
    mariadb) ensure_mariadb ;;
    redis) ensure_redis ;;
    *) echo "ensure-stores: unknown store kind \"$kind\"" >&2; exit 2 ;;
  esac
done

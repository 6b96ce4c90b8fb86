#!/usr/bin/env bash
# Makes sure the local PostgreSQL and Redis are up and the project's database role exists.
# Starts a server with this machine kind's own start command when it is not running.
# Idempotent: safe to run before every start and every test run.
set -euo pipefail

PG_HOST=${DB_HOST:-127.0.0.1}
PG_PORT=${DB_PORT:-5432}
PG_SUPERUSER=${PG_SUPERUSER:-postgres}
APP_USER=${DB_USER:-shop}
APP_PASSWORD=${DB_PASSWORD:-shop}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "ensure-stores: $name did not come up" >&2; return 1
}

if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  echo "ensure-stores: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  wait_for PostgreSQL pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
fi

# The services log in as an ordinary role that may create its own databases (migrations do).
psql -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres \
  -v user="$APP_USER" -v password="$APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'user', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
SQL

if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "ensure-stores: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping
fi

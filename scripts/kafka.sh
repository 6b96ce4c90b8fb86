#!/usr/bin/env bash
# A local Apache Kafka broker for development and CI, without Docker: one combined
# broker + controller (KRaft) on 127.0.0.1:9092, from the jars Maven Central serves.
#
#   scripts/kafka.sh start    fetch the jars if needed, format storage once, start, wait until ready
#   scripts/kafka.sh stop     stop the broker this script started (its pid file), nothing else
#   scripts/kafka.sh status   say what answers on KAFKA_BROKERS; exit 0 when something does
#   scripts/kafka.sh reset    stop, then delete the broker's data (topics, offsets); jars stay
#   scripts/kafka.sh tail <topic> [--from-now]   print a topic's keys, ce_* headers and values
#
# `start` is idempotent: when a broker already answers on KAFKA_BROKERS (default
# localhost:9092) it says so and exits 0 — that broker is used, whoever runs it.
# Everything it writes (jars, data, logs, pid) lives in .kafka/ at the repository root.
#
# A second, private broker (the tests' own, e.g. one to stop and freeze) runs beside it with
#   KAFKA_DIR=<its folder> KAFKA_BROKERS=127.0.0.1:<port> [KAFKA_CONTROLLER_PORT=<port>]
#   KAFKA_LIBS=<jar folder to share, default $KAFKA_DIR/libs>
# (the controller port defaults to the broker's port + 1). KAFKA_CLUSTER_ID=<22 characters> sets
# the cluster id a new broker's storage is formatted with (default: a random one).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEMPLATES=$ROOT/scripts/kafka
KAFKA_DIR=${KAFKA_DIR:-$ROOT/.kafka}
BROKERS=${KAFKA_BROKERS:-localhost:9092}
LIBS=${KAFKA_LIBS:-$KAFKA_DIR/libs}
PID_FILE=$KAFKA_DIR/kafka.pid
CONFIG=$KAFKA_DIR/server.properties
# C1 only: ready in ~3 s on an idle machine instead of 8–12 s; plenty of throughput for development.
JVM_OPTS=${KAFKA_JVM_OPTS:--Xms64m -Xmx512m -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError}
STOP_GRACE_SECONDS=30

say() { echo "kafka: $*"; }
fail() { echo "kafka: $*" >&2; exit 1; }

answers() { # host port
  timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# The first of KAFKA_BROKERS that accepts a connection, as host:port; fails when none does.
answering_broker() {
  local broker
  for broker in ${BROKERS//,/ }; do
    answers "${broker%:*}" "${broker##*:}" && { echo "$broker"; return 0; }
  done
  return 1
}

# The pid in the pid file, if that process is alive and is the broker this script started.
own_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
    grep -q "kafka.Kafka $CONFIG" && echo "$pid"
}

fetch_jars() {
  local stamp=$LIBS/.pom.sha256 wanted
  wanted=$(sha256sum "$TEMPLATES/pom.xml" | cut -d' ' -f1)
  [[ -f $stamp && $(<"$stamp") == "$wanted" ]] && return 0
  say "fetching the broker jars from Maven Central (scripts/kafka/pom.xml)"
  mkdir -p "$(dirname "$LIBS")"
  rm -rf "$LIBS.tmp"
  if ! mvn -B -q -f "$TEMPLATES/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$LIBS.tmp" >"$KAFKA_DIR/logs/fetch.log" 2>&1; then
    tail -n 20 "$KAFKA_DIR/logs/fetch.log" >&2
    fail "could not fetch the jars (is Maven Central reachable?); see $KAFKA_DIR/logs/fetch.log"
  fi
  echo "$wanted" >"$LIBS.tmp/.pom.sha256"
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
}

# shellcheck disable=SC2206 # JVM_OPTS is a list of flags
JAVA=(java $JVM_OPTS -cp "$LIBS/*" -Dlog4j2.configurationFile="$TEMPLATES/log4j2.properties"
  -Dkafka.logs.dir="$KAFKA_DIR/logs")

start() {
  local broker
  if broker=$(answering_broker); then
    say "a broker already answers on $broker; using it"
    return 0
  fi
  local first=${BROKERS%%,*}
  local host=${first%:*} port=${first##*:}
  local controller_port=${KAFKA_CONTROLLER_PORT:-$((port + 1))}
  [[ $host == localhost || $host == 127.0.0.1 ]] ||
    fail "nothing answers on KAFKA_BROKERS=$BROKERS, and $host is not this machine: start that broker"
  if own_pid >/dev/null; then
    fail "the broker in $PID_FILE runs but does not answer on $port; see $KAFKA_DIR/logs/"
  fi

  local began=$SECONDS
  mkdir -p "$KAFKA_DIR/logs" "$KAFKA_DIR/data"
  fetch_jars
  sed -e "s|@KAFKA_DIR@|$KAFKA_DIR|g" -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
    "$TEMPLATES/server.properties" >"$CONFIG"
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    # A random 16-byte cluster id in URL-safe base64 (22 characters), as StorageTool expects.
    # One in 64 begins with '-', so it is passed as --cluster-id=ID: given as a separate word,
    # StorageTool's parser takes it for an option and refuses to format.
    local cluster_id=${KAFKA_CLUSTER_ID:-$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}
    if ! "${JAVA[@]}" kafka.tools.StorageTool format --ignore-formatted --cluster-id="$cluster_id" \
      -c "$CONFIG" >"$KAFKA_DIR/logs/format.log" 2>&1; then
      tail -n 20 "$KAFKA_DIR/logs/format.log" >&2
      fail "formatting storage failed: $KAFKA_DIR/logs/format.log"
    fi
  fi

  say "starting a broker on 127.0.0.1:$port (logs in $KAFKA_DIR/logs)"
  # Its own session, so Ctrl-C in the terminal that ran `npm start` reaches npm, not the broker.
  setsid "${JAVA[@]}" kafka.Kafka "$CONFIG" >"$KAFKA_DIR/logs/kafka.out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  for _ in $(seq 1 600); do
    if answers 127.0.0.1 "$port"; then
      say "ready on 127.0.0.1:$port after $((SECONDS - began)) s (pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -n 20 "$KAFKA_DIR/logs/kafka.out" "$KAFKA_DIR/logs/server.log" >&2 2>/dev/null || true
      fail "the broker exited before it was ready"
    fi
    sleep 0.1
  done
  fail "the broker did not answer on 127.0.0.1:$port within 60 s; see $KAFKA_DIR/logs/"
}

stop() {
  local pid
  if ! pid=$(own_pid); then
    rm -f "$PID_FILE"
    say "no broker started by this script is running"
    return 0
  fi
  local began=$SECONDS
  kill -TERM "$pid"
  for _ in $(seq 1 $((STOP_GRACE_SECONDS * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after ${STOP_GRACE_SECONDS} s; killing pid $pid"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped (pid $pid) after $((SECONDS - began)) s"
}

status() {
  local broker pid
  if broker=$(answering_broker); then
    if pid=$(own_pid); then say "running on $broker (pid $pid, started by this script)"
    else say "a broker answers on $broker (not started by this script)"; fi
    return 0
  fi
  say "nothing answers on $BROKERS"
  return 3
}

reset() {
  stop
  rm -rf "$KAFKA_DIR/data" "$KAFKA_DIR/logs" "$CONFIG"
  say "data deleted ($KAFKA_DIR/data); the next start formats a fresh cluster"
}

case ${1:-} in
  start | stop | status | reset) "$1" ;;
  tail)
    shift
    [[ $# -ge 1 ]] || fail "usage: scripts/kafka.sh tail <topic> [--from-now]"
    cd "$ROOT" && exec npx tsx --conditions=source scripts/kafka-tail.ts "$@"
    ;;
  *)
    echo "usage: scripts/kafka.sh start|stop|status|reset|tail <topic>" >&2
    exit 2
    ;;
esac

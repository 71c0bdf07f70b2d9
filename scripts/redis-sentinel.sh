#!/usr/bin/env bash
# Redis with failover on this machine, beside its ordinary Redis (6379), which this script never
# touches: a primary, one replica and three Sentinels, each with its own port, config, AOF and
# log under one directory. For tests and for people.
#
#   scripts/redis-sentinel.sh up        start (or finish starting) and wait until the replica
#                                       is in sync and every Sentinel knows primary, replica
#                                       and the other Sentinels
#   scripts/redis-sentinel.sh status    what each Sentinel names as primary, and each node's role
#   scripts/redis-sentinel.sh failover  SENTINEL FAILOVER (again if Sentinel aborts it), then wait
#                                       until every Sentinel names the new primary and the old
#                                       one is its replica, in sync
#   scripts/redis-sentinel.sh down      stop the five processes and remove their data
#
# Then REDIS_SENTINELS=127.0.0.1:26391,127.0.0.1:26392,127.0.0.1:26393 REDIS_SENTINEL_NAME=exam-relay
#
# Environment (defaults):
#   RELAY_SENTINEL_DIR    ${TMPDIR:-/tmp}/exam-relay-redis-sentinel   data, logs, configs
#   RELAY_REDIS_PORT      6391     the first primary; the replica is +1 (6392)
#   RELAY_SENTINEL_PORT   26391    Sentinels 26391-26393
#   RELAY_SENTINEL_NAME   exam-relay   the master group name
#   RELAY_SENTINEL_DOWN_MS  2000   down-after-milliseconds (how long a silent primary takes)
#
# Needs redis-server 6.2+ (run with --sentinel for the Sentinels) and redis-cli on PATH. The
# configs are written once: Sentinel rewrites them on a failover, so `up` after a failover (or
# after a reboot) starts the nodes as they were left, not as first configured.
set -euo pipefail

DIR=${RELAY_SENTINEL_DIR:-${TMPDIR:-/tmp}/exam-relay-redis-sentinel}
REDIS_PORT=${RELAY_REDIS_PORT:-6391}
SENTINEL_PORT=${RELAY_SENTINEL_PORT:-26391}
NAME=${RELAY_SENTINEL_NAME:-exam-relay}
DOWN_MS=${RELAY_SENTINEL_DOWN_MS:-2000}
WAIT_S=${RELAY_SENTINEL_WAIT_S:-60}
NODES=("$REDIS_PORT" $((REDIS_PORT + 1)))
SENTINELS=("$SENTINEL_PORT" $((SENTINEL_PORT + 1)) $((SENTINEL_PORT + 2)))

die() {
  echo "redis-sentinel: $*" >&2
  exit 1
}

command -v redis-server >/dev/null || die "no redis-server on PATH"
command -v redis-cli >/dev/null || die "no redis-cli on PATH"
[[ $REDIS_PORT != 6379 && $((REDIS_PORT + 1)) != 6379 ]] || die "port 6379 is the machine's Redis"

cli() {
  local port=$1
  shift
  redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# The pid of the process we started on PORT (from its pid file), if it is alive.
pid_of() {
  local pidfile=$DIR/$1/redis.pid pid
  [[ -f $pidfile ]] || return 1
  pid=$(cat "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Refuses to start on a port someone else's process listens on.
check_free() {
  local port=$1
  if cli "$port" PING >/dev/null 2>&1; then
    die "127.0.0.1:$port answers but is not ours (no live pid file in $DIR/$port)"
  fi
}

# Writes $DIR/PORT/FILE once (Sentinel rewrites its configs on failover, so they are never
# overwritten): the lines every process here shares, logging to LOG, then the lines on stdin.
write_config() {
  local port=$1 file=$2 log=$3 home=$DIR/$1 body
  body=$(cat)
  mkdir -p "$home"
  [[ -f $home/$file ]] && return 0
  cat >"$home/$file" <<EOF
port $port
bind 127.0.0.1
protected-mode no
daemonize yes
pidfile $home/redis.pid
logfile $home/$log
dir $home
$body
EOF
}

node_config() {
  local port=$1
  {
    cat <<'EOF'
# Persistence: the append-only file, fsync once a second; no RDB snapshots besides.
appendonly yes
appendfsync everysec
save ""
# A primary that loses its replica keeps taking writes; REDIS_WAIT_REPLICAS decides whether
# exam-relay waits for one.
replica-serve-stale-data yes
replica-read-only yes
EOF
    if [[ $port != "$REDIS_PORT" ]]; then echo "replicaof 127.0.0.1 $REDIS_PORT"; fi
  } | write_config "$port" redis.conf redis.log
}

sentinel_config() {
  write_config "$1" sentinel.conf sentinel.log <<EOF
sentinel resolve-hostnames no
sentinel monitor $NAME 127.0.0.1 $REDIS_PORT 2
sentinel down-after-milliseconds $NAME $DOWN_MS
sentinel failover-timeout $NAME 10000
sentinel parallel-syncs $NAME 1
EOF
}

# Starts the process of PORT (WHAT, for the log line) unless it runs already: WRITE writes its
# config FILE if missing, then redis-server runs it with the remaining arguments.
start_process() {
  local port=$1 what=$2 write=$3 file=$4
  shift 4
  pid_of "$port" >/dev/null && return 0
  check_free "$port"
  "$write" "$port"
  echo "starting $what 127.0.0.1:$port"
  redis-server "$DIR/$port/$file" "$@"
}

start_node() { start_process "$1" redis node_config redis.conf; }

start_sentinel() { start_process "$1" sentinel sentinel_config sentinel.conf --sentinel; }

# Polls CMD until it succeeds or WAIT_S passes; then dies with MESSAGE.
wait_for() {
  local message=$1 deadline=$((SECONDS + WAIT_S))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$message"
    sleep 0.2
  done
}

info_field() { cli "$1" INFO "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^$3://p"; }

# "host port" of the primary as Sentinel PORT names it.
primary_of() { cli "$1" SENTINEL get-master-addr-by-name "$NAME" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# A Sentinel that knows the primary, the replica and both other Sentinels.
sentinel_ready() {
  local port=$1 info
  info=$(cli "$port" SENTINEL master "$NAME" 2>/dev/null | tr -d '\r' | paste - -) || return 1
  grep -q "^num-slaves	1$" <<<"$info" && grep -q "^num-other-sentinels	2$" <<<"$info" &&
    grep -q "^flags	master$" <<<"$info"
}

# Every node answers, there is one primary and the other node is its replica, in sync.
in_sync() {
  local primary=$1 replica=$2
  [[ $(info_field "$primary" replication role) == master ]] &&
    [[ $(info_field "$replica" replication master_port) == "$primary" ]] &&
    [[ $(info_field "$replica" replication master_link_status) == up ]] &&
    [[ $(info_field "$primary" replication connected_slaves) == 1 ]]
}

# The port of the node that is primary now (per the first Sentinel), or the first node's.
current_primary() {
  local addr
  addr=$(primary_of "${SENTINELS[0]}")
  if [[ -n $addr ]]; then echo "${addr##* }"; else echo "$REDIS_PORT"; fi
}

other_node() { if [[ $1 == "${NODES[0]}" ]]; then echo "${NODES[1]}"; else echo "${NODES[0]}"; fi; }

all_name() {
  local expected=$1
  for s in "${SENTINELS[@]}"; do [[ $(primary_of "$s") == "127.0.0.1 $expected" ]] || return 1; done
}

up() {
  for port in "${NODES[@]}"; do start_node "$port"; done
  for port in "${NODES[@]}"; do wait_for "redis on $port did not answer; see $DIR/$port" cli "$port" PING; done
  for port in "${SENTINELS[@]}"; do start_sentinel "$port"; done
  local primary replica
  primary=$(current_primary)
  replica=$(other_node "$primary")
  wait_for "replica $replica not in sync with primary $primary; see $DIR/*/redis.log" in_sync "$primary" "$replica"
  for port in "${SENTINELS[@]}"; do
    wait_for "sentinel $port does not know the whole setup; see $DIR/$port/sentinel.log" sentinel_ready "$port"
  done
  wait_for "the Sentinels do not agree on the primary" all_name "$primary"
  echo "sentinel setup up: primary 127.0.0.1:$primary, replica 127.0.0.1:$replica"
  echo "REDIS_SENTINELS=$(printf '127.0.0.1:%s,' "${SENTINELS[@]}" | sed 's/,$//')"
  echo "REDIS_SENTINEL_NAME=$NAME"
}

status() {
  for port in "${SENTINELS[@]}"; do
    if pid_of "$port" >/dev/null; then
      echo "sentinel $port: primary $(primary_of "$port" | tr ' ' ':')"
    else
      echo "sentinel $port: not running"
    fi
  done
  for port in "${NODES[@]}"; do
    if pid_of "$port" >/dev/null; then
      echo "redis $port: $(info_field "$port" replication role), offset $(info_field "$port" replication master_repl_offset)"
    else
      echo "redis $port: not running"
    fi
  done
}

failover() {
  local old new deadline=$((SECONDS + WAIT_S)) reply
  old=$(current_primary)
  new=$(other_node "$old")
  # A failover shortly after another is refused until the replica is known to Sentinel again.
  wait_for "sentinel ${SENTINELS[0]} is not ready for a failover" sentinel_ready "${SENTINELS[0]}"
  until reply=$(cli "${SENTINELS[0]}" SENTINEL FAILOVER "$NAME" 2>&1) && [[ $reply == OK ]]; do
    ((SECONDS < deadline)) || die "SENTINEL FAILOVER refused: $reply"
    sleep 0.5
  done
  echo "failover from 127.0.0.1:$old to 127.0.0.1:$new requested"
  until all_name "$new"; do
    if ((SECONDS >= deadline)); then
      for log in "$DIR"/*/*.log; do echo "--- $log" >&2 && tail -n 15 "$log" >&2; done
      die "the Sentinels do not name 127.0.0.1:$new as primary"
    fi
    # Sentinel can abort its own failover (-failover-abort-slave-timeout): another Sentinel,
    # not yet told of it, turned the promoted replica back into a replica. Once it has given
    # up (the old primary named, no failover in progress), ask again.
    if [[ $(primary_of "${SENTINELS[0]}") == "127.0.0.1 $old" ]] && sentinel_ready "${SENTINELS[0]}" &&
      [[ $(cli "${SENTINELS[0]}" SENTINEL FAILOVER "$NAME" 2>&1) == OK ]]; then
      echo "failover aborted by Sentinel; requested again"
    fi
    sleep 0.5
  done
  wait_for "127.0.0.1:$old did not become an in-sync replica of 127.0.0.1:$new" in_sync "$new" "$old"
  echo "primary is 127.0.0.1:$new; 127.0.0.1:$old is its replica"
}

stop_process() {
  local port=$1 pid
  pid=$(pid_of "$port") || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}

down() {
  for port in "${SENTINELS[@]}" "${NODES[@]}"; do stop_process "$port"; done
  if [[ -d $DIR ]]; then rm -rf "$DIR"; fi
  echo "sentinel setup down"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  failover) failover ;;
  *)
    echo "usage: $0 up|down|status|failover" >&2
    exit 2
    ;;
esac

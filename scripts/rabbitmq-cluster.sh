#!/usr/bin/env bash
# A 3-node RabbitMQ cluster on this machine, beside its ordinary node (rabbit@<host> on 5672),
# which this script never touches: its own node names, AMQP, distribution and management ports,
# config, enabled-plugins file and data/log folders under one directory. For tests and for people.
#
#   scripts/rabbitmq-cluster.sh up          start (or finish starting) and join the 3 nodes
#   scripts/rabbitmq-cluster.sh status      cluster_status of the first node
#   scripts/rabbitmq-cluster.sh stop N      stop node N (1-3), keeping its data (fault tests)
#   scripts/rabbitmq-cluster.sh start N     start node N again; it rejoins the cluster
#   scripts/rabbitmq-cluster.sh down        stop the 3 nodes and remove their data
#
# Then AMQP_URL=amqp://guest:guest@127.0.0.1:5701,amqp://guest:guest@127.0.0.1:5702,...
#
# Environment (defaults):
#   RELAY_CLUSTER_DIR     ${TMPDIR:-/tmp}/exam-relay-rabbitmq-cluster   data, logs, configs
#   RELAY_CLUSTER_PREFIX  relay          node names relay1@localhost … relay3@localhost
#   RELAY_CLUSTER_PORT    5701           AMQP ports 5701-5703; distribution ports +20000
#                                        (25701-25703); management ports +10000 (15701-15703)
#   RELAY_CLUSTER_MANAGEMENT  1          0 leaves the management plugin off
#
# Needs rabbitmq-server 3.10+ installed (Debian package layout: /usr/lib/rabbitmq/bin). Run as
# root or as the rabbitmq user. The nodes run as the rabbitmq user with its Erlang cookie
# (/var/lib/rabbitmq/.erlang.cookie), the one the machine's node and `rabbitmqctl` use, so the
# CLI reaches them with `rabbitmqctl -n relay1@localhost …`. They register with the machine's
# epmd (port 4369) under their own names.
set -euo pipefail

DIR=${RELAY_CLUSTER_DIR:-${TMPDIR:-/tmp}/exam-relay-rabbitmq-cluster}
PREFIX=${RELAY_CLUSTER_PREFIX:-relay}
BASE_PORT=${RELAY_CLUSTER_PORT:-5701}
MANAGEMENT=${RELAY_CLUSTER_MANAGEMENT:-1}
NODES=(1 2 3)
BIN=${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}
WAIT_S=${RELAY_CLUSTER_WAIT_S:-120}

die() {
  echo "rabbitmq-cluster: $*" >&2
  exit 1
}

node_name() { echo "${PREFIX}$1@localhost"; }
amqp_port() { echo $((BASE_PORT + $1 - 1)); }

[[ -x $BIN/rabbitmq-server ]] || die "no $BIN/rabbitmq-server (install rabbitmq-server, or set RABBITMQ_BIN)"

# Runs a command as the rabbitmq user, with the rabbitmq user's HOME (and so its cookie).
as_rabbitmq() {
  if [[ $(id -u) == 0 ]]; then
    # su keeps the environment; HOME is set again explicitly for the cookie.
    su rabbitmq -s /bin/sh -c 'HOME=/var/lib/rabbitmq; export HOME; cd "$HOME"; exec "$@"' -- sh "$@"
  elif [[ $(id -un) == rabbitmq ]]; then
    (cd "${HOME:-/var/lib/rabbitmq}" && "$@")
  else
    die "run as root or as the rabbitmq user (the nodes share the rabbitmq user's Erlang cookie)"
  fi
}

ctl() {
  local n=$1
  shift
  as_rabbitmq "$BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"
}

# Writes node N's config, plugins and env files (idempotent).
prepare() {
  local n=$1 port
  port=$(amqp_port "$n")
  local home=$DIR/$PREFIX$n
  mkdir -p "$home/mnesia" "$home/log"
  cat >"$home/rabbitmq.conf" <<EOF
management.tcp.port = $((port + 10000))
management.tcp.ip = 127.0.0.1
loopback_users.guest = true
EOF
  if [[ $MANAGEMENT == 1 ]]; then
    echo '[rabbitmq_management].' >"$home/enabled_plugins"
  else
    echo '[].' >"$home/enabled_plugins"
  fi
  # An env file of our own, so the machine's /etc/rabbitmq/rabbitmq-env.conf (NODENAME=…) is
  # not read.
  : >"$home/rabbitmq-env.conf"
  if [[ $(id -u) == 0 ]]; then chown -R rabbitmq:rabbitmq "$DIR"; fi
}

# Starts node N detached unless its VM is already up.
start_node() {
  local n=$1 port
  port=$(amqp_port "$n")
  local home=$DIR/$PREFIX$n
  if node_pid "$n" >/dev/null; then return 0; fi
  prepare "$n"
  echo "starting $(node_name "$n") (amqp 127.0.0.1:$port, dist $((port + 20000)))"
  as_rabbitmq env \
    RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$port" \
    RABBITMQ_DIST_PORT=$((port + 20000)) \
    RABBITMQ_CONF_ENV_FILE="$home/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$home/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$home/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$home/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$home/mnesia" \
    RABBITMQ_LOG_BASE="$home/log" \
    RABBITMQ_PID_FILE="$home/rabbitmq.pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$BIN/rabbitmq-server" -detached
}


# await_startup fails at once while the node's distribution is not up yet: retry until WAIT_S.
wait_started() {
  local n=$1 deadline=$((SECONDS + WAIT_S))
  until ctl "$n" -q await_startup --timeout 10 >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$(node_name "$n") did not start; see $DIR/$PREFIX$n/log"
    sleep 1
  done
}

# The running nodes node N sees in its cluster, one per line.
running_nodes() {
  ctl "$1" -q cluster_status --formatter json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{try{for(const n of JSON.parse(s).running_nodes??[])console.log(n)}catch{}})'
}

members() {
  ctl "$1" -q cluster_status --formatter json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{try{for(const n of JSON.parse(s).disk_nodes??[])console.log(n)}catch{}})'
}

join() {
  local n=$1 first
  first=$(node_name 1)
  if members "$n" | grep -qx "$first"; then return 0; fi
  echo "joining $(node_name "$n") to $first"
  # The CLI logs the node's own boot warnings on join; they go to the node's folder.
  local log=$DIR/$PREFIX$n/log/join.log
  {
    ctl "$n" -q stop_app
    # A fresh node has nothing to lose; a reset one cannot conflict with the cluster's data.
    ctl "$n" -q reset
    ctl "$n" -q join_cluster "$first"
    ctl "$n" -q start_app
  } >>"$log" 2>&1 || die "joining $(node_name "$n") failed; see $log"
}

wait_cluster() {
  local deadline=$((SECONDS + WAIT_S)) count
  while :; do
    count=$(running_nodes 1 | grep -c "^${PREFIX}[0-9]*@localhost$" || true)
    if [[ $count == "${#NODES[@]}" ]]; then return 0; fi
    ((SECONDS < deadline)) || die "cluster_status shows $count running node(s), not ${#NODES[@]}"
    sleep 1
  done
}

up() {
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]}"; do wait_started "$n"; done
  for n in "${NODES[@]:1}"; do join "$n"; done
  wait_cluster
  local urls=()
  for n in "${NODES[@]}"; do urls+=("amqp://guest:guest@127.0.0.1:$(amqp_port "$n")"); done
  echo "cluster up: $(running_nodes 1 | tr '\n' ' ')"
  echo "AMQP_URL=$(
    IFS=,
    echo "${urls[*]}"
  )"
  if [[ $MANAGEMENT == 1 ]]; then
    echo "RABBITMQ_MANAGEMENT_URL=http://guest:guest@127.0.0.1:$((BASE_PORT + 10000))"
  fi
}

# The pid of node N's VM if it is alive (from the pid file its start wrote).
node_pid() {
  local pidfile=$DIR/$PREFIX$1/rabbitmq.pid pid
  [[ -f $pidfile ]] || return 1
  pid=$(cat "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop_node() {
  local n=$1 pid
  pid=$(node_pid "$n") || return 0
  echo "stopping $(node_name "$n")"
  # `stop` can return before the VM has exited, and a node that lost its peers may not answer:
  # the VM's own pid decides, TERM then KILL as the last resort.
  timeout 60 "$0" _ctl "$n" -q stop >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 10); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$pid" 2>/dev/null || true
}

down() {
  for n in "${NODES[@]}"; do stop_node "$n"; done
  if [[ -d $DIR ]]; then rm -rf "$DIR"; fi
  echo "cluster down"
}

node_arg() {
  [[ ${1:-} =~ ^[1-3]$ ]] || die "expected a node number 1-3, got '${1:-}'"
}

case ${1:-} in
  _ctl)
    shift
    ctl "$@"
    ;;
  up) up ;;
  down) down ;;
  status)
    ctl 1 cluster_status
    ;;
  stop)
    node_arg "${2:-}"
    stop_node "$2"
    ;;
  start)
    node_arg "${2:-}"
    start_node "$2"
    wait_started "$2"
    wait_cluster
    ;;
  *)
    echo "usage: $0 up|down|status|stop N|start N" >&2
    exit 2
    ;;
esac

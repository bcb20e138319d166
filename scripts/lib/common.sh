# shellcheck shell=bash
# Small helpers shared by scripts/services and scripts/test: logging, timing, pid files, waiting.
# Source it; it defines functions only (and AGENT_SRE_CACHE, like scripts/toolchain.sh).

AGENT_SRE_CACHE="${AGENT_SRE_CACHE:-$HOME/.cache/agent-sre}"
export AGENT_SRE_CACHE

# Everything diagnostic goes to stderr so stdout stays machine-readable (`eval "$(scripts/services env)"`).
log() { printf '%s: %s\n' "${LOG_PREFIX:-agent-sre}" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Seconds since the epoch with millisecond precision, and a duration since a start mark.
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1fs", e - s }'; }

# pid_alive PIDFILE MARKER: the pid in PIDFILE is running and its command line contains MARKER
# (a pid file left behind by a crash or a reboot may name an unrelated process by now).
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"
}

# stop_pid NAME PIDFILE MARKER [TIMEOUT]: SIGTERM, wait, then SIGKILL; removes the pid file.
stop_pid() {
  local name="$1" pidfile="$2" marker="$3" timeout="${4:-30}" pid i
  if ! pid_alive "$pidfile" "$marker"; then
    rm -f "$pidfile"
    return 0
  fi
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not stop within ${timeout}s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# start_daemon PIDFILE LOGFILE CMD...: runs CMD detached in its own session (so it outlives this
# shell and its process group), stdin closed, output appended to LOGFILE. The pid is written from
# inside the new session, right before exec, so it is the daemon's own pid.
start_daemon() {
  local pidfile="$1" logfile="$2"
  shift 2
  rm -f "$pidfile" # a stale one (after a crash) would pass for the new daemon's
  # shellcheck disable=SC2016 # $$ and $@ expand in the child shell
  # Lock fds 8 and 9 (scripts/services) are closed: a daemon must not hold the lock for its lifetime.
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null 8>&- 9>&- &
  # setsid may fork; wait until the child has recorded its pid.
  local i
  for ((i = 0; i < 50; i++)); do
    [ -s "$pidfile" ] && return 0
    sleep 0.1
  done
  die "could not start $1 (see $logfile)"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until NAME TIMEOUT_S LOGFILE PIDFILE MARKER CMD...: polls CMD every 0.25s until it succeeds;
# fails early when the daemon died, and on failure shows the end of its log.
wait_until() {
  local name="$1" timeout="$2" logfile="$3" pidfile="$4" marker="$5" deadline
  shift 5
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pidfile" ] && ! pid_alive "$pidfile" "$marker"; then
      log "$name exited during startup; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 || true
      return 1
    fi
    if (($(date +%s) >= deadline)); then
      log "$name not ready after ${timeout}s (check: $*); last lines of $logfile:"
      tail -n 30 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.25
  done
}

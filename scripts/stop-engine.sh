#!/usr/bin/env bash
# scripts/stop-engine.sh - stop the dockerd that scripts/start-engine.sh started.
# Only that daemon is touched: it is found through the PID file start-engine.sh
# wrote, never by name. Containers still running on it are killed first - this
# test engine has no live-restore, and dockerd would otherwise wait up to 10 s for
# every container whose PID 1 ignores SIGTERM.
# TAO_TUI_ENGINE_RM_TEST_CONTAINERS=1 also removes containers labelled tao-tui.test.
# Idempotent: exits 0 when nothing of ours is running.
set -uo pipefail

SOCK="${TAO_TUI_DOCKER_SOCK:-/var/run/docker.sock}"
PIDFILE="/var/run/tao-tui-dockerd.pid"
ENV_FILE="${TAO_TUI_ENGINE_ENV:-/var/run/tao-tui-engine.env}"
log() { printf '[stop-engine] %s\n' "$*" >&2; }

if [ ! -f "$PIDFILE" ]; then
  log "no $PIDFILE: start-engine.sh has no engine running"
  rm -f "$ENV_FILE"
  exit 0
fi
pid=$(cat "$PIDFILE")
if ! kill -0 "$pid" 2>/dev/null; then
  log "dockerd pid $pid has already exited"
  rm -f "$PIDFILE" "$ENV_FILE"
  exit 0
fi
if command -v docker >/dev/null 2>&1; then
  D=(docker -H "unix://$SOCK")
  running=$("${D[@]}" ps -q 2>/dev/null || true)
  if [ -n "$running" ]; then
    log "killing running containers: $(echo $running)"
    "${D[@]}" kill $running >/dev/null 2>&1 || true
  fi
  if [ "${TAO_TUI_ENGINE_RM_TEST_CONTAINERS:-0}" = 1 ]; then
    tests=$("${D[@]}" ps -aq --filter label=tao-tui.test 2>/dev/null || true)
    [ -n "$tests" ] && { "${D[@]}" rm -f $tests >/dev/null 2>&1 || true; }
  fi
fi
log "stopping dockerd pid $pid (SIGTERM)"
kill -TERM "$pid" 2>/dev/null || true
for ((n = 0; n < 120; n++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.25
done
if kill -0 "$pid" 2>/dev/null; then
  log "dockerd pid $pid still alive after 30 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 1
fi
rm -f "$PIDFILE" "$ENV_FILE"
log "stopped"

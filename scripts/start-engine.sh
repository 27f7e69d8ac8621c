#!/usr/bin/env bash
# scripts/start-engine.sh - bring up the Docker Engine that tao-tui's engine tests
# talk to, on a plain Debian/Ubuntu machine without systemd (CI, a sandbox VM).
#
# What it does, in order, and only what is still missing:
#   1. installs docker.io (+ curl, busybox-static, openssh-server) with apt-get - no prompts, no
#      services auto-started by the package;
#   2. starts dockerd in the background (setsid + nohup, so it outlives this shell)
#      with no bridge, no iptables rules and no ip_forward change: the test
#      containers get loopback only and the host's network stays as it was;
#   3. imports the tiny local image tao-tui-test/busybox:latest, built from
#      Debian's busybox-static - no registry is ever contacted;
#   4. runs one smoke container.
# An engine that already answers on the socket is reused as it is.
#
# Must run as root. Needs no stdin (fine with CI=true).
# stdout: one line only,   export DOCKER_HOST=unix:///var/run/docker.sock
#   usage:   eval "$(sudo bash scripts/start-engine.sh)"
# Everything else (progress, errors) goes to stderr. The export line is also
# saved in $TAO_TUI_ENGINE_ENV (default /var/run/tao-tui-engine.env).
#
# Environment knobs (all optional):
#   TAO_TUI_DOCKER_SOCK       socket path                 (/var/run/docker.sock)
#   TAO_TUI_DOCKER_DATA_ROOT  dockerd --data-root          (/var/lib/docker)
#   TAO_TUI_DOCKER_DRIVER     auto | overlay2 | vfs        (auto = overlay2, then vfs)
#   TAO_TUI_TEST_IMAGE        tag of the imported image    (tao-tui-test/busybox:latest)
#   TAO_TUI_ENGINE_WAIT_S     seconds to wait for dockerd  (60)
#   TAO_TUI_DOCKERD_LOG       dockerd's log file           (/var/log/tao-tui-dockerd.log)
set -euo pipefail

SOCK="${TAO_TUI_DOCKER_SOCK:-/var/run/docker.sock}"
DATA_ROOT="${TAO_TUI_DOCKER_DATA_ROOT:-/var/lib/docker}"
DRIVER="${TAO_TUI_DOCKER_DRIVER:-auto}"
IMAGE="${TAO_TUI_TEST_IMAGE:-tao-tui-test/busybox:latest}"
WAIT_S="${TAO_TUI_ENGINE_WAIT_S:-60}"
LOG="${TAO_TUI_DOCKERD_LOG:-/var/log/tao-tui-dockerd.log}"
APT_LOG="/var/log/tao-tui-engine-apt.log"
PIDFILE="/var/run/tao-tui-dockerd.pid"                 # the dockerd this script owns
DOCKERD_PIDFILE="/var/run/tao-tui-dockerd.dockerd.pid" # written by dockerd itself
ENV_FILE="${TAO_TUI_ENGINE_ENV:-/var/run/tao-tui-engine.env}"
HOST_URL="unix://${SOCK}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[start-engine] %s\n' "$*" >&2; }
fail() { printf '[start-engine] ERROR: %s\n' "$*" >&2; exit 1; }
clock() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(clock)" 'BEGIN{printf "%.1fs", b-a}'; }
show_tail() { tail -n 15 "$1" 2>/dev/null | sed 's/^/    /' >&2 || true; }

T0=$(clock)
[ "$(id -u)" = 0 ] || fail "run me as root (dockerd needs it): sudo bash $0   (current uid $(id -u))"

engine_answers() {  # true when /_ping on the socket says OK
  [ -S "$SOCK" ] || return 1
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 3 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)" = OK ]
  else
    docker -H "$HOST_URL" version >/dev/null 2>&1
  fi
}

# ------------------------------------------------------------------ packages
APT_DONE_UPDATE=0
apt_get_install() {  # apt_get_install PKG...  (never lets a package start its service)
  local made_guard=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_guard=1
  fi
  if [ "$APT_DONE_UPDATE" = 0 ]; then
    apt-get update >>"$APT_LOG" 2>&1 || rc=$?
    APT_DONE_UPDATE=1
  fi
  [ "$rc" = 0 ] && { apt-get install -y --no-install-recommends "$@" </dev/null >>"$APT_LOG" 2>&1 || rc=$?; }
  [ "$made_guard" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ "$rc" != 0 ]; then log "apt-get failed; end of $APT_LOG:"; show_tail "$APT_LOG"; fi
  return "$rc"
}

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
# dockerd and the docker CLI both come with docker.io (another docker CLI on PATH is fine too)
{ command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; } || missing+=(docker.io)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || missing+=(busybox-static)
# sshd: the ssh:// engine test runs one on 127.0.0.1 (its own config; the package's service is never started)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
if [ "${#missing[@]}" -gt 0 ]; then
  T=$(clock)
  log "installing ${missing[*]} with apt-get (log: $APT_LOG)"
  apt_get_install "${missing[@]}" || fail "could not install ${missing[*]} (see $APT_LOG)"
  log "packages installed in $(since "$T")"
fi
command -v dockerd >/dev/null 2>&1 || fail "dockerd is still missing after installing docker.io"

# ------------------------------------------------------------------ daemon
launch_dockerd() {  # launch_dockerd STORAGE_DRIVER -> 0 once the engine answers
  local driver="$1" pid n
  mkdir -p "$(dirname "$LOG")" "$DATA_ROOT"
  log "starting dockerd (storage driver $driver, socket $SOCK, log $LOG)"
  setsid nohup dockerd \
    --host "$HOST_URL" \
    --data-root "$DATA_ROOT" \
    --pidfile "$DOCKERD_PIDFILE" \
    --storage-driver "$driver" \
    --exec-opt native.cgroupdriver=cgroupfs \
    --bridge=none --iptables=false --ip6tables=false \
    --ip-forward=false --ip-masq=false \
    --shutdown-timeout 3 \
    --log-level warn \
    </dev/null >>"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"
  for ((n = 0; n < WAIT_S * 4; n++)); do
    if engine_answers; then
      # dockerd's own pidfile is the most reliable PID (setsid may have forked)
      if [ -s "$DOCKERD_PIDFILE" ] && kill -0 "$(cat "$DOCKERD_PIDFILE")" 2>/dev/null; then
        cat "$DOCKERD_PIDFILE" >"$PIDFILE"
      fi
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null &&
      ! { [ -s "$DOCKERD_PIDFILE" ] && kill -0 "$(cat "$DOCKERD_PIDFILE")" 2>/dev/null; }; then
      log "dockerd exited while starting; end of $LOG:"
      show_tail "$LOG"
      rm -f "$PIDFILE"
      return 1
    fi
    sleep 0.25
  done
  log "dockerd (pid $pid) gave no answer on $SOCK within ${WAIT_S}s; end of $LOG:"
  show_tail "$LOG"
  kill "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  return 1
}

if engine_answers; then
  log "an engine already answers on $SOCK; using it"
else
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    fail "our dockerd (pid $(cat "$PIDFILE")) runs but does not answer on $SOCK: run scripts/stop-engine.sh and retry (log: $LOG)"
  fi
  if pgrep -x dockerd >/dev/null 2>&1; then
    fail "a dockerd not started by this script is running (pid $(pgrep -x dockerd | tr '\n' ' ')) but $SOCK does not answer: stop it, or point TAO_TUI_DOCKER_SOCK at its socket"
  fi
  T=$(clock)
  : >"$LOG"
  case "$DRIVER" in
    auto)
      launch_dockerd overlay2 || { log "overlay2 failed; trying vfs"; launch_dockerd vfs; } ||
        fail "dockerd did not start with overlay2 nor vfs (log: $LOG). Usual causes: not root, no CAP_SYS_ADMIN, cgroups not mounted, an unprivileged container." ;;
    *)
      launch_dockerd "$DRIVER" || fail "dockerd did not start with storage driver $DRIVER (log: $LOG)" ;;
  esac
  log "engine up in $(since "$T") (dockerd pid $(cat "$PIDFILE"))"
fi

DOCKER=(docker -H "$HOST_URL")
"${DOCKER[@]}" version --format 'engine: server {{.Server.Version}}, API {{.Server.APIVersion}}' >&2 ||
  fail "the engine answers /_ping, but 'docker version' fails"

# ------------------------------------------------------------------ test image
if "${DOCKER[@]}" image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image $IMAGE already present"
else
  T=$(clock)
  BUSYBOX=$(dpkg -L busybox-static 2>/dev/null | grep -E '/busybox$' | head -n 1 || true)
  [ -n "$BUSYBOX" ] && [ -x "$BUSYBOX" ] || fail "cannot find busybox-static's binary (dpkg -L busybox-static)"
  ROOT=$(mktemp -d /tmp/tao-tui-rootfs.XXXXXX)
  trap 'rm -rf "$ROOT"' EXIT
  mkdir -p "$ROOT"/{bin,etc,tmp,workspace,root}
  chmod 1777 "$ROOT/tmp"
  cp "$BUSYBOX" "$ROOT/bin/busybox"
  for applet in $("$ROOT/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$ROOT/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$ROOT/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
  tar -C "$ROOT" -c . | "${DOCKER[@]}" import \
    -c 'ENV PATH=/bin' -c 'WORKDIR /' -c 'CMD ["/bin/sh"]' \
    -c 'LABEL org.opencontainers.image.title=tao-tui-test-busybox' \
    - "$IMAGE" >/dev/null || fail "docker import of $IMAGE failed"
  rm -rf "$ROOT"
  trap - EXIT
  log "image $IMAGE imported in $(since "$T")"
fi

# ------------------------------------------------------------------ smoke test
reply=$("${DOCKER[@]}" run --rm --network none "$IMAGE" sh -c 'echo engine-ok' 2>&1) || true
[ "$reply" = engine-ok ] || fail "smoke container ($IMAGE, echo engine-ok) failed: $reply"
log "smoke test passed; total $(since "$T0")"

export_line="export DOCKER_HOST=${HOST_URL}"
printf '%s\n' "$export_line" >"$ENV_FILE"
printf '%s\n' "$export_line"

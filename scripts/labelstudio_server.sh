#!/usr/bin/env bash
# A throw-away Label Studio server on 127.0.0.1 for the integration test and for screenshots.
#
#   scripts/labelstudio_server.sh install   # the `label-studio` package in its own venv
#   scripts/labelstudio_server.sh start     # install if needed, start, wait until healthy
#   scripts/labelstudio_server.sh stop      # stop the server by its pid, delete its data
#   scripts/labelstudio_server.sh status
#
# The server has its own virtual environment (its pins clash with the project's), a fresh
# temporary data directory per start, and one user whose API token is set non-interactively.
# `start` prints shell assignments on stdout:
#   LABEL_STUDIO_URL=http://127.0.0.1:PORT
#   LS_PID=PID
# The token is the one given in LABEL_STUDIO_USER_TOKEN (or a random one written to
# $LS_STATE/token, mode 600, for local use); it is never printed.
#
# Settings (environment):
#   LS_HOME            where the venv lives                   (default /tmp/visectalks-ls)
#   LS_STATE           pid, url, log and data of the server   (default $LS_HOME/state)
#   LS_VERSION         label-studio version                  (default 1.23.2)
#   LS_PYTHON          interpreter for the venv              (default python3)
#   LS_PORT            port                                   (default: a free one)
#   LS_START_TIMEOUT   seconds to wait for /health           (default 300)
#   LS_INSTALL_TIMEOUT seconds allowed for pip               (default 1200)
set -euo pipefail

LS_HOME=${LS_HOME:-/tmp/visectalks-ls}
LS_VERSION=${LS_VERSION:-1.23.2}
LS_PYTHON=${LS_PYTHON:-python3}
LS_START_TIMEOUT=${LS_START_TIMEOUT:-300}
LS_INSTALL_TIMEOUT=${LS_INSTALL_TIMEOUT:-1200}
VENV="$LS_HOME/venv"
STATE=${LS_STATE:-$LS_HOME/state}

say() { echo "labelstudio_server: $*" >&2; }

installed_version() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('label-studio'))" 2>/dev/null
}

cmd_install() {
    if [ "$(installed_version || true)" = "$LS_VERSION" ]; then
        say "label-studio $LS_VERSION already installed in $VENV"
        return 0
    fi
    mkdir -p "$LS_HOME"
    rm -rf "$VENV"
    say "installing label-studio $LS_VERSION into $VENV (takes a few minutes)"
    "$LS_PYTHON" -m venv "$VENV"
    if ! timeout "$LS_INSTALL_TIMEOUT" "$VENV/bin/pip" install --quiet --disable-pip-version-check \
            "label-studio==$LS_VERSION" >"$LS_HOME/install.log" 2>&1; then
        say "pip install failed or timed out; last lines of $LS_HOME/install.log:"
        grep -v "^WARNING: Location" "$LS_HOME/install.log" | tail -n 20 >&2 || true
        rm -rf "$VENV"
        return 1
    fi
    say "installed label-studio $(installed_version)"
}

free_port() {
    "$VENV/bin/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()"
}

healthy() {
    "$VENV/bin/python" - "$1" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/health", timeout=5) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}

cmd_start() {
    if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
        say "a server is already running (pid $(cat "$STATE/pid")); stop it first"
        return 1
    fi
    cmd_install
    mkdir -p "$STATE"
    chmod 700 "$STATE"
    local port data url pid token waited
    port=${LS_PORT:-$(free_port)}
    data=$(mktemp -d "$STATE/data.XXXXXX")
    url="http://127.0.0.1:$port"
    token=${LABEL_STUDIO_USER_TOKEN:-}
    if [ -z "$token" ]; then
        token=$("$VENV/bin/python" -c "import secrets; print(secrets.token_hex(20))")
        (umask 077; printf '%s' "$token" >"$STATE/token")
    fi
    # The user, its password and its token come from the environment, so nothing is asked.
    LABEL_STUDIO_USERNAME=${LABEL_STUDIO_USERNAME:-annotator@visectalks.local} \
    LABEL_STUDIO_PASSWORD=${LABEL_STUDIO_PASSWORD:-$("$VENV/bin/python" -c "import secrets; print(secrets.token_urlsafe(16))")} \
    LABEL_STUDIO_USER_TOKEN="$token" \
    LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
    LABEL_STUDIO_BASE_DATA_DIR="$data" \
    LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true \
    SENTRY_DSN= FRONTEND_SENTRY_DSN= COLLECT_ANALYTICS=false \
        nohup "$VENV/bin/label-studio" start --no-browser --internal-host 127.0.0.1 --port "$port" \
            --data-dir "$data" --enable-legacy-api-token --log-level WARNING \
            >"$STATE/server.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$STATE/pid"
    echo "$data" >"$STATE/data_dir"
    echo "$url" >"$STATE/url"
    waited=0
    while ! healthy "$url"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            say "server exited during start-up; last lines of $STATE/server.log:"
            tail -n 30 "$STATE/server.log" >&2 || true
            cmd_stop
            return 1
        fi
        if [ "$waited" -ge "$LS_START_TIMEOUT" ]; then
            say "server not healthy after ${LS_START_TIMEOUT}s; stopping it"
            tail -n 30 "$STATE/server.log" >&2 || true
            cmd_stop
            return 1
        fi
        sleep 2
        waited=$((waited + 2))
    done
    say "label-studio $(installed_version) up at $url (pid $pid, ${waited}s)"
    echo "LABEL_STUDIO_URL=$url"
    echo "LS_PID=$pid"
}

cmd_stop() {
    local pid data i
    if [ -f "$STATE/pid" ]; then
        pid=$(cat "$STATE/pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for i in $(seq 1 30); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 1
            done
            if kill -0 "$pid" 2>/dev/null; then
                say "pid $pid ignored TERM for 30s; sending KILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
        say "stopped pid $pid"
    fi
    if [ -f "$STATE/data_dir" ]; then
        data=$(cat "$STATE/data_dir")
        case "$data" in "$STATE"/data.*) rm -rf "$data" ;; esac
    fi
    rm -f "$STATE/pid" "$STATE/data_dir" "$STATE/url" "$STATE/token"
}

cmd_status() {
    if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
        echo "running: pid $(cat "$STATE/pid") at $(cat "$STATE/url")"
    else
        echo "not running"
        return 1
    fi
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Starts and stops a private OCI registry (Debian's `docker-registry`, the CNCF distribution registry) on
# 127.0.0.1 for zoo's tests, demo and benchmark. Nothing is shared with a system registry: the config,
# storage, logs and pid files all live in DIR.
#
#   scripts/registry.sh start DIR [--htpasswd USER:PASSWORD | --token USER:PASSWORD] [--owner PID]
#       Writes DIR/config.yml, starts the registry on a free port, waits until it answers and prints its
#       address (127.0.0.1:PORT) on stdout (also in DIR/address).
#       --htpasswd   basic auth with one bcrypt htpasswd user (htpasswd -B, from apache2-utils)
#       --token      bearer-token auth: a token server (scripts/token_server.py, Python stdlib + the
#                    openssl CLI to sign RS256 JWTs) checks USER:PASSWORD and issues tokens the
#                    registry verifies against a throw-away self-signed certificate
#       --owner PID  stop everything when process PID exits (so a killed test run leaves no registry)
#   scripts/registry.sh stop DIR
#       Stops what `start DIR` started and waits for it to exit. DIR itself is left for the caller.
#
# Logs: DIR/registry.log (one JSON-ish line per request: handy to count bytes) and DIR/token.log.
set -euo pipefail

die() { printf 'registry.sh: error: %s\n' "$*" >&2; exit 1; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until URL answers with any HTTP status (the registry returns 401 under auth); false after ~10 s.
wait_for_http() {
    local url="$1" pid="$2"
    for _ in $(seq 1 100); do
        alive "$pid" || return 1
        code="$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)"
        [ "$code" != "000" ] && return 0
        sleep 0.1
    done
    return 1
}

# Background children close every descriptor they inherited beyond 0-2: a caller that waits for this
# script may watch an inherited descriptor to learn when it ended (Foundation's Process does), and a
# registry holding it would make the script look alive for as long as the registry runs.
close_inherited_fds() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd="${fd##*/}"
        case "$fd" in 0|1|2) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
    done
}

# Whether PID runs (a zombie does not: some containers' init never reaps orphans).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]
}

# Stops the process whose pid is in FILE (SIGKILL: these are throw-away servers, and a registry on
# SIGTERM waits for idle connections to drain) and waits until it is gone.
stop_pid_file() {
    local file="$1" pid
    [ -f "$file" ] || return 0
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.05; done
    fi
    rm -f -- "$file"
}

cmd_stop() {
    local dir="$1"
    stop_pid_file "$dir/watchdog.pid"
    stop_pid_file "$dir/registry.pid"
    stop_pid_file "$dir/token.pid"
}

cmd_start() {
    local dir="$1"; shift
    local htpasswd_user="" token_user="" owner=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --htpasswd) htpasswd_user="${2:?--htpasswd needs USER:PASSWORD}"; shift 2 ;;
            --token) token_user="${2:?--token needs USER:PASSWORD}"; shift 2 ;;
            --owner) owner="${2:?--owner needs a PID}"; shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    command -v docker-registry >/dev/null || die "docker-registry is not installed (scripts/setup.sh installs it)"
    mkdir -p -- "$dir/storage"
    cmd_stop "$dir"

    local auth=""
    if [ -n "$htpasswd_user" ]; then
        command -v htpasswd >/dev/null || die "htpasswd is not installed (apache2-utils; scripts/setup.sh installs it)"
        htpasswd -Bbn "${htpasswd_user%%:*}" "${htpasswd_user#*:}" >"$dir/htpasswd" 2>/dev/null \
            || die "htpasswd failed"
        auth="auth:
  htpasswd:
    realm: zoo-test
    path: $dir/htpasswd"
    elif [ -n "$token_user" ]; then
        command -v openssl >/dev/null || die "the openssl CLI is needed for --token"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token.key" -out "$dir/token.crt" -days 2 \
            -subj /CN=zoo-test-token >/dev/null 2>&1 || die "openssl could not make the token certificate"
        rm -f -- "$dir/token.port"
        (
            close_inherited_fds
            exec python3 "$here/token_server.py" --port-file "$dir/token.port" --key "$dir/token.key" \
                --cert "$dir/token.crt" --issuer zoo-test-issuer --service zoo-test-registry \
                --credentials "$token_user"
        ) </dev/null >"$dir/token.log" 2>&1 &
        echo $! >"$dir/token.pid"
        for _ in $(seq 1 100); do [ -s "$dir/token.port" ] && break; sleep 0.1; done
        [ -s "$dir/token.port" ] || { cmd_stop "$dir"; die "the token server did not start (see $dir/token.log)"; }
        auth="auth:
  token:
    realm: http://127.0.0.1:$(cat "$dir/token.port")/token
    service: zoo-test-registry
    issuer: zoo-test-issuer
    rootcertbundle: $dir/token.crt"
    fi

    local attempt port pid
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: zoo-test-secret-$port
$auth
EOF
        (close_inherited_fds; exec docker-registry serve "$dir/config.yml") </dev/null >"$dir/registry.log" 2>&1 &
        pid=$!
        echo "$pid" >"$dir/registry.pid"
        if wait_for_http "http://127.0.0.1:$port/v2/" "$pid"; then
            echo "127.0.0.1:$port" >"$dir/address"
            if [ -n "$owner" ]; then
                # The watchdog's own output goes nowhere: a caller reading our stdout must see EOF.
                (
                    close_inherited_fds
                    while alive "$owner" && alive "$pid"; do sleep 1; done
                    kill "$pid" 2>/dev/null || true
                    [ -f "$dir/token.pid" ] && kill "$(cat "$dir/token.pid")" 2>/dev/null || true
                ) </dev/null >/dev/null 2>&1 &
                echo $! >"$dir/watchdog.pid"
            fi
            echo "127.0.0.1:$port"
            return 0
        fi
        stop_pid_file "$dir/registry.pid"
        printf 'registry.sh: attempt %s on port %s failed; retrying\n' "$attempt" "$port" >&2
    done
    cmd_stop "$dir"
    die "docker-registry did not start (see $dir/registry.log)"
}

case "${1:-}" in
    start) [ $# -ge 2 ] || die "usage: registry.sh start DIR [options]"; shift; cmd_start "$@" ;;
    stop) [ $# -eq 2 ] || die "usage: registry.sh stop DIR"; cmd_stop "$2" ;;
    *) die "usage: registry.sh start DIR [--htpasswd U:P | --token U:P] [--owner PID] | registry.sh stop DIR" ;;
esac

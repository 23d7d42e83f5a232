# Shared by the conformance test scripts (sourced): a private temporary directory, and every process
# started in the background by pid, so that all of them are stopped by pid however the script ends.
set -u

TMP=$(mktemp -d "${TMPDIR:-/tmp}/privmemd-conformance.XXXXXX") || exit 1
PIDS=""
SERVER_PID=""

skip() {
        echo "SKIP: $*"
        exit 77
}

die() {
        echo "FAIL: $*" >&2
        exit 1
}

need() {
        command -v "$1" >/dev/null 2>&1 || skip "$1 not found (install $2)"
}

# Whether $1 is a running child of ours. kill -0 would also accept a zombie, or, once bash has reaped
# our child, a stranger that got its pid: the state letter and the parent in /proc tell them apart.
alive() {
        local stat
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        set -- ${stat##*) }
        [ "$1" != Z ] && [ "$1" != X ] && [ "$2" = $$ ]
}

# Stops a child of ours: TERM, then KILL after 5 s. Returns its exit status.
stop() {
        if alive "$1"; then
                kill -TERM "$1" 2>/dev/null
                for _ in $(seq 50); do
                        alive "$1" || break
                        sleep 0.1
                done
                alive "$1" && kill -KILL "$1" 2>/dev/null
        fi
        wait "$1" 2>/dev/null
}

cleanup() {
        for pid in $PIDS; do
                stop "$pid"
        done
        rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# spawn LOG CMD...: runs CMD in the background, output to LOG; its pid in $SPAWNED.
spawn() {
        local log=$1
        shift
        "$@" >"$log" 2>&1 &
        SPAWNED=$!
        PIDS="$PIDS $SPAWNED"
}

start_server() {
        spawn "$TMP/server.log" "$@"
        SERVER_PID=$SPAWNED
}

# Waits until something accepts connections on the socket at $1 (bind() comes before listen()).
wait_listening() {
        need python3 "python3"
        for _ in $(seq 100); do
                alive "$SERVER_PID" || { cat "$TMP/server.log" >&2; die "the server exited before listening"; }
                python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$1" \
                        2>/dev/null && return 0
                sleep 0.1
        done
        cat "$TMP/server.log" >&2
        die "nothing listens on $1 after 10 s"
}

# run LOG CMD...: runs CMD in the background (so a signal to us is handled at once), waits for it,
# shows its output and returns its exit status.
run() {
        local log=$1 rc
        shift
        spawn "$log" "$@"
        wait "$SPAWNED"
        rc=$?
        cat "$log"
        return $rc
}

server_must_be_alive() {
        alive "$SERVER_PID" && return 0
        cat "$TMP/server.log" >&2
        die "the server died during the run"
}

# For our own servers: they must still run, and exit 0 on SIGTERM (under ASan: without leaks).
stop_server_cleanly() {
        server_must_be_alive
        stop "$SERVER_PID" || { cat "$TMP/server.log" >&2; die "the server did not exit cleanly on SIGTERM"; }
}

#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests and benchmarks.
#
#   scripts/pg.sh start DIR   create DIR, initdb, start on a free 127.0.0.1 port, create database
#                             courier_test; print its URL on stdout (also written to DIR/url)
#   scripts/pg.sh stop DIR    stop the server (fast shutdown) and remove DIR
#   scripts/pg.sh pause DIR   stop the server but keep DIR (an outage, for tests)
#   scripts/pg.sh resume DIR  start a paused server again on the same port
#   scripts/pg.sh bindir      print the PostgreSQL binary directory in use
#
# Uses Debian's postgresql package (binaries in /usr/lib/postgresql/<version>/bin, highest version
# wins; PG_BIN overrides). initdb and postgres refuse to run as root, so when run as root the server
# runs as the `postgres` user and DIR is handed to it. Durability settings are the real ones
# (fsync=on, synchronous_commit=on) so benchmarks measure honest commits. Extra server options can be
# given in PG_EXTRA_OPTS (e.g. "-c shared_buffers=256MB").
set -euo pipefail

PG_USER=postgres
DB_NAME=courier_test
MARKER=.courier-throwaway-pg

die() { echo "pg.sh: $*" >&2; exit 1; }

usage() {
    echo "usage: $0 start DIR | stop DIR | pause DIR | resume DIR | bindir" >&2
    exit 2
}

find_bindir() {
    if [ -n "${PG_BIN:-}" ]; then
        [ -x "$PG_BIN/pg_ctl" ] || die "PG_BIN=$PG_BIN has no pg_ctl"
        echo "$PG_BIN"
        return
    fi
    local base=/usr/lib/postgresql ver
    [ -d "$base" ] || die "no $base: install the postgresql package (scripts/ensure-packages.sh postgresql)"
    ver=$(find "$base" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
    if [ -z "$ver" ] || [ ! -x "$base/$ver/bin/pg_ctl" ]; then
        die "no PostgreSQL binaries under $base"
    fi
    echo "$base/$ver/bin"
}

# Run a command as the database owner: `postgres` when we are root, else ourselves.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

show_log() {
    local log=$1
    if [ -f "$log" ]; then
        echo "pg.sh: last lines of $log:" >&2
        tail -n 30 "$log" >&2 || true
    fi
}

cmd_start() {
    local dir=$1 bin
    bin=$(find_bindir)

    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
        die "$dir exists and is not empty"
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    : >"$dir/$MARKER"

    if [ "$(id -u)" -eq 0 ]; then
        id "$PG_USER" >/dev/null 2>&1 || die "user $PG_USER does not exist (is the postgresql package installed?)"
        chown "$PG_USER:" "$dir" "$dir/$MARKER"
    fi
    chmod 0700 "$dir"
    # Every parent must be traversable by the server's user (e.g. not under a private /root).
    as_pg test -w "$dir" -a -x "$dir" ||
        die "$dir is not reachable by user $(if [ "$(id -u)" -eq 0 ]; then echo "$PG_USER"; else id -un; fi); choose a directory under /tmp"

    # Unix socket paths are limited to ~107 bytes; fall back to a short directory under /tmp.
    local sock="$dir/sock"
    if [ "${#sock}" -gt 80 ]; then
        sock=$(mktemp -d /tmp/courier-pgsock.XXXXXX)
        echo "$sock" >"$dir/sockdir"
    else
        mkdir -p "$sock"
    fi
    chmod 0700 "$sock"
    [ "$(id -u)" -eq 0 ] && chown "$PG_USER:" "$sock"

    cd "$dir"  # the server's user must be able to stat its working directory

    as_pg "$bin/initdb" -D "$dir/pgdata" -U "$PG_USER" --auth=trust -E UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    local port attempt started=0
    for attempt in 1 2 3; do
        port=$(free_port) || die "could not find a free port (python3 needed)"
        # shellcheck disable=SC2086  # PG_EXTRA_OPTS is word-split on purpose
        if as_pg "$bin/pg_ctl" -D "$dir/pgdata" -l "$dir/pg.log" -w -t 60 \
            -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200 ${PG_EXTRA_OPTS:-}" \
            start >"$dir/pg_ctl.log" 2>&1; then
            started=1
            break
        fi
        # Probably lost a race for the port; make sure nothing half-started remains, then retry.
        as_pg "$bin/pg_ctl" -D "$dir/pgdata" -m immediate stop >/dev/null 2>&1 || true
        echo "pg.sh: start on port $port failed (attempt $attempt)" >&2
    done
    if [ "$started" -ne 1 ]; then
        cat "$dir/pg_ctl.log" >&2 || true
        show_log "$dir/pg.log"
        die "could not start PostgreSQL in $dir"
    fi
    echo "$port" >"$dir/port"
    echo "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200 ${PG_EXTRA_OPTS:-}" >"$dir/options"

    as_pg "$bin/createdb" -h "$sock" -p "$port" -U "$PG_USER" "$DB_NAME" 2>"$dir/createdb.log" || {
        cat "$dir/createdb.log" >&2
        as_pg "$bin/pg_ctl" -D "$dir/pgdata" -m immediate stop >/dev/null 2>&1 || true
        die "createdb $DB_NAME failed"
    }

    local url="postgres://$PG_USER@127.0.0.1:$port/$DB_NAME"
    echo "$url" >"$dir/url"
    echo "$url"
}

cmd_stop() {
    local dir=$1 bin rc=0
    if [ ! -d "$dir" ]; then
        echo "pg.sh: $dir does not exist; nothing to stop" >&2
        return 0
    fi
    dir=$(cd "$dir" && pwd -P)
    [ -e "$dir/$MARKER" ] || die "$dir was not made by '$0 start'; refusing to remove it"
    bin=$(find_bindir)
    cd /
    if [ -f "$dir/pgdata/postmaster.pid" ]; then
        if ! as_pg "$bin/pg_ctl" -D "$dir/pgdata" -m fast -w -t 60 stop >/dev/null 2>"$dir/stop.err"; then
            cat "$dir/stop.err" >&2 || true
            echo "pg.sh: fast stop failed; stopping immediately" >&2
            as_pg "$bin/pg_ctl" -D "$dir/pgdata" -m immediate -w -t 30 stop >/dev/null 2>&1 || rc=1
        fi
    fi
    if [ -f "$dir/sockdir" ]; then
        local sock
        sock=$(cat "$dir/sockdir")
        case "$sock" in /tmp/courier-pgsock.*) rm -rf -- "$sock" ;; esac
    fi
    rm -rf -- "$dir"
    [ "$rc" -eq 0 ] || die "PostgreSQL in $dir did not stop cleanly"
}

cmd_pause() {
    local dir=$1 bin
    [ -e "$dir/$MARKER" ] || die "$dir was not made by '$0 start'"
    bin=$(find_bindir)
    cd /
    as_pg "$bin/pg_ctl" -D "$dir/pgdata" -m fast -w -t 60 stop >/dev/null
}

cmd_resume() {
    local dir=$1 bin
    [ -e "$dir/$MARKER" ] || die "$dir was not made by '$0 start'"
    bin=$(find_bindir)
    cd "$dir"
    # The server inherits our descriptors: keep them off the caller's pipes, or its reader never sees EOF.
    as_pg "$bin/pg_ctl" -D "$dir/pgdata" -l "$dir/pg.log" -w -t 60 -o "$(cat "$dir/options")" start >"$dir/pg_ctl.log" 2>&1
}

[ "$#" -ge 1 ] || usage
case "$1" in
    start) [ "$#" -eq 2 ] || usage; cmd_start "$2" ;;
    stop) [ "$#" -eq 2 ] || usage; cmd_stop "$2" ;;
    pause) [ "$#" -eq 2 ] || usage; cmd_pause "$2" ;;
    resume) [ "$#" -eq 2 ] || usage; cmd_resume "$2" ;;
    bindir) [ "$#" -eq 1 ] || usage; find_bindir ;;
    *) usage ;;
esac

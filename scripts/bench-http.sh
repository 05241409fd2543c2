#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions are run from traps
# shellcheck disable=SC2154  # courier_* / ceiling_* figures are assigned by run_wrk via printf -v
# HTTP benchmark: acked `POST /v1/messages` per second on the all-in-one node, against the HTTP
# ceiling of the same framework, both driven by the same wrk command.
#
# Usage: scripts/bench-http.sh [--quick] [--pg-tps N]        (scripts/bench.sh runs it for make bench)
#
# 1. builds courier and courier-ceiling in release mode into .build-bench (skipped when COURIER_BIN
#    and CEILING_BIN are given, as scripts/bench.sh does);
# 2. `courier serve --role all` on a free 127.0.0.1 port with a fresh data dir: logs in when the
#    node has authentication (POST /v1/users/login; a 404 there means no authentication yet),
#    checks one send, warms up briefly, then wrk for WRK_SECONDS; every 201 is an event durable
#    in the log;
# 3. courier-ceiling (Hummingbird 2, the same route, Content-Type check, JSONParser.parse and
#    SendValidation.validate, a 201 with a fresh id, nothing stored) on a free port: the same
#    warm-up and the same wrk command (with Courier's token, which it ignores);
# 4. prints msg/s and p50/p99 of both, Courier/ceiling (goal >= 0.5), Courier p99 (goal < 20 ms)
#    and Courier/PostgreSQL when --pg-tps gives pgbench's figure (same 64 clients).
#
# wrk: -c WRK_CONNECTIONS (64) -t WRK_THREADS (2), bench/http/send.lua: a 160-character text to a new
# recipient per request (1631555 + 8 digits). Latencies are wrk's, from the request's write to
# the response's last byte (not corrected for coordinated omission).
# Knobs: SWIFT, BENCH_BUILD (.build-bench), COURIER_BIN, CEILING_BIN, BENCH_TMP (parent of the temp
# data dir; default ./.bench-tmp), WRK_CONNECTIONS, WRK_THREADS, WRK_SECONDS (10; --quick 3),
# WRK_WARMUP_SECONDS (2; --quick 1).
# Missed goals still exit 0 (the figures are the output); failures exit 1, bad arguments 2.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd -P)

quick=0
pg_tps=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --pg-tps)
            if [ "$#" -lt 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
                echo "bench-http.sh: --pg-tps needs a number" >&2
                exit 2
            fi
            pg_tps=$2
            shift
            ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-http.sh: unknown argument $1 (usage: scripts/bench-http.sh [--quick] [--pg-tps N])" >&2; exit 2 ;;
    esac
    shift
done

SWIFT=${SWIFT:-swift}
BENCH_BUILD=${BENCH_BUILD:-$repo/.build-bench}
BENCH_TMP=${BENCH_TMP:-$repo/.bench-tmp}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
if [ "$quick" = 1 ]; then
    WRK_SECONDS=${WRK_SECONDS:-3}
    WRK_WARMUP_SECONDS=${WRK_WARMUP_SECONDS:-1}
else
    WRK_SECONDS=${WRK_SECONDS:-10}
    WRK_WARMUP_SECONDS=${WRK_WARMUP_SECONDS:-2}
fi
lua_script=$repo/bench/http/send.lua

section() { printf '\n==== %s ====\n' "$*"; }
fail() { echo "bench-http.sh: $*" >&2; exit 1; }

# ---- cleanup: servers always stopped, temp dirs always removed ----
server_pid=""
work_dir=""
created_tmp=0
stop_server() {
    [ -n "$server_pid" ] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        local waited=0
        while kill -0 "$server_pid" 2>/dev/null && [ "$waited" -lt 300 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "bench-http.sh: server $server_pid did not stop in 30 s; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
cleanup() {
    stop_server
    [ -n "$work_dir" ] && rm -rf -- "$work_dir"
    [ "$created_tmp" = 1 ] && rmdir -- "$BENCH_TMP" 2>/dev/null
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- tools and binaries ----
command -v wrk >/dev/null 2>&1 || scripts/ensure-packages.sh wrk
command -v wrk >/dev/null 2>&1 || fail "wrk is not installed (Debian package wrk)"
command -v curl >/dev/null 2>&1 || scripts/ensure-packages.sh curl

if [ -z "${COURIER_BIN:-}" ] || [ -z "${CEILING_BIN:-}" ]; then
    section "Build: $SWIFT build -c release --product courier / courier-ceiling --scratch-path $BENCH_BUILD"
    "$SWIFT" build -c release --product courier --scratch-path "$BENCH_BUILD"
    "$SWIFT" build -c release --product courier-ceiling --scratch-path "$BENCH_BUILD"
fi
COURIER_BIN=${COURIER_BIN:-$BENCH_BUILD/release/courier}
CEILING_BIN=${CEILING_BIN:-$BENCH_BUILD/release/courier-ceiling}
[ -x "$COURIER_BIN" ] || fail "$COURIER_BIN was not built"
[ -x "$CEILING_BIN" ] || fail "$CEILING_BIN was not built"

[ -d "$BENCH_TMP" ] || { mkdir -p "$BENCH_TMP"; created_tmp=1; }
work_dir=$(mktemp -d "$BENCH_TMP/http.XXXXXX")

# ---- helpers ----

# wait_for_port LOGFILE REGEX: prints the port captured by REGEX's first group once it shows up in
# LOGFILE; fails when the server exits first or after 60 s.
wait_for_port() {
    local file=$1 regex=$2 port="" tries=0
    while [ "$tries" -lt 600 ]; do
        port=$(sed -n -E "s/$regex/\\1/p" "$file" 2>/dev/null | head -n 1)
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || { cat "$file" >&2; echo "bench-http.sh: the server exited" >&2; return 1; }
        sleep 0.1
        tries=$((tries + 1))
    done
    cat "$file" >&2
    echo "bench-http.sh: the server did not report its port in 60 s" >&2
    return 1
}

# login BASE_URL: sets token to a bearer token, or to "" when the node has no authentication
# (login answers 404). First login: Basic admin:secret with a new password.
token=""
login() {
    local url=$1 out="$work_dir/login.json" code password tries=0
    # Meets the password policy: 8-64 characters, a digit, upper and lower case, a special character.
    password="Bench-$RANDOM$RANDOM-pw!"
    while true; do
        code=$(curl -sS -o "$out" -w '%{http_code}' -X POST -u admin:secret -H 'Content-Type: application/json' \
            --data "{\"new_password\":\"$password\"}" "$url/v1/users/login") || return 1
        # 503: the node is still starting (e.g. loading users and tokens); retry for up to 30 s.
        if [ "$code" != 503 ] || [ "$tries" -ge 60 ]; then break; fi
        tries=$((tries + 1))
        sleep 0.5
    done
    if [ "$code" = 404 ]; then
        token=""
        echo "login: POST /v1/users/login answers 404: no authentication, sending without a token"
        return 0
    fi
    if [ "$code" != 200 ] && [ "$code" != 201 ]; then
        # Maybe no password change is wanted (or allowed) on this node: plain Basic login.
        local first_code=$code
        mv "$out" "$out.first"
        code=$(curl -sS -o "$out" -w '%{http_code}' -X POST -u admin:secret "$url/v1/users/login") || return 1
        if [ "$code" != 200 ] && [ "$code" != 201 ]; then
            echo "bench-http.sh: login failed: with new_password HTTP $first_code, without HTTP $code:" >&2
            cat "$out.first" >&2
            echo >&2
            cat "$out" >&2
            echo >&2
            return 1
        fi
    fi
    if command -v jq >/dev/null 2>&1; then
        token=$(jq -r '.users[0].token // empty' "$out")
    else
        token=$(sed -n -E 's/.*"token"[[:space:]]*:[[:space:]]*"([^"]+)".*/\1/p' "$out" | head -n 1)
    fi
    [ -n "$token" ] || { echo "bench-http.sh: no token in the login response:" >&2; cat "$out" >&2; return 1; }
    echo "login: got a bearer token (HTTP $code)"
}

# check_send BASE_URL: one send must answer 201 before wrk runs, else the figures mean nothing.
check_send() {
    local url=$1 out="$work_dir/send.json" code
    local auth=()
    [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
    code=$(curl -sS -o "$out" -w '%{http_code}' -X POST "${auth[@]}" -H 'Content-Type: application/json' \
        --data '{"to":"+1 631-555-0000","type":"text","text":{"body":"bench-http check"}}' "$url/v1/messages") || return 1
    if [ "$code" != 201 ]; then
        echo "bench-http.sh: a check send answered HTTP $code, not 201:" >&2
        cat "$out" >&2
        echo >&2
        return 1
    fi
}

# run_wrk NAME URL SECONDS BASE: runs wrk, prints its report, and stores the parsed WRK_RESULT fields
# as NAME_requests, NAME_duration_us, … .
run_wrk() {
    local name=$1 url=$2 seconds=$3 base=$4 out="$work_dir/wrk-$1.out"
    echo "+ wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${seconds}s --latency -s bench/http/send.lua $url -- <token> $base $WRK_THREADS"
    if ! wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${seconds}s" --latency -s "$lua_script" "$url" \
        -- "${token:--}" "$base" "$WRK_THREADS" >"$out" 2>&1; then
        cat "$out" >&2
        return 1
    fi
    grep -v '^WRK_RESULT' "$out" | sed 's/^/  /'
    local line field
    line=$(grep '^WRK_RESULT' "$out" | tail -n 1)
    [ -n "$line" ] || { echo "bench-http.sh: no WRK_RESULT line from wrk" >&2; return 1; }
    for field in ${line#WRK_RESULT }; do
        printf -v "${name}_${field%%=*}" '%s' "${field#*=}"
    done
}

# server_cpu_ticks: user + system CPU time the server has used so far, in clock ticks.
server_cpu_ticks() {
    # Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command name.
    local stat
    stat=$(cat "/proc/$server_pid/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) }
    # shellcheck disable=SC2086  # split into fields on purpose
    set -- $stat
    echo $(( ${12} + ${13} ))
}

# busy_cpu_ticks: CPU time used on this machine so far (user, nice and system time, without kernel
# threads, irq and softirq time), in clock ticks. Minus the server's and wrk's, it is the other
# work (a build, another benchmark) that shared the machine with the measured run.
busy_cpu_ticks() {
    local stat
    {
        head -n 1 /proc/stat
        for stat in /proc/[0-9]*/stat; do
            cat "$stat" 2>/dev/null
        done
    } | awk '
        NR == 1 { total = $2 + $3 + $4; next }
        {
            pid = $1
            sub(/^.*\) /, "")   # after the command name, which may hold spaces and parentheses
            # now $2 = ppid, $12 and $13 = utime and stime; kernel threads are pid 2 and its children
            if (pid == 2 || $2 == 2) total -= $12 + $13
        }
        END { printf "%d\n", total }'
}

# children_cpu_ticks: CPU time of this shell's finished children (wrk), in clock ticks. Must run in
# this shell, not in $(...): a subshell starts with no children's time; hence the file.
children_cpu_ticks() {
    times >"$work_dir/times"
    awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
        total = 0
        for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); total += t[1] * 60 + t[2] }
        printf "%d\n", total * hz + 0.5
    }' "$work_dir/times"
}

# measure NAME URL: warm-up (recipients from 90,000,000), then the measured run (from 0). Also sets
# NAME_cpu_ticks (the server's CPU time during the measured run), NAME_wrk_ticks (wrk's) and
# NAME_other_ticks (other processes'), so that other load on the machine shows in the report.
measure() {
    local name=$1 url=$2 server0 server1 wrk0 wrk1 other0 other1
    echo "warm-up, ${WRK_WARMUP_SECONDS} s:"
    run_wrk "${name}_warmup" "$url" "$WRK_WARMUP_SECONDS" 90000000 >/dev/null || return 1
    echo "measured run, ${WRK_SECONDS} s:"
    server0=$(server_cpu_ticks)
    children_cpu_ticks >"$work_dir/wrk0"
    other0=$(busy_cpu_ticks)
    run_wrk "$name" "$url" "$WRK_SECONDS" 0 || return 1
    other1=$(busy_cpu_ticks)
    children_cpu_ticks >"$work_dir/wrk1"
    server1=$(server_cpu_ticks)
    wrk0=$(cat "$work_dir/wrk0")
    wrk1=$(cat "$work_dir/wrk1")
    printf -v "${name}_cpu_ticks" '%s' "$((server1 - server0))"
    printf -v "${name}_wrk_ticks" '%s' "$((wrk1 - wrk0))"
    local other=$((other1 - other0 - (server1 - server0) - (wrk1 - wrk0)))
    [ "$other" -ge 0 ] || other=0
    printf -v "${name}_other_ticks" '%s' "$other"
}

load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")

# ---- 1. Courier, all-in-one node ----
section "Courier: courier serve --role all, wrk -c$WRK_CONNECTIONS -t$WRK_THREADS, ${WRK_SECONDS} s"
data_dir="$work_dir/courier-data"
courier_log="$work_dir/courier.log"
sync
COURIER_MIN_FREE_BYTES=0 COURIER_LOG_STDERR=1 COURIER_LOG_LEVEL=info \
    "$COURIER_BIN" serve --role all --listen 127.0.0.1:0 --data-dir "$data_dir" >"$courier_log" 2>&1 &
server_pid=$!
courier_port=$(wait_for_port "$courier_log" '.*http\.port=([0-9]+).*listening.*') || fail "courier did not start"
courier_url="http://127.0.0.1:$courier_port"
echo "courier: $courier_url (pid $server_pid, data dir $data_dir)"
login "$courier_url" || fail "could not log in to courier"
check_send "$courier_url" || fail "courier does not accept the benchmark's send"
measure courier "$courier_url" || fail "wrk against courier failed"
stop_server
if grep -E ' (error|critical) ' "$courier_log" >/dev/null; then
    echo "courier logged errors:"
    grep -E ' (error|critical) ' "$courier_log" | head -n 20 | sed 's/^/  /'
fi

# ---- 2. the HTTP ceiling ----
section "HTTP ceiling: courier-ceiling, wrk -c$WRK_CONNECTIONS -t$WRK_THREADS, ${WRK_SECONDS} s"
ceiling_log="$work_dir/ceiling.out"
LOG_LEVEL=warning "$CEILING_BIN" --listen 127.0.0.1:0 >"$ceiling_log" 2>&1 &
server_pid=$!
ceiling_port=$(wait_for_port "$ceiling_log" '^listening on .*:([0-9]+)$') || fail "courier-ceiling did not start"
ceiling_url="http://127.0.0.1:$ceiling_port"
echo "courier-ceiling: $ceiling_url (pid $server_pid)"
check_send "$ceiling_url" || fail "courier-ceiling does not accept the benchmark's send"
# The ceiling ignores Authorization, but Courier's token (if it has authentication) is sent here too
# so that the requests stay byte-for-byte those Courier got.
measure ceiling "$ceiling_url" || fail "wrk against courier-ceiling failed"
stop_server

# ---- 3. the table ----
# awk does the arithmetic; figures: acked = 201s = requests - non-2xx (wrk counts status > 399).
report() {
    awk -v c_req="$courier_requests" -v c_dur="$courier_duration_us" -v c_bad="$courier_non2xx" \
        -v c_sock="$((courier_connect + courier_read + courier_write + courier_timeout))" \
        -v c_p50="$courier_p50_us" -v c_p99="$courier_p99_us" \
        -v h_req="$ceiling_requests" -v h_dur="$ceiling_duration_us" -v h_bad="$ceiling_non2xx" \
        -v h_sock="$((ceiling_connect + ceiling_read + ceiling_write + ceiling_timeout))" \
        -v h_p50="$ceiling_p50_us" -v h_p99="$ceiling_p99_us" \
        -v c_cpu="$courier_cpu_ticks" -v h_cpu="$ceiling_cpu_ticks" -v hz="$(getconf CLK_TCK)" \
        -v c_wrk="$courier_wrk_ticks" -v h_wrk="$ceiling_wrk_ticks" \
        -v c_other="$courier_other_ticks" -v h_other="$ceiling_other_ticks" \
        -v cores="$(nproc)" -v load="$load_before" \
        -v pg="$pg_tps" -v conns="$WRK_CONNECTIONS" -v threads="$WRK_THREADS" -v secs="$WRK_SECONDS" -v quick="$quick" '
    function count(x,   s, r) {
        s = sprintf("%d", x + 0.5); r = ""
        while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
        return s r
    }
    function ms(us) { v = us / 1000; return (v < 10 ? sprintf("%.2f", v) : sprintf("%.1f", v)) " ms" }
    function us(ticks, hz, n) { return n > 0 ? sprintf("%.0f us", ticks / hz * 1e6 / n) : "n/a" }
    function cpu(server, wrk, other, hz, dur) {
        if (other / hz / (dur / 1e6) > 0.2) noisy = 1
        return sprintf("%.2f / %.2f / %.2f", server / hz / (dur / 1e6), wrk / hz / (dur / 1e6), other / hz / (dur / 1e6))
    }
    function ratio(x) { return (x < 10 ? sprintf("%.2f", x) : sprintf("%.1f", x)) "x" }
    function row(measure, figure, goal, result) {
        line = sprintf("  %-40s  %-10s  %-8s  %s", measure, figure, goal, result)
        sub(/ +$/, "", line); print line
    }
    BEGIN {
        c_rate = (c_req - c_bad) / (c_dur / 1e6)
        h_rate = (h_req - h_bad) / (h_dur / 1e6)
        printf "%-42s  %-10s  %-8s  %s\n", "measure", "figure", "goal", "result"
        print "---------------------------------------------------------------------"
        print "Courier, all-in-one (201 = durable in the log)"
        row("acked POST /v1/messages", count(c_rate) "/s")
        row("p50 latency", ms(c_p50))
        row("p99 latency", ms(c_p99), "< 20 ms", (c_p99 < 20000 ? "PASS" : "MISS"))
        row("server CPU per message", us(c_cpu, hz, c_req))
        row("CPU cores: server / wrk / other", cpu(c_cpu, c_wrk, c_other, hz, c_dur))
        if (c_bad + c_sock > 0) row("non-201 answers / socket errors", count(c_bad) " / " count(c_sock))
        print "HTTP ceiling (courier-ceiling: same framework, route, decoding; no store)"
        row("POST /v1/messages", count(h_rate) "/s")
        row("p50 latency", ms(h_p50))
        row("p99 latency", ms(h_p99))
        row("server CPU per message", us(h_cpu, hz, h_req))
        row("CPU cores: server / wrk / other", cpu(h_cpu, h_wrk, h_other, hz, h_dur))
        if (h_bad + h_sock > 0) row("non-201 answers / socket errors", count(h_bad) " / " count(h_sock))
        print "ratios"
        row("Courier / HTTP ceiling", ratio(h_rate > 0 ? c_rate / h_rate : 0), ">= 0.5x", (h_rate > 0 && c_rate / h_rate >= 0.5 ? "PASS" : "MISS"))
        if (pg > 0) row("Courier / PostgreSQL (" count(pg) " commits/s)", ratio(c_rate / pg))
        else row("Courier / PostgreSQL", "n/a (no pgbench figure; scripts/bench.sh passes --pg-tps)")
        printf "note: wrk -c%d -t%d, %d s per measured run after a warm-up, on the same %d-core machine as the server (load average %s at start); a 160-character text to a new recipient per request\n", conns, threads, secs, cores, load
        print "note: PostgreSQL = pgbench, one single-row INSERT committed per transaction, same client count (fsync=on, synchronous_commit=on)"
        print "note: CPU cores = CPU time / run time of the server, of wrk, and of all other processes (kernel threads and softirq work excluded)"
        if (noisy) print "note: other processes used more than 0.2 CPU cores during a measured run: its figures are depressed; rerun on a quiet machine"
        if (quick) print "note: --quick: short runs, not figures to quote"
    }'
}

section "HTTP benchmark results$([ "$quick" = 1 ] && echo ' (--quick)')"
report

-- wrk script for scripts/bench-http.sh: POST /v1/messages, one 160-character text per request,
-- each to a NEW recipient.
--
--   wrk -t T -c C -d D --latency -s bench/http/send.lua URL -- TOKEN BASE THREADS
--
-- TOKEN    bearer token for `Authorization`, or "-" for none (before authentication exists)
-- BASE     first recipient number of this run (0 when omitted); give each run against the same
--          server its own range so that no recipient repeats
-- THREADS  wrk's -t, so that the threads interleave their recipient numbers (1 when omitted)
--
-- Recipient n is "1631555" .. eight digits of (BASE + n): 15 digits, a valid wa_id (7–15).
-- done() prints one line for the script to parse:
--   WRK_RESULT requests=N duration_us=N non2xx=N connect=N read=N write=N timeout=N p50_us=N p90_us=N p99_us=N max_us=N

local text = string.rep("Courier benchmark text message. ", 5):sub(1, 160)
assert(#text == 160)

local threads = {}

function setup(thread)
    thread:set("thread_index", #threads)
    table.insert(threads, thread)
end

local headers
local base = 0
local stride = 1
local counter = 0

function init(args)
    local token = args[1]
    base = tonumber(args[2] or "0") or 0
    stride = tonumber(args[3] or "1") or 1
    headers = { ["Content-Type"] = "application/json" }
    if token ~= nil and token ~= "" and token ~= "-" then
        headers["Authorization"] = "Bearer " .. token
    end
    counter = thread_index or 0
end

function request()
    local n = (base + counter) % 100000000
    counter = counter + stride
    local body = string.format('{"to":"1631555%08d","type":"text","text":{"body":"%s"}}', n, text)
    return wrk.format("POST", "/v1/messages", headers, body)
end

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        "WRK_RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
        summary.requests, summary.duration, errors.status, errors.connect, errors.read, errors.write, errors.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

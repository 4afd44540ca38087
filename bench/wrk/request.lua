-- One request shape for a whole wrk run, from the environment (bench/lib/wrk.mjs
-- sets these): BENCH_METHOD, BENCH_BODY, BENCH_HEADERS (one "Name: value" per line).
-- done() prints one JSON line after wrk's own report, so the numbers are read
-- from wrk's counters rather than from its rounded text.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body end
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

-- BENCH_MANY_SENDERS=1: each request comes from another address of
-- 198.18.0.0/15, the range RFC 2544 sets aside for benchmarks, as hits from
-- many visitors would. Collect limits each sender per site (wrangler.toml
-- COLLECT_LIMITER), so one address at full speed would measure only refusals.
if os.getenv("BENCH_MANY_SENDERS") == "1" then
  local n = 0
  function request()
    n = n + 1
    wrk.headers["CF-Connecting-IP"] = string.format("198.18.%d.%d", math.floor(n / 256) % 256, n % 256)
    return wrk.format()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end

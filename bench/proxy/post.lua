-- wrk script for the proxy benchmark: POSTs a JSON predict request of a given size on every keep-alive connection,
-- and prints one machine-readable line at the end (wrk's own report has no p99.9 and rounds its units).
-- Usage: wrk ... -s post.lua URL -- BODY_BYTES      (BODY_BYTES: 0 or absent for the small {"prompt":"hi"})

function init(args)
  local size = tonumber(args[1] or "0") or 0
  if size <= 0 then
    wrk.body = '{"prompt":"hi"}'
  else
    -- A JSON object of exactly `size` bytes: {"prompt":"aaa..."}.
    wrk.body = '{"prompt":"' .. string.rep("a", size - 13) .. '"}'
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local auth = os.getenv("BENCH_AUTHORIZATION")
  if auth then
    wrk.headers["Authorization"] = auth
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  -- Latencies are in microseconds. Status errors are answers outside 2xx/3xx; they must be 0 for a valid run.
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50=%d p99=%d p999=%d max=%d connect_errors=%d read_errors=%d " ..
    "write_errors=%d timeouts=%d status_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end

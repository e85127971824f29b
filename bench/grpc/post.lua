-- wrk script for the gRPC benchmark's HTTP/1.1 rows: POSTs the small JSON predict request of bench/proxy's "small"
-- case on every keep-alive connection, and prints one machine-readable line at the end, with the mean beside the
-- percentiles so that these rows can be set beside h2load's.
-- Usage: wrk ... -s post.lua URL

function init(args)
  wrk.body = '{"prompt":"hi"}'
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
    "BENCH requests=%d seconds=%.3f rps=%.1f mean=%.1f p50=%d p99=%d p999=%d max=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds, latency.mean,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect + e.read + e.write + e.timeout + e.status))
end

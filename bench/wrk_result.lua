-- What the wrk scripts share: done() sums each thread's counters and prints one RESULT line of JSON,
-- the fields bench/ingest.py's LoadResult reads (bench/pyload.py prints the same line).
-- Load it with dofile() from a script's own directory; it returns the reporting function.

local COUNTERS = { "sent", "received", "ok", "stored", "non_2xx" }

return function(threads, summary, latency)
  local totals = {}
  for _, key in ipairs(COUNTERS) do
    totals[key] = 0
    for _, thread in ipairs(threads) do
      totals[key] = totals[key] + thread:get(key)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"seconds": %.6f, "requests": %d, "sent": %d, "ok": %d, "stored": %d, "non_2xx": %d, '
      .. '"socket_errors": %d, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.duration / 1e6,
    totals.received,
    totals.sent,
    totals.ok,
    totals.stored,
    totals.non_2xx,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000
  ))
end

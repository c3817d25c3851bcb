-- wrk script for bench/saleor_ingest.py: every request is a distinct Saleor delivery, pre-signed with
-- a detached RS256 JWS. Script argument: <deliveries.tsv>, whose lines hold
-- "Saleor-Event \t Saleor-Api-Url \t Saleor-Signature \t body". done() prints one RESULT JSON line.
-- Should a run outgrow the file, deliveries repeat and are answered "duplicate" (counted apart).

local threads = {}
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "wrk_result.lua")

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  rows = {}
  for line in io.lines(args[1]) do
    local event, api_url, signature, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    rows[#rows + 1] = { event, api_url, signature, body }
  end
  headers = { ["Content-Type"] = "application/json" }
  sent, received, ok, stored, non_2xx = 0, 0, 0, 0, 0
end

function request()
  local row = rows[sent % #rows + 1]
  headers["Saleor-Event"] = row[1]
  headers["Saleor-Api-Url"] = row[2]
  headers["Saleor-Signature"] = row[3]
  sent = sent + 1
  return wrk.format("POST", nil, headers, row[4])
end

function response(status, _, response_body)
  received = received + 1
  if status == 200 then
    ok = ok + 1
    if response_body:find('"stored"', 1, true) then
      stored = stored + 1
    end
  elseif status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, _)
  report(threads, summary, latency)
end

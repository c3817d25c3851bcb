-- wrk script for bench/storefront.py: every request is a product view from a new visitor (so the
-- per-visitor limit never refuses it), sent like the snippet sends it (text/plain, with Origin).
-- Script arguments: <origin> <visitor prefix, 16 hex digits>. done() prints one RESULT line of JSON.

local threads = {}
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "wrk_result.lua")

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  origin = args[1]
  prefix = args[2]
  headers = { ["Content-Type"] = "text/plain", ["Origin"] = origin }
  sent, received, ok, stored, non_2xx = 0, 0, 0, 0, 0
end

function request()
  sent = sent + 1
  local body = string.format(
    '{"visitor":"%s%016x","events":[{"type":"product_viewed","product_id":"632910392",'
      .. '"title":"IPod Nano - 8GB","price":"199.00","currency":"USD","url":"%s/products/ipod-nano"}]}',
    prefix, sent, origin
  )
  return wrk.format("POST", nil, headers, body)
end

function response(status, _, response_body)
  received = received + 1
  if status >= 200 and status <= 299 then
    ok = ok + 1
    if response_body:find('"accepted"', 1, true) then
      stored = stored + 1
    end
  else
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, _)
  report(threads, summary, latency)
end

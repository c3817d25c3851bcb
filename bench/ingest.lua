-- wrk script for bench/ingest.py: every request is a distinct, pre-signed Shopify delivery.
-- Script arguments: <deliveries.tsv> <body file>. The TSV's first line names the headers; each
-- further line holds one delivery's header values. done() prints one RESULT line of JSON.

local threads = {}
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "wrk_result.lua")

function setup(thread)
  table.insert(threads, thread)
end

local function split_tabs(line)
  local fields = {}
  for value in line:gmatch("[^\t]+") do
    fields[#fields + 1] = value
  end
  return fields
end

function init(args)
  rows = {}
  for line in io.lines(args[1]) do
    if names == nil then
      names = split_tabs(line)
    else
      rows[#rows + 1] = split_tabs(line)
    end
  end
  local file = assert(io.open(args[2], "rb"))
  body = file:read("*a")
  file:close()
  headers = {}
  sent, received, ok, stored, non_2xx = 0, 0, 0, 0, 0
end

function request()
  local row = rows[sent % #rows + 1]
  for i, name in ipairs(names) do
    headers[name] = row[i]
  end
  if sent >= #rows then
    -- More requests than pre-generated rows: keep event ids unique rather than measure dedupe.
    headers["X-Shopify-Event-Id"] = headers["X-Shopify-Event-Id"] .. "-" .. math.floor(sent / #rows)
  end
  sent = sent + 1
  return wrk.format("POST", nil, headers, body)
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

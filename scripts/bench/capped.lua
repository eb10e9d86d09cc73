-- wrk script: rotate.lua, but each thread stops after CAP responses (the 7th argument),
-- to send a fixed number of requests: wrk itself only knows durations.
--
--   wrk ... -s capped.lua URL -- METHOD PATH VALUES_FILE HEADER_NAME HEADER_VALUE BODY CAP
--
-- A stopped thread prints `BENCH_CAPPED`; wrk keeps waiting for -d, so bench.py sends it
-- SIGINT once every thread has printed it, and wrk then reports as usual.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "rotate.lua")

local rotate_init = init
local cap = 0
local seen = 0

function init(args)
  cap = tonumber(args[7]) or error("capped.lua needs CAP as its 7th argument")
  rotate_init(args)
end

-- Defined at the top level, so that wrk parses responses for this script only (it costs
-- time per response).
function response(status, headers, body)
  seen = seen + 1
  if seen == cap then
    io.write("BENCH_CAPPED\n")
    io.flush()
    wrk.thread:stop()
  end
end

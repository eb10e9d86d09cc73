-- wrk script: cycles through requests built from a file of values, one value a line, so
-- that every request names a real object (and no cache sees one id over and over).
--
--   wrk ... -s rotate.lua URL -- METHOD PATH VALUES_FILE HEADER_NAME HEADER_VALUE [BODY]
--
-- PATH and BODY may hold `{v}`, replaced by the value. A BODY of `{v}` alone sends each
-- line as the whole body (pre-built event batches). done() prints one line,
-- `BENCH_RESULT {json}`, that bench.py reads.

local requests = {}
local count = 0
local index = 0
local thread_counter = 0

-- Runs in the main Lua state, once per thread, before init(): numbers the threads so
-- that each starts at a different place in the file.
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_number", thread_counter)
end

local function fill(template, value)
  -- A function replacement: values are inserted literally (no `%` escapes).
  return (template:gsub("{v}", function() return value end))
end

function init(args)
  local method, path, file, header_name, header_value, body = args[1], args[2], args[3], args[4], args[5], args[6]
  if not file then error("usage: -- METHOD PATH VALUES_FILE HEADER_NAME HEADER_VALUE [BODY]") end
  local headers = {}
  if header_name and header_name ~= "" then headers[header_name] = header_value end
  if body and body ~= "" then headers["Content-Type"] = "application/json" end
  for line in io.lines(file) do
    if line ~= "" then
      local request_body = nil
      if body and body ~= "" then request_body = fill(body, line) end
      count = count + 1
      requests[count] = wrk.format(method, fill(path, line), headers, request_body)
    end
  end
  if count == 0 then error("no values in " .. file) end
  index = ((thread_number or 1) - 1) * math.floor(count / 2 + 1) % count
end

function request()
  index = index % count + 1
  return requests[index]
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"mean_us": %.1f, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect, e.read, e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

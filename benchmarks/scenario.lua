-- One scenario per run, chosen by the SCENARIO env var: create, get, search, search_uncached or bare.
-- API_KEY, IDS_FILE and QUERIES_FILE come from the environment (set by run_api_bench.py).
local scenario = os.getenv("SCENARIO")
local key = os.getenv("API_KEY")
local ids, queries = {}, {}

local function lines(path)
  local out = {}
  if path then for line in io.lines(path) do out[#out + 1] = line end end
  return out
end

function init(args)
  ids = lines(os.getenv("IDS_FILE"))
  queries = lines(os.getenv("QUERIES_FILE"))
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

local counter = 0
function request()
  counter = counter + 1
  local headers = { ["X-API-Key"] = key, ["Content-Type"] = "application/json" }
  if scenario == "create" then
    local body = string.format('{"text": "benchmark note %d about harbour ferries and timetables", "tags": ["bench"]}', counter)
    return wrk.format("POST", "/v1/memories", headers, body)
  elseif scenario == "get" then
    return wrk.format("GET", "/v1/memories/" .. ids[math.random(#ids)], headers)
  elseif scenario == "search" then
    -- 200 distinct queries: after the first pass these are served by the search cache.
    local body = string.format('{"query": "%s", "top_k": 10}', queries[math.random(#queries)])
    return wrk.format("POST", "/v1/search", headers, body)
  elseif scenario == "search_uncached" then
    -- A unique word per request: every search embeds and queries the vector store.
    local body = string.format('{"query": "%s q%d", "top_k": 10}', queries[math.random(#queries)], counter)
    return wrk.format("POST", "/v1/search", headers, body)
  end
  return wrk.format("GET", "/bare")
end
-- Shared by the scenarios: print one JSON line with throughput and latency percentiles (microseconds).
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end

-- wrk script for the bare-loop comparison (bench/bare/compare.ts): every request a new user
-- to one coupon, so a run never repeats a user. Arguments: <path> <run tag>.
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local counter = 0
local path, prefix
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  path = args[1]
  prefix = args[2] .. "t" .. thread_id .. "u"
end

function request()
  counter = counter + 1
  return wrk.format("POST", path, headers, '{"userId":"' .. prefix .. counter .. '"}')
end

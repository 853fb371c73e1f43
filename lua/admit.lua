--[[
admit: admits one user to a coupon's flash sale, or says why not, in one atomic step.
With a third key (QUEUE=redis) the admitted request is also pushed onto the reliable list
queue in the same step, so admission and hand-off can never be split.

KEYS[1]  {coupon:<id>}:meta   hash: total, admitted, seq, startsAt, expiresAt (epoch ms, 0 = none),
                              and n:<code>, how many requests got each answer (for the dashboard)
KEYS[2]  {coupon:<id>}:users  hash: userId -> ticket
KEYS[3]  optional: the pending list of the Redis queue
ARGV[1]  userId (already validated: [A-Za-z0-9_.:@-]{1,64}, so it needs no JSON escaping)
ARGV[2]  now, epoch ms
ARGV[3]  couponId (for the queued message)

Returns {code, ticket}; codes mirror GateCode in src/gate/codes.ts:
  0 MISSING          the coupon's gate keys are absent (unknown coupon, or Redis lost them)
  1 ADMITTED         ticket = admission order, 1 = first
  2 ALREADY_ISSUED   ticket = the user's earlier ticket
  3 SOLD_OUT
  4 NOT_STARTED
  5 EXPIRED
]]
local meta = redis.call('HMGET', KEYS[1], 'total', 'admitted', 'startsAt', 'expiresAt')
if not meta[1] then
  return {0, 0}
end
local function answer(code, ticket)
  redis.call('HINCRBY', KEYS[1], 'n:' .. code, 1)
  return {code, ticket}
end
local now = tonumber(ARGV[2])
local startsAt = tonumber(meta[3])
if startsAt > 0 and now < startsAt then
  return answer(4, 0)
end
local expiresAt = tonumber(meta[4])
if expiresAt > 0 and now >= expiresAt then
  return answer(5, 0)
end
local earlier = redis.call('HGET', KEYS[2], ARGV[1])
if earlier then
  return answer(2, tonumber(earlier))
end
if tonumber(meta[2]) >= tonumber(meta[1]) then
  return answer(3, 0)
end
redis.call('HINCRBY', KEYS[1], 'admitted', 1)
-- Tickets come from their own sequence so a released admission never reuses one.
local ticket = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[2], ARGV[1], ticket)
if KEYS[3] then
  redis.call('RPUSH', KEYS[3], '{"c":' .. ARGV[3] .. ',"u":"' .. ARGV[1] .. '","t":' .. ticket .. ',"a":' .. ARGV[2] .. '}')
end
return answer(1, ticket)

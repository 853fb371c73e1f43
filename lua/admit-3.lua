--[[
admit: decides a batch of issue requests for one coupon (those of one event-loop turn),
in order and in one atomic step: each user is admitted or told why not. One call per batch
instead of per request saves Redis and the service a command each (docs/TUNING.md).
With QUEUE=redis each admitted request is also pushed onto the reliable list queue (KEYS[3])
in the same step, so admission and hand-off can never be split.

KEYS[1]  {coupon:<id>}:meta   hash: total, admitted, seq, startsAt, expiresAt (epoch ms, 0 = none),
                              and n:<code>, how many requests got each answer (for the dashboard)
KEYS[2]  {coupon:<id>}:users  hash: userId -> ticket
KEYS[3]  the pending list of the Redis queue (QUEUE=redis); with QUEUE=kafka a key of the
         coupon's hash tag that is not touched (Redis Cluster wants every key on one slot)
ARGV[1]  couponId (for the queued message)
ARGV[2]  'list' to push each admitted request onto KEYS[3], 'none' otherwise
ARGV[3], ARGV[4]  userId, now (epoch ms) of the first request; then the same for each next one.
                  userIds are already validated ([A-Za-z0-9_.:@-]{1,64}), so they need no
                  JSON escaping.

Returns {code1, ticket1, code2, ticket2, ...} in the order of the requests, or {0} when the
coupon's gate keys are absent (unknown coupon, or Redis lost them). Codes mirror GateCode
in src/gate/codes.ts:
  0 MISSING          (only as the single {0})
  1 ADMITTED         ticket = admission order, 1 = first
  2 ALREADY_ISSUED   ticket = the user's earlier ticket
  3 SOLD_OUT
  4 NOT_STARTED
  5 EXPIRED
]]
local meta = redis.call('HMGET', KEYS[1], 'total', 'admitted', 'seq', 'startsAt', 'expiresAt')
if not meta[1] then
  return {0}
end
local total, admitted, seq = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
local startsAt, expiresAt = tonumber(meta[4]), tonumber(meta[5])
local replies, answered, queued = {}, {0, 0, 0, 0, 0}, {}
local firstSeq = seq
local push = ARGV[2] == 'list'
for i = 3, #ARGV, 2 do
  local userId, now = ARGV[i], tonumber(ARGV[i + 1])
  local code, ticket = 3, 0
  if startsAt > 0 and now < startsAt then
    code = 4
  elseif expiresAt > 0 and now >= expiresAt then
    code = 5
  else
    local earlier = redis.call('HGET', KEYS[2], userId)
    if earlier then
      code, ticket = 2, tonumber(earlier)
    elseif admitted < total then
      -- Tickets come from their own sequence so a released admission never reuses one.
      admitted, seq = admitted + 1, seq + 1
      code, ticket = 1, seq
      -- Written now, not at the end: the same user twice in one batch must find it.
      redis.call('HSET', KEYS[2], userId, ticket)
      if push then
        queued[#queued + 1] = '{"c":' .. ARGV[1] .. ',"u":"' .. userId .. '","t":' .. ticket .. ',"a":' .. ARGV[i + 1] .. '}'
      end
    end
  end
  answered[code] = answered[code] + 1
  replies[#replies + 1] = code
  replies[#replies + 1] = ticket
end
if seq > firstSeq then
  redis.call('HINCRBY', KEYS[1], 'admitted', seq - firstSeq)
  redis.call('HINCRBY', KEYS[1], 'seq', seq - firstSeq)
end
for code = 1, 5 do
  if answered[code] > 0 then
    redis.call('HINCRBY', KEYS[1], 'n:' .. code, answered[code])
  end
end
if #queued > 0 then
  redis.call('RPUSH', KEYS[3], unpack(queued))
end
return replies

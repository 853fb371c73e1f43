--[[
call-outcome: what an admit call whose answer never came did. Asked only once its deadline
has passed on Redis's clock: from then on the call can no longer admit anyone (admit-4 checks
the same deadline), so the answer is final.

KEYS[1]  {coupon:<id>}:handoff  hash: callId -> "deadline|admittedAt|user1|ticket1|..."
ARGV[1]  callId
ARGV[2]  the call's deadline, epoch ms on Redis's clock

Returns {-1} when the deadline has not passed yet (ask again later), {0} when the call
admitted nobody (it never ran, ran late, or admitted no one), or {1, marker} with the
hand-off marker of the users it admitted.
]]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if now <= tonumber(ARGV[2]) then
  return {-1}
end
local marker = redis.call('HGET', KEYS[1], ARGV[1])
if not marker then
  return {0}
end
return {1, marker}

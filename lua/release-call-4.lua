--[[
release-call: undoes the admissions of one admit call that were never handed off to the
queue, so their users are free to ask again and the stock goes back on sale. Used for a call
whose answer was lost (its users got 503) and by the reconciler for a call whose front door
died before the hand-off (QUEUE=redis: an item a consumer already took stays admitted, as it
will be stored). Users listed in ARGV[5..] are kept (their request is stored or on
the queue): only the marker is dropped for them. Only the exact admission (same ticket) is
undone, and only once the call's deadline has passed, so the call can no longer run.

KEYS[1]  {coupon:<id>}:meta     hash: total, admitted, ...
KEYS[2]  {coupon:<id>}:users    hash: userId -> ticket
KEYS[3]  {coupon:<id>}:handoff  hash: callId -> "deadline|admittedAt|user1|ticket1|..."
KEYS[4]  the pending list of the Redis queue (QUEUE=redis), else an untouched key of the tag
ARGV[1]  callId
ARGV[2]  'list' when the admissions were pushed onto KEYS[4] (their items are removed), else 'none'
ARGV[3]  couponId (to rebuild a queued item)
ARGV[4]  the call's deadline, epoch ms on Redis's clock
ARGV[5..] userIds to keep

Returns {-1} when the deadline has not passed yet, else {released, kept}.
]]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if now <= tonumber(ARGV[4]) then
  return {-1}
end
local marker = redis.call('HGET', KEYS[3], ARGV[1])
if not marker then
  return {0, 0}
end
local keep = {}
for i = 5, #ARGV do
  keep[ARGV[i]] = true
end
local parts = {}
for part in string.gmatch(marker, '[^|]+') do
  parts[#parts + 1] = part
end
local admittedAt = parts[2]
local released, kept = 0, 0
for i = 3, #parts, 2 do
  local userId, ticket = parts[i], parts[i + 1]
  if keep[userId] then
    kept = kept + 1
  elseif redis.call('HGET', KEYS[2], userId) == ticket then
    -- A queued item already taken by a consumer will be stored: that admission stays.
    local unqueued = ARGV[2] ~= 'list' or redis.call('LREM', KEYS[4], 1, '{"c":' .. ARGV[3] .. ',"u":"' .. userId .. '","t":' .. ticket .. ',"a":' .. admittedAt .. '}') == 1
    if unqueued then
      redis.call('HDEL', KEYS[2], userId)
      redis.call('HINCRBY', KEYS[1], 'admitted', -1)
      released = released + 1
    else
      kept = kept + 1
    end
  end
end
redis.call('HDEL', KEYS[3], ARGV[1])
return {released, kept}

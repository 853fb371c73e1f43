--[[
  QUEUE=redis: puts the items of a dead consumer's processing list back at the head of the
  pending list, in their original order, and forgets the consumer. A consumer whose last
  heartbeat is at or after the cutoff is alive and left alone.

  KEYS[1]  consumers sorted set (member: consumer id, score: last heartbeat, epoch ms)
  KEYS[2]  processing list of that consumer
  KEYS[3]  pending list
  ARGV[1]  consumer id
  ARGV[2]  cutoff, epoch ms (a consumer stopping gracefully passes a far-future cutoff for itself)

  Returns  the number of items moved back, or -1 when the consumer is alive
]]
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if seen and tonumber(seen) >= tonumber(ARGV[2]) then
  return -1
end
local moved = 0
while true do
  -- RPOP returns the newest first; LPUSH of that order rebuilds the original order.
  local items = redis.call('RPOP', KEYS[2], 1000)
  if not items then
    break
  end
  redis.call('LPUSH', KEYS[3], unpack(items))
  moved = moved + #items
end
redis.call('ZREM', KEYS[1], ARGV[1])
return moved

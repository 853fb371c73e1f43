--[[
  QUEUE=redis: gives a consumer its next batch. Items it already holds (left in its
  processing list by a step that failed half-way) come first; the batch is topped up from
  the head of the pending list, moving items atomically (an item is always in exactly one
  of the lists). The returned items are the first #result items of the processing list,
  so the consumer acknowledges them with LTRIM processing #result -1.

  KEYS[1]  pending list (the admission script RPUSHes to its tail)
  KEYS[2]  processing list of the calling consumer
  ARGV[1]  most items in the batch (>= 1)

  Returns  the batch, oldest first (empty when nothing is held or pending)
]]
local max = tonumber(ARGV[1])
local batch = redis.call('LRANGE', KEYS[2], 0, max - 1)
local want = max - #batch
if want <= 0 then
  return batch
end
local items = redis.call('LPOP', KEYS[1], want)
if not items then
  return batch
end
-- In slices: unpack() of a very long table overflows Lua's stack.
for first = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, first, math.min(first + 999, #items)))
end
for i = 1, #items do
  batch[#batch + 1] = items[i]
end
return batch

--[[
begin-rebuild: marks a coupon's gate as being rebuilt from MySQL (after Redis lost its data,
in full or in part), or renews the mark for the front door that holds it. While the mark is
there admit-4 admits nobody (REBUILDING), so the rebuild counts every admission. The mark is
a lease: a rebuilder that dies leaves it to expire, and another takes over.

KEYS[1]  {coupon:<id>}:meta     hash; its field `rebuilding` = "<token>|<lease end, epoch ms on Redis's clock>"
KEYS[2]  {coupon:<id>}:staging  hash: emptied when the mark is taken (what a dead rebuilder staged)
ARGV[1]  token of the caller
ARGV[2]  lease length, ms

Returns {1, token} when the caller holds the mark (taken or renewed), {0, token} when
another live rebuilder holds it.
]]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local held = redis.call('HGET', KEYS[1], 'rebuilding')
local renew = false
if held then
  local sep = string.find(held, '|', 1, true)
  local owner, leaseEnd = string.sub(held, 1, sep - 1), tonumber(string.sub(held, sep + 1))
  if owner ~= ARGV[1] and leaseEnd > now then
    return {0, owner}
  end
  renew = owner == ARGV[1]
end
if not renew then
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], 'rebuilding', ARGV[1] .. '|' .. (now + tonumber(ARGV[2])))
return {1, ARGV[1]}

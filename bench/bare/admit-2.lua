--[[
The bare reference's admission (bench/bare/loop.ts): one user, one call, nothing else. It
stands for the least a Lua gate can do, so the service's gate (lua/admit-4.lua) is compared
against it, not against a copy of itself.

KEYS[1]  bare:{<coupon>}:meta   hash: total, admitted
KEYS[2]  bare:{<coupon>}:users  hash: userId -> ticket
ARGV[1]  userId

Returns the new ticket (1 = first), or 0: the user already holds one or the stock is gone.
]]
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return 0
end
local meta = redis.call('HMGET', KEYS[1], 'total', 'admitted')
local total, admitted = tonumber(meta[1]), tonumber(meta[2])
if total == nil or admitted >= total then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'admitted', 1)
redis.call('HSET', KEYS[2], ARGV[1], admitted + 1)
return admitted + 1

--[[
stage-users: copies one page of the coupon's holders (read from MySQL) into the staging hash
of a rebuild, as long as the caller still holds the rebuild mark.

KEYS[1]  {coupon:<id>}:meta     hash; field `rebuilding` names the rebuilder
KEYS[2]  {coupon:<id>}:staging  hash: userId -> ticket, swapped in by finish-rebuild-3
ARGV[1]  token of the rebuilder
ARGV[2..] userId1, ticket1, userId2, ticket2, ...

Returns the number of users staged, or -1 when the caller no longer holds the mark.
]]
local held = redis.call('HGET', KEYS[1], 'rebuilding')
if not held or string.sub(held, 1, #ARGV[1] + 1) ~= ARGV[1] .. '|' then
  return -1
end
if #ARGV < 3 then
  return 0
end
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
return (#ARGV - 1) / 2

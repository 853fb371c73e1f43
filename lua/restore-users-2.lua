--[[
restore-users: puts users who already hold a coupon (read from MySQL) back into the gate
while it is being rebuilt. Does nothing once the limits exist again, so a slow rebuild can
never clobber a gate that another process already reopened.

KEYS[1]  {coupon:<id>}:meta   hash (must be absent for anything to happen)
KEYS[2]  {coupon:<id>}:users  hash: userId -> ticket
ARGV     userId1, ticket1, userId2, ticket2, ...

Returns the number of users added, or -1 when the gate was already rebuilt.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
local added = 0
for i = 1, #ARGV, 2 do
  added = added + redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
end
return added

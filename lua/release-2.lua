--[[
release: undoes one admission whose hand-off to the queue failed (compensation), so a
request answered 503 leaves no trace. Only the exact admission (same ticket) is undone.

KEYS[1]  {coupon:<id>}:meta   hash: total, admitted, seq, startsAt, expiresAt
KEYS[2]  {coupon:<id>}:users  hash: userId -> ticket
ARGV[1]  userId
ARGV[2]  ticket given by admit

Returns 1 when released, 0 when there was nothing to release.
]]
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'admitted', -1)
return 1

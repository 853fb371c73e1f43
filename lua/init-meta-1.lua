--[[
init-meta: writes a coupon's gate limits if they are absent, at coupon creation and as
the last step of a rebuild from MySQL. Never overwrites: of several processes rebuilding
at once, the first to finish wins and the admissions made since are kept.

KEYS[1]  {coupon:<id>}:meta   hash: total, admitted, seq, startsAt, expiresAt
ARGV[1]  total quantity
ARGV[2]  admitted so far (rows already stored)
ARGV[3]  last ticket given so far
ARGV[4]  startsAt, epoch ms (0 = none)
ARGV[5]  expiresAt, epoch ms (0 = none)

Returns 1 when written, 0 when the limits were already there.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'total', ARGV[1], 'admitted', ARGV[2], 'seq', ARGV[3], 'startsAt', ARGV[4], 'expiresAt', ARGV[5])
return 1

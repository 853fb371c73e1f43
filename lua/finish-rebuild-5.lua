--[[
finish-rebuild: swaps the staged holders in as the coupon's gate and writes its limits from
MySQL, then lifts the rebuild mark, all in one step: admissions resume on a gate that counts
every stored holder. Only the holder of the mark may finish. The answer counters (n:<code>)
are kept; a hand-off marker left from before the loss is dropped (its users are stored or
were never handed off, and the rebuild waited for the queue to drain).

KEYS[1]  {coupon:<id>}:meta     hash: total, admitted, seq, startsAt, expiresAt, rebuilding, n:<code>
KEYS[2]  {coupon:<id>}:users    hash: userId -> ticket (replaced)
KEYS[3]  {coupon:<id>}:staging  hash: the staged holders (renamed onto KEYS[2])
KEYS[4]  {coupon:<id>}:handoff  hash: hand-off markers (cleared)
KEYS[5]  {coupon:<id>}:drained  set: front doors that had nothing in flight for the coupon (cleared)
ARGV[1]  token of the rebuilder
ARGV[2]  total quantity
ARGV[3]  admitted: holders stored in MySQL
ARGV[4]  seq: the highest ticket stored
ARGV[5]  startsAt, epoch ms (0 = none)
ARGV[6]  expiresAt, epoch ms (0 = none)

Returns 1 when finished, 0 when the caller no longer holds the mark.
]]
local held = redis.call('HGET', KEYS[1], 'rebuilding')
if not held or string.sub(held, 1, #ARGV[1] + 1) ~= ARGV[1] .. '|' then
  return 0
end
redis.call('DEL', KEYS[2], KEYS[4], KEYS[5])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[2])
end
redis.call('HDEL', KEYS[1], 'rebuilding')
redis.call('HSET', KEYS[1], 'total', ARGV[2], 'admitted', ARGV[3], 'seq', ARGV[4], 'startsAt', ARGV[5], 'expiresAt', ARGV[6])
return 1
